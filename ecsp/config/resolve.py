"""Per-environment resolution: overrides merged into the base, and which line set each value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ecsp import fargate
from ecsp.config.application import ApplicationOverride, ApplicationSpec, ResolvedApplication
from ecsp.config.base import FieldError, FieldErrors, or_list
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.fields import Merge, model_of, setting_of
from ecsp.config.task import pair_message
from ecsp.config.task_containers import container_problems

Resolved = dict[tuple[str, str], ResolvedApplication]


def resolve_applications(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationSpec]
) -> tuple[Resolved, list[FieldError]]:
    """Merge each application's overrides into its base for every environment, and validate the result."""
    resolved: Resolved = {}
    errors: list[FieldError] = []
    for app, cfg in applications.items():
        for env in environments:
            override = cfg.environments.get(env)
            pair = _cpu_memory_problem(cfg, app, env)
            if pair is not None:
                errors.append(pair)
                continue
            try:
                settings = _resolve(cfg, override)
            except ValidationError as e:
                errors.extend(resolution_errors(e, "applications", app, env,
                                                set(override.model_fields_set) if override else set()))
                continue
            container_errors = _container_errors(cfg, settings, app, env)
            if container_errors:
                errors.extend(container_errors)
            else:
                resolved[(env, app)] = settings
    return resolved, errors


def _container_errors(
    cfg: ApplicationSpec, settings: ResolvedApplication, app: str, env: str
) -> list[FieldError]:
    """:func:`container_problems`, each placed on the line it comes from: the environment's override or the base."""
    override = cfg.environments.get(env)
    out = []
    for e in container_problems(settings, app):
        if override is not None and _from_override(override, e.path):
            out.append(FieldError(("applications", app, "environments", env, *e.path),
                                  f"in environment '{env}', merged with the base settings: {e.message}"))
        else:
            out.append(FieldError(("applications", app, *e.path), e.message))
    return out


def _merge(model: type[BaseModel], field: str) -> Merge:
    setting = setting_of(model.model_fields[field])
    return setting.merge if setting is not None else Merge.REPLACE


def _from_override(override: BaseModel, path: tuple[str | int, ...]) -> bool:
    """Whether the value at ``path`` (relative to the application) is the override's, after merging."""
    field = str(path[0])
    value = getattr(override, field, None) if field in override.model_fields_set else None
    if value is None:
        return False
    merge = _merge(type(override), field)
    if merge is Merge.BY_NAME and len(path) > 1:
        return path[1] in value
    if merge is Merge.BY_FIELD and len(path) > 1:
        return _from_override(value, path[1:])
    return True


def merged(base: Mapping[str, Any], override: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """``override`` (values of ``model``'s fields) merged into ``base`` as each field's :class:`Merge` says."""
    out = dict(base)
    for key, value in override.items():
        merge = _merge(model, key)
        if merge is Merge.BY_NAME:
            out[key] = {**out.get(key, {}), **value}
        elif merge is Merge.BY_FIELD and key in out:
            out[key] = merged(out[key], value, model_of(model.model_fields[key]))
        else:
            out[key] = value
    return out


# --------------------------------------------------------------------------- helpers


def _resolve(base: ApplicationSpec, override: ApplicationOverride | None) -> ResolvedApplication:
    data = base.model_dump(exclude={"environments"}, exclude_none=True, exclude_unset=True)
    if override is not None:
        data = merged(data, override.model_dump(exclude_none=True, exclude_unset=True), type(override))
    return ResolvedApplication.model_validate(data)


def is_set(cfg: ApplicationSpec, env: str, field: str) -> bool:
    return is_overridden(cfg, env, field) or getattr(cfg, field) is not None


def is_overridden(cfg: ApplicationSpec, env: str, field: str) -> bool:
    override = cfg.environments.get(env)
    return override is not None and getattr(override, field) is not None


def field_path(cfg: ApplicationSpec, env: str, field: str, app: str) -> tuple[str | int, ...]:
    """Where a resolved field came from: the environment's override if it sets it, else the base."""
    if is_overridden(cfg, env, field):
        return ("applications", app, "environments", env, field)
    return ("applications", app, field)


def _setting(cfg: ApplicationSpec, env: str, field: str) -> tuple[Any, str]:
    """The value of ``field`` in ``env`` and where it comes from: 'override', 'base' or 'default'."""
    override = cfg.environments.get(env)
    if override is not None and getattr(override, field) is not None:
        return getattr(override, field), "override"
    if getattr(cfg, field) is not None:
        return getattr(cfg, field), "base"
    return ResolvedApplication.model_fields[field].get_default(call_default_factory=True), "default"


def _cpu_memory_problem(cfg: ApplicationSpec, app: str, env: str) -> FieldError | None:
    """A cpu/memory pair that Fargate rejects, reported where the user can fix it.

    The pair may mix the base, an override and the defaults; the message points at the value
    that made it invalid (an override, when there is one) and says which memory sizes work.
    """
    cpu, cpu_source = _setting(cfg, env, "cpu")
    memory, memory_source = _setting(cfg, env, "memory")
    if fargate.is_valid(cpu, memory):
        return None
    options = fargate.describe_options(cpu)
    in_env = f" in environment '{env}'"
    if memory_source == "default":
        return FieldError(field_path(cfg, env, "cpu", app),
                          f"cpu {cpu}{in_env if cpu_source == 'override' else ''} needs more than the default "
                          f"{memory} MiB of memory; add memory: {options}")
    if cpu_source == "override" and memory_source == "base":
        return FieldError(field_path(cfg, env, "cpu", app),
                          f"cpu {cpu}{in_env} does not fit memory {memory} MiB (from applications.{app}.memory); "
                          f"override memory{in_env} too, with {options}")
    if cpu_source == "default":
        cpus = fargate.cpus_for(memory)
        fix = f"or set cpu to {or_list(list(map(str, cpus)))}" if cpus else "or pick a Fargate memory size"
        return FieldError(field_path(cfg, env, "memory", app),
                          f"{memory} MiB{in_env if memory_source == 'override' else ''} is not valid with the "
                          f"default cpu {cpu}; use {options}, {fix}")
    if memory_source == "override" and cpu_source == "base":
        return FieldError(field_path(cfg, env, "memory", app),
                          f"{memory} MiB{in_env} is not valid with cpu {cpu} (from applications.{app}.cpu); use "
                          f"{options}, or override cpu{in_env} too")
    # Both written side by side (base and base, or override and override).
    return FieldError(field_path(cfg, env, "memory", app),
                      pair_message(cpu, memory) + (in_env if memory_source == "override" else ""))


def resolution_errors(e: ValidationError, section: str, name: str, env: str, overridden: set[str], *,
                      drop_value_error: bool = False) -> list[FieldError]:
    """The problems of one entry of ``section`` merged with its ``env`` override, each at its field.

    A field the override set (``overridden``) is reported under ``<section>.<name>.environments.<env>``,
    said to be merged with the base settings; any other under the entry itself.
    ``drop_value_error``: strip pydantic's "Value error, " from messages not raised as FieldError.
    """
    out = []
    for err in e.errors():
        inner = err.get("ctx", {}).get("error")
        # One validator may report several problems at once (FieldErrors): each has its own field.
        for one in inner.errors if isinstance(inner, FieldErrors) else [inner]:
            loc: tuple[str | int, ...] = tuple(err["loc"])
            if isinstance(one, FieldError):
                loc = loc + one.path
                message = one.message
            else:
                message = err["msg"].removeprefix("Value error, ") if drop_value_error else err["msg"]
            field = str(loc[0]) if loc else ""
            if field in overridden:
                out.append(FieldError((section, name, "environments", env, *loc),
                                      f"in environment '{env}', merged with the base settings: {message}"))
            else:
                out.append(FieldError((section, name, *loc), message))
    return out


