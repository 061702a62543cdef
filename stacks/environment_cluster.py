"""The environment's ECS cluster, with the Fargate capacity providers its applications run on."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws

CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


class Cluster(pulumi.ComponentResource):
    """An ECS cluster with FARGATE and FARGATE_SPOT capacity providers (on-demand Fargate by default)."""

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]

    def __init__(self, name: str, *, names: naming.EnvNames, container_insights: bool, provider: aws.Provider,
                 service_connect_namespace_arn: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:environment:Cluster", name, None, opts)
        # The logical name carries project and environment, so the auto-generated physical name
        # (logical name plus a random suffix) is recognisable in the console.
        cluster = aws.ecs.Cluster(
            names.cluster,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights",
                                                 value="enabled" if container_insights else "disabled")],
            # `ecs exec` sessions are logged the account's default way, as Copilot sets up.
            configuration=aws.ecs.ClusterConfigurationArgs(
                execute_command_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationArgs(
                    logging="DEFAULT")),
            # Services that enable Service Connect without naming a namespace use this one.
            service_connect_defaults=aws.ecs.ClusterServiceConnectDefaultsArgs(
                namespace=service_connect_namespace_arn) if service_connect_namespace_arn is not None else None,
            opts=_aws.opts(provider, self),
        )
        # Capacity providers are their own resource in pulumi-aws 7 (the cluster has no such argument).
        # The default strategy lets tasks started without a launch type (one-off tasks) land on FARGATE.
        aws.ecs.ClusterCapacityProviders(
            "capacity-providers",
            cluster_name=cluster.name,
            capacity_providers=list(CAPACITY_PROVIDERS),
            default_capacity_provider_strategies=[
                aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(
                    capacity_provider="FARGATE", weight=1, base=0)],
            opts=_aws.opts(provider, self),
        )
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.register_outputs({"clusterName": self.cluster_name, "clusterArn": self.cluster_arn})
