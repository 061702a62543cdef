"""The documented rules AWS enforces that its service models cannot express.

Each rule reads one request (API member names, as :mod:`ecsp.check.shapes` builds it) and
says what the service would refuse, with the rule's source in the docstring. Only rules
where ecsp's requests could break them are here; shapes, enums, ranges and patterns are the
model's and live in :mod:`ecsp.check.model`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ecsp import fargate

Rule = Callable[[dict[str, Any]], list[str]]


def check(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    """What the service would refuse in ``params`` beyond its model (empty: nothing known)."""
    return [problem for rule in RULES.get((service, operation), ()) for problem in rule(params)]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- ECS


def fargate_task_size(params: dict[str, Any]) -> list[str]:
    """Fargate takes only the cpu/memory pairs of the ECS developer guide's "Task size" table, and awsvpc.

    Containers' own cpu and memory must fit in the task's (ECS: "the total amount of CPU
    reserved for all containers within a task be lower than the task-level cpu value").
    """
    if "FARGATE" not in (params.get("requiresCompatibilities") or []):
        return []
    problems = []
    cpu, memory = _int(params.get("cpu")), _int(params.get("memory"))
    if cpu is None or memory is None:
        return ["Fargate tasks need task-level cpu and memory"]
    if not fargate.is_valid(cpu, memory):
        problems.append(f"Fargate has no task size cpu {cpu} with memory {memory} MiB")
    if params.get("networkMode") != "awsvpc":
        problems.append(f"Fargate tasks need networkMode awsvpc, not {params.get('networkMode')}")
    containers = params.get("containerDefinitions") or []
    used_cpu = sum(c.get("cpu") or 0 for c in containers)
    if used_cpu > cpu:
        problems.append(f"the containers reserve {used_cpu} cpu units, more than the task's {cpu}")
    used_memory = sum(c.get("memory") or c.get("memoryReservation") or 0 for c in containers)
    if used_memory > memory:
        problems.append(f"the containers reserve {used_memory} MiB, more than the task's {memory}")
    return problems


def containers(params: dict[str, Any]) -> list[str]:
    """Container definitions that register but cannot run (ECS developer guide, task definition parameters).

    Names are unique; at least one container is essential; ``dependsOn`` and ``mountPoints``
    name containers and volumes of the task; with awsvpc a ``hostPort`` equals its
    ``containerPort``; a health check's interval is 5-300 s, timeout 2-60 s, retries 1-10 and
    start period 0-300 s; ``awsfirelens`` logging needs one container with a FireLens
    configuration; ``awslogs`` needs its group and region options.
    """
    defs = params.get("containerDefinitions") or []
    names = [c.get("name") for c in defs]
    volumes = {v.get("name") for v in params.get("volumes") or []}
    problems = [f"container name {n!r} is used twice" for n in sorted({n for n in names if names.count(n) > 1})]
    if defs and not any(c.get("essential", True) for c in defs):
        problems.append("no container is essential")
    firelens = [c.get("name") for c in defs if c.get("firelensConfiguration")]
    for c in defs:
        name = c.get("name")
        for dependency in c.get("dependsOn") or []:
            if dependency.get("containerName") not in names:
                problems.append(f"{name}: dependsOn names no container of the task: {dependency.get('containerName')}")
        for mount in c.get("mountPoints") or []:
            if mount.get("sourceVolume") not in volumes:
                problems.append(f"{name}: mountPoints names no volume of the task: {mount.get('sourceVolume')}")
        if params.get("networkMode") == "awsvpc":
            for mapping in c.get("portMappings") or []:
                host = mapping.get("hostPort")
                if host is not None and host != mapping.get("containerPort"):
                    problems.append(f"{name}: with awsvpc hostPort {host} must equal containerPort "
                                    f"{mapping.get('containerPort')}")
        health = c.get("healthCheck") or {}
        for key, low, high in (("interval", 5, 300), ("timeout", 2, 60), ("retries", 1, 10), ("startPeriod", 0, 300)):
            value = health.get(key)
            if value is not None and not low <= value <= high:
                problems.append(f"{name}: healthCheck.{key} {value} is outside {low}-{high}")
        log = c.get("logConfiguration") or {}
        options = log.get("options") or {}
        if log.get("logDriver") == "awsfirelens" and len(firelens) != 1:
            problems.append(f"{name}: awsfirelens logging needs exactly one FireLens container, found {len(firelens)}")
        if log.get("logDriver") == "awslogs":
            problems += [f"{name}: awslogs needs the {o} option" for o in ("awslogs-group", "awslogs-region")
                         if o not in options]
    return problems


def service_settings(params: dict[str, Any]) -> list[str]:
    """A launch type and a capacity provider strategy exclude each other (ECS API reference, CreateService:
    "If a capacityProviderStrategy is specified, the launchType parameter must be omitted")."""
    if params.get("launchType") and params.get("capacityProviderStrategy"):
        return ["launchType and capacityProviderStrategy exclude each other"]
    return []


# --------------------------------------------------------------------------- Elastic Load Balancing

_NAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,32}(?<!-)$")


def elb_name(params: dict[str, Any]) -> list[str]:
    """Load balancer and target group names: 1-32 alphanumerics or hyphens, no hyphen at either end; a load
    balancer's may not start with ``internal-`` (ELB API reference, CreateLoadBalancer/CreateTargetGroup)."""
    name = str(params.get("Name", ""))
    problems = [] if _NAME.match(name) else [f"name {name!r} is not 1-32 letters, digits or inner hyphens"]
    if "Scheme" in params and name.startswith("internal-"):
        problems.append(f"load balancer name {name!r} may not start with internal-")
    return problems


def target_group_health(params: dict[str, Any]) -> list[str]:
    """The health check timeout must be smaller than its interval; ip targets need port, protocol and VPC
    (ELB API reference, CreateTargetGroup)."""
    problems = []
    timeout, interval = params.get("HealthCheckTimeoutSeconds"), params.get("HealthCheckIntervalSeconds")
    if timeout is not None and interval is not None and timeout >= interval:
        problems.append(f"health check timeout {timeout} s must be less than its interval {interval} s")
    if params.get("TargetType", "instance") in ("instance", "ip"):
        problems += [f"{params.get('TargetType', 'instance')} targets need {m}"
                     for m in ("Port", "Protocol", "VpcId") if params.get(m) is None]
    return problems


def target_group_attributes(params: dict[str, Any]) -> list[str]:
    """Deregistration delay is 0-3600 s, slow start 30-900 s or 0 (ELB target group attributes)."""
    problems = []
    for attribute in params.get("Attributes") or []:
        value = _int(attribute.get("Value"))
        if attribute.get("Key") == "deregistration_delay.timeout_seconds" and not (value is not None
                                                                                  and 0 <= value <= 3600):
            problems.append(f"deregistration delay {attribute.get('Value')} is outside 0-3600 s")
        if attribute.get("Key") == "slow_start.duration_seconds" and not (value == 0 or (value is not None
                                                                                          and 30 <= value <= 900)):
            problems.append(f"slow start {attribute.get('Value')} is neither 0 nor 30-900 s")
    return problems


_ONE_PER_RULE = ("host-header", "http-request-method", "path-pattern", "source-ip")
_CONFIG = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig",
           "http-header": "HttpHeaderConfig", "http-request-method": "HttpRequestMethodConfig",
           "query-string": "QueryStringConfig", "source-ip": "SourceIpConfig"}


def _values(condition: dict[str, Any]) -> list[str]:
    config = condition.get(_CONFIG.get(condition.get("Field", ""), ""), {}) or {}
    values = config.get("Values") or condition.get("Values") or []
    return [v if isinstance(v, str) else f"{v.get('Key') or ''}={v.get('Value') or ''}" for v in values]


def rule_conditions(params: dict[str, Any]) -> list[str]:
    """Listener rule condition limits (ALB guide, "Condition types for listener rules").

    At most one each of host-header, http-request-method, path-pattern and source-ip; at
    most 3 match evaluations per condition and 5 per rule; at most 5 wildcards per rule;
    host and path values of at most 128 visible ASCII characters.
    """
    conditions = params.get("Conditions") or []
    fields = [c.get("Field") for c in conditions]
    problems = [f"{f} appears {fields.count(f)} times in one rule (at most once)"
                for f in _ONE_PER_RULE if fields.count(f) > 1]
    total = 0
    wildcards = 0
    for c in conditions:
        values = _values(c)
        total += len(values)
        wildcards += sum(v.count("*") + v.count("?") for v in values)
        if len(values) > 3:
            problems.append(f"{c.get('Field')} has {len(values)} values (at most 3 per condition)")
        for v in values:
            if c.get("Field") in ("host-header", "path-pattern") and len(v) > 128:
                problems.append(f"{c.get('Field')} value is {len(v)} characters (at most 128): {v[:40]}...")
            if not all(32 < ord(ch) < 127 for ch in v):
                problems.append(f"{c.get('Field')} value {v!r} has characters outside visible ASCII")
    if total > 5:
        problems.append(f"the rule has {total} match evaluations (at most 5)")
    if wildcards > 5:
        problems.append(f"the rule has {wildcards} wildcards (at most 5)")
    return problems


# --------------------------------------------------------------------------- SQS, logs, autoscaling, KMS, S3

# CreateQueue attribute ranges (SQS API reference, CreateQueue "Attributes").
_QUEUE_RANGES = {"DelaySeconds": (0, 900), "MaximumMessageSize": (1024, 1048576),
                 "MessageRetentionPeriod": (60, 1209600), "ReceiveMessageWaitTimeSeconds": (0, 20),
                 "VisibilityTimeout": (0, 43200), "KmsDataKeyReusePeriodSeconds": (60, 86400)}


def queue_attributes(params: dict[str, Any]) -> list[str]:
    """Queue attribute ranges, and a redrive policy's ``maxReceiveCount`` of 1-1000 (SQS API reference)."""
    problems = []
    attributes = params.get("Attributes") or {}
    for key, (low, high) in _QUEUE_RANGES.items():
        if key in attributes:
            value = _int(attributes[key])
            if value is None or not low <= value <= high:
                problems.append(f"{key} {attributes[key]} is outside {low}-{high}")
    if "RedrivePolicy" in attributes:
        try:
            policy = json.loads(attributes["RedrivePolicy"])
        except ValueError:
            return [*problems, "RedrivePolicy is not JSON"]
        count = _int(policy.get("maxReceiveCount"))
        if count is None or not 1 <= count <= 1000:
            problems.append(f"RedrivePolicy maxReceiveCount {policy.get('maxReceiveCount')} is outside 1-1000")
        if not str(policy.get("deadLetterTargetArn", "")).startswith("arn:"):
            problems.append("RedrivePolicy needs the dead-letter queue's ARN (deadLetterTargetArn)")
    return problems


# CloudWatch Logs retention: only these day counts (Logs API reference, PutRetentionPolicy).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)


def log_retention(params: dict[str, Any]) -> list[str]:
    """Log retention is one of CloudWatch Logs' fixed day counts."""
    days = params.get("retentionInDays")
    return [] if days in RETENTION_DAYS else [f"retention {days} days is not one CloudWatch Logs offers"]


def scalable_target(params: dict[str, Any]) -> list[str]:
    """The minimum capacity may not exceed the maximum (Application Auto Scaling RegisterScalableTarget)."""
    low, high = params.get("MinCapacity"), params.get("MaxCapacity")
    return [f"MinCapacity {low} is above MaxCapacity {high}"] if low is not None and high is not None \
        and low > high else []


def kms_alias(params: dict[str, Any]) -> list[str]:
    """An alias name starts with ``alias/`` and not ``alias/aws/``, which AWS keeps (KMS CreateAlias)."""
    name = str(params.get("AliasName", ""))
    if not name.startswith("alias/"):
        return [f"alias {name!r} must start with alias/"]
    return [f"alias {name!r}: alias/aws/ is reserved for AWS managed keys"] if name.startswith("alias/aws/") else []


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_name(params: dict[str, Any]) -> list[str]:
    """S3 general purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit
    at each end, no ``..``, not an IP address, no reserved prefix or suffix (S3 user guide, bucket naming rules)."""
    name = str(params.get("Bucket", ""))
    if (not _BUCKET.match(name) or ".." in name or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name)
            or name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
            or name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))):
        return [f"bucket name {name!r} breaks S3's naming rules"]
    return []


# --------------------------------------------------------------------------- RDS

# DB cluster, instance and snapshot identifiers: a letter, then letters, digits and single hyphens,
# not ending in a hyphen (RDS user guide, "Naming constraints in Amazon RDS").
_RDS_IDENTIFIER = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]*(?<!-)$")
_RDS_IDENTIFIER_LENGTH = {"DBClusterIdentifier": 63, "DBInstanceIdentifier": 63, "FinalDBSnapshotIdentifier": 255}


def rds_identifiers(params: dict[str, Any]) -> list[str]:
    """Cluster and instance identifiers of 1-63 characters, a final snapshot's of 1-255, by RDS's naming rules."""
    problems = []
    for key, longest in _RDS_IDENTIFIER_LENGTH.items():
        value = params.get(key)
        if value is not None and (not _RDS_IDENTIFIER.match(str(value)) or len(str(value)) > longest):
            problems.append(f"{key} {value!r} breaks RDS's naming rules (a letter first, then at most {longest - 1} "
                            "letters, digits and single hyphens, no hyphen at the end)")
    return problems


def serverless_v2_capacity(params: dict[str, Any]) -> list[str]:
    """Aurora Serverless v2: minimum 0-256 ACUs, maximum 1-256, in steps of 0.5, minimum at most maximum; a
    pause after 300-86,400 s of idleness (Aurora user guide, "Aurora Serverless v2 capacity")."""
    scaling = params.get("ServerlessV2ScalingConfiguration")
    if not scaling:
        return []
    problems = []
    low, high = scaling.get("MinCapacity"), scaling.get("MaxCapacity")
    for name, value, least in (("MinCapacity", low, 0), ("MaxCapacity", high, 1)):
        if value is not None and (not least <= value <= 256 or (value * 2) % 1):
            problems.append(f"{name} {value} is not {least}-256 ACUs in steps of 0.5")
    if low is not None and high is not None and low > high:
        problems.append(f"MinCapacity {low} is above MaxCapacity {high}")
    pause = scaling.get("SecondsUntilAutoPause")
    if pause is not None and not 300 <= pause <= 86_400:
        problems.append(f"SecondsUntilAutoPause {pause} is not 300-86400")
    return problems


# --------------------------------------------------------------------------- EC2, Scheduler, CodePipeline

# EC2 security group names and descriptions (EC2 API reference, CreateSecurityGroup).
_SG_TEXT = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}$")


def security_group(params: dict[str, Any]) -> list[str]:
    """Group names and descriptions: up to 255 characters of ``a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*``;
    a name may not start with ``sg-``."""
    problems = [f"{key} {params.get(key)!r} has characters or a length EC2 refuses"
                for key in ("GroupName", "Description") if not _SG_TEXT.match(str(params.get(key, "")))]
    if str(params.get("GroupName", "")).lower().startswith("sg-"):
        problems.append("a group name may not start with sg-")
    return problems


def rule_descriptions(params: dict[str, Any]) -> list[str]:
    """A security group rule's description has the group description's character set (EC2 API reference)."""
    problems = []
    for permission in params.get("IpPermissions") or []:
        for key in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds"):
            for entry in permission.get(key) or []:
                text = entry.get("Description")
                if text is not None and not _SG_TEXT.match(text):
                    problems.append(f"rule description {text!r} has characters or a length EC2 refuses")
    return problems


_SCHEDULE = re.compile(r"^(at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)"
                       r"|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$")


def schedule_expression(params: dict[str, Any]) -> list[str]:
    """``at(...)``, ``rate(N unit)`` or a six-field ``cron(...)`` whose day-of-month or day-of-week is ``?``
    (EventBridge Scheduler user guide, schedule types)."""
    expression = str(params.get("ScheduleExpression", ""))
    if not _SCHEDULE.match(expression):
        return [f"schedule expression {expression!r} is not at(...), rate(N unit) or a six-field cron(...)"]
    if expression.startswith("cron("):
        fields = expression[5:-1].split()
        if "?" not in (fields[2], fields[4]):
            return [f"{expression}: day-of-month or day-of-week must be '?'"]
    if expression.startswith("rate("):
        number, unit = expression[5:-1].split()
        if (number == "1") != unit.endswith(("minute", "hour", "day")):
            return [f"{expression}: use the singular unit for 1 and the plural otherwise"]
    return []


# The configuration keys each action provider ecsp uses requires (CodePipeline user guide, action
# structure reference).
_ACTION_KEYS: dict[str, tuple[str, ...]] = {
    "CodeBuild": ("ProjectName",),
    "CodeCommit": ("RepositoryName", "BranchName"),
    "CodeStarSourceConnection": ("ConnectionArn", "FullRepositoryId", "BranchName"),
    "S3": ("S3Bucket", "S3ObjectKey"),
    "Manual": (),
}


def pipeline_structure(params: dict[str, Any]) -> list[str]:
    """A pipeline has two stages or more, source actions only and first in the first stage, each
    action's required configuration, and input artifacts that an earlier action (an earlier stage,
    or a lower runOrder in the same stage) produced (CodePipeline user guide, pipeline structure
    reference)."""
    pipeline = params.get("pipeline") or {}
    stages = pipeline.get("stages") or []
    problems = [] if len(stages) >= 2 else [f"a pipeline needs at least 2 stages, not {len(stages)}"]
    produced: set[str] = set()
    for index, stage in enumerate(stages):
        actions = stage.get("actions") or []
        for action in actions:
            kind = action.get("actionTypeId") or {}
            where = f"stage {stage.get('name')}, action {action.get('name')}"
            if (kind.get("category") == "Source") != (index == 0):
                problems.append(f"{where}: source actions belong in the first stage, and only there")
            needed = _ACTION_KEYS.get(str(kind.get("provider")))
            configuration = action.get("configuration") or {}
            if needed is None:
                problems.append(f"{where}: no rule for provider {kind.get('provider')}; teach ecsp/check/rules.py")
            else:
                problems += [f"{where}: configuration needs {key}" for key in needed if key not in configuration]
            order = action.get("runOrder") or 1
            available = produced | {a.get("name") for earlier in actions if (earlier.get("runOrder") or 1) < order
                                    for a in earlier.get("outputArtifacts") or []}
            for artifact in action.get("inputArtifacts") or []:
                if artifact.get("name") not in available:
                    problems.append(f"{where}: input artifact {artifact.get('name')} is produced by no earlier action")
        produced |= {a.get("name") for action in actions for a in action.get("outputArtifacts") or []}
    return problems


RULES: dict[tuple[str, str], tuple[Rule, ...]] = {
    ("ecs", "RegisterTaskDefinition"): (fargate_task_size, containers),
    ("ecs", "CreateService"): (service_settings,),
    ("elbv2", "CreateLoadBalancer"): (elb_name,),
    ("elbv2", "CreateTargetGroup"): (elb_name, target_group_health),
    ("elbv2", "ModifyTargetGroupAttributes"): (target_group_attributes,),
    ("elbv2", "CreateRule"): (rule_conditions,),
    ("sqs", "CreateQueue"): (queue_attributes,),
    ("logs", "PutRetentionPolicy"): (log_retention,),
    ("application-autoscaling", "RegisterScalableTarget"): (scalable_target,),
    ("kms", "CreateAlias"): (kms_alias,),
    ("s3", "CreateBucket"): (bucket_name,),
    ("ec2", "CreateSecurityGroup"): (security_group,),
    ("ec2", "AuthorizeSecurityGroupIngress"): (rule_descriptions,),
    ("ec2", "AuthorizeSecurityGroupEgress"): (rule_descriptions,),
    ("scheduler", "CreateSchedule"): (schedule_expression,),
    ("codepipeline", "CreatePipeline"): (pipeline_structure,),
    ("rds", "CreateDBCluster"): (rds_identifiers, serverless_v2_capacity),
    ("rds", "CreateDBInstance"): (rds_identifiers,),
    ("rds", "DeleteDBCluster"): (rds_identifiers,),
    ("rds", "DeleteDBInstance"): (rds_identifiers,),
}
