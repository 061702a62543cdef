"""Map one Copilot manifest, as it is in one environment, to ecsp's fields plus notes.

A workload is mapped once per environment, from its *effective* manifest there (the base
merged with ``environments.<env>``, ``${COPILOT_*}`` expanded), because that is what Copilot
deployed; :mod:`ecsp.importer.factor` then folds the per-environment results back into base
settings and overrides. Every field of the manifest is either mapped, or reported in a
:class:`Note` (``warn``: dropped, it runs without it; ``refuse``: running without it would lose
data or change what runs, so the workload is not imported). A field nobody looked at is
reported too (:meth:`Fields.unread`), so nothing is dropped silently.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ecsp.config import (
    APPLICATION_TYPES,
    DEFAULT_TYPE,
    FLUENT_BIT_IMAGE,
    LOG_RETENTION_DAYS,
    ApplicationType,
    Capability,
    secret_kind,
)
from ecsp.importer import convert
from ecsp.importer.convert import Unconvertible

Level = Literal["note", "warn", "refuse"]
Loc = tuple[str | int, ...]

# Each Copilot workload type and the ecsp application type (APPLICATION_TYPES) it becomes.
COPILOT_TYPES = {"Load Balanced Web Service": "web", "Backend Service": "backend", "Worker Service": "worker",
                 "Scheduled Job": "job"}
# Spot weight for `count.range.spot_from`: Copilot ran every task above the base on Spot (on-demand weight
# 0), which ecsp's {spot: N, base: M} (N Spot per on-demand task) can only approach.
SPOT_WEIGHT = 9
# Environment variables Copilot set in every container, and what ecsp sets instead.
RUNTIME_NAMES = {
    "COPILOT_APPLICATION_NAME": "ECSP_PROJECT", "COPILOT_ENVIRONMENT_NAME": "ECSP_ENVIRONMENT",
    "COPILOT_SERVICE_NAME": "ECSP_APPLICATION", "COPILOT_SNS_TOPIC_ARNS": "ECSP_SNS_TOPIC_ARNS",
    "COPILOT_QUEUE_URI": "ECSP_QUEUE_URL",
}
_RUNTIME_REF = re.compile(r"\$(\{)?(COPILOT_[A-Z0-9_]+)(?(1)\})")


@dataclass(frozen=True)
class Note:
    """What happened to one Copilot field: ``level`` and a sentence that starts with the field."""

    level: Level
    field: str
    message: str
    where: str = ""  # FILE:LINE of the field, for the printed form

    @property
    def comment(self) -> str:
        return f"{self.level}: {self.message}"

    def __str__(self) -> str:
        return f"{self.where}: {self.comment}" if self.where else self.comment


@dataclass(frozen=True)
class Env:
    """What the importer knows about an environment Copilot deployed to."""

    name: str
    region: str | None = None
    account: str | None = None
    # What decides which aliases ecsp can serve there: its own zone <env>.<project>.<domain> (with a
    # domain) and whether the environment manifest brings certificates.
    zone: str | None = None
    certificates: bool = False

    @property
    def partition(self) -> str:
        region = self.region or ""
        return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


class Fields:
    """A manifest's values with a record of which were read, so the rest can be reported."""

    def __init__(self, data: Mapping[str, Any], skip: set[Loc] | None = None) -> None:
        self.data = data
        self.read: set[Loc] = set(skip or ())

    def get(self, *loc: str | int) -> Any:
        """The value at ``loc`` (None when absent), marked as read with everything under it."""
        self.read.add(loc)
        value: Any = self.data
        for part in loc:
            found = (isinstance(value, Mapping) and part in value) or (
                isinstance(value, list) and isinstance(part, int) and part < len(value))
            if found:
                value = value[part]
            else:
                return None
        return value

    def has(self, *loc: str | int) -> bool:
        value: Any = self.data
        for part in loc:
            if not isinstance(value, Mapping) or part not in value:
                return False
            value = value[part]
        return True

    def unread(self) -> Iterator[Loc]:
        """Written leaves (and empty mappings) that nothing read."""
        def walk(value: Any, loc: Loc) -> Iterator[Loc]:
            if any(loc[:i] in self.read for i in range(len(loc) + 1)):
                return
            if isinstance(value, Mapping) and value:
                for key, item in value.items():
                    yield from walk(item, (*loc, key))
            elif value is not None:
                yield loc
        for key, item in self.data.items():
            yield from walk(item, (key,))


def flag(value: Any) -> bool | None:
    """A bool-typed Copilot field: yaml.v3 decodes yes/no/on/off into it as YAML 1.1 did (None: not a bool)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"y": True, "yes": True, "on": True, "true": True,
                "n": False, "no": False, "off": False, "false": False}.get(value.lower())
    return None


def dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


@dataclass
class Mapped:
    """One workload (or environment) in one environment: ecsp's fields and the notes."""

    fields: dict[str, Any] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return any(n.level == "refuse" for n in self.notes)


class _Mapper:
    def __init__(self, data: Mapping[str, Any], where: Callable[[Loc], str], skip: set[Loc]) -> None:
        self.f = Fields(data, skip)
        self.where = where
        self.out = Mapped()

    def note(self, level: Level, loc: Loc, message: str) -> None:
        self.out.notes.append(Note(level, dotted(loc), message, self.where(loc)))

    def warn(self, loc: Loc, message: str) -> None:
        self.note("warn", loc, f"{dotted(loc)} {message}")

    def refuse(self, loc: Loc, message: str) -> None:
        self.note("refuse", loc, f"{dotted(loc)} {message}")

    def seconds(self, loc: Loc, value: Any) -> int | None:
        try:
            total, rounded = convert.whole_seconds(value)
        except Unconvertible as e:
            self.warn(loc, f"{e}; dropped")
            return None
        if rounded:
            self.note("note", loc, f"{dotted(loc)} {value} is rounded up to {total} seconds (ecsp counts whole "
                                   "seconds)")
        return total

    def finish(self, what: str) -> Mapped:
        for loc in self.f.unread():
            self.warn(loc, f"has no equivalent in ecsp's {what}; dropped")
        return self.out


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class WorkloadContext:
    """Everything a workload's mapping needs besides its manifest."""

    project: str  # the Copilot application
    workload: str
    copilot_type: str  # the manifest's type: (a key of COPILOT_TYPES)
    env: Env
    root: Path  # the workspace root (Copilot paths are relative to it)
    out_dir: Path  # the folder of ecsp.yaml (ecsp paths are relative to it)
    addon_outputs: tuple[str, ...] = ()


    @property
    def type(self) -> ApplicationType:
        """The ecsp application type the workload becomes."""
        return APPLICATION_TYPES[COPILOT_TYPES[self.copilot_type]]


def map_workload(data: Mapping[str, Any], ctx: WorkloadContext, where: Callable[[Loc], str],
                 skip: set[Loc]) -> Mapped:
    """ecsp's fields for the effective manifest ``data`` of one workload in ``ctx.env``."""
    m = _Mapper(data, where, skip)
    f, out = m.f, m.out.fields
    f.get("name")
    f.get("type")
    f.get("environments")  # merged into data already
    if ctx.type.name != DEFAULT_TYPE:
        out["kind"] = ctx.type.name
    _image(m, ctx)
    if ctx.type.has(Capability.HTTP):
        _http(m, ctx)
    elif f.has("http"):
        _backend_http(m, ctx)
    for key in ("cpu", "memory"):
        value = f.get(key)
        if value is not None:
            out[key] = value
    if f.has("platform"):
        try:
            out["platform"] = convert.platform(f.get("platform"))
        except Unconvertible as e:
            m.refuse(("platform",), f"{e}")
    _count(m, ctx)
    exec_ = f.get("exec")
    enabled = flag(exec_.get("enable", True)) if isinstance(exec_, Mapping) else flag(exec_)
    if enabled is not None:
        out["exec"] = enabled
    _network(m, ctx)
    _publish(m)
    if ctx.type.has(Capability.QUEUE):
        _subscribe(m)
    if ctx.type.has(Capability.SCHEDULE):
        _job(m)
    variables = _variables(m, ctx, ("variables",), f.get("variables"))
    env_file = f.get("env_file")
    if env_file is not None:
        variables = {**_env_file(m, ctx, ("env_file",), env_file), **variables}
    if variables:
        out["variables"] = variables
    secrets = _secrets(m, ctx, ("secrets",), f.get("secrets"))
    if secrets:
        out["secrets"] = secrets
    _sidecars(m, ctx)
    _logging(m, ctx)
    _storage(m)
    _deployment(m, ctx)
    for key in ("entrypoint", "command"):
        if f.get(key) is not None:
            m.refuse((key,), "overrides the image's " + ("entrypoint" if key == "entrypoint" else "command")
                     + "; ecsp runs the image's own, which would change what runs")
    if f.get("taskdef_overrides") is not None:
        m.refuse(("taskdef_overrides",), "patches Copilot's task definition by CloudFormation path; ecsp has no "
                                         "such patches (rewrite them as ecsp fields or a Pulumi transform)")
    if f.get("nlb") is not None:
        m.refuse(("nlb",), "puts the service behind a Network Load Balancer; ecsp has only the shared ALB")
    tracing = f.get("observability", "tracing")
    if tracing is not None:
        m.warn(("observability", "tracing"), f"({tracing}) added an X-Ray sidecar; ecsp adds none: add one "
                                             "under sidecars if you need traces")
    return m.finish("application")


def _image(m: _Mapper, ctx: WorkloadContext) -> None:
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
            image["args"] = {str(k): _string(v) for k, v in build["args"].items()}
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
    if f.get("image", "credentials") is not None:
        m.refuse(("image", "credentials"), "pulls the image from a private registry with these credentials; "
                                           "ecsp pulls only public and ECR images, so the task could not start")
    if f.get("image", "labels"):
        m.warn(("image", "labels"), "set Docker labels on the container; ecsp sets none")
    if f.get("image", "depends_on"):
        m.warn(("image", "depends_on"), "ordered the main container after its sidecars; ecsp starts it with "
                                        "them: give the sidecars depends_on instead, or make the app wait")
    health = f.get("image", "healthcheck")
    if health:
        check = _container_health(m, ("image", "healthcheck"), health)
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


def _container_health(m: _Mapper, loc: Loc, health: Any) -> dict[str, Any]:
    if not isinstance(health, Mapping):
        return {}
    check: dict[str, Any] = {}
    command = health.get("command")
    if command is not None:
        check["command"] = [str(c) for c in command] if isinstance(command, list) else ["CMD-SHELL", str(command)]
    for key in ("interval", "timeout", "start_period"):
        if health.get(key) is not None:
            value = m.seconds((*loc, key), health[key])
            if value is not None:
                check[key] = value
    if health.get("retries") is not None:
        check["retries"] = health["retries"]
    return check


def _http(m: _Mapper, ctx: WorkloadContext) -> None:
    f, out = m.f, m.out.fields
    http = f.get("http")
    if flag(http) is False:
        m.refuse(("http",), "is false: the service has no Application Load Balancer, and every ecsp web "
                            "application is served by the environment's ALB (make it kind: backend by hand if "
                            "it needs no public traffic)")
        return
    if not isinstance(http, Mapping):
        return
    path = http.get("path")
    if path is not None:
        path = str(path).strip()
        mapped = "/" + path.strip("/") if path not in ("", "/", "*", "/*") else "/"
        if not re.fullmatch(r"/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?", mapped):
            m.refuse(("http", "path"), f"'{path}' is a pattern ecsp cannot route (letters, digits and . _ ~ - "
                                       "between slashes only)")
        else:
            out["path"] = mapped
    health = http.get("healthcheck")
    check: dict[str, Any] = {}
    if isinstance(health, str):
        check["path"] = health
    elif isinstance(health, Mapping):
        loc = ("http", "healthcheck")
        for key in ("path", "success_codes", "healthy_threshold", "unhealthy_threshold"):
            if health.get(key) is not None:
                check[key] = str(health[key]) if key == "success_codes" else health[key]
        for key in ("interval", "timeout", "grace_period"):
            if health.get(key) is not None:
                value = m.seconds((*loc, key), health[key])
                if value is not None:
                    check[key] = value
        port = health.get("port")
        if port is not None and port != out.get("port"):
            m.warn((*loc, "port"), f"{port} differs from the container port {out.get('port')}; ecsp checks the "
                                   "container port")
    if check:
        out["healthcheck"] = check
    if http.get("deregistration_delay") is not None:
        value = m.seconds(("http", "deregistration_delay"), http["deregistration_delay"])
        if value is not None:
            out["deregistration_delay"] = value
    aliases = _servable(m, ctx.env, _aliases(m, http.get("alias"), http.get("hosted_zone")))
    if aliases:
        out["aliases"] = aliases
    target = http.get("target_container", http.get("targetContainer"))
    if target is not None and target != ctx.workload:
        m.refuse(("http", "target_container"), f"sends the traffic to the sidecar '{target}'; ecsp routes to the "
                                               "main container only, so requests would reach the wrong process")
    target_port = http.get("target_port")
    if target_port is not None and target_port != out.get("port"):
        m.warn(("http", "target_port"), f"{target_port} differs from the container port; ecsp sends traffic to "
                                        "the container port")
    if http.get("stickiness"):
        m.warn(("http", "stickiness"), "kept each client on one task; ecsp's target group is not sticky")
    if http.get("allowed_source_ips"):
        m.warn(("http", "allowed_source_ips"), f"restricted the service to {', '.join(http['allowed_source_ips'])}; "
                                               "ecsp's ALB accepts all sources")
    if http.get("redirect_to_https") is False:
        m.warn(("http", "redirect_to_https"), "is false; ecsp always redirects HTTP to HTTPS when there is a "
                                              "domain")
    version = http.get("version")
    if version is not None and str(version).lower() not in ("http1",):
        m.warn(("http", "version"), f"{version}: ecsp's target groups speak HTTP/1.1 only")
    if http.get("additional_rules"):
        m.refuse(("http", "additional_rules"), "routes more paths or ports to the service; ecsp gives an "
                                               "application one path, so those requests would not arrive")
    if http.get("alb") is not None:
        m.refuse(("http", "alb"), "attaches the service to an existing load balancer; ecsp uses the "
                                  "environment's own ALB")


def _aliases(m: _Mapper, alias: Any, zone: Any) -> list[str]:
    names: list[str] = []
    zones = [zone] if zone else []
    for item in alias if isinstance(alias, list) else [alias] if alias else []:
        if isinstance(item, Mapping):
            if item.get("name"):
                names.append(str(item["name"]))
            if item.get("hosted_zone"):
                zones.append(item["hosted_zone"])
        else:
            names.append(str(item))
    if zones:
        m.warn(("http", "hosted_zone"), f"put the alias records into {', '.join(dict.fromkeys(map(str, zones)))}; "
                                        "ecsp writes them into the project's hosted zone: check where they land")
    return names


def _servable(m: _Mapper, env: Env, aliases: list[str]) -> list[str]:
    """The aliases ecsp can serve in ``env``; the others dropped with a warning that says what to add.

    ecsp routes an alias with the environment's certificate when it is in the environment's own
    zone, and any other name when the environment brings certificates (http.public.certificates).
    """
    if env.certificates:
        return aliases
    kept = [a for a in aliases if env.zone and (a == env.zone or a.endswith(f".{env.zone}"))]
    for alias in aliases:
        if alias not in kept:
            where = f"is outside {env.zone}" if env.zone else "has no zone of ecsp's (the project has no domain)"
            m.warn(("http", "alias"), f"{alias} {where} and environment {env.name} has no certificates, so ecsp "
                                      "has no certificate for it; add one to the environment's certificates in "
                                      "ecsp.yaml (or pass --domain if it is under the application's domain) and "
                                      "list it under aliases")
    return kept


def _backend_http(m: _Mapper, ctx: WorkloadContext) -> None:
    http = m.f.get("http")
    if http is False or not isinstance(http, Mapping):
        return
    m.warn(("http",), "routed the backend through the environment's internal load balancer; ecsp backends are "
                      "reached through Service Connect only (connect), so callers of the internal ALB's DNS "
                      "name must call http://" + f"{ctx.workload}:PORT instead")


def _count(m: _Mapper, ctx: WorkloadContext) -> None:
    f, out = m.f, m.out.fields
    count = f.get("count")
    if count is None:
        return
    if isinstance(count, int) and not isinstance(count, bool):
        out["count"] = count
        return
    if not isinstance(count, Mapping):
        m.warn(("count",), f"{count!r} is not a task count; dropped (1 task)")
        return
    if count.get("spot") is not None:
        out["count"] = count["spot"]
        out["capacity"] = "spot"
        return
    if count.get("range") is None:
        m.warn(("count",), "has neither range nor spot; dropped (1 task)")
        return
    try:
        low, high, spot_from = convert.count_range(count["range"])
    except Unconvertible as e:
        m.refuse(("count", "range"), f"{e}")
        return
    scaled: dict[str, Any] = {"min": low, "max": high}
    cooldowns: list[tuple[Loc, Any]] = []
    if count.get("cooldown"):
        cooldowns.append((("count", "cooldown"), count["cooldown"]))
    for key in ("cpu_percentage", "memory_percentage", "requests"):
        value = count.get(key)
        if isinstance(value, Mapping):
            if value.get("cooldown"):
                cooldowns.append((("count", key, "cooldown"), value["cooldown"]))
            value = value.get("value")
        if value is not None:
            scaled[key] = value
    if count.get("response_time") is not None:
        m.warn(("count", "response_time"), "scaled on the ALB's response time; ecsp scales on cpu, memory and "
                                           "requests only")
    delay = count.get("queue_delay")
    if isinstance(delay, Mapping):
        queue_delay: dict[str, Any] = {}
        if delay.get("acceptable_latency") is not None:
            value = m.seconds(("count", "queue_delay", "acceptable_latency"), delay["acceptable_latency"])
            if value is not None:
                queue_delay["latency"] = value
        if delay.get("msg_processing_time") is not None:
            queue_delay["processing_time"] = _duration_text(m, ("count", "queue_delay", "msg_processing_time"),
                                                            delay["msg_processing_time"])
        if delay.get("cooldown"):
            cooldowns.append((("count", "queue_delay", "cooldown"), delay["cooldown"]))
        if queue_delay:
            scaled["queue_delay"] = queue_delay
            if scaled.get("min") == 0:
                # Copilot's own backlog Lambda published a value with no task running; ecsp's metric math
                # divides by the running tasks, so a worker at 0 would never scale out.
                scaled["min"] = 1
                m.note("note", ("count", "range"), "count.range starts at 0: ecsp keeps one task running, because "
                                                   "its backlog per task needs a running task to measure")
    _cooldowns(m, scaled, cooldowns)
    out["count"] = scaled
    if spot_from is not None:
        if spot_from <= 1 or spot_from < low:
            out["capacity"] = "spot"
        else:
            out["capacity"] = {"spot": SPOT_WEIGHT, "base": spot_from - 1}
            m.warn(("count", "range", "spot_from"), f"{spot_from} ran every task after the first {spot_from - 1} "
                                                    f"on Fargate Spot; ecsp's capacity {{spot: {SPOT_WEIGHT}, base: "
                                                    f"{spot_from - 1}}} also runs 1 on-demand task per "
                                                    f"{SPOT_WEIGHT} on Spot after the base")


def _duration_text(m: _Mapper, loc: Loc, value: Any) -> Any:
    """Whole seconds as a number; a sub-second duration keeps Copilot's text (``250ms``)."""
    try:
        exact = convert.seconds(value)
    except Unconvertible as e:
        m.warn(loc, f"{e}; dropped")
        return None
    return int(exact) if exact == int(exact) else str(value)


def _cooldowns(m: _Mapper, scaled: dict[str, Any], cooldowns: list[tuple[Loc, Any]]) -> None:
    """Copilot has a cooldown per policy; ecsp one pair for all: keep it when they agree."""
    found: dict[str, dict[int, Loc]] = {"in": {}, "out": {}}
    for loc, cooldown in cooldowns:
        for key in ("in", "out"):
            if isinstance(cooldown, Mapping) and cooldown.get(key) is not None:
                value = m.seconds((*loc, key), cooldown[key])
                if value is not None:
                    found[key].setdefault(value, (*loc, key))
    for key in ("in", "out"):
        values = found[key]
        if not values:
            continue
        first = next(iter(values))
        scaled[f"cooldown_{key}"] = first
        if len(values) > 1:
            others = ", ".join(f"{v}s ({dotted(loc)})" for v, loc in list(values.items())[1:])
            m.warn(next(iter(values.values())), f"differs between policies ({others}); ecsp has one scale-{key} "
                                                f"cooldown for all policies: {first}s")


def _network(m: _Mapper, ctx: WorkloadContext) -> None:
    f, out = m.f, m.out.fields
    placement = f.get("network", "vpc", "placement")
    if placement in ("public", "private"):
        out["placement"] = placement
    elif isinstance(placement, Mapping):
        m.warn(("network", "vpc", "placement", "subnets"), "chose the subnets by id or tag; ecsp places tasks in "
                                                           "the environment's public subnets (or private with "
                                                           "placement: private)")
    groups = f.get("network", "vpc", "security_groups")
    listed = groups.get("groups", []) if isinstance(groups, Mapping) else groups or []
    if isinstance(groups, Mapping) and groups.get("deny_default"):
        m.warn(("network", "vpc", "security_groups", "deny_default"), "removed the environment security group; "
                                                                      "ecsp always attaches it")
    if any(isinstance(g, Mapping) and "from_cfn" in g for g in listed):
        m.refuse(("network", "vpc", "security_groups"), "takes a security group from another stack (from_cfn, "
                                                        "usually an addon's database access); without it the "
                                                        "service cannot reach that resource")
    elif listed:
        m.warn(("network", "vpc", "security_groups"), f"added {', '.join(map(str, listed))} to the tasks; ecsp "
                                                      "attaches only the environment's security group")
    connect = f.get("network", "connect")
    connect = (connect.get("alias") or True) if isinstance(connect, Mapping) else flag(connect)
    if not ctx.type.has(Capability.SERVICE):
        if connect:
            m.warn(("network", "connect"), "is set on a job; ecsp jobs take no part in Service Connect")
        return
    if ctx.copilot_type == "Backend Service" and not connect and out.get("port") is not None:
        # Copilot registered every backend with a port in Cloud Map; without connect an ecsp backend
        # could not be reached at all.
        m.note("note", ("network", "connect"), f"network.connect is not set; Copilot still made the service "
                                               f"reachable as {ctx.workload}.{ctx.env.name}.{ctx.project}.local, "
                                               f"so ecsp turns on Service Connect: callers use "
                                               f"http://{ctx.workload}:{out['port']}")
        connect = True
    if not connect:
        return
    if ctx.type.has(Capability.SERVE) and not ctx.type.has(Capability.HTTP) and out.get("port") is None:
        m.warn(("network", "connect"), "is set, but the service has no image.port to serve on; ecsp needs a "
                                       "port for Service Connect: dropped")
        return
    out["connect"] = connect if ctx.type.has(Capability.SERVE) else True


def _publish(m: _Mapper) -> None:
    topics = m.f.get("publish", "topics")
    names = []
    for i, topic in enumerate(topics or []):
        if not isinstance(topic, Mapping) or not topic.get("name"):
            continue
        names.append(str(topic["name"]))
        if topic.get("fifo"):
            m.warn(("publish", "topics", i, "fifo"), f"made topic {topic['name']} FIFO; ecsp's topics are "
                                                     "standard (no ordering, possible duplicates)")
    if names:
        m.out.fields["publish"] = names


def _subscribe(m: _Mapper) -> None:
    f, out = m.f, m.out.fields
    subscriptions = []
    for i, topic in enumerate(f.get("subscribe", "topics") or []):
        if not isinstance(topic, Mapping):
            continue
        entry: dict[str, Any] = {"app": topic.get("service"), "topic": topic.get("name")}
        if topic.get("filter_policy"):
            entry["filter"] = topic["filter_policy"]
        subscriptions.append(entry)
        if topic.get("queue"):
            m.warn(("subscribe", "topics", i, "queue"), f"gave topic {topic.get('name')} of {topic.get('service')} "
                                                        "its own queue; ecsp delivers every topic to the worker's "
                                                        "one queue (ECSP_QUEUE_URL)")
    if subscriptions:
        out["subscribe"] = subscriptions
    queue = f.get("subscribe", "queue")
    if isinstance(queue, Mapping) and queue:
        mapped: dict[str, Any] = {}
        for key, target in (("retention", "retention"), ("timeout", "visibility_timeout")):
            if queue.get(key) is not None:
                value = m.seconds(("subscribe", "queue", key), queue[key])
                if value is not None:
                    mapped[target] = value
        tries = (queue.get("dead_letter") or {}).get("tries")
        if tries is not None:
            mapped["max_receive_count"] = tries
        if queue.get("delay") is not None:
            m.warn(("subscribe", "queue", "delay"), f"({queue['delay']}) delayed every message; ecsp's queue "
                                                    "delivers at once")
        if queue.get("fifo"):
            m.warn(("subscribe", "queue", "fifo"), "made the queue FIFO; ecsp's queue is standard (no ordering, "
                                                   "possible duplicates): make sure the worker tolerates both")
        if mapped:
            out["queue"] = mapped


def _job(m: _Mapper) -> None:
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


def _string(value: Any) -> str:
    # Copilot reads every variable as a string; YAML gave us bools and numbers.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _runtime_names(m: _Mapper, loc: Loc, value: str) -> str:
    """``$COPILOT_X`` references (read by a shell in the container) renamed to ecsp's variables."""
    def rename(match: re.Match[str]) -> str:
        name = match.group(2)
        new = RUNTIME_NAMES.get(name)
        if new is None:
            m.warn(loc, f"reads ${name}, which Copilot set in the container and ecsp does not")
            return match.group(0)
        return match.group(0).replace(name, new)

    return _RUNTIME_REF.sub(rename, value)


def _variables(m: _Mapper, ctx: WorkloadContext, loc: Loc, variables: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in (variables or {}).items():
        if isinstance(value, Mapping):
            if "from_cfn" in value:
                m.refuse((*loc, name), f"takes its value from the CloudFormation export {value['from_cfn']} "
                                       "(from_cfn); ecsp cannot read other stacks' exports, and the service needs "
                                       "the value")
            continue
        if value is None:
            continue
        out[str(name)] = _runtime_names(m, (*loc, name), _string(value))
    return out


def _env_file(m: _Mapper, ctx: WorkloadContext, loc: Loc, path: Any) -> dict[str, str]:
    file = ctx.root / str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError:
        m.warn(loc, f"{path} is not in the workspace; ecsp has no env files: add its variables under variables")
        return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        # The ECS env-file format: NAME=VALUE per line, '#' comments, no quoting.
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value
    m.note("note", loc, f"env_file {path}: its {len(values)} variable(s) are written under variables (ecsp has no "
                        "env files); keep them in sync or move them here")
    return values


def _secrets(m: _Mapper, ctx: WorkloadContext, loc: Loc, secrets: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    env = ctx.env
    for name, value in (secrets or {}).items():
        here = (*loc, name)
        if isinstance(value, Mapping) and "from_cfn" in value:
            m.refuse(here, f"takes its value from the CloudFormation export {value['from_cfn']} (from_cfn); ecsp "
                           "cannot read other stacks' exports, and the service needs the secret")
            continue
        if isinstance(value, Mapping) and value.get("secretsmanager"):
            reference = str(value["secretsmanager"])
            if reference.startswith("arn:"):
                out[str(name)] = reference
            elif env.region and env.account:
                # What Copilot's template did: the secret's name in the environment's own account and region.
                out[str(name)] = f"arn:{env.partition}:secretsmanager:{env.region}:{env.account}:secret:{reference}"
            else:
                m.warn(here, f"names the Secrets Manager secret '{reference}', and ecsp needs its ARN, which takes "
                             f"environment {env.name}'s account: pass --env {env.name}=REGION:ACCOUNT (or "
                             "--from-aws); dropped")
            continue
        if not isinstance(value, str) or secret_kind(value) is None:
            m.refuse(here, f"{value!r} is not an SSM parameter name or ARN ecsp can read, and the service needs "
                           "the secret")
            continue
        out[str(name)] = value
    return out


def _sidecars(m: _Mapper, ctx: WorkloadContext) -> None:
    sidecars = m.f.get("sidecars")
    if not isinstance(sidecars, Mapping) or not sidecars:
        return
    out: dict[str, Any] = {}
    for name, sidecar in sidecars.items():
        loc: Loc = ("sidecars", name)
        if not isinstance(sidecar, Mapping):
            continue
        mapped: dict[str, Any] = {}
        image = sidecar.get("image")
        if isinstance(image, Mapping):
            if image.get("build") is not None:
                m.refuse((*loc, "image", "build"), "builds the sidecar's image; ecsp sidecars take an image URI, "
                                                   "so build and push it yourself and set image")
            image = image.get("location")
        if image is not None:
            mapped["image"] = image
        port = sidecar.get("port")
        if port is not None:
            number, _, protocol = str(port).partition("/")
            if protocol and protocol.lower() != "tcp":
                m.warn((*loc, "port"), f"{port}: ecsp exposes sidecar ports as TCP")
            mapped["port"] = int(number)
        if flag(sidecar.get("essential")) is not None:
            mapped["essential"] = flag(sidecar["essential"])
        variables = _variables(m, ctx, (*loc, "variables"), sidecar.get("variables"))
        if variables:
            mapped["variables"] = variables
        secrets = _secrets(m, ctx, (*loc, "secrets"), sidecar.get("secrets"))
        if secrets:
            mapped["secrets"] = secrets
        if sidecar.get("depends_on"):
            mapped["depends_on"] = dict(sidecar["depends_on"])
        check = _container_health(m, (*loc, "healthcheck"), sidecar.get("healthcheck"))
        if check:
            mapped["healthcheck"] = check
        command = sidecar.get("command")
        if command is not None:
            words = [str(c) for c in command] if isinstance(command, list) else shlex.split(str(command))
            mapped["command"] = [_runtime_names(m, (*loc, "command"), w) for w in words]
        if sidecar.get("entrypoint") is not None:
            m.refuse((*loc, "entrypoint"), "overrides the sidecar's entrypoint; ecsp sidecars run their image's "
                                           "own, which would change what runs")
        if sidecar.get("mount_points"):
            m.refuse((*loc, "mount_points"), "mounts the service's volumes into the sidecar; ecsp mounts volumes "
                                             "into the main container only, so the sidecar would write elsewhere")
        if sidecar.get("credentialsParameter") is not None:
            m.refuse((*loc, "credentialsParameter"), "pulls the sidecar from a private registry; ecsp cannot, so "
                                                     "the task could not start")
        if sidecar.get("labels"):
            m.warn((*loc, "labels"), "set Docker labels; ecsp sets none")
        if sidecar.get("env_file") is not None:
            m.warn((*loc, "env_file"), "ecsp has no env files: add its variables under the sidecar's variables")
        out[str(name)] = mapped
    m.out.fields["sidecars"] = out


def _logging(m: _Mapper, ctx: WorkloadContext) -> None:
    logging = m.f.get("logging")
    if not isinstance(logging, Mapping):
        return
    retention = logging.get("retention")
    if retention is not None:
        # Round up, so logs are never kept for less time than they were.
        allowed = [d for d in LOG_RETENTION_DAYS if d >= retention]
        days = allowed[0] if allowed else LOG_RETENTION_DAYS[-1]
        if days != retention:
            m.note("note", ("logging", "retention"), f"logging.retention {retention} days is not a CloudWatch "
                                                     f"retention; ecsp keeps logs {days} days")
        m.out.fields["log_retention"] = days
    if logging.get("image") is not None or logging.get("destination"):
        options = {str(k): _string(v) for k, v in (logging.get("destination") or {}).items()}
        m.out.fields["logging"] = {"firelens": {"image": logging.get("image") or FLUENT_BIT_IMAGE, "options": options}}
    for key, what in (("enableMetadata", "chose whether ECS metadata is added to log records"),
                      ("secretOptions", "passed secrets to the log router"),
                      ("configFilePath", "pointed Fluent Bit at a config file in its image"),
                      ("variables", "set variables on the log router"), ("secrets", "set secrets on the log router"),
                      ("env_file", "gave the log router an env file")):
        if logging.get(key) not in (None, {}):
            m.warn(("logging", key), f"{what}; ecsp's FireLens router takes only image and options")


def _storage(m: _Mapper) -> None:
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


def _deployment(m: _Mapper, ctx: WorkloadContext) -> None:
    deployment = m.f.get("deployment")
    if not isinstance(deployment, Mapping):
        return
    rolling = deployment.get("rolling")
    if rolling == "recreate":
        m.out.fields["deployment"] = {"rolling": "recreate"}
    elif rolling not in (None, "default"):
        m.warn(("deployment", "rolling"), f"'{rolling}' is not a Copilot strategy; ecsp uses the default")
    if deployment.get("rollback_alarms"):
        m.warn(("deployment", "rollback_alarms"), "rolled deployments back on CloudWatch alarms; ecsp rolls back "
                                                  "on the circuit breaker only")


# --------------------------------------------------------------------------- environments


def map_environment(data: Mapping[str, Any], where: Callable[[Loc], str], skip: set[Loc]) -> Mapped:
    """ecsp's fields (network, certificates, ...) for an environment manifest (region and account come later)."""
    from ecsp import network as carving

    m = _Mapper(data, where, skip)
    f, out = m.f, m.out.fields
    f.get("name")
    f.get("type")
    network: dict[str, Any] = {}
    vpc_id = f.get("network", "vpc", "id")
    subnets = f.get("network", "vpc", "subnets") or {}
    if vpc_id is not None:
        vpc: dict[str, Any] = {"id": vpc_id}
        for side in ("public", "private"):
            ids = [s.get("id") for s in subnets.get(side) or [] if isinstance(s, Mapping) and s.get("id")]
            if ids:
                vpc[f"{side}_subnets"] = ids
        network["vpc"] = vpc
    cidr = f.get("network", "vpc", "cidr")
    if cidr is not None:
        try:
            carved = carving.carve(str(cidr))
            network["cidr"] = str(cidr)
        except ValueError as e:
            carved = None
            m.warn(("network", "vpc", "cidr"), f"{cidr}: {e}; ecsp uses its default 10.0.0.0/16")
        if carved is not None:
            _subnet_layout(m, subnets, carved)
    elif vpc_id is None and subnets:
        _subnet_layout(m, subnets, carving.carve("10.0.0.0/16"))
    flow_logs = f.get("network", "vpc", "flow_logs")
    if flag(flow_logs) is True:
        network["flow_logs"] = True
    elif isinstance(flow_logs, Mapping):
        network["flow_logs"] = {"retention": flow_logs.get("retention", 14)}
    if f.get("network", "vpc", "security_group"):
        m.warn(("network", "vpc", "security_group"), "added rules to the environment security group; ecsp's "
                                                     "allows only the load balancer and the environment itself")
    if network:
        out["network"] = network
    insights = f.get("observability", "container_insights")
    if insights is not None:
        out["container_insights"] = insights == "enhanced" or bool(flag(insights))
        if insights == "enhanced":
            m.note("note", ("observability", "container_insights"), "observability.container_insights enhanced "
                                                                    "is turned on as standard Container Insights")
    certificates = f.get("http", "public", "certificates")
    if certificates:
        out["certificates"] = list(certificates)
    logs = f.get("http", "public", "access_logs")
    if flag(logs) is True:
        out["access_logs"] = True
    elif isinstance(logs, Mapping):
        if logs.get("bucket_name"):
            out["access_logs"] = {"bucket": logs["bucket_name"], **({"prefix": logs["prefix"]}
                                                                   if logs.get("prefix") else {})}
        else:
            out["access_logs"] = True
            if logs.get("prefix"):
                m.warn(("http", "public", "access_logs", "prefix"), f"{logs['prefix']}: ecsp's own access-log "
                                                                    "bucket takes no prefix")
    if f.get("http", "public", "ssl_policy") is not None:
        m.warn(("http", "public", "ssl_policy"), f"{f.get('http', 'public', 'ssl_policy')}: ecsp's HTTPS listener "
                                                 "uses its own modern TLS policy")
    ingress = f.get("http", "public", "ingress") or {}
    legacy = f.get("http", "public", "security_groups")
    if ingress.get("cdn") or (isinstance(legacy, Mapping) and legacy):
        m.warn(("http", "public", "ingress"), "restricted the ALB to CloudFront; ecsp's ALB accepts all sources")
    if ingress.get("source_ips"):
        m.warn(("http", "public", "ingress", "source_ips"), f"restricted the ALB to "
                                                            f"{', '.join(map(str, ingress['source_ips']))}; ecsp's "
                                                            "ALB accepts all sources")
    if f.get("http", "private"):
        m.warn(("http", "private"), "configured the internal load balancer of Backend Services; ecsp has none "
                                    "(backends are reached through Service Connect)")
    if f.get("cdn"):
        m.warn(("cdn",), "put CloudFront in front of the ALB; ecsp serves straight from the ALB")
    return m.finish("environment")


def _subnet_layout(m: _Mapper, subnets: Mapping[str, Any], carved: Any) -> None:
    wanted = {"public": list(carved.public), "private": list(carved.private)}
    for side in ("public", "private"):
        given = [s for s in subnets.get(side) or [] if isinstance(s, Mapping)]
        cidrs = [str(s["cidr"]) for s in given if s.get("cidr")]
        if cidrs and cidrs != wanted[side]:
            m.warn(("network", "vpc", "subnets", side), f"were {', '.join(cidrs)}; ecsp carves "
                                                        f"{', '.join(wanted[side])} itself")
        if any(s.get("az") for s in given):
            m.warn(("network", "vpc", "subnets", side), "pinned availability zones; ecsp picks the region's first "
                                                        "two")
