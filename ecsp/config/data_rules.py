"""Project-wide rules about data: each entry resolved per environment, and the links that name it."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from pydantic import ValidationError

from ecsp import naming
from ecsp.config.application import ApplicationSpec
from ecsp.config.base import FieldError, quoted_list
from ecsp.config.data import Data, DataConfig
from ecsp.config.data_types import DATA_KINDS
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.links import link_problems
from ecsp.config.needs import private_subnets_problem
from ecsp.config.project import name_problem
from ecsp.config.resolve import Resolved, field_path, resolution_errors

ResolvedData = dict[tuple[str, str], Data]


def check_data(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationSpec],
    data: Mapping[str, DataConfig], resolved: Resolved,
) -> tuple[ResolvedData, list[FieldError]]:
    """Resolve every data entry in every environment that has it, and check the links to them."""
    errors: list[FieldError] = []
    out: ResolvedData = {}
    known = list(environments)
    for name, entry in data.items():
        problem = name_problem("data", name, naming.MAX_DATA)
        if problem:
            errors.append(FieldError(("data", name), problem))
        for i, env in enumerate(entry.only_in or []):
            if env not in known:
                errors.append(FieldError(("data", name, "only_in", i), _unknown_environment(env, known)))
        for env in entry.environments:
            if env not in known:
                errors.append(FieldError(("data", name, "environments", env), _unknown_environment(env, known)))
            elif entry.only_in is not None and env not in entry.only_in:
                errors.append(FieldError(("data", name, "environments", env),
                                         f"'{name}' is only in {quoted_list(entry.only_in)} (only_in), so it has no "
                                         f"settings in '{env}'; remove this override, or add '{env}' to only_in"))
        for env in known:
            if entry.only_in is not None and env not in entry.only_in:
                continue
            try:
                out[(env, name)] = entry.resolved(env)
            except ValidationError as e:
                override = entry.environments.get(env)
                errors += resolution_errors(e, "data", name, env,
                                            set(override.model_fields_set) if override else set(),
                                            drop_value_error=True)
    for (env, name), resolved_data in out.items():
        vpc = environments[env].network.vpc
        if resolved_data.managed and DATA_KINDS[resolved_data.kind].in_vpc and vpc is not None \
                and not vpc.private_subnets:
            errors.append(FieldError(("data", name), private_subnets_problem(
                f"a {resolved_data.kind} ecsp creates", ", or link one that exists (existing:)")([env])))
    for app, cfg in applications.items():
        for env in known:
            settings = resolved.get((env, app))
            if settings is None or not settings.link:
                continue
            where = field_path(cfg, env, "link", app)
            in_env = {n: out[(env, n)] for n in data if (env, n) in out}
            own = [*settings.variables, *settings.secrets]
            errors += link_problems(app, settings.link, data, in_env, own, where)
            for i, target in enumerate(settings.link):
                linked = data.get(target)
                if linked is not None and linked.only_in is not None and env not in linked.only_in:
                    errors.append(FieldError((*where, i), f"'{target}' is only in {quoted_list(linked.only_in)}, and "
                                                          f"'{app}' links it in '{env}'; link it only there (an "
                                                          f"override of link under environments.{env}), or add "
                                                          f"'{env}' to data.{target}.only_in"))
    return out, errors


def _unknown_environment(env: str, known: list[str]) -> str:
    close = difflib.get_close_matches(env, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else "add it under environments, or remove it here"
    return f"there is no environment '{env}' (environments: {', '.join(known)}); {hint}"
