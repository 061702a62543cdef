"""An application's ECS service on Fargate (with Service Connect when asked) and its optional autoscaling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import AutoscalingConfig, Capacity, CapacitySpread, ResolvedApplication
from stacks import _aws
from stacks.application_deployment import deployment_configuration

# Target-tracking metrics per ecsp autoscaling target.
PREDEFINED_METRICS = {
    "cpu": "ECSServiceAverageCPUUtilization",
    "memory": "ECSServiceAverageMemoryUtilization",
    "requests": "ALBRequestCountPerTarget",
}


def load_balancer_arn_suffix(arn: str | None) -> str | None:
    """``app/<name>/<id>`` of an ALB ARN: the CloudWatch dimension ALB metrics use."""
    if not arn:
        return None
    marker = ":loadbalancer/"
    if marker not in arn:
        raise ValueError(f"'{arn}' is not a load balancer ARN")
    return arn.split(marker, 1)[1]


@dataclass(frozen=True)
class ServiceConnect:
    """How a service joins its environment's Service Connect namespace.

    ``discovery_name`` set: a server too, which the others call as
    ``http://<discovery_name>:<port>`` (the container's port named ``port_name``); None: a client only.
    """

    namespace_arn: pulumi.Input[str]
    discovery_name: str | None = None
    port_name: str | None = None
    port: int | None = None

    def args(self) -> aws.ecs.ServiceServiceConnectConfigurationArgs:
        services = None
        if self.discovery_name is not None and self.port_name is not None and self.port is not None:
            services = [aws.ecs.ServiceServiceConnectConfigurationServiceArgs(
                port_name=self.port_name, discovery_name=self.discovery_name,
                client_alias=[aws.ecs.ServiceServiceConnectConfigurationServiceClientAliasArgs(
                    port=self.port, dns_name=self.discovery_name)])]
        return aws.ecs.ServiceServiceConnectConfigurationArgs(
            enabled=True, namespace=self.namespace_arn, services=services)
def capacity_strategy(capacity: Capacity) -> list[dict[str, Any]] | None:
    """The service's capacity provider strategy, or None for on-demand (launch type FARGATE, as before).

    ``{spot: N, base: M}``: the first M tasks on FARGATE, then N on FARGATE_SPOT for each
    further one on FARGATE (weights N and 1).
    """
    if capacity == "on-demand":
        return None
    if capacity == "spot":
        return [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
    assert isinstance(capacity, CapacitySpread)
    return [{"capacity_provider": "FARGATE", "weight": 1, "base": capacity.base},
            {"capacity_provider": "FARGATE_SPOT", "weight": capacity.spot}]


class Service(pulumi.ComponentResource):
    """The ECS service that keeps the application's tasks running (web: behind its target group)."""

    service: aws.ecs.Service

    def __init__(
        self,
        name: str,
        *,
        names: naming.AppNames,
        settings: ResolvedApplication,
        cluster_arn: pulumi.Input[str],
        task_definition_arn: pulumi.Input[str],
        subnet_ids: pulumi.Input[Sequence[str]],
        security_group_id: pulumi.Input[str],
        target_group_arn: pulumi.Input[str] | None,
        rules: Sequence[pulumi.Resource],
        wait_for_steady_state: bool,
        provider: aws.Provider,
        service_connect: ServiceConnect | None = None,
        extra_security_group_ids: Sequence[pulumi.Input[str]] = (),
        shifting: aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs | None = None,
        alarms: aws.ecs.ServiceAlarmsArgs | None = None,
        target: tuple[str, int | None] | None = None,
        route_targets: Sequence[tuple[pulumi.Input[str], str, int | None]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``shifting``: the alternate target group, rules and role of a web application's traffic-shifting
        deployments (:mod:`stacks.application_deployment`); ``alarms``: the deployment alarms, rollback on;
        ``route_targets``: each route's target group, container and port."""
        super().__init__("ecsp:application:Service", name, None, opts)
        public = settings.placement == "public"
        # The container and port the load balancer sends requests to (a sidecar's with target_container).
        target_container, target_port = target if target is not None else (names.container, settings.port)
        balanced = target_group_arn is not None and target_port is not None
        minimum, maximum = settings.deployment.percents
        strategy = capacity_strategy(settings.capacity)
        self.service = aws.ecs.Service(
            names.service,
            cluster=cluster_arn,
            task_definition=task_definition_arn,
            # ECS refuses a launch type together with a capacity provider strategy.
            launch_type="FARGATE" if strategy is None else None,
            capacity_provider_strategies=None if strategy is None else [
                aws.ecs.ServiceCapacityProviderStrategyArgs(**item) for item in strategy],
            # The provider changes a strategy in place only with this set (else it replaces the service).
            force_new_deployment=True if strategy is not None else None,
            # LATEST is 1.4.0 or later, which EFS volumes need.
            platform_version="LATEST",
            desired_count=settings.desired_count,
            deployment_minimum_healthy_percent=minimum,
            deployment_maximum_percent=maximum,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            deployment_configuration=deployment_configuration(settings.deployment),
            alarms=alarms,
            # ECS refuses a grace period on a service without a load balancer.
            health_check_grace_period_seconds=settings.healthcheck.grace_period if balanced else None,
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=subnet_ids, security_groups=[security_group_id, *extra_security_group_ids],
                assign_public_ip=public),
            load_balancers=[aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=target_group_arn, container_name=target_container, container_port=target_port,
                advanced_configuration=shifting)] + [
                aws.ecs.ServiceLoadBalancerArgs(target_group_arn=arn, container_name=container, container_port=port)
                for arn, container, port in route_targets if port is not None]
            if balanced and target_group_arn is not None and target_port is not None else None,
            service_connect_configuration=service_connect.args() if service_connect is not None else None,
            enable_execute_command=settings.exec,
            propagate_tags="SERVICE",
            wait_for_steady_state=wait_for_steady_state,
            opts=_aws.opts(
                provider, self,
                # ECS rejects a service whose target group no listener rule uses yet.
                depends_on=list(rules),
                # With autoscaling the scaler owns the running count; a deploy must not reset it to min.
                ignore_changes=["desired_count"] if settings.autoscaling else None))
        self.register_outputs({"serviceName": self.service.name, "serviceArn": self.service.arn})


class Autoscaling(pulumi.ComponentResource):
    """A scalable target for the service's desired count and one target-tracking policy per target."""

    target: aws.appautoscaling.Target
    policies: dict[str, aws.appautoscaling.Policy]

    def __init__(
        self,
        name: str,
        *,
        scaling: AutoscalingConfig,
        cluster_name: pulumi.Input[str],
        service_name: pulumi.Input[str],
        load_balancer_arn: pulumi.Input[str] | None,
        target_group_arn_suffix: pulumi.Input[str] | None,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:Autoscaling", name, None, opts)
        self.target = aws.appautoscaling.Target(
            name,
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster_name, "/", service_name),
            min_capacity=scaling.min,
            max_capacity=scaling.max,
            opts=_aws.opts(provider, self))
        # ALBRequestCountPerTarget is measured per <load balancer>/<target group> pair.
        label = pulumi.Output.all(load_balancer_arn, target_group_arn_suffix).apply(
            lambda v: f"{load_balancer_arn_suffix(v[0])}/{v[1]}")
        self.policies = {}
        for metric, value in sorted(scaling.targets.items()):
            self.policies[metric] = aws.appautoscaling.Policy(
                f"{name}-{metric}",
                policy_type="TargetTrackingScaling",
                service_namespace=self.target.service_namespace,
                scalable_dimension=self.target.scalable_dimension,
                resource_id=self.target.resource_id,
                target_tracking_scaling_policy_configuration=(
                    aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                        target_value=value,
                        scale_in_cooldown=scaling.cooldown_in,
                        scale_out_cooldown=scaling.cooldown_out,
                        predefined_metric_specification=(
                            aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                                predefined_metric_type=PREDEFINED_METRICS[metric],
                                resource_label=label if metric == "requests" else None)))),
                opts=_aws.opts(provider, self))
        self.register_outputs({"resourceId": self.target.resource_id})
