"""The validated model of ecsp.yaml (Pydantic v2, frozen, ``extra="forbid"``).

Structural rules (types, formats, ranges) live on the fields and say how to fix a bad
value; cross-field rules are named functions that return :class:`FieldError` with the
path of the field to fix, so the loader can point at the right line. Per-environment
application overrides are merged and validated here too: :meth:`ProjectConfig.application`
returns the effective settings of one application in one environment.
"""

from __future__ import annotations

import copy
import difflib
import graphlib
import ipaddress
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ecsp import fargate, kinds, naming, network, schedules

NAME_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
# Partitions: aws (us-west-2), aws-us-gov (us-gov-west-1), iso (us-iso-east-1), sovereign (eusc-de-east-1).
REGION_PATTERN = r"^[a-z]{2,4}(-[a-z]+)?-[a-z]+-\d{1,2}$"
ACCOUNT_PATTERN = r"^\d{12}$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$"
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
PATH_PATTERN = r"^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$"
HEALTHCHECK_PATH_PATTERN = r"^/[\x21-\x7e]*$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SSM_NAME_PATTERN = r"^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"
SSM_ARN_PATTERN = r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_./-]+$"
SECRETSMANAGER_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@:-]+$"
SUCCESS_CODES_PATTERN = r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$"
# EC2 ids: the 8-hex form of older resources and the 17-hex form of everything since 2016-18.
VPC_ID_PATTERN = r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$"
SUBNET_ID_PATTERN = r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$"
CERTIFICATE_ARN_PATTERN = (r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/"
                           r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# S3's rules for new buckets: 3-63 lowercase letters, digits, dots and hyphens, letter/digit at both ends.
BUCKET_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
# Key characters S3 calls safe; ELB refuses a prefix with a leading or trailing slash.
LOG_PREFIX_PATTERN = r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$"
HOST_PATTERN = DOMAIN_PATTERN
MAX_ALIASES = 20
DEFAULT_FLOW_LOG_RETENTION = 14
# SNS topic names allow letters, digits, - and _; ecsp prefixes them with <project>-<env>-<app>-.
TOPIC_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# A Service Connect discovery name is a DNS label (other applications call http://<name>:<port>).
DISCOVERY_NAME_PATTERN = r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
APPLICATION_KINDS = ("web", "backend", "worker", "job")
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
RESERVED_PREFIX = "ECSP_"
# Only used to spot typos ("us-wset-2"); a well-formed region that is not listed is accepted, so
# regions AWS opens after this release still work.
KNOWN_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1",
    "sa-east-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "il-central-1", "me-south-1", "me-central-1", "af-south-1",
    "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "us-gov-east-1", "us-gov-west-1",
    "cn-north-1", "cn-northwest-1",
)  # fmt: skip
_M = TypeVar("_M", bound=BaseModel)
DEFAULT_CPU = 256
DEFAULT_MEMORY = 512


class FieldError(ValueError):
    """A cross-field problem, with the path (relative to the model) of the field to fix.

    Pydantic keeps the original exception in the error's ``ctx``; the loader reads
    ``path`` from there and appends it to the location.
    """

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldError) and (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __repr__(self) -> str:
        return f"FieldError({self.path!r}, {self.message!r})"


class FieldErrors(ValueError):
    """Several :class:`FieldError` found by one validator (all are reported, not just the first)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class Model(BaseModel):
    # strict: YAML already yields native types, and lax mode would turn `port: yes` into 1.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, strict=True)


def _raise_all(errors: list[FieldError]) -> None:
    """Raise every distinct error at once (one cause seen from several environments is reported once)."""
    unique = list(dict.fromkeys(errors))
    if len(unique) == 1:
        raise unique[0]
    if unique:
        raise FieldErrors(unique)


def _matches(pattern: str, problem: Callable[[str], str]) -> AfterValidator:
    """A validator that checks ``pattern`` and explains a mismatch with ``problem(value)``.

    Used instead of ``Field(pattern=...)``, whose message cannot say how to fix the value; the
    pattern still reaches the JSON Schema (:func:`_schema_pattern`) so editors flag bad values.
    """

    def check(value: str) -> str:
        # fullmatch: `$` alone would accept a trailing newline (a YAML block scalar's).
        if not re.fullmatch(pattern, value):
            raise ValueError(problem(value))
        return value

    return AfterValidator(check)


def _schema_pattern(pattern: str) -> Any:
    return Field(json_schema_extra={"pattern": pattern})


def _region_problem(value: str) -> str:
    close = difflib.get_close_matches(value, KNOWN_REGIONS, n=3, cutoff=0.6)
    # Equally near misses are all named: 'us-est-1' is as close to us-west-1 as to us-east-1, and
    # suggesting one of them could send a deploy to the wrong side of the continent.
    best = [c for c in close if _closeness(value, c) == _closeness(value, close[0])] if close else []
    return f"'{value}' is not an AWS region; " + (f"did you mean {' or '.join(best)}?" if best else
                                                   "use e.g. us-west-2")


def _closeness(a: str, b: str) -> float:
    return round(difflib.SequenceMatcher(None, a, b).ratio(), 3)


def _check_region_typo(value: str) -> str:
    # A well-formed region whose name part is a near miss of a known one ("us-wset-2") is a typo; a
    # known name part with a new number ("eu-west-4") or a brand-new name part is a future region.
    stem = value.rsplit("-", 1)[0]
    stems = {r.rsplit("-", 1)[0] for r in KNOWN_REGIONS}
    if stem not in stems and difflib.get_close_matches(stem, stems, n=1, cutoff=0.8):
        raise ValueError(_region_problem(value))
    return value


def _path_problem(value: str) -> str:
    if not value.startswith("/"):
        return f"'{value}' must start with '/'; use '/{value.lstrip('/')}'"
    if value.endswith("/"):
        return f"'{value}' must not end with '/'; use '{value.rstrip('/') or '/'}'"
    if "//" in value:
        return f"'{value}' has an empty segment ('//'); use '{re.sub('/+', '/', value)}'"
    return (f"'{value}' may only use letters, digits and . _ ~ - between slashes; ecsp adds the "
            "wildcard itself ('/api' matches /api and /api/*)")


Region = Annotated[str, _matches(REGION_PATTERN, _region_problem), AfterValidator(_check_region_typo),
                   _schema_pattern(REGION_PATTERN)]
Account = Annotated[str, _matches(
    ACCOUNT_PATTERN, lambda v: f"'{v}' is not an AWS account id; use the 12 digits in quotes, e.g. \"111111111111\""),
    _schema_pattern(ACCOUNT_PATTERN)]
Domain = Annotated[str, _matches(
    DOMAIN_PATTERN, lambda v: f"'{v}' is not a domain name; use lowercase labels without a trailing dot, "
    "e.g. example.com"), _schema_pattern(DOMAIN_PATTERN)]
RoleArn = Annotated[str, _matches(
    ROLE_ARN_PATTERN, lambda v: f"'{v}' is not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME"),
    _schema_pattern(ROLE_ARN_PATTERN)]
UrlPath = Annotated[str, _matches(PATH_PATTERN, _path_problem), _schema_pattern(PATH_PATTERN)]
HealthCheckPath = Annotated[str, _matches(
    HEALTHCHECK_PATH_PATTERN, lambda v: f"'{v}' must start with '/' and contain no spaces, e.g. /health"),
    _schema_pattern(HEALTHCHECK_PATH_PATTERN)]
SuccessCodes = Annotated[str, _matches(
    SUCCESS_CODES_PATTERN, lambda v: f"'{v}' is not a list of HTTP codes; use e.g. 200, 200-299 or 200,302"),
    _schema_pattern(SUCCESS_CODES_PATTERN)]


class UnquotedNumber(ValueError):
    """An account id written without quotes, which YAML read as a number.

    The loader knows the text as written (YAML reads ``012345670123`` as an octal number) and
    calls :meth:`explain` with it; without a file the number itself is all there is.
    """

    def __init__(self, value: int) -> None:
        self.value = value
        super().__init__(self.explain(str(value)))

    @staticmethod
    def explain(written: str) -> str:
        if re.fullmatch(ACCOUNT_PATTERN, written):
            return f"YAML reads unquoted digits as a number; put the account id in quotes: \"{written}\""
        return f"{written} is not an AWS account id; use the 12 digits in quotes, e.g. \"111111111111\""


def _account_before(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        raise UnquotedNumber(v)
    return v


def _raise(message: str) -> Any:
    raise ValueError(message)


# --------------------------------------------------------------------------- project


class StateConfig(Model):
    """Where Pulumi keeps state and how it encrypts secrets."""

    backend: str | None = Field(
        None,
        description="Pulumi state backend URL: file://DIR, s3://BUCKET[/prefix] or https://api.pulumi.com. "
        "Default: a file backend in .ecsp/state next to ecsp.yaml (PULUMI_BACKEND_URL overrides).",
    )
    secrets_provider: str = Field(
        "passphrase",
        description="Secrets provider: 'passphrase' (PULUMI_CONFIG_PASSPHRASE) or awskms://KEY?region=R.",
    )
    organization: str | None = Field(
        None, description="Pulumi Cloud organization owning the stacks (DIY backends always use 'organization')."
    )

    @field_validator("backend")
    @classmethod
    def _backend_scheme(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(file://|s3://|https?://|gs://|azblob://|postgres://)", v):
            raise ValueError(f"'{v}' is not a backend URL; use file://DIR, s3://BUCKET or https://api.pulumi.com")
        return v

    @field_validator("secrets_provider")
    @classmethod
    def _secrets_scheme(cls, v: str) -> str:
        if v not in ("passphrase", "default") and not re.match(
            r"^(awskms|azurekeyvault|gcpkms|hashivault)://", v
        ):
            raise ValueError(f"'{v}' is not a secrets provider; use passphrase or awskms://KEY?region=REGION")
        return v


class EcrConfig(Model):
    """Settings of the project's ECR repositories."""

    keep_images: int = Field(50, ge=1, le=10000, description="Images each repository keeps (older ones expire).")
    immutable_tags: bool = Field(False, description="Make image tags immutable.")


def _name_problem(kind: str, name: str, limit: int) -> str | None:
    """Why ``name`` cannot name a ``kind`` (project, environment, application), or None."""
    if not re.fullmatch(NAME_PATTERN, name):
        hint = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", name.lower())).strip("-")
        suggestion = f", e.g. '{hint}'" if hint and re.fullmatch(NAME_PATTERN, hint) and len(hint) <= limit else ""
        return (f"'{name}' is not a valid {kind} name; use lowercase letters, digits and single hyphens, "
                f"starting with a letter{suggestion}")
    if len(name) > limit:
        return (f"'{name}' is {len(name)} characters; {kind} names are at most {limit} so that the AWS names "
                "derived from them fit AWS limits; use a shorter name")
    if kind == "application" and name in kinds.reserved_labels():
        return f"'{name}' is reserved for ecsp's own stacks; choose another application name"
    return None


class ProjectSection(Model):
    """The project: its name, home region and account, and an optional domain."""

    name: str = Field(
        description="Project name: lowercase letters, digits and single hyphens, starting with a letter "
        f"(at most {naming.MAX_PROJECT} characters).",
        examples=["shop"],
        json_schema_extra={"pattern": NAME_PATTERN, "maxLength": naming.MAX_PROJECT},
    )
    region: Region = Field(description="Home region of the project stack, e.g. us-west-2.", examples=["us-west-2"])
    account: Account | None = Field(None, description="Project AWS account id (12 digits, quoted).")
    domain: Domain | None = Field(
        None,
        description="A domain whose hosted zone exists in the project account; enables HTTPS everywhere.",
        max_length=200,
    )
    ecr: EcrConfig = Field(default_factory=EcrConfig, description="ECR repository settings.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        problem = _name_problem("project", v, naming.MAX_PROJECT)
        return _raise(problem) if problem else v

    @field_validator("account", mode="before")
    @classmethod
    def _account_str(cls, v: Any) -> Any:
        return _account_before(v)


# --------------------------------------------------------------------------- environments


def _id_problem(kind: str, example: str) -> Callable[[str], str]:
    return lambda v: f"'{v}' is not a {kind} id; use the id AWS shows, e.g. {example}"


VpcId = Annotated[str, _matches(VPC_ID_PATTERN, _id_problem("VPC", "vpc-0123456789abcdef0")),
                  _schema_pattern(VPC_ID_PATTERN)]
SubnetId = Annotated[str, _matches(SUBNET_ID_PATTERN, _id_problem("subnet", "subnet-0123456789abcdef0")),
                     _schema_pattern(SUBNET_ID_PATTERN)]
CertificateArn = Annotated[str, _matches(
    CERTIFICATE_ARN_PATTERN, lambda v: f"'{v}' is not an ACM certificate ARN; use "
    "arn:aws:acm:REGION:ACCOUNT:certificate/ID (aws acm list-certificates shows them)"),
    _schema_pattern(CERTIFICATE_ARN_PATTERN)]


def _bucket_problem(value: str) -> str:
    return (f"'{value}' is not an S3 bucket name; use 3 to 63 lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit")


def _check_bucket(value: str) -> str:
    if ".." in value or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        raise ValueError(_bucket_problem(value))
    return value


BucketName = Annotated[str, _matches(BUCKET_PATTERN, _bucket_problem), AfterValidator(_check_bucket),
                       _schema_pattern(BUCKET_PATTERN)]


def _prefix_problem(value: str) -> str:
    if value.startswith("/") or value.endswith("/"):
        return f"'{value}' must not start or end with '/' (ELB refuses it); use '{value.strip('/')}'"
    return f"'{value}' may only use letters, digits and ! _ . * ' ( ) - between single slashes, e.g. shop/prod"


def _check_prefix(value: str) -> str:
    # ELB writes under <prefix>/AWSLogs/<account>/...; it refuses a prefix that contains AWSLogs itself.
    if "AWSLogs" in value:
        raise ValueError(f"'{value}' contains AWSLogs, which ELB adds itself and refuses in a prefix; remove it")
    return value


LogPrefix = Annotated[str, _matches(LOG_PREFIX_PATTERN, _prefix_problem), AfterValidator(_check_prefix),
                      _schema_pattern(LOG_PREFIX_PATTERN)]


def _host_problem(value: str) -> str:
    if value.startswith("*."):
        return (f"'{value}' is a wildcard; aliases are exact host names (a listener rule and a DNS record per "
                "name), e.g. www.example.com")
    if value != value.lower():
        return f"'{value}' has uppercase letters; DNS names are case-insensitive: use '{value.lower()}'"
    return f"'{value}' is not a host name; use lowercase labels without a trailing dot, e.g. www.example.com"


HostName = Annotated[str, _matches(HOST_PATTERN, _host_problem), _schema_pattern(HOST_PATTERN),
                     Field(max_length=naming.DNS_NAME_LIMIT)]


def _retention_problem(v: int) -> str:
    below = [d for d in LOG_RETENTION_DAYS if d < v][-1:]
    above = [d for d in LOG_RETENTION_DAYS if d > v][:1]
    nearest = _or_list(list(map(str, below + above)))
    allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
    return f"{v} days is not a CloudWatch Logs retention; use {nearest} (allowed: {allowed})"


def _check_retention(v: int) -> int:
    if v not in LOG_RETENTION_DAYS:
        raise ValueError(_retention_problem(v))
    return v


class ImportedVpc(Model):
    """An existing VPC and its subnets: ecsp creates no VPC, subnets, routes, gateways or NAT."""

    id: VpcId = Field(description="The VPC's id, e.g. vpc-0123456789abcdef0.")
    public_subnets: list[SubnetId] = Field(
        description="At least two subnets in different availability zones, routed to an internet "
        "gateway: the load balancer (and tasks with placement: public) go here.")
    private_subnets: list[SubnetId] = Field(
        description="At least two subnets for tasks with placement: private; they need a route to "
        "a NAT gateway (or VPC endpoints) to pull images and write logs.")

    @field_validator("public_subnets", "private_subnets")
    @classmethod
    def _two_or_more(cls, v: list[str], info: ValidationInfo) -> list[str]:
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
        _raise_all(errors)
        return self


class FlowLogsConfig(Model):
    """VPC flow logs to a CloudWatch Logs group."""

    retention: Annotated[int, AfterValidator(_check_retention)] = Field(
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
        _raise_all([FieldError((key,), f"{key} only applies to a VPC ecsp creates, and network.vpc uses an "
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
    access_logs: AccessLogs | None = Field(
        None, description="Load balancer access logs: true (a bucket ecsp creates) or {bucket, prefix} (an "
        "existing bucket).", examples=[{"bucket": "shop-logs", "prefix": "alb/prod"}, True])

    @field_validator("account", mode="before")
    @classmethod
    def _account_str(cls, v: Any) -> Any:
        return _account_before(v)

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
        _raise_all(errors)
        return self

    @property
    def https(self) -> bool:
        """Whether the environment's load balancer has an HTTPS listener without a project domain."""
        return bool(self.certificates)


# --------------------------------------------------------------------------- applications


def _stringify(v: Any) -> Any:
    # YAML turns `DEBUG: true` and `PORT: 80` into bool/int; environment values and build args are strings.
    if isinstance(v, dict):
        return {k: (str(x).lower() if isinstance(x, bool) else str(x)) if isinstance(x, int | float) else x
                for k, x in v.items()}
    return v


class ImageConfig(Model):
    """Where the container image comes from: an existing image, or a Dockerfile to build."""

    location: str | None = Field(None, description="An existing image URI, used as is.", min_length=1)
    build: str | None = Field(
        None, description="Build context directory (relative to ecsp.yaml) holding a Dockerfile.", min_length=1
    )
    dockerfile: str | None = Field(None, description="Dockerfile path inside the build context.")
    args: dict[str, str] = Field(default_factory=dict, description="Docker build arguments.")
    target: str | None = Field(None, min_length=1, description="The build stage to build (docker build --target).")

    @field_validator("args", mode="before")
    @classmethod
    def _args(cls, v: Any) -> Any:
        return _stringify(v)

    @field_validator("location")
    @classmethod
    def _location_is_one_reference(cls, v: str | None) -> str | None:
        if v is not None and (v != v.strip() or any(c.isspace() for c in v)):
            raise ValueError(f"{v!r} is not an image reference (it contains spaces); use e.g. nginx:1.27 or "
                             "public.ecr.aws/nginx/nginx:stable")
        return v

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ImageConfig:
        if self.location is not None and self.build is not None:
            raise FieldError((), "set only one of location (use an existing image) or build (build a Dockerfile "
                                 "directory), not both")
        if self.location is None and self.build is None:
            raise FieldError((), "add location (an image URI, e.g. public.ecr.aws/nginx/nginx:stable) or build "
                                 "(a directory with a Dockerfile, e.g. ./web)")
        if self.location is not None and (self.dockerfile or self.args or self.target):
            key = "dockerfile" if self.dockerfile else "args" if self.args else "target"
            raise FieldError((key,), f"{key} only applies to images that ecsp builds; remove it, or replace "
                                     "location with build")
        return self


class HealthCheckConfig(Model):
    """Load balancer health check of the application's target group."""

    path: HealthCheckPath = Field("/", description="HTTP path the load balancer probes.", max_length=1024)
    interval: int = Field(10, ge=5, le=300, description="Seconds between probes.")
    timeout: int = Field(5, ge=2, le=120, description="Seconds before a probe fails.")
    healthy_threshold: int = Field(2, ge=2, le=10, description="Consecutive successes to become healthy.")
    unhealthy_threshold: int = Field(2, ge=2, le=10, description="Consecutive failures to become unhealthy.")
    success_codes: SuccessCodes = Field("200", description="HTTP codes, e.g. 200 or 200-299.")
    grace_period: int = Field(
        60, ge=0, le=7200, description="Seconds ECS ignores failed health checks after a task starts."
    )

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> HealthCheckConfig:
        if self.timeout >= self.interval:
            raise FieldError(("timeout",), f"{self.timeout}s must be less than the interval ({self.interval}s); "
                                           f"lower timeout or raise interval")
        return self


def _duration(minimum: float, maximum: float, what: str) -> AfterValidator:
    """A validator for a duration written as seconds or with a unit (``30s``, ``4d``), within a range."""

    def check(value: int | str) -> int | str:
        seconds = schedules.seconds(value)
        if not minimum <= seconds <= maximum:
            raise ValueError(f"{value} is outside what {what} allows ({_span(minimum)} to {_span(maximum)}); "
                             "pick a value in that range")
        return value

    return AfterValidator(check)


def _span(seconds: float) -> str:
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


class QueueDelayConfig(Model):
    """Scale a worker on its queue's backlog: keep (latency / processing_time) messages per task at most."""

    latency: Annotated[int | str, _duration(1, 86400, "an acceptable latency")] = Field(
        description="How long a message may wait before a task picks it up: seconds or e.g. 10m.",
        examples=[600])
    processing_time: Annotated[int | str, _duration(0.001, 86400, "a processing time")] = Field(
        description="How long a task takes for one message: seconds or e.g. 250ms.", examples=["250ms"])

    @model_validator(mode="after")
    def _latency_covers_one_message(self) -> QueueDelayConfig:
        if self.backlog_per_task < 1:
            raise FieldError(("latency",), f"{self.latency} is shorter than the processing time "
                                           f"({self.processing_time}), so no backlog is acceptable; raise latency")
        return self

    @property
    def backlog_per_task(self) -> int:
        """The acceptable messages per task, as Copilot computed it (latency / processing time, rounded down)."""
        return int(schedules.seconds(self.latency) // schedules.seconds(self.processing_time))


class AutoscalingConfig(Model):
    """A task count range with target-tracking policies."""

    min: int = Field(ge=0, le=1000, description="Fewest tasks.", examples=[1])
    max: int = Field(ge=1, le=1000, description="Most tasks.", examples=[4])
    cpu_percentage: int | None = Field(None, ge=1, le=100, description="Target average CPU utilisation (%).")
    memory_percentage: int | None = Field(None, ge=1, le=100, description="Target average memory utilisation (%).")
    requests: int | None = Field(None, ge=1, description="Target requests per task per minute (ALB).")
    queue_delay: QueueDelayConfig | None = Field(
        None, description="Workers only: scale on the queue's backlog per task (latency / processing_time).",
        examples=[{"latency": 600, "processing_time": "250ms"}])
    cooldown_in: int = Field(120, ge=0, le=3600, description="Seconds to wait after scaling in.")
    cooldown_out: int = Field(60, ge=0, le=3600, description="Seconds to wait after scaling out.")

    @model_validator(mode="after")
    def _min_le_max(self) -> AutoscalingConfig:
        if self.min > self.max:
            raise FieldError(("min",), f"{self.min} is greater than max ({self.max}); lower min or raise max")
        return self

    @model_validator(mode="after")
    def _backlog_needs_a_task(self) -> AutoscalingConfig:
        # Backlog per task is visible messages / running tasks: with no task running there is no data
        # point, so a worker at 0 would never scale out however long its queue grew.
        if self.queue_delay is not None and self.min == 0:
            raise FieldError(("min",), "queue_delay scales on the backlog per running task, which is undefined with "
                                       "none running, so the worker would stay at 0; set min: 1 or more")
        return self

    @property
    def targets(self) -> dict[str, int]:
        """The target-tracking policies to create (CPU at 70% when none is given)."""
        chosen = {
            k: v
            for k, v in (
                ("cpu", self.cpu_percentage),
                ("memory", self.memory_percentage),
                ("requests", self.requests),
            )
            if v is not None
        }
        # Queue backlog is a target of its own (see stacks.application_queue): no default CPU policy beside it.
        return chosen or ({} if self.queue_delay is not None else {"cpu": 70})


def _count_tag(v: Any) -> str:
    return "range" if isinstance(v, dict | AutoscalingConfig) else "fixed"


Count = Annotated[
    Annotated[int, Field(ge=0, le=1000), Tag("fixed")] | Annotated[AutoscalingConfig, Tag("range")],
    Discriminator(_count_tag),
]


def _pair_message(cpu: int, memory: int) -> str:
    return f"{memory} MiB is not valid with cpu {cpu}; use {fargate.describe_options(cpu)}"


class QueueConfig(Model):
    """A worker's SQS queue (SSE-encrypted, with a dead-letter queue); defaults as Copilot's."""

    retention: Annotated[int | str, _duration(60, 1209600, "SQS message retention")] = Field(
        345600, description="How long SQS keeps an unprocessed message: seconds or e.g. 4d (60s to 14d).",
        examples=["4d"])
    visibility_timeout: int = Field(
        30, ge=0, le=43200, description="Seconds a received message stays hidden from other tasks (0 to 43200).")
    max_receive_count: int = Field(
        10, ge=1, le=1000, description="Receives before a message moves to the dead-letter queue.")

    @property
    def retention_seconds(self) -> int:
        return int(schedules.seconds(self.retention))


Topic = Annotated[str, _matches(
    TOPIC_PATTERN, lambda v: f"'{v}' is not a topic name; use letters, digits, - and _ (at most 64), e.g. created"),
    _schema_pattern(TOPIC_PATTERN)]


class SubscriptionConfig(Model):
    """One topic a worker's queue receives: the publishing application, the topic, an optional filter."""

    app: str = Field(description="The application that publishes the topic.", examples=["web"])
    topic: Topic = Field(description="The topic's name, as listed in that application's publish.",
                         examples=["created"])
    filter: dict[str, Any] | None = Field(
        None, description="An SNS filter policy on message attributes, e.g. {store: [example]}.",
        examples=[{"store": ["example"]}])


def _check_schedule(v: str) -> str:
    if v == "none":
        return v
    problem = schedules.problem(v)
    return _raise(problem) if problem else v


Schedule = Annotated[str, AfterValidator(_check_schedule)]

# --------------------------------------------------------------------------- containers (issue 12)

# ECS: up to 255 letters, digits, hyphens and underscores.
CONTAINER_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,255}$"
EFS_ID_PATTERN = r"^fs-([0-9a-f]{8}|[0-9a-f]{17})$"
EFS_ACCESS_POINT_PATTERN = r"^fsap-([0-9a-f]{8}|[0-9a-f]{17})$"
MOUNT_PATH_PATTERN = r"^/[^\s]*$"
LOG_ROUTER = "log_router"  # the FireLens container's name (reserved for it)
FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
# ECS container dependency conditions, as written in ecsp.yaml (ECS wants them upper case).
Condition = Literal["start", "complete", "success", "healthy"]


def _image_problem(v: str) -> str | None:
    if v != v.strip() or any(c.isspace() for c in v):
        return (f"{v!r} is not an image reference (it contains spaces); use e.g. "
                "public.ecr.aws/datadog/agent:7")
    return None


def _check_image(v: str) -> str:
    problem = _image_problem(v)
    return _raise(problem) if problem else v


ImageUri = Annotated[str, Field(min_length=1), AfterValidator(_check_image)]
MountPath = Annotated[str, _matches(
    MOUNT_PATH_PATTERN, lambda v: f"'{v}' is not an absolute path; use e.g. /data"),
    _schema_pattern(MOUNT_PATH_PATTERN)]


class ContainerHealthCheckConfig(Model):
    """A container health check that ECS runs inside the container (defaults as Copilot's)."""

    command: list[str] = Field(
        description="The check: [\"CMD-SHELL\", \"shell command\"] or [\"CMD\", \"executable\", \"arg\", ...]; "
        "exit status 0 is healthy.", examples=[["CMD-SHELL", "curl -f http://localhost:8126/info || exit 1"]])
    interval: int = Field(10, ge=5, le=300, description="Seconds between checks.")
    retries: int = Field(2, ge=1, le=10, description="Failed checks in a row before the container is unhealthy.")
    timeout: int = Field(5, ge=2, le=60, description="Seconds a check may take.")
    start_period: int = Field(0, ge=0, le=300, description="Seconds after start during which failures don't count.")

    @field_validator("command")
    @classmethod
    def _command(cls, v: list[str]) -> list[str]:
        if len(v) < 2 or v[0] not in ("CMD", "CMD-SHELL"):
            raise ValueError("start with CMD (an executable and its arguments) or CMD-SHELL (one shell command), "
                             "e.g. [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]")
        return v


class SidecarConfig(Model):
    """An extra container in the application's task; it shares the task's network, logging and secrets rules."""

    image: ImageUri = Field(description="An existing image URI.", examples=["public.ecr.aws/datadog/agent:7"])
    port: int | None = Field(None, ge=1, le=65535, description="Container port (unique within the task).")
    essential: bool = Field(True, description="Whether the task stops when this container stops (as Copilot: yes).")
    variables: dict[str, str] = Field(default_factory=dict, description="Environment variables.")
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Secret environment variables: SSM parameter names or Secrets Manager/SSM "
        "ARNs (the execution role may read exactly these too).")
    depends_on: dict[str, Condition] = Field(
        default_factory=dict, description="Containers (the application's name, or another sidecar's) this one waits "
        "for: start, complete, success (those two only for essential: false containers) or healthy (those with a "
        "health check).", examples=[{"web": "start"}])
    healthcheck: ContainerHealthCheckConfig | None = Field(None, description="A container health check.")
    command: list[str] | None = Field(None, min_length=1, description="Command to run instead of the image's.")
    mount_points: dict[str, MountPath] = Field(
        default_factory=dict, description="Volumes (names under storage.volumes) to mount, and where.",
        examples=[{"data": "/var/data"}])

    @field_validator("variables", "secrets", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        return _stringify(v)

    @field_validator("variables")
    @classmethod
    def _variables(cls, v: dict[str, str]) -> dict[str, str]:
        _raise_all(_env_name_errors(v))
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str]) -> dict[str, str]:
        _raise_all(_secret_errors(v))
        return v

    @model_validator(mode="after")
    def _variable_and_secret_names_differ(self) -> SidecarConfig:
        _raise_all(_both_ways(self.variables, self.secrets))
        return self


class FireLensConfig(Model):
    """FireLens log routing: a Fluent Bit container that forwards every container's logs."""

    image: ImageUri = Field(FLUENT_BIT_IMAGE, description="The log router's image (AWS for Fluent Bit).")
    options: dict[str, str] = Field(
        default_factory=dict, description="Options of the awsfirelens log driver: Fluent Bit's output plugin and its "
        "settings, e.g. {Name: cloudwatch, region: us-west-2, log_group_name: /shop/web, log_stream_prefix: web/}.",
        examples=[{"Name": "cloudwatch", "region": "us-west-2", "log_group_name": "/shop/web",
                   "log_stream_prefix": "web/"}])

    @field_validator("options", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        return _stringify(v)

    @field_validator("options")
    @classmethod
    def _plugin_named(cls, v: dict[str, str]) -> dict[str, str]:
        if "Name" not in v:
            raise ValueError("name Fluent Bit's output plugin, e.g. Name: cloudwatch (or Name: firehose, Name: s3)")
        return v


class LoggingConfig(Model):
    """How the containers' logs leave the task (default: awslogs to the application's log group)."""

    firelens: FireLensConfig = Field(description="Route logs through a FireLens (Fluent Bit) log router.")


class EfsConfig(Model):
    """An existing EFS file system (in the environment's VPC, with mount targets reachable from its tasks)."""

    id: str = Field(description="File system id, e.g. fs-0123456789abcdef0.", examples=["fs-0123456789abcdef0"],
                    json_schema_extra={"pattern": EFS_ID_PATTERN})
    root_directory: MountPath | None = Field(
        None, description="Directory of the file system to mount (default /); only / with an access point.")
    access_point: str | None = Field(None, description="Access point id, e.g. fsap-0123456789abcdef0.",
                                     json_schema_extra={"pattern": EFS_ACCESS_POINT_PATTERN})

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not re.fullmatch(EFS_ID_PATTERN, v):
            raise ValueError(f"'{v}' is not an EFS file system id; use fs- and 8 or 17 hex digits, "
                             "e.g. fs-0123456789abcdef0")
        return v

    @field_validator("access_point")
    @classmethod
    def _access_point(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(EFS_ACCESS_POINT_PATTERN, v):
            raise ValueError(f"'{v}' is not an EFS access point id; use fsap- and 8 or 17 hex digits, "
                             "e.g. fsap-0123456789abcdef0")
        return v

    @model_validator(mode="after")
    def _root_with_access_point(self) -> EfsConfig:
        # ECS: with an access point the access point sets the root; the volume's must be / or absent.
        if self.access_point is not None and self.root_directory not in (None, "/"):
            raise FieldError(("root_directory",), "an access point sets its own root directory; remove "
                                                  "root_directory, or remove access_point")
        return self


def _efs_tag(v: Any) -> str:
    return "existing" if isinstance(v, dict | EfsConfig) else "managed"


Efs = Annotated[Annotated[bool, Tag("managed")] | Annotated[EfsConfig, Tag("existing")], Discriminator(_efs_tag)]


class VolumeConfig(Model):
    """An EFS volume mounted into the application's container."""

    path: MountPath = Field(description="Where the application's container sees the volume.", examples=["/data"])
    read_only: bool = Field(False, description="Mount read-only (and grant no elasticfilesystem:ClientWrite).")
    efs: Efs = Field(
        description="true: a directory /<application> on the environment's managed file system (ecsp creates it), "
        "through an access point of its own; or {id, root_directory, access_point} of an existing file system.",
        examples=[True, {"id": "fs-0123456789abcdef0"}])
    uid: int | None = Field(None, ge=0, le=4294967295, description="POSIX user id of the managed access point "
                            "(default: derived from the application's name, as Copilot).")
    gid: int | None = Field(None, ge=0, le=4294967295, description="POSIX group id of the managed access point "
                            "(default: the uid).")

    @model_validator(mode="after")
    def _efs(self) -> VolumeConfig:
        if self.efs is False:
            raise FieldError(("efs",), "use efs: true (the environment's managed file system) or efs: {id: fs-...}; "
                                       "to drop the volume, remove it")
        if isinstance(self.efs, EfsConfig):
            key = "uid" if self.uid is not None else "gid" if self.gid is not None else None
            if key:
                raise FieldError((key,), f"{key} applies to the managed file system (efs: true); an existing file "
                                         "system's access point sets its own user")
        return self


class StorageConfig(Model):
    """Volumes of the application's task."""

    volumes: dict[str, VolumeConfig] = Field(
        default_factory=dict, description="EFS volumes by name (letters, digits, - and _).",
        examples=[{"data": {"path": "/data", "efs": True}}])

    @field_validator("volumes")
    @classmethod
    def _names(cls, v: dict[str, VolumeConfig]) -> dict[str, VolumeConfig]:
        _raise_all([FieldError((name,), f"'{name}' is not a valid volume name; use letters, digits, - and _")
                    for name in v if not re.fullmatch(CONTAINER_NAME_PATTERN, name)])
        managed = [name for name, vol in v.items() if vol.efs is True]
        _raise_all([FieldError((name, "efs"), f"only one volume per application may use the managed file system "
                                              f"('{managed[0]}' does); mount it once")
                    for name in managed[1:]])
        return v


class DeploymentConfig(Model):
    """How ECS replaces tasks on a deploy (default 100% healthy, up to 200%)."""

    rolling: Literal["default", "recreate"] | None = Field(
        None, description="recreate: stop the old tasks before starting new ones (0%/100%), for applications that "
        "must not run twice at once; default: 100%/200%.")
    min_healthy_percent: int | None = Field(None, ge=0, le=100,
                                            description="Tasks (% of the count) kept running during a deploy.")
    max_percent: int | None = Field(None, ge=100, le=200,
                                    description="Tasks (% of the count) that may run during a deploy.")

    @model_validator(mode="after")
    def _one_way(self) -> DeploymentConfig:
        if self.rolling is not None:
            key = "min_healthy_percent" if self.min_healthy_percent is not None else \
                "max_percent" if self.max_percent is not None else None
            if key:
                raise FieldError((key,), f"rolling: {self.rolling} sets the percentages itself; remove {key}, or "
                                         "remove rolling")
        if self.min_healthy_percent is not None and self.min_healthy_percent >= self.percents[1]:
            raise FieldError(("min_healthy_percent",), f"{self.min_healthy_percent}% must be below max_percent "
                                                       f"({self.percents[1]}%), or ECS can neither stop nor start a "
                                                       "task; lower it")
        return self

    @property
    def percents(self) -> tuple[int, int]:
        """(minimum healthy, maximum) percent."""
        if self.rolling == "recreate":
            return 0, 100
        return (100 if self.min_healthy_percent is None else self.min_healthy_percent,
                200 if self.max_percent is None else self.max_percent)


class CapacitySpread(Model):
    """Tasks split between Fargate (on demand) and Fargate Spot."""

    spot: int = Field(ge=1, le=1000, description="Spot tasks per on-demand task, after the base.")
    base: int = Field(0, ge=0, le=100000, description="Tasks that always run on demand (the first ones).")


def _capacity_tag(v: Any) -> str:
    return "spread" if isinstance(v, dict | CapacitySpread) else "kind"


Capacity = Annotated[
    Annotated[Literal["spot", "on-demand"], Tag("kind")] | Annotated[CapacitySpread, Tag("spread")],
    Discriminator(_capacity_tag),
]


def _secret_errors(values: Mapping[str, str]) -> list[FieldError]:
    errors = _env_name_errors(values)
    errors += [
        FieldError(
            (name,),
            f"'{ref}' is not an SSM parameter name or an SSM/Secrets Manager ARN; "
            "use e.g. /shop/db-password or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
        )
        for name, ref in values.items()
        if secret_kind(ref) is None
    ]
    return errors


def _both_ways(variables: Mapping[str, str], secrets: Mapping[str, str],
               at: tuple[str | int, ...] = ()) -> list[FieldError]:
    # ECS refuses a task definition that sets one name both ways.
    return [FieldError((*at, "secrets", name), f"'{name}' is also in variables; a container gets each name "
                                               "once: keep it in variables or in secrets, not both")
            for name in secrets if name in variables]


class _ApplicationFields(Model):
    """Fields an application may set, and that an environment may override."""

    image: ImageConfig | None = Field(None, description="The container image.")
    port: int | None = Field(None, ge=1, le=65535, description="Container port: what the load balancer forwards "
                             "to (web) and other applications call through Service Connect (web, backend).")
    path: UrlPath | None = Field(
        None, max_length=120,
        description="URL path prefix routed to the application; '/' for at most one application.",
    )
    healthcheck: HealthCheckConfig | None = Field(None, description="Load balancer health check (web).",
                                                  examples=[{"path": "/health"}])
    container_healthcheck: ContainerHealthCheckConfig | None = Field(
        None, description="A health check ECS runs inside the application's container (any kind); "
        "its sidecars may wait for it to be healthy.",
        examples=[{"command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]}])
    cpu: int | None = Field(None, description="Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: int | None = Field(None, description="Task memory (MiB); must suit the cpu (Fargate's table).")
    count: Count | None = Field(
        None, description="Tasks to run: a number, or {min, max, cpu_percentage, ...} to autoscale."
    )
    variables: dict[str, str] | None = Field(None, description="Environment variables for the container.",
                                             examples=[{"LOG_LEVEL": "info"}])
    secrets: dict[str, str] | None = Field(
        None, description="Secret environment variables: SSM parameter names or Secrets Manager/SSM ARNs.",
        examples=[{"DB_PASSWORD": "/shop/db-password"}],
    )
    placement: Literal["public", "private"] | None = Field(
        None, description="public subnets with a public IP, or private subnets (needs NAT)."
    )
    platform: Literal["linux/x86_64", "linux/arm64"] | None = Field(None, description="Task CPU architecture.")
    exec: bool | None = Field(None, description="Enable ECS Exec (aws ecs execute-command) into tasks.")
    log_retention: int | None = Field(None, description="Days to keep logs (a CloudWatch Logs retention value).")
    deregistration_delay: int | None = Field(
        None, ge=0, le=3600, description="Seconds the load balancer drains a stopping task."
    )
    aliases: list[HostName] | None = Field(
        None, max_length=MAX_ALIASES,
        description="Extra host names of the application: names under <env>.<project>.<domain> get DNS records "
        "and the environment's certificate; others need a certificate in the environment's certificates.",
        examples=[["www.example.com"]])

    @field_validator("aliases")
    @classmethod
    def _aliases_once(cls, v: list[str] | None) -> list[str] | None:
        _raise_all([FieldError((i,), f"'{a}' is listed twice; list each alias once")
                    for i, a in enumerate(v or []) if a in (v or [])[:i]])
        return v
    queue: QueueConfig | None = Field(None, description="Workers: their SQS queue's settings.",
                                      examples=[{"retention": "4d", "visibility_timeout": 30}])
    schedule: Schedule | None = Field(
        None, description="Jobs: when to run: rate(1 hour), cron(0 3 * * ? *) (UTC) or none (only `ecsp run`).",
        examples=["rate(1 day)"])
    timeout: int | None = Field(None, ge=1, le=31536000, description="Jobs: seconds a run may take before it is "
                                "stopped (default: no limit).")
    retries: int | None = Field(None, ge=0, le=10, description="Jobs: times a failed run is retried (default 0).")
    sidecars: dict[str, SidecarConfig] | None = Field(
        None, description="Extra containers in the task, by container name (an environment's sidecar of the same "
        "name replaces the base one).", examples=[{"datadog": {"image": "public.ecr.aws/datadog/agent:7",
                                                              "port": 8126, "essential": False}}])
    depends_on: dict[str, Condition] | None = Field(
        None, description="Sidecars the application's container waits for: start, complete, success or healthy.",
        examples=[{"datadog": "start"}])
    logging: LoggingConfig | None = Field(None, description="FireLens log routing instead of awslogs.")
    storage: StorageConfig | None = Field(None, description="EFS volumes (an environment's volume of the same name "
                                          "replaces the base one).")
    deployment: DeploymentConfig | None = Field(None, description="Rolling deployment percentages.",
                                                examples=[{"rolling": "recreate"}])
    capacity: Capacity | None = Field(
        None, description="Where tasks run: on-demand (default), spot, or {spot: N, base: M} (the first M tasks on "
        "demand, then N on Spot per one on demand).", examples=["spot", {"spot": 2, "base": 1}])

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: int | None) -> int | None:
        if v is not None and v not in fargate.CPU_VALUES:
            near = min(fargate.CPU_VALUES, key=lambda c: abs(c - v))
            raise ValueError(f"{v} is not a Fargate cpu size; use {_or_list(list(map(str, fargate.CPU_VALUES)))} "
                             f"(1024 units = 1 vCPU; the nearest is {near})")
        return v

    @field_validator("memory")
    @classmethod
    def _memory_fits_cpu(cls, v: int | None, info: ValidationInfo) -> int | None:
        # Only when both are written side by side: a value that mixes the base and an override is
        # checked after merging, where the message can say which environment and which line.
        cpu = info.data.get("cpu")
        if v is not None and cpu is not None and not fargate.is_valid(cpu, v):
            raise ValueError(_pair_message(cpu, v))
        return v

    @field_validator("log_retention")
    @classmethod
    def _retention(cls, v: int | None) -> int | None:
        if v is not None and v not in LOG_RETENTION_DAYS:
            raise ValueError(_retention_problem(v))
        return v

    @field_validator("variables")
    @classmethod
    def _variables(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        _raise_all(_env_name_errors(v or {}))
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        _raise_all(_secret_errors(v or {}))
        return v

    @field_validator("sidecars")
    @classmethod
    def _sidecar_names(cls, v: dict[str, SidecarConfig] | None) -> dict[str, SidecarConfig] | None:
        errors = []
        for name in v or {}:
            if not re.fullmatch(CONTAINER_NAME_PATTERN, name):
                errors.append(FieldError((name,), f"'{name}' is not a valid container name; use up to 255 letters, "
                                                  "digits, - and _"))
            elif name == LOG_ROUTER:
                errors.append(FieldError((name,), f"'{LOG_ROUTER}' is the FireLens log router's name; use logging: "
                                                  "{firelens: ...} for it, or name this sidecar differently"))
        _raise_all(errors)
        return v

    @field_validator("variables", "secrets", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        return _stringify(v)


def _env_name_errors(values: Mapping[str, str]) -> list[FieldError]:
    errors = []
    for name in values:
        if not re.fullmatch(ENV_VAR_PATTERN, name):
            errors.append(FieldError((name,), f"'{name}' is not a valid environment variable name; use letters, "
                                              "digits and _, not starting with a digit"))
        elif name.upper().startswith(RESERVED_PREFIX):
            errors.append(FieldError((name,), f"names starting with {RESERVED_PREFIX} are reserved for the "
                                              "variables ecsp sets; rename it"))
    return errors


def secret_kind(ref: str) -> Literal["ssm", "secretsmanager"] | None:
    """Which store a secret reference points at, or None when it is neither."""
    if re.fullmatch(SECRETSMANAGER_ARN_PATTERN, ref):
        return "secretsmanager"
    if re.fullmatch(SSM_ARN_PATTERN, ref) or (not ref.startswith("arn:") and re.fullmatch(SSM_NAME_PATTERN, ref)):
        return "ssm"
    return None


class HealthCheckOverride(Model):
    """Health check fields an environment overrides; merged into the base health check field by field.

    No cross-field rule here: ``timeout: 10`` is fine on its own when the base sets
    ``interval: 30``. The merged result is validated as a :class:`HealthCheckConfig`.
    """

    path: HealthCheckPath | None = Field(None, description="HTTP path the load balancer probes.", max_length=1024)
    interval: int | None = Field(None, ge=5, le=300, description="Seconds between probes.")
    timeout: int | None = Field(None, ge=2, le=120, description="Seconds before a probe fails.")
    healthy_threshold: int | None = Field(None, ge=2, le=10, description="Consecutive successes to become healthy.")
    unhealthy_threshold: int | None = Field(
        None, ge=2, le=10, description="Consecutive failures to become unhealthy."
    )
    success_codes: SuccessCodes | None = Field(None, description="HTTP codes, e.g. 200 or 200-299.")
    grace_period: int | None = Field(
        None, ge=0, le=7200, description="Seconds ECS ignores failed health checks after a task starts."
    )


class ApplicationOverride(_ApplicationFields):
    """Per-environment overrides: any application field, replacing (maps: extending) the base value."""

    healthcheck: HealthCheckOverride | None = Field(  # type: ignore[assignment]
        None, description="Health check fields to change in this environment (the rest come from the base).",
        examples=[{"timeout": 10}],
    )


Kind = Literal["web", "backend", "worker", "job"]
Connect = bool | Annotated[str, _matches(
    DISCOVERY_NAME_PATTERN, lambda v: f"'{v}' is not a discovery name; use a DNS label (lowercase letters, digits, "
    "hyphens), or true for the application's name"), _schema_pattern(DISCOVERY_NAME_PATTERN)]


class _KindFields(Model):
    """What kind of application it is and how it talks to the others; set once, not per environment."""

    kind: Kind = Field(
        "web", description="web: behind the load balancer; backend: a service reached only by other applications; "
        "worker: a service consuming its SQS queue; job: a task run on a schedule or with `ecsp run`.")
    connect: Connect = Field(
        False, description="Service Connect: true (web, backend: others call http://<app>:<port>; worker: calls "
        "others), or a discovery name to use instead of the application's name. Not for jobs.", examples=[True])
    publish: list[Topic] = Field(
        default_factory=list, description="SNS topics this application publishes (ARNs in ECSP_SNS_TOPIC_ARNS).",
        examples=[["created"]])
    subscribe: list[SubscriptionConfig] = Field(
        default_factory=list, description="Workers: topics their queue receives, as {app, topic, filter}.",
        examples=[[{"app": "web", "topic": "created"}]])

    @field_validator("publish")
    @classmethod
    def _topics_unique(cls, v: list[str]) -> list[str]:
        _raise_all([FieldError((i,), f"'{t}' is listed twice; remove one") for i, t in enumerate(v) if t in v[:i]])
        return v


class Application(_KindFields):
    """One application's effective settings in one environment (defaults applied, overrides merged)."""

    image: ImageConfig = Field(description="The container image.")
    port: int | None = Field(None, ge=1, le=65535, description="Container port.")
    path: UrlPath = Field("/", max_length=120, description="URL path prefix.")
    healthcheck: HealthCheckConfig = Field(default_factory=HealthCheckConfig, description="Health check.")
    container_healthcheck: ContainerHealthCheckConfig | None = Field(None, description="Container health check.")
    cpu: int = Field(DEFAULT_CPU, description="Task CPU units.")
    memory: int = Field(DEFAULT_MEMORY, description="Task memory (MiB).")
    count: Count = Field(1, description="Tasks to run, or an autoscaling range.")
    variables: dict[str, str] = Field(default_factory=dict, description="Environment variables.")
    secrets: dict[str, str] = Field(default_factory=dict, description="Secret environment variables.")
    placement: Literal["public", "private"] = Field("public", description="Subnets the tasks run in.")
    platform: Literal["linux/x86_64", "linux/arm64"] = Field("linux/x86_64", description="CPU architecture.")
    exec: bool = Field(False, description="Enable ECS Exec.")
    log_retention: int = Field(30, description="Days to keep logs.")
    deregistration_delay: int = Field(60, description="Seconds to drain a stopping task.")
    aliases: list[str] = Field(default_factory=list, description="Extra host names.")
    queue: QueueConfig = Field(default_factory=QueueConfig, description="A worker's queue.")
    schedule: str | None = Field(None, description="A job's schedule expression, or none.")
    timeout: int | None = Field(None, description="Seconds a job's run may take.")
    retries: int = Field(0, description="Times a failed job run is retried.")
    sidecars: dict[str, SidecarConfig] = Field(default_factory=dict, description="Extra containers.")
    depends_on: dict[str, Condition] = Field(default_factory=dict, description="Containers the application waits for.")
    logging: LoggingConfig | None = Field(None, description="FireLens log routing (None: awslogs).")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="EFS volumes.")
    deployment: DeploymentConfig = Field(default_factory=DeploymentConfig, description="Deployment percentages.")
    capacity: Capacity = Field("on-demand", description="on-demand, spot or {spot, base}.")

    @model_validator(mode="after")
    def _cpu_memory_pair(self) -> Application:
        if not fargate.is_valid(self.cpu, self.memory):
            raise FieldError(("memory",), _pair_message(self.cpu, self.memory))
        return self

    @model_validator(mode="after")
    def _variable_and_secret_names_differ(self) -> Application:
        _raise_all(_both_ways(self.variables, self.secrets))
        return self

    @model_validator(mode="after")
    def _fields_suit_the_kind(self) -> Application:
        _raise_all(kind_problems(self))
        return self

    @property
    def is_service(self) -> bool:
        """Whether ECS keeps tasks running (web, backend, worker); a job's tasks run to completion."""
        return self.kind != "job"

    def discovery_name(self, application: str) -> str | None:
        """The Service Connect name others call, or None when it serves none (no connect, a worker, a job)."""
        if not self.connect or self.kind not in ("web", "backend"):
            return None
        return self.connect if isinstance(self.connect, str) else application

    @property
    def managed_volume(self) -> tuple[str, VolumeConfig] | None:
        """The volume on the environment's managed file system (at most one), with its name."""
        return next(((n, v) for n, v in self.storage.volumes.items() if v.efs is True), None)

    @property
    def autoscaling(self) -> AutoscalingConfig | None:
        return self.count if isinstance(self.count, AutoscalingConfig) else None

    @property
    def desired_count(self) -> int:
        return self.count.min if isinstance(self.count, AutoscalingConfig) else self.count


# Fields that only make sense for some kinds, and the kinds they suit.
_KIND_ONLY: dict[str, tuple[tuple[str, ...], str]] = {
    "path": (("web",), "the load balancer routes a path only to web applications"),
    "deregistration_delay": (("web",), "only web applications are behind the load balancer"),
    "subscribe": (("worker",), "only a worker has a queue to receive topics"),
    "queue": (("worker",), "only a worker has a queue"),
    "schedule": (("job",), "only a job runs on a schedule"),
    "timeout": (("job",), "only a job's runs end and can time out"),
    "retries": (("job",), "only a job's runs end and can be retried"),
    "aliases": (("web",), "only web applications have host names on the load balancer"),
    "healthcheck": (("web",), "the load balancer checks only web applications (container_healthcheck checks any "
                    "kind from inside its container)"),
    "deployment": (("web", "backend", "worker"), "only services roll out deployments; a job's runs are tasks"),
    "capacity": (("web", "backend", "worker"), "a job's runs are started by its state machine on FARGATE"),
}


def kind_problems(app: Application) -> list[FieldError]:
    """Fields that do not suit the application's kind, or that its kind needs, each with the fix."""
    kind = app.kind
    called = "web application" if kind == "web" else kind
    errors: list[FieldError] = []
    for field, (suited, why) in _KIND_ONLY.items():
        if field in app.model_fields_set and kind not in suited and getattr(app, field) not in (None, []):
            errors.append(FieldError((field,), f"{why}, and this is a {called}; remove {field}, or set kind: "
                                               f"{suited[0]}"))
    if kind == "web" and app.port is None:
        errors.append(FieldError(("port",), "'port' is required for a web application (the load balancer forwards "
                                            "to it); add it, e.g. port: 80"))
    if kind == "backend" and app.connect and app.port is None:
        errors.append(FieldError(("port",), "a backend with connect needs the port other applications call; add it, "
                                            "e.g. port: 8080"))
    if kind == "job" and app.connect:
        errors.append(FieldError(("connect",), "a job runs to completion, so Service Connect (which serves and calls "
                                               "through a long-running proxy) does not apply; remove connect"))
    if kind == "worker" and isinstance(app.connect, str):
        errors.append(FieldError(("connect",), "a worker only calls other applications (it serves no port), so it "
                                               "has no discovery name; write connect: true"))
    if kind == "job" and app.schedule is None:
        errors.append(FieldError(("schedule",), "a job needs a schedule; add e.g. schedule: \"rate(1 day)\", "
                                                "schedule: \"cron(0 3 * * ? *)\" or schedule: none (run it with "
                                                "`ecsp run`)"))
    if kind == "job" and "count" in app.model_fields_set:
        errors.append(FieldError(("count",), "a job starts one task per run; remove count"))
    scaling = app.autoscaling
    if scaling is not None and kind != "web" and scaling.requests is not None:
        errors.append(FieldError(("count", "requests"), f"a {called} is not behind the load balancer, so there are no "
                                                        "requests to count; scale on cpu_percentage or "
                                                        "memory_percentage" + (", or queue_delay" if kind == "worker"
                                                                               else "")))
    if scaling is not None and kind != "worker" and scaling.queue_delay is not None:
        errors.append(FieldError(("count", "queue_delay"), f"only a worker has a queue to scale on, and this is a "
                                                           f"{called}; remove queue_delay, or set kind: worker"))
    return errors


class ApplicationConfig(_KindFields, _ApplicationFields):
    """An application as written in ecsp.yaml: base settings plus per-environment overrides."""

    image: ImageConfig = Field(description="The container image: {location: URI} or {build: DIR}.",
                               examples=[{"location": "public.ecr.aws/nginx/nginx:stable"}, {"build": "./web"}])
    port: int | None = Field(None, ge=1, le=65535, examples=[80], description="Container port: required for web "
                             "(the load balancer forwards to it) and for a backend with connect (others call it).")
    environments: dict[str, ApplicationOverride] = Field(
        default_factory=dict, description="Per-environment overrides: an environment's name, then any of the "
        "application's fields with the value to use there.", examples=[{"prod": {"count": 3, "memory": 1024}}],
    )


# --------------------------------------------------------------------------- container rules


def container_problems(settings: Application, app: str) -> list[FieldError]:
    """Names, ports, dependencies and mount points across one task's containers (paths relative to the app).

    Needs the application's name (its container's), so it runs after resolution rather than
    as a validator of :class:`Application`.
    """
    errors: list[FieldError] = []
    if app in settings.sidecars:
        errors.append(FieldError(("sidecars", app), f"'{app}' is the application's own container; give the "
                                                    "sidecar another name"))
    # A worker or job may have no port of its own.
    ports: dict[int, str] = {settings.port: "the application's port"} if settings.port is not None else {}
    for name, car in settings.sidecars.items():
        if car.port is None:
            continue
        if car.port in ports:
            errors.append(FieldError(("sidecars", name, "port"), f"{car.port} is already {ports[car.port]}; containers "
                                                                 "of a task share one network, give each its own port"))
        else:
            ports[car.port] = f"the port of sidecar '{name}'"
    errors += _dependency_problems(settings, app)
    errors += _mount_problems(settings)
    return errors


def containers_of(settings: Application, app: str) -> dict[str, tuple[bool, bool]]:
    """Every container of the task: name -> (essential, has a health check)."""
    out = {app: (True, settings.container_healthcheck is not None)}
    if settings.logging is not None:
        out[LOG_ROUTER] = (True, False)
    for name, car in settings.sidecars.items():
        out.setdefault(name, (car.essential, car.healthcheck is not None))
    return out


def _dependency_problems(settings: Application, app: str) -> list[FieldError]:
    known = containers_of(settings, app)
    edges: dict[str, dict[str, Condition]] = {app: dict(settings.depends_on)}
    edges.update({name: dict(car.depends_on) for name, car in settings.sidecars.items() if name != app})
    errors: list[FieldError] = []
    for source, targets in edges.items():
        at: tuple[str | int, ...] = ("depends_on",) if source == app else ("sidecars", source, "depends_on")
        for target, condition in targets.items():
            where = (*at, target)
            if target == source:
                errors.append(FieldError(where, "a container cannot wait for itself; remove this entry"))
            elif target not in known:
                others = [n for n in known if n != source]
                close = difflib.get_close_matches(target, others, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else \
                    f"containers: {', '.join(others)}" if others else "add it under sidecars"
                errors.append(FieldError(where, f"there is no container '{target}' in this task; {hint}"))
            elif condition in ("complete", "success") and known[target][0]:
                errors.append(FieldError(where, f"'{target}' is essential, and ECS lets containers wait for "
                                                f"{condition} only of containers that may exit; set essential: false "
                                                f"on '{target}', or wait for start"))
            elif condition == "healthy" and not known[target][1]:
                errors.append(FieldError(where, f"'{target}' has no container health check to become healthy; add a "
                                                "healthcheck to it, or wait for start"))
    cycle = _cycle({s: [t for t in ts if t in known and t != s] for s, ts in edges.items()})
    if cycle:
        first = cycle[0]
        at = ("depends_on",) if first == app else ("sidecars", first, "depends_on")
        errors.append(FieldError((*at, cycle[1]), f"containers wait for each other in a circle "
                                                  f"({' -> '.join(cycle)}); ECS could start none of them: remove one "
                                                  "of these dependencies"))
    return errors


def _cycle(edges: Mapping[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path that starts and ends at the same container, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in edges:
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def _mount_problems(settings: Application) -> list[FieldError]:
    errors: list[FieldError] = []
    volumes = settings.storage.volumes
    seen: dict[str, str] = {}
    for name, vol in volumes.items():
        path = vol.path.rstrip("/") or "/"
        if path in seen:
            errors.append(FieldError(("storage", "volumes", name, "path"),
                                     f"'{vol.path}' is already where volume '{seen[path]}' is mounted; give each "
                                     "volume its own path"))
        seen.setdefault(path, name)
    for car_name, car in settings.sidecars.items():
        car_seen: dict[str, str] = {}
        for vol_name, where in car.mount_points.items():
            at = ("sidecars", car_name, "mount_points", vol_name)
            if vol_name not in volumes:
                hint = f"volumes: {', '.join(volumes)}" if volumes else "add it under storage.volumes"
                errors.append(FieldError(at, f"there is no volume '{vol_name}'; {hint}"))
                continue
            path = where.rstrip("/") or "/"
            if path in car_seen:
                errors.append(FieldError(at, f"'{where}' is already where volume '{car_seen[path]}' is mounted in "
                                             f"'{car_name}'; give each volume its own path"))
            car_seen.setdefault(path, vol_name)
    return errors


def _container_errors(
    cfg: ApplicationConfig, settings: Application, app: str, env: str
) -> list[FieldError]:
    """:func:`container_problems`, each placed on the line it comes from: the environment's override or the base."""
    override = cfg.environments.get(env)
    out = []
    for e in container_problems(settings, app):
        if override is not None and _from_override(override, e.path):
            out.append(FieldError(("applications", app, "environments", env, *e.path),
                                  f"in environment '{env}', merged with the base settings: {e.message}"))
        else:
            out.append(FieldError(("applications", app, *e.path), e.message))
    return out


def _from_override(override: ApplicationOverride, path: tuple[str | int, ...]) -> bool:
    field = str(path[0])
    if field not in override.model_fields_set or getattr(override, field) is None:
        return False
    if field == "sidecars" and len(path) > 1:
        return path[1] in (override.sidecars or {})
    if field == "storage" and len(path) > 2 and override.storage is not None:
        return path[2] in override.storage.volumes
    return True

# --------------------------------------------------------------------------- pipelines


CONNECTION_ARN_PATTERN = (r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:"
                          r"connection/[A-Za-z0-9-]+$")
SNS_TOPIC_ARN_PATTERN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"
REPOSITORY_PATTERN = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$"
CODECOMMIT_PATTERN = r"^[A-Za-z0-9_.-]{1,100}$"
BRANCH_PATTERN = r"^[^\s~^:?*\[\\]+$"
# Git hosts CodePipeline reaches through a CodeStar connection, and the connection's provider type.
CONNECTION_PROVIDERS = {"github": "GitHub", "bitbucket": "Bitbucket", "gitlab": "GitLab"}
PASSPHRASE_VARIABLE = "PULUMI_CONFIG_PASSPHRASE"
TOKEN_VARIABLE = "PULUMI_ACCESS_TOKEN"

ConnectionArn = Annotated[str, _matches(
    CONNECTION_ARN_PATTERN, lambda v: f"'{v}' is not a CodeStar connection ARN; use "
    "arn:aws:codestar-connections:REGION:ACCOUNT:connection/ID (the console's Settings > Connections lists it)"),
    _schema_pattern(CONNECTION_ARN_PATTERN)]
TopicArn = Annotated[str, _matches(
    SNS_TOPIC_ARN_PATTERN, lambda v: f"'{v}' is not an SNS topic ARN; use arn:aws:sns:REGION:ACCOUNT:NAME"),
    _schema_pattern(SNS_TOPIC_ARN_PATTERN)]
Branch = Annotated[str, _matches(
    BRANCH_PATTERN, lambda v: f"'{v}' is not a git branch name; use e.g. main"), _schema_pattern(BRANCH_PATTERN)]


class PipelineStage(Model):
    """One deploy stage of a pipeline: an environment, deployed after the stages before it succeeded."""

    environment: str = Field(description="The environment this stage deploys (a name under environments).",
                             examples=["test"])
    approval: Literal["manual"] | None = Field(
        None, description="manual: a person approves in the CodePipeline console before this stage deploys.")
    test_commands: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="Shell commands run after the deploy (in the build container, in the "
        "repository); a failing command fails the stage.", examples=[["curl -fsS $ECSP_URL"]])
    deploy: list[str] | None = Field(
        None, description="Only these applications (default: the environment and every application).",
        examples=[["web"]], min_length=1)


class PipelineConfig(Model):
    """A release pipeline: a source branch, then one stage per environment, in order (CodePipeline V2)."""

    source: Literal["github", "bitbucket", "gitlab", "codecommit"] = Field(
        description="Where the code is: github, bitbucket or gitlab (through a CodeStar connection) or codecommit.")
    repository: str = Field(description="owner/name for github, bitbucket and gitlab; the repository name for "
                            "codecommit.", examples=["acme/shop"], min_length=1, max_length=200)
    branch: Branch = Field("main", description="The branch whose pushes start the pipeline.", max_length=200)
    connection: Literal["create"] | None = Field(
        None, description="create: ecsp creates the CodeStar connection; it stays PENDING until a person "
        "completes the handshake in the console (Developer Tools > Settings > Connections).")
    connection_arn: ConnectionArn | None = Field(None, description="An existing CodeStar connection to use.")
    stages: list[PipelineStage] = Field(description="Deploy stages, in order; a failed stage stops the later ones.",
                                        min_length=1, examples=[[{"environment": "test"}]])
    approval_topic: TopicArn | None = Field(
        None, description="SNS topic that manual approvals notify (optional).")
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Environment variables of the build from SSM parameters or Secrets "
        f"Manager ARNs: {PASSPHRASE_VARIABLE} for a passphrase secrets provider, {TOKEN_VARIABLE} for Pulumi "
        "Cloud.", examples=[{PASSPHRASE_VARIABLE: "/shop/pulumi-passphrase"}])
    file: str = Field("ecsp.yaml", min_length=1, description="Path of this ecsp.yaml in the repository.")
    install: str = Field(
        "pip install .", min_length=1,
        description="How the build installs ecsp (run in the repository), e.g. pip install . or pip install ecsp.")

    @field_validator("secrets")
    @classmethod
    def _secret_refs(cls, v: dict[str, str]) -> dict[str, str]:
        errors = [FieldError((name,), f"'{name}' is not a valid environment variable name; use letters, digits "
                                      "and _, not starting with a digit")
                  for name in v if not re.fullmatch(ENV_VAR_PATTERN, name)]
        errors += [FieldError((name,), f"'{ref}' is not an SSM parameter name or an SSM/Secrets Manager ARN; use "
                                       "e.g. /shop/pulumi-passphrase")
                   for name, ref in v.items() if secret_kind(ref) is None]
        _raise_all(errors)
        return v

    @model_validator(mode="after")
    def _source_has_what_it_needs(self) -> PipelineConfig:
        if self.source == "codecommit":
            if self.connection or self.connection_arn:
                key = "connection" if self.connection else "connection_arn"
                raise FieldError((key,), f"codecommit needs no connection; remove {key}")
            if not re.fullmatch(CODECOMMIT_PATTERN, self.repository):
                raise FieldError(("repository",), f"'{self.repository}' is not a CodeCommit repository name; use "
                                                  "the name alone, e.g. shop")
            return self
        if not re.fullmatch(REPOSITORY_PATTERN, self.repository):
            raise FieldError(("repository",), f"'{self.repository}' is not owner/name; use e.g. acme/shop")
        if self.connection and self.connection_arn:
            raise FieldError(("connection_arn",), "set only one of connection: create (ecsp creates one) or "
                                                  "connection_arn (use an existing one)")
        if not self.connection and not self.connection_arn:
            raise FieldError((), f"a {self.source} source needs a CodeStar connection; add connection: create "
                                 "(ecsp creates it, and a person completes the handshake in the console once) or "
                                 "connection_arn: ARN of an existing one")
        return self

    def applications_of(self, stage: PipelineStage, applications: Collection[str]) -> list[str]:
        """The applications ``stage`` deploys: its ``deploy`` list, else every application."""
        return list(stage.deploy) if stage.deploy is not None else list(applications)


# --------------------------------------------------------------------------- the project


# Maps merged key by key (an override's entry replaces the base's entry of that name).
_MERGED_MAPS = ("variables", "secrets", "sidecars")
_MERGED_MODELS = ("healthcheck",)
# Models holding one such map: storage.volumes merges volume by volume.
_MERGED_NESTED_MAPS = {"storage": "volumes"}
Resolved = dict[tuple[str, str], Application]


class ProjectConfig(Model):
    """A whole ecsp project: the project, its environments and its applications."""

    project: ProjectSection = Field(description="The project.",
                                    examples=[{"name": "shop", "region": "us-west-2"}])
    # The names' rules are checked by _names (for the messages); the schema repeats them for editors.
    environments: dict[str, EnvironmentConfig] = Field(
        description="Environments by name (e.g. test, prod).", examples=[{"test": {"region": "us-west-2"}}],
        json_schema_extra={"minProperties": 1,
                           "propertyNames": {"pattern": NAME_PATTERN, "maxLength": naming.MAX_ENVIRONMENT}},
    )
    applications: dict[str, ApplicationConfig] = Field(
        default_factory=dict, description="Applications by name.",
        examples=[{"web": {"image": {"location": "public.ecr.aws/nginx/nginx:stable"}, "port": 80}}],
        json_schema_extra={"propertyNames": {"pattern": NAME_PATTERN, "maxLength": naming.MAX_APPLICATION}},
    )
    state: StateConfig = Field(default_factory=StateConfig, description="Pulumi state backend and secrets.")
    pipelines: dict[str, PipelineConfig] = Field(
        default_factory=dict, description="Release pipelines by name: a source branch, then one stage per "
        "environment (CodePipeline V2 in the project account). `ecsp plan --with-pipeline` shows them.",
        json_schema_extra={"propertyNames": {"pattern": NAME_PATTERN, "maxLength": naming.MAX_PIPELINE}},
    )

    _resolved: Resolved = PrivateAttr(default_factory=dict)

    @field_validator("environments", "applications")
    @classmethod
    def _names(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        kind = "environment" if info.field_name == "environments" else "application"
        if kind == "environment" and not v:
            raise ValueError("define at least one environment, e.g. test: {region: us-west-2}")
        limit = naming.MAX_ENVIRONMENT if kind == "environment" else naming.MAX_APPLICATION
        _raise_all([FieldError((name,), problem) for name in v if (problem := _name_problem(kind, name, limit))])
        return v

    @field_validator("pipelines")
    @classmethod
    def _pipeline_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        _raise_all([FieldError((name,), problem) for name in v
                    if (problem := _name_problem("pipeline", name, naming.MAX_PIPELINE))])
        return v

    @model_validator(mode="after")
    def _cross_field_rules(self) -> ProjectConfig:
        # One validator runs every rule: pydantic skips the remaining model validators once one
        # fails, and a user fixing a file wants to see all of its problems at once.
        resolved, errors = check_project(self.project, self.environments, self.applications)
        errors += check_pipelines(self)
        _raise_all(errors)
        self._resolved.update(resolved)
        return self

    # ----------------------------------------------------------------- queries

    def application(self, environment: str, application: str) -> Application:
        """Effective settings of ``application`` in ``environment``."""
        return self._resolved[(environment, application)]

    def account_of(self, environment: str) -> str | None:
        return self.environments[environment].account or self.project.account

    def needs_file_system(self, environment: str) -> bool:
        """Whether any application in ``environment`` (after its overrides) mounts the managed EFS file system."""
        return any(self.application(environment, app).managed_volume is not None for app in self.applications)

    def regions(self) -> list[str]:
        """Regions that host at least one environment, in first-seen order."""
        return list(dict.fromkeys(e.region for e in self.environments.values()))

    def artifact_regions(self) -> list[str]:
        """Regions of the project's artifacts: those of the environments, plus the home region with a pipeline.

        A pipeline's source action runs in the home region, so its artifact store must be there.
        """
        regions = self.regions()
        if self.pipelines and self.project.region not in regions:
            regions.append(self.project.region)
        return regions

    def pipelines_deploying(self, environment: str) -> list[str]:
        """Names of the pipelines with a stage that deploys ``environment``."""
        return [name for name, p in self.pipelines.items() if any(s.environment == environment for s in p.stages)]

    def deployments(self) -> Iterator[tuple[str, str]]:
        """Every (environment, application) pair."""
        for env in self.environments:
            for app in self.applications:
                yield env, app


# --------------------------------------------------------------------------- cross-field rules


def check_project(
    project: ProjectSection | None,
    environments: Mapping[str, EnvironmentConfig],
    applications: Mapping[str, ApplicationConfig],
    known_environments: Collection[str] | None = None,
) -> tuple[Resolved, list[FieldError]]:
    """Run every cross-field rule; return the resolved applications and every problem found.

    Works on a subset too (see :func:`partial_problems`): ``known_environments`` are all the
    environment names written in the file, valid or not, so an override is not reported as
    naming an unknown environment just because that environment has a problem of its own.
    """
    known = list(environments) if known_environments is None else list(known_environments)
    errors = overrides_name_known_environments(applications, known)
    resolved, resolution_errors = resolve_applications(environments, applications)
    errors += resolution_errors
    errors += paths_unique_per_environment(environments, applications, resolved)
    errors += private_placement_needs_nat(environments, applications, resolved)
    errors += subscriptions_name_published_topics(environments, applications, resolved)
    errors += queue_scaling_needs_container_insights(environments, applications, resolved)
    if project is not None:
        errors += derived_names_fit(project, environments, applications)
        errors += certificates_in_environment_account(project, environments)
        errors += aliases_are_routable(project, environments, applications, resolved)
    return resolved, errors


def check_pipelines(config: ProjectConfig) -> list[FieldError]:
    """Each pipeline's stages name known environments (once each) and applications, and its build can deploy.

    The build runs in CodeBuild, far from this machine: it cannot reach a file backend, and it
    needs the passphrase or Pulumi Cloud token as a build secret.
    """
    errors: list[FieldError] = []
    envs = list(config.environments)
    apps = list(config.applications)
    state = config.state
    for name, pipeline in config.pipelines.items():
        where: tuple[str | int, ...] = ("pipelines", name)
        seen: dict[str, int] = {}
        for i, stage in enumerate(pipeline.stages):
            at = (*where, "stages", i)
            env = stage.environment
            if env not in config.environments:
                close = difflib.get_close_matches(env, envs, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "add it under environments, or remove this stage"
                errors.append(FieldError((*at, "environment"), f"there is no environment '{env}' (environments: "
                                                               f"{', '.join(envs)}); {hint}"))
                continue
            if env in seen:
                errors.append(FieldError((*at, "environment"), f"stages[{seen[env]}] already deploys '{env}'; a "
                                                               "pipeline deploys each environment once: remove "
                                                               "this stage or name another environment"))
            seen.setdefault(env, i)
            for j, app in enumerate(stage.deploy or []):
                if app not in config.applications:
                    close = difflib.get_close_matches(app, apps, n=1, cutoff=0.6)
                    hint = f"did you mean '{close[0]}'?" if close else "remove it, or add it under applications"
                    errors.append(FieldError((*at, "deploy", j), f"there is no application '{app}' (applications: "
                                                                 f"{', '.join(apps) or 'none'}); {hint}"))
            account = config.account_of(env)
            if account is not None and config.project.account is None:
                errors.append(FieldError((*at, "environment"), f"environment '{env}' is in account {account}, and "
                                                               "the pipeline's build role lives in the project "
                                                               "account, which ecsp.yaml does not name; set "
                                                               "project.account so the deploy role can trust it"))
        backend = state.backend
        if backend is None or backend.startswith("file://"):
            what = "the default file backend (.ecsp/state on this machine)" if backend is None else f"'{backend}'"
            errors.append(FieldError(("state", "backend") if backend else where,
                                     f"the pipeline's build runs in CodeBuild, which cannot reach {what}; set "
                                     "state.backend to s3://BUCKET/prefix or https://api.pulumi.com (and move the "
                                     "state there first: `pulumi stack export`/`import`)"))
        elif backend.startswith(("https://", "http://")) and TOKEN_VARIABLE not in pipeline.secrets:
            errors.append(FieldError((*where, "secrets") if pipeline.secrets else where,
                                     f"the build needs a Pulumi Cloud token to reach {backend}; add secrets: "
                                     f"{{{TOKEN_VARIABLE}: /{config.project.name}/pulumi-token}} (an SSM parameter "
                                     "or Secrets Manager ARN)"))
        cloud = (backend or "").startswith(("https://", "http://"))
        # "default" is Pulumi's own choice: the service's key on Pulumi Cloud, a passphrase elsewhere.
        passphrase = state.secrets_provider == "passphrase" or (state.secrets_provider == "default" and not cloud)
        if passphrase and PASSPHRASE_VARIABLE not in pipeline.secrets:
            errors.append(FieldError((*where, "secrets") if pipeline.secrets else where,
                                     f"the stacks' secrets use a passphrase, which the build must have; add "
                                     f"secrets: {{{PASSPHRASE_VARIABLE}: /{config.project.name}/pulumi-passphrase}} "
                                     "(an SSM SecureString or Secrets Manager ARN), or use state.secrets_provider: "
                                     "awskms://alias/NAME?region=R"))
    return errors


def overrides_name_known_environments(
    applications: Mapping[str, ApplicationConfig], known: Collection[str]
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not known:
        return errors  # no readable environments: every override would look wrong
    for app, cfg in applications.items():
        for env in cfg.environments:
            if env not in known:
                close = difflib.get_close_matches(env, list(known), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "add it under environments, or remove this override"
                errors.append(FieldError(("applications", app, "environments", env),
                                         f"there is no environment '{env}' (environments: {', '.join(known)}); "
                                         f"{hint}"))
    return errors


def resolve_applications(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig]
) -> tuple[Resolved, list[FieldError]]:
    """Merge each application's overrides into its base for every environment, and validate the result."""
    resolved: Resolved = {}
    errors: list[FieldError] = []
    for app, cfg in applications.items():
        for env in environments:
            override = cfg.environments.get(env)
            pair = _cpu_memory_problem(cfg, app, env)
            if pair is not None:
                errors.append(pair)
                continue
            try:
                settings = _resolve(cfg, override)
            except ValidationError as e:
                errors.extend(_resolution_errors(e, app, env, override))
                continue
            container_errors = _container_errors(cfg, settings, app, env)
            if container_errors:
                errors.extend(container_errors)
            else:
                resolved[(env, app)] = settings
    return resolved, errors


def paths_unique_per_environment(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved,
) -> list[FieldError]:
    """Each path is routed to one application per load balancer (so at most one takes '/')."""
    errors = []
    for env in environments:
        seen: dict[str, str] = {}
        for app, cfg in applications.items():
            # Only web applications have a rule on the load balancer (other kinds may not set a path).
            if (env, app) not in resolved or resolved[(env, app)].kind != "web":
                continue
            path = resolved[(env, app)].path
            if path not in seen:
                seen[path] = app
                continue
            first = seen[path]
            where = _field_path(cfg, env, "path", app)
            overridden = _overridden(cfg, env, "path") or _overridden(applications[first], env, "path")
            in_env = f" in environment '{env}'" if overridden else ""
            if path != "/":
                message = f"'{path}' is already the path of application '{first}'{in_env}; give '{app}' its own path"
            elif _is_set(cfg, env, "path"):
                message = (f"only one application may use the root path '/', and '{first}' already does{in_env}; "
                           f"give '{app}' its own path, e.g. /{app}")
            else:
                message = (f"'{app}' has no path, so it gets the root path '/', which '{first}' already uses"
                           f"{in_env}; set path, e.g. path: /{app}")
            errors.append(FieldError(where, message))
    return errors


def subscriptions_name_published_topics(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved,
) -> list[FieldError]:
    """Each subscription names an application of the project and a topic that application publishes."""
    errors = []
    for app, cfg in applications.items():
        for i, sub in enumerate(cfg.subscribe):
            where: tuple[str | int, ...] = ("applications", app, "subscribe", i)
            publisher = applications.get(sub.app)
            if publisher is None:
                close = difflib.get_close_matches(sub.app, [a for a in applications if a != app], n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "name one of the applications of ecsp.yaml"
                errors.append(FieldError((*where, "app"), f"there is no application '{sub.app}'; {hint}"))
            elif sub.topic not in publisher.publish:
                listed = (f"it publishes {_quoted_list(publisher.publish)}" if publisher.publish
                          else "it publishes no topics")
                errors.append(FieldError((*where, "topic"), f"'{sub.app}' publishes no topic '{sub.topic}' ({listed}); "
                                                            f"add '{sub.topic}' to applications.{sub.app}.publish, or "
                                                            "subscribe to one it publishes"))
            if (sub.app, sub.topic) in [(s.app, s.topic) for s in cfg.subscribe[:i]]:
                errors.append(FieldError(where, f"{sub.app}/{sub.topic} is subscribed twice; remove one"))
    errors += _subscription_cycles(applications)
    return errors


def _subscription_cycles(applications: Mapping[str, ApplicationConfig]) -> list[FieldError]:
    """A worker's stack deploys after those it subscribes to (ecsp.graph), so subscriptions may not form a loop."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for app, cfg in applications.items():
        sorter.add(app, *(s.app for s in cfg.subscribe if s.app in applications and s.app != app))
    try:
        sorter.prepare()
    except graphlib.CycleError as e:
        loop: list[str] = list(e.args[1])[::-1]  # graphlib lists a loop against the edges' direction
        return [FieldError(("applications", loop[0], "subscribe"),
                           f"subscriptions form a loop ({' -> '.join(loop)}), and each worker deploys after the "
                           "applications it subscribes to; break the loop (e.g. publish the topic from a third "
                           "application)")]
    return []


def _lacking_by_line(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved, field: str, lacks: Callable[[Application, EnvironmentConfig], bool],
) -> dict[tuple[str | int, ...], list[str]]:
    """The environments where an application's setting of ``field`` lacks what it needs, by the line that set it.

    A base setting is one problem however many environments lack it; an override is its own.
    """
    found: dict[tuple[str | int, ...], list[str]] = {}
    for app, cfg in applications.items():
        for env, env_cfg in environments.items():
            settings = resolved.get((env, app))
            if settings is not None and lacks(settings, env_cfg):
                found.setdefault(_field_path(cfg, env, field, app), []).append(env)
    return found


def queue_scaling_needs_container_insights(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved,
) -> list[FieldError]:
    """Backlog per task divides by the running task count, which ECS publishes only with Container Insights."""
    def lacks(settings: Application, env: EnvironmentConfig) -> bool:
        scaling = settings.autoscaling
        return scaling is not None and scaling.queue_delay is not None and not env.container_insights

    errors = []
    for where, envs in _lacking_by_line(environments, applications, resolved, "count", lacks).items():
        fix = " and ".join(f"environments.{e}.container_insights: true" for e in envs)
        errors.append(FieldError((*where, "queue_delay"), f"queue_delay scaling divides the queue's backlog by the "
                                                          f"running task count, which ECS publishes only with "
                                                          f"Container Insights; set {fix}, or scale on "
                                                          "cpu_percentage"))
    return errors


def private_placement_needs_nat(
    environments: Mapping[str, EnvironmentConfig], applications: Mapping[str, ApplicationConfig],
    resolved: Resolved,
) -> list[FieldError]:
    """Tasks in private subnets reach ECR and CloudWatch only through a NAT gateway."""
    def lacks(settings: Application, env: EnvironmentConfig) -> bool:
        # An imported VPC brings its own routes: ecsp cannot tell whether its private subnets have NAT.
        return settings.placement == "private" and env.network.nat == "none" and env.network.vpc is None

    errors = []
    for where, envs in _lacking_by_line(environments, applications, resolved, "placement", lacks).items():
        if len(envs) == 1:
            what = f"environment '{envs[0]}' has network.nat: none"
            fix = f"set environments.{envs[0]}.network.nat to single or per-az"
        else:
            what = f"environments {_quoted_list(envs)} have network.nat: none"
            fix = "set network.nat to single or per-az in each"
        errors.append(FieldError(where, f"private placement needs a NAT gateway, and {what}; {fix}, or use "
                                        "placement: public"))
    return errors


def certificates_in_environment_account(
    project: ProjectSection, environments: Mapping[str, EnvironmentConfig]
) -> list[FieldError]:
    """An environment without an account of its own runs in the project account: its certificates must be there."""
    errors = []
    for env, cfg in environments.items():
        if cfg.account is not None or project.account is None:
            continue  # the environment checked its own account; an unknown account cannot be compared
        for i, arn in enumerate(cfg.certificates):
            account = arn.split(":")[4]
            if account != project.account:
                errors.append(FieldError(("environments", env, "certificates", i),
                                         f"the certificate is in account {account} and the environment in the "
                                         f"project account {project.account}; a load balancer uses certificates "
                                         "of its own account: import it there"))
    return errors


# ACM's default quota of names per certificate; the environment's own name and its wildcard take two.
ACM_NAMES_PER_CERTIFICATE = 10


def managed_alias(alias: str, project: str, environment: str, domain: str | None) -> bool:
    """Whether ecsp writes the alias's DNS record and certificate name: it is in the environment's zone."""
    if domain is None:
        return False
    zone = naming.environment_zone(project, environment, domain)
    return alias == zone or alias.endswith(f".{zone}")


def covered_by_wildcard(alias: str, zone: str) -> bool:
    """Whether the environment certificate's own names (``zone`` and ``*.zone``) already cover ``alias``."""
    return alias == zone or (alias.endswith(f".{zone}") and "." not in alias.removesuffix(f".{zone}"))


def extra_certificate_names(project: str, environment: str, domain: str | None, aliases: Iterable[str]) -> list[str]:
    """Managed aliases the environment certificate must add as subject alternative names, sorted."""
    if domain is None:
        return []
    zone = naming.environment_zone(project, environment, domain)
    return sorted({a for a in aliases if managed_alias(a, project, environment, domain)
                   and not covered_by_wildcard(a, zone)})


def aliases_are_routable(
    project: ProjectSection, environments: Mapping[str, EnvironmentConfig],
    applications: Mapping[str, ApplicationConfig], resolved: Resolved,
) -> list[FieldError]:
    """Every alias has a certificate (ecsp's or the environment's) and belongs to one application per environment."""
    domain = project.domain
    # A base alias is one line for every environment: the same problem in several environments is
    # reported once, naming them all. Key: (where, problem) -> environments, in order.
    found: dict[tuple[tuple[str | int, ...], str], list[str]] = {}
    errors = []
    for env, env_cfg in environments.items():
        owner: dict[str, str] = {}
        if domain is not None:
            owner = {naming.application_host(project.name, env, app, domain): app for app in applications}
        for app, cfg in applications.items():
            settings = resolved.get((env, app))
            if settings is None:
                continue
            for i, alias in enumerate(settings.aliases):
                where = (*_field_path(cfg, env, "aliases", app), i)
                first = owner.get(alias)
                if first is not None and first != app:
                    taken = "the host name" if domain and alias == naming.application_host(
                        project.name, env, first, domain) else "an alias"
                    found.setdefault((where, f"'{alias}' is already {taken} of application '{first}' in {{envs}}; "
                                             "a host name routes to one application"), []).append(env)
                    continue
                owner.setdefault(alias, app)
                if managed_alias(alias, project.name, env, domain) or env_cfg.certificates:
                    continue
                if domain is None:
                    fix = "add a certificate that covers it to {certificates}, or set project.domain"
                else:
                    fix = (f"use a name under {naming.environment_zone(project.name, '<env>', domain)} (the "
                           "environment zone ecsp writes records in), or add a certificate that covers it to "
                           "{certificates}")
                found.setdefault((where, f"'{alias}' has no certificate in {{envs}}; {fix}"), []).append(env)
        if domain is not None:
            names = extra_certificate_names(project.name, env, domain, owner)
            room = ACM_NAMES_PER_CERTIFICATE - 2
            if len(names) > room:
                errors.append(FieldError(("environments", env),
                                         f"the environment's certificate would need {len(names) + 2} names "
                                         f"(its own, its wildcard and {', '.join(names)}); ACM allows "
                                         f"{ACM_NAMES_PER_CERTIFICATE} by default: use aliases one label below "
                                         f"{naming.environment_zone(project.name, env, domain)} (its wildcard "
                                         "covers them), or fewer aliases"))
    for (where, message), envs in found.items():
        where_envs = (f"environment '{envs[0]}'" if len(envs) == 1 else f"environments {_quoted_list(envs)}")
        certificates = (f"environments.{envs[0]}.certificates" if len(envs) == 1
                        else "each environment's certificates")
        errors.append(FieldError(where, message.format(envs=where_envs, certificates=certificates)))
    return errors


def derived_names_fit(
    project: ProjectSection, environments: Mapping[str, Any], applications: Mapping[str, Any]
) -> list[FieldError]:
    """Names built from the project, environment and application names (and domain) fit AWS limits."""
    return [FieldError(path, msg) for path, msg in naming.name_limit_problems(
        project.name, project.domain, list(environments), list(applications))]


def partial_problems(data: Any) -> list[FieldError]:
    """Cross-field problems in a file that failed validation, found in the parts that can be read.

    Pydantic runs no model validator once a field fails, so one typo would hide every
    cross-field problem (two applications on '/', private placement without NAT). The loader
    calls this after a failed validation. Each environment and application is validated on
    its own; one with bad fields is *salvaged*: each bad field is dropped or replaced by a
    neutral placeholder, chosen so that no rule can fire because of it (a unique path, a NAT
    that exists, the default cpu/memory pair). The rules then run on what was read. So no
    false alarms, at the price of missing a problem that involves a bad field.
    """
    if not isinstance(data, dict):
        return []
    project = _valid(ProjectSection, data.get("project"))
    raw_envs = data.get("environments")
    raw_apps = data.get("applications")
    raw_envs = raw_envs if isinstance(raw_envs, dict) else {}
    raw_apps = raw_apps if isinstance(raw_apps, dict) else {}
    environments = {name: env for name, raw in raw_envs.items()
                    if isinstance(name, str) and not _name_problem("environment", name, naming.MAX_ENVIRONMENT)
                    and (env := _salvage(EnvironmentConfig, raw, _repair_environment)) is not None}
    applications = {name: app for name, raw in raw_apps.items()
                    if isinstance(name, str) and not _name_problem("application", name, naming.MAX_APPLICATION)
                    and (app := _salvage(ApplicationConfig, raw, _repair_application)) is not None}
    known = [name for name in raw_envs if isinstance(name, str)]
    # Name limits depend on every name; with some names unreadable the check would be incomplete anyway.
    complete = len(environments) == len(raw_envs) and len(applications) == len(raw_apps)
    _, errors = check_project(project if complete else None, environments, applications, known)
    return list(dict.fromkeys(errors))


def _valid(model: type[_M], raw: Any) -> _M | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


Repair = Callable[[dict[str, Any], tuple[str | int, ...]], None]
_SALVAGE_ROUNDS = 4


def _salvage(model: type[_M], raw: Any, repair: Repair) -> _M | None:
    """``raw`` validated as ``model`` after ``repair`` neutralised each bad field; None if that fails."""
    if not isinstance(raw, dict):
        return None
    data = copy.deepcopy(raw)
    for _ in range(_SALVAGE_ROUNDS):
        try:
            return model.model_validate(data)
        except ValidationError as e:
            for err in e.errors():
                if not err["loc"]:
                    return None
                repair(data, tuple(err["loc"]))
    return None


def _repair_environment(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    field = loc[0]
    network = data.get("network")
    if field == "region":
        data["region"] = "us-east-1"  # no rule reads the region
    elif field == "network" and isinstance(network, dict) and loc[1:2] == ("cidr",):
        network.pop("cidr", None)
    elif field == "network":
        # The NAT setting is unreadable: assume NAT exists, so private placement is not blamed for it.
        data["network"] = {"nat": "single"}
    else:
        data.pop(str(field), None)


def _repair_application(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    overrides = data.get("environments")
    if loc[0] == "environments":
        if len(loc) < 3 or not isinstance(overrides, dict) or not isinstance(overrides.get(loc[1]), dict):
            data.pop("environments", None)
            return
        target, field, required = overrides[loc[1]], str(loc[2]), False
    else:
        target, field, required = data, str(loc[0]), True
    if field in ("cpu", "memory"):
        # One unreadable half of the pair would make the other look wrong: fall back to the default pair.
        for place in [data, *(o for o in (overrides or {}).values() if isinstance(o, dict))]:
            place.pop("cpu", None)
            place.pop("memory", None)
    elif field == "path":
        target["path"] = f"/~unreadable-{id(target)}"  # unique: collides with no other application
    elif field == "schedule":
        target["schedule"] = "none"  # a job's schedule was written, just wrong: do not also call it missing
    elif required and field in _PLACEHOLDERS:
        data[field] = copy.deepcopy(_PLACEHOLDERS[field])
    else:
        target.pop(field, None)


# Required application fields that no cross-field rule reads.
_PLACEHOLDERS: dict[str, Any] = {"image": {"location": "unreadable"}, "port": 80}


# --------------------------------------------------------------------------- helpers


def _resolve(base: ApplicationConfig, override: ApplicationOverride | None) -> Application:
    data = base.model_dump(exclude={"environments"}, exclude_none=True, exclude_unset=True)
    data["image"] = base.image
    if override is not None:
        for key, value in override.model_dump(exclude_none=True, exclude_unset=True).items():
            if key in _MERGED_MAPS:
                data[key] = {**data.get(key, {}), **value}
            elif key in _MERGED_NESTED_MAPS and key in data:
                inner = _MERGED_NESTED_MAPS[key]
                data[key] = {**data[key], **value, inner: {**data[key].get(inner, {}), **value.get(inner, {})}}
            elif key in _MERGED_MODELS and key in data:
                data[key] = {**data[key], **value}
            elif key == "image":
                data[key] = override.image
            else:
                data[key] = value
    return Application.model_validate(data)


def _is_set(cfg: ApplicationConfig, env: str, field: str) -> bool:
    return _overridden(cfg, env, field) or getattr(cfg, field) is not None


def _overridden(cfg: ApplicationConfig, env: str, field: str) -> bool:
    override = cfg.environments.get(env)
    return override is not None and getattr(override, field) is not None


def _field_path(cfg: ApplicationConfig, env: str, field: str, app: str) -> tuple[str | int, ...]:
    """Where a resolved field came from: the environment's override if it sets it, else the base."""
    if _overridden(cfg, env, field):
        return ("applications", app, "environments", env, field)
    return ("applications", app, field)


def _setting(cfg: ApplicationConfig, env: str, field: str, default: int) -> tuple[int, str]:
    """The value of ``field`` in ``env`` and where it comes from: 'override', 'base' or 'default'."""
    override = cfg.environments.get(env)
    if override is not None and getattr(override, field) is not None:
        return getattr(override, field), "override"
    if getattr(cfg, field) is not None:
        return getattr(cfg, field), "base"
    return default, "default"


def _cpu_memory_problem(cfg: ApplicationConfig, app: str, env: str) -> FieldError | None:
    """A cpu/memory pair that Fargate rejects, reported where the user can fix it.

    The pair may mix the base, an override and the defaults; the message points at the value
    that made it invalid (an override, when there is one) and says which memory sizes work.
    """
    cpu, cpu_source = _setting(cfg, env, "cpu", DEFAULT_CPU)
    memory, memory_source = _setting(cfg, env, "memory", DEFAULT_MEMORY)
    if fargate.is_valid(cpu, memory):
        return None
    options = fargate.describe_options(cpu)
    in_env = f" in environment '{env}'"
    if memory_source == "default":
        return FieldError(_field_path(cfg, env, "cpu", app),
                          f"cpu {cpu}{in_env if cpu_source == 'override' else ''} needs more than the default "
                          f"{memory} MiB of memory; add memory: {options}")
    if cpu_source == "override" and memory_source == "base":
        return FieldError(_field_path(cfg, env, "cpu", app),
                          f"cpu {cpu}{in_env} does not fit memory {memory} MiB (from applications.{app}.memory); "
                          f"override memory{in_env} too, with {options}")
    if cpu_source == "default":
        cpus = fargate.cpus_for(memory)
        fix = f"or set cpu to {_or_list(list(map(str, cpus)))}" if cpus else "or pick a Fargate memory size"
        return FieldError(_field_path(cfg, env, "memory", app),
                          f"{memory} MiB{in_env if memory_source == 'override' else ''} is not valid with the "
                          f"default cpu {cpu}; use {options}, {fix}")
    if memory_source == "override" and cpu_source == "base":
        return FieldError(_field_path(cfg, env, "memory", app),
                          f"{memory} MiB{in_env} is not valid with cpu {cpu} (from applications.{app}.cpu); use "
                          f"{options}, or override cpu{in_env} too")
    # Both written side by side (base and base, or override and override).
    return FieldError(_field_path(cfg, env, "memory", app),
                      _pair_message(cpu, memory) + (in_env if memory_source == "override" else ""))


def _resolution_errors(
    e: ValidationError, app: str, env: str, override: ApplicationOverride | None
) -> list[FieldError]:
    out = []
    for err in e.errors():
        inner = err.get("ctx", {}).get("error")
        # One validator may report several problems at once (FieldErrors): each has its own field.
        for one in inner.errors if isinstance(inner, FieldErrors) else [inner]:
            loc: tuple[str | int, ...] = tuple(err["loc"])
            if isinstance(one, FieldError):
                loc = loc + one.path
            message = one.message if isinstance(one, FieldError) else err["msg"]
            field = str(loc[0]) if loc else ""
            if override is not None and field in override.model_fields_set:
                out.append(FieldError(("applications", app, "environments", env, *loc),
                                      f"in environment '{env}', merged with the base settings: {message}"))
            else:
                out.append(FieldError(("applications", app, *loc), message))
    return out


def _quoted_list(items: list[str]) -> str:
    quoted = [f"'{i}'" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" or {items[-1]}"
