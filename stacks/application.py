"""The application stack: one application in one environment (one stack per (environment, app)).

It reads the environment stack's outputs (network, cluster, load balancer, listeners,
zone, Service Connect namespace) and the project stack's (the ECR repository of this
region) through ``pulumi.StackReference`` and builds, one component per concern: the
image (built and pushed when ``image.build``), the IAM roles, the log group and task
definition (the same for every application), then one component per capability its type has
(:data:`ecsp.config.APPLICATION_TYPES`), never asking for the type by name:

* publish: its topics;
* queue: its queue and subscriptions (and backlog scaling with a service);
* http: the routing (target group, listener rules, DNS);
* service: the service and its autoscaling, with Service Connect (serve: others call it), and
  what its deployment strategy needs (:mod:`stacks.application_deployment`);
* schedule: the state machine that runs the task and its schedule.

Exports :class:`stacks.contracts.ApplicationOutputs`, as far as the application has them. A
hold in the context (:class:`ecsp.context.Hold`, see :mod:`ecsp.rollout`) keeps the service on
another task definition revision than the one registered here, or leaves it out until a
first release has run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming, priorities
from ecsp.config import (
    Capability,
    ProjectConfig,
    ResolvedApplication,
    SubscriptionConfig,
    managed_alias,
    task_containers,
    traffic_target,
)
from ecsp.config.exports import exported
from ecsp.context import StackContext
from ecsp.graph import StackSpec
from stacks import _aws, application_storage
from stacks.application_deployment import InfrastructureRole, RollbackAlarms, service_alarms
from stacks.application_iam import SecretRef, TaskRoles, after
from stacks.application_image import BuiltImage
from stacks.application_links import Links
from stacks.application_queue import BacklogScaling, Queue
from stacks.application_routing import Routing
from stacks.application_schedule import Job
from stacks.application_service import Autoscaling, Service, ServiceConnect, load_balancer_arn_suffix
from stacks.application_storage import ManagedAccessPoint
from stacks.application_task import TaskDefinition
from stacks.application_topics import Topics
from stacks.contracts import ApplicationOutputs, EnvironmentOutputs, ProjectOutputs, StorageOutputs

# The last answer of rule_keys_by_application: a plan asks it for every application stack of an
# environment in a row (100 applications: 100 times over the same 100), with the same config.
_last_rule_keys: tuple[ProjectConfig, str, dict[str, list[str]]] | None = None


def rule_keys_by_application(config: ProjectConfig, env: str) -> dict[str, list[str]]:
    """Priority keys of each application behind the load balancer in ``env``: its path, plus one per extra
    rule its host names need.

    When several share the root path, each with host names is keyed by its first one (the one
    without keeps the root, evaluated last).
    """
    global _last_rule_keys
    last = _last_rule_keys
    if last is not None and last[0] is config and last[1] == env:
        return last[2]
    served = {app: config.application(env, app) for app in config.applications}
    served = {app: settings for app, settings in served.items() if settings.has(Capability.HTTP)}
    root_shared = sum(settings.path == priorities.ROOT_PATH for settings in served.values()) > 1
    keys: dict[str, list[str]] = {}
    for app, settings in served.items():
        host = [naming.application_host(config.project.name, env, app, config.project.domain)] \
            if config.project.domain else []
        hosts = [*host, *settings.aliases]
        key = settings.path
        if key == priorities.ROOT_PATH and hosts and root_shared:
            key = priorities.root_key(hosts[0])
        keys[app] = priorities.rule_keys(key, priorities.rule_count(hosts))
    _last_rule_keys = (config, env, keys)
    return keys


def route_rule_keys(config: ProjectConfig, env: str, app: str) -> list[list[str]]:
    """Priority keys of each of ``app``'s routes in ``env``: its path, plus one per extra rule its host names need
    (a route on '/' is keyed by its first host name, as a root application told apart by host names is)."""
    settings = config.application(env, app)
    host = [naming.application_host(config.project.name, env, app, config.project.domain)] \
        if config.project.domain else []
    keys = []
    for i, route in enumerate(settings.routes):
        hosts = route.aliases or [*host, *settings.aliases]
        key = priorities.root_key(f"{hosts[0]}~{i + 1}") if route.path == priorities.ROOT_PATH and hosts \
            else route.path
        keys.append(priorities.rule_keys(key, priorities.rule_count(hosts)))
    return keys


def listener_rule_keys(config: ProjectConfig, env: str) -> tuple[str, ...]:
    """The rule keys of every application behind the load balancer in ``env`` (one per rule; more than
    one with many aliases).

    Each stack numbers them all, so that it derives the same, unique priorities on its own.
    """
    keys = rule_keys_by_application(config, env)
    return tuple(key for app, own in keys.items() for key in [
        *own, *test_rule_keys(config, env, app), *(k for route in route_rule_keys(config, env, app) for k in route)])


def reads(config: ProjectConfig, spec: StackSpec) -> dict[str, Any]:
    """What of ecsp.yaml :func:`program` reads for ``spec`` (the plan cache replans the stack when it changes).

    Its own settings, the project's and its environment's, of the other applications only
    the listener rules it must number with theirs, and the data it links. (Its addons are
    files, not settings: the planner keys them with the stack.)
    """
    env, app = spec.environment, spec.application
    assert env is not None and app is not None
    settings = config.application(env, app)
    data = config.data_in(env)
    return {"project": config.project, "environment": config.environments[env], "application": settings,
            "listener_rules": listener_rule_keys(config, env),
            "data": {name: data[name] for name in settings.link if name in data}}


def subscribed_topic_arns(ctx: StackContext, subscribe: Sequence[SubscriptionConfig], own: Topics | None
                          ) -> list[pulumi.Output[str]]:
    """The ARN of each subscribed topic, in order: from the publisher's stack outputs (its own topics for an
    application that subscribes to itself)."""
    env, app = ctx.stack.environment, ctx.stack.application
    published: dict[str, pulumi.Output[Any]] = {}
    arns = []
    for sub in subscribe:
        if sub.app not in published:
            if sub.app == app and own is not None:
                published[sub.app] = own.arns
            else:
                ref = pulumi.StackReference(ctx.upstream_name("application", env, sub.app))
                published[sub.app] = pulumi.Output.from_input(ApplicationOutputs.pick(ref, "topic_arns").topic_arns)
        arns.append(published[sub.app].apply(_topic_of(sub.topic)))
    return arns


def _topic_of(topic: str) -> Any:
    def pick(found: dict[str, str]) -> str:
        return str(found[topic])

    return pick


def test_rule_keys(config: ProjectConfig, env: str, app: str) -> list[str]:
    """The priority key of ``app``'s test-traffic rule in ``env``, when its deployment has a test route."""
    deployment = config.application(env, app).deployment
    if not deployment.shifts_traffic or deployment.test_route is None:
        return []
    return [priorities.test_rule_key(config.application(env, app).path)]


def repository_url(regions: Any, region: str, application: str) -> str:
    """The application's ECR repository in ``region`` from the project stack's ``regions`` output."""
    url = ((regions or {}).get(region) or {}).get("repositories", {}).get(application)
    if not url:
        raise ValueError(f"the project stack has no ECR repository for '{application}' in {region}; "
                         "deploy the project stack (ecsp up) before the application")
    return str(url)


def _storage(
    app: str, *, names: naming.AppNames, settings: ResolvedApplication, upstream: EnvironmentOutputs, region: str,
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
        # Read with require_output (the program asks for it): an environment deployed before the first
        # efs: true volume fails naming fileSystemId: `ecsp up` (or --with-upstream) updates it first.
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


def _links(ctx: StackContext, app: str, *, names: naming.AppNames, settings: ResolvedApplication,
           upstream: EnvironmentOutputs, roles: TaskRoles, region: str, account: pulumi.Input[str],
           partition: pulumi.Input[str], provider: aws.Provider) -> Links | None:
    """What the application takes from outside its stack (linked data, addons, exports...); None for nothing."""
    env = ctx.stack.environment
    assert env is not None
    addon = ctx.addons.get(app)
    if not (settings.link or addon or settings.managed_policies or settings.security_groups
            or exported(settings.variables) or exported(settings.secrets)):
        return None
    storage = None
    if settings.link or addon:
        storage = StorageOutputs.read(pulumi.StackReference(ctx.upstream_name("storage", env)))
    data = ctx.config.data_in(env)
    return Links(app, names=names, settings=settings, data=data,
                 storage=storage.data if storage else None, addon=addon,
                 addon_outputs=pulumi.Output.from_input(storage.addons).apply(lambda a: (a or {}).get(app, {}))
                 if storage and addon else None,
                 vpc_id=upstream.vpc_id, task_role=roles.task_role, execution_role=roles.execution_role,
                 region=region, account=account, partition=partition, provider=provider)


def _deployment(
    app: str, *, names: naming.AppNames, settings: ResolvedApplication, routing: Routing | None,
    upstream: EnvironmentOutputs, account: pulumi.Input[str], partition: pulumi.Input[str], provider: aws.Provider,
) -> tuple[aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs | None, pulumi.Output[list[str]] | None]:
    """What the service's deployments need around it: for a web application's traffic shifting, the role ECS
    edits the rules with; the rollback alarms ecsp creates. (None, None) when there is nothing to add."""
    deployment = settings.deployment
    shifting = None
    if routing is not None and routing.alternate_target_group is not None:
        role = InfrastructureRole(f"{app}-deploy", names=names, account=account, partition=partition,
                                  boundary=upstream.permissions_boundary_arn, provider=provider)
        # The role's policy must be attached before ECS first uses the role.
        role_arn = after(role.role.arn, [role.grant])
        shifting = aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
            alternate_target_group_arn=routing.alternate_target_group.arn,
            production_listener_rule=routing.production_rule.arn,
            test_listener_rule=routing.test_rule.arn if routing.test_rule is not None else None, role_arn=role_arn)
    created = None
    if routing is not None and deployment.alarms is not None and deployment.alarms.created:
        groups = [routing.target_group] + ([routing.alternate_target_group] if routing.alternate_target_group else [])
        created = RollbackAlarms(
            f"{app}-rollback", names=names, alarms=deployment.alarms,
            target_group_suffixes=[g.arn_suffix for g in groups],
            load_balancer_suffix=pulumi.Output.from_input(upstream.load_balancer_arn).apply(
                lambda arn: load_balancer_arn_suffix(arn) or ""),
            provider=provider).names
    return shifting, created


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
                                                *(["hosted_zone_id"] if domain else []),
                                                *(["service_connect_namespace_arn"] if settings.connect else []),
                                                *(["file_system_id"] if settings.managed_volume is not None else [])])

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

    volumes, storage_policy = _storage(app, names=names, settings=settings, upstream=upstream, region=region,
                                       account=account, partition=partition, provider=provider)
    # The task's containers, the application's own first: each brings its own secrets to the execution role.
    containers = task_containers(settings, app)
    roles = TaskRoles(app, names=names, secrets={c.name: c.secrets for c in containers}, exec_enabled=settings.exec,
                      region=region, account=account, partition=partition,
                      boundary=upstream.permissions_boundary_arn, provider=provider,
                      storage_policy=storage_policy,
                      registry_credentials=[c.credentials for c in containers if c.credentials is not None])

    # What the capabilities add around the shared task definition: topics and a queue, with their grants
    # on the task role (tasks must not start before those exist) and their variables.
    task_grants: list[pulumi.CustomResource] = []
    extra: dict[str, pulumi.Input[str]] = {}
    topics = queue = None
    if settings.publish:
        topics = Topics(app, names=names, publish=settings.publish, task_role=roles.task_role, provider=provider)
        task_grants.append(topics.grant)
        extra["ECSP_SNS_TOPIC_ARNS"] = topics.arns.apply(lambda a: json.dumps(a, sort_keys=True))
    if settings.has(Capability.QUEUE):
        queue = Queue(app, names=names, settings=settings.queue, subscribe=settings.subscribe,
                      topic_arns=subscribed_topic_arns(ctx, settings.subscribe, topics), task_role=roles.task_role,
                      provider=provider)
        task_grants.append(queue.grant)
        extra["ECSP_QUEUE_URL"] = queue.queue.url
    links = _links(ctx, app, names=names, settings=settings, upstream=upstream, roles=roles, region=region,
                   account=account, partition=partition, provider=provider)
    execution_role_arn = roles.execution_role_arn
    secrets: pulumi.Input[dict[str, list[SecretRef]]] = roles.secrets
    extra_security_groups: list[pulumi.Input[str]] = []
    # What links resolve when the stack deploys (data, addon outputs, exports) reaches the application's
    # own container only, beside the variables and secrets it writes; sidecars keep theirs.
    variables: pulumi.Input[dict[str, dict[str, str]]] | None = None
    if links is not None:
        task_grants += links.task_grants
        execution_role_arn = after(roles.execution_role_arn, links.execution_grants) \
            if links.execution_grants else roles.execution_role_arn
        secrets = pulumi.Output.all(roles.secrets, links.secrets).apply(lambda v: {
            **v[0], names.container: sorted([*v[0].get(names.container, []), *v[1]], key=lambda r: r.name)})
        extra_security_groups = links.security_group_ids
        variables = links.environment.apply(lambda linked: {names.container: linked})
    task_role_arn = after(roles.task_role_arn, task_grants) if task_grants else roles.task_role_arn
    discovery_name = settings.discovery_name(app)
    connect = (ServiceConnect(namespace_arn=upstream.service_connect_namespace_arn, discovery_name=discovery_name,
                              port_name=names.container if discovery_name else None,
                              port=settings.port if discovery_name else None)
               if settings.connect and upstream.service_connect_namespace_arn is not None else None)

    routing: Routing | None = None
    target = traffic_target(settings, app)
    if settings.has(Capability.HTTP):
        host = naming.application_host(config.project.name, env, app, domain) if domain else None
        numbers = priorities.priorities(listener_rule_keys(config, env))
        routing = Routing(
            app, names=names, settings=settings,
            priority=[numbers[k] for k in rule_keys_by_application(config, env)[app]], https=https,
            test_priority=next((numbers[k] for k in test_rule_keys(config, env, app)), None),
            managed_aliases=[a for a in settings.aliases if managed_alias(a, config.project.name, env, domain)],
            vpc_id=upstream.vpc_id, http_listener_arn=upstream.http_listener_arn,
            https_listener_arn=upstream.https_listener_arn, load_balancer_dns_name=upstream.load_balancer_dns_name,
            load_balancer_zone_id=upstream.load_balancer_zone_id, hosted_zone_id=upstream.hosted_zone_id, host=host,
            port=target[1], provider=provider,
            routes=[(route, traffic_target(settings, app, route.target_container)[1], [numbers[k] for k in keys])
                    for route, keys in zip(settings.routes, route_rule_keys(config, env, app), strict=True)])

    task = TaskDefinition(
        app, names=names, settings=settings, containers=containers, image=image, url=routing.url if routing else None,
        secrets=secrets, execution_role_arn=execution_role_arn, task_role_arn=task_role_arn,
        region=region, provider=provider, extra_environment=pulumi.Output.all(**extra) if extra else None,
        variables=variables,
        port_names={names.container: connect.port_name} if connect and connect.port_name else None, volumes=volumes)
    subnet_ids = upstream.public_subnet_ids if settings.placement == "public" else upstream.private_subnet_ids

    if settings.has(Capability.SCHEDULE):
        job = Job(app, names=names, settings=settings, cluster_arn=upstream.cluster_arn,
                  task_definition_arn=task.task_definition.arn, execution_role_arn=execution_role_arn,
                  task_role_arn=task_role_arn, subnet_ids=subnet_ids,
                  security_group_id=upstream.environment_security_group_id, region=region, account=account,
                  partition=partition, boundary=upstream.permissions_boundary_arn, provider=provider,
                  extra_security_group_ids=extra_security_groups)
        ApplicationOutputs(
            task_definition_arn=task.task_definition.arn, log_group_name=task.log_group.name,
            topic_arns=topics.arns if topics is not None else None, state_machine_arn=job.state_machine.arn,
            schedule_name=job.schedule.name if job.schedule else None).export()
        return

    hold = ctx.hold
    service_task_definition: pulumi.Input[str] = task.task_definition.arn
    if hold is not None and hold.revision is not None:
        service_task_definition = hold.revision
    elif hold is not None:
        # A first deploy whose release command runs before the service exists: the service comes next.
        ApplicationOutputs(task_definition_arn=task.task_definition.arn, log_group_name=task.log_group.name,
                           topic_arns=topics.arns if topics is not None else None,
                           queue_url=queue.queue.url if queue is not None else None).export()
        return

    shifting, created_alarms = _deployment(app, names=names, settings=settings, routing=routing, upstream=upstream,
                                           account=account, partition=partition, provider=provider)
    service = Service(
        app, names=names, settings=settings, cluster_arn=upstream.cluster_arn,
        task_definition_arn=service_task_definition, subnet_ids=subnet_ids,
        security_group_id=upstream.environment_security_group_id,
        target_group_arn=routing.target_group.arn if routing else None,
        rules=[*routing.rules, *([routing.test_rule] if routing.test_rule else [])] if routing else [],
        wait_for_steady_state=ctx.wait_for_steady_state, provider=provider, service_connect=connect,
        extra_security_group_ids=extra_security_groups, shifting=shifting,
        alarms=service_alarms(settings, created_alarms), target=target if routing else None,
        route_targets=[(group.arn, *traffic_target(settings, app, route.target_container))
                       for route, group in zip(settings.routes, routing.route_target_groups, strict=True)]
        if routing else ())

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

    outputs = ApplicationOutputs(
        service_name=service.service.name,
        service_arn=service.service.arn,
        task_definition_arn=task.task_definition.arn,
        service_task_definition_arn=hold.revision if hold is not None else None,
        target_group_arn=routing.target_group.arn if routing else None,
        log_group_name=task.log_group.name,
        url=routing.url if routing else None,
        connect_url=f"http://{discovery_name}:{settings.port}" if discovery_name and settings.port else None,
        topic_arns=topics.arns if topics is not None else None,
        queue_url=queue.queue.url if queue is not None else None,
        dead_letter_queue_url=queue.dead_letter_queue.url if queue is not None else None,
    )
    outputs.export()
