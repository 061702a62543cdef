"""The image section of a Copilot manifest: location or build, port, credentials, labels, health check."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ecsp.importer.containers import container_health, registry_login
from ecsp.importer.fields import Mapper, WorkloadContext, as_string


def image(m: Mapper, ctx: WorkloadContext) -> None:
    f, out = m.f, m.out.fields
    image: dict[str, Any] = {}
    location = f.get("image", "location")
    build = f.get("image", "build")
    if location is not None:
        image["location"] = location
    elif isinstance(build, str):
        folder, name = posixpath.split(build)
        image["build"] = _rebase(ctx, folder or ".")
        if name != "Dockerfile":
            image["dockerfile"] = name
    elif isinstance(build, Mapping):
        dockerfile, context = build.get("dockerfile"), build.get("context")
        # Copilot: no context means the Dockerfile's folder; no dockerfile means context/Dockerfile.
        folder = context if context is not None else posixpath.dirname(dockerfile or "") or "."
        image["build"] = _rebase(ctx, folder)
        if dockerfile is not None:
            inside = posixpath.relpath(posixpath.normpath(dockerfile), posixpath.normpath(folder))
            if inside != "Dockerfile":
                image["dockerfile"] = inside
        if build.get("args"):
            image["args"] = {str(k): as_string(v) for k, v in build["args"].items()}
        if build.get("target") is not None:
            image["target"] = build["target"]
        if build.get("cache_from"):
            m.warn(("image", "build", "cache_from"), "only sped up builds; ecsp builds without a cache source")
    else:
        m.refuse(("image",), "has neither location nor build; Copilot needs one of them, and so does ecsp")
    if image:
        out["image"] = image
    port = f.get("image", "port")
    if port is not None:
        out["port"] = int(port)
    credentials = f.get("image", "credentials")
    if credentials is not None:
        login = registry_login(m, ("image", "credentials"), credentials)
        if login is not None and "location" in image:
            image["credentials"] = login
        elif login is not None:
            m.warn(("image", "credentials"), "logged in to a private registry; ecsp pushes the image it builds "
                                             "to the project's ECR repository and pulls it from there without")
    if f.get("image", "labels"):
        m.warn(("image", "labels"), "set Docker labels on the container; ecsp sets none")
    if f.get("image", "depends_on"):
        m.warn(("image", "depends_on"), "ordered the main container after its sidecars; ecsp starts it with "
                                        "them: give the sidecars depends_on instead, or make the app wait")
    health = f.get("image", "healthcheck")
    if health:
        check = container_health(m, ("image", "healthcheck"), health)
        if check:
            out["container_healthcheck"] = check


def _rebase(ctx: WorkloadContext, path: str) -> str:
    """A Copilot path (relative to the workspace root) relative to ecsp.yaml's folder."""
    absolute = (ctx.root / path).resolve()
    try:
        relative = absolute.relative_to(ctx.out_dir.resolve())
        return relative.as_posix() or "."
    except ValueError:
        return posixpath.relpath(absolute.as_posix(), ctx.out_dir.resolve().as_posix())
