"""The project stack: per-region ECR repositories (filled in by the project-stack issue)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.context import StackContext
from stacks import _aws


def program(ctx: StackContext) -> None:
    config = ctx.config
    project = config.project
    repositories: dict[str, dict[str, pulumi.Output[str]]] = {}
    for region in config.regions():
        provider = _aws.provider(ctx, f"aws-{region}", region=region, account=project.account,
                                 default_tags=_aws.tags(ctx))
        repositories[region] = {}
        for app in config.applications:
            repo = aws.ecr.Repository(f"{app}-{region}", name=naming.ecr_repository(project.name, app),
                                      opts=_aws.opts(provider))
            repositories[region][app] = repo.repository_url
    pulumi.export("repositories", repositories)
