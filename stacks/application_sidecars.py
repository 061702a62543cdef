"""The task's containers beyond the application's own: sidecars, the FireLens log router, dependencies and logging.

Pure functions of plain values, so the exact container definitions can be read and tested
without Pulumi. :func:`task_containers` is what the task definition serialises: with no
sidecars, no FireLens, no dependencies and no volumes it returns the application's one
container exactly as :func:`stacks.application_task.container_definition` makes it, so
existing configs keep their task definitions byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecsp import naming
from ecsp.config import LOG_ROUTER, ContainerHealthCheckConfig, FireLensConfig, ResolvedApplication, SidecarConfig
from stacks.application_iam import SecretRef

LOG_STREAM_PREFIX = "ecsp"  # as the application's: streams are <prefix>/<container>/<task id> (what `ecsp logs` reads)


def awslogs(log_group: str, region: str) -> dict[str, Any]:
    """awslogs to the application's log group; the stream name carries the container's name after the prefix."""
    return {"logDriver": "awslogs", "options": {
        "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": LOG_STREAM_PREFIX}}


def firelens_log_configuration(firelens: FireLensConfig) -> dict[str, Any]:
    """The awsfirelens driver: ECS hands the container's output to the log router, with these plugin options."""
    return {"logDriver": "awsfirelens", "options": dict(sorted(firelens.options.items()))}


def log_router(firelens: FireLensConfig, *, log_group: str, region: str) -> dict[str, Any]:
    """The Fluent Bit container; it logs itself through awslogs, since it cannot route its own output."""
    return {
        "name": LOG_ROUTER,
        "image": firelens.image,
        # If the router stops, no container's logs go anywhere: the task should stop too.
        "essential": True,
        "firelensConfiguration": {"type": "fluentbit", "options": {"enable-ecs-log-metadata": "true"}},
        "logConfiguration": awslogs(log_group, region),
    }


def depends_on(conditions: Mapping[str, str], *, firelens: bool) -> list[dict[str, str]]:
    """ECS ``dependsOn``: the written dependencies, and the log router's start when logs go through it.

    A container that logs to FireLens before the router runs loses those lines, so it
    waits for the router to start (AWS's advice for FireLens).
    """
    wanted = dict(conditions)
    if firelens:
        wanted.setdefault(LOG_ROUTER, "start")
    return [{"containerName": name, "condition": wanted[name].upper()} for name in sorted(wanted)]


def health_check(check: ContainerHealthCheckConfig) -> dict[str, Any]:
    out: dict[str, Any] = {"command": list(check.command), "interval": check.interval, "retries": check.retries,
                           "timeout": check.timeout}
    if check.start_period:
        out["startPeriod"] = check.start_period
    return out


def mount_points(mounts: Mapping[str, str], read_only: Mapping[str, bool]) -> list[dict[str, Any]]:
    """ECS ``mountPoints`` for volume name -> container path, sorted by volume."""
    return [{"sourceVolume": name, "containerPath": mounts[name], "readOnly": read_only[name]}
            for name in sorted(mounts)]


def sidecar_definition(
    name: str,
    car: SidecarConfig,
    *,
    environment: Mapping[str, str],
    secrets: Sequence[SecretRef],
    log_configuration: dict[str, Any],
    firelens: bool,
    read_only: Mapping[str, bool],
) -> dict[str, Any]:
    """One sidecar; ``environment`` is ecsp's variables for every container, the sidecar's own are added."""
    env = {**car.variables, **environment}
    out: dict[str, Any] = {
        "name": name,
        "image": car.image,
        "essential": car.essential,
        "environment": [{"name": k, "value": env[k]} for k in sorted(env)],
        "logConfiguration": log_configuration,
    }
    if car.port is not None:
        out["portMappings"] = [{"containerPort": car.port, "protocol": "tcp"}]
    if secrets:
        out["secrets"] = [{"name": s.name, "valueFrom": s.value_from} for s in secrets]
    if car.command:
        out["command"] = list(car.command)
    if car.healthcheck is not None:
        out["healthCheck"] = health_check(car.healthcheck)
    dependencies = depends_on(car.depends_on, firelens=firelens)
    if dependencies:
        out["dependsOn"] = dependencies
    if car.mount_points:
        out["mountPoints"] = mount_points(car.mount_points, read_only)
    return out


def task_containers(
    main: dict[str, Any],
    *,
    names: naming.AppNames,
    settings: ResolvedApplication,
    environment: Mapping[str, str],
    sidecar_secrets: Mapping[str, Sequence[SecretRef]],
    log_group: str,
    region: str,
) -> list[dict[str, Any]]:
    """Every container of the task: the application's (``main``, completed here), the log router, the sidecars.

    ``environment`` is what ecsp sets in every container (ECSP_*); the application's own
    variables are already in ``main``.
    """
    firelens = settings.logging.firelens if settings.logging is not None else None
    main = dict(main)
    logs = awslogs(log_group, region) if firelens is None else firelens_log_configuration(firelens)
    if firelens is not None:
        main["logConfiguration"] = logs
    dependencies = depends_on(settings.depends_on, firelens=firelens is not None)
    if dependencies:
        main["dependsOn"] = dependencies
    if settings.container_healthcheck is not None:
        main["healthCheck"] = health_check(settings.container_healthcheck)
    volumes = settings.storage.volumes
    read_only = {name: vol.read_only for name, vol in volumes.items()}
    if volumes:
        main["mountPoints"] = mount_points({n: v.path for n, v in volumes.items()}, read_only)
    containers = [main]
    if firelens is not None:
        containers.append(log_router(firelens, log_group=log_group, region=region))
    for name in sorted(settings.sidecars):
        containers.append(sidecar_definition(
            name, settings.sidecars[name], environment=environment, secrets=sidecar_secrets.get(name, ()),
            log_configuration=logs, firelens=firelens is not None, read_only=read_only))
    return containers


def sidecar_secret_maps(settings: ResolvedApplication) -> dict[str, dict[str, str]]:
    """Each sidecar's secrets (only sidecars that have some)."""
    return {name: dict(car.secrets) for name, car in sorted(settings.sidecars.items()) if car.secrets}
