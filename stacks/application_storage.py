"""An application's EFS volumes: the access point on the environment's managed file system, task volumes and IAM.

Pure functions of plain values (:func:`task_volumes`, :func:`efs_policy`) say what the task
definition and the task role get; :class:`ManagedAccessPoint` is the one resource, created
only when a volume asks for ``efs: true``. Every volume is mounted with transit encryption
and IAM authorisation (ECS requires the first for the second), so the task role's grants
(``elasticfilesystem:ClientMount``, and ``ClientWrite`` unless read-only) are what decides.
"""

from __future__ import annotations

import zlib
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import EfsConfig, VolumeConfig
from stacks import _aws
from stacks._iam import VERSION

ACCESS_POINT_PERMISSIONS = "0755"
# Mounting a volume, then writing to it (read-only volumes get the first alone).
FILE_SYSTEM_ACTIONS = ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite")


def posix_id(application: str) -> int:
    """The default uid and gid of an application's managed access point: CRC-32 of its name, as Copilot derives them."""
    return zlib.crc32(application.encode())


def managed_root(application: str) -> str:
    """Each application's own directory on the environment's shared file system."""
    return f"/{application}"


def task_volumes(
    volumes: dict[str, VolumeConfig], *, managed_file_system_id: Any, managed_access_point_id: Any
) -> list[dict[str, Any]]:
    """The task definition's volumes (the provider's ``volume`` blocks, snake_case), sorted by name.

    The managed ids may be Outputs: they are only placed, never read.
    """
    out = []
    for name in sorted(volumes):
        efs = volumes[name].efs
        config: dict[str, Any] = {"transit_encryption": "ENABLED"}
        if isinstance(efs, EfsConfig):
            config["file_system_id"] = efs.id
            if efs.access_point is not None:
                # ECS: with an access point the root directory must be / or omitted.
                config["authorization_config"] = {"access_point_id": efs.access_point, "iam": "ENABLED"}
            else:
                config["root_directory"] = efs.root_directory or "/"
                config["authorization_config"] = {"iam": "ENABLED"}
        else:
            if managed_file_system_id is None or managed_access_point_id is None:
                raise ValueError(f"volume {name} asks for the managed file system, and none was given")
            config["file_system_id"] = managed_file_system_id
            config["authorization_config"] = {"access_point_id": managed_access_point_id, "iam": "ENABLED"}
        out.append({"name": name, "efs_volume_configuration": config})
    return out


def file_system_arn(file_system_id: str, *, region: str, account: str, partition: str) -> str:
    return f"arn:{partition}:elasticfilesystem:{region}:{account}:file-system/{file_system_id}"


def access_point_arn(access_point_id: str, *, region: str, account: str, partition: str) -> str:
    return f"arn:{partition}:elasticfilesystem:{region}:{account}:access-point/{access_point_id}"


def efs_policy(
    volumes: dict[str, VolumeConfig], *, managed_file_system_id: str | None, managed_access_point_arn: str | None,
    region: str, account: str, partition: str,
) -> dict[str, Any] | None:
    """The task role's EFS grants: one statement per volume, limited to its access point when it has one."""
    statements = []
    for name in sorted(volumes):
        vol = volumes[name]
        actions = list(FILE_SYSTEM_ACTIONS[:1] if vol.read_only else FILE_SYSTEM_ACTIONS)
        where = dict(region=region, account=account, partition=partition)
        if isinstance(vol.efs, EfsConfig):
            resource = file_system_arn(vol.efs.id, **where)
            point = access_point_arn(vol.efs.access_point, **where) if vol.efs.access_point else None
        else:
            if managed_file_system_id is None or managed_access_point_arn is None:
                raise ValueError(f"volume {name} asks for the managed file system, and none was given")
            resource, point = file_system_arn(managed_file_system_id, **where), managed_access_point_arn
        statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
        if point is not None:
            statement["Condition"] = {"ArnEquals": {"elasticfilesystem:AccessPointArn": point}}
        statements.append(statement)
    return {"Version": VERSION, "Statement": statements} if statements else None


class ManagedAccessPoint(pulumi.ComponentResource):
    """The application's access point on the environment's file system: its own root directory and POSIX user."""

    access_point: aws.efs.AccessPoint

    def __init__(
        self,
        name: str,
        *,
        names: naming.AppNames,
        volume: VolumeConfig,
        file_system_id: pulumi.Input[str],
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:ManagedAccessPoint", name, None, opts)
        uid = posix_id(names.application) if volume.uid is None else volume.uid
        gid = uid if volume.gid is None else volume.gid
        self.access_point = aws.efs.AccessPoint(
            name,
            file_system_id=file_system_id,
            # Every file the application writes belongs to this user, whatever user its image runs as.
            posix_user=aws.efs.AccessPointPosixUserArgs(uid=uid, gid=gid),
            # EFS creates the directory on first use, owned by that user, so the application can write to it.
            root_directory=aws.efs.AccessPointRootDirectoryArgs(
                path=managed_root(names.application),
                creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                    owner_uid=uid, owner_gid=gid, permissions=ACCESS_POINT_PERMISSIONS)),
            tags={"Name": names.base},
            opts=_aws.opts(provider, self))
        self.register_outputs({"accessPointId": self.access_point.id, "accessPointArn": self.access_point.arn})


def volume_args(volume: dict[str, Any]) -> aws.ecs.TaskDefinitionVolumeArgs:
    """One :func:`task_volumes` entry as the provider's input type."""
    efs = volume["efs_volume_configuration"]
    auth = efs["authorization_config"]
    return aws.ecs.TaskDefinitionVolumeArgs(
        name=volume["name"],
        efs_volume_configuration=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationArgs(
            file_system_id=efs["file_system_id"],
            root_directory=efs.get("root_directory"),
            transit_encryption=efs["transit_encryption"],
            authorization_config=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfigArgs(
                access_point_id=auth.get("access_point_id"), iam=auth["iam"])))
