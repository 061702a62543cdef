"""The SNS topics an application publishes, and its task role's permission to publish to exactly them.

Topics are named ``<project>-<env>-<app>-<topic>`` (:mod:`ecsp.naming`) so a worker's
stack can compute their ARNs without reading this stack. They are encrypted with the
account's AWS-managed SNS key, as Copilot's are; SNS delivers to the subscribers' queues
(SSE-SQS) with its own service credentials, which that key permits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws
from stacks.application_iam import VERSION

MANAGED_SNS_KEY = "alias/aws/sns"


def publish_policy(topic_arns: Sequence[str]) -> str:
    return json.dumps({"Version": VERSION, "Statement": [
        {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": sorted(topic_arns)},
    ]}, sort_keys=True)


class Topics(pulumi.ComponentResource):
    """One SNS topic per name in ``publish``; ``arns`` maps each name to its ARN (ECSP_SNS_TOPIC_ARNS)."""

    topics: dict[str, aws.sns.Topic]
    arns: pulumi.Output[dict[str, str]]
    grant: aws.iam.RolePolicy

    def __init__(self, name: str, *, names: naming.AppNames, publish: Sequence[str], task_role: aws.iam.Role,
                 provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:application:Topics", name, None, opts)
        self.topics = {
            topic: aws.sns.Topic(f"{name}-{topic}", name=names.topic(topic), kms_master_key_id=MANAGED_SNS_KEY,
                                 opts=_aws.keeps_name(provider, self))
            for topic in publish}
        by_name: Mapping[str, Any] = {topic: t.arn for topic, t in self.topics.items()}
        self.arns = pulumi.Output.all(**by_name).apply(lambda a: {k: str(v) for k, v in sorted(a.items())})
        self.grant = aws.iam.RolePolicy(
            f"{name}-publish", role=task_role.id, policy=self.arns.apply(lambda a: publish_policy(list(a.values()))),
            opts=_aws.opts(provider, self))
        self.register_outputs({"topicArns": self.arns})
