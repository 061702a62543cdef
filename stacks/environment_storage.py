"""The environment's managed EFS file system, created while some application asks for ``efs: true``.

The file system (with its backup and TLS policies) is data: it is kept in AWS when the last
such volume leaves ecsp.yaml or the environment is destroyed (``retain_on_delete``; the plan
and the run's summary say so), and deleted only with ``--delete-data``. Its mount targets and
security group are not data, and go, so the VPC can still be deleted.

Encrypted at rest, backed up, reachable only over TLS (its policy denies the rest) and only
from the environment security group (NFS, tcp 2049), with a mount target in each private
subnet. Applications do not share data through it by accident: each mounts its own access
point (root directory ``/<application>``, see :mod:`stacks.application_storage`), and the
policy leaves access to the IAM grants of their task roles.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws
from stacks._iam import VERSION

NFS_PORT = 2049


def file_system_policy(file_system_arn: str) -> dict[str, Any]:
    """Deny every request that does not use TLS (ECS mounts with transit encryption; nothing else should differ)."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "DenyUnencryptedAccess", "Effect": "Deny", "Principal": {"AWS": "*"},
        "Action": "elasticfilesystem:*", "Resource": file_system_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]}


def _item(i: int) -> Callable[[list[str]], str]:
    return lambda ids: ids[i]


class FileSystem(pulumi.ComponentResource):
    """An encrypted EFS file system, its security group and a mount target per private subnet."""

    file_system_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        names: naming.EnvNames,
        vpc_id: pulumi.Input[str],
        private_subnet_ids: pulumi.Output[list[str]],
        subnet_count: int,
        environment_security_group_id: pulumi.Input[str],
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:environment:FileSystem", name, None, opts)

        def child(**kwargs: object) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, **kwargs)

        fs = aws.efs.FileSystem(
            "efs", encrypted=True, performance_mode="generalPurpose", throughput_mode="bursting",
            # As Copilot: files untouched for 30 days move to the cheaper Infrequent Access class.
            lifecycle_policies=[aws.efs.FileSystemLifecyclePolicyArgs(transition_to_ia="AFTER_30_DAYS")],
            tags={"Name": names.tag("efs")}, opts=child(retain_on_delete=True))
        aws.efs.BackupPolicy("efs", file_system_id=fs.id,
                             backup_policy=aws.efs.BackupPolicyBackupPolicyArgs(status="ENABLED"),
                             opts=child(retain_on_delete=True))
        aws.efs.FileSystemPolicy("efs", file_system_id=fs.id,
                                 policy=fs.arn.apply(lambda arn: json.dumps(file_system_policy(arn), sort_keys=True)),
                                 opts=child(retain_on_delete=True))
        group = aws.ec2.SecurityGroup("efs", vpc_id=vpc_id,
                                      description=f"{names.base} EFS: NFS from the environment security group",
                                      tags={"Name": names.tag("efs")}, opts=child())
        aws.vpc.SecurityGroupIngressRule("efs-from-environment", security_group_id=group.id,
                                         referenced_security_group_id=environment_security_group_id,
                                         ip_protocol="tcp", from_port=NFS_PORT, to_port=NFS_PORT,
                                         description="NFS from the applications of the environment", opts=child())
        # Tasks run in public or private subnets of the same zones; one mount target per zone serves both.
        for i in range(subnet_count):
            aws.efs.MountTarget(f"efs-{i}", file_system_id=fs.id, subnet_id=private_subnet_ids.apply(_item(i)),
                                security_groups=[group.id], opts=child())
        self.file_system_id = fs.id
        self.security_group_id = group.id
        self.register_outputs({"fileSystemId": self.file_system_id, "securityGroupId": self.security_group_id})
