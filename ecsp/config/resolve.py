"""Per-environment resolution: overrides merged into the base, and which line set each value."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from ecsp import fargate
from ecsp.config.application import Application, ApplicationConfig, ApplicationOverride
from ecsp.config.base import FieldError, FieldErrors, or_list
from ecsp.config.containers import container_problems
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.task import DEFAULT_CPU, DEFAULT_MEMORY, pair_message

# Maps merged key by key (an override's entry replaces the base's entry of that name).
_MERGED_MAPS = ("variables", "secrets", "sidecars")
_MERGED_MODELS = ("healthcheck",)
# Models holding one such map: storage.volumes merges volume by volume.
_MERGED_NESTED_MAPS = {"storage": "volumes"}
Resolved = dict[tuple[str, str], Application]


def resolve_applications(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig]
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
                errors.extend(_resolution_errors(e, app, env, override))
                continue
            container_errors = _container_errors(cfg, settings, app, env)
            if container_errors:
                errors.extend(container_errors)
            else:
                resolved[(env, app)] = settings
    return resolved, errors


def _container_errors(
    cfg: ApplicationConfig, settings: Application, app: str, env: str
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


def _from_override(override: ApplicationOverride, path: tuple[str | int, ...]) -> bool:
    field = str(path[0])
    if field not in override.model_fields_set or getattr(override, field) is None:
        return False
    if field == "sidecars" and len(path) > 1:
        return path[1] in (override.sidecars or {})
    if field == "storage" and len(path) > 2 and override.storage is not None:
        return path[2] in override.storage.volumes
    return True


# --------------------------------------------------------------------------- helpers


def _resolve(base: ApplicationConfig, override: ApplicationOverride | None) -> Application:
    data = base.model_dump(exclude={"environments"}, exclude_none=True, exclude_unset=True)
    data["image"] = base.image
    if override is not None:
        for key, value in override.model_dump(exclude_none=True, exclude_unset=True).items():
            if key in _MERGED_MAPS:
                data[key] = {**data.get(key, {}), **value}
            elif key in _MERGED_NESTED_MAPS and key in data:
                inner = _MERGED_NESTED_MAPS[key]
                data[key] = {**data[key], **value, inner: {**data[key].get(inner, {}), **value.get(inner, {})}}
            elif key in _MERGED_MODELS and key in data:
                data[key] = {**data[key], **value}
            elif key == "image":
                data[key] = override.image
            else:
                data[key] = value
    return Application.model_validate(data)


def is_set(cfg: ApplicationConfig, env: str, field: str) -> bool:
    return is_overridden(cfg, env, field) or getattr(cfg, field) is not None


def is_overridden(cfg: ApplicationConfig, env: str, field: str) -> bool:
    override = cfg.environments.get(env)
    return override is not None and getattr(override, field) is not None


def field_path(cfg: ApplicationConfig, env: str, field: str, app: str) -> tuple[str | int, ...]:
    """Where a resolved field came from: the environment's override if it sets it, else the base."""
    if is_overridden(cfg, env, field):
        return ("applications", app, "environments", env, field)
    return ("applications", app, field)


def _setting(cfg: ApplicationConfig, env: str, field: str, default: int) -> tuple[int, str]:
    """The value of ``field`` in ``env`` and where it comes from: 'override', 'base' or 'default'."""
    override = cfg.environments.get(env)
    if override is not None and getattr(override, field) is not None:
        return getattr(override, field), "override"
    if getattr(cfg, field) is not None:
        return getattr(cfg, field), "base"
    return default, "default"


def _cpu_memory_problem(cfg: ApplicationConfig, app: str, env: str) -> FieldError | None:
    """A cpu/memory pair that Fargate rejects, reported where the user can fix it.

    The pair may mix the base, an override and the defaults; the message points at the value
    that made it invalid (an override, when there is one) and says which memory sizes work.
    """
    cpu, cpu_source = _setting(cfg, env, "cpu", DEFAULT_CPU)
    memory, memory_source = _setting(cfg, env, "memory", DEFAULT_MEMORY)
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


def _resolution_errors(
    e: ValidationError, app: str, env: str, override: ApplicationOverride | None
) -> list[FieldError]:
    out = []
    for err in e.errors():
        inner = err.get("ctx", {}).get("error")
        # One validator may report several problems at once (FieldErrors): each has its own field.
        for one in inner.errors if isinstance(inner, FieldErrors) else [inner]:
            loc: tuple[str | int, ...] = tuple(err["loc"])
            if isinstance(one, FieldError):
                loc = loc + one.path
            message = one.message if isinstance(one, FieldError) else err["msg"]
            field = str(loc[0]) if loc else ""
            if override is not None and field in override.model_fields_set:
                out.append(FieldError(("applications", app, "environments", env, *loc),
                                      f"in environment '{env}', merged with the base settings: {message}"))
            else:
                out.append(FieldError(("applications", app, *loc), message))
    return out


