"""The application stack: one Fargate service behind its environment's load balancer, one stack per (environment, app).

It reads the environment stack's outputs (network, cluster, load balancer, listeners,
zone) and the project stack's (the ECR repository of this region) through
``pulumi.StackReference`` and builds, one component per concern: the image (built and
pushed when ``image.build``), the IAM roles, the log group and task definition, the
routing (target group, listener rules, DNS), the service and its autoscaling.

Exports :class:`stacks.contracts.ApplicationOutputs`.
"""

from __future__ import annotations

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
from stacks.contracts import ApplicationOutputs, EnvironmentOutputs, ProjectOutputs


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
    settings = config.application(env, app)
    names = naming.AppNames(config.project.name, env, app)
    region = ctx.placement.region
    provider = _aws.stack_provider(ctx)
    domain = config.project.domain
    # HTTPS: with a domain, or with the environment's own certificates; the zone only with a domain.
    https = domain is not None or bool(config.environments[env].certificates)
    upstream = EnvironmentOutputs.read(pulumi.StackReference(ctx.upstream_name("environment", env)),
                                       include=[*(["https_listener_arn"] if https else []),
                                                *(["hosted_zone_id"] if domain else [])])

    image: pulumi.Input[str]
    if settings.image.location is not None:
        image = settings.image.location
    else:
        project = ProjectOutputs.read(pulumi.StackReference(ctx.upstream_name("project")))
        image = BuiltImage(
            app, image=settings.image, platform=settings.platform,
            project_root=ctx.project_root, image_tag=ctx.image_tag,
            repository_url=pulumi.Output.from_input(project.regions).apply(lambda r: repository_url(r, region, app)),
            # The project account owns the repository; environment accounts may only pull from it.
            registry_provider=_aws.provider(ctx, "project", region=region, account=config.project.account),
        ).image_uri

    invoke = pulumi.InvokeOutputOptions(provider=provider)
    account = ctx.placement.account or aws.get_caller_identity_output(opts=invoke).account_id
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

    ApplicationOutputs(
        service_name=service.service.name,
        service_arn=service.service.arn,
        task_definition_arn=task.task_definition.arn,
        target_group_arn=routing.target_group.arn,
        log_group_name=task.log_group.name,
        url=routing.url,
    ).export()
