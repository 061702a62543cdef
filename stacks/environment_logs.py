"""The environment's optional logs: the load balancer's access-log bucket and the VPC's flow logs.

Access logs: a bucket ecsp creates (SSE-S3, since ELB cannot write to SSE-KMS buckets;
public access blocked; a policy that lets the region's ELB log delivery write this
account's keys and refuses plain HTTP), or an existing bucket the user names. Flow logs:
a CloudWatch Logs group with a retention, a role that only VPC Flow Logs may assume and
that may only write to that group, and the flow log of the VPC (created or imported).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from ecsp import access_logs, naming
from stacks import _aws, _iam
from stacks._iam import VERSION, service_trust

FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
FLOW_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")


def flow_logs_trust(account: str) -> dict[str, object]:
    """VPC Flow Logs may assume the role, for this account's flow logs only (no confused deputy)."""
    return service_trust(FLOW_LOGS_SERVICE, source_account=account)


def flow_logs_permissions(group_arn: str) -> dict[str, object]:
    """Write log streams and events into one group (ecsp creates the group, so no CreateLogGroup)."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "WriteFlowLogs", "Effect": "Allow",
        "Action": list(FLOW_LOG_ACTIONS),
        "Resource": [group_arn, f"{group_arn}:*"]}]}


class AccessLogsBucket(pulumi.ComponentResource):
    """An S3 bucket for the load balancer's access logs, with the policy ELB log delivery needs."""

    bucket: pulumi.Output[str]
    ready: list[pulumi.Resource]  # what the load balancer waits for: ELB tests its write access when enabled

    def __init__(self, name: str, *, names: naming.EnvNames, region: str, account: pulumi.Input[str],
                 partition: pulumi.Input[str], provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:environment:AccessLogs", name, None, opts)

        def child(**kwargs: object) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, **kwargs)

        logical = naming.access_logs_bucket(names.project, names.environment)
        # Retained on destroy: access logs are an audit trail that outlives the environment.
        bucket = aws.s3.Bucket(logical, opts=child(retain_on_delete=True))
        aws.s3.BucketOwnershipControls(
            logical, bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child())
        public_access = aws.s3.BucketPublicAccessBlock(
            logical, bucket=bucket.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True,
            restrict_public_buckets=True, opts=child())
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            logical, bucket=bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"))],  # SSE-S3: ELB access logs do not support SSE-KMS
            opts=child())
        policy = aws.s3.BucketPolicy(
            logical, bucket=bucket.id,
            policy=pulumi.Output.all(partition, bucket.bucket, account).apply(
                lambda a: json.dumps(access_logs.bucket_policy(partition=a[0], bucket=a[1], region=region,
                                                               account=a[2]))),
            # S3 rejects concurrent changes to a bucket's policy and its public access block.
            opts=child(depends_on=[public_access]))
        self.bucket = bucket.bucket
        self.ready = [policy, encryption]
        self.register_outputs({"bucket": self.bucket})


class FlowLogs(pulumi.ComponentResource):
    """The VPC's flow logs (all traffic) in a CloudWatch Logs group."""

    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, *, names: naming.EnvNames, vpc_id: pulumi.Input[str], retention: int,
                 account: pulumi.Input[str], boundary: pulumi.Input[str], provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:environment:FlowLogs", name, None, opts)

        def child(**kwargs: object) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, **kwargs)

        group = aws.cloudwatch.LogGroup("flow-logs", name=naming.flow_log_group(names.project, names.environment),
                                        retention_in_days=retention, opts=child())
        role = _iam.role(naming.autonamed(f"{names.base}-flow-logs", naming.IAM_ROLE_NAME_LIMIT), boundary=boundary,
                            description=f"Lets VPC Flow Logs write the flow logs of {names.base}",
                            assume_role_policy=pulumi.Output.from_input(account).apply(
                                lambda a: json.dumps(flow_logs_trust(a))),
                            opts=child())
        aws.iam.RolePolicy("flow-logs", role=role.id,
                           policy=group.arn.apply(lambda arn: json.dumps(flow_logs_permissions(arn))), opts=child())
        aws.ec2.FlowLog("flow-logs", vpc_id=vpc_id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
                        log_destination=group.arn, iam_role_arn=role.arn, tags={"Name": names.tag("flow-logs")},
                        opts=child())
        self.log_group_name = group.name
        self.register_outputs({"logGroupName": self.log_group_name})
