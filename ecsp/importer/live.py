"""What a live Copilot application holds in CloudFormation (boto3, read only).

Copilot tags every stack it deploys with ``copilot-application`` (and ``copilot-environment``,
``copilot-service``, ``copilot-pipeline``, ``copilot-task``); an addon stack is nested in its
workload's or environment's stack and carries the same tags. From the stacks the importer
learns what it cannot read in the manifests: each environment's VPC, subnets, load balancer,
certificates and hosted zone (the environment stack's outputs, aws/copilot-cli
internal/pkg/template/templates/environment/cf.yml), and the data the addons hold (their
resources, outputs and exports). The runbook reads the same stacks for the retirement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ecsp.errors import AwsError

APPLICATION_TAG = "copilot-application"
ENVIRONMENT_TAG = "copilot-environment"
SERVICE_TAG = "copilot-service"
PIPELINE_TAG = "copilot-pipeline"
TASK_TAG = "copilot-task"
# What lives on after its stack is gone, if the stack lets it (and what ecsp may link to).
DATA_TYPES = {
    "AWS::DynamoDB::Table": "table", "AWS::S3::Bucket": "bucket", "AWS::RDS::DBCluster": "database",
    "AWS::RDS::DBInstance": "database instance", "AWS::EFS::FileSystem": "file system",
    "AWS::ElastiCache::ReplicationGroup": "cache", "AWS::ElastiCache::CacheCluster": "cache",
    "AWS::ElastiCache::ServerlessCache": "cache", "AWS::SecretsManager::Secret": "secret",
    "AWS::OpenSearchService::Domain": "search domain",
}  # fmt: skip


@dataclass(frozen=True)
class Resource:
    """One resource of a stack: its logical id, type and physical id."""

    logical: str
    type: str
    physical: str


@dataclass
class Stack:
    """One of Copilot's CloudFormation stacks as it is in AWS."""

    name: str
    id: str
    region: str
    status: str
    tags: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)  # export name -> value
    parameters: dict[str, str] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    parent: str | None = None  # the stack id of the stack it is nested in

    @property
    def environment(self) -> str | None:
        return self.tags.get(ENVIRONMENT_TAG)

    @property
    def service(self) -> str | None:
        return self.tags.get(SERVICE_TAG)

    @property
    def kind(self) -> str:
        """``addons``, ``workload``, ``environment``, ``pipeline``, ``task`` or ``application``."""
        if self.parent:
            return "addons"
        if self.tags.get(PIPELINE_TAG):
            return "pipeline"
        if self.tags.get(TASK_TAG):
            return "task"
        if self.service:
            return "workload"
        if self.environment:
            return "environment"
        return "application"

    def data(self) -> list[Resource]:
        """The resources that hold data."""
        return [r for r in self.resources if r.type in DATA_TYPES]

    def list_output(self, key: str) -> list[str]:
        """A comma-joined output (subnets) as a list."""
        return [v.strip() for v in self.outputs.get(key, "").split(",") if v.strip()]


@dataclass(frozen=True)
class LoadBalancer:
    """An environment's public load balancer, and the certificates on its HTTPS listener."""

    dns_name: str
    zone_id: str  # the load balancer's canonical hosted zone (for alias records)
    certificates: tuple[str, ...] = ()


@dataclass
class LiveApp:
    """Every stack of one Copilot application, in the regions read."""

    name: str
    stacks: list[Stack] = field(default_factory=list)
    load_balancers: dict[str, LoadBalancer] = field(default_factory=dict)  # environment -> its ALB

    def environment(self, env: str) -> Stack | None:
        return next((s for s in self.stacks if s.kind == "environment" and s.environment == env), None)

    def workload(self, env: str, service: str) -> Stack | None:
        return next((s for s in self.stacks if s.kind == "workload" and s.environment == env
                     and s.service == service), None)

    def nested(self, parent: Stack) -> list[Stack]:
        """The addon stacks nested in ``parent``."""
        return [s for s in self.stacks if s.parent == parent.id]

    def exports(self, region: str) -> dict[str, str]:
        """Every export of the application's stacks in ``region`` (name -> value)."""
        return {name: value for s in self.stacks if s.region == region for name, value in s.exports.items()}


def read_stacks(app: str, regions: Mapping[str, str | None], *, endpoint_url: str | None = None) -> LiveApp:
    """Every stack tagged ``copilot-application=app`` in ``regions`` (region -> AWS profile or None)."""
    import boto3  # type: ignore[import-untyped]
    import botocore.exceptions  # type: ignore[import-untyped]

    live = LiveApp(app)
    for region, profile in sorted(regions.items()):
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
            cfn = session.client("cloudformation", endpoint_url=endpoint_url)
            seen: set[str] = set()
            for page in cfn.get_paginator("describe_stacks").paginate():
                for summary in page["Stacks"]:
                    tags = {t["Key"]: t["Value"] for t in summary.get("Tags", [])}
                    if (tags.get(APPLICATION_TAG) != app or summary["StackStatus"] == "DELETE_COMPLETE"
                            or summary.get("ParentId") or summary["StackId"] in seen):
                        continue
                    stack = _stack(cfn, summary, region, tags)
                    live.stacks.append(stack)
                    seen.add(stack.id)
                    # Addon stacks: found through their parent (whose tags they carry in AWS).
                    for resource in stack.resources:
                        if resource.type == "AWS::CloudFormation::Stack" and resource.physical not in seen:
                            nested = cfn.describe_stacks(StackName=resource.physical)["Stacks"][0]
                            live.stacks.append(_stack(cfn, nested, region, tags, parent=stack.id))
                            seen.add(nested["StackId"])
            elbv2 = session.client("elbv2", endpoint_url=endpoint_url)
            for stack in [s for s in live.stacks if s.region == region and s.kind == "environment"]:
                balancer = _load_balancer(elbv2, stack)
                if balancer is not None and stack.environment:
                    live.load_balancers[stack.environment] = balancer
        except botocore.exceptions.NoCredentialsError:
            raise AwsError(f"no AWS credentials to read Copilot's stacks in {region}",
                           fix="set AWS_PROFILE or pass --env NAME=REGION:ACCOUNT:PROFILE") from None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise AwsError(f"cannot read Copilot's CloudFormation stacks in {region}: {e}",
                           fix="check the credentials (cloudformation:DescribeStacks, ListStackResources, "
                           "elasticloadbalancing:DescribeListenerCertificates)") from None
    return live


def _stack(cfn: Any, summary: Mapping[str, Any], region: str, tags: dict[str, str],
           parent: str | None = None) -> Stack:
    outputs, exports = {}, {}
    for output in summary.get("Outputs", []):
        outputs[output["OutputKey"]] = output.get("OutputValue", "")
        if output.get("ExportName"):
            exports[output["ExportName"]] = output.get("OutputValue", "")
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in summary.get("Parameters", [])}
    resources = [Resource(r["LogicalResourceId"], r["ResourceType"], r.get("PhysicalResourceId", ""))
                 for page in cfn.get_paginator("list_stack_resources").paginate(StackName=summary["StackId"])
                 for r in page["StackResourceSummaries"]]
    return Stack(summary["StackName"], summary["StackId"], region, summary["StackStatus"], tags, outputs, exports,
                 parameters, resources, parent or summary.get("ParentId"))


def _load_balancer(elbv2: Any, env: Stack) -> LoadBalancer | None:
    dns = env.outputs.get("PublicLoadBalancerDNSName")
    if not dns:
        return None
    certificates: list[str] = []
    listener = env.outputs.get("HTTPSListenerArn")
    if listener:
        found = elbv2.describe_listener_certificates(ListenerArn=listener).get("Certificates", [])
        # The default certificate first: it is what ecsp's listener should present too.
        certificates = [c["CertificateArn"] for c in sorted(found, key=lambda c: not c.get("IsDefault"))]
    return LoadBalancer(dns, env.outputs.get("PublicLoadBalancerHostedZone", ""), tuple(dict.fromkeys(certificates)))


def regions_of(environments: Iterable[tuple[str | None, str | None]]) -> dict[str, str | None]:
    """Region -> profile of the environments (the first profile given for a region wins)."""
    out: dict[str, str | None] = {}
    for region, profile in environments:
        if region and (region not in out or out[region] is None):
            out[region] = profile
    return out
