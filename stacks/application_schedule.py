"""A job: a Step Functions state machine that runs its task to the end, and the schedule that starts it.

Why Step Functions between the schedule and the task: EventBridge Scheduler can start an
ECS task by itself, but its retries cover only the RunTask call, not a task that ran and
failed, and it has no timeout. The state machine's ``ecs:runTask.sync`` step waits until
the task stops and fails when its container exits non-zero, so ``retries`` re-run failed
tasks and ``TimeoutSeconds`` stops a run that takes too long, as Copilot's scheduled job
did (its state machine is the model for the states and IAM here). Copilot used an
EventBridge rule; Scheduler is its successor, with at() schedules and time zones.
``schedule: none`` creates the state machine only: ``ecsp run`` starts it on demand.

The definition is a pure function of plain values (:func:`definition`), so its exact
shape is testable without Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import ResolvedApplication
from stacks import _aws, _iam
from stacks._iam import VERSION, service_trust

RUN_STATE = "Run the task"
RETRY_INTERVAL = 10
RETRY_BACKOFF = 1.5
# Step Functions' .sync ECS integration watches the task through this managed EventBridge rule.
SYNC_RULE = "StepFunctionsGetEventsForECSTaskRule"
SYNC_RULE_ACTIONS = ("events:DescribeRule", "events:PutRule", "events:PutTargets")
# How ecs:runTask.sync follows the task it started, and stops it when the execution stops.
WATCH_TASK_ACTIONS = ("ecs:DescribeTasks", "ecs:StopTask")


def definition(*, settings: ResolvedApplication, container: str, cluster_arn: str, task_definition_arn: str,
               subnet_ids: Sequence[str], security_group_id: str, partition: str,
               extra_security_group_ids: Sequence[str] = ()) -> dict[str, Any]:
    """The state machine: one task state that runs the job's task and waits for it (retries, timeout)."""
    run: dict[str, Any] = {
        "Type": "Task",
        "Resource": f"arn:{partition}:states:::ecs:runTask.sync",
        "Parameters": {
            "LaunchType": "FARGATE",
            "PlatformVersion": "LATEST",
            "Cluster": cluster_arn,
            "TaskDefinition": task_definition_arn,
            "PropagateTags": "TASK_DEFINITION",
            # The task's group names the execution, so a run's tasks (and their exit codes) can be found.
            "Group.$": "$$.Execution.Name",
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "Subnets": list(subnet_ids),
                "SecurityGroups": [security_group_id, *extra_security_group_ids],
                "AssignPublicIp": "ENABLED" if settings.placement == "public" else "DISABLED",
            }},
        },
        "End": True,
    }
    if settings.retries:
        run["Retry"] = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": RETRY_INTERVAL,
                         "MaxAttempts": settings.retries, "BackoffRate": RETRY_BACKOFF}]
    machine: dict[str, Any] = {"Comment": f"Run {container} on Fargate", "StartAt": RUN_STATE,
                               "States": {RUN_STATE: run}}
    if settings.timeout is not None:
        machine["TimeoutSeconds"] = settings.timeout
    return machine


def state_machine_policy(*, task_definition_arn: str, role_arns: Sequence[str], cluster_arn: str, region: str,
                         account: str, partition: str) -> str:
    """Run exactly this task definition in this cluster, pass its two roles to ECS, and watch it (Copilot's grants).

    The task's ARN is unknown until it runs; the cluster's tasks are ``task/<cluster name>/*``.
    """
    in_cluster = {"ArnEquals": {"ecs:cluster": cluster_arn}}
    tasks = f"{cluster_arn.replace(':cluster/', ':task/', 1)}/*"
    return json.dumps({"Version": VERSION, "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": sorted(role_arns),
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
        {"Effect": "Allow", "Action": "ecs:RunTask", "Resource": task_definition_arn, "Condition": in_cluster},
        {"Effect": "Allow", "Action": list(WATCH_TASK_ACTIONS), "Resource": tasks, "Condition": in_cluster},
        {"Effect": "Allow", "Action": list(SYNC_RULE_ACTIONS),
         "Resource": f"arn:{partition}:events:{region}:{account}:rule/{SYNC_RULE}"},
    ]}, sort_keys=True)


def assume(service: str, account: str | None = None) -> str:
    # ``account``: the confused-deputy guard AWS recommends for Scheduler.
    return json.dumps(service_trust(service, source_account=account), sort_keys=True)


class Job(pulumi.ComponentResource):
    """The job's state machine and its role, and (unless ``schedule: none``) its schedule and the schedule's role."""

    state_machine: aws.sfn.StateMachine
    schedule: aws.scheduler.Schedule | None

    def __init__(
        self,
        name: str,
        *,
        names: naming.AppNames,
        settings: ResolvedApplication,
        cluster_arn: pulumi.Input[str],
        task_definition_arn: pulumi.Input[str],
        execution_role_arn: pulumi.Input[str],
        task_role_arn: pulumi.Input[str],
        subnet_ids: pulumi.Input[Sequence[str]],
        security_group_id: pulumi.Input[str],
        region: str,
        account: pulumi.Input[str],
        partition: pulumi.Input[str],
        boundary: pulumi.Input[str],
        provider: aws.Provider,
        extra_security_group_ids: Sequence[pulumi.Input[str]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:Job", name, None, opts)
        role = _iam.role(
            names.state_machine_role, boundary=boundary, assume_role_policy=assume("states.amazonaws.com"),
            description=f"Step Functions role of {names.base}: runs the job's task and waits for it",
            opts=_aws.opts(provider, self))
        grant = aws.iam.RolePolicy(
            f"{name}-run-task", role=role.id,
            policy=pulumi.Output.all(task_definition_arn, execution_role_arn, task_role_arn, cluster_arn, account,
                                     partition).apply(lambda v: state_machine_policy(
                                         task_definition_arn=v[0], role_arns=[v[1], v[2]], cluster_arn=v[3],
                                         region=region, account=v[4], partition=v[5])),
            opts=_aws.opts(provider, self))
        self.state_machine = aws.sfn.StateMachine(
            name, name=names.state_machine, role_arn=role.arn, type="STANDARD",
            definition=pulumi.Output.all(cluster_arn, task_definition_arn, subnet_ids, security_group_id,
                                         partition, pulumi.Output.all(*extra_security_group_ids)).apply(
                lambda v: json.dumps(definition(
                    settings=settings, container=names.container, cluster_arn=v[0], task_definition_arn=v[1],
                    subnet_ids=v[2], security_group_id=v[3], partition=v[4], extra_security_group_ids=v[5]),
                    sort_keys=True)),
            # A first scheduled run must not start before the role may run the task.
            opts=_aws.keeps_name(provider, self, depends_on=[grant]))
        self.schedule = None
        if settings.schedule is not None and settings.schedule != "none":
            scheduler_role = _iam.role(
                names.scheduler_role, boundary=boundary, assume_role_policy=pulumi.Output.from_input(account).apply(
                    lambda a: assume("scheduler.amazonaws.com", a)),
                description=f"EventBridge Scheduler role of {names.base}: starts the job's state machine",
                opts=_aws.opts(provider, self))
            start = aws.iam.RolePolicy(
                f"{name}-start", role=scheduler_role.id,
                policy=self.state_machine.arn.apply(lambda arn: json.dumps({"Version": VERSION, "Statement": [
                    {"Effect": "Allow", "Action": "states:StartExecution", "Resource": arn}]}, sort_keys=True)),
                opts=_aws.opts(provider, self))
            self.schedule = aws.scheduler.Schedule(
                name, name=names.schedule, schedule_expression=settings.schedule,
                schedule_expression_timezone="UTC", state="ENABLED",
                flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                target=aws.scheduler.ScheduleTargetArgs(arn=self.state_machine.arn, role_arn=scheduler_role.arn),
                opts=_aws.opts(provider, self, depends_on=[start]))
        self.register_outputs({"stateMachineArn": self.state_machine.arn,
                               "scheduleName": self.schedule.name if self.schedule else None})
