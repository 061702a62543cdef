"""The containers of an application's task: sidecars, health checks, FireLens; the rules across them."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Literal, Protocol

from pydantic import Field, field_validator, model_validator

from ecsp.config.base import FieldError, Model, raise_all
from ecsp.config.storage import StorageConfig
from ecsp.config.types import ImageUri, MountPath
from ecsp.config.variables import both_ways, env_name_errors, secret_errors, stringify

LOG_ROUTER = "log_router"  # the FireLens container's name (reserved for it)
FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
# ECS container dependency conditions, as written in ecsp.yaml (ECS wants them upper case).
Condition = Literal["start", "complete", "success", "healthy"]


class ContainerHealthCheckConfig(Model):
    """A container health check that ECS runs inside the container (defaults as Copilot's)."""

    command: list[str] = Field(
        description="The check: [\"CMD-SHELL\", \"shell command\"] or [\"CMD\", \"executable\", \"arg\", ...]; "
        "exit status 0 is healthy.", examples=[["CMD-SHELL", "curl -f http://localhost:8126/info || exit 1"]])
    interval: int = Field(10, ge=5, le=300, description="Seconds between checks.")
    retries: int = Field(2, ge=1, le=10, description="Failed checks in a row before the container is unhealthy.")
    timeout: int = Field(5, ge=2, le=60, description="Seconds a check may take.")
    start_period: int = Field(0, ge=0, le=300, description="Seconds after start during which failures don't count.")

    @field_validator("command")
    @classmethod
    def _command(cls, v: list[str]) -> list[str]:
        if len(v) < 2 or v[0] not in ("CMD", "CMD-SHELL"):
            raise ValueError("start with CMD (an executable and its arguments) or CMD-SHELL (one shell command), "
                             "e.g. [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]")
        return v


class SidecarConfig(Model):
    """An extra container in the application's task; it shares the task's network, logging and secrets rules."""

    image: ImageUri = Field(description="An existing image URI.", examples=["public.ecr.aws/datadog/agent:7"])
    port: int | None = Field(None, ge=1, le=65535, description="Container port (unique within the task).")
    essential: bool = Field(True, description="Whether the task stops when this container stops (as Copilot: yes).")
    variables: dict[str, str] = Field(default_factory=dict, description="Environment variables.")
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Secret environment variables: SSM parameter names or Secrets Manager/SSM "
        "ARNs (the execution role may read exactly these too).")
    depends_on: dict[str, Condition] = Field(
        default_factory=dict, description="Containers (the application's name, or another sidecar's) this one waits "
        "for: start, complete, success (those two only for essential: false containers) or healthy (those with a "
        "health check).", examples=[{"web": "start"}])
    healthcheck: ContainerHealthCheckConfig | None = Field(None, description="A container health check.")
    command: list[str] | None = Field(None, min_length=1, description="Command to run instead of the image's.")
    mount_points: dict[str, MountPath] = Field(
        default_factory=dict, description="Volumes (names under storage.volumes) to mount, and where.",
        examples=[{"data": "/var/data"}])

    @field_validator("variables", "secrets", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        return stringify(v)

    @field_validator("variables")
    @classmethod
    def _variables(cls, v: dict[str, str]) -> dict[str, str]:
        raise_all(env_name_errors(v))
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str]) -> dict[str, str]:
        raise_all(secret_errors(v))
        return v

    @model_validator(mode="after")
    def _variable_and_secret_names_differ(self) -> SidecarConfig:
        raise_all(both_ways(self.variables, self.secrets))
        return self


class FireLensConfig(Model):
    """FireLens log routing: a Fluent Bit container that forwards every container's logs."""

    image: ImageUri = Field(FLUENT_BIT_IMAGE, description="The log router's image (AWS for Fluent Bit).")
    options: dict[str, str] = Field(
        default_factory=dict, description="Options of the awsfirelens log driver: Fluent Bit's output plugin and its "
        "settings, e.g. {Name: cloudwatch, region: us-west-2, log_group_name: /shop/web, log_stream_prefix: web/}.",
        examples=[{"Name": "cloudwatch", "region": "us-west-2", "log_group_name": "/shop/web",
                   "log_stream_prefix": "web/"}])

    @field_validator("options", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        return stringify(v)

    @field_validator("options")
    @classmethod
    def _plugin_named(cls, v: dict[str, str]) -> dict[str, str]:
        if "Name" not in v:
            raise ValueError("name Fluent Bit's output plugin, e.g. Name: cloudwatch (or Name: firehose, Name: s3)")
        return v


class LoggingConfig(Model):
    """How the containers' logs leave the task (default: awslogs to the application's log group)."""

    firelens: FireLensConfig = Field(description="Route logs through a FireLens (Fluent Bit) log router.")


# --------------------------------------------------------------------------- container rules


class TaskContainers(Protocol):
    """What the container rules read of a resolved application (typed here, so no loop through it)."""

    @property
    def port(self) -> int | None: ...
    @property
    def container_healthcheck(self) -> ContainerHealthCheckConfig | None: ...
    @property
    def sidecars(self) -> Mapping[str, SidecarConfig]: ...
    @property
    def depends_on(self) -> Mapping[str, Condition]: ...
    @property
    def logging(self) -> LoggingConfig | None: ...
    @property
    def storage(self) -> StorageConfig: ...


def container_problems(settings: TaskContainers, app: str) -> list[FieldError]:
    """Names, ports, dependencies and mount points across one task's containers (paths relative to the app).

    Needs the application's name (its container's), so it runs after resolution rather than
    as a validator of the application.
    """
    errors: list[FieldError] = []
    if app in settings.sidecars:
        errors.append(FieldError(("sidecars", app), f"'{app}' is the application's own container; give the "
                                                    "sidecar another name"))
    # A worker or job may have no port of its own.
    ports: dict[int, str] = {settings.port: "the application's port"} if settings.port is not None else {}
    for name, car in settings.sidecars.items():
        if car.port is None:
            continue
        if car.port in ports:
            errors.append(FieldError(("sidecars", name, "port"), f"{car.port} is already {ports[car.port]}; containers "
                                                                 "of a task share one network, give each its own port"))
        else:
            ports[car.port] = f"the port of sidecar '{name}'"
    errors += _dependency_problems(settings, app)
    errors += _mount_problems(settings)
    return errors


def containers_of(settings: TaskContainers, app: str) -> dict[str, tuple[bool, bool]]:
    """Every container of the task: name -> (essential, has a health check)."""
    out = {app: (True, settings.container_healthcheck is not None)}
    if settings.logging is not None:
        out[LOG_ROUTER] = (True, False)
    for name, car in settings.sidecars.items():
        out.setdefault(name, (car.essential, car.healthcheck is not None))
    return out


def _dependency_problems(settings: TaskContainers, app: str) -> list[FieldError]:
    known = containers_of(settings, app)
    edges: dict[str, dict[str, Condition]] = {app: dict(settings.depends_on)}
    edges.update({name: dict(car.depends_on) for name, car in settings.sidecars.items() if name != app})
    errors: list[FieldError] = []
    for source, targets in edges.items():
        at: tuple[str | int, ...] = ("depends_on",) if source == app else ("sidecars", source, "depends_on")
        for target, condition in targets.items():
            where = (*at, target)
            if target == source:
                errors.append(FieldError(where, "a container cannot wait for itself; remove this entry"))
            elif target not in known:
                others = [n for n in known if n != source]
                close = difflib.get_close_matches(target, others, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else \
                    f"containers: {', '.join(others)}" if others else "add it under sidecars"
                errors.append(FieldError(where, f"there is no container '{target}' in this task; {hint}"))
            elif condition in ("complete", "success") and known[target][0]:
                errors.append(FieldError(where, f"'{target}' is essential, and ECS lets containers wait for "
                                                f"{condition} only of containers that may exit; set essential: false "
                                                f"on '{target}', or wait for start"))
            elif condition == "healthy" and not known[target][1]:
                errors.append(FieldError(where, f"'{target}' has no container health check to become healthy; add a "
                                                "healthcheck to it, or wait for start"))
    cycle = dependency_cycle({s: [t for t in ts if t in known and t != s] for s, ts in edges.items()})
    if cycle:
        first = cycle[0]
        at = ("depends_on",) if first == app else ("sidecars", first, "depends_on")
        errors.append(FieldError((*at, cycle[1]), f"containers wait for each other in a circle "
                                                  f"({' -> '.join(cycle)}); ECS could start none of them: remove one "
                                                  "of these dependencies"))
    return errors


def dependency_cycle(edges: Mapping[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path that starts and ends at the same container, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in edges:
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def _mount_problems(settings: TaskContainers) -> list[FieldError]:
    errors: list[FieldError] = []
    volumes = settings.storage.volumes
    seen: dict[str, str] = {}
    for name, vol in volumes.items():
        path = vol.path.rstrip("/") or "/"
        if path in seen:
            errors.append(FieldError(("storage", "volumes", name, "path"),
                                     f"'{vol.path}' is already where volume '{seen[path]}' is mounted; give each "
                                     "volume its own path"))
        seen.setdefault(path, name)
    for car_name, car in settings.sidecars.items():
        car_seen: dict[str, str] = {}
        for vol_name, where in car.mount_points.items():
            at = ("sidecars", car_name, "mount_points", vol_name)
            if vol_name not in volumes:
                hint = f"volumes: {', '.join(volumes)}" if volumes else "add it under storage.volumes"
                errors.append(FieldError(at, f"there is no volume '{vol_name}'; {hint}"))
                continue
            path = where.rstrip("/") or "/"
            if path in car_seen:
                errors.append(FieldError(at, f"'{where}' is already where volume '{car_seen[path]}' is mounted in "
                                             f"'{car_name}'; give each volume its own path"))
            car_seen.setdefault(path, vol_name)
    return errors


