"""The rules across one task's containers: names, ports, dependencies (and their cycles), mount points."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Protocol

from ecsp.config.base import FieldError
from ecsp.config.containers import LOG_ROUTER, Condition, ContainerHealthCheckConfig, LoggingConfig, SidecarConfig
from ecsp.config.storage import StorageConfig


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


