"""Project-wide rules across sections, run on the resolved applications."""

from __future__ import annotations

import difflib
import graphlib
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ecsp import naming
from ecsp.config.aliases import aliases_are_routable
from ecsp.config.application import Application, ApplicationConfig
from ecsp.config.base import FieldError, quoted_list
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.project import ProjectSection
from ecsp.config.resolve import Resolved, field_path, is_overridden, is_set, resolve_applications


def check_project(
    project: ProjectSection | None,
    environments: Mapping[str, EnvironmentConfig],
    applications: Mapping[str, ApplicationConfig],
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
    errors += paths_unique_per_environment(environments, applications, resolved)
    errors += private_placement_needs_nat(environments, applications, resolved)
    errors += subscriptions_name_published_topics(environments, applications, resolved)
    errors += queue_scaling_needs_container_insights(environments, applications, resolved)
    if project is not None:
        errors += derived_names_fit(project, environments, applications)
        errors += certificates_in_environment_account(project, environments)
        errors += aliases_are_routable(project, environments, applications, resolved)
    return resolved, errors


def overrides_name_known_environments(
    applications: Mapping[str, ApplicationConfig], known: Collection[str]
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
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved,
) -> list[FieldError]:
    """Each path is routed to one application per load balancer (so at most one takes '/')."""
    errors = []
    for env in environments:
        seen: dict[str, str] = {}
        for app, cfg in applications.items():
            # Only web applications have a rule on the load balancer (other kinds may not set a path).
            if (env, app) not in resolved or resolved[(env, app)].kind != "web":
                continue
            path = resolved[(env, app)].path
            if path not in seen:
                seen[path] = app
                continue
            first = seen[path]
            where = field_path(cfg, env, "path", app)
            overridden = is_overridden(cfg, env, "path") or is_overridden(applications[first], env, "path")
            in_env = f" in environment '{env}'" if overridden else ""
            if path != "/":
                message = f"'{path}' is already the path of application '{first}'{in_env}; give '{app}' its own path"
            elif is_set(cfg, env, "path"):
                message = (f"only one application may use the root path '/', and '{first}' already does{in_env}; "
                           f"give '{app}' its own path, e.g. /{app}")
            else:
                message = (f"'{app}' has no path, so it gets the root path '/', which '{first}' already uses"
                           f"{in_env}; set path, e.g. path: /{app}")
            errors.append(FieldError(where, message))
    return errors


def subscriptions_name_published_topics(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
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


def _subscription_cycles(applications: Mapping[str, ApplicationConfig]) -> list[FieldError]:
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


def _lacking_by_line(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved, field: str, lacks: Callable[[Application, EnvironmentConfig], bool],
) -> dict[tuple[str | int, ...], list[str]]:
    """The environments where an application's setting of ``field`` lacks what it needs, by the line that set it.

    A base setting is one problem however many environments lack it; an override is its own.
    """
    found: dict[tuple[str | int, ...], list[str]] = {}
    for app, cfg in applications.items():
        for env, env_cfg in environments.items():
            settings = resolved.get((env, app))
            if settings is not None and lacks(settings, env_cfg):
                found.setdefault(field_path(cfg, env, field, app), []).append(env)
    return found


def queue_scaling_needs_container_insights(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved,
) -> list[FieldError]:
    """Backlog per task divides by the running task count, which ECS publishes only with Container Insights."""
    def lacks(settings: Application, env: EnvironmentConfig) -> bool:
        scaling = settings.autoscaling
        return scaling is not None and scaling.queue_delay is not None and not env.container_insights

    errors = []
    for where, envs in _lacking_by_line(environments, applications, resolved, "count", lacks).items():
        fix = " and ".join(f"environments.{e}.container_insights: true" for e in envs)
        errors.append(FieldError((*where, "queue_delay"), f"queue_delay scaling divides the queue's backlog by the "
                                                          f"running task count, which ECS publishes only with "
                                                          f"Container Insights; set {fix}, or scale on "
                                                          "cpu_percentage"))
    return errors


def private_placement_needs_nat(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved,
) -> list[FieldError]:
    """Tasks in private subnets reach ECR and CloudWatch only through a NAT gateway."""
    def lacks(settings: Application, env: EnvironmentConfig) -> bool:
        # An imported VPC brings its own routes: ecsp cannot tell whether its private subnets have NAT.
        return settings.placement == "private" and env.network.nat == "none" and env.network.vpc is None

    errors = []
    for where, envs in _lacking_by_line(environments, applications, resolved, "placement", lacks).items():
        if len(envs) == 1:
            what = f"environment '{envs[0]}' has network.nat: none"
            fix = f"set environments.{envs[0]}.network.nat to single or per-az"
        else:
            what = f"environments {quoted_list(envs)} have network.nat: none"
            fix = "set network.nat to single or per-az in each"
        errors.append(FieldError(where, f"private placement needs a NAT gateway, and {what}; {fix}, or use "
                                        "placement: public"))
    return errors


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

