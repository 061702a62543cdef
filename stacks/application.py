"""The application stack: one application of one kind in one environment (one stack per (environment, app)).

It reads the environment stack's outputs (network, cluster, load balancer, listeners,
zone, Service Connect namespace) and the project stack's (the ECR repository of this
region) through ``pulumi.StackReference`` and builds, one component per concern: the
image (built and pushed when ``image.build``), the IAM roles, the log group and task
definition (the same for every kind), then what the kind puts around it:

* web: the routing (target group, listener rules, DNS), the service and its autoscaling;
* backend: the service (no load balancer) and its autoscaling;
* worker: its queue and subscriptions, the service, autoscaling and backlog scaling;
* job: the state machine that runs the task and its schedule.

Any kind may publish topics; web and backend may serve through Service Connect, workers
may call through it. Exports: taskDefinitionArn and logGroupName; services serviceName
and serviceArn; web targetGroupArn and url; a Service Connect server connectUrl;
publishers topicArns; workers queueUrl and deadLetterQueueUrl; jobs stateMachineArn and
scheduleName.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming, priorities
from ecsp.context import StackContext
from stacks import _aws
from stacks.application_iam import TaskRoles, after
from stacks.application_image import BuiltImage
from stacks.application_queue import BacklogScaling, Queue
from stacks.application_routing import Routing
from stacks.application_schedule import Job
from stacks.application_service import Autoscaling, Service, ServiceConnect
from stacks.application_task import TaskDefinition
from stacks.application_topics import Topics


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
    service_connect_namespace_arn: pulumi.Output[Any] | None = None

    @classmethod
    def read(cls, ref: pulumi.StackReference, *, domain: bool, connect: bool = False) -> EnvironmentOutputs:
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
            service_connect_namespace_arn=need("serviceConnectNamespaceArn") if connect else None,
        )


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
    upstream = EnvironmentOutputs.read(pulumi.StackReference(ctx.upstream_name("environment", env)),
                                       domain=domain is not None, connect=bool(settings.connect))

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

    # What the kind adds around the shared task definition: topics and a queue, with their grants
    # on the task role (tasks must not start before those exist) and their variables.
    task_grants: list[pulumi.CustomResource] = []
    extra: dict[str, pulumi.Input[str]] = {}
    topics = queue = None
    if settings.publish:
        topics = Topics(app, names=names, publish=settings.publish, task_role=roles.task_role, provider=provider)
        task_grants.append(topics.grant)
        extra["ECSP_SNS_TOPIC_ARNS"] = topics.arns.apply(lambda a: json.dumps(a, sort_keys=True))
    if settings.kind == "worker":
        queue = Queue(app, names=names, settings=settings.queue, subscribe=settings.subscribe,
                      task_role=roles.task_role, region=region, account=account, partition=partition,
                      provider=provider)
        task_grants.append(queue.grant)
        extra["ECSP_QUEUE_URL"] = queue.queue.url
    task_role_arn = after(roles.task_role_arn, task_grants) if task_grants else roles.task_role_arn
    discovery_name = settings.discovery_name(app)
    connect = (ServiceConnect(namespace_arn=upstream.service_connect_namespace_arn, discovery_name=discovery_name,
                              port_name=names.container if discovery_name else None,
                              port=settings.port if discovery_name else None)
               if settings.connect and upstream.service_connect_namespace_arn is not None else None)

    routing: Routing | None = None
    if settings.kind == "web":
        host = naming.application_host(config.project.name, env, app, domain) if domain else None
        paths = [config.application(env, other).path for other in config.applications
                 if config.application(env, other).kind == "web"]
        routing = Routing(
            app, names=names, settings=settings, priority=priorities.priority(settings.path, paths),
            vpc_id=upstream.vpc_id, http_listener_arn=upstream.http_listener_arn,
            https_listener_arn=upstream.https_listener_arn, load_balancer_dns_name=upstream.load_balancer_dns_name,
            load_balancer_zone_id=upstream.load_balancer_zone_id, hosted_zone_id=upstream.hosted_zone_id, host=host,
            provider=provider)

    task = TaskDefinition(
        app, names=names, settings=settings, image=image, url=routing.url if routing else None,
        secrets=roles.secrets, execution_role_arn=roles.execution_role_arn, task_role_arn=task_role_arn,
        region=region, provider=provider, extra_environment=pulumi.Output.all(**extra) if extra else None,
        port_name=connect.port_name if connect else None)
    subnet_ids = upstream.public_subnet_ids if settings.placement == "public" else upstream.private_subnet_ids

    pulumi.export("taskDefinitionArn", task.task_definition.arn)
    pulumi.export("logGroupName", task.log_group.name)
    if topics is not None:
        pulumi.export("topicArns", topics.arns)
    if settings.kind == "job":
        job = Job(app, names=names, settings=settings, cluster_arn=upstream.cluster_arn,
                  task_definition_arn=task.task_definition.arn, execution_role_arn=roles.execution_role_arn,
                  task_role_arn=task_role_arn, subnet_ids=subnet_ids,
                  security_group_id=upstream.environment_security_group_id, region=region, account=account,
                  partition=partition, provider=provider)
        pulumi.export("stateMachineArn", job.state_machine.arn)
        pulumi.export("scheduleName", job.schedule.name if job.schedule else None)
        return

    service = Service(
        app, names=names, settings=settings, cluster_arn=upstream.cluster_arn,
        task_definition_arn=task.task_definition.arn, subnet_ids=subnet_ids,
        security_group_id=upstream.environment_security_group_id,
        target_group_arn=routing.target_group.arn if routing else None, rules=routing.rules if routing else [],
        wait_for_steady_state=ctx.wait_for_steady_state, provider=provider, service_connect=connect)

    scaling = settings.autoscaling
    if scaling is not None:
        autoscaling = Autoscaling(
            app, scaling=scaling, cluster_name=upstream.cluster_name, service_name=service.service.name,
            load_balancer_arn=upstream.load_balancer_arn if routing else None,
            target_group_arn_suffix=routing.target_group.arn_suffix if routing else None, provider=provider)
        if queue is not None and scaling.queue_delay is not None:
            BacklogScaling(app, scaling=scaling, target=autoscaling.target, queue_name=queue.queue.name,
                           cluster_name=upstream.cluster_name, service_name=service.service.name,
                           provider=provider)

    pulumi.export("serviceName", service.service.name)
    pulumi.export("serviceArn", service.service.arn)
    if routing is not None:
        pulumi.export("targetGroupArn", routing.target_group.arn)
        pulumi.export("url", routing.url)
    if discovery_name is not None and settings.port is not None:
        pulumi.export("connectUrl", f"http://{discovery_name}:{settings.port}")
    if queue is not None:
        pulumi.export("queueUrl", queue.queue.url)
        pulumi.export("deadLetterQueueUrl", queue.dead_letter_queue.url)
