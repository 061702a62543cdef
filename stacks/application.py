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

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming, priorities
from ecsp.config import Application
from ecsp.context import StackContext
from stacks import _aws, application_sidecars, application_storage
from stacks.application_iam import TaskRoles
from stacks.application_image import BuiltImage
from stacks.application_routing import Routing
from stacks.application_service import Autoscaling, Service
from stacks.application_storage import ManagedAccessPoint
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
    file_system_id: pulumi.Output[Any] | None = None  # only read when a volume uses the managed file system

    @classmethod
    def read(cls, ref: pulumi.StackReference, *, domain: bool, managed_efs: bool = False) -> EnvironmentOutputs:
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
            https_listener_arn=need("httpsListenerArn") if domain else None,
            hosted_zone_id=need("hostedZoneId") if domain else None,
            file_system_id=need("fileSystemId") if managed_efs else None,
        )


def repository_url(regions: Any, region: str, application: str) -> str:
    """The application's ECR repository in ``region`` from the project stack's ``regions`` output."""
    url = ((regions or {}).get(region) or {}).get("repositories", {}).get(application)
    if not url:
        raise ValueError(f"the project stack has no ECR repository for '{application}' in {region}; "
                         "deploy the project stack (ecsp up) before the application")
    return str(url)


def _storage(
    app: str, *, names: naming.AppNames, settings: Application, upstream: EnvironmentOutputs, region: str,
    account: pulumi.Input[str], partition: pulumi.Input[str], provider: aws.Provider,
) -> tuple[list[aws.ecs.TaskDefinitionVolumeArgs] | None, pulumi.Output[str] | None]:
    """The task's EFS volumes and the task role's EFS policy; (None, None) without volumes."""
    volumes = settings.storage.volumes
    if not volumes:
        return None, None
    file_system_id: pulumi.Output[Any] | None = None
    point: ManagedAccessPoint | None = None
    managed = settings.managed_volume
    if managed is not None:
        if upstream.file_system_id is None:
            raise ValueError("the environment stack exports no fileSystemId; deploy the environment (ecsp up) after "
                             f"adding the volume '{managed[0]}' with efs: true")
        file_system_id = upstream.file_system_id
        point = ManagedAccessPoint(f"{app}-efs", names=names, volume=managed[1], file_system_id=file_system_id,
                                   provider=provider)
    args = [application_storage.volume_args(v) for v in application_storage.task_volumes(
        volumes, managed_file_system_id=file_system_id,
        managed_access_point_id=point.access_point.id if point else None)]
    policy = pulumi.Output.all(account, partition, file_system_id, point.access_point.arn if point else None).apply(
        lambda v: json.dumps(application_storage.efs_policy(
            volumes, managed_file_system_id=v[2], managed_access_point_arn=v[3], region=region, account=v[0],
            partition=v[1]), sort_keys=True))
    return args, policy


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
    upstream = EnvironmentOutputs.read(pulumi.StackReference(ctx.upstream_name("environment", env)),
                                       domain=domain is not None, managed_efs=settings.managed_volume is not None)

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

    volumes, storage_policy = _storage(app, names=names, settings=settings, upstream=upstream, region=region,
                                       account=account, partition=partition, provider=provider)
    roles = TaskRoles(app, names=names, secrets=settings.secrets, exec_enabled=settings.exec, region=region,
                      account=account, partition=partition, provider=provider,
                      sidecar_secrets=application_sidecars.sidecar_secret_maps(settings) or None,
                      storage_policy=storage_policy)

    host = naming.application_host(config.project.name, env, app, domain) if domain else None
    paths = [config.application(env, other).path for other in config.applications]
    routing = Routing(
        app, names=names, settings=settings, priority=priorities.priority(settings.path, paths),
        vpc_id=upstream.vpc_id, http_listener_arn=upstream.http_listener_arn,
        https_listener_arn=upstream.https_listener_arn, load_balancer_dns_name=upstream.load_balancer_dns_name,
        load_balancer_zone_id=upstream.load_balancer_zone_id, hosted_zone_id=upstream.hosted_zone_id, host=host,
        provider=provider)

    task = TaskDefinition(
        app, names=names, settings=settings, image=image, url=routing.url, secrets=roles.secrets,
        execution_role_arn=roles.execution_role_arn, task_role_arn=roles.task_role_arn, region=region,
        provider=provider, sidecar_secrets=roles.sidecar_secrets if settings.sidecars else None,
        volumes=volumes)

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
