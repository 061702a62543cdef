"""An application's Fargate task definition and the log group its containers write to.

The containers come from the config as one list (:func:`ecsp.config.task_containers`) and are
rendered by :mod:`stacks.application_containers`; this component resolves the Outputs they
need (image, URL, secrets, the variables links resolve) and serialises them inside ``apply``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import Container, ResolvedApplication
from stacks import _aws
from stacks.application_containers import container_definitions, ecsp_environment
from stacks.application_iam import SecretRef

CPU_ARCHITECTURES = {"linux/x86_64": "X86_64", "linux/arm64": "ARM64"}


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
        containers: Sequence[Container],
        image: pulumi.Input[str],
        url: pulumi.Input[str] | None,
        secrets: pulumi.Input[Mapping[str, Sequence[SecretRef]]],
        execution_role_arn: pulumi.Input[str],
        task_role_arn: pulumi.Input[str],
        region: str,
        provider: aws.Provider,
        extra_environment: pulumi.Input[Mapping[str, str]] | None = None,
        variables: pulumi.Input[Mapping[str, Mapping[str, str]]] | None = None,
        port_names: Mapping[str, str] | None = None,
        volumes: Sequence[aws.ecs.TaskDefinitionVolumeArgs] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:TaskDefinition", name, None, opts)
        self.log_group = aws.cloudwatch.LogGroup(
            name, name=names.log_group, retention_in_days=settings.log_retention, opts=_aws.opts(provider, self))

        def definitions(v: list[Any]) -> str:
            return json.dumps(container_definitions(
                containers, image=v[0], environment=ecsp_environment(names, v[1], v[4]), secrets=v[2],
                variables=v[5], log_group=v[3], region=region, port_names=port_names), sort_keys=True)

        rendered = pulumi.Output.all(image, url, secrets, self.log_group.name, extra_environment,
                                     variables).apply(definitions)
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
            container_definitions=rendered,
            volumes=volumes,
            # Replaced revisions stay ACTIVE: a service can only be moved (back) to an active one, and the
            # release and rollback of ecsp.rollout do just that.
            skip_destroy=True,
            opts=_aws.opts(provider, self))
        self.register_outputs({"logGroupName": self.log_group.name, "taskDefinitionArn": self.task_definition.arn})
