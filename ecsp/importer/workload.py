"""Map one Copilot workload manifest, as it is in one environment, to ecsp's fields plus notes.

A workload is mapped once per environment, from its *effective* manifest there (the base
merged with ``environments.<env>``, ``${COPILOT_*}`` expanded), because that is what Copilot
deployed; :mod:`ecsp.importer.factor` then folds the per-environment results back into base
settings and overrides. Each section of the manifest is mapped by the module named like
ecsp's config section it lands in (:mod:`.task`, :mod:`.http`, :mod:`.service`,
:mod:`.messaging`, :mod:`.variables`, :mod:`.containers`, :mod:`.storage`); the bookkeeping
is :mod:`.fields`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ecsp.config import DEFAULT_TYPE, Capability
from ecsp.importer import containers, convert, http, messaging, service, storage, task
from ecsp.importer import variables as variable_section
from ecsp.importer.convert import Unconvertible
from ecsp.importer.fields import Loc, Mapped, Mapper, WorkloadContext, flag


def map_workload(data: Mapping[str, Any], ctx: WorkloadContext, where: Callable[[Loc], str],
                 skip: set[Loc]) -> Mapped:
    """ecsp's fields for the effective manifest ``data`` of one workload in ``ctx.env``."""
    m = Mapper(data, where, skip)
    f, out = m.f, m.out.fields
    f.get("name")
    f.get("type")
    f.get("environments")  # merged into data already
    if ctx.type.name != DEFAULT_TYPE:
        out["kind"] = ctx.type.name
    task.image(m, ctx)
    if ctx.type.has(Capability.HTTP):
        http.web(m, ctx)
    elif f.has("http"):
        http.backend(m, ctx)
    for key in ("cpu", "memory"):
        value = f.get(key)
        if value is not None:
            out[key] = value
    if f.has("platform"):
        try:
            out["platform"] = convert.platform(f.get("platform"))
        except Unconvertible as e:
            m.refuse(("platform",), f"{e}")
    service.count(m, ctx)
    exec_ = f.get("exec")
    enabled = flag(exec_.get("enable", True)) if isinstance(exec_, Mapping) else flag(exec_)
    if enabled is not None:
        out["exec"] = enabled
    service.network(m, ctx)
    messaging.publish(m)
    if ctx.type.has(Capability.QUEUE):
        messaging.subscribe(m, ctx)
    if ctx.type.has(Capability.SCHEDULE):
        _job(m)
    variables = variable_section.variables(m, ctx, ("variables",), f.get("variables"))
    env_file = f.get("env_file")
    if env_file is not None:
        variables = {**variable_section.env_file(m, ctx, ("env_file",), env_file), **variables}
    if variables:
        out["variables"] = variables
    secrets = variable_section.secrets(m, ctx, ("secrets",), f.get("secrets"))
    if secrets:
        out["secrets"] = secrets
    containers.sidecars(m, ctx)
    containers.logging(m, ctx)
    storage.storage(m)
    service.deployment(m, ctx)
    for key in ("entrypoint", "command"):
        if f.get(key) is not None and (words := containers.command(m, (key,), f.get(key))) is not None:
            out[key] = words
    if f.get("taskdef_overrides") is not None:
        m.refuse(("taskdef_overrides",), "patches Copilot's task definition by CloudFormation path; ecsp has no "
                                         "such patches: port them to the transform stub written to "
                                         "copilot_transforms.py (README: Transforms), drop taskdef_overrides and "
                                         "import again")
    if f.get("nlb") is not None:
        m.refuse(("nlb",), "puts the service behind a Network Load Balancer; ecsp has only the shared ALB")
    tracing = f.get("observability", "tracing")
    if tracing is not None:
        m.warn(("observability", "tracing"), f"({tracing}) added an X-Ray sidecar; ecsp adds none: add one "
                                             "under sidecars if you need traces")
    return m.finish("application")


def _job(m: Mapper) -> None:
    """A Scheduled Job's on.schedule, timeout and retries."""
    f, out = m.f, m.out.fields
    schedule = f.get("on", "schedule")
    if schedule is not None:
        try:
            out["schedule"] = convert.schedule(schedule)
        except Unconvertible as e:
            m.refuse(("on", "schedule"), f"{e}")
    if f.get("timeout") is not None:
        value = m.seconds(("timeout",), f.get("timeout"))
        if value is not None:
            out["timeout"] = value
    if f.get("retries") is not None:
        out["retries"] = f.get("retries")
