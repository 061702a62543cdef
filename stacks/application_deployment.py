"""How ECS deploys an application's service: the strategy's settings, what traffic shifting needs, and alarm rollback.

``deployment.strategy`` rolling (the default) replaces tasks in place and needs nothing here
but the percentages. blue-green, canary and linear start a whole new set of tasks beside the
old one and move traffic to it; for a web application ECS does that on the load balancer:

* a second, *alternate* target group (the new tasks register there);
* the *production* listener rule forwards to both groups, weighted 100/0; ECS changes the
  weights as it moves traffic (so the program ignores changes to them: the next ``up``
  must not move traffic back);
* an optional *test* rule (the application's path plus a header) that reaches the new tasks
  before any production traffic moves;
* an IAM role ECS assumes to edit those rules (AWS's managed policy for it).

A backend with Service Connect needs none of that: ECS shifts its callers' traffic in the
Service Connect proxies. Alarms (existing ones by name, or ecsp's own on the target groups'
5xx rate and response time) roll a deployment back while they fire; the circuit breaker
stays on beside them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import (
    ECS_STRATEGIES,
    AlarmsConfig,
    CanaryConfig,
    DeploymentConfig,
    LinearConfig,
    ResolvedApplication,
    minutes,
)
from stacks import _aws, _iam
from stacks._iam import service_trust

# AWS's managed policy for the role ECS assumes to move load balancer traffic in a deployment.
INFRASTRUCTURE_POLICY = "policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
# The weights of the production and test rules: ECS moves them during a deployment, and leaves
# them with the other group at 100 afterwards. An `up` resetting them would move traffic back.
WEIGHTS_ECS_OWNS = "actions[*].forward.targetGroups[*].weight"
# How long a rollback alarm looks, and after how many breaching periods it fires.
ALARM_PERIOD_SECONDS = 60
ALARM_PERIODS = 2


def deployment_configuration(deployment: DeploymentConfig) -> aws.ecs.ServiceDeploymentConfigurationArgs | None:
    """The service's ``deployment_configuration`` for a traffic-shifting strategy (None for rolling: ECS's default)."""
    if not deployment.shifts_traffic:
        return None
    steps = deployment.steps
    canary = steps if isinstance(steps, CanaryConfig) else None
    linear = steps if isinstance(steps, LinearConfig) else None
    return aws.ecs.ServiceDeploymentConfigurationArgs(
        strategy=ECS_STRATEGIES[deployment.strategy],
        bake_time_in_minutes=str(minutes(deployment.bake_time)) if deployment.bake_time is not None else None,
        canary_configuration=aws.ecs.ServiceDeploymentConfigurationCanaryConfigurationArgs(
            canary_percent=canary.percent, canary_bake_time_in_minutes=str(minutes(canary.bake_time)))
        if canary is not None else None,
        linear_configuration=aws.ecs.ServiceDeploymentConfigurationLinearConfigurationArgs(
            step_percent=linear.percent, step_bake_time_in_minutes=str(minutes(linear.interval)))
        if linear is not None else None,
    )


def weighted_forward(primary_arn: pulumi.Input[str],
                     alternate_arn: pulumi.Input[str]) -> list[aws.lb.ListenerRuleActionArgs]:
    """Forward to both target groups, all traffic to the primary: how a shifting deployment's rules start."""
    return [aws.lb.ListenerRuleActionArgs(type="forward", forward=aws.lb.ListenerRuleActionForwardArgs(
        target_groups=[aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=primary_arn, weight=100),
                       aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=alternate_arn, weight=0)]))]


def infrastructure_trust(account: str) -> str:
    """ECS may assume the role, for this account only (the confused-deputy guard)."""
    return json.dumps(service_trust("ecs.amazonaws.com", source_account=account), sort_keys=True)


class InfrastructureRole(pulumi.ComponentResource):
    """The role ECS assumes to move traffic between the target groups (it edits the listener rules)."""

    role: aws.iam.Role

    def __init__(self, name: str, *, names: naming.AppNames, account: pulumi.Input[str],
                 partition: pulumi.Input[str], boundary: pulumi.Input[str], provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:application:InfrastructureRole", name, None, opts)
        self.role = _iam.role(
            names.infrastructure_role, boundary=boundary,
            assume_role_policy=pulumi.Output.from_input(account).apply(infrastructure_trust),
            description=f"ECS moves traffic between the target groups of {names.base} in its deployments",
            opts=_aws.opts(provider, self))
        self.grant = aws.iam.RolePolicyAttachment(
            f"{name}-load-balancers", role=self.role.name,
            policy_arn=pulumi.Output.from_input(partition).apply(lambda p: f"arn:{p}:iam::aws:{INFRASTRUCTURE_POLICY}"),
            opts=_aws.opts(provider, self))
        self.register_outputs({"roleArn": self.role.arn})


def _target_group_metric(id_: str, metric: str, stat: str, target_group: pulumi.Input[str],
                         load_balancer: pulumi.Input[str]) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=id_, return_data=False, metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace="AWS/ApplicationELB", metric_name=metric, stat=stat, period=ALARM_PERIOD_SECONDS,
            dimensions={"TargetGroup": target_group, "LoadBalancer": load_balancer}))


def error_rate_expression(groups: int) -> str:
    """5xx responses as a % of requests, over every target group (the new tasks' group counts from the start)."""
    errors = "+".join(f"FILL(e{i},0)" for i in range(groups))
    requests = "+".join(f"FILL(r{i},0)" for i in range(groups))
    return f"100*({errors})/({requests})"


def response_time_expression(groups: int) -> str:
    """The slowest target group's average response time."""
    times = ",".join(f"FILL(t{i},0)" for i in range(groups))
    return f"MAX([{times}])" if groups > 1 else "FILL(t0,0)"


class RollbackAlarms(pulumi.ComponentResource):
    """The alarms ecsp creates for a web application's deployments: 5xx rate and response time, over its target groups.

    No requests is no data, and no data is not breaching: a quiet application never rolls back.
    """

    names: pulumi.Output[list[str]]

    def __init__(self, name: str, *, names: naming.AppNames, alarms: AlarmsConfig,
                 target_group_suffixes: Sequence[pulumi.Input[str]], load_balancer_suffix: pulumi.Input[str],
                 provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:application:RollbackAlarms", name, None, opts)
        groups = len(target_group_suffixes)
        thresholds = alarms.created

        def alarm(suffix: str, what: str, threshold: float, queries: list[aws.cloudwatch.MetricAlarmMetricQueryArgs],
                  result: aws.cloudwatch.MetricAlarmMetricQueryArgs) -> pulumi.Output[str]:
            # Named <project>-<env>-<app>-<suffix>: the deploy role may manage the environment's alarms by name.
            return aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}", name=names.rollback_alarm(suffix),
                alarm_description=f"{names.base}: {what} (rolls a deployment back)",
                comparison_operator="GreaterThanThreshold", threshold=threshold,
                evaluation_periods=ALARM_PERIODS, datapoints_to_alarm=ALARM_PERIODS, treat_missing_data="notBreaching",
                metric_queries=[*queries, result], opts=_aws.opts(provider, self)).name

        created: list[pulumi.Output[str]] = []
        if "errors" in thresholds:
            created.append(alarm(
                "errors", f"target 5xx responses above {thresholds['errors']:g}% of requests", thresholds["errors"],
                [_target_group_metric(f"{kind}{i}", metric, "Sum", tg, load_balancer_suffix)
                 for i, tg in enumerate(target_group_suffixes)
                 for kind, metric in (("e", "HTTPCode_Target_5XX_Count"), ("r", "RequestCount"))],
                aws.cloudwatch.MetricAlarmMetricQueryArgs(id="rate", expression=error_rate_expression(groups),
                                                          label="5xx %", return_data=True)))
        if "response_time" in thresholds:
            created.append(alarm(
                "response-time", f"average response time above {thresholds['response_time']:g}s",
                thresholds["response_time"],
                [_target_group_metric(f"t{i}", "TargetResponseTime", "Average", tg, load_balancer_suffix)
                 for i, tg in enumerate(target_group_suffixes)],
                aws.cloudwatch.MetricAlarmMetricQueryArgs(id="slowest", expression=response_time_expression(groups),
                                                          label="response time", return_data=True)))
        self.names = pulumi.Output.all(*created).apply(list)
        self.register_outputs({"alarmNames": self.names})


def service_alarms(settings: ResolvedApplication,
                   created: pulumi.Output[list[str]] | None) -> aws.ecs.ServiceAlarmsArgs | None:
    """The service's deployment alarms, rollback on: the names given and the alarms ecsp created (None: no alarms)."""
    alarms = settings.deployment.alarms
    if alarms is None:
        return None
    given = list(alarms.names)
    names: pulumi.Input[Sequence[str]] = given if created is None else created.apply(lambda c: [*given, *c])
    return aws.ecs.ServiceAlarmsArgs(alarm_names=names, enable=True, rollback=True)
