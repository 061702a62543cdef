"""The storage block of an application: EFS volumes (the environment's managed file system or an existing one)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Discriminator, Field, Tag, field_validator, model_validator

from ecsp.config.base import FieldError, Model, raise_all
from ecsp.config.fields import Capability, Merge, Setting
from ecsp.config.types import CONTAINER_NAME_PATTERN, MountPath

EFS_ID_PATTERN = r"^fs-([0-9a-f]{8}|[0-9a-f]{17})$"
EFS_ACCESS_POINT_PATTERN = r"^fsap-([0-9a-f]{8}|[0-9a-f]{17})$"


class EfsConfig(Model):
    """An existing EFS file system (in the environment's VPC, with mount targets reachable from its tasks)."""

    id: str = Field(description="File system id, e.g. fs-0123456789abcdef0.", examples=["fs-0123456789abcdef0"],
                    json_schema_extra={"pattern": EFS_ID_PATTERN})
    root_directory: MountPath | None = Field(
        None, description="Directory of the file system to mount (default /); only / with an access point.")
    access_point: str | None = Field(None, description="Access point id, e.g. fsap-0123456789abcdef0.",
                                     json_schema_extra={"pattern": EFS_ACCESS_POINT_PATTERN})

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not re.fullmatch(EFS_ID_PATTERN, v):
            raise ValueError(f"'{v}' is not an EFS file system id; use fs- and 8 or 17 hex digits, "
                             "e.g. fs-0123456789abcdef0")
        return v

    @field_validator("access_point")
    @classmethod
    def _access_point(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(EFS_ACCESS_POINT_PATTERN, v):
            raise ValueError(f"'{v}' is not an EFS access point id; use fsap- and 8 or 17 hex digits, "
                             "e.g. fsap-0123456789abcdef0")
        return v

    @model_validator(mode="after")
    def _root_with_access_point(self) -> EfsConfig:
        # ECS: with an access point the access point sets the root; the volume's must be / or absent.
        if self.access_point is not None and self.root_directory not in (None, "/"):
            raise FieldError(("root_directory",), "an access point sets its own root directory; remove "
                                                  "root_directory, or remove access_point")
        return self


def _efs_tag(v: Any) -> str:
    return "existing" if isinstance(v, dict | EfsConfig) else "managed"


Efs = Annotated[Annotated[bool, Tag("managed")] | Annotated[EfsConfig, Tag("existing")], Discriminator(_efs_tag)]


class VolumeConfig(Model):
    """An EFS volume mounted into the application's container."""

    path: MountPath = Field(description="Where the application's container sees the volume.", examples=["/data"])
    read_only: bool = Field(False, description="Mount read-only (and grant no elasticfilesystem:ClientWrite).")
    efs: Efs = Field(
        description="true: a directory /<application> on the environment's managed file system (ecsp creates it), "
        "through an access point of its own; or {id, root_directory, access_point} of an existing file system.",
        examples=[True, {"id": "fs-0123456789abcdef0"}])
    uid: int | None = Field(None, ge=0, le=4294967295, description="POSIX user id of the managed access point "
                            "(default: derived from the application's name, as Copilot).")
    gid: int | None = Field(None, ge=0, le=4294967295, description="POSIX group id of the managed access point "
                            "(default: the uid).")

    @model_validator(mode="after")
    def _efs(self) -> VolumeConfig:
        if self.efs is False:
            raise FieldError(("efs",), "use efs: true (the environment's managed file system) or efs: {id: fs-...}; "
                                       "to drop the volume, remove it")
        if isinstance(self.efs, EfsConfig):
            key = "uid" if self.uid is not None else "gid" if self.gid is not None else None
            if key:
                raise FieldError((key,), f"{key} applies to the managed file system (efs: true); an existing file "
                                         "system's access point sets its own user")
        return self


def _volume_names(v: dict[str, VolumeConfig]) -> dict[str, VolumeConfig]:
    raise_all([FieldError((name,), f"'{name}' is not a valid volume name; use letters, digits, - and _")
               for name in v if not re.fullmatch(CONTAINER_NAME_PATTERN, name)])
    managed = [name for name, vol in v.items() if vol.efs is True]
    raise_all([FieldError((name, "efs"), f"only one volume per application may use the managed file system "
                                         f"('{managed[0]}' does); mount it once")
               for name in managed[1:]])
    return v


class StorageConfig(Model):
    """Volumes of the application's task."""

    volumes: Annotated[dict[str, VolumeConfig], AfterValidator(_volume_names),
                       Setting(Capability.TASK, Merge.BY_NAME)] = Field(
        default_factory=dict, description="EFS volumes by name (letters, digits, - and _).",
        examples=[{"data": {"path": "/data", "efs": True}}])

    @property
    def managed_volume(self) -> tuple[str, VolumeConfig] | None:
        """The volume on the environment's managed file system (at most one), with its name."""
        return next(((n, v) for n, v in self.volumes.items() if v.efs is True), None)
