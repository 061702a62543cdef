"""The environment stack: network, ECS cluster, shared load balancer and (with a domain) DNS and HTTPS.

Runs in the environment's account and region. Its outputs are
:class:`stacks.contracts.EnvironmentOutputs`, which application stacks read through
``pulumi.StackReference``; the zone, subdomain and HTTPS listener are None without a domain.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import ProjectConfig
from ecsp.context import StackContext
from stacks import _aws
from stacks.contracts import EnvironmentOutputs, ProjectOutputs
from stacks.environment_cluster import Cluster
from stacks.environment_deploy import DeployRole
from stacks.environment_domain import Domain
from stacks.environment_load_balancer import LoadBalancer
from stacks.environment_network import Network


def delegates_across_accounts(config: ProjectConfig, environment: str) -> bool:
    """Whether the environment's NS record must be written through the project's DNS delegation role.

    True when the environment names an account that is not known to be the project's; an
    environment without an account of its own runs in the project account.
    """
    account = config.account_of(environment)
    return account is not None and account != config.project.account


def delegation_provider(ctx: StackContext, environment: str, role_arn: pulumi.Input[str]) -> aws.Provider:
    """A provider in the project account: the environment's credentials, then the delegation role.

    The delegation role trusts environment accounts, so the chain starts from the
    environment's own profile and role (if any) and assumes the delegation role last.
    """
    config = ctx.config
    # The stack's own credentials (its placement): a pipeline's build replaces the profile and
    # role with the environment's deploy role, which may assume the delegation role too.
    env = ctx.placement
    if ctx.local is not None:  # one emulated account: no roles to assume
        return _aws.provider(ctx, "dns-delegation", region=config.project.region, default_tags=ctx.tags)
    chain = [aws.ProviderAssumeRoleArgs(role_arn=env.role_arn, session_name="ecsp")] if env.role_arn else []
    chain.append(aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name="ecsp-dns-delegation"))
    return aws.Provider(
        "dns-delegation",
        region=config.project.region,
        profile=env.profile,
        allowed_account_ids=[config.project.account] if config.project.account else None,
        assume_roles=chain,
        default_tags=aws.ProviderDefaultTagsArgs(tags=ctx.tags),
    )


def deploy_role_inputs(ctx: StackContext, environment: str, provider: aws.Provider) -> dict[str, Any]:
    """The accounts and partition the deploy role's documents name.

    The environment's account is the configured one, else whatever the credentials reach; the
    project account likewise (validation requires it when the two may differ).
    """
    config = ctx.config
    project = config.project
    invoke = pulumi.InvokeOutputOptions(provider=provider)
    partition = aws.get_partition_output(opts=invoke).partition
    configured = config.account_of(environment)
    account: pulumi.Output[str] = (pulumi.Output.from_input(configured) if configured
                                   else aws.get_caller_identity_output(opts=invoke).account_id)
    project_account = pulumi.Output.from_input(project.account) if project.account else account
    dns_role = None
    if project.domain and delegates_across_accounts(config, environment):
        dns_role = pulumi.Output.all(partition, project_account).apply(
            lambda a: naming.role_arn(a[0], a[1], naming.dns_delegation_role(project.name)))
    return {"project": project.name, "environment": environment, "region": config.environments[environment].region,
            "partition": partition, "account": account, "project_account": project_account,
            "domain": bool(project.domain), "dns_delegation_role": dns_role}


def program(ctx: StackContext) -> None:
    env = ctx.stack.environment
    assert env is not None
    config = ctx.config
    cfg = config.environments[env]
    project = config.project
    names = naming.EnvNames(project.name, env)
    provider = _aws.stack_provider(ctx)

    network = Network("network", settings=cfg.network, names=names, provider=provider)
    cluster = Cluster("cluster", names=names, container_insights=cfg.container_insights, provider=provider)

    domain: Domain | None = None
    subdomain: str | None = None
    if project.domain:
        subdomain = naming.environment_zone(project.name, env, project.domain)
        delegated = delegates_across_accounts(config, env)
        upstream = ProjectOutputs.pick(pulumi.StackReference(ctx.upstream_name("project")), "project_zone_id",
                                       *(["dns_delegation_role_arn"] if delegated else []))
        writer = delegation_provider(ctx, env, upstream.dns_delegation_role_arn) if delegated else provider
        domain = Domain("domain", subdomain=subdomain, project_zone_id=upstream.project_zone_id,
                        provider=provider, delegation_provider=writer)

    deploying = config.pipelines_deploying(env)
    if deploying:
        DeployRole("deploy", **deploy_role_inputs(ctx, env, provider), pipelines=deploying, provider=provider)

    balancer = LoadBalancer("load-balancer", names=names, vpc_id=network.vpc_id, subnet_ids=network.public_subnet_ids,
                            environment_security_group_id=network.environment_security_group_id,
                            certificate_arn=domain.certificate_arn if domain else None, provider=provider,
                            internet_access=network.internet_access)

    EnvironmentOutputs(
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        cluster_name=cluster.cluster_name,
        cluster_arn=cluster.cluster_arn,
        load_balancer_arn=balancer.arn,
        load_balancer_dns_name=balancer.dns_name,
        load_balancer_zone_id=balancer.zone_id,
        http_listener_arn=balancer.http_listener_arn,
        https_listener_arn=balancer.https_listener_arn,
        load_balancer_security_group_id=balancer.security_group_id,
        environment_security_group_id=network.environment_security_group_id,
        hosted_zone_id=domain.zone_id if domain else None,
        subdomain=subdomain,
        region=cfg.region,
    ).export()
