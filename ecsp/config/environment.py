"""The ``environments.<env>:`` section: region, account, network (created or imported), logs, certificates."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator

from ecsp import network
from ecsp.config.base import FieldError, Model, raise_all
from ecsp.config.types import (
    Account,
    BucketName,
    CertificateArn,
    EscEnvironment,
    LogPrefix,
    Region,
    RoleArn,
    SubnetId,
    VpcId,
    account_before,
    check_retention,
)

DEFAULT_FLOW_LOG_RETENTION = 14


class ImportedVpc(Model):
    """An existing VPC and its subnets: ecsp creates no VPC, subnets, routes, gateways or NAT."""

    id: VpcId = Field(description="The VPC's id, e.g. vpc-0123456789abcdef0.")
    public_subnets: list[SubnetId] = Field(
        description="At least two subnets in different availability zones, routed to an internet "
        "gateway: the load balancer (and tasks with placement: public) go here.")
    private_subnets: list[SubnetId] = Field(
        default_factory=list,
        description="At least two subnets for tasks with placement: private, databases, caches and the file "
        "system; they need a route to a NAT gateway (or VPC endpoints) to pull images and write logs. None "
        "(a VPC with public subnets only): every application runs with placement: public and the environment "
        "holds no database, cache or file system of ecsp's.")

    @field_validator("public_subnets", "private_subnets")
    @classmethod
    def _two_or_more(cls, v: list[str], info: ValidationInfo) -> list[str]:
        if info.field_name == "private_subnets" and not v:
            return v  # public subnets only
        if len(v) < 2:
            why = "the load balancer" if info.field_name == "public_subnets" else "ECS"
            raise ValueError(f"{len(v)} subnet(s) given; list at least two, in different availability zones "
                             f"({why} spreads over two)")
        return v

    @model_validator(mode="after")
    def _distinct_subnets(self) -> ImportedVpc:
        errors = []
        for kind in ("public_subnets", "private_subnets"):
            ids: list[str] = getattr(self, kind)
            errors += [FieldError((kind, i), f"'{s}' is listed twice; list each subnet once")
                       for i, s in enumerate(ids) if s in ids[:i]]
        errors += [FieldError(("private_subnets", i), f"'{s}' is also in public_subnets; a subnet is public or "
                                                      "private, not both")
                   for i, s in enumerate(self.private_subnets) if s in self.public_subnets]
        raise_all(errors)
        return self


class FlowLogsConfig(Model):
    """VPC flow logs to a CloudWatch Logs group."""

    retention: Annotated[int, AfterValidator(check_retention)] = Field(
        DEFAULT_FLOW_LOG_RETENTION, description="Days to keep flow logs (a CloudWatch Logs retention value).")


class AccessLogsBucket(Model):
    """An existing S3 bucket (in the environment's region) that receives the load balancer's access logs."""

    bucket: BucketName = Field(description="Bucket name; its policy must let ELB log delivery write to it.")
    prefix: LogPrefix | None = Field(None, max_length=200,
                                     description="Key prefix of the logs (ELB adds /AWSLogs/ACCOUNT/... below it).")


def _flag_tag(v: Any) -> str:
    return "flag" if isinstance(v, bool) else "settings"


# true/false or a mapping: tagged, so a bad mapping is reported once (not also as "not true or false").
FlowLogs = Annotated[Annotated[bool, Tag("flag")] | Annotated[FlowLogsConfig, Tag("settings")],
                     Discriminator(_flag_tag)]
AccessLogs = Annotated[Annotated[bool, Tag("flag")] | Annotated[AccessLogsBucket, Tag("settings")],
                       Discriminator(_flag_tag)]


class NetworkConfig(Model):
    """The environment's VPC: one ecsp creates (cidr, nat) or an existing one (vpc)."""

    cidr: str = Field("10.0.0.0/16", description="IPv4 CIDR of the VPC, /16 to /22 (room for four /24 subnets).")
    nat: Literal["none", "single", "per-az"] = Field(
        "none",
        description="NAT for private subnets: none (no egress from private subnets), single (one shared "
        "NAT gateway) or per-az (one per availability zone).",
    )
    vpc: ImportedVpc | None = Field(
        None, description="Use an existing VPC and its subnets instead of creating one (no cidr or nat then).",
        examples=[{"id": "vpc-0123456789abcdef0", "public_subnets": ["subnet-0a", "subnet-0b"],
                   "private_subnets": ["subnet-0c", "subnet-0d"]}])
    flow_logs: FlowLogs | None = Field(
        None, description="VPC flow logs (all traffic) to CloudWatch Logs: true (kept 14 days) or {retention: DAYS}.",
        examples=[{"retention": 30}, True])

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.IPv4Network(v, strict=False)
        except ValueError:
            raise ValueError(f"'{v}' is not an IPv4 CIDR block; use e.g. 10.0.0.0/16") from None
        if str(net) != v and "/" in v:
            raise ValueError(f"'{v}' has host bits set; use the network address: {net}")
        if "/" not in v:
            raise ValueError(f"'{v}' has no prefix length; use e.g. {v}/16")
        if net.prefixlen < 16:
            raise ValueError(f"'{v}' is larger than AWS allows for a VPC (/16 at most); use e.g. "
                             f"{net.network_address}/16")
        if net.prefixlen > 22:
            raise ValueError(f"'{v}' has room for {2 ** max(0, 24 - net.prefixlen)} /24 subnet(s), and ecsp needs "
                             f"four (two public, two private); use a /22 or larger, e.g. "
                             f"{net.supernet(new_prefix=16).network_address}/16")
        network.carve(v)
        return v

    @model_validator(mode="after")
    def _imported_vpc_alone(self) -> NetworkConfig:
        if self.vpc is None:
            return self
        raise_all([FieldError((key,), f"{key} only applies to a VPC ecsp creates, and network.vpc uses an "
                                       f"existing one (its own subnets and routes); remove {key}")
                    for key in ("cidr", "nat") if key in self.model_fields_set])
        return self

    @property
    def flow_log_retention(self) -> int | None:
        """Days flow logs are kept, or None without flow logs."""
        if self.flow_logs is None or self.flow_logs is False:
            return None
        return DEFAULT_FLOW_LOG_RETENTION if self.flow_logs is True else self.flow_logs.retention


class EnvironmentConfig(Model):
    """One environment: an isolated place (account and region) to run the applications."""

    region: Region = Field(description="AWS region, e.g. us-west-2.", examples=["us-west-2"])
    account: Account | None = Field(
        None, description="AWS account id (12 digits, quoted); defaults to the project account."
    )
    profile: str | None = Field(None, description="AWS profile used for this environment.", min_length=1)
    role_arn: RoleArn | None = Field(None, description="IAM role to assume for this environment.")
    network: NetworkConfig = Field(default_factory=NetworkConfig, description="VPC settings.",
                                   examples=[{"cidr": "10.0.0.0/16", "nat": "none"}])
    container_insights: bool = Field(False, description="Enable CloudWatch Container Insights on the cluster.")
    certificates: list[CertificateArn] = Field(
        default_factory=list, max_length=25,
        description="Existing ACM certificates (in the environment's region and account) for HTTPS: the first is "
        "the listener's default unless the project has a domain; all serve aliases outside ecsp's zones.",
        examples=[["arn:aws:acm:us-west-2:111111111111:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"]])
    esc: list[EscEnvironment] = Field(
        default_factory=list, description="Pulumi ESC environments (PROJECT/ENVIRONMENT) this environment's stacks "
        "import after the project's (project.esc): e.g. the AWS credentials of its account by OIDC. Pulumi Cloud "
        "backends only.", examples=[["aws/prod-credentials"]])
    access_logs: AccessLogs | None = Field(
        None, description="Load balancer access logs: true (a bucket ecsp creates) or {bucket, prefix} (an "
        "existing bucket).", examples=[{"bucket": "shop-logs", "prefix": "alb/prod"}, True])

    @field_validator("account", mode="before")
    @classmethod
    def _account_str(cls, v: Any) -> Any:
        return account_before(v)

    @model_validator(mode="after")
    def _certificates_fit(self) -> EnvironmentConfig:
        errors = []
        for i, arn in enumerate(self.certificates):
            region, account = arn.split(":")[3:5]
            if arn in self.certificates[:i]:
                errors.append(FieldError(("certificates", i), f"'{arn}' is listed twice; list each certificate once"))
            elif region != self.region:
                errors.append(FieldError(("certificates", i), f"the certificate is in {region} and the environment "
                                         f"in {self.region}; a load balancer uses certificates of its own region: "
                                         f"import or request it in {self.region}"))
            elif self.account is not None and account != self.account:
                errors.append(FieldError(("certificates", i), f"the certificate is in account {account} and the "
                                         f"environment in {self.account}; a load balancer uses certificates of its "
                                         "own account: import it there"))
        raise_all(errors)
        return self

    @property
    def https(self) -> bool:
        """Whether the environment's load balancer has an HTTPS listener without a project domain."""
        return bool(self.certificates)

