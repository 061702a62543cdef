"""What each planned resource uses in a month, by Pulumi resource type: one table, no prices.

A meter reads one planned resource (its type and inputs, and the stack around it) and the usage
assumptions, and says how many units of which priced dimension it uses in a month, as a range
(autoscaling gives fewest to most tasks, a serverless database its ACU range). The estimate
(:mod:`ecsp.cost.estimate`) prices them. A resource type without a meter costs nothing by
itself (IAM, security groups, subnets, listener rules, records) or is listed in
:data:`NOT_ESTIMATED`. Storage types are metered the moment a program creates them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ecsp import planned
from ecsp.cost.assumptions import Assumptions
from ecsp.planner import Plan, PlannedResource, PlannedStack


@dataclass(frozen=True)
class Usage:
    """``low``..``high`` units of ``meter`` (a price table key) a month; ``how`` says how they were counted."""

    item: str
    meter: str
    low: float
    high: float
    unit: str
    how: str
    factor: float = 1.0  # applied to the unit price (Fargate Spot: 1 - spot_discount)


@dataclass(frozen=True)
class Context:
    """What a meter may look at besides its resource: the whole plan, its stack, the assumptions."""

    plan: Plan
    stack: PlannedStack
    assume: Assumptions

    def insights_on(self) -> bool:
        """Whether the cluster of this stack's environment has Container Insights on."""
        env = self.stack.spec.environment
        for stack in self.plan.stacks:
            if stack.spec.environment == env and stack.spec.application is None:
                for cluster in planned.of_type(stack, planned.CLUSTER):
                    for setting in cluster.inputs.get("settings") or []:
                        if setting.get("name") == "containerInsights" and setting.get("value") in ("enabled",
                                                                                                   "enhanced"):
                            return True
        return False


Meter = Callable[[PlannedResource, Context], Iterator[Usage]]
METERS: dict[str, Meter] = {}

# Priced by AWS, but not by this estimate: say so rather than leave them out silently.
NOT_ESTIMATED: dict[str, str] = {
    "aws:codepipeline/pipeline:Pipeline": "CodePipeline V2 and its CodeBuild projects bill per execution minute",
    "aws:route53/record:Record": "DNS queries (alias queries to the load balancer are free)",
}


def meter(*types: str) -> Callable[[Meter], Meter]:
    def register(fn: Meter) -> Meter:
        for t in types:
            METERS[t] = fn
        return fn
    return register


def _fmt(n: float) -> str:
    return f"{n:g}"


def _range(low: float, high: float) -> str:
    return _fmt(low) if low == high else f"{_fmt(low)}-{_fmt(high)}"


@meter(planned.SERVICE)
def service(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    """Tasks running all month: vCPU and memory hours (on demand and Spot), public IPs, Container Insights.

    A blue-green, canary or linear service also runs a second set of tasks while each deployment
    shifts traffic and bakes: those hours are lines of their own.
    """
    definition = planned.first(ctx.stack, planned.TASK_DEFINITION)
    if definition is None:
        return
    size = planned.task_size(definition)
    hours = ctx.assume.hours_per_month
    low, high = planned.task_range(ctx.stack)
    spot = planned.on_spot(resource, low), planned.on_spot(resource, high)
    demand = low - spot[0], high - spot[1]
    prefix = "fargate-arm" if size.arm else "fargate"
    arch = " (ARM)" if size.arm else ""
    periods = [("", hours, f"{hours:g} h")]
    shifting = planned.shifting_minutes(resource)
    if shifting is not None:
        strategy, minutes = shifting
        deploys = ctx.assume.deploys_per_month
        periods.append(("deployments", deploys * minutes / 60,
                        f"{deploys:g} {strategy} deployments x {minutes:g} min side by side"))
    for label, (a, b), factor in (("Fargate", demand, 1.0), ("Fargate Spot", spot, 1 - ctx.assume.spot_discount)):
        if a == b == 0:
            continue
        for during, period, how in periods:
            tasks = f"{_range(a, b)} tasks x {how}"
            suffix = f" ({during})" if during else ""
            yield Usage(f"{label}{arch} vCPU{suffix}", f"{prefix}-vcpu-hour", a * size.vcpu * period,
                        b * size.vcpu * period, "vCPU-hours", f"{tasks} x {size.vcpu:g} vCPU", factor)
            yield Usage(f"{label}{arch} memory{suffix}", f"{prefix}-gb-hour", a * size.memory_gb * period,
                        b * size.memory_gb * period, "GB-hours", f"{tasks} x {size.memory_gb:g} GB", factor)
    if (resource.inputs.get("networkConfiguration") or {}).get("assignPublicIp"):
        for during, period, how in periods:
            item = f"public IPv4 (tasks, {during})" if during else "public IPv4 (tasks)"
            yield Usage(item, "public-ipv4-hour", low * period, high * period, "IP-hours",
                        f"{_range(low, high)} tasks x {how}, one public IP each")
    if ctx.insights_on():
        metrics = ctx.assume.insights_metrics_per_service
        yield Usage("Container Insights metrics", "metric-month", metrics, metrics, "metrics",
                    f"{metrics:g} metrics per service")
        gb = ctx.assume.insights_log_gb_per_task
        yield Usage("Container Insights logs", "logs-ingest-gb", low * gb, high * gb, "GB",
                    f"{_range(low, high)} tasks x {gb:g} GB")


@meter(planned.TASK_DEFINITION)
def job_runs(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    """A task definition no service runs: its scheduled runs' vCPU and memory hours."""
    if not planned.runs_job(ctx.stack):
        return
    expression = planned.schedule_expression(ctx.stack)
    runs = planned.runs_per_month(expression)
    size = planned.task_size(resource)
    hours = runs * ctx.assume.job_minutes / 60
    prefix = "fargate-arm" if size.arm else "fargate"
    how = f"{runs:.4g} runs ({expression or 'no schedule'}) x {ctx.assume.job_minutes:g} min"
    yield Usage("Fargate vCPU (runs)", f"{prefix}-vcpu-hour", hours * size.vcpu, hours * size.vcpu, "vCPU-hours",
                f"{how} x {size.vcpu:g} vCPU")
    yield Usage("Fargate memory (runs)", f"{prefix}-gb-hour", hours * size.memory_gb, hours * size.memory_gb,
                "GB-hours", f"{how} x {size.memory_gb:g} GB")


@meter(planned.STATE_MACHINE)
def state_machine(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    runs = planned.runs_per_month(planned.schedule_expression(ctx.stack))
    states = planned.state_count(resource)
    yield Usage("Step Functions transitions", "sfn-transition-thousand", runs * states / 1000,
                runs * states / 1000, "thousand", f"{runs:.4g} runs x {states} states")


@meter(planned.LOAD_BALANCER)
def load_balancer(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    hours = ctx.assume.hours_per_month
    yield Usage("load balancer", "alb-hour", hours, hours, "hours", f"{hours:g} h")
    lcu = ctx.assume.alb_lcu
    yield Usage("load balancer LCUs", "alb-lcu-hour", lcu * hours, lcu * hours, "LCU-hours",
                f"{lcu:g} LCU x {hours:g} h")
    if not resource.inputs.get("internal"):
        zones = len(resource.inputs.get("subnets") or []) or len(resource.inputs.get("subnetMappings") or [])
        yield Usage("public IPv4 (load balancer)", "public-ipv4-hour", zones * hours, zones * hours, "IP-hours",
                    f"{zones} zones x {hours:g} h, one public IP each")


@meter(planned.NAT_GATEWAY)
def nat_gateway(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    hours, gb = ctx.assume.hours_per_month, ctx.assume.nat_gb
    yield Usage("NAT gateway", "nat-hour", hours, hours, "hours", f"{hours:g} h")
    yield Usage("NAT gateway data", "nat-gb", gb, gb, "GB", f"{gb:g} GB")


@meter("aws:ec2/eip:Eip")
def elastic_ip(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    hours = ctx.assume.hours_per_month
    yield Usage("public IPv4 (Elastic IP)", "public-ipv4-hour", hours, hours, "IP-hours", f"{hours:g} h")


@meter("aws:cloudwatch/logGroup:LogGroup")
def log_group(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    gb = ctx.assume.log_gb
    yield Usage("log ingestion", "logs-ingest-gb", gb, gb, "GB",
                f"{gb:g} GB into {resource.inputs.get('name') or resource.name}")


@meter("aws:cloudwatch/metricAlarm:MetricAlarm")
def alarm(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    """An alarm is billed per metric it evaluates (each metric of a metric math alarm), by its resolution."""
    queries = resource.inputs.get("metricQueries") or []
    metrics = sum(1 for q in queries if q.get("metric")) if queries else 1
    periods = [int(q["metric"].get("period") or 60) for q in queries if q.get("metric")]
    periods.append(int(resource.inputs.get("period") or 60))
    high_resolution = min(periods) < 60
    meter = "alarm-metric-month-high-resolution" if high_resolution else "alarm-metric-month"
    resolution = "high-resolution" if high_resolution else "standard"
    yield Usage("CloudWatch alarms", meter, metrics, metrics, "alarm metrics",
                f"{metrics} metric{'s' if metrics != 1 else ''} in {resource.inputs.get('name') or resource.name} "
                f"({resolution})")


@meter(planned.CLUSTER)
def cluster(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    if ctx.insights_on():
        metrics = ctx.assume.insights_metrics_per_cluster
        yield Usage("Container Insights metrics", "metric-month", metrics, metrics, "metrics",
                    f"{metrics:g} metrics per cluster")


@meter("aws:efs/fileSystem:FileSystem")
def file_system(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    gb = ctx.assume.efs_gb
    yield Usage("EFS storage", "efs-gb-month", gb, gb, "GB-months", f"{gb:g} GB")


@meter("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def bucket(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    a = ctx.assume
    yield Usage("S3 storage", "s3-storage-gb-month", a.s3_gb, a.s3_gb, "GB-months", f"{a.s3_gb:g} GB")
    yield Usage("S3 PUT requests", "s3-put-thousand", a.s3_puts_thousand, a.s3_puts_thousand, "thousand",
                f"{a.s3_puts_thousand:g} thousand")
    yield Usage("S3 GET requests", "s3-get-thousand", a.s3_gets_thousand, a.s3_gets_thousand, "thousand",
                f"{a.s3_gets_thousand:g} thousand")


@meter("aws:kms/key:Key")
def kms_key(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    yield Usage("KMS key", "kms-key-month", 1, 1, "keys", "1 key")


@meter(planned.ZONE)
def hosted_zone(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    yield Usage("hosted zone", "route53-zone-month", 1, 1, "zones", str(resource.inputs.get("name") or resource.name))


@meter("aws:secretsmanager/secret:Secret")
def secret(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    yield Usage("secret", "secret-month", 1, 1, "secrets", "1 secret")


@meter(planned.QUEUE)
def queue(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    # A dead-letter queue only receives what failed: no steady traffic to count.
    for other in planned.of_type(ctx.stack, planned.QUEUE):
        policy = other.inputs.get("redrivePolicy")
        target = json.loads(policy).get("deadLetterTargetArn") if isinstance(policy, str) else None
        if target and target in resource.handles:
            return
    n = ctx.assume.queue_requests_million
    yield Usage("SQS requests", "sqs-request-million", n, n, "million", f"{n:g} million requests")


@meter(planned.TOPIC)
def topic(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    n = ctx.assume.topic_publishes_million
    yield Usage("SNS publishes", "sns-publish-million", n, n, "million", f"{n:g} million publishes")


@meter("aws:ecr/repository:Repository")
def repository(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    gb = ctx.assume.ecr_gb
    yield Usage("ECR storage", "ecr-gb-month", gb, gb, "GB-months", f"{gb:g} GB of {resource.inputs.get('name')}")


# -- storage (databases, caches, tables) ---------------------------------------------------------

@meter("aws:rds/cluster:Cluster")
def aurora_cluster(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    a = ctx.assume
    yield Usage("Aurora storage", "aurora-storage-gb-month", a.database_gb, a.database_gb, "GB-months",
                f"{a.database_gb:g} GB")
    if resource.inputs.get("storageType") != "aurora-iopt1":
        yield Usage("Aurora I/O", "aurora-io-million", a.aurora_io_million, a.aurora_io_million, "million",
                    f"{a.aurora_io_million:g} million requests")
    if resource.inputs.get("manageMasterUserPassword"):
        yield Usage("master password secret", "secret-month", 1, 1, "secrets", "Secrets Manager secret RDS manages")


@meter("aws:rds/clusterInstance:ClusterInstance")
def aurora_instance(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    hours = ctx.assume.hours_per_month
    cls = str(resource.inputs.get("instanceClass") or "")
    if cls != "db.serverless":
        yield Usage(f"Aurora {cls}", f"rds-hour:{cls}", hours, hours, "instance-hours", f"{hours:g} h")
        return
    clusters = planned.of_type(ctx.stack, "aws:rds/cluster:Cluster")
    owner = next((c for c in clusters if str(resource.inputs.get("clusterIdentifier")) in c.handles), None)
    scaling = (owner.inputs.get("serverlessv2ScalingConfiguration") or {}) if owner else {}
    low, high = float(scaling.get("minCapacity", 0.5)), float(scaling.get("maxCapacity", 1))
    yield Usage("Aurora Serverless v2", "aurora-acu-hour", low * hours, high * hours, "ACU-hours",
                f"{_range(low, high)} ACU x {hours:g} h")


@meter("aws:rds/instance:Instance")
def rds_instance(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    hours = ctx.assume.hours_per_month
    cls = str(resource.inputs.get("instanceClass") or "")
    copies = 2 if resource.inputs.get("multiAz") else 1
    yield Usage(f"RDS {cls}", f"rds-hour:{cls}", copies * hours, copies * hours, "instance-hours",
                f"{copies} x {hours:g} h" + (" (Multi-AZ)" if copies == 2 else ""))
    gb = float(resource.inputs.get("allocatedStorage") or 20)
    yield Usage("RDS storage", "rds-storage-gb-month", copies * gb, copies * gb, "GB-months", f"{copies} x {gb:g} GB")
    if resource.inputs.get("manageMasterUserPassword"):
        yield Usage("master password secret", "secret-month", 1, 1, "secrets", "Secrets Manager secret RDS manages")


# The least data each engine bills for, in GB, whatever is stored.
_CACHE_MINIMUM_GB = {"valkey": 0.1, "redis": 1.0, "memcached": 1.0}


@meter("aws:elasticache/serverlessCache:ServerlessCache")
def serverless_cache(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    engine = str(resource.inputs.get("engine") or "redis").lower()
    family = "valkey" if engine == "valkey" else "redis"
    hours = ctx.assume.hours_per_month
    floor = _CACHE_MINIMUM_GB.get(engine, 1.0)
    limits = (resource.inputs.get("cacheUsageLimits") or {}).get("dataStorage") or {}
    low = max(floor, float(limits.get("minimum") or ctx.assume.cache_gb))
    high = max(low, float(limits.get("maximum") or ctx.assume.cache_gb))
    yield Usage(f"ElastiCache Serverless ({engine}) data", f"elasticache-serverless-gb-hour:{family}", low * hours,
                high * hours, "GB-hours", f"{_range(low, high)} GB x {hours:g} h (at least {floor:g} GB)")
    n = ctx.assume.cache_ecpu_million
    yield Usage(f"ElastiCache Serverless ({engine}) ECPUs", f"elasticache-serverless-ecpu-million:{family}", n, n,
                "million", f"{n:g} million ECPUs")


@meter("aws:dynamodb/table:Table")
def table(resource: PlannedResource, ctx: Context) -> Iterator[Usage]:
    a = ctx.assume
    yield Usage("DynamoDB storage", "dynamodb-storage-gb-month", a.dynamodb_gb, a.dynamodb_gb, "GB-months",
                f"{a.dynamodb_gb:g} GB")
    if resource.inputs.get("billingMode") == "PAY_PER_REQUEST":
        yield Usage("DynamoDB writes", "dynamodb-write-million", a.dynamodb_writes_million,
                    a.dynamodb_writes_million, "million", f"{a.dynamodb_writes_million:g} million write units")
        yield Usage("DynamoDB reads", "dynamodb-read-million", a.dynamodb_reads_million, a.dynamodb_reads_million,
                    "million", f"{a.dynamodb_reads_million:g} million read units")
    else:
        capacity = f"{resource.inputs.get('readCapacity', 0)} RCU / {resource.inputs.get('writeCapacity', 0)} WCU"
        yield Usage("DynamoDB provisioned capacity", "dynamodb-provisioned", 1, 1, "tables", capacity)
