"""Before ``up`` and ``preview`` create anything: no resource ecsp would name already exists outside its stacks.

The offline plan of the selected stacks lists every resource ecsp gives a name of its own
(the kinds in :data:`ecsp.naming.NAMED_KINDS`). Each is looked up with boto3 in the account
and region its provider points at. One that exists and does not carry the stack's own
``ecsp:*`` tags belongs to something else (Copilot's stacks, beside which imported projects
run, or a person): creating it would fail halfway through a run, or, for the kinds AWS hands
back instead of refusing (SNS topics, SQS queues, ECS clusters, task definition families),
would quietly share it, so that a later ``destroy`` deletes someone else's resource. The run
stops before the first stack starts, naming each resource, its owner's tags and the fix.
Data is never created over live data: a table, database or cache that exists is to be linked
as existing storage, and the fix says how.

A resource ecsp created carries the ``ecsp:*`` tags of its stack (every provider sets them as
default tags), which is how "in ecsp's state" is told without reading the state.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecsp import naming
from ecsp.aws import LOCAL_CREDENTIALS, Where, assume_role_session, aws_errors, client_config, error_code
from ecsp.config.data_types import DATA_KINDS
from ecsp.context import LocalEmulator
from ecsp.errors import AwsError
from ecsp.planner import Plan, PlannedResource, PlannedStack

PROVIDER = "pulumi:providers:aws"
# Tags of the tools whose resources an ecsp project may meet, and what to call their owner.
OWNER_TAGS = ("copilot-application", "copilot-environment", "copilot-service", "copilot-pipeline", "copilot-task",
              "ecs-project", "ecs-environment", "ecs-application")


@dataclass(frozen=True)
class Placement:
    """Where a planned resource is created: the region and credentials of its provider."""

    region: str
    profile: str | None = None
    role_arn: str | None = None

    @classmethod
    def of(cls, provider: PlannedResource) -> Placement:
        inputs = provider.inputs
        roles = _structured(inputs.get("assumeRoles")) or []
        role = roles[0].get("roleArn") if roles and isinstance(roles[0], Mapping) else None
        return cls(str(inputs.get("region")), inputs.get("profile") or None, role)


@dataclass(frozen=True)
class DataEntry:
    """The ``data:`` entry a named resource is the storage of, in one environment."""

    name: str
    kind: str  # its kind in ecsp.yaml: table, postgres, mysql, redis
    environment: str

    def link(self, resource: str) -> str:
        """How ecsp.yaml links the live resource ``resource`` instead of creating it."""
        placeholders = {"name": resource, "secret": "SECRET_ARN", "security_group": "sg-...", "host": "HOST",
                        "port": "PORT", "arn": "ARN"}
        keys = ", ".join(f"{key}: {placeholders[key]}" for key in DATA_KINDS[self.kind].existing)
        return f"data.{self.name}.environments.{self.environment}.existing: {{{keys}}}"


@dataclass(frozen=True)
class NamedResource:
    """A resource the plan names explicitly, with where it goes and the tags it will carry."""

    kind: naming.NamedKind
    name: str
    stack: str
    placement: Placement
    tags: Mapping[str, str]
    data: DataEntry | None = None  # the data entry it stores, for a storage stack's data


@dataclass(frozen=True)
class Found:
    """An existing resource of a name: its id or ARN and its tags."""

    id: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Collision:
    """A resource ecsp would create by name that exists and is not its own."""

    resource: NamedResource
    found: Found

    @property
    def owner(self) -> str:
        """Who the tags say owns it: ``Copilot application shop (...)`` or the tags themselves."""
        tags = self.found.tags
        copilot = {k: v for k, v in tags.items() if k in OWNER_TAGS}
        if copilot:
            return "Copilot's (" + ", ".join(f"{k}={v}" for k, v in sorted(copilot.items())) + ")"
        ecsp_tags = {k: v for k, v in tags.items() if k.startswith("ecsp:")}
        if ecsp_tags:
            return "another ecsp stack's (" + ", ".join(f"{k}={v}" for k, v in sorted(ecsp_tags.items())) + ")"
        return "not ecsp's (" + (", ".join(f"{k}={v}" for k, v in sorted(tags.items())) or "no tags") + ")"

    def __str__(self) -> str:
        r = self.resource
        return f"{r.kind.label} {r.name} ({r.stack}, {r.placement.region}) exists and is {self.owner}"


class NameTakenError(AwsError):
    """Resources ecsp would create by name already exist outside its stacks. Nothing was created."""

    def __init__(self, collisions: Sequence[Collision]) -> None:
        self.collisions = list(collisions)
        lines = "\n".join(f"  {c}" for c in collisions)
        # Live data is linked, never deleted nor retired: Copilot's runbook keeps it, so it would still be there.
        links = list(dict.fromkeys(c.resource.data.link(c.resource.name) for c in collisions
                                   if c.resource.data is not None))
        others = [c for c in collisions if c.resource.data is None]
        copilot = any("copilot" in c.owner.lower() for c in others)
        zones = any(c.resource.kind.user_facing for c in others)
        fix = []
        if zones:
            fix.append("hosted zones: the project keeps Copilot's application name and domain; remove project.domain "
                       "(serve Copilot's host names as aliases with the environment's certificates) until Copilot's "
                       "stacks are retired, or choose another project.name")
        if links:
            fix.append("data: ecsp never creates storage over live data; link the live one as existing storage "
                       f"instead of creating it ({'; '.join(links)}; `ecsp import copilot --from-aws` writes this "
                       "for Copilot's storage), or give the data entry another name")
        if copilot:
            fix.append("ecsp never takes over Copilot's resources: retire them first (`ecsp import copilot "
                       "--runbook`), or choose another project.name")
        if others:
            fix.append("a resource of yours left from an earlier deploy: delete or rename it, then run again")
        super().__init__(f"{len(collisions)} resource(s) ecsp would create already exist, outside its stacks; "
                         f"nothing was created:\n{lines}", fix="; ".join(fix))


def named_resources(plan: Plan, stacks: Iterable[str] | None = None) -> list[NamedResource]:
    """The resources of ``plan`` (of ``stacks`` only, when given) that ecsp names itself."""
    wanted = set(stacks) if stacks is not None else None
    out = []
    for stack in plan.stacks:
        if wanted is not None and stack.spec.name not in wanted:
            continue
        providers = {f"{r.type}::{r.name}": r for r in stack.resources if r.type == PROVIDER}
        for resource in stack.resources:
            kind = naming.named_kind(resource.type)
            name = resource.inputs.get(kind.name_input) if kind else None
            provider = providers.get(resource.provider or "")
            if kind is None or not isinstance(name, str) or provider is None:
                continue
            tags = (_structured(provider.inputs.get("defaultTags")) or {}).get("tags") or {}
            out.append(NamedResource(kind, name, stack.spec.name, Placement.of(provider), dict(tags),
                                     _data_entry(stack, resource) if kind.holds_data else None))
    return out


def _data_entry(stack: PlannedStack, resource: PlannedResource) -> DataEntry | None:
    """The data entry ``resource`` stores: its parent component is named after the entry, which the storage
    stack's ``data`` output lists with its kind (stacks.contracts.StorageOutputs)."""
    entries = stack.outputs.get("data")
    entry = (resource.parent or "").rpartition("::")[2]
    facts = entries.get(entry) if isinstance(entries, Mapping) else None
    kind = facts.get("kind") if isinstance(facts, Mapping) else None
    if kind not in DATA_KINDS or stack.spec.environment is None:
        return None
    return DataEntry(entry, str(kind), stack.spec.environment)


class Sessions:
    """One boto3 session per placement (region, profile, role), or the local emulator's."""

    def __init__(self, local: LocalEmulator | None = None) -> None:
        self.local = local
        self._sessions: dict[Placement, Any] = {}
        self._clients: dict[tuple[Placement, str], Any] = {}

    def client(self, placement: Placement, service: str) -> Any:
        import boto3  # type: ignore[import-untyped]

        key = (placement, service)
        if key not in self._clients:
            if placement not in self._sessions:
                if self.local is not None:
                    session = boto3.Session(region_name=placement.region, **LOCAL_CREDENTIALS)
                else:
                    session = boto3.Session(profile_name=placement.profile, region_name=placement.region)
                    if placement.role_arn:
                        session = assume_role_session(session, placement.role_arn, placement.region)
                self._sessions[placement] = session
            endpoint = self.local.endpoint if self.local is not None else None
            self._clients[key] = self._sessions[placement].client(service, endpoint_url=endpoint,
                                                                  config=client_config())
        return self._clients[key]


def collisions(resources: Iterable[NamedResource], sessions: Sessions) -> list[Collision]:
    """The resources that exist under their names and are not the stack's own."""
    out = []
    for resource in resources:
        lookup = LOOKUPS.get(resource.kind.resource_type)
        if lookup is None:
            continue
        where = Where(resource.stack, resource.placement.region, resource.placement.profile,
                      resource.placement.role_arn, local=sessions.local is not None, kind="stack")
        with aws_errors(where):
            found = lookup(functools.partial(sessions.client, resource.placement), resource.name)
        if found is not None and not _own(found.tags, resource.tags):
            out.append(Collision(resource, found))
    return out


def check(plan: Plan, stacks: Iterable[str] | None = None, *, local: LocalEmulator | None = None) -> None:
    """Raise :class:`NameTakenError` when any resource ``stacks`` would name exists outside ecsp's stacks."""
    found = collisions(named_resources(plan, stacks), Sessions(local))
    if found:
        raise NameTakenError(found)


def _structured(value: Any) -> Any:
    """A provider's nested input: Pulumi hands providers their objects and lists as JSON text."""
    return json.loads(value) if isinstance(value, str) else value


def _own(tags: Mapping[str, str], expected: Mapping[str, str]) -> bool:
    """Whether ``tags`` are the stack's own ``ecsp:*`` tags (what every resource it created carries)."""
    ours = {k: v for k, v in expected.items() if k.startswith("ecsp:")}
    return bool(ours) and all(tags.get(k) == v for k, v in ours.items())


# --------------------------------------------------------------------------- lookups by kind

Client = Callable[[str], Any]


def _pairs(tags: Iterable[Mapping[str, Any]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {str(t[key]): str(t.get(value, "")) for t in tags or []}


def _absent(call: Callable[[], Any], *codes: str) -> Any:
    """``call()``, or None when AWS says the thing does not exist (``codes`` or any *NotFound*)."""
    import botocore.exceptions  # type: ignore[import-untyped]

    from ecsp.aws import is_not_found

    try:
        return call()
    except botocore.exceptions.ClientError as e:
        if is_not_found(e) or error_code(e) in codes:
            return None
        raise


def _ecr(client: Client, name: str) -> Found | None:
    ecr = client("ecr")
    found = _absent(lambda: ecr.describe_repositories(repositoryNames=[name]), "RepositoryNotFoundException")
    if not found or not found.get("repositories"):
        return None
    arn = found["repositories"][0]["repositoryArn"]
    return Found(arn, _pairs(ecr.list_tags_for_resource(resourceArn=arn).get("tags")))


def _sns(client: Client, name: str) -> Found | None:
    sns = client("sns")
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            arn = topic["TopicArn"]
            if arn.rsplit(":", 1)[-1] == name:
                return Found(arn, _pairs(sns.list_tags_for_resource(ResourceArn=arn).get("Tags")))
    return None


def _sqs(client: Client, name: str) -> Found | None:
    sqs = client("sqs")
    found = _absent(lambda: sqs.get_queue_url(QueueName=name), "AWS.SimpleQueueService.NonExistentQueue",
                    "QueueDoesNotExist")
    if not found:
        return None
    url = found["QueueUrl"]
    return Found(url, dict(sqs.list_queue_tags(QueueUrl=url).get("Tags") or {}))


def _state_machine(client: Client, name: str) -> Found | None:
    sfn = client("stepfunctions")
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page.get("stateMachines", []):
            if machine["name"] == name:
                arn = machine["stateMachineArn"]
                return Found(arn, _pairs(sfn.list_tags_for_resource(resourceArn=arn).get("tags"), "key", "value"))
    return None


def _log_group(client: Client, name: str) -> Found | None:
    logs = client("logs")
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return Found(group.get("arn", name), dict(logs.list_tags_log_group(logGroupName=name).get("tags")
                                                          or {}))
    return None


def _family(client: Client, name: str) -> Found | None:
    ecs = client("ecs")
    # ECS answers an unknown family with a ClientException rather than a NotFound code.
    found = _absent(lambda: ecs.describe_task_definition(taskDefinition=name, include=["TAGS"]), "ClientException")
    if not found:
        return None
    return Found(found["taskDefinition"]["taskDefinitionArn"], _pairs(found.get("tags"), "key", "value"))


def _cluster(client: Client, name: str) -> Found | None:
    ecs = client("ecs")
    found = ecs.describe_clusters(clusters=[name], include=["TAGS"]).get("clusters") or []
    active = [c for c in found if c.get("status") == "ACTIVE"]
    return Found(active[0]["clusterArn"], _pairs(active[0].get("tags"), "key", "value")) if active else None


def _role(client: Client, name: str) -> Found | None:
    iam = client("iam")
    found = _absent(lambda: iam.get_role(RoleName=name), "NoSuchEntity")
    if not found:
        return None
    return Found(found["Role"]["Arn"], _pairs(iam.list_role_tags(RoleName=name).get("Tags")))


def _namespace(client: Client, name: str) -> Found | None:
    cloudmap = client("servicediscovery")
    for page in cloudmap.get_paginator("list_namespaces").paginate():
        for namespace in page.get("Namespaces", []):
            if namespace["Name"] == name:
                arn = namespace["Arn"]
                return Found(arn, _pairs(cloudmap.list_tags_for_resource(ResourceARN=arn).get("Tags")))
    return None


def _zone(client: Client, name: str) -> Found | None:
    route53 = client("route53")
    wanted = name.rstrip(".") + "."
    zones = route53.list_hosted_zones_by_name(DNSName=wanted).get("HostedZones", [])
    for zone in zones:
        if zone["Name"].rstrip(".") + "." == wanted and not zone.get("Config", {}).get("PrivateZone"):
            zone_id = zone["Id"].rsplit("/", 1)[-1]
            tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
            return Found(zone_id, _pairs(tags.get("ResourceTagSet", {}).get("Tags")))
    return None


def _schedule(client: Client, name: str) -> Found | None:
    scheduler = client("scheduler")
    found = _absent(lambda: scheduler.get_schedule(Name=name))
    if not found:
        return None
    arn = found["Arn"]
    return Found(arn, _pairs(scheduler.list_tags_for_resource(ResourceArn=arn).get("Tags")))


def _alias(client: Client, name: str) -> Found | None:
    kms = client("kms")
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page.get("Aliases", []):
            if alias["AliasName"] == name:
                key = alias.get("TargetKeyId")
                tags = kms.list_resource_tags(KeyId=key).get("Tags") if key else []
                return Found(alias["AliasArn"], _pairs(tags, "TagKey", "TagValue"))
    return None


def _pipeline(client: Client, name: str) -> Found | None:
    codepipeline = client("codepipeline")
    found = _absent(lambda: codepipeline.get_pipeline(name=name), "PipelineNotFoundException")
    if not found:
        return None
    arn = found["metadata"]["pipelineArn"]
    return Found(arn, _pairs(codepipeline.list_tags_for_resource(resourceArn=arn).get("tags"), "key", "value"))


def _build_project(client: Client, name: str) -> Found | None:
    projects = client("codebuild").batch_get_projects(names=[name]).get("projects") or []
    return Found(projects[0]["arn"], _pairs(projects[0].get("tags"), "key", "value")) if projects else None


def _managed_policy(client: Client, name: str) -> Found | None:
    iam = client("iam")
    # Policy names are unique in the account whatever their path; only a path-free lookup is by listing.
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page.get("Policies", []):
            if policy["PolicyName"].lower() == name.lower():
                arn = policy["Arn"]
                return Found(arn, _pairs(iam.list_policy_tags(PolicyArn=arn).get("Tags")))
    return None


def _alarm(client: Client, name: str) -> Found | None:
    cloudwatch = client("cloudwatch")
    found = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"]).get("MetricAlarms") or []
    if not found:
        return None
    arn = found[0]["AlarmArn"]
    return Found(arn, _pairs(cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags")))


def _table(client: Client, name: str) -> Found | None:
    dynamodb = client("dynamodb")
    found = _absent(lambda: dynamodb.describe_table(TableName=name))
    if not found:
        return None
    arn = found["Table"]["TableArn"]
    tags = [t for page in dynamodb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn)
            for t in page.get("Tags", [])]
    return Found(arn, _pairs(tags))


def _described(client: Client, service: str, describe: str, by: Mapping[str, str], listed: str, arn: str,
               missing: str) -> Found | None:
    """The resource an RDS or ElastiCache ``describe`` call answers for its name (``by``), with its tags: its
    ``TagList``, or ListTagsForResource's where the description has none. None when AWS answers ``missing``."""
    api = client(service)
    found = _absent(lambda: getattr(api, describe)(**by), missing)
    items = found.get(listed) if found else None
    if not items:
        return None
    item = items[0]
    tags = item["TagList"] if "TagList" in item else api.list_tags_for_resource(ResourceName=item[arn]).get("TagList")
    return Found(item[arn], _pairs(tags))


def _serverless_cache(client: Client, name: str) -> Found | None:
    return _described(client, "elasticache", "describe_serverless_caches", {"ServerlessCacheName": name},
                      "ServerlessCaches", "ARN", "ServerlessCacheNotFoundFault")


def _db_cluster(client: Client, name: str) -> Found | None:
    return _described(client, "rds", "describe_db_clusters", {"DBClusterIdentifier": name}, "DBClusters",
                      "DBClusterArn", "DBClusterNotFoundFault")


def _db_instance(client: Client, name: str) -> Found | None:
    return _described(client, "rds", "describe_db_instances", {"DBInstanceIdentifier": name}, "DBInstances",
                      "DBInstanceArn", "DBInstanceNotFound")


def _db_subnet_group(client: Client, name: str) -> Found | None:
    return _described(client, "rds", "describe_db_subnet_groups", {"DBSubnetGroupName": name}, "DBSubnetGroups",
                      "DBSubnetGroupArn", "DBSubnetGroupNotFoundFault")


def _cloudformation_stack(client: Client, name: str) -> Found | None:
    import botocore.exceptions

    try:
        stacks = client("cloudformation").describe_stacks(StackName=name).get("Stacks") or []
    except botocore.exceptions.ClientError as e:
        # CloudFormation answers a stack it does not know with a ValidationError ("... does not exist").
        if error_code(e) == "ValidationError" and "does not exist" in str(e):
            return None
        raise
    # By name, DescribeStacks answers only a stack that is not deleted.
    return Found(stacks[0]["StackId"], _pairs(stacks[0].get("Tags"))) if stacks else None


# By the Pulumi type of naming.NAMED_KINDS (a test keeps the two tables in step).
LOOKUPS: dict[str, Callable[[Client, str], Found | None]] = {
    "aws:ecr/repository:Repository": _ecr,
    "aws:sns/topic:Topic": _sns,
    "aws:sqs/queue:Queue": _sqs,
    "aws:sfn/stateMachine:StateMachine": _state_machine,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ecs/taskDefinition:TaskDefinition": _family,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:iam/role:Role": _role,
    "aws:servicediscovery/httpNamespace:HttpNamespace": _namespace,
    "aws:route53/zone:Zone": _zone,
    "aws:scheduler/schedule:Schedule": _schedule,
    "aws:kms/alias:Alias": _alias,
    "aws:codepipeline/pipeline:Pipeline": _pipeline,
    "aws:codebuild/project:Project": _build_project,
    "aws:iam/policy:Policy": _managed_policy,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:dynamodb/table:Table": _table,
    "aws:elasticache/serverlessCache:ServerlessCache": _serverless_cache,
    "aws:rds/cluster:Cluster": _db_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _db_instance,
    "aws:rds/instance:Instance": _db_instance,
    "aws:rds/subnetGroup:SubnetGroup": _db_subnet_group,
    "aws:cloudformation/stack:Stack": _cloudformation_stack,
}
