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
        for name, key in self.output_names().items():
            pulumi.export(key, getattr(self, name))

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
    the zone and the delegation role exist with a domain only.
    """

    regions: Any
    project_zone_id: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    dns_delegation_role_arn: Any = dataclasses.field(default=None, metadata=OPTIONAL)


@dataclasses.dataclass(frozen=True)
class EnvironmentOutputs(Contract):
    """The environment stack's outputs; the HTTPS listener, zone and subdomain exist with a domain only."""

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
    https_listener_arn: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    hosted_zone_id: Any = dataclasses.field(default=None, metadata=OPTIONAL)
    subdomain: Any = dataclasses.field(default=None, metadata=OPTIONAL)


@dataclasses.dataclass(frozen=True)
class ApplicationOutputs(Contract):
    """An application stack's outputs (what ``ecsp outputs`` shows; ``url`` is where it answers)."""

    service_name: Any
    service_arn: Any
    task_definition_arn: Any
    target_group_arn: Any
    log_group_name: Any
    url: Any


@dataclasses.dataclass(frozen=True)
class PipelineOutputs(Contract):
    """A pipeline stack's outputs; the connection exists for github/bitbucket/gitlab sources only."""

    pipeline_name: Any
    pipeline_arn: Any
    build_role_arn: Any
    connection_arn: Any = dataclasses.field(default=None, metadata=OPTIONAL)
