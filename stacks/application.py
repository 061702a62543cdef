"""The application stack: log group (filled in by the application-stack issue)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.context import StackContext
from stacks import _aws


def program(ctx: StackContext) -> None:
    env, app = ctx.stack.environment, ctx.stack.application
    assert env is not None and app is not None
    cfg = ctx.config.environments[env]
    settings = ctx.config.application(env, app)
    names = naming.AppNames(ctx.config.project.name, env, app)
    provider = _aws.provider(ctx, "aws", region=cfg.region, account=ctx.config.account_of(env),
                             profile=cfg.profile, role_arn=cfg.role_arn, default_tags=_aws.tags(ctx, env, app))
    environment = pulumi.StackReference(ctx.upstream_name("environment", env))
    logs = aws.cloudwatch.LogGroup("logs", name=names.log_group, retention_in_days=settings.log_retention,
                                   opts=_aws.opts(provider))
    pulumi.export("logGroupName", logs.name)
    pulumi.export("vpcId", environment.get_output("vpcId"))
