"""The environment stack: VPC (filled in by the environment-stack issue)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsp.context import StackContext
from stacks import _aws


def program(ctx: StackContext) -> None:
    env = ctx.stack.environment
    assert env is not None
    cfg = ctx.config.environments[env]
    provider = _aws.provider(ctx, "aws", region=cfg.region, account=ctx.config.account_of(env),
                             profile=cfg.profile, role_arn=cfg.role_arn, default_tags=_aws.tags(ctx, env))
    vpc = aws.ec2.Vpc("vpc", cidr_block=cfg.network.cidr, enable_dns_hostnames=True, enable_dns_support=True,
                      opts=_aws.opts(provider))
    pulumi.export("vpcId", vpc.id)
