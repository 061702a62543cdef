"""Project-wide rules across sections, run on the resolved applications."""

from __future__ import annotations

import difflib
import graphlib
from collections.abc import Collection, Mapping
from typing import Any

from ecsp import naming, priorities
from ecsp.config.aliases import aliases_are_routable
from ecsp.config.application import ApplicationSpec, ResolvedApplication
from ecsp.config.base import FieldError, quoted_list
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.fields import Capability
from ecsp.config.needs import Feature, Need
from ecsp.config.project import ProjectSection
from ecsp.config.resolve import Resolved, field_path, is_overridden, is_set, resolve_applications


def check_project(
    project: ProjectSection | None,
    environments: Mapping[str, EnvironmentConfig],
    applications: Mapping[str, ApplicationSpec],
    known_environments: Collection[str] | None = None,
) -> tuple[Resolved, list[FieldError]]:
    """Run every cross-field rule; return the resolved applications and every problem found.

    Works on a subset too (see :func:`partial_problems`): ``known_environments`` are all the
    environment names written in the file, valid or not, so an override is not reported as
    naming an unknown environment just because that environment has a problem of its own.
    """
    known = list(environments) if known_environments is None else list(known_environments)
    errors = overrides_name_known_environments(applications, known)
    resolved, resolution_errors = resolve_applications(environments, applications)
    errors += resolution_errors
    errors += paths_unique_per_environment(environments, applications, resolved,
                                           has_domain=project is not None and project.domain is not None)
    errors += needs_are_met(environments, applications, resolved)
    errors += subscriptions_name_published_topics(environments, applications, resolved)
    if project is not None:
        errors += derived_names_fit(project, environments, applications)
        errors += certificates_in_environment_account(project, environments)
        errors += aliases_are_routable(project, environments, applications, resolved)
        errors += shifted_traffic_has_one_rule(project, applications, resolved)
    return resolved, errors


def overrides_name_known_environments(
    applications: Mapping[str, ApplicationSpec], known: Collection[str]
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not known:
        return errors  # no readable environments: every override would look wrong
    for app, cfg in applications.items():
        for env in cfg.environments:
            if env not in known:
                close = difflib.get_close_matches(env, list(known), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "add it under environments, or remove this override"
                errors.append(FieldError(("applications", app, "environments", env),
                                         f"there is no environment '{env}' (environments: {', '.join(known)}); "
                                         f"{hint}"))
    return errors


def paths_unique_per_environment(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationSpec],
    resolved: Resolved, *, has_domain: bool = False,
) -> list[FieldError]:
    """Each path is routed to one application per load balancer; the root path '/' to several only when host
    names tell them apart (each has its own with a domain, or aliases), all but at most one of them."""
    errors = []
    for env in environments:
        seen: dict[str, str] = {}
        hostless_root: str | None = None
        for app, cfg in applications.items():
            # Only applications behind the load balancer have a rule on it (the others may not set a path).
            if (env, app) not in resolved or not resolved[(env, app)].has(Capability.HTTP):
                continue
            settings = resolved[(env, app)]
            errors += _route_path_problems(cfg, env, app, settings, seen, has_domain)
            path = settings.path
            if path == "/":
                if has_domain or settings.aliases:
                    continue  # its rules match its host names: another root application's do not meet them
                if hostless_root is None:
                    hostless_root = app
                    continue
                first = hostless_root
            elif path not in seen:
                seen[path] = app
                continue
            else:
                first = seen[path]
            where = field_path(cfg, env, "path", app)
            overridden = is_overridden(cfg, env, "path") or is_overridden(applications[first], env, "path")
            in_env = f" in environment '{env}'" if overridden else ""
            if path != "/":
                message = f"'{path}' is already the path of application '{first}'{in_env}; give '{app}' its own path"
            elif is_set(cfg, env, "path"):
                message = (f"only one application without host names may use the root path '/', and '{first}' "
                           f"already does{in_env}; give '{app}' its own path, e.g. /{app}, or aliases (the host "
                           "names that reach it)")
            else:
                message = (f"'{app}' has no path, so it gets the root path '/', which '{first}' already uses"
                           f"{in_env}; set path, e.g. path: /{app}, or aliases (the host names that reach it)")
            errors.append(FieldError(where, message))
    return errors


def _route_path_problems(cfg: ApplicationSpec, env: str, app: str, settings: ResolvedApplication,
                         seen: dict[str, str], has_domain: bool) -> list[FieldError]:
    """Each route's path is its own on the load balancer (``seen``: path -> owner, filled in); a route on '/'
    needs host names (its aliases, the application's, or the project's domain)."""
    errors = []
    own = {settings.path}
    for i, route in enumerate(settings.routes):
        where = (*field_path(cfg, env, "routes", app), i, "path")
        if route.path == "/":
            if not (has_domain or route.aliases or settings.aliases):
                errors.append(FieldError(where, "a route on the root path '/' needs host names to be told apart "
                                                "from the other applications: give it aliases"))
            continue
        if route.path in own or route.path in seen:
            owner = seen.get(route.path, app)
            errors.append(FieldError(where, f"'{route.path}' is already routed to application '{owner}'; give the "
                                            "route its own path"))
        own.add(route.path)
        seen[route.path] = app
    return errors


def shifted_traffic_has_one_rule(
    project: ProjectSection, applications: Mapping[str, ApplicationSpec], resolved: Resolved,
) -> list[FieldError]:
    """ECS moves the traffic of one production rule; an application whose host names need more rules cannot shift."""
    errors, seen = [], set()
    for (env, app), settings in resolved.items():
        if not settings.has(Capability.HTTP) or not settings.deployment.shifts_traffic:
            continue
        hosts = [*(["host"] if project.domain else []), *settings.aliases]
        where = (*field_path(applications[app], env, "deployment", app), "strategy")
        if priorities.rule_count(hosts) > 1 and where not in seen:
            seen.add(where)
            errors.append(FieldError(where,
                                     f"strategy: {settings.deployment.strategy} moves the traffic of one listener "
                                     f"rule, and {len(hosts)} host names need {priorities.rule_count(hosts)} rules "
                                     f"(at most {priorities.HOSTS_PER_RULE} per rule); keep "
                                     f"{priorities.HOSTS_PER_RULE - (1 if project.domain else 0)} aliases at most, "
                                     "or use strategy: rolling"))
        elif settings.routes and where not in seen:
            seen.add(where)
            errors.append(FieldError(where, f"strategy: {settings.deployment.strategy} moves the traffic of one "
                                            f"target group, and routes give the application {len(settings.routes)} "
                                            "more; remove routes, or use strategy: rolling"))
    return errors


def subscriptions_name_published_topics(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationSpec],
    resolved: Resolved,
) -> list[FieldError]:
    """Each subscription names an application of the project and a topic that application publishes."""
    errors = []
    for app, cfg in applications.items():
        for i, sub in enumerate(cfg.subscribe):
            where: tuple[str | int, ...] = ("applications", app, "subscribe", i)
            publisher = applications.get(sub.app)
            if publisher is None:
                close = difflib.get_close_matches(sub.app, [a for a in applications if a != app], n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "name one of the applications of ecsp.yaml"
                errors.append(FieldError((*where, "app"), f"there is no application '{sub.app}'; {hint}"))
            elif sub.topic not in publisher.publish:
                listed = (f"it publishes {quoted_list(publisher.publish)}" if publisher.publish
                          else "it publishes no topics")
                errors.append(FieldError((*where, "topic"), f"'{sub.app}' publishes no topic '{sub.topic}' ({listed}); "
                                                            f"add '{sub.topic}' to applications.{sub.app}.publish, or "
                                                            "subscribe to one it publishes"))
            if (sub.app, sub.topic) in [(s.app, s.topic) for s in cfg.subscribe[:i]]:
                errors.append(FieldError(where, f"{sub.app}/{sub.topic} is subscribed twice; remove one"))
    errors += _subscription_cycles(applications)
    return errors


def _subscription_cycles(applications: Mapping[str, ApplicationSpec]) -> list[FieldError]:
    """A worker's stack deploys after those it subscribes to (ecsp.graph), so subscriptions may not form a loop."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for app, cfg in applications.items():
        sorter.add(app, *(s.app for s in cfg.subscribe if s.app in applications and s.app != app))
    try:
        sorter.prepare()
    except graphlib.CycleError as e:
        loop: list[str] = list(e.args[1])[::-1]  # graphlib lists a loop against the edges' direction
        return [FieldError(("applications", loop[0], "subscribe"),
                           f"subscriptions form a loop ({' -> '.join(loop)}), and each worker deploys after the "
                           "applications it subscribes to; break the loop (e.g. publish the topic from a third "
                           "application)")]
    return []


def needs_are_met(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationSpec],
    resolved: Resolved,
) -> list[FieldError]:
    """Each need an application declares (NAT, Container Insights) is met by its environment's settings.

    A need written in the base is one problem however many environments lack it (they are named
    together); an override's is its own. What the environment creates on demand needs no rule.
    """
    found: dict[tuple[tuple[str | int, ...], Feature], tuple[Need, list[str]]] = {}
    for app, cfg in applications.items():
        for env, env_cfg in environments.items():
            settings = resolved.get((env, app))
            for need in settings.environment_needs() if settings is not None else []:
                if need.problem is None or need.feature.on_demand or need.feature.turned_on(env_cfg):
                    continue
                where = (*field_path(cfg, env, str(need.at[0]), app), *need.at[1:])
                found.setdefault((where, need.feature), (need, []))[1].append(env)
    return [FieldError(where, need.problem(envs)) for (where, _), (need, envs) in found.items()
            if need.problem is not None]


def certificates_in_environment_account(
    project: ProjectSection, environments: Mapping[str, EnvironmentConfig]
) -> list[FieldError]:
    """An environment without an account of its own runs in the project account: its certificates must be there."""
    errors = []
    for env, cfg in environments.items():
        if cfg.account is not None or project.account is None:
            continue  # the environment checked its own account; an unknown account cannot be compared
        for i, arn in enumerate(cfg.certificates):
            account = arn.split(":")[4]
            if account != project.account:
                errors.append(FieldError(("environments", env, "certificates", i),
                                         f"the certificate is in account {account} and the environment in the "
                                         f"project account {project.account}; a load balancer uses certificates "
                                         "of its own account: import it there"))
    return errors


# ACM's default quota of names per certificate; the environment's own name and its wildcard take two.

def derived_names_fit(
    project: ProjectSection, environments: Mapping[str, Any], applications: Mapping[str, Any]
) -> list[FieldError]:
    """Names built from the project, environment and application names (and domain) fit AWS limits."""
    return [FieldError(path, msg) for path, msg in naming.name_limit_problems(
        project.name, project.domain, list(environments), list(applications))]

