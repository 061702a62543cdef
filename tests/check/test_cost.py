"""`ecsp cost`: each example's estimate against a hand calculation from the AWS price pages, line by line.

The prices below are written out by hand from the AWS pricing pages (on-demand, no free tier), not
read from ecsp's table, and the quantities are counted by hand from the examples' ecsp.yaml: a
change to either side that is not made to both fails here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from ecsp import cost, planned, pricing
from ecsp.cli import main
from ecsp.cost.meters import METERS
from ecsp.errors import UsageError
from ecsp.graph import StackSpec
from ecsp.planner import Plan, PlannedResource, PlannedStack
from tests import harness
from tests.paths import EXAMPLES, ROOT
from tests.plans import example

H = 730  # hours in a month, as AWS's pricing pages count them
# https://aws.amazon.com/fargate/pricing/ (Linux/x86 and Linux/ARM, per hour; us-east-1, us-west-2, eu-west-1 alike)
VCPU, GB, ARM_VCPU, ARM_GB = 0.04048, 0.004445, 0.03238, 0.00356
# https://aws.amazon.com/elasticloadbalancing/pricing/ (ALB-hour; LCU-hour)
ALB = {"us-east-1": 0.0225, "us-west-2": 0.0225, "eu-west-1": 0.0252}
LCU = 0.008
# https://aws.amazon.com/vpc/pricing/ (NAT gateway-hour and per GB; public IPv4 per hour)
NAT = {"us-east-1": 0.045, "us-west-2": 0.045, "eu-west-1": 0.048}
IPV4 = 0.005
# https://aws.amazon.com/cloudwatch/pricing/ (Logs ingestion per GB; custom metric per month)
LOGS = {"us-east-1": 0.50, "us-west-2": 0.50, "eu-west-1": 0.57}
METRIC = 0.30
# https://aws.amazon.com/s3/pricing/ (Standard per GB-month, PUT per 1,000, GET per 1,000)
S3_GB, S3_PUT, S3_GET = 0.023, 0.005, 0.0004
ECR_GB = 0.10  # https://aws.amazon.com/ecr/pricing/
KMS_KEY = 1.00  # https://aws.amazon.com/kms/pricing/
ZONE = 0.50  # https://aws.amazon.com/route53/pricing/
EFS_GB = {"us-west-2": 0.30}  # https://aws.amazon.com/efs/pricing/
SQS, SNS = 0.40, 0.50  # https://aws.amazon.com/sqs/pricing/, https://aws.amazon.com/sns/pricing/ (per million)
SFN = 0.025  # https://aws.amazon.com/step-functions/pricing/ (per 1,000 state transitions)

# The default assumptions the hand calculations use (each is printed with every estimate).
LB_ZONES, LOG_GB, NAT_GB, S3_STORED, PUTS, GETS, ECR_STORED = 2, 1, 10, 1, 10, 100, 1
INSIGHTS_CLUSTER, INSIGHTS_SERVICE, INSIGHTS_LOG = 8, 12, 0.05
SPOT = 1 - 0.70


class Hand:
    """Expected monthly cost per (where, item), written line by line."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str], tuple[float, float]] = {}

    def add(self, where: str, item: str, low: float, high: float | None = None) -> None:
        a, b = self.lines.get((where, item), (0.0, 0.0))
        self.lines[(where, item)] = (a + low, b + (low if high is None else high))

    def artifacts(self, regions: list[str], repositories: int) -> None:
        """The project stack: per region an artifact bucket, a KMS key and the applications' repositories."""
        for _ in regions:
            self.add("project", "S3 storage", S3_STORED * S3_GB)
            self.add("project", "S3 PUT requests", PUTS * S3_PUT)
            self.add("project", "S3 GET requests", GETS * S3_GET)
            self.add("project", "KMS key", KMS_KEY)
            for _ in range(repositories):
                self.add("project", "ECR storage", ECR_STORED * ECR_GB)

    def load_balancer(self, env: str, region: str) -> None:
        self.add(env, "load balancer", H * ALB[region])
        self.add(env, "load balancer LCUs", 1 * H * LCU)
        self.add(env, "public IPv4 (load balancer)", LB_ZONES * H * IPV4)

    def service(self, where: str, region: str, vcpu: float, memory: float, tasks: tuple[int, int], *,
                public: bool = True, insights: bool = False, arm: bool = False) -> None:
        low, high = tasks
        self.add(where, "log ingestion", LOG_GB * LOGS[region])
        name = "Fargate (ARM)" if arm else "Fargate"
        cpu_price, gb_price = (ARM_VCPU, ARM_GB) if arm else (VCPU, GB)
        self.add(where, f"{name} vCPU", low * vcpu * H * cpu_price, high * vcpu * H * cpu_price)
        self.add(where, f"{name} memory", low * memory * H * gb_price, high * memory * H * gb_price)
        if public:
            self.add(where, "public IPv4 (tasks)", low * H * IPV4, high * H * IPV4)
        if insights:
            self.add(where, "Container Insights metrics", INSIGHTS_SERVICE * METRIC)
            self.add(where, "Container Insights logs", low * INSIGHTS_LOG * LOGS[region],
                     high * INSIGHTS_LOG * LOGS[region])


def by_item(report: cost.CostReport) -> dict[tuple[str, str], tuple[float, float]]:
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for line in report.lines:
        monthly = line.monthly
        assert monthly is not None, f"{line.item} of {line.stack} has no price"
        a, b = out.get((line.group, line.item), (0.0, 0.0))
        out[(line.group, line.item)] = (a + monthly[0], b + monthly[1])
    return out


def check(name: str, hand: Hand) -> cost.CostReport:
    project, plan = example(name)
    report = cost.estimate_plan(project.config, plan)
    got = by_item(report)
    assert sorted(got) == sorted(hand.lines), "lines differ: " + str(set(got) ^ set(hand.lines))
    for key, (low, high) in hand.lines.items():
        assert got[key] == (pytest.approx(low), pytest.approx(high)), key
    total = (sum(v[0] for v in hand.lines.values()), sum(v[1] for v in hand.lines.values()))
    assert report.total == (pytest.approx(total[0]), pytest.approx(total[1]))
    assert report.problems == ()
    return report


def test_hello_by_hand() -> None:
    h = Hand()
    h.artifacts(["us-east-1"], repositories=1)
    h.load_balancer("test", "us-east-1")
    h.service("test/web", "us-east-1", 0.25, 0.5, (1, 1))  # cpu 256, memory 512, count 1, public
    report = check("hello", h)
    # 0.25*730*0.04048 + 0.5*730*0.004445 + 730*0.005 + 0.5 + 16.425 + 5.84 + 7.30 + 1.21 = $43.94
    assert round(report.total[0], 2) == 43.94


def test_kinds_by_hand() -> None:
    h = Hand()
    h.artifacts(["us-west-2"], repositories=4)
    h.add("test", "Container Insights metrics", INSIGHTS_CLUSTER * METRIC)  # container_insights: true
    h.load_balancer("test", "us-west-2")
    h.service("test/web", "us-west-2", 0.25, 0.5, (1, 1), insights=True)
    h.add("test/web", "SNS publishes", 1 * SNS)  # publish: [created]
    h.service("test/api", "us-west-2", 0.25, 0.5, (1, 1), insights=True)
    h.service("test/orders", "us-west-2", 0.25, 0.5, (1, 10), insights=True)  # count 1..10 on queue_delay
    h.add("test/orders", "SQS requests", 1 * SQS)  # its queue; the dead-letter queue has no steady traffic
    runs = 365 / 12  # cron(0 3 * * ? *): once a day
    hours = runs * 10 / 60  # job_minutes: 10
    h.add("test/nightly", "log ingestion", LOG_GB * LOGS["us-west-2"])
    h.add("test/nightly", "Fargate vCPU (runs)", hours * 0.25 * VCPU)
    h.add("test/nightly", "Fargate memory (runs)", hours * 0.5 * GB)
    h.add("test/nightly", "Step Functions transitions", runs * 1 / 1000 * SFN)  # one state: run the task
    check("kinds", h)


def test_multi_by_hand() -> None:
    h = Hand()
    h.artifacts(["us-west-2", "eu-west-1"], repositories=3)
    h.add("project", "hosted zone", ZONE)  # shop.example.com
    # test: us-west-2, nat: single (one gateway, its Elastic IP), a zone of its own
    h.add("test", "hosted zone", ZONE)
    h.add("test", "NAT gateway", H * NAT["us-west-2"])
    h.add("test", "NAT gateway data", NAT_GB * NAT["us-west-2"])
    h.add("test", "public IPv4 (Elastic IP)", H * IPV4)
    h.load_balancer("test", "us-west-2")
    h.service("test/frontend", "us-west-2", 0.5, 1, (1, 1))  # environments.test.count: 1
    h.service("test/api", "us-west-2", 1, 2, (1, 1), public=False)  # placement: private
    h.service("test/worker-ui", "us-west-2", 0.25, 0.5, (1, 1), arm=True)  # platform linux/arm64
    # prod: eu-west-1, nat: per-az (two gateways), Container Insights on
    h.add("prod", "hosted zone", ZONE)
    h.add("prod", "Container Insights metrics", INSIGHTS_CLUSTER * METRIC)
    h.add("prod", "NAT gateway", 2 * H * NAT["eu-west-1"])
    h.add("prod", "NAT gateway data", 2 * NAT_GB * NAT["eu-west-1"])
    h.add("prod", "public IPv4 (Elastic IP)", 2 * H * IPV4)
    h.load_balancer("prod", "eu-west-1")
    h.service("prod/frontend", "eu-west-1", 0.5, 1, (2, 6), insights=True)  # count 2..6
    h.service("prod/api", "eu-west-1", 1, 4, (3, 3), public=False, insights=True)  # count 3, memory 4096
    h.service("prod/worker-ui", "eu-west-1", 0.25, 0.5, (1, 1), arm=True, insights=True)
    check("multi", h)


def test_sidecars_by_hand() -> None:
    h = Hand()
    h.artifacts(["us-west-2"], repositories=2)
    h.add("test", "EFS storage", 1 * EFS_GB["us-west-2"])  # the managed file system web's volume uses
    h.load_balancer("test", "us-west-2")
    h.service("test/web", "us-west-2", 0.25, 0.5, (1, 1))  # capacity {spot: 1, base: 1}: the one task is the base
    where = "test/queue-reader"  # capacity: spot
    h.add(where, "log ingestion", LOG_GB * LOGS["us-west-2"])
    h.add(where, "Fargate Spot vCPU", 0.25 * H * VCPU * SPOT)
    h.add(where, "Fargate Spot memory", 0.5 * H * GB * SPOT)
    h.add(where, "public IPv4 (tasks)", H * IPV4)
    check("sidecars", h)


def test_imported_by_hand() -> None:
    h = Hand()
    h.artifacts(["us-east-1"], repositories=2)
    # prod: an existing VPC (no NAT, nothing ecsp pays for there), flow logs, an access-log bucket ecsp creates
    h.add("prod", "log ingestion", LOG_GB * LOGS["us-east-1"])  # the flow-log group
    h.add("prod", "S3 storage", S3_STORED * S3_GB)
    h.add("prod", "S3 PUT requests", PUTS * S3_PUT)
    h.add("prod", "S3 GET requests", GETS * S3_GET)
    h.load_balancer("prod", "us-east-1")
    # staging: its own VPC with one NAT gateway, flow logs, access logs to an existing bucket (not ours)
    h.add("staging", "log ingestion", LOG_GB * LOGS["us-east-1"])
    h.add("staging", "NAT gateway", H * NAT["us-east-1"])
    h.add("staging", "NAT gateway data", NAT_GB * NAT["us-east-1"])
    h.add("staging", "public IPv4 (Elastic IP)", H * IPV4)
    h.load_balancer("staging", "us-east-1")
    h.service("prod/web", "us-east-1", 0.25, 0.5, (1, 1))
    h.service("prod/api", "us-east-1", 0.25, 0.5, (1, 1), public=False)
    h.service("staging/web", "us-east-1", 0.25, 0.5, (1, 1))
    h.service("staging/api", "us-east-1", 0.25, 0.5, (1, 1))  # placement: public in staging
    check("imported", h)


# https://aws.amazon.com/rds/aurora/pricing/ (us-west-2: Serverless v2 per ACU-hour, Standard storage per GB-month,
# I/O per million requests); https://aws.amazon.com/secrets-manager/pricing/ (per secret per month)
ACU, AURORA_GB, AURORA_IO, SECRET = 0.12, 0.10, 0.20, 0.40
DATABASE_GB, IO_MILLION = 10, 1  # the default assumptions of a database's size and traffic


def test_data_by_hand() -> None:
    h = Hand()
    h.artifacts(["us-west-2"], repositories=2)
    runs = 365 / 12  # reports: cron(0 4 * * ? *), once a day
    hours = runs * 10 / 60  # job_minutes: 10
    for env, acu in (("test", (0, 4)), ("prod", (0.5, 16))):  # orders' capacity: the default, prod's override
        h.load_balancer(env, "us-west-2")
        h.add(env, "S3 storage", S3_STORED * S3_GB)  # uploads
        h.add(env, "S3 PUT requests", PUTS * S3_PUT)
        h.add(env, "S3 GET requests", GETS * S3_GET)
        h.add(env, "Aurora storage", DATABASE_GB * AURORA_GB)  # orders
        h.add(env, "Aurora I/O", IO_MILLION * AURORA_IO)
        h.add(env, "master password secret", SECRET)
        h.add(env, "Aurora Serverless v2", acu[0] * H * ACU, acu[1] * H * ACU)
        h.service(f"{env}/web", "us-west-2", 0.25, 0.5, (1, 1))
        h.add(f"{env}/reports", "log ingestion", LOG_GB * LOGS["us-west-2"])
        h.add(f"{env}/reports", "Fargate vCPU (runs)", hours * 0.25 * VCPU)
        h.add(f"{env}/reports", "Fargate memory (runs)", hours * 0.5 * GB)
        h.add(f"{env}/reports", "Step Functions transitions", runs * 1 / 1000 * SFN)
    check("data", h)


def test_deployments_by_hand() -> None:
    # A blue-green, canary or linear deployment runs the new tasks beside the old while traffic
    # shifts and the old set bakes; 20 deployments a month (the assumption) of 1 task each:
    #   shop      blue-green, bake 15 min                          -> 15 min
    #   search    canary in prod: 5 min canary bake, no bake time  ->  5 min (rolling in test)
    #   checkout  linear 25% every 2 min: 3 waits + bake 5 min     -> 11 min
    #   prices    canary with the defaults (10%, 5 min)            ->  5 min
    # The rollback alarms are billed per metric they read (standard resolution, $0.10 each): the
    # 5xx alarm reads errors and requests of both target groups (4), the response-time alarm the
    # response time of both (2); prices' alarm is the team's own, not ecsp's.
    h = Hand()
    h.artifacts(["us-west-2"], repositories=4)
    deploys, alarm_metric = 20, 0.10
    for env in ("test", "prod"):
        h.load_balancer(env, "us-west-2")
        shifting = {"shop": 15, "checkout": 11, "prices": 5} | ({"search": 5} if env == "prod" else {})
        for app in ("shop", "search", "checkout", "prices"):
            h.service(f"{env}/{app}", "us-west-2", 0.25, 0.5, (1, 1))
            if app in shifting:
                hours = deploys * shifting[app] / 60
                h.add(f"{env}/{app}", "Fargate vCPU (deployments)", hours * 0.25 * VCPU)
                h.add(f"{env}/{app}", "Fargate memory (deployments)", hours * 0.5 * GB)
                h.add(f"{env}/{app}", "public IPv4 (tasks, deployments)", hours * IPV4)
        h.add(f"{env}/shop", "CloudWatch alarms", (4 + 2) * alarm_metric)
        if env == "prod":
            h.add("prod/search", "CloudWatch alarms", 4 * alarm_metric)
    check("deployments", h)


def test_release_by_hand() -> None:
    # The release command's one-off tasks run minutes per deploy: not a monthly line.
    h = Hand()
    h.artifacts(["us-east-1"], repositories=1)
    h.load_balancer("test", "us-east-1")
    h.service("test/web", "us-east-1", 0.25, 0.5, (1, 1))
    h.add("prod", "NAT gateway", H * NAT["us-east-1"])  # nat: single
    h.add("prod", "NAT gateway data", NAT_GB * NAT["us-east-1"])
    h.add("prod", "public IPv4 (Elastic IP)", H * IPV4)
    h.load_balancer("prod", "us-east-1")
    h.service("prod/web", "us-east-1", 0.25, 0.5, (2, 2), public=False)  # count 2, placement: private
    check("release", h)


def test_every_example_is_checked_by_hand() -> None:
    names = {p.parent.name for p in EXAMPLES.glob("*/ecsp.yaml")}
    checked = {n.removeprefix("test_").removesuffix("_by_hand") for n in globals() if n.endswith("_by_hand")}
    assert names <= checked


# -- the price table -------------------------------------------------------------------------------

def test_price_table_is_dated_sourced_and_covers_the_regions() -> None:
    table = pricing.load()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.date)
    assert table.file.endswith(f"prices-{table.date}.json")
    assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(table.regions)
    for meter in table.meters.values():
        assert meter.source.startswith("https://aws.amazon.com/"), meter.key
        assert set(meter.regions) <= set(table.regions), meter.key
        assert all(p > 0 for p in meter.regions.values()), meter.key
    for key in ("fargate-vcpu-hour", "alb-hour", "nat-hour", "public-ipv4-hour", "logs-ingest-gb", "efs-gb-month"):
        assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(table.meter(key).regions), key


def test_the_date_is_in_every_view(capsys: Any) -> None:
    project, plan = example("hello")
    report = cost.estimate_plan(project.config, plan)
    date = pricing.load().date
    assert report.to_json()["price_date"] == date
    assert date in report._repr_html_()
    assert date in report.total_line()
    assert main(["cost", "-f", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert date in out and "assumptions (override with --assume NAME=VALUE):" in out
    assert "nat_gb = 10 GB" in out and "$43.94" in out
    assert main(["plan", "-f", str(project.path)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert f"estimated monthly cost: $43.94 (AWS list prices of {date}; `ecsp cost` shows how)" in printed


# -- bad input -------------------------------------------------------------------------------------

UNPRICED_REGION = """\
project: {name: far, region: us-east-1}
environments:
  test: {region: ap-south-1}
  prod: {region: us-east-1}
applications:
  web: {image: {location: nginx}, port: 80}
"""


def test_an_unknown_region_is_said_and_the_rest_estimated(tmp_path: Path, capsys: Any) -> None:
    cfg = harness.config(UNPRICED_REGION)
    project = cost_project(tmp_path, UNPRICED_REGION)
    report = project.cost()
    assert cfg.environments["test"].region == "ap-south-1"
    assert any("region ap-south-1 is not in the price table" in p for p in report.problems)
    # prod and the project's us-east-1 resources are still estimated; test's and ap-south-1's are not
    assert {line.group for line in report.lines} == {"project", "prod", "prod/web"}
    assert {line.region for line in report.lines} == {"us-east-1"}
    assert report.total[0] > 0
    assert main(["cost", "-f", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert "warning: region ap-south-1 is not in the price table" in out


def cost_project(tmp_path: Path, text: str) -> Any:
    from ecsp import api

    path = tmp_path / "ecsp.yaml"
    path.write_text(text)
    return api.load(path)


def test_assumptions_are_overridden_by_name_and_checked(capsys: Any) -> None:
    project, plan = example("multi")
    base = cost.estimate_plan(project.config, plan)
    more = cost.estimate_plan(project.config, plan, {"nat_gb": 110})
    # test: one gateway at $0.045/GB, prod: two at $0.048/GB; 100 GB more through each
    assert more.total[0] - base.total[0] == pytest.approx(100 * 0.045 + 2 * 100 * 0.048)
    assert ("nat_gb", 110.0, "GB", "data through each NAT gateway") in more.assumptions
    with pytest.raises(UsageError, match="no cost assumption named 'nat'"):
        cost.estimate_plan(project.config, plan, {"nat": 1})
    with pytest.raises(UsageError, match="cannot be negative"):
        cost.estimate_plan(project.config, plan, {"nat_gb": -1})
    assert main(["cost", "-f", str(project.path), "--assume", "nat_gb"]) == 2
    assert "is not NAME=NUMBER" in capsys.readouterr().err


def test_targets_narrow_the_estimate() -> None:
    project, _ = example("multi")
    report = project.cost(env="prod", app="api")
    assert {line.group for line in report.lines} == {"prod/api"}
    # The environment's Container Insights setting still counts for the application's service.
    assert any(line.item == "Container Insights metrics" for line in report.lines)


# -- --diff ----------------------------------------------------------------------------------------

def test_diff_shows_what_a_change_costs(tmp_path: Path, capsys: Any) -> None:
    text = (EXAMPLES / "multi" / "ecsp.yaml").read_text()
    before = tmp_path / "before.yaml"
    after = tmp_path / "after.yaml"
    before.write_text(text)
    after.write_text(text.replace("nat: per-az", "nat: single"))
    shutil.copytree(EXAMPLES / "multi" / "worker-ui", tmp_path / "worker-ui")
    assert main(["cost", "-f", str(after), "--diff", str(before), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    # one NAT gateway (and its address) fewer in prod, eu-west-1: 730 h x ($0.048 + $0.005) + 10 GB x $0.048
    assert document["delta"]["min"] == pytest.approx(-(730 * (0.048 + 0.005) + 10 * 0.048), abs=0.01)
    changed = {(c["where"], c["item"]) for c in document["changes"]}
    assert changed == {("prod", "NAT gateway"), ("prod", "NAT gateway data"), ("prod", "public IPv4 (Elastic IP)")}
    assert document["price_date"] == pricing.load().date
    assert main(["cost", "-f", str(after), "--diff", str(before)]) == 0
    out = capsys.readouterr().out
    assert "-$39.17" in out and "NAT gateway" in out


# -- storage, costed the moment a program creates it -----------------------------------------------

def synthetic(region: str, *resources: PlannedResource) -> Plan:
    spec = StackSpec("environment", "shop", "test")
    return Plan("shop", [PlannedStack(spec, [*resources])])


def res(type_: str, name: str, inputs: dict[str, Any], region: str, *handles: str) -> PlannedResource:
    return PlannedResource(type_, name, None, inputs, region, handles or (f"{name}-id",))


def test_storage_types_by_hand() -> None:
    r = "us-east-1"
    plan = synthetic(r,
                     res("aws:rds/cluster:Cluster", "db", {
                         "engine": "aurora-postgresql", "manageMasterUserPassword": True,
                         "serverlessv2ScalingConfiguration": {"minCapacity": 0.5, "maxCapacity": 4}}, r, "db-id"),
                     res("aws:rds/clusterInstance:ClusterInstance", "db-1",
                         {"clusterIdentifier": "db-id", "instanceClass": "db.serverless"}, r),
                     res("aws:rds/instance:Instance", "legacy", {
                         "instanceClass": "db.t4g.micro", "allocatedStorage": 20, "multiAz": True}, r),
                     res("aws:elasticache/serverlessCache:ServerlessCache", "cache", {"engine": "valkey"}, r),
                     res("aws:dynamodb/table:Table", "orders", {"billingMode": "PAY_PER_REQUEST"}, r),
                     res("aws:s3/bucketV2:BucketV2", "uploads", {}, r))
    report = cost.estimate(plan, region_of={})
    got = {line.item: line.monthly for line in report.lines}
    # https://aws.amazon.com/rds/aurora/pricing/: $0.12 per ACU-hour, $0.10 per GB-month, $0.20 per million I/O
    assert got["Aurora Serverless v2"] == (pytest.approx(0.5 * 730 * 0.12), pytest.approx(4 * 730 * 0.12))
    assert got["Aurora storage"] == (pytest.approx(10 * 0.10),) * 2  # database_gb: 10
    assert got["Aurora I/O"] == (pytest.approx(1 * 0.20),) * 2
    # https://aws.amazon.com/secrets-manager/pricing/: $0.40 per secret-month (the master password RDS manages)
    assert got["master password secret"] == (pytest.approx(0.40),) * 2
    # https://aws.amazon.com/rds/postgresql/pricing/: db.t4g.micro $0.016/h, gp storage $0.115/GB-month; Multi-AZ x2
    assert got["RDS db.t4g.micro"] == (pytest.approx(2 * 730 * 0.016),) * 2
    assert got["RDS storage"] == (pytest.approx(2 * 20 * 0.115),) * 2
    # https://aws.amazon.com/elasticache/pricing/: Valkey Serverless $0.084/GB-hour, $0.0023 per million ECPUs
    assert got["ElastiCache Serverless (valkey) data"] == (pytest.approx(1 * 730 * 0.084),) * 2
    assert got["ElastiCache Serverless (valkey) ECPUs"] == (pytest.approx(10 * 0.0023),) * 2
    # https://aws.amazon.com/dynamodb/pricing/on-demand/: $0.625/M writes, $0.125/M reads, $0.25/GB-month
    assert got["DynamoDB writes"] == (pytest.approx(0.625),) * 2
    assert got["DynamoDB reads"] == (pytest.approx(0.125),) * 2
    assert got["DynamoDB storage"] == (pytest.approx(0.25),) * 2
    assert got["S3 storage"] == (pytest.approx(0.023),) * 2
    assert report.problems == ()


def test_a_price_the_table_lacks_is_said_and_the_rest_estimated() -> None:
    r = "eu-west-1"  # the table has no RDS instance prices for eu-west-1
    plan = synthetic(r, res("aws:rds/instance:Instance", "legacy", {"instanceClass": "db.t4g.micro",
                                                                     "allocatedStorage": 20}, r),
                     res("aws:kms/key:Key", "key", {}, r))
    report = cost.estimate(plan, region_of={})
    assert any("no price for rds-hour:db.t4g.micro in eu-west-1" in p for p in report.problems)
    assert report.total == (pytest.approx(1.0), pytest.approx(1.0))  # the key is still estimated
    assert "no price" in [row[4] for row in report.rows()]


def test_every_meter_the_examples_use_has_a_price() -> None:
    table = pricing.load()
    for name in ("hello", "kinds", "multi", "sidecars", "imported"):
        project, plan = example(name)
        for line in cost.estimate_plan(project.config, plan).lines:
            assert table.price(line.meter, line.region) is not None, (name, line.meter, line.region)
    assert planned.SERVICE in METERS and "aws:ec2/natGateway:NatGateway" in METERS


# -- schedules -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "runs"), [
    ("rate(1 hour)", 730),
    ("rate(30 minutes)", 1460),
    ("rate(1 day)", 365 / 12),
    ("cron(0 3 * * ? *)", 365 / 12),
    ("cron(0/15 * * * ? *)", 4 * 24 * 365 / 12),
    ("cron(0 9 ? * MON-FRI *)", 365 / 12 * 5 / 7),
    ("cron(0 0 1 * ? *)", 1),
    ("cron(0 8,20 1,15 JAN,JUL ? *)", 2 * 2 * 2 / 12),
    (None, 0),
    ("at(2030-01-01T00:00:00)", 0),
])
def test_runs_per_month(expression: str | None, runs: float) -> None:
    assert planned.runs_per_month(expression) == pytest.approx(runs)


# -- the README's section --------------------------------------------------------------------------

def test_readme_commands_and_example_output(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    from tests.cli.test_readme import README, bash_blocks

    root = ROOT
    shutil.copytree(root / "examples", tmp_path / "examples")
    multi = (tmp_path / "examples" / "multi" / "ecsp.yaml").read_text()
    (tmp_path / "examples" / "multi" / "main.yaml").write_text(multi.replace("nat: per-az", "nat: single"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    commands = bash_blocks("Diagrams and cost")[0]
    assert len(commands) == 6
    for command in commands:
        argv = command.split()
        assert argv[0] == "ecsp"
        argv = [a.replace("main.yaml", "examples/multi/main.yaml") for a in argv[1:]]
        if argv[0] == "diagram" and "mermaid" not in argv and shutil.which("dot") is None and not os.environ.get("CI"):
            continue  # SVG and PNG need Graphviz's dot, which CI installs (.ci/install-graphviz.sh)
        assert main(argv) == 0, command
        out = capsys.readouterr().out
        if argv[0] == "cost" and "--json" in argv:
            assert json.loads(out)["price_date"] == pricing.load().date
    assert (tmp_path / "shop.png").exists() or shutil.which("dot") is None
    # The example output in the README is what `ecsp cost -f examples/hello/ecsp.yaml` prints at 100 columns.
    shown = README.read_text().split("$ ecsp cost -f examples/hello/ecsp.yaml\n", 1)[1].split("  ... (every", 1)[0]
    assert main(["cost", "-f", "examples/hello/ecsp.yaml"]) == 0
    printed = "\n".join(line.rstrip() for line in capsys.readouterr().out.splitlines()) + "\n"
    assert printed.startswith(shown)


def test_pipeline_stacks_are_in_the_estimate_and_what_is_left_out_is_said(tmp_path: Path) -> None:
    from tests.check.test_diagram import PIPELINE

    report = cost_project(tmp_path, PIPELINE).cost()
    pipeline_lines = [line for line in report.lines if line.kind == "pipeline"]
    # one CodeBuild log group per stage, at the log_gb assumption; the executions themselves are not priced
    assert [line.item for line in pipeline_lines] == ["log ingestion", "log ingestion"]
    assert {line.group for line in pipeline_lines} == {"shop-pipeline/release"}
    assert any(note.startswith("CodePipeline V2") for note in report.not_estimated)
    assert "CodePipeline V2" in "\n".join(t.plain for t in report.notes())
