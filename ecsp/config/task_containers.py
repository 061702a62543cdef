"""One task's containers as one list, the application's own first, then the log router, then the sidecars.

:func:`task_containers` turns a resolved application into :class:`Container` specs, as SST's
``normalizeContainers`` and awsx's ``normalizeFargateTaskDefinitionContainers`` do: the
program renders each one the same way (:mod:`stacks.application_containers`), and the rules
across them (unique names and ports, dependencies ECS can honour) run on the same list.
Mount points are checked on the volumes as written, since a sidecar may name one that
does not exist.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from ecsp.config.application import ResolvedApplication
from ecsp.config.base import FieldError
from ecsp.config.containers import LOG_ROUTER, Condition, ContainerHealthCheckConfig, ContainerSettings, FireLensConfig
from ecsp.config.exports import literal

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Mount:
    """A volume of the task mounted into one container."""

    volume: str
    path: str
    read_only: bool


@dataclass(frozen=True)
class Container:
    """One container of the task, as ecsp.yaml sets it; the program adds image URIs, ecsp's variables, ARNs.

    ``image`` None is the application's own image (built or pulled by the program);
    ``variables`` None means no environment at all (the log router's); ``log_options`` None
    means awslogs to the application's log group, else the awsfirelens driver with these
    options; ``router`` is set on the log router only; ``credentials`` is the Secrets Manager
    secret of a private registry the image is pulled from. ``variables`` and ``secrets`` are the
    written values; the application's own container may also read some from CloudFormation
    exports or linked data, which the program resolves when the stack deploys. ``at`` is where
    ecsp.yaml writes the container, for messages.
    """

    name: str
    at: Loc
    image: str | None = None
    credentials: str | None = None  # the Secrets Manager secret ECS logs in to the image's registry with
    essential: bool = True
    port: int | None = None
    variables: Mapping[str, str] | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)
    depends_on: Mapping[str, Condition] = field(default_factory=dict)
    healthcheck: ContainerHealthCheckConfig | None = None
    mounts: tuple[Mount, ...] = ()
    settings: ContainerSettings = field(default_factory=ContainerSettings)
    log_options: Mapping[str, str] | None = None
    router: FireLensConfig | None = None
    init_process: bool = False


def task_containers(settings: ResolvedApplication, app: str) -> list[Container]:
    """The task's containers: the application's (named ``app``), the log router with FireLens, the sidecars by name."""
    firelens = settings.logging.firelens if settings.logging is not None else None
    log_options = dict(sorted(firelens.options.items())) if firelens is not None else None
    volumes = settings.storage.volumes
    containers = [Container(
        app, (), port=settings.port, variables=literal(settings.variables), secrets=literal(settings.secrets),
        depends_on=settings.depends_on, healthcheck=settings.container_healthcheck,
        mounts=tuple(Mount(name, vol.path, vol.read_only) for name, vol in sorted(volumes.items())),
        settings=ContainerSettings.of(settings), log_options=log_options, init_process=settings.exec,
        credentials=settings.image.credentials)]
    if firelens is not None:
        containers.append(Container(LOG_ROUTER, ("logging", "firelens"), image=firelens.image, router=firelens))
    for name, sidecar in sorted(settings.sidecars.items()):
        containers.append(Container(
            name, ("sidecars", name), image=sidecar.image, credentials=sidecar.credentials,
            essential=sidecar.essential, port=sidecar.port,
            variables=sidecar.variables, secrets=sidecar.secrets, depends_on=sidecar.depends_on,
            healthcheck=sidecar.healthcheck,
            mounts=tuple(Mount(volume, path, volumes[volume].read_only)
                         for volume, path in sorted(sidecar.mount_points.items()) if volume in volumes),
            settings=ContainerSettings.of(sidecar), log_options=log_options))
    return containers


def traffic_target(settings: ResolvedApplication, app: str, target: str | None = None) -> tuple[str, int | None]:
    """The container the load balancer sends requests to, and its port: the application's own, or the sidecar
    ``target_container`` names (``target``: a route's, which defaults to the application's)."""
    target = target if target is not None else settings.target_container
    if target is None or target == app or target not in settings.sidecars:
        return app, settings.port
    return target, settings.sidecars[target].port


def container_problems(settings: ResolvedApplication, app: str) -> list[FieldError]:
    """Names, ports, dependencies and mount points across one task's containers (paths relative to the app).

    Needs the application's name (its container's), so it runs after resolution rather than
    as a validator of the application.
    """
    containers = task_containers(settings, app)
    errors: list[FieldError] = []
    ports: dict[int, str] = {}
    for container in containers:
        if container.name == app and container.at:
            errors.append(FieldError(container.at, f"'{app}' is the application's own container; give the "
                                                   "sidecar another name"))
        if container.port is None:  # a worker or job may have no port of its own
            continue
        if container.port in ports:
            errors.append(FieldError((*container.at, "port"), f"{container.port} is already {ports[container.port]}; "
                                                              "containers of a task share one network, give each "
                                                              "its own port"))
        else:
            ports[container.port] = ("the application's port" if not container.at
                                     else f"the port of sidecar '{container.name}'")
    errors += _dependency_problems(containers)
    errors += _mount_problems(settings)
    targets: list[tuple[Loc, str | None]] = [(("target_container",), settings.target_container)]
    targets += [(("routes", i, "target_container"), route.target_container) for i, route in enumerate(settings.routes)]
    for at, target in targets:
        if target is None or target == app:
            continue
        sidecar = settings.sidecars.get(target)
        if sidecar is None:
            close = difflib.get_close_matches(target, list(settings.sidecars), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else \
                f"sidecars: {', '.join(settings.sidecars)}" if settings.sidecars else "add it under sidecars"
            errors.append(FieldError(at, f"there is no sidecar '{target}' to send requests to; {hint}"))
        elif sidecar.port is None:
            errors.append(FieldError(at, f"sidecar '{target}' has no port for the load balancer to send requests "
                                         "to; give it a port"))
    return errors


def _dependency_problems(containers: list[Container]) -> list[FieldError]:
    known: dict[str, Container] = {}
    for container in containers:
        known.setdefault(container.name, container)  # a sidecar named like the application is reported above
    errors: list[FieldError] = []
    for source in known.values():
        for target, condition in source.depends_on.items():
            where = (*source.at, "depends_on", target)
            if target == source.name:
                errors.append(FieldError(where, "a container cannot wait for itself; remove this entry"))
            elif target not in known:
                others = [n for n in known if n != source.name]
                close = difflib.get_close_matches(target, others, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else \
                    f"containers: {', '.join(others)}" if others else "add it under sidecars"
                errors.append(FieldError(where, f"there is no container '{target}' in this task; {hint}"))
            elif condition in ("complete", "success") and known[target].essential:
                errors.append(FieldError(where, f"'{target}' is essential, and ECS lets containers wait for "
                                                f"{condition} only of containers that may exit; set essential: false "
                                                f"on '{target}', or wait for start"))
            elif condition == "healthy" and known[target].healthcheck is None:
                errors.append(FieldError(where, f"'{target}' has no container health check to become healthy; add a "
                                                "healthcheck to it, or wait for start"))
    cycle = dependency_cycle({c.name: [t for t in c.depends_on if t in known and t != c.name]
                              for c in known.values()})
    if cycle:
        errors.append(FieldError((*known[cycle[0]].at, "depends_on", cycle[1]),
                                 f"containers wait for each other in a circle ({' -> '.join(cycle)}); ECS could start "
                                 "none of them: remove one of these dependencies"))
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


def _mount_problems(settings: ResolvedApplication) -> list[FieldError]:
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
    for sidecar_name, sidecar in settings.sidecars.items():
        sidecar_seen: dict[str, str] = {}
        for vol_name, where in sidecar.mount_points.items():
            at = ("sidecars", sidecar_name, "mount_points", vol_name)
            if vol_name not in volumes:
                hint = f"volumes: {', '.join(volumes)}" if volumes else "add it under storage.volumes"
                errors.append(FieldError(at, f"there is no volume '{vol_name}'; {hint}"))
                continue
            path = where.rstrip("/") or "/"
            if path in sidecar_seen:
                errors.append(FieldError(at, f"'{where}' is already where volume '{sidecar_seen[path]}' is mounted in "
                                             f"'{sidecar_name}'; give each volume its own path"))
            sidecar_seen.setdefault(path, vol_name)
    return errors


