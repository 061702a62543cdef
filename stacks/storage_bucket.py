"""A managed S3 bucket: versioned, encrypted (SSE-S3), private (owner-enforced, public access blocked), TLS only.

Old versions expire after 30 days and unfinished multipart uploads after one, as Copilot's
``storage init`` bucket. The bucket and its settings are kept when the entry leaves ecsp.yaml or
the stack is destroyed (``retain_on_delete``); ``force_destroy`` only matters once
``--delete-data`` has lifted that, and then deletes every object with the bucket.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config.data import Data
from stacks import _aws
from stacks._iam import VERSION


def tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    """Deny every request that does not use TLS, to the bucket and its objects."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


class Bucket(pulumi.ComponentResource):
    """One data entry of kind bucket."""

    facts: dict[str, pulumi.Input[Any]]

    def __init__(self, name: str, *, names: naming.DataNames, settings: Data, provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:storage:Bucket", name, None, opts)

        def child(**kwargs: Any) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, retain_on_delete=True, **kwargs)

        bucket = aws.s3.Bucket(names.bucket, force_destroy=True, tags={"Name": names.tag()}, opts=child())
        aws.s3.BucketOwnershipControls(
            name, bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child())
        public = aws.s3.BucketPublicAccessBlock(
            name, bucket=bucket.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True,
            restrict_public_buckets=True, opts=child())
        aws.s3.BucketServerSideEncryptionConfiguration(
            name, bucket=bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"))],
            opts=child())
        versioned = settings.versioning is not False
        versioning = aws.s3.BucketVersioning(
            name, bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled" if versioned else "Suspended"),
            opts=child())
        rules = [aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-uploads", status="Enabled", filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=1))]
        if versioned:
            rules.append(aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-old-versions", status="Enabled", filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=30)))
        aws.s3.BucketLifecycleConfiguration(name, bucket=bucket.id, rules=rules,
                                            opts=child(depends_on=[versioning]))
        aws.s3.BucketPolicy(name, bucket=bucket.id,
                            policy=bucket.arn.apply(lambda arn: json.dumps(tls_only_policy(arn), sort_keys=True)),
                            # S3 refuses concurrent changes to a bucket's policy and its public access block.
                            opts=child(depends_on=[public]))
        self.facts = {"kind": "bucket", "managed": True, "name": bucket.bucket, "arn": bucket.arn}
        self.register_outputs({"bucket": bucket.bucket})
