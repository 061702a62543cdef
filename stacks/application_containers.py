"""Every container of an application's task rendered from its config spec by one function.

The task's containers come from :func:`ecsp.config.task_containers` as one list: the
application's own first, then the FireLens log router, then the sidecars. Each is rendered
here the same way (:func:`container_definition`), a pure function of plain values, so the
exact definitions can be read and tested without Pulumi. The settings every container may
set alike (:class:`ecsp.config.ContainerSettings`) are one line each in :data:`SETTINGS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ecsp import naming
from ecsp.config import LOG_ROUTER, Container, ContainerHealthCheckConfig
from stacks.application_iam import SecretRef

# awslogs streams are <prefix>/<container>/<task id>, which `ecsp logs` reads (naming builds them).
LOG_STREAM_PREFIX = naming.LOG_STREAM_PREFIX

# The ECS keys of each container setting (ecsp.config.ContainerSettings), by field: one line each.
SETTINGS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "command": lambda words: {"command": list(words)},
    "entrypoint": lambda words: {"entryPoint": list(words)},
}


def ecsp_environment(names: naming.AppNames, url: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What ecsp tells every container of the application: its project, environment and name, and more.

    ``url`` (ECSP_URL) is the address of an application behind the load balancer; ``extra`` what
    its capabilities add (ECSP_SNS_TOPIC_ARNS, ECSP_QUEUE_URL).
    """
    env = {"ECSP_PROJECT": names.project, "ECSP_ENVIRONMENT": names.environment,
           "ECSP_APPLICATION": names.application, **(extra or {})}
    if url is not None:
        env["ECSP_URL"] = url
    return env


def awslogs(log_group: str, region: str) -> dict[str, Any]:
    """awslogs to the application's log group; the stream name carries the container's name after the prefix."""
    return {"logDriver": "awslogs", "options": {
        "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": LOG_STREAM_PREFIX}}


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


def container_definition(
    container: Container,
    *,
    image: str,
    environment: Mapping[str, str],
    secrets: Sequence[SecretRef],
    log_group: str,
    region: str,
    variables: Mapping[str, str] | None = None,
    port_name: str | None = None,
) -> dict[str, Any]:
    """One container's ECS definition (lists sorted by name, so the JSON only changes when settings do).

    ``image`` is the application's image URI, used when the container has no image of its own;
    ``environment`` is ecsp's variables, set after the container's own; ``variables`` are the
    container's variables resolved when the stack deploys (linked data, addon outputs, exports),
    set after the written ones; ``port_name`` names the port mapping, as Service Connect needs to
    refer to it.
    """
    out: dict[str, Any] = {"name": container.name, "image": container.image or image,
                           "essential": container.essential}
    if container.credentials is not None:
        out["repositoryCredentials"] = {"credentialsParameter": container.credentials}
    if container.variables is not None:
        env = {**container.variables, **(variables or {}), **environment}
        out["environment"] = [{"name": k, "value": env[k]} for k in sorted(env)]
    if container.log_options is None:
        out["logConfiguration"] = awslogs(log_group, region)
    else:  # the awsfirelens driver: ECS hands the container's output to the log router, with these options
        out["logConfiguration"] = {"logDriver": "awsfirelens", "options": dict(container.log_options)}
    if container.router is not None:
        out["firelensConfiguration"] = {"type": "fluentbit", "options": {"enable-ecs-log-metadata": "true"}}
    if container.port is not None:
        mapping: dict[str, Any] = {"containerPort": container.port, "protocol": "tcp"}
        if port_name is not None:
            mapping.update(name=port_name, appProtocol="http")
        out["portMappings"] = [mapping]
    if secrets:
        out["secrets"] = [{"name": s.name, "valueFrom": s.value_from} for s in secrets]
    # Each declared setting through its line (a setting declared without one is a KeyError, not silence).
    for field in type(container.settings).model_fields:
        value = getattr(container.settings, field)
        if value is not None:
            out.update(SETTINGS[field](value))
    if container.init_process:
        # AWS recommends an init process with ECS Exec so the SSM agent's children are reaped.
        out["linuxParameters"] = {"initProcessEnabled": True}
    if container.healthcheck is not None:
        out["healthCheck"] = health_check(container.healthcheck)
    dependencies = depends_on(container.depends_on, firelens=container.log_options is not None)
    if dependencies:
        out["dependsOn"] = dependencies
    if container.mounts:
        out["mountPoints"] = [{"sourceVolume": m.volume, "containerPath": m.path, "readOnly": m.read_only}
                              for m in sorted(container.mounts, key=lambda m: m.volume)]
    return out


def container_definitions(
    containers: Sequence[Container],
    *,
    image: str,
    environment: Mapping[str, str],
    secrets: Mapping[str, Sequence[SecretRef]],
    log_group: str,
    region: str,
    variables: Mapping[str, Mapping[str, str]] | None = None,
    port_names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every container of the task, in the spec's order; ``secrets``, ``variables`` and ``port_names`` by
    container name."""
    return [container_definition(c, image=image, environment=environment, secrets=secrets.get(c.name, ()),
                                 log_group=log_group, region=region, variables=(variables or {}).get(c.name),
                                 port_name=(port_names or {}).get(c.name))
            for c in containers]
