"""An application's Fargate task definition and the log group its container writes to.

The container definition is a pure function of plain values (:func:`container_definition`)
so its exact shape is testable without Pulumi; the component resolves the Outputs it needs
(image, URL, secrets) and calls it inside ``apply``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import ResolvedApplication
from stacks import _aws, application_sidecars
from stacks.application_iam import SecretRef

LOG_STREAM_PREFIX = "ecsp"
CPU_ARCHITECTURES = {"linux/x86_64": "X86_64", "linux/arm64": "ARM64"}


def environment(names: naming.AppNames, variables: Mapping[str, str], url: str | None,
                extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The container's environment: the user's variables plus what ecsp tells every application.

    ``url`` (ECSP_URL) is a web application's address; ``extra`` are what its kind adds
    (ECSP_SNS_TOPIC_ARNS, ECSP_QUEUE_URL).
    """
    env = {
        **variables,
        "ECSP_PROJECT": names.project,
        "ECSP_ENVIRONMENT": names.environment,
        "ECSP_APPLICATION": names.application,
        **(extra or {}),
    }
    if url is not None:
        env["ECSP_URL"] = url
    return env


def container_definition(
    *,
    names: naming.AppNames,
    settings: ResolvedApplication,
    image: str,
    url: str | None,
    secrets: Sequence[SecretRef],
    log_group: str,
    region: str,
    extra_environment: Mapping[str, str] | None = None,
    port_name: str | None = None,
) -> dict[str, Any]:
    """The application's one container (lists sorted by name so the JSON only changes when settings do).

    ``port_name`` names the port mapping, as Service Connect needs to refer to it.
    """
    env = environment(names, settings.variables, url, extra_environment)
    container: dict[str, Any] = {
        "name": names.container,
        "image": image,
        "essential": True,
        "environment": [{"name": k, "value": env[k]} for k in sorted(env)],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": LOG_STREAM_PREFIX}},
    }
    if settings.port is not None:  # workers and jobs may serve no port
        mapping: dict[str, Any] = {"containerPort": settings.port, "protocol": "tcp"}
        if port_name is not None:
            mapping.update(name=port_name, appProtocol="http")
        container["portMappings"] = [mapping]
    if secrets:
        container["secrets"] = [{"name": s.name, "valueFrom": s.value_from} for s in secrets]
    if settings.exec:
        # AWS recommends an init process with ECS Exec so the SSM agent's children are reaped.
        container["linuxParameters"] = {"initProcessEnabled": True}
    return container


class TaskDefinition(pulumi.ComponentResource):
    """The log group and the Fargate task definition of one application."""

    log_group: aws.cloudwatch.LogGroup
    task_definition: aws.ecs.TaskDefinition

    def __init__(
        self,
        name: str,
        *,
        names: naming.AppNames,
        settings: ResolvedApplication,
        image: pulumi.Input[str],
        url: pulumi.Input[str] | None,
        secrets: pulumi.Input[Sequence[SecretRef]],
        execution_role_arn: pulumi.Input[str],
        task_role_arn: pulumi.Input[str],
        region: str,
        provider: aws.Provider,
        extra_environment: pulumi.Input[Mapping[str, str]] | None = None,
        port_name: str | None = None,
        sidecar_secrets: pulumi.Input[Mapping[str, Sequence[SecretRef]]] | None = None,
        volumes: Sequence[aws.ecs.TaskDefinitionVolumeArgs] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:TaskDefinition", name, None, opts)
        self.log_group = aws.cloudwatch.LogGroup(
            name, name=names.log_group, retention_in_days=settings.log_retention, opts=_aws.opts(provider, self))

        def definitions(v: list[Any]) -> str:
            main = container_definition(
                names=names, settings=settings, image=v[0], url=v[1], secrets=v[2], log_group=v[3], region=region,
                extra_environment=v[4], port_name=port_name)
            # Sidecars, FireLens, dependencies and mount points complete it; without them it is unchanged.
            # Sidecars get what ecsp tells every container of the application (not its own variables).
            return json.dumps(application_sidecars.task_containers(
                main, names=names, settings=settings, environment=environment(names, {}, v[1], v[4]),
                sidecar_secrets=v[5] or {}, log_group=v[3], region=region), sort_keys=True)

        containers = pulumi.Output.all(image, url, secrets, self.log_group.name, extra_environment,
                                       sidecar_secrets).apply(definitions)
        self.task_definition = aws.ecs.TaskDefinition(
            name,
            family=names.family,
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            cpu=str(settings.cpu),
            memory=str(settings.memory),
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role_arn,
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture=CPU_ARCHITECTURES[settings.platform]),
            container_definitions=containers,
            volumes=volumes,
            opts=_aws.opts(provider, self))
        self.register_outputs({"logGroupName": self.log_group.name, "taskDefinitionArn": self.task_definition.arn})
