"""The environment stack: network, ECS cluster, shared load balancer and (with a domain) DNS and HTTPS.

Runs in the environment's account and region. Its outputs (camelCase) are the contract that
application stacks read through ``pulumi.StackReference``; ``hostedZoneId`` and ``subdomain``
are None without a domain, ``httpsListenerArn`` without a domain or ``certificates``;
``accessLogsBucket`` and ``flowLogGroupName`` exist only when those logs are configured.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import AccessLogsBucket as AccessLogsConfig
from ecsp.config import ProjectConfig, extra_certificate_names
from ecsp.context import StackContext
from stacks import _aws
from stacks.environment_cluster import Cluster
from stacks.environment_domain import Domain
from stacks.environment_load_balancer import AccessLogs, LoadBalancer
from stacks.environment_logs import AccessLogsBucket, FlowLogs
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
        aliases = [a for app in config.applications for a in config.application(env, app).aliases]
        domain = Domain("domain", subdomain=subdomain, project_zone_id=upstream.require_output("projectZoneId"),
                        provider=provider, delegation_provider=writer,
                        alternative_names=extra_certificate_names(project.name, env, project.domain, aliases))

    # Issue 12: existing certificates, access logs and flow logs (each absent unless configured).
    invoke = pulumi.InvokeOptions(provider=provider)
    account: str | None = config.account_of(env)
    needs_account = cfg.access_logs is True or cfg.network.flow_log_retention is not None
    if account is None and needs_account:
        account = aws.get_caller_identity(opts=invoke).account_id
    access: AccessLogs | None = None
    if cfg.access_logs is True:
        bucket = AccessLogsBucket("access-logs", names=names, region=cfg.region, account=str(account),
                                  partition=aws.get_partition(opts=invoke).partition, provider=provider)
        access = AccessLogs(bucket=bucket.bucket, ready=bucket.ready)
    elif isinstance(cfg.access_logs, AccessLogsConfig):
        access = AccessLogs(bucket=cfg.access_logs.bucket, prefix=cfg.access_logs.prefix)
    # With a domain ecsp's certificate is the default and the user's serve other names (SNI);
    # without one the first of the user's is the default.
    default_certificate: pulumi.Input[str] | None = domain.certificate_arn if domain else None
    extra_certificates = list(cfg.certificates)
    if default_certificate is None and extra_certificates:
        default_certificate = extra_certificates.pop(0)

    balancer = LoadBalancer("load-balancer", names=names, vpc_id=network.vpc_id, subnet_ids=network.public_subnet_ids,
                            environment_security_group_id=network.environment_security_group_id,
                            certificate_arn=default_certificate, provider=provider,
                            internet_access=network.internet_access, extra_certificate_arns=extra_certificates,
                            access_logs=access)
    flow_logs = None
    retention = cfg.network.flow_log_retention
    if retention is not None:
        flow_logs = FlowLogs("flow-logs", names=names, vpc_id=network.vpc_id, retention=retention,
                             account=str(account), provider=provider)

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
    # Issue 12 outputs, only when configured (so existing stacks export exactly what they did).
    if access is not None:
        outputs["accessLogsBucket"] = access.bucket
    if flow_logs is not None:
        outputs["flowLogGroupName"] = flow_logs.log_group_name
    for key, value in outputs.items():
        pulumi.export(key, value)
