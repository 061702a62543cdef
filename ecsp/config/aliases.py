"""Aliases: which ecsp manages (records, certificate names) and the rule that each one is routable."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ecsp import naming
from ecsp.config.application import ApplicationSpec
from ecsp.config.base import FieldError, quoted_list
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.project import ProjectSection
from ecsp.config.resolve import Resolved, field_path

ACM_NAMES_PER_CERTIFICATE = 10


def managed_alias(alias: str, project: str, environment: str, domain: str | None) -> bool:
    """Whether ecsp writes the alias's DNS record and certificate name: it is in the environment's zone."""
    if domain is None:
        return False
    zone = naming.environment_zone(project, environment, domain)
    return alias == zone or alias.endswith(f".{zone}")


def covered_by_wildcard(alias: str, zone: str) -> bool:
    """Whether the environment certificate's own names (``zone`` and ``*.zone``) already cover ``alias``."""
    return alias == zone or (alias.endswith(f".{zone}") and "." not in alias.removesuffix(f".{zone}"))


def extra_certificate_names(project: str, environment: str, domain: str | None, aliases: Iterable[str]) -> list[str]:
    """Managed aliases the environment certificate must add as subject alternative names, sorted."""
    if domain is None:
        return []
    zone = naming.environment_zone(project, environment, domain)
    return sorted({a for a in aliases if managed_alias(a, project, environment, domain)
                   and not covered_by_wildcard(a, zone)})


def aliases_are_routable(
    project: ProjectSection, environments: Mapping[str, EnvironmentConfig],
    applications: Mapping[str, ApplicationSpec], resolved: Resolved,
) -> list[FieldError]:
    """Every alias has a certificate (ecsp's or the environment's) and belongs to one application per environment."""
    domain = project.domain
    # A base alias is one line for every environment: the same problem in several environments is
    # reported once, naming them all. Key: (where, problem) -> environments, in order.
    found: dict[tuple[tuple[str | int, ...], str], list[str]] = {}
    errors = []
    for env, env_cfg in environments.items():
        owner: dict[str, str] = {}
        if domain is not None:
            owner = {naming.application_host(project.name, env, app, domain): app for app in applications}
        for app, cfg in applications.items():
            settings = resolved.get((env, app))
            if settings is None:
                continue
            for i, alias in enumerate(settings.aliases):
                where = (*field_path(cfg, env, "aliases", app), i)
                first = owner.get(alias)
                if first is not None and first != app:
                    taken = "the host name" if domain and alias == naming.application_host(
                        project.name, env, first, domain) else "an alias"
                    found.setdefault((where, f"'{alias}' is already {taken} of application '{first}' in {{envs}}; "
                                             "a host name routes to one application"), []).append(env)
                    continue
                owner.setdefault(alias, app)
                if managed_alias(alias, project.name, env, domain) or env_cfg.certificates:
                    continue
                if domain is None:
                    fix = "add a certificate that covers it to {certificates}, or set project.domain"
                else:
                    fix = (f"use a name under {naming.environment_zone(project.name, '<env>', domain)} (the "
                           "environment zone ecsp writes records in), or add a certificate that covers it to "
                           "{certificates}")
                found.setdefault((where, f"'{alias}' has no certificate in {{envs}}; {fix}"), []).append(env)
        if domain is not None:
            names = extra_certificate_names(project.name, env, domain, owner)
            room = ACM_NAMES_PER_CERTIFICATE - 2
            if len(names) > room:
                errors.append(FieldError(("environments", env),
                                         f"the environment's certificate would need {len(names) + 2} names "
                                         f"(its own, its wildcard and {', '.join(names)}); ACM allows "
                                         f"{ACM_NAMES_PER_CERTIFICATE} by default: use aliases one label below "
                                         f"{naming.environment_zone(project.name, env, domain)} (its wildcard "
                                         "covers them), or fewer aliases"))
    for (where, message), envs in found.items():
        where_envs = (f"environment '{envs[0]}'" if len(envs) == 1 else f"environments {quoted_list(envs)}")
        certificates = (f"environments.{envs[0]}.certificates" if len(envs) == 1
                        else "each environment's certificates")
        errors.append(FieldError(where, message.format(envs=where_envs, certificates=certificates)))
    return errors

