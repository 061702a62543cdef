"""The environment stack: network, ECS cluster, shared load balancer and (with a domain) DNS and HTTPS.

Runs in the environment's account and region. Its outputs are
:class:`stacks.contracts.EnvironmentOutputs`, which application stacks read through
``pulumi.StackReference``; the zone and subdomain are None without a domain, the HTTPS
listener without a domain or ``certificates``; the access-log bucket, the flow-log group, the
Service Connect namespace and the managed EFS file system are exported only when configured
(the namespace when an application sets ``connect``, the file system while an application
asks for it).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import ci, naming
from ecsp import network as ecsp_network
from ecsp.config import AccessLogsBucket as AccessLogsConfig
from ecsp.config import Feature, ProjectConfig, extra_certificate_names
from ecsp.config.exports import FromCfn
from ecsp.context import StackContext
from ecsp.graph import StackSpec
from ecsp.previews import LIKE_TAG
from stacks import _aws, _iam, boundary_policies, environment_storage, exports
from stacks.contracts import EnvironmentOutputs, ProjectOutputs
from stacks.environment_cluster import Cluster
from stacks.environment_deploy import DeployRole
from stacks.environment_discovery import ServiceDiscovery
from stacks.environment_domain import Domain
from stacks.environment_load_balancer import AccessLogs, LoadBalancer
from stacks.environment_logs import AccessLogsBucket, FlowLogs
from stacks.environment_network import Network


def reads(config: ProjectConfig, spec: StackSpec) -> dict[str, Any]:
    """What of ecsp.yaml :func:`program` reads for ``spec`` (the plan cache replans the stack when it changes).

    The project's settings and the environment's, and of the applications only what the
    environment provides for them: what they need of it (Service Connect, the file system...),
    their aliases' certificate names, and the pipelines that deploy it.
    """
    env = spec.environment
    assert env is not None
    return {"project": config.project, "environment": config.environments[env], "account": config.account_of(env),
            "needs": sorted(feature.value for feature in config.environment_needs(env)),
            "aliases": [a for app in config.applications for a in config.application(env, app).aliases],
            "pipelines": config.pipelines_deploying(env),
            # The applications' boundary names the environment's buckets and tables; GitHub previews
            # like it bring their boundaries and deploy role.
            "data": {n: [d.kind, d.managed, d.existing.name if d.existing is not None else None]
                     for n, d in config.data_in(env).items() if d.kind in ("bucket", "table")},
            "github": config.ci.github}


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


def iam_inputs(ctx: StackContext, environment: str, provider: aws.Provider) -> dict[str, Any]:
    """The accounts, partition and names the permissions boundary's and the deploy role's documents name.

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
    zone = naming.environment_zone(project.name, environment, project.domain) if project.domain else None
    return {"project": project.name, "environment": environment, "region": config.environments[environment].region,
            "partition": partition, "account": account, "project_account": project_account,
            "zone": zone, "dns_delegation_role": dns_role}


def preview_template(ctx: StackContext, environment: str) -> str | None:
    """The environment a GitHub preview environment (``pr-*``, like ``ci.github.previews.like``) is like; else None.

    Such a preview's roles carry the previews' boundary its template's stack creates (the preview
    deploy role creates no boundary); a preview made by hand (``ecsp up --env x --like test``)
    creates its own like any environment.
    """
    github = ctx.config.ci.github
    like = dict(ctx.stack.labels).get(LIKE_TAG)
    if (github is None or github.previews is None or like is None or like != github.previews.like
            or not environment.startswith(naming.PREVIEW_PREFIX)):
        return None
    return like


def application_boundary(inputs: dict[str, Any], config: ProjectConfig, provider: aws.Provider, *,
                         data_of: str, wearers: str | None = None) -> _iam.PermissionsBoundary:
    """The applications' boundary (:func:`stacks.boundary_policies.application_boundary`) of ``inputs``' environment.

    ``data_of``: the environment whose data its applications may link (the template's, for previews).
    """
    project, environment = inputs["project"], inputs["environment"]
    buckets, tables = boundary_policies.data_names(config, data_of, named_in=environment)
    # Existing buckets and tables named by a CloudFormation export: their names once resolved.
    exported = {kind: [exports.value(d.existing.name, provider) for d in config.data_in(data_of).values()
                       if d.kind == kind and not d.managed and d.existing is not None
                       and isinstance(d.existing.name, FromCfn)] for kind in ("bucket", "table")}
    document = pulumi.Output.all(inputs["partition"], inputs["account"], pulumi.Output.all(*exported["bucket"]),
                                 pulumi.Output.all(*exported["table"])).apply(
        lambda a: json.dumps(boundary_policies.application_boundary(
            partition=a[0], account=a[1], region=inputs["region"], project=project, environment=environment,
            buckets=[*buckets, *a[2]], tables=[*tables, *a[3]]), sort_keys=True))
    name = naming.permissions_boundary(project, data_of if wearers else environment, wearers)
    return _iam.PermissionsBoundary(
        "permissions-boundary" if wearers is None else f"{wearers}-boundary", name=name, document=document,
        description=f"ecsp: the most any application role of {project}-{environment} may do", provider=provider)


def deployer_boundary(inputs: dict[str, Any], provider: aws.Provider, *, template: str, wearers: str,
                      applications_boundary: pulumi.Input[str]) -> _iam.PermissionsBoundary:
    """The deployers' boundary (:func:`stacks.boundary_policies.deployer_boundary`) of ``inputs``' environment."""
    project, environment = inputs["project"], inputs["environment"]
    document = pulumi.Output.all(inputs["partition"], inputs["account"], inputs["dns_delegation_role"],
                                 applications_boundary).apply(
        lambda a: json.dumps(boundary_policies.deployer_boundary(
            partition=a[0], account=a[1], region=inputs["region"], project=project, environment=environment,
            zone=inputs["zone"], dns_delegation_role=a[2], applications_boundary=a[3]), sort_keys=True))
    return _iam.PermissionsBoundary(
        f"{wearers}-boundary", name=naming.permissions_boundary(project, template, wearers), document=document,
        description=f"ecsp: the most the deploy role of {project}-{environment} may do", provider=provider)


def deploy_roles(ctx: StackContext, environment: str, provider: aws.Provider, boundary: pulumi.Input[str]) -> None:
    """The environment's deploy role, if a pipeline or GitHub workflow deploys it; the preview deploy role,
    if previews are like it. Each wears a deployers' boundary and creates roles only with the applications'
    boundary: ``boundary``, the environment's, or the previews' (created here with it)."""
    config = ctx.config
    project = config.project.name
    pipelines = config.pipelines_deploying(environment)
    deployers = [naming.PipelineNames(project, p).build_role for p in pipelines]
    github = ci.model(config) if config.ci.github is not None else None
    who = [f"pipelines {', '.join(pipelines)}"] if pipelines else []
    if github is not None and github.deployers_of(environment):
        deployers += github.deployers_of(environment)
        who.append(f"GitHub Actions ({github.repository})")
    if deployers:
        inputs = iam_inputs(ctx, environment, provider)
        cap = deployer_boundary(inputs, provider, template=environment, wearers=naming.DEPLOYERS,
                                applications_boundary=boundary)
        DeployRole("deploy", role_name=naming.deploy_role(project, environment), deployers=deployers,
                   description=f"ecsp: {' and '.join(who)} deploy environment {environment} through this role",
                   **inputs, boundary=cap.arn, applications_boundary=boundary, provider=provider)
    if github is not None and github.previews is not None and github.previews.like == environment:
        previews = f"{naming.PREVIEW_PREFIX}*"
        domain = config.project.domain
        inputs = {**iam_inputs(ctx, environment, provider), "environment": previews,
                  "zone": naming.environment_zone(project, previews, domain) if domain else None}
        previews_boundary = application_boundary(inputs, config, provider, data_of=environment,
                                                 wearers=naming.PREVIEWS)
        cap = deployer_boundary(inputs, provider, template=environment, wearers=naming.PREVIEW_DEPLOYERS,
                                applications_boundary=previews_boundary.arn)
        DeployRole("preview-deploy", role_name=github.previews.deploy_role, deployers=github.preview_deployers(),
                   description=f"ecsp: GitHub Actions ({github.repository}) deploy preview environments "
                   f"{previews} like {environment} through this role", **inputs, boundary=cap.arn,
                   applications_boundary=previews_boundary.arn, provider=provider)


def program(ctx: StackContext) -> None:
    env = ctx.stack.environment
    assert env is not None
    config = ctx.config
    cfg = config.environments[env]
    project = config.project
    names = naming.EnvNames(project.name, env)
    provider = _aws.stack_provider(ctx)
    iam = iam_inputs(ctx, env, provider)
    # Every application role of the environment, here and in its applications' stacks, carries it.
    template = preview_template(ctx, env)
    boundary_arn: pulumi.Input[str]
    if template is not None:
        boundary_arn = _iam.boundary_of(iam["partition"], iam["account"], project.name, template, naming.PREVIEWS)
    else:
        boundary_arn = application_boundary(iam, config, provider, data_of=env).arn

    network = Network("network", settings=cfg.network, names=names, provider=provider)
    # What the applications need of it (ecsp.config.needs): what no application needs is not created,
    # so environments of projects that never connect or mount the file system stay as they were.
    needs = config.environment_needs(env)
    discovery = (ServiceDiscovery("service-discovery", names=names, provider=provider)
                 if Feature.NAMESPACE in needs else None)
    cluster = Cluster("cluster", names=names, container_insights=cfg.container_insights, provider=provider,
                      service_connect_namespace_arn=discovery.namespace_arn if discovery else None)

    domain: Domain | None = None
    subdomain: str | None = None
    if project.domain:
        subdomain = naming.environment_zone(project.name, env, project.domain)
        delegated = delegates_across_accounts(config, env)
        upstream = ProjectOutputs.pick(pulumi.StackReference(ctx.upstream_name("project")), "project_zone_id",
                                       *(["dns_delegation_role_arn"] if delegated else []))
        writer = delegation_provider(ctx, env, upstream.dns_delegation_role_arn) if delegated else provider
        aliases = [a for app in config.applications for a in config.application(env, app).aliases]
        domain = Domain("domain", subdomain=subdomain, project_zone_id=upstream.project_zone_id,
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

    deploy_roles(ctx, env, provider, boundary_arn)

    balancer = LoadBalancer("load-balancer", names=names, vpc_id=network.vpc_id, subnet_ids=network.public_subnet_ids,
                            environment_security_group_id=network.environment_security_group_id,
                            certificate_arn=default_certificate, provider=provider,
                            internet_access=network.internet_access, extra_certificate_arns=extra_certificates,
                            access_logs=access)
    flow_logs = None
    retention = cfg.network.flow_log_retention
    if retention is not None:
        flow_logs = FlowLogs("flow-logs", names=names, vpc_id=network.vpc_id, retention=retention,
                             account=str(account), boundary=boundary_arn, provider=provider)

    storage = None
    if Feature.FILE_SYSTEM in needs:
        storage = environment_storage.FileSystem(
            "storage", names=names, vpc_id=network.vpc_id, private_subnet_ids=network.private_subnet_ids,
            # A mount target per private subnet: ecsp's two, or as many as an existing VPC lists.
            subnet_count=len(cfg.network.vpc.private_subnets) if cfg.network.vpc else ecsp_network.AZ_COUNT,
            environment_security_group_id=network.environment_security_group_id,
            provider=provider)
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
        permissions_boundary_arn=boundary_arn,
        access_logs_bucket=access.bucket if access is not None else None,
        flow_log_group_name=flow_logs.log_group_name if flow_logs is not None else None,
        service_connect_namespace_arn=discovery.namespace_arn if discovery else None,
        service_connect_namespace=discovery.namespace_name if discovery else None,
        file_system_id=storage.file_system_id if storage else None,
        file_system_security_group_id=storage.security_group_id if storage else None,
    ).export()
