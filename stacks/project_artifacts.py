"""One region's project artifacts: ECR repositories, the artifact KMS key and the artifact bucket.

A :class:`RegionalArtifacts` component per region that hosts an environment, created in
the project account through that region's provider. Every logical name carries the region
(and the application, for repositories), so adding a region or an application only adds
resources and never renames or changes the others.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import EcrConfig
from stacks import _aws
from stacks import project_policies as policies


@dataclass(frozen=True)
class RegionAccess:
    """Who may use one region's artifacts, resolved in the project account's partition."""

    partition: pulumi.Output[str]
    project_account: pulumi.Output[str]
    # The accounts of the environments in this region only: no environment pulls images
    # or artifacts from another region, and adding a region must not touch this one.
    environment_accounts: pulumi.Output[list[str]]


class ImageRepository(pulumi.ComponentResource):
    """``<project>/<app>`` in one region: scanned on push, pruned to the last N images."""

    repository_url: pulumi.Output[str]

    def __init__(self, name: str, *, project: str, application: str, ecr: EcrConfig, access: RegionAccess,
                 provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:project:ImageRepository", name, None, opts)
        repo = aws.ecr.Repository(
            name,
            name=naming.ecr_repository(project, application),
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            image_tag_mutability="IMMUTABLE" if ecr.immutable_tags else "MUTABLE",
            # `ecsp destroy` removes the project last; like Copilot's `app delete`, it empties
            # the repositories instead of failing on them (images are rebuilt from source).
            force_delete=True,
            opts=_aws.keeps_name(provider, parent=self),
        )
        aws.ecr.LifecyclePolicy(
            name, repository=repo.name, policy=json.dumps(policies.ecr_lifecycle_policy(ecr.keep_images)),
            opts=_aws.opts(provider, parent=self),
        )
        aws.ecr.RepositoryPolicy(
            name, repository=repo.name,
            policy=pulumi.Output.all(access.partition, access.project_account, access.environment_accounts).apply(
                lambda a: json.dumps(policies.ecr_repository_policy(a[0], a[1], a[2]))),
            opts=_aws.opts(provider, parent=self),
        )
        self.repository_url = repo.repository_url
        self.register_outputs({"repositoryUrl": self.repository_url})


class RegionalArtifacts(pulumi.ComponentResource):
    """A region's repositories (one per application), artifact key and artifact bucket."""

    repository_urls: dict[str, pulumi.Output[str]]
    kms_key_arn: pulumi.Output[str]
    bucket_name: pulumi.Output[str]

    def __init__(self, region: str, *, project: str, applications: Sequence[str], ecr: EcrConfig,
                 access: RegionAccess, provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        name = f"artifacts-{region}"
        super().__init__("ecsp:project:RegionalArtifacts", name, None, opts)
        child = _aws.opts(provider, parent=self)

        key = aws.kms.Key(
            name,
            description=f"ecsp project {project}: release artifacts in {region}",
            enable_key_rotation=True,
            policy=pulumi.Output.all(access.partition, access.project_account, access.environment_accounts).apply(
                lambda a: json.dumps(policies.kms_key_policy(a[0], a[1], a[2]))),
            opts=child,
        )
        # Aliases are regional, so every region's key gets the same alias.
        aws.kms.Alias(name, name=naming.kms_alias(project), target_key_id=key.key_id, opts=child)

        # The logical name is the physical prefix (Pulumi appends a random suffix).
        bucket_name = naming.artifact_bucket(project, region)
        bucket = aws.s3.Bucket(bucket_name, force_destroy=True, opts=child)
        aws.s3.BucketOwnershipControls(
            bucket_name, bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child)
        public_access = aws.s3.BucketPublicAccessBlock(
            bucket_name, bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketVersioning(
            bucket_name, bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            bucket_name, bucket=bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn),
                bucket_key_enabled=True,  # one data key per bucket, not per object: fewer KMS calls
            )],
            opts=child)
        aws.s3.BucketPolicy(
            bucket_name, bucket=bucket.id,
            policy=pulumi.Output.all(access.partition, bucket.arn, access.environment_accounts).apply(
                lambda a: json.dumps(policies.artifact_bucket_policy(a[0], a[1], a[2]))),
            # S3 rejects concurrent changes to a bucket's policy and its public access block.
            opts=_aws.opts(provider, parent=self, depends_on=[public_access]),
        )

        self.repository_urls = {
            app: ImageRepository(f"{app}-{region}", project=project, application=app, ecr=ecr, access=access,
                                 provider=provider, opts=pulumi.ResourceOptions(parent=self)).repository_url
            for app in applications
        }
        self.kms_key_arn = key.arn
        self.bucket_name = bucket.bucket
        self.register_outputs({"repositoryUrls": self.repository_urls, "kmsKeyArn": self.kms_key_arn,
                               "bucketName": self.bucket_name})
