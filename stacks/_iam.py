"""IAM pieces every stack uses: the policy language version, a service's trust, and the one way to create a role.

Every role ecsp creates carries its account's permissions boundary (:mod:`stacks.boundary_policies`):
:func:`role` is the only constructor of ``aws.iam.Role`` in ``stacks/`` (a test reads the source
to hold that), and it cannot be called without a boundary.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming

VERSION = "2012-10-17"


def service_trust(service: str, *, source_account: str | None = None) -> dict[str, Any]:
    """A role that the AWS ``service`` (ecs-tasks.amazonaws.com, ...) may assume.

    ``source_account``: only on behalf of that account (the confused-deputy guard AWS recommends
    for services that act for many accounts, such as Scheduler and VPC Flow Logs).
    """
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return {"Version": VERSION, "Statement": [statement]}


def boundary_arn(partition: str, account: str, project: str, environment: str | None = None,
                 wearers: str | None = None) -> str:
    """The ARN of a permissions boundary (:func:`ecsp.naming.permissions_boundary` names it)."""
    return naming.policy_arn(partition, account, naming.permissions_boundary(project, environment, wearers),
                             naming.BOUNDARY_PATH)


def boundary_of(partition: pulumi.Input[str], account: pulumi.Input[str], project: str,
                environment: str | None = None, wearers: str | None = None) -> pulumi.Output[str]:
    """:func:`boundary_arn` of a stack's partition and account (Outputs)."""
    return pulumi.Output.all(partition, account).apply(
        lambda a: boundary_arn(a[0], a[1], project, environment, wearers))


def role(logical: str, /, *, boundary: pulumi.Input[str], assume_role_policy: pulumi.Input[str],
         opts: pulumi.ResourceOptions, **arguments: Any) -> aws.iam.Role:
    """An IAM role that carries the permissions boundary ``boundary`` (an ARN): its permissions never exceed it.

    ``boundary``: in an environment's account its applications' boundary (an application stack
    reads ``EnvironmentOutputs.permissions_boundary_arn``; the environment stack has it from
    :class:`PermissionsBoundary`, or :func:`boundary_of` from names), its deployers' for a
    deploy role; in the project account the project's (``ProjectOutputs.permissions_boundary_arn``).
    Whatever the role's policies grant must lie inside that boundary (:mod:`stacks.boundary_policies`;
    ``tests/stacks/test_boundaries.py`` fails naming each grant outside it).

    Adding a boundary to a role that has none is an in-place update (``PutRolePermissionsBoundary``),
    so deploying over roles created before boundaries existed replaces none of them.
    """
    return aws.iam.Role(logical, assume_role_policy=assume_role_policy, permissions_boundary=boundary, opts=opts,
                        **arguments)



class PermissionsBoundary(pulumi.ComponentResource):
    """A permissions boundary: the managed policy ``name`` at :data:`ecsp.naming.BOUNDARY_PATH`."""

    arn: pulumi.Output[str]

    def __init__(self, logical: str, *, name: str, document: pulumi.Input[str], description: str,
                 provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:iam:PermissionsBoundary", logical, None, opts)
        policy = aws.iam.Policy(logical, name=name, path=naming.BOUNDARY_PATH, policy=document,
                                description=description, opts=pulumi.ResourceOptions(provider=provider, parent=self))
        self.arn = policy.arn
        self.register_outputs({"arn": self.arn})
