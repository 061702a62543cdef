"""The http section: a web service's path, health check, aliases and rules; a backend's internal load balancer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ecsp.importer.fields import Env, Mapper, WorkloadContext, flag


def web(m: Mapper, ctx: WorkloadContext) -> None:
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
    names = _aliases(m, http.get("alias"), http.get("hosted_zone"))
    if ctx.env.copilot_domain:
        host = (f"{ctx.copilot_workload or ctx.workload}.{ctx.env.copilot_name}.{ctx.copilot_app or ctx.project}."
                f"{ctx.env.copilot_domain}")
        names.insert(0, host)
        m.note("note", ("http",), f"aliases: {host}, the service's name under Copilot's domain, is kept as an alias "
                                  "(its DNS record stays Copilot's until the cutover)")
    aliases = servable(m, ctx.env, names)
    if aliases:
        out["aliases"] = aliases
    target = http.get("target_container", http.get("targetContainer"))
    sidecar: Any = None
    if target is not None and target not in (ctx.workload, ctx.copilot_workload):
        # Copilot's container is named after the service: a target other than that is a sidecar.
        out["target_container"] = str(target)
        sidecar = (m.f.get("sidecars") or {}).get(target)
    target_port = http.get("target_port")
    port = sidecar.get("port") if isinstance(sidecar, Mapping) else out.get("port")
    if target_port is not None and str(target_port) != str(port).partition("/")[0]:
        m.warn(("http", "target_port"), f"{target_port} differs from the target container's port; ecsp sends "
                                        "traffic to that container's port")
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
    rules = http.get("additional_rules")
    if isinstance(rules, list) and rules:
        routes = [route for i, rule in enumerate(rules) if (route := _route(m, ctx, i, rule)) is not None]
        if routes:
            out["routes"] = routes
    if http.get("alb") is not None:
        m.refuse(("http", "alb"), "attaches the service to an existing load balancer; ecsp uses the "
                                  "environment's own ALB")


# What an additional rule may set that ecsp's route has no counterpart for: (why it mattered).
_ROUTE_DROPPED = {
    "stickiness": "kept each client on one task; ecsp's target groups are not sticky",
    "allowed_source_ips": "restricted the rule to some sources; ecsp's ALB accepts all sources",
    "deregistration_delay": "set the rule's own draining time; ecsp drains every target group of the application "
                            "for its deregistration_delay",
    "version": "set the target group's protocol version; ecsp's target groups speak HTTP/1.1",
}


def _route(m: Mapper, ctx: WorkloadContext, i: int, rule: Any) -> dict[str, Any] | None:
    """One of Copilot's ``http.additional_rules`` as an ecsp route (path, aliases, target container, health
    check), or None (refused, or left out with a warning)."""
    loc = ("http", "additional_rules", i)
    if not isinstance(rule, Mapping) or rule.get("path") is None:
        m.refuse(loc, "has no path; Copilot needs one for each rule, and so does ecsp's route")
        return None
    path = str(rule["path"]).strip()
    mapped = "/" + path.strip("/") if path not in ("", "/", "*", "/*") else "/"
    if not re.fullmatch(r"/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?", mapped):
        m.refuse((*loc, "path"), f"'{path}' is a pattern ecsp cannot route (letters, digits and . _ ~ - between "
                                 "slashes only)")
        return None
    route: dict[str, Any] = {"path": mapped}
    aliases = servable(m, ctx.env, _aliases(m, rule.get("alias"), rule.get("hosted_zone")))
    if aliases:
        route["aliases"] = aliases
    elif rule.get("alias"):
        # Without its host names the route would match the application's: left out, as an unservable alias is.
        m.warn((*loc, "alias"), "names only host names ecsp cannot serve here (see the warning above); the route is "
                                "left out until they can be served")
        return None
    target = rule.get("target_container")
    if target is not None and target not in (ctx.workload, ctx.copilot_workload):
        route["target_container"] = str(target)
    health = rule.get("healthcheck")
    if isinstance(health, str):
        route["healthcheck"] = {"path": health}
    elif isinstance(health, Mapping) and health.get("path") is not None:
        route["healthcheck"] = {"path": str(health["path"])}
        if set(health) - {"path"}:
            m.warn((*loc, "healthcheck"), "set more than the path; the route's health check takes ecsp's defaults "
                                          "for the rest (its path only was carried over)")
    if rule.get("target_port") is not None:
        m.note("note", (*loc, "target_port"), f"target_port {rule['target_port']}: ecsp sends the route's "
                                              "requests to its target container's port")
    for key, why in _ROUTE_DROPPED.items():
        if rule.get(key):
            m.warn((*loc, key), why)
    if rule.get("redirect_to_https") is False:
        m.warn((*loc, "redirect_to_https"), "is false; ecsp redirects HTTP to HTTPS whenever there is HTTPS")
    return route


def _aliases(m: Mapper, alias: Any, zone: Any) -> list[str]:
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


def servable(m: Mapper, env: Env, aliases: list[str]) -> list[str]:
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


def backend(m: Mapper, ctx: WorkloadContext) -> None:
    http = m.f.get("http")
    if http is False or not isinstance(http, Mapping):
        return
    m.warn(("http",), "routed the backend through the environment's internal load balancer; ecsp backends are "
                      "reached through Service Connect only (connect), so callers of the internal ALB's DNS "
                      "name must call http://" + f"{ctx.workload}:PORT instead")
