"""The storage section: ephemeral disk, read-only root, and EFS volumes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecsp.importer.fields import Loc, Mapper, flag


def storage(m: Mapper) -> None:
    storage = m.f.get("storage")
    if not isinstance(storage, Mapping):
        return
    if storage.get("ephemeral") is not None:
        m.warn(("storage", "ephemeral"), f"gave the task {storage['ephemeral']} GiB of disk; ecsp tasks get "
                                         "Fargate's default 20 GiB")
    if storage.get("readonly_fs"):
        m.warn(("storage", "readonly_fs"), "made the root file system read-only; ecsp's is writable")
    volumes: dict[str, Any] = {}
    for name, volume in (storage.get("volumes") or {}).items():
        loc: Loc = ("storage", "volumes", name)
        if not isinstance(volume, Mapping):
            continue
        # Copilot mounts volumes read-only unless read_only: false; say so explicitly.
        read_only = flag(volume.get("read_only"))
        mapped: dict[str, Any] = {"path": volume.get("path"), "read_only": True if read_only is None else read_only}
        efs = volume.get("efs")
        if flag(efs) is True:
            mapped["efs"] = True
        elif isinstance(efs, Mapping) and isinstance(efs.get("id"), Mapping):
            m.refuse((*loc, "efs", "id"), "takes the file system from another stack (from_cfn); ecsp cannot read "
                                          "other stacks' exports, and the data lives there")
            continue
        elif isinstance(efs, Mapping) and efs.get("id"):
            imported: dict[str, Any] = {"id": efs["id"]}
            if efs.get("root_dir") is not None:
                imported["root_directory"] = efs["root_dir"]
            auth = efs.get("auth") or {}
            if auth.get("access_point_id"):
                imported["access_point"] = auth["access_point_id"]
            if auth.get("iam") is False:
                m.warn((*loc, "efs", "auth", "iam"), "is false; ecsp mounts with IAM authorisation")
            mapped["efs"] = imported
        elif isinstance(efs, Mapping) and (efs.get("uid") is not None or efs.get("gid") is not None):
            mapped["efs"] = True
            m.warn((*loc, "efs"), f"set the access point's owner uid {efs.get('uid')} / gid {efs.get('gid')}; "
                                  "ecsp's managed access point uses its own: check the files' ownership")
        else:
            m.warn(loc, f"is a scratch volume at {volume.get('path')} (no efs); ecsp volumes are EFS: the "
                        "container writes that path to its own disk")
            continue
        volumes[str(name)] = mapped
    if volumes:
        m.out.fields["storage"] = {"volumes": volumes}
