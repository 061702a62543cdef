"""A worker's SQS queue, its dead-letter queue, its subscriptions to other applications' topics, and backlog scaling.

The queues use SQS-managed encryption (SSE-SQS). Copilot created a KMS key per worker
instead, because SNS cannot deliver to a queue encrypted with the AWS-managed SQS key;
SSE-SQS has no such limit, costs nothing and needs no key policy, so ecsp uses it.

The topic ARNs come from the publishers' stacks (their ``topicArns`` output): the publisher
is an application of the same environment, and its stack deploys first
(:func:`ecsp.graph.build`). Read, not computed from the name, because a topic created before
ecsp marked its names keeps the name it has. The queue policy lets SNS send only from those
topics; the worker's task role may receive and delete only on its own queue.

Backlog scaling replaces Copilot's per-worker Lambda (which published a BacklogPerTask
metric every minute) with a target-tracking policy on metric math: the queue's visible
messages divided by the service's running tasks (Container Insights' RunningTaskCount,
which is why the config requires Container Insights for ``queue_delay``). The target is
Copilot's acceptable backlog per task, latency / processing time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import AutoscalingConfig, QueueConfig, SubscriptionConfig
from stacks import _aws
from stacks.application_iam import VERSION

DEAD_LETTER_RETENTION = 1209600  # 14 days, SQS's longest (as Copilot's)
# What a consumer needs: receive, delete when done, extend the visibility of a slow message, read depth.
CONSUMER_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
)


def queue_policy(queue_arn: str, topic_arns: Sequence[str]) -> str:
    """SNS may send to the queue, on behalf of exactly the subscribed topics."""
    return json.dumps({"Version": VERSION, "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": sorted(topic_arns)}},
    }]}, sort_keys=True)


def _item(i: int) -> Any:
    def pick(values: list[str]) -> str:
        return values[i]

    return pick


def consumer_policy(queue_arn: str) -> str:
    return json.dumps({"Version": VERSION, "Statement": [
        {"Effect": "Allow", "Action": list(CONSUMER_ACTIONS), "Resource": queue_arn},
    ]}, sort_keys=True)


class Queue(pulumi.ComponentResource):
    """The worker's queue and dead-letter queue, SNS subscriptions, queue policy and the task role's grant."""

    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue
    grant: aws.iam.RolePolicy

    def __init__(
        self,
        name: str,
        *,
        names: naming.AppNames,
        settings: QueueConfig,
        subscribe: Sequence[SubscriptionConfig],
        topic_arns: Sequence[pulumi.Input[str]],
        task_role: aws.iam.Role,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:Queue", name, None, opts)
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dead-letter", name=names.dead_letter_queue, sqs_managed_sse_enabled=True,
            message_retention_seconds=DEAD_LETTER_RETENTION, opts=_aws.opts(provider, self))
        self.queue = aws.sqs.Queue(
            name, name=names.queue, sqs_managed_sse_enabled=True,
            message_retention_seconds=settings.retention_seconds,
            visibility_timeout_seconds=settings.visibility_timeout,
            redrive_policy=self.dead_letter_queue.arn.apply(lambda arn: json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": settings.max_receive_count}, sort_keys=True)),
            opts=_aws.opts(provider, self))
        arns = pulumi.Output.all(*topic_arns).apply(lambda found: [str(arn) for arn in found])
        if subscribe:
            policy = aws.sqs.QueuePolicy(
                name, queue_url=self.queue.url,
                policy=pulumi.Output.all(self.queue.arn, arns).apply(lambda v: queue_policy(v[0], v[1])),
                opts=_aws.opts(provider, self))
            for i, sub in enumerate(subscribe):
                aws.sns.TopicSubscription(
                    f"{name}-{sub.app}-{sub.topic}", topic=arns.apply(_item(i)), protocol="sqs",
                    endpoint=self.queue.arn,
                    filter_policy=json.dumps(sub.filter, sort_keys=True) if sub.filter is not None else None,
                    # SNS checks that it may send before it subscribes a queue.
                    opts=_aws.opts(provider, self, depends_on=[policy]))
        self.grant = aws.iam.RolePolicy(
            f"{name}-consume", role=task_role.id, policy=self.queue.arn.apply(consumer_policy),
            opts=_aws.opts(provider, self))
        self.register_outputs({"queueUrl": self.queue.url, "deadLetterQueueUrl": self.dead_letter_queue.url})


_TT = "PolicyTargetTrackingScalingPolicyConfiguration"


def _arg(suffix: str) -> Any:
    """pulumi-aws's args class ``PolicyTargetTrackingScalingPolicyConfiguration<suffix>Args``, by its (long) name."""
    return getattr(aws.appautoscaling, f"{_TT}{suffix}Args")


def backlog_metrics(queue_name: str, cluster_name: str, service_name: str) -> list[Any]:
    """Metric math for backlog per task: visible messages / running tasks (AWS's documented SQS example)."""
    spec = "CustomizedMetricSpecificationMetric"

    def stat(id_: str, namespace: str, metric: str, dimensions: dict[str, str], statistic: str) -> Any:
        return _arg(spec)(id=id_, return_data=False, metric_stat=_arg(f"{spec}MetricStat")(
            stat=statistic, metric=_arg(f"{spec}MetricStatMetric")(
                namespace=namespace, metric_name=metric,
                dimensions=[_arg(f"{spec}MetricStatMetricDimension")(name=k, value=v) for k, v in dimensions.items()])))

    return [
        stat("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue_name}, "Sum"),
        stat("tasks", "ECS/ContainerInsights", "RunningTaskCount",
             {"ClusterName": cluster_name, "ServiceName": service_name}, "Average"),
        _arg(spec)(id="backlog", expression="visible / tasks", label="messages per running task", return_data=True),
    ]


class BacklogScaling(pulumi.ComponentResource):
    """A target-tracking policy that keeps the worker's backlog per task at Copilot's acceptable value."""

    policy: aws.appautoscaling.Policy

    def __init__(self, name: str, *, scaling: AutoscalingConfig, target: aws.appautoscaling.Target,
                 queue_name: pulumi.Input[str], cluster_name: pulumi.Input[str], service_name: pulumi.Input[str],
                 provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:application:BacklogScaling", name, None, opts)
        assert scaling.queue_delay is not None
        metrics = pulumi.Output.all(queue_name, cluster_name, service_name).apply(
            lambda v: backlog_metrics(v[0], v[1], v[2]))
        self.policy = aws.appautoscaling.Policy(
            f"{name}-backlog",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=_arg("")(
                target_value=scaling.queue_delay.backlog_per_task,
                scale_in_cooldown=scaling.cooldown_in,
                scale_out_cooldown=scaling.cooldown_out,
                customized_metric_specification=_arg("CustomizedMetricSpecification")(metrics=metrics)),
            opts=_aws.opts(provider, self))
        self.register_outputs({"policyArn": self.policy.arn})
