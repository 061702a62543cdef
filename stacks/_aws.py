"""Explicit AWS providers for the stack programs.

Every resource uses an explicit ``aws.Provider`` built here from where the stack runs (its
kind's :class:`~ecsp.kinds.Placement`: region, account, profile or role), with the stack's
``ecsp:*`` tags as default tags, or pointed at a local emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp.context import StackContext

# Services ecsp's programs call; each gets the emulator endpoint in local mode.
EMULATED_SERVICES = (
    "acm", "appautoscaling", "cloudwatch", "cloudwatchlogs", "codebuild", "codepipeline",
    "codestarconnections", "ec2", "ecr", "ecs", "elbv2", "events", "iam", "kms", "route53", "s3",
    "scheduler", "secretsmanager", "servicediscovery", "sfn", "sns", "sqs", "ssm", "sts",
)  # fmt: skip


def stack_provider(ctx: StackContext, name: str = "aws", *, region: str | None = None) -> aws.Provider:
    """The provider of the stack's own placement and tags (``region`` overrides the placement's)."""
    where = ctx.placement
    return provider(ctx, name, region=region or where.region, account=where.account, profile=where.profile,
                    role_arn=where.role_arn, default_tags=ctx.tags)


def provider(
    ctx: StackContext,
    name: str,
    *,
    region: str,
    account: str | None = None,
    profile: str | None = None,
    role_arn: str | None = None,
    default_tags: Mapping[str, str] | None = None,
) -> aws.Provider:
    """An explicit provider for one region/account (or the local emulator)."""
    default = aws.ProviderDefaultTagsArgs(tags=dict(default_tags or {}))
    if ctx.local is not None:
        url = ctx.local.endpoint
        return aws.Provider(
            name,
            region=region,
            default_tags=default,
            access_key="test",
            secret_key="test",
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            skip_metadata_api_check=True,
            skip_region_validation=True,
            s3_use_path_style=True,
            endpoints=[aws.ProviderEndpointArgs(**{service: url for service in EMULATED_SERVICES})],
        )
    return aws.Provider(
        name,
        region=region,
        default_tags=default,
        profile=profile,
        allowed_account_ids=[account] if account else None,
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name="ecsp")] if role_arn else None,
    )


def opts(p: aws.Provider, parent: pulumi.Resource | None = None, **kwargs: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=p, parent=parent, **kwargs)


# The input that holds the physical name of the resources ecsp renamed to stay clear of Copilot's names
# (naming.RENAMED). A stack deployed before keeps the name it has: renaming would replace the resource,
# and an ECR repository is deleted with its images. A new stack takes the new name (nothing to ignore yet).
KEEP_NAME = ["name"]


def keeps_name(p: aws.Provider, parent: pulumi.Resource | None = None, **kwargs: Any) -> pulumi.ResourceOptions:
    """:func:`opts` for a resource of :data:`ecsp.naming.RENAMED`: it keeps the physical name its state holds."""
    return opts(p, parent, ignore_changes=KEEP_NAME, **kwargs)
