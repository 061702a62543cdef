"""A service's count (tasks, autoscaling, Spot), network (placement, security groups, Service Connect), deployment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ecsp.config import Capability
from ecsp.config.links import SECURITY_GROUP_PATTERN
from ecsp.importer import convert
from ecsp.importer.convert import Unconvertible
from ecsp.importer.fields import Loc, Mapper, WorkloadContext, dotted, flag
from ecsp.importer.variables import from_cfn

# Spot weight for `count.range.spot_from`: Copilot ran every task above the base on Spot (on-demand weight
# 0), which ecsp's {spot: N, base: M} (N Spot per on-demand task) can only approach.
SPOT_WEIGHT = 9


def count(m: Mapper, ctx: WorkloadContext) -> None:
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
        if value is not None and key == "requests" and not ctx.type.has(Capability.HTTP):
            # A Backend Service behind Copilot's internal load balancer counted its requests; ecsp's backends
            # have no load balancer (see http), so nothing is there to count.
            m.warn(("count", "requests"), f"({value}) scaled on the internal load balancer's requests; ecsp's "
                                          "application has none, so it scales on the other targets (add "
                                          "cpu_percentage if there is none)")
        elif value is not None:
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


def _duration_text(m: Mapper, loc: Loc, value: Any) -> Any:
    """Whole seconds as a number; a sub-second duration keeps Copilot's text (``250ms``)."""
    try:
        exact = convert.seconds(value)
    except Unconvertible as e:
        m.warn(loc, f"{e}; dropped")
        return None
    return int(exact) if exact == int(exact) else str(value)


def _cooldowns(m: Mapper, scaled: dict[str, Any], cooldowns: list[tuple[Loc, Any]]) -> None:
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


def network(m: Mapper, ctx: WorkloadContext) -> None:
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
    kept: list[Any] = []
    for i, group in enumerate(listed):
        if isinstance(group, Mapping) and "from_cfn" in group:
            found = from_cfn(m, ("network", "vpc", "security_groups", i), group)
            if found is not None:
                kept.append(found)
        elif isinstance(group, str) and re.fullmatch(SECURITY_GROUP_PATTERN, group):
            kept.append(group)
        else:
            m.warn(("network", "vpc", "security_groups", i), f"'{group}' is not a security group id (sg- and 8 or "
                                                             "17 hex digits); dropped")
    if kept:
        out["security_groups"] = kept
    connect = f.get("network", "connect")
    connect = (connect.get("alias") or True) if isinstance(connect, Mapping) else flag(connect)
    if not ctx.type.has(Capability.SERVICE):
        if connect:
            m.warn(("network", "connect"), "is set on a job; ecsp jobs take no part in Service Connect")
        return
    if ctx.type.has(Capability.SERVE) and not ctx.type.has(Capability.HTTP) and not connect \
            and out.get("port") is not None:
        # Copilot registered every service with a port in Cloud Map; without connect an ecsp backend (a
        # Backend Service, or a web service without http) could not be reached at all.
        m.note("note", ("network", "connect"), "network.connect is not set, and Copilot still registered the "
                                               "service in its service discovery; ecsp turns on Service Connect "
                                               "so that it stays reachable")
        connect = True
    if not connect:
        return
    if ctx.type.has(Capability.SERVE) and not ctx.type.has(Capability.HTTP) and out.get("port") is None:
        m.warn(("network", "connect"), "is set, but the service has no image.port to serve on; ecsp needs a "
                                       "port for Service Connect: dropped")
        return
    out["connect"] = connect if ctx.type.has(Capability.SERVE) else True


def deployment(m: Mapper, ctx: WorkloadContext) -> None:
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
