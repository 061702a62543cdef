"""The outputs each stack exports and its downstream stacks read: one typed contract per stack kind.

A contract is a frozen dataclass whose fields are the stack's outputs, in snake_case here and
camelCase in Pulumi (``vpc_id`` is the output ``vpcId``). The exporting program builds one and
calls :meth:`Contract.export`; a reading program calls :meth:`Contract.read` on a
``pulumi.StackReference``, so the two sides cannot drift apart on a name. Required fields are
read with ``require_output``: a missing one is a deploy-order or upstream bug, and the error
names it instead of AWS rejecting an empty id. Fields marked :data:`OPTIONAL` (``None``
without a domain, say) are read only when the reader asks for them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any, Self

import pulumi

# The metadata of a field that may be None; readers get it only when they ask (``read(ref, include=...)``).
OPTIONAL = {"optional": True}
# An optional output that is not exported at all when None: settings added later, so that stacks
# without them export exactly what they did before.
WHEN_SET = {"optional": True, "when_set": True}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclasses.dataclass(frozen=True)
class Contract:
    """Base of the stack output contracts."""

    @classmethod
    def output_names(cls) -> dict[str, str]:
        """Field name -> Pulumi output name, in export order."""
        return {f.name: camel(f.name) for f in dataclasses.fields(cls)}

    def export(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None or not f.metadata.get("when_set"):
                pulumi.export(camel(f.name), value)

    @classmethod
    def read(cls, ref: pulumi.StackReference, *, include: Collection[str] = ()) -> Self:
        """The upstream stack's required outputs, and the optional ones in ``include`` (the rest are None)."""
        required = [f.name for f in dataclasses.fields(cls) if not f.metadata.get("optional")]
        return cls.pick(ref, *required, *include)

    @classmethod
    def pick(cls, ref: pulumi.StackReference, *names: str) -> Self:
        """Only the outputs ``names`` of the upstream stack (each one required); the rest are None."""
        unknown = set(names) - set(cls.output_names())
        if unknown:
            raise ValueError(f"{cls.__name__} has no output {', '.join(sorted(unknown))}")
        return cls(**{name: ref.require_output(camel(name)) if name in names else None for name in cls.output_names()})


@dataclasses.dataclass(frozen=True)
class ProjectOutputs(Contract):
    """The project stack's outputs.

    ``regions``: ``{<region>: {repositories: {<app>: <repositoryUrl>}, kmsKeyArn, bucketName}}``;
    ``permissions_boundary_arn``: the boundary the project account's roles carry (the pipeline
    stacks read it; a project stack deployed before boundaries existed lacks it);
    the zone and the delegation role exist with a domain only, the GitHub roles with ``ci.github``.
    """

    regions: Any
    permissions_boundary_arn: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    project_zone_id: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    dns_delegation_role_arn: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    # With ci.github: the roles GitHub Actions jobs assume, by role name.
    github_role_arns: Any = dataclasses.field(default=None, metadata=WHEN_SET)


@dataclasses.dataclass(frozen=True)
class EnvironmentOutputs(Contract):
    """The environment stack's outputs; the zone and subdomain exist with a domain only, the HTTPS listener
    with a domain or certificates, the log bucket and group when those logs are configured, the Service
    Connect namespace when an application connects, the managed EFS file system while an application
    asks for it. ``permissions_boundary_arn``: the boundary every role of the environment carries."""

    vpc_id: Any
    public_subnet_ids: Any
    private_subnet_ids: Any
    cluster_name: Any
    cluster_arn: Any
    load_balancer_arn: Any
    load_balancer_dns_name: Any
    load_balancer_zone_id: Any
    http_listener_arn: Any
    load_balancer_security_group_id: Any
    environment_security_group_id: Any
    region: Any
    permissions_boundary_arn: Any
    https_listener_arn: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    hosted_zone_id: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    subdomain: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    access_logs_bucket: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    flow_log_group_name: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    service_connect_namespace_arn: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    service_connect_namespace: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    file_system_id: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    file_system_security_group_id: Any = dataclasses.field(default=None, metadata=WHEN_SET)


@dataclasses.dataclass(frozen=True)
class StorageOutputs(Contract):
    """An environment's storage stack's outputs.

    ``data``: ``{<name>: {kind, ...}}``, what linking each data entry needs (:mod:`stacks.storage`
    writes it, :mod:`stacks.application_links` reads it); ``addons``: ``{<owner>: {<output>: value}}``
    of each addon stack (owner ``""``: the environment's own addons).
    """

    data: Any
    addons: Any


@dataclasses.dataclass(frozen=True)
class ApplicationOutputs(Contract):
    """An application stack's outputs (what ``ecsp outputs`` shows), as far as its kind has them.

    Every kind has its task definition and log group; services (web, backend, worker) their
    service; web its target group and ``url``; a Service Connect server its ``connectUrl``;
    publishers their ``topicArns``; workers their queues; jobs their state machine and schedule.
    """

    service_name: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    service_arn: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    task_definition_arn: Any = None
    # Set while the service runs another revision than task_definition_arn (a release that failed, a rollback).
    service_task_definition_arn: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    target_group_arn: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    log_group_name: Any = None
    url: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    connect_url: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    topic_arns: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    queue_url: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    dead_letter_queue_url: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    state_machine_arn: Any = dataclasses.field(default=None, metadata=WHEN_SET)
    schedule_name: Any = dataclasses.field(default=None, metadata=WHEN_SET)


@dataclasses.dataclass(frozen=True)
class PipelineOutputs(Contract):
    """A pipeline stack's outputs; the connection exists for github/bitbucket/gitlab sources only."""

    pipeline_name: Any
    pipeline_arn: Any
    build_role_arn: Any
    connection_arn: Any = dataclasses.field(default=None, metadata=OPTIONAL)
