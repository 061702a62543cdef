"""The environment stack: network, ECS cluster, shared load balancer and (with a domain) DNS and HTTPS.

Runs in the environment's account and region. Its outputs (camelCase) are the contract that
application stacks read through ``pulumi.StackReference``; ``hostedZoneId``, ``subdomain`` and
``httpsListenerArn`` are None without a domain; ``fileSystemId`` and ``fileSystemSecurityGroupId`` are
exported only while an application of the environment asks for the managed EFS file system.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp import network as ecsp_network
from ecsp.config import ProjectConfig
from ecsp.context import StackContext
from stacks import _aws, environment_storage
from stacks.environment_cluster import Cluster
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
    env = config.environments[environment]
    tags = _aws.tags(ctx, environment)
    if ctx.local is not None:  # one emulated account: no roles to assume
        return _aws.provider(ctx, "dns-delegation", region=config.project.region, default_tags=tags)
    chain = [aws.ProviderAssumeRoleArgs(role_arn=env.role_arn, session_name="ecsp")] if env.role_arn else []
    chain.append(aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name="ecsp-dns-delegation"))
    return aws.Provider(
        "dns-delegation",
        region=config.project.region,
        profile=env.profile,
        allowed_account_ids=[config.project.account] if config.project.account else None,
        assume_roles=chain,
        default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
    )


def program(ctx: StackContext) -> None:
    env = ctx.stack.environment
    assert env is not None
    config = ctx.config
    cfg = config.environments[env]
    project = config.project
    names = naming.EnvNames(project.name, env)
    provider = _aws.provider(ctx, "aws", region=cfg.region, account=config.account_of(env),
                             profile=cfg.profile, role_arn=cfg.role_arn, default_tags=_aws.tags(ctx, env))

    network = Network("network", settings=cfg.network, names=names, provider=provider)
    cluster = Cluster("cluster", names=names, container_insights=cfg.container_insights, provider=provider)

    domain: Domain | None = None
    subdomain: str | None = None
    if project.domain:
        subdomain = naming.environment_zone(project.name, env, project.domain)
        upstream = pulumi.StackReference(ctx.upstream_name("project"))
        # require_output: a missing zone is a deploy-order or project-stack bug; say so by name
        # instead of letting Route 53 reject an empty zone id.
        writer = (delegation_provider(ctx, env, upstream.require_output("dnsDelegationRoleArn"))
                  if delegates_across_accounts(config, env) else provider)
        domain = Domain("domain", subdomain=subdomain, project_zone_id=upstream.require_output("projectZoneId"),
                        provider=provider, delegation_provider=writer)

    balancer = LoadBalancer("load-balancer", names=names, vpc_id=network.vpc_id, subnet_ids=network.public_subnet_ids,
                            environment_security_group_id=network.environment_security_group_id,
                            certificate_arn=domain.certificate_arn if domain else None, provider=provider,
                            internet_access=network.internet_access)

    outputs: dict[str, object] = {
        "vpcId": network.vpc_id,
        "publicSubnetIds": network.public_subnet_ids,
        "privateSubnetIds": network.private_subnet_ids,
        "clusterName": cluster.cluster_name,
        "clusterArn": cluster.cluster_arn,
        "loadBalancerArn": balancer.arn,
        "loadBalancerDnsName": balancer.dns_name,
        "loadBalancerZoneId": balancer.zone_id,
        "httpListenerArn": balancer.http_listener_arn,
        "httpsListenerArn": balancer.https_listener_arn,
        "loadBalancerSecurityGroupId": balancer.security_group_id,
        "environmentSecurityGroupId": network.environment_security_group_id,
        "hostedZoneId": domain.zone_id if domain else None,
        "subdomain": subdomain,
        "region": cfg.region,
    }
    if environment_storage.needs_file_system(config, env):
        storage = environment_storage.FileSystem(
            "storage", names=names, vpc_id=network.vpc_id, private_subnet_ids=network.private_subnet_ids,
            subnet_count=ecsp_network.AZ_COUNT, environment_security_group_id=network.environment_security_group_id,
            provider=provider)
        # Only while the file system exists: environments without it export exactly what they did before.
        outputs["fileSystemId"] = storage.file_system_id
        outputs["fileSystemSecurityGroupId"] = storage.security_group_id
    for key, value in outputs.items():
        pulumi.export(key, value)
