"""Run a Pulumi program in-process under Pulumi's own mocks and record its resource graph.

Used by ``ecsp plan`` (no account, no credentials, no pulumi CLI) and by the tests.
The mocks answer like AWS would, deterministically: ids and ARNs are derived from the
resource's type and name, invokes such as ``aws.get_availability_zones`` return the
region's real zone names, and ``pulumi.StackReference`` reads return the outputs that
an upstream program produced under the same mocks.

The mock runtime is process-global and not thread-safe: run one program at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
import pulumi.runtime.mocks as pulumi_mocks
import pulumi.runtime.resource as pulumi_resource
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

T = TypeVar("T")

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

# Real zone names of common regions; others get <region>a/b/c.
_ZONES: dict[str, tuple[str, ...]] = {
    "us-east-1": ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"),
    "us-east-2": ("us-east-2a", "us-east-2b", "us-east-2c"),
    "us-west-1": ("us-west-1b", "us-west-1c"),
    "us-west-2": ("us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"),
    "eu-west-1": ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
    "eu-central-1": ("eu-central-1a", "eu-central-1b", "eu-central-1c"),
    "ap-northeast-1": ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"),
}
# Canonical hosted zone ids of Application Load Balancers per region.
ALB_ZONE_IDS: dict[str, str] = {
    "us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2", "eu-central-1": "Z215JYRZR1TBD5",
    "ap-northeast-1": "Z14GRHDCWA56QT",
}  # fmt: skip


def zones(region: str) -> tuple[str, ...]:
    return _ZONES.get(region, tuple(f"{region}{s}" for s in "abc"))


def _hex(*parts: str, n: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


@dataclass
class Node:
    """One registered resource (or StackReference read)."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str | None
    urn: str
    custom: bool
    provider: str
    read: bool = False
    depends_on: tuple[str, ...] = ()
    ignore_changes: tuple[str, ...] = ()
    retain_on_delete: bool = False
    # The AWS region its provider places it in, and the id, ARN and name the mocks answered with:
    # what other resources' inputs carry when they refer to it (a diagram's links follow them).
    region: str | None = None
    handles: tuple[str, ...] = ()


@dataclass
class Recording:
    """The resources a program registered and the stack outputs it exported."""

    nodes: list[Node] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Node]:
        return [n for n in self.nodes if n.type == type_]

    def one(self, type_: str, name: str | None = None) -> Node:
        found = [n for n in self.nodes if n.type == type_ and (name is None or n.name == name)]
        if len(found) != 1:
            raise AssertionError(f"expected one {type_} {name or ''}, found {[n.name for n in found]}")
        return found[0]

    def by_urn(self, urn: str) -> Node:
        for n in self.nodes:
            if n.urn == urn:
                return n
        raise KeyError(urn)


class AwsMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes like AWS, deterministically."""

    def __init__(
        self,
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
        absent: frozenset[str] = frozenset(),
    ) -> None:
        self.account = account
        # EC2 ids the account does not have: lookups of imported VPCs and subnets miss them (tests).
        self.absent = absent
        self.region = region
        self.stack_outputs = dict(stack_outputs or {})
        self.provider_regions: dict[str, str] = {}
        self.provider_accounts: dict[str, str] = {}
        self.calls: list[MockCallArgs] = []
        self.subnet_zones: dict[str, str] = {}

    # -- helpers -------------------------------------------------------------

    def _where(self, provider: str | None) -> tuple[str, str]:
        """Region and account of the explicit provider a resource uses (``urn::id``)."""
        urn = provider.rsplit("::", 1)[0] if provider else ""
        return self.provider_regions.get(urn, self.region), self.provider_accounts.get(urn, self.account)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            name = args.inputs.get("name") or args.name
            outputs = self.stack_outputs.get(name, {})
            return name, {**args.inputs, "outputs": dict(outputs)}
        if args.typ == "pulumi:providers:aws":
            region = args.inputs.get("region") or self.region
            return f"{args.name}-provider", {**args.inputs, "region": region}
        region, account = self._where(args.provider)
        state = fake_state(args.typ, args.name, dict(args.inputs), region, account)
        return state.pop("id"), state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.calls.append(args)
        return self._answer(args), []

    def _answer(self, args: MockCallArgs) -> dict[str, Any]:
        region, account = self._where(args.provider)
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = list(zones(region))
            return {"names": names, "zoneIds": [f"{region[:3]}{region[-1]}-az{i + 1}" for i in range(len(names))],
                    "id": region}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:user/ecsp", "userId": "AIDAECSP"}
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if token == "aws:route53/getZone:getZone":
            name = str(args.args.get("name", "example.com")).rstrip(".")
            return {"zoneId": "Z" + _hex("zone", name, n=13).upper(), "name": name, "id": name,
                    "nameServers": [f"ns-{i}.awsdns-00.net" for i in range(4)]}
        if token in ("aws:ec2/getVpcs:getVpcs", "aws:ec2/getSubnets:getSubnets"):
            # Like EC2 with filters: the ids asked for that exist (and, for subnets, are in the VPC).
            wanted = {f["name"]: list(f["values"]) for f in args.args.get("filters") or []}
            key = "vpc-id" if token.endswith("getVpcs") else "subnet-id"
            if any(v in self.absent for v in wanted.get("vpc-id", [])):
                return {"ids": [], "id": region}
            return {"ids": [i for i in wanted.get(key, []) if i not in self.absent], "id": region}
        if token == "aws:ec2/getSubnet:getSubnet":
            subnet = str(args.args.get("id"))
            # Offline there is no telling which zone a subnet is in: hand the region's zones out in
            # turn, so subnets looked up one after the other are in different zones (as a plan of a
            # well-formed VPC should show) whatever their ids.
            if subnet not in self.subnet_zones:
                in_region = zones(region)
                self.subnet_zones[subnet] = in_region[len(self.subnet_zones) % len(in_region)]
            return {"id": subnet, "availabilityZone": self.subnet_zones[subnet], "vpcId": "vpc-mock"}
        if token == "aws:iam/getPolicyDocument:getPolicyDocument":
            return {"json": json.dumps(args.args, sort_keys=True), "id": "policy"}
        if token == "aws:cloudformation/getExport:getExport":
            name = str(args.args.get("name", ""))
            return {"name": name, "value": export_value(name, region, account), "id": name}
        if token == "aws:secretsmanager/getRandomPassword:getRandomPassword":
            # Stable and obviously fake, as everything here; real runs get Secrets Manager's.
            return {"randomPassword": "mock" + _hex("password", n=12), "id": "password"}
        if token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
            host = str(args.args.get("url") or "").removeprefix("https://")
            arn = f"arn:aws:iam::{account}:oidc-provider/{host}"
            return {"arn": arn, "id": arn, "url": host, "clientIdLists": ["sts.amazonaws.com"], "thumbprintLists": [],
                    "tags": {}}
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            registry = str(args.args.get("registryId") or account)
            return {"userName": "AWS", "password": "mock-ecr-password", "authorizationToken": "QVdTOm1vY2s=",
                    "proxyEndpoint": f"https://{registry}.dkr.ecr.{region}.amazonaws.com",
                    "expiresAt": "2030-01-01T00:00:00Z", "id": region}
        return {}


def export_value(name: str, region: str, account: str) -> str:
    """A value shaped like what an export of this name holds, by Copilot's naming of its outputs."""
    if name.endswith("SecurityGroup"):
        return f"sg-{_hex('export', name)}"
    if name.endswith(("Secret", "AuroraSecret")):
        return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-{_hex('export', name, n=6)}"
    if name.endswith(("Arn", "ARN")):
        return f"arn:aws:mock:{region}:{account}:{name}"
    if name.endswith("PolicyArn") or name.endswith("Policy"):
        return f"arn:aws:iam::{account}:policy/{name}"
    return name.removesuffix("Name").rsplit("-", 1)[-1].lower() + f"-{_hex('export', name, n=7)}"


def _addon_outputs(body: str, region: str, account: str, stack: str) -> dict[str, str]:
    """What a CloudFormation stack of this template would output, by the type of what each output refers to."""
    try:
        template = json.loads(body)
    except ValueError:
        return {}
    types = {k: v.get("Type") for k, v in (template.get("Resources") or {}).items() if isinstance(v, dict)}
    out = {}
    for output, spec in (template.get("Outputs") or {}).items():
        value = spec.get("Value") if isinstance(spec, dict) else None
        ref = value.get("Ref") if isinstance(value, dict) else None
        kind = types.get(ref) if isinstance(ref, str) else None
        if kind == "AWS::EC2::SecurityGroup":
            out[output] = f"sg-{_hex(stack, output)}"
        elif kind == "AWS::SecretsManager::Secret":
            out[output] = f"arn:aws:secretsmanager:{region}:{account}:secret:{ref}-{_hex(stack, output, n=6)}"
        elif kind == "AWS::IAM::ManagedPolicy":
            out[output] = f"arn:aws:iam::{account}:policy/{stack}-{ref}-{_hex(stack, output, n=6).upper()}"
        else:
            out[output] = f"{stack}-{output}-{_hex(stack, output, n=6)}".lower()
    return out


def fake_state(type_: str, name: str, inputs: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """What AWS would report for a new resource: inputs plus computed ids, ARNs and names."""
    module = type_.split(":")[1].split("/")[0] if ":" in type_ else "x"
    short = type_.rsplit(":", 1)[-1]
    suffix = _hex(type_, name, n=7)
    physical = inputs.get("name") or f"{name}-{suffix}"
    rid = f"{short.lower()}-{_hex(type_, name)}"
    arn = f"arn:aws:{module}:{region}:{account}:{short.lower()}/{physical}"
    state: dict[str, Any] = {**inputs, "id": rid, "arn": arn, "name": physical}
    extra: dict[str, Any] = {}
    if type_ == "aws:ec2/vpc:Vpc":
        state["id"] = f"vpc-{_hex(name)}"
    elif type_ == "aws:ec2/subnet:Subnet":
        state["id"] = f"subnet-{_hex(name)}"
    elif type_ == "aws:ec2/securityGroup:SecurityGroup":
        state["id"] = f"sg-{_hex(name)}"
    elif type_ == "aws:lb/loadBalancer:LoadBalancer":
        state["arn"] = f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{physical}/{_hex(name, n=16)}"
        state["id"] = state["arn"]
        extra = {"dnsName": f"{physical}-{int(_hex(name, n=8), 16) % 10**10}.{region}.elb.amazonaws.com",
                 "zoneId": ALB_ZONE_IDS.get(region, "Z00000000ALB")}
    elif type_ == "aws:lb/targetGroup:TargetGroup":
        state["arn"] = f"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{physical}/{_hex(name, n=16)}"
        state["id"] = state["arn"]
        extra = {"arnSuffix": f"targetgroup/{physical}/{_hex(name, n=16)}"}
    elif type_ in ("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule"):
        kind = "listener" if short == "Listener" else "listener-rule"
        state["arn"] = f"arn:aws:elasticloadbalancing:{region}:{account}:{kind}/app/{name}/{_hex(name, n=16)}"
        state["id"] = state["arn"]
    elif type_ == "aws:ecs/cluster:Cluster":
        state["arn"] = f"arn:aws:ecs:{region}:{account}:cluster/{physical}"
        state["id"] = state["arn"]
    elif type_ == "aws:ecs/service:Service":
        state["arn"] = f"arn:aws:ecs:{region}:{account}:service/{physical}"
        state["id"] = state["arn"]
    elif type_ == "aws:ecs/taskDefinition:TaskDefinition":
        family = inputs.get("family", name)
        state["arn"] = f"arn:aws:ecs:{region}:{account}:task-definition/{family}:1"
        extra = {"revision": 1, "arnWithoutRevision": f"arn:aws:ecs:{region}:{account}:task-definition/{family}"}
    elif type_ in ("aws:efs/fileSystem:FileSystem", "aws:efs/accessPoint:AccessPoint"):
        # EFS's own id formats and ARNs (service elasticfilesystem), so policies read as they would.
        prefix, kind = ("fs", "file-system") if short == "FileSystem" else ("fsap", "access-point")
        state["id"] = f"{prefix}-{_hex(name)}"
        state["arn"] = f"arn:aws:elasticfilesystem:{region}:{account}:{kind}/{state['id']}"
    elif type_ == "aws:ecr/repository:Repository":
        state["arn"] = f"arn:aws:ecr:{region}:{account}:repository/{physical}"
        extra = {"repositoryUrl": f"{account}.dkr.ecr.{region}.amazonaws.com/{physical}", "registryId": account}
    elif type_ == "aws:kms/key:Key":
        key_id = f"{_hex(name, n=8)}-{_hex(name, 'k', n=4)}-{_hex(name, 'e', n=4)}-{_hex(name, 'y', n=4)}-" \
                 f"{_hex(name, 'id', n=12)}"
        state["id"] = key_id
        state["arn"] = f"arn:aws:kms:{region}:{account}:key/{key_id}"
        extra = {"keyId": key_id}
    elif type_ == "aws:s3/bucket:Bucket" or type_ == "aws:s3/bucketV2:BucketV2":
        bucket = inputs.get("bucket") or f"{name}-{suffix}"
        state["id"] = bucket
        state["arn"] = f"arn:aws:s3:::{bucket}"
        extra = {"bucket": bucket, "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com"}
    elif type_ == "aws:iam/role:Role":
        state["arn"] = f"arn:aws:iam::{account}:role{inputs.get('path') or '/'}{physical}"
        state["id"] = physical
    elif type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        state["arn"] = f"arn:aws:iam::{account}:oidc-provider/{str(inputs.get('url', '')).removeprefix('https://')}"
        state["id"] = state["arn"]
    elif type_ == "aws:iam/policy:Policy":
        state["arn"] = f"arn:aws:iam::{account}:policy{inputs.get('path') or '/'}{physical}"
    elif type_ == "aws:cloudwatch/logGroup:LogGroup":
        state["arn"] = f"arn:aws:logs:{region}:{account}:log-group:{physical}"
        state["id"] = physical
    elif type_ == "aws:route53/zone:Zone":
        zone_id = "Z" + _hex("zone", str(inputs.get("name", name)), n=13).upper()
        state["id"] = zone_id
        extra = {"zoneId": zone_id, "nameServers": [f"ns-{i}.awsdns-{i:02d}.org" for i in range(4)]}
    elif type_ == "aws:acm/certificate:Certificate":
        state["arn"] = f"arn:aws:acm:{region}:{account}:certificate/{_hex(name, n=8)}"
        domains = [inputs.get("domainName", "example.com"), *inputs.get("subjectAlternativeNames", [])]
        extra = {"domainValidationOptions": [
            # ACM validates a name and its wildcard with the same record, as here.
            {"domainName": d, "resourceRecordName": f"_{_hex(d.removeprefix('*.'), n=10)}.{d.removeprefix('*.')}.",
             "resourceRecordType": "CNAME",
             "resourceRecordValue": f"_{_hex(d.removeprefix('*.'), 'v', n=10)}.acm-validations.aws."}
            for d in domains]}
    elif type_ == "aws:route53/record:Record":
        extra = {"fqdn": str(inputs.get("name", name)).rstrip(".")}
    elif type_ == "aws:ec2/eip:Eip":
        state["id"] = f"eipalloc-{_hex(name)}"
        extra = {"publicIp": f"203.0.113.{int(_hex(name, n=2), 16) % 250 + 1}", "allocationId": state["id"]}
    elif type_ == "aws:ec2/natGateway:NatGateway":
        state["id"] = f"nat-{_hex(name)}"
    elif type_ == "aws:ec2/internetGateway:InternetGateway":
        state["id"] = f"igw-{_hex(name)}"
    elif type_ == "aws:ec2/routeTable:RouteTable":
        state["id"] = f"rtb-{_hex(name)}"
    elif type_ == "aws:sns/topic:Topic":
        state["arn"] = state["id"] = f"arn:aws:sns:{region}:{account}:{physical}"
    elif type_ == "aws:sns/topicSubscription:TopicSubscription":
        state["arn"] = state["id"] = f"{inputs.get('topic', 'topic')}:{_hex(name, n=8)}-{_hex(name, 's', n=4)}"
    elif type_ == "aws:sqs/queue:Queue":
        url = f"https://sqs.{region}.amazonaws.com/{account}/{physical}"
        state["arn"] = f"arn:aws:sqs:{region}:{account}:{physical}"
        state["id"] = url
        extra = {"url": url}
    elif type_ == "aws:servicediscovery/httpNamespace:HttpNamespace":
        state["id"] = f"ns-{_hex(name, n=16)}"
        state["arn"] = f"arn:aws:servicediscovery:{region}:{account}:namespace/{state['id']}"
    elif type_ == "aws:sfn/stateMachine:StateMachine":
        state["arn"] = state["id"] = f"arn:aws:states:{region}:{account}:stateMachine:{physical}"
    elif type_ == "aws:scheduler/schedule:Schedule":
        state["arn"] = f"arn:aws:scheduler:{region}:{account}:schedule/default/{physical}"
        state["id"] = f"default/{physical}"
    elif type_ == "aws:codepipeline/pipeline:Pipeline":
        state["arn"] = f"arn:aws:codepipeline:{region}:{account}:{physical}"
        state["id"] = physical
    elif type_ == "aws:codebuild/project:Project":
        state["arn"] = f"arn:aws:codebuild:{region}:{account}:project/{physical}"
        state["id"] = state["arn"]
    elif type_ == "aws:codestarconnections/connection:Connection":
        connection = f"{_hex(name, n=8)}-{_hex(name, 'c', n=4)}-{_hex(name, 'o', n=4)}-{_hex(name, 'n', n=4)}-" \
                     f"{_hex(name, 'id', n=12)}"
        state["arn"] = f"arn:aws:codestar-connections:{region}:{account}:connection/{connection}"
        state["id"] = state["arn"]
        # Like AWS: a new connection waits for a person to complete the handshake with the git host.
        extra = {"connectionStatus": "PENDING"}
    elif type_ == "aws:cloudwatch/eventRule:EventRule":
        state["arn"] = f"arn:aws:events:{region}:{account}:rule/{physical}"
        state["id"] = physical
    elif type_ == "aws:appautoscaling/target:Target":
        extra = {"resourceId": inputs.get("resourceId", "")}
    elif type_ in ("aws:rds/cluster:Cluster", "aws:rds/instance:Instance"):
        cluster = short == "Cluster"
        ident = inputs.get("clusterIdentifier" if cluster else "identifier") or physical
        state["id"] = ident
        state["arn"] = f"arn:aws:rds:{region}:{account}:{'cluster' if cluster else 'db'}:{ident}"
        host = f"{ident}.{'cluster-' if cluster else ''}{_hex(account, region, n=12)}.{region}.rds.amazonaws.com"
        port = inputs.get("port") or (3306 if "mysql" in str(inputs.get("engine")) else 5432)
        secrets = [{"secretArn": f"arn:aws:secretsmanager:{region}:{account}:secret:rds!"
                                 f"{'cluster' if cluster else 'db'}-{_hex(ident, n=8)}-{_hex(ident, 's', n=6)}",
                    "secretStatus": "active", "kmsKeyId": ""}] if inputs.get("manageMasterUserPassword") else []
        extra = {"endpoint": host if cluster else f"{host}:{port}", "address": host, "port": port,
                 "masterUserSecrets": secrets, "clusterIdentifier": ident if cluster else None,
                 "identifier": ident, "readerEndpoint": host.replace(".cluster-", ".cluster-ro-")}
    elif type_ == "aws:rds/clusterInstance:ClusterInstance":
        ident = inputs.get("identifier") or physical
        state["id"] = ident
        state["arn"] = f"arn:aws:rds:{region}:{account}:db:{ident}"
        extra = {"endpoint": f"{ident}.{_hex(account, region, n=12)}.{region}.rds.amazonaws.com"}
    elif type_ in ("aws:rds/subnetGroup:SubnetGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
                   "aws:rds/parameterGroup:ParameterGroup"):
        state["id"] = physical
    elif type_ == "aws:elasticache/serverlessCache:ServerlessCache":
        state["id"] = physical
        state["arn"] = f"arn:aws:elasticache:{region}:{account}:serverlesscache:{physical}"
        short = "".join(p if i != 1 else p[0] for i, p in enumerate(region.split("-")))
        host = f"{physical}-{_hex(name, n=6)}.serverless.{short}.cache.amazonaws.com"
        extra = {"endpoints": [{"address": host, "port": 6379}], "readerEndpoints": [{"address": host, "port": 6380}]}
    elif type_ == "aws:dynamodb/table:Table":
        state["id"] = physical
        state["arn"] = f"arn:aws:dynamodb:{region}:{account}:table/{physical}"
        if inputs.get("streamEnabled"):
            extra = {"streamArn": f"{state['arn']}/stream/2030-01-01T00:00:00.000", "streamLabel": "2030-01-01"}
    elif type_ == "aws:secretsmanager/secret:Secret":
        secret = inputs.get("name") or f"{inputs.get('namePrefix') or name}{_hex(name, n=8)}"
        state["arn"] = state["id"] = f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}-{_hex(name, n=6)}"
        state["name"] = secret
    elif type_ == "aws:cloudformation/stack:Stack":
        state["id"] = f"arn:aws:cloudformation:{region}:{account}:stack/{physical}/{_hex(name, n=8)}"
        extra = {"outputs": _addon_outputs(str(inputs.get("templateBody") or "{}"), region, account, physical)}
    elif type_ == "docker-build:index:Image":
        # The digest follows what is built, so a different build yields a different ref (and task revision).
        built = json.dumps({k: inputs.get(k) for k in ("context", "dockerfile", "buildArgs", "platforms", "tags")},
                           sort_keys=True, default=str)
        digest = f"sha256:{_hex('image', built, n=64)}"
        tags = inputs.get("tags") or []
        extra = {"digest": digest, "ref": f"{tags[0]}@{digest}" if tags else None, "contextHash": _hex(built)}
    return {**state, **extra}


class RecordingMonitor(MockMonitor):
    """A mock monitor that also records every registration with its parent."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.aws = mocks
        self.recording = Recording()

    def RegisterResource(self, request: Any) -> Any:
        if self._stack_transforms and request.type != "pulumi:pulumi:Stack":
            self._transform(request)
        response = super().RegisterResource(request)
        if request.type == "pulumi:providers:aws":
            props = rpc.deserialize_properties(request.object)
            if props.get("region"):
                self.aws.provider_regions[response.urn] = str(props["region"])
            allowed = props.get("allowedAccountIds")
            if allowed:
                ids = json.loads(allowed) if isinstance(allowed, str) else allowed
                if ids:
                    self.aws.provider_accounts[response.urn] = str(ids[0])
        if request.type != "pulumi:pulumi:Stack":
            registered = self.resources.get(response.urn)
            state = registered.state if registered is not None else {}
            handles = tuple(dict.fromkeys(v for v in (response.id, state.get("arn"), state.get("name"))
                                          if isinstance(v, str) and v))
            self.recording.nodes.append(Node(
                type=request.type, name=request.name, inputs=_plain(rpc.deserialize_properties(request.object)),
                parent=request.parent or None, urn=response.urn, custom=request.custom,
                provider=request.provider, depends_on=tuple(request.dependencies),
                ignore_changes=tuple(request.ignoreChanges), retain_on_delete=bool(request.retainOnDelete),
                region=self.aws._where(request.provider)[0] if request.custom else None, handles=handles))
        return response

    def _transform(self, request: Any) -> None:
        """Run the stack transforms on the request's properties, as the engine would (the mock monitor does not).

        Only the properties: the mocks have no options to hand a transform, nor use for changed ones.
        """
        _ensure_event_loop()
        props = rpc.deserialize_properties(request.object)
        for transform in self._stack_transforms:
            result = transform(pulumi.ResourceTransformArgs(custom=bool(request.custom), type_=request.type,
                                                            name=request.name, props=props,
                                                            opts=pulumi.ResourceOptions()))
            if isinstance(result, Awaitable):
                result = _sync_await(result)
            if result is not None:
                props = dict(result.props)
        request.object.CopyFrom(_sync_await(rpc.serialize_properties(props, {})))

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self.recording.nodes.append(Node(
            type=request.type, name=request.name, inputs=_plain(rpc.deserialize_properties(request.properties)),
            parent=request.parent or None, urn=response.urn, custom=True, provider=request.provider, read=True))
        return response


def _plain(value: Any) -> Any:
    """Unwrap secrets and resource references into plain JSON-able values."""
    if rpc.is_rpc_secret(value):
        return {"secret": _plain(rpc.unwrap_rpc_secret(value))}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _InlineExecutor(ThreadPoolExecutor):
    """Runs executor jobs inline: resource references as inputs need it under mocks.

    A job is a monitor call (RegisterResource, Invoke...). It runs inside the task that
    submitted it, so it must not pump the event loop itself, or every registration would
    nest inside the previous one: see :func:`_sync_await_without_pumping`.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:
            future.set_exception(e)
        return future


def _sync_await_without_pumping(awaitable: Awaitable[T]) -> T:
    """The SDK's ``_sync_await``, minus the re-entrant loop pump when nothing has to be waited for.

    The mock monitor answers every registration with ``_sync_await(serialize_properties(state))``.
    With the inline executor the loop is already running, so the SDK pumps it from inside the
    job (``loop._run_once()``); the pump runs other tasks, whose registrations run inline and
    pump again: the stack grows with every resource until RecursionError (issue 15), and each
    pump also pads the ready queue with as many dummy handles as it found there. A mock's answer
    is plain data, so its serialisation finishes without ever suspending: drive the coroutine
    directly and return. Only when it really waits (an answer holding a resource object whose
    URN is not resolved yet) is the rest handed to the SDK's pump, as before.
    """
    loop = _ensure_event_loop()
    if not loop.is_running() or not asyncio.iscoroutine(awaitable):
        return _sync_await(awaitable)
    try:
        pending = awaitable.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    return _sync_await(_resume(awaitable, pending))


async def _resume(coroutine: Coroutine[Any, Any, T], pending: Any) -> T:
    """Finish a coroutine that was started by hand and suspended on ``pending``, as a Task would."""
    while True:
        if pending is None:  # a bare yield: asyncio.sleep(0)
            await asyncio.sleep(0)
        else:
            # A Task clears the flag before waiting on the future; awaiting it again requires that.
            pending._asyncio_future_blocking = False
            await asyncio.wait([pending])  # the coroutine reads its result (or exception) itself
        try:
            pending = coroutine.send(None)
        except StopIteration as done:
            result: T = done.value
            return result


def _no_stack_trace() -> source_pb2.StackTrace:
    """No source positions: the mock monitor never reads them.

    The SDK walks and formats the whole Python stack (``traceback.extract_stack``, with a
    linecache lookup per frame) for every resource, only to put it in the registration request;
    that was about a sixth of the time of ``ecsp plan`` on 1 environment x 30 applications.
    """
    return source_pb2.StackTrace()


def run(
    program: Callable[[], None],
    mocks: AwsMocks,
    *,
    project: str = "project",
    stack: str = "stack",
    organization: str = "organization",
    config: Mapping[str, str] | None = None,
    preview: bool = False,
) -> Recording:
    """Run ``program`` under ``mocks``; return what it registered and exported."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_default_executor(_InlineExecutor())
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_all_config(dict(config or {}))
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview,
                             monitor=monitor, organization=organization)
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def _run() -> Any:
        program()
        root = pulumi.runtime.settings.get_root_resource()
        outs = dict(getattr(root, "outputs", None) or {})
        return pulumi.Output.all(**outs).apply(exports.update) if outs else None

    # Both are looked up in their module at call time (by MockMonitor, pulumi.runtime.test and
    # Resource.__init__), and put back afterwards so nothing outside a mock run sees them.
    get_stack_trace = pulumi_resource._get_stack_trace
    pulumi_mocks._sync_await = _sync_await_without_pumping
    pulumi_resource._get_stack_trace = _no_stack_trace
    try:
        _run()
    finally:
        pulumi_mocks._sync_await = _sync_await
        pulumi_resource._get_stack_trace = get_stack_trace
        asyncio.set_event_loop(None)
        loop.close()
    monitor.recording.outputs = _plain(exports)
    return monitor.recording
