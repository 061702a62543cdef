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
from ecsp.config import Application
from stacks import _aws, application_sidecars
from stacks.application_iam import SecretRef

LOG_STREAM_PREFIX = "ecsp"
CPU_ARCHITECTURES = {"linux/x86_64": "X86_64", "linux/arm64": "ARM64"}


def environment(names: naming.AppNames, variables: Mapping[str, str], url: str) -> dict[str, str]:
    """The container's environment: the user's variables plus what ecsp tells every application."""
    return {
        **variables,
        "ECSP_PROJECT": names.project,
        "ECSP_ENVIRONMENT": names.environment,
        "ECSP_APPLICATION": names.application,
        "ECSP_URL": url,
    }


def container_definition(
    *,
    names: naming.AppNames,
    settings: Application,
    image: str,
    url: str,
    secrets: Sequence[SecretRef],
    log_group: str,
    region: str,
) -> dict[str, Any]:
    """The application's one container (lists sorted by name so the JSON only changes when settings do)."""
    env = environment(names, settings.variables, url)
    container: dict[str, Any] = {
        "name": names.container,
        "image": image,
        "essential": True,
        "portMappings": [{"containerPort": settings.port, "protocol": "tcp"}],
        "environment": [{"name": k, "value": env[k]} for k in sorted(env)],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": LOG_STREAM_PREFIX}},
    }
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
        settings: Application,
        image: pulumi.Input[str],
        url: pulumi.Input[str],
        secrets: pulumi.Input[Sequence[SecretRef]],
        execution_role_arn: pulumi.Input[str],
        task_role_arn: pulumi.Input[str],
        region: str,
        provider: aws.Provider,
        sidecar_secrets: pulumi.Input[Mapping[str, Sequence[SecretRef]]] | None = None,
        volumes: Sequence[aws.ecs.TaskDefinitionVolumeArgs] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:TaskDefinition", name, None, opts)
        self.log_group = aws.cloudwatch.LogGroup(
            name, name=names.log_group, retention_in_days=settings.log_retention, opts=_aws.opts(provider, self))

        def definitions(v: list[Any]) -> str:
            main = container_definition(
                names=names, settings=settings, image=v[0], url=v[1], secrets=v[2], log_group=v[3], region=region)
            # Sidecars, FireLens, dependencies and mount points complete it; without them it is unchanged.
            return json.dumps(application_sidecars.task_containers(
                main, names=names, settings=settings, environment=environment(names, {}, v[1]),
                sidecar_secrets=v[4] or {}, log_group=v[3], region=region), sort_keys=True)

        containers = pulumi.Output.all(image, url, secrets, self.log_group.name, sidecar_secrets).apply(definitions)
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
