"""The project stack: per-region artifacts (ECR, KMS, S3), the project account's permissions boundary, with a
domain the project DNS, with ci.github its roles.

Runs in the project account with one explicit provider per region that hosts an
environment (plus the home region for Route 53 and IAM when a domain is set). Its outputs
are :class:`stacks.contracts.ProjectOutputs`, read by downstream stacks through
``pulumi.StackReference``: the application stack pushes built images to
``regions[region].repositories[app]``, and the environment stack assumes the delegation
role to write its NS record in the project zone.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import ProjectConfig
from ecsp.context import StackContext
from ecsp.graph import StackSpec
from stacks import _aws, _iam, boundary_policies
from stacks import project_policies as policies
from stacks.contracts import ProjectOutputs
from stacks.project_artifacts import RegionAccess, RegionalArtifacts
from stacks.project_dns import ProjectDns
from stacks.project_github import GithubAccess


class _Region:
    """A region's provider and the project account as that provider sees it."""

    def __init__(self, ctx: StackContext, region: str) -> None:
        project = ctx.config.project
        self.provider = _aws.stack_provider(ctx, f"aws-{region}", region=region)
        invoke = pulumi.InvokeOutputOptions(provider=self.provider)
        self.partition: pulumi.Output[str] = aws.get_partition_output(opts=invoke).partition
        # Without a configured account, principals name whichever account the credentials reach.
        self.project_account: pulumi.Output[str] = (
            pulumi.Output.from_input(project.account) if project.account
            else aws.get_caller_identity_output(opts=invoke).account_id)

    def accounts(self, configured: list[str | None]) -> pulumi.Output[list[str]]:
        """Environment account ids; an environment without one lives in the project account."""
        return self.project_account.apply(lambda own: policies.accounts(a or own for a in configured))


def reads(config: ProjectConfig, spec: StackSpec) -> dict[str, Any]:
    """What of ecsp.yaml :func:`program` reads (the plan cache replans the stack when it changes).

    The project's settings, where and in which accounts the environments run, the regions with
    artifacts (a pipeline adds the home region) and the applications' names (a repository each).
    """
    return {"project": config.project, "artifact_regions": config.artifact_regions(), "environments":
            {env: [cfg.region, config.account_of(env)] for env, cfg in config.environments.items()},
            "applications": list(config.applications)}


def program(ctx: StackContext) -> None:
    config = ctx.config
    project = config.project
    regions: dict[str, _Region] = {}

    def region_of(name: str) -> _Region:
        if name not in regions:
            regions[name] = _Region(ctx, name)
        return regions[name]

    exported: dict[str, dict[str, Any]] = {}
    # With a pipeline, the home region gets an artifact store too (its source action runs there),
    # but repositories only where environments run images.
    environment_regions = config.regions()
    for region in config.artifact_regions():
        r = region_of(region)
        in_region = [config.account_of(env) for env, cfg in config.environments.items() if cfg.region == region]
        applications = list(config.applications) if region in environment_regions else []
        artifacts = RegionalArtifacts(
            region, project=project.name, applications=applications, ecr=project.ecr,
            access=RegionAccess(partition=r.partition, project_account=r.project_account,
                                environment_accounts=r.accounts(in_region)),
            provider=r.provider)
        exported[region] = {"repositories": artifacts.repository_urls, "kmsKeyArn": artifacts.kms_key_arn,
                            "bucketName": artifacts.bucket_name}
    # IAM and Route 53 are global; the home region's provider (shared with its artifacts when an
    # environment lives there) manages them.
    home = region_of(project.region)
    zone = naming.project_zone(project.name, project.domain) if project.domain else None
    boundary = _iam.PermissionsBoundary(
        "permissions-boundary", name=naming.permissions_boundary(project.name),
        document=pulumi.Output.all(home.partition, home.project_account).apply(lambda a: json.dumps(
            boundary_policies.project_boundary(partition=a[0], account=a[1], project=project.name, zone=zone),
            sort_keys=True)),
        description=f"ecsp: the most any role of project {project.name} in this account may do",
        provider=home.provider)
    github = None
    if config.ci.github is not None:
        github = GithubAccess("github", config=config, partition=home.partition, boundary=boundary.arn,
                              provider=home.provider)
    github_roles = github.role_arns if github is not None else None
    outputs = ProjectOutputs(regions=exported, permissions_boundary_arn=boundary.arn, github_role_arns=github_roles)
    if project.domain:
        dns = ProjectDns(
            "dns", project=project.name, domain=project.domain, partition=home.partition,
            environment_accounts=home.accounts([config.account_of(env) for env in config.environments]),
            boundary=boundary.arn, provider=home.provider)
        outputs = ProjectOutputs(regions=exported, permissions_boundary_arn=boundary.arn, project_zone_id=dns.zone_id,
                                 dns_delegation_role_arn=dns.delegation_role_arn, github_role_arns=github_roles)
    outputs.export()
