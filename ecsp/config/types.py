"""Value types of ecsp.yaml with fix-it messages: regions, accounts, ids, names, paths, durations."""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from ecsp import naming, schedules
from ecsp.config.base import fail, matches, or_list, schema_pattern

NAME_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
# Partitions: aws (us-west-2), aws-us-gov (us-gov-west-1), iso (us-iso-east-1), sovereign (eusc-de-east-1).
REGION_PATTERN = r"^[a-z]{2,4}(-[a-z]+)?-[a-z]+-\d{1,2}$"
ACCOUNT_PATTERN = r"^\d{12}$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$"
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
PATH_PATTERN = r"^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$"
HEALTHCHECK_PATH_PATTERN = r"^/[\x21-\x7e]*$"

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

# SNS topic names allow letters, digits, - and _; ecsp prefixes them with <project>-<env>-<app>-.
TOPIC_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# A Service Connect discovery name is a DNS label (other applications call http://<name>:<port>).
DISCOVERY_NAME_PATTERN = r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"

# A Python function in a module next to ecsp.yaml: `module:function`, the module dotted if in a package.
TRANSFORM_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"

# A Pulumi ESC environment: [<project>/]<environment>[@<version or tag>].
ESC_PATTERN = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?(@[A-Za-z0-9_.-]+)?$"

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

def known_regions() -> tuple[str, ...]:
    """Every region of every partition botocore knows (its ``endpoints.json``), read once.

    A region AWS opens after the installed botocore release is missing until ``pip install -U
    boto3``; a hand list here would go stale the same way, and silently.
    """
    return _botocore_regions()


@functools.cache
def _botocore_regions() -> tuple[str, ...]:
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:  # pragma: no cover - boto3 depends on it
        return ()
    data = json.loads((Path(spec.origin).parent / "data" / "endpoints.json").read_text(encoding="utf-8"))
    return tuple(sorted(region for partition in data["partitions"] for region in partition["regions"]))


def _region_problem(value: str) -> str:
    close = difflib.get_close_matches(value, known_regions(), n=3, cutoff=0.6)
    # Equally near misses are all named: 'us-est-1' is as close to us-west-1 as to us-east-1, and
    # suggesting one of them could send a deploy to the wrong side of the continent.
    best = [c for c in close if _closeness(value, c) == _closeness(value, close[0])] if close else []
    return f"'{value}' is not an AWS region; " + (f"did you mean {' or '.join(best)}?" if best else
                                                   "use e.g. us-west-2")


def _closeness(a: str, b: str) -> float:
    return round(difflib.SequenceMatcher(None, a, b).ratio(), 3)


def _check_region_known(value: str) -> str:
    # Well formed is not enough: a deploy to "eu-west-9" would fail late, at the first AWS call.
    known = known_regions()
    if known and value not in known:
        stem = value.rsplit("-", 1)[0]
        siblings = [r for r in known if r.rsplit("-", 1)[0] == stem]
        if not siblings:
            raise ValueError(_region_problem(value))
        raise ValueError(f"'{value}' is not an AWS region (this botocore knows {', '.join(siblings)}); if AWS opened "
                         "it after this release, `pip install -U boto3` brings it")
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


Region = Annotated[str, matches(REGION_PATTERN, _region_problem), AfterValidator(_check_region_known),
                   schema_pattern(REGION_PATTERN)]
Account = Annotated[str, matches(
    ACCOUNT_PATTERN, lambda v: f"'{v}' is not an AWS account id; use the 12 digits in quotes, e.g. \"111111111111\""),
    schema_pattern(ACCOUNT_PATTERN)]
Domain = Annotated[str, matches(
    DOMAIN_PATTERN, lambda v: f"'{v}' is not a domain name; use lowercase labels without a trailing dot, "
    "e.g. example.com"), schema_pattern(DOMAIN_PATTERN)]
RoleArn = Annotated[str, matches(
    ROLE_ARN_PATTERN, lambda v: f"'{v}' is not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME"),
    schema_pattern(ROLE_ARN_PATTERN)]
UrlPath = Annotated[str, matches(PATH_PATTERN, _path_problem), schema_pattern(PATH_PATTERN)]
HealthCheckPath = Annotated[str, matches(
    HEALTHCHECK_PATH_PATTERN, lambda v: f"'{v}' must start with '/' and contain no spaces, e.g. /health"),
    schema_pattern(HEALTHCHECK_PATH_PATTERN)]
SuccessCodes = Annotated[str, matches(
    SUCCESS_CODES_PATTERN, lambda v: f"'{v}' is not a list of HTTP codes; use e.g. 200, 200-299 or 200,302"),
    schema_pattern(SUCCESS_CODES_PATTERN)]


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


def account_before(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        raise UnquotedNumber(v)
    return v


def id_problem(kind: str, example: str) -> Callable[[str], str]:
    return lambda v: f"'{v}' is not a {kind} id; use the id AWS shows, e.g. {example}"


TransformRef = Annotated[str, matches(
    TRANSFORM_PATTERN, lambda v: f"'{v}' is not module:function; name a function in a Python file next to "
    "ecsp.yaml, e.g. tweaks:add_tags for def add_tags(resource) in tweaks.py"), schema_pattern(TRANSFORM_PATTERN)]
EscEnvironment = Annotated[str, matches(
    ESC_PATTERN, lambda v: f"'{v}' is not an ESC environment name; write PROJECT/ENVIRONMENT (optionally "
    "@VERSION), e.g. aws/prod-credentials"), schema_pattern(ESC_PATTERN)]
VpcId = Annotated[str, matches(VPC_ID_PATTERN, id_problem("VPC", "vpc-0123456789abcdef0")),
                  schema_pattern(VPC_ID_PATTERN)]
SubnetId = Annotated[str, matches(SUBNET_ID_PATTERN, id_problem("subnet", "subnet-0123456789abcdef0")),
                     schema_pattern(SUBNET_ID_PATTERN)]
CertificateArn = Annotated[str, matches(
    CERTIFICATE_ARN_PATTERN, lambda v: f"'{v}' is not an ACM certificate ARN; use "
    "arn:aws:acm:REGION:ACCOUNT:certificate/ID (aws acm list-certificates shows them)"),
    schema_pattern(CERTIFICATE_ARN_PATTERN)]


def _bucket_problem(value: str) -> str:
    return (f"'{value}' is not an S3 bucket name; use 3 to 63 lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit")


def _check_bucket(value: str) -> str:
    if ".." in value or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        raise ValueError(_bucket_problem(value))
    return value


BucketName = Annotated[str, matches(BUCKET_PATTERN, _bucket_problem), AfterValidator(_check_bucket),
                       schema_pattern(BUCKET_PATTERN)]


def _prefix_problem(value: str) -> str:
    if value.startswith("/") or value.endswith("/"):
        return f"'{value}' must not start or end with '/' (ELB refuses it); use '{value.strip('/')}'"
    return f"'{value}' may only use letters, digits and ! _ . * ' ( ) - between single slashes, e.g. shop/prod"


def _check_prefix(value: str) -> str:
    # ELB writes under <prefix>/AWSLogs/<account>/...; it refuses a prefix that contains AWSLogs itself.
    if "AWSLogs" in value:
        raise ValueError(f"'{value}' contains AWSLogs, which ELB adds itself and refuses in a prefix; remove it")
    return value


LogPrefix = Annotated[str, matches(LOG_PREFIX_PATTERN, _prefix_problem), AfterValidator(_check_prefix),
                      schema_pattern(LOG_PREFIX_PATTERN)]


def _host_problem(value: str) -> str:
    if value.startswith("*."):
        return (f"'{value}' is a wildcard; aliases are exact host names (a listener rule and a DNS record per "
                "name), e.g. www.example.com")
    if value != value.lower():
        return f"'{value}' has uppercase letters; DNS names are case-insensitive: use '{value.lower()}'"
    return f"'{value}' is not a host name; use lowercase labels without a trailing dot, e.g. www.example.com"


HostName = Annotated[str, matches(HOST_PATTERN, _host_problem), schema_pattern(HOST_PATTERN),
                     Field(max_length=naming.DNS_NAME_LIMIT)]


def retention_problem(v: int) -> str:
    below = [d for d in LOG_RETENTION_DAYS if d < v][-1:]
    above = [d for d in LOG_RETENTION_DAYS if d > v][:1]
    nearest = or_list(list(map(str, below + above)))
    allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
    return f"{v} days is not a CloudWatch Logs retention; use {nearest} (allowed: {allowed})"


def check_retention(v: int) -> int:
    if v not in LOG_RETENTION_DAYS:
        raise ValueError(retention_problem(v))
    return v


def duration(minimum: float, maximum: float, what: str) -> AfterValidator:
    """A validator for a duration written as seconds or with a unit (``30s``, ``4d``), within a range."""

    def check(value: int | str) -> int | str:
        seconds = schedules.seconds(value)
        if not minimum <= seconds <= maximum:
            raise ValueError(f"{value} is outside what {what} allows ({span(minimum)} to {span(maximum)}); "
                             "pick a value in that range")
        return value

    return AfterValidator(check)


def span(seconds: float) -> str:
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


Topic = Annotated[str, matches(
    TOPIC_PATTERN, lambda v: f"'{v}' is not a topic name; use letters, digits, - and _ (at most 64), e.g. created"),
    schema_pattern(TOPIC_PATTERN)]


def _check_schedule(v: str) -> str:
    if v == "none":
        return v
    problem = schedules.problem(v)
    return fail(problem) if problem else v


Schedule = Annotated[str, AfterValidator(_check_schedule)]


# ECS: up to 255 letters, digits, hyphens and underscores.
CONTAINER_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,255}$"

MOUNT_PATH_PATTERN = r"^/[^\s]*$"


def image_problem(v: str) -> str | None:
    if v != v.strip() or any(c.isspace() for c in v):
        return (f"{v!r} is not an image reference (it contains spaces); use e.g. "
                "public.ecr.aws/datadog/agent:7")
    return None


def check_image(v: str) -> str:
    problem = image_problem(v)
    return fail(problem) if problem else v


ImageUri = Annotated[str, Field(min_length=1), AfterValidator(check_image)]
MountPath = Annotated[str, matches(
    MOUNT_PATH_PATTERN, lambda v: f"'{v}' is not an absolute path; use e.g. /data"),
    schema_pattern(MOUNT_PATH_PATTERN)]


Connect = bool | Annotated[str, matches(
    DISCOVERY_NAME_PATTERN, lambda v: f"'{v}' is not a discovery name; use a DNS label (lowercase letters, digits, "
    "hyphens), or true for the application's name"), schema_pattern(DISCOVERY_NAME_PATTERN)]


