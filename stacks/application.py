"""The application stack: one Fargate service behind its environment's load balancer, one stack per (environment, app).

It reads the environment stack's outputs (network, cluster, load balancer, listeners,
zone) and the project stack's (the ECR repository of this region) through
``pulumi.StackReference`` and builds, one component per concern: the image (built and
pushed when ``image.build``), the IAM roles, the log group and task definition, the
routing (target group, listener rules, DNS), the service and its autoscaling.

Exports exactly: serviceName, serviceArn, taskDefinitionArn, targetGroupArn,
logGroupName and url.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming, priorities
from ecsp.config import ProjectConfig, managed_alias
from ecsp.context import StackContext
from stacks import _aws
from stacks.application_iam import TaskRoles
from stacks.application_image import BuiltImage
from stacks.application_routing import Routing
from stacks.application_service import Autoscaling, Service
from stacks.application_task import TaskDefinition


@dataclass(frozen=True)
class EnvironmentOutputs:
    """What the application stack reads from its environment stack (the HTTPS listener and zone only with a domain)."""

    vpc_id: pulumi.Output[Any]
    public_subnet_ids: pulumi.Output[Any]
    private_subnet_ids: pulumi.Output[Any]
    cluster_name: pulumi.Output[Any]
    cluster_arn: pulumi.Output[Any]
    load_balancer_arn: pulumi.Output[Any]
    load_balancer_dns_name: pulumi.Output[Any]
    load_balancer_zone_id: pulumi.Output[Any]
    http_listener_arn: pulumi.Output[Any]
    environment_security_group_id: pulumi.Output[Any]
    https_listener_arn: pulumi.Output[Any] | None
    hosted_zone_id: pulumi.Output[Any] | None

    @classmethod
    def read(cls, ref: pulumi.StackReference, *, domain: bool, https: bool | None = None) -> EnvironmentOutputs:
        # require_output: a missing output is a deploy-order or environment-stack bug; fail
        # naming it rather than letting AWS reject an empty id.
        need = ref.require_output
        return cls(
            vpc_id=need("vpcId"),
            public_subnet_ids=need("publicSubnetIds"),
            private_subnet_ids=need("privateSubnetIds"),
            cluster_name=need("clusterName"),
            cluster_arn=need("clusterArn"),
            load_balancer_arn=need("loadBalancerArn"),
            load_balancer_dns_name=need("loadBalancerDnsName"),
            load_balancer_zone_id=need("loadBalancerZoneId"),
            http_listener_arn=need("httpListenerArn"),
            environment_security_group_id=need("environmentSecurityGroupId"),
            # HTTPS: with a domain, or (issue 12) with the environment's own certificates.
            https_listener_arn=need("httpsListenerArn") if (domain if https is None else https) else None,
            hosted_zone_id=need("hostedZoneId") if domain else None,
        )


def application_rule_keys(config: ProjectConfig, env: str, app: str) -> list[str]:
    """Priority keys of ``app``'s rules in ``env``: its path, plus one per extra rule its host names need."""
    settings = config.application(env, app)
    host = [naming.application_host(config.project.name, env, app, config.project.domain)] \
        if config.project.domain else []
    return priorities.rule_keys(settings.path, priorities.rule_count([*host, *settings.aliases]))


def repository_url(regions: Any, region: str, application: str) -> str:
    """The application's ECR repository in ``region`` from the project stack's ``regions`` output."""
    url = ((regions or {}).get(region) or {}).get("repositories", {}).get(application)
    if not url:
        raise ValueError(f"the project stack has no ECR repository for '{application}' in {region}; "
                         "deploy the project stack (ecsp up) before the application")
    return str(url)


def program(ctx: StackContext) -> None:
    env, app = ctx.stack.environment, ctx.stack.application
    assert env is not None and app is not None
    config = ctx.config
    env_cfg = config.environments[env]
    settings = config.application(env, app)
    names = naming.AppNames(config.project.name, env, app)
    region = env_cfg.region
    provider = _aws.provider(ctx, "aws", region=region, account=config.account_of(env), profile=env_cfg.profile,
                             role_arn=env_cfg.role_arn, default_tags=_aws.tags(ctx, env, app))
    domain = config.project.domain
    https = domain is not None or bool(env_cfg.certificates)
    upstream = EnvironmentOutputs.read(pulumi.StackReference(ctx.upstream_name("environment", env)),
                                       domain=domain is not None, https=https)

    image: pulumi.Input[str]
    if settings.image.location is not None:
        image = settings.image.location
    else:
        project = pulumi.StackReference(ctx.upstream_name("project"))
        image = BuiltImage(
            app, image=settings.image, platform=settings.platform,
            project_root=ctx.project_root, image_tag=ctx.image_tag,
            repository_url=project.require_output("regions").apply(lambda r: repository_url(r, region, app)),
            # The project account owns the repository; environment accounts may only pull from it.
            registry_provider=_aws.provider(ctx, "project", region=region, account=config.project.account),
        ).image_uri

    invoke = pulumi.InvokeOutputOptions(provider=provider)
    account = config.account_of(env) or aws.get_caller_identity_output(opts=invoke).account_id
    partition = aws.get_partition_output(opts=invoke).partition
    roles = TaskRoles(app, names=names, secrets=settings.secrets, exec_enabled=settings.exec, region=region,
                      account=account, partition=partition, provider=provider)

    host = naming.application_host(config.project.name, env, app, domain) if domain else None
    # Every application's rule keys (one per rule; more than one with many aliases), so that each
    # stack derives the same, unique priorities on its own.
    keys = [key for other in config.applications for key in application_rule_keys(config, env, other)]
    numbers = priorities.priorities(keys)
    routing = Routing(
        app, names=names, settings=settings,
        priority=[numbers[k] for k in application_rule_keys(config, env, app)], https=https,
        managed_aliases=[a for a in settings.aliases if managed_alias(a, config.project.name, env, domain)],
        vpc_id=upstream.vpc_id, http_listener_arn=upstream.http_listener_arn,
        https_listener_arn=upstream.https_listener_arn, load_balancer_dns_name=upstream.load_balancer_dns_name,
        load_balancer_zone_id=upstream.load_balancer_zone_id, hosted_zone_id=upstream.hosted_zone_id, host=host,
        provider=provider)

    task = TaskDefinition(
        app, names=names, settings=settings, image=image, url=routing.url, secrets=roles.secrets,
        execution_role_arn=roles.execution_role_arn, task_role_arn=roles.task_role_arn, region=region,
        provider=provider)

    service = Service(
        app, names=names, settings=settings, cluster_arn=upstream.cluster_arn,
        task_definition_arn=task.task_definition.arn,
        subnet_ids=upstream.public_subnet_ids if settings.placement == "public" else upstream.private_subnet_ids,
        security_group_id=upstream.environment_security_group_id, target_group_arn=routing.target_group.arn,
        rules=routing.rules, wait_for_steady_state=ctx.wait_for_steady_state, provider=provider)

    if settings.autoscaling is not None:
        Autoscaling(app, scaling=settings.autoscaling, cluster_name=upstream.cluster_name,
                    service_name=service.service.name, load_balancer_arn=upstream.load_balancer_arn,
                    target_group_arn_suffix=routing.target_group.arn_suffix, provider=provider)

    pulumi.export("serviceName", service.service.name)
    pulumi.export("serviceArn", service.service.arn)
    pulumi.export("taskDefinitionArn", task.task_definition.arn)
    pulumi.export("targetGroupArn", routing.target_group.arn)
    pulumi.export("logGroupName", task.log_group.name)
    pulumi.export("url", routing.url)
