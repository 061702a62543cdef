"""The validated model of ecsp.yaml (Pydantic v2, frozen, ``extra="forbid"``).

Structural rules (types, formats, ranges) live on the fields; cross-field rules live in
named validators that raise :class:`FieldError` with the path of the field to fix, so
the loader can point at the right line. Per-environment application overrides are
merged and validated here too: :meth:`ProjectConfig.application` returns the effective
settings of one application in one environment.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from ecsp import fargate, naming, network

NAME_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$"
ACCOUNT_PATTERN = r"^\d{12}$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$"
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
PATH_PATTERN = r"^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SSM_NAME_PATTERN = r"^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"
SSM_ARN_PATTERN = r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_./-]+$"
SECRETSMANAGER_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@:-]+$"
SUCCESS_CODES_PATTERN = r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$"
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
RESERVED_PREFIX = "ECSP_"


class FieldError(ValueError):
    """A cross-field problem, with the path (relative to the model) of the field to fix.

    Pydantic keeps the original exception in the error's ``ctx``; the loader reads
    ``path`` from there and appends it to the location.
    """

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class FieldErrors(ValueError):
    """Several :class:`FieldError` found by one validator (all are reported, not just the first)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _raise_all(errors: list[FieldError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)


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


class ProjectSection(Model):
    """The project: its name, home region and account, and an optional domain."""

    name: str = Field(
        description="Project name: lowercase letters, digits and single hyphens, starting with a letter.",
        min_length=1,
        max_length=naming.MAX_PROJECT,
        pattern=NAME_PATTERN,
    )
    region: str = Field(description="Home region of the project stack, e.g. us-west-2.", pattern=REGION_PATTERN)
    account: str | None = Field(
        None, description="Project AWS account id (12 digits, quoted).", pattern=ACCOUNT_PATTERN
    )
    domain: str | None = Field(
        None,
        description="A domain whose hosted zone exists in the project account; enables HTTPS everywhere.",
        pattern=DOMAIN_PATTERN,
        max_length=200,
    )

    ecr: EcrConfig = Field(default_factory=EcrConfig, description="ECR repository settings.")

    @field_validator("account", mode="before")
    @classmethod
    def _account_str(cls, v: Any) -> Any:
        return _account_before(v)


def _account_before(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        raise ValueError(f"{v} must be a quoted string of 12 digits, e.g. \"{v:012d}\"")
    return v


# --------------------------------------------------------------------------- environments


class NetworkConfig(Model):
    """The environment's VPC."""

    cidr: str = Field("10.0.0.0/16", description="IPv4 CIDR of the VPC; needs room for four /24 subnets.")
    nat: Literal["none", "single", "per-az"] = Field(
        "none",
        description="NAT for private subnets: none (no egress from private subnets), single (one shared "
        "NAT gateway) or per-az (one per availability zone).",
    )

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.IPv4Network(v, strict=True)
        except ValueError as e:
            raise ValueError(f"'{v}' is not a valid IPv4 network ({e}); use e.g. 10.0.0.0/16") from None
        if not (16 <= net.prefixlen <= 22):
            raise ValueError(f"'{v}' must have a prefix between /16 and /22 (room for four /24 subnets)")
        network.carve(v)
        return v


class EnvironmentConfig(Model):
    """One environment: an isolated place (account and region) to run the applications."""

    region: str = Field(description="AWS region, e.g. us-west-2.", pattern=REGION_PATTERN)
    account: str | None = Field(
        None, description="AWS account id (12 digits, quoted); defaults to the project account.",
        pattern=ACCOUNT_PATTERN,
    )
    profile: str | None = Field(None, description="AWS profile used for this environment.", min_length=1)
    role_arn: str | None = Field(
        None, description="IAM role to assume for this environment.", pattern=ROLE_ARN_PATTERN
    )
    network: NetworkConfig = Field(default_factory=NetworkConfig, description="VPC settings.")
    container_insights: bool = Field(False, description="Enable CloudWatch Container Insights on the cluster.")

    @field_validator("account", mode="before")
    @classmethod
    def _account_str(cls, v: Any) -> Any:
        return _account_before(v)


# --------------------------------------------------------------------------- applications


class ImageConfig(Model):
    """Where the container image comes from: an existing image, or a Dockerfile to build."""

    location: str | None = Field(None, description="An existing image URI, used as is.", min_length=1)
    build: str | None = Field(
        None, description="Build context directory (relative to ecsp.yaml) holding a Dockerfile.", min_length=1
    )
    dockerfile: str | None = Field(None, description="Dockerfile path inside the build context.")
    args: dict[str, str] = Field(default_factory=dict, description="Docker build arguments.")

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ImageConfig:
        if (self.location is None) == (self.build is None):
            raise FieldError((), "set exactly one of image.location (an image URI) or image.build (a directory)")
        if self.location is not None and (self.dockerfile or self.args):
            raise FieldError(("dockerfile" if self.dockerfile else "args",), "only valid with image.build")
        return self


class HealthCheckConfig(Model):
    """Load balancer health check of the application's target group."""

    path: str = Field("/", description="HTTP path the load balancer probes.", pattern=PATH_PATTERN)
    interval: int = Field(10, ge=5, le=300, description="Seconds between probes.")
    timeout: int = Field(5, ge=2, le=120, description="Seconds before a probe fails.")
    healthy_threshold: int = Field(2, ge=2, le=10, description="Consecutive successes to become healthy.")
    unhealthy_threshold: int = Field(2, ge=2, le=10, description="Consecutive failures to become unhealthy.")
    success_codes: str = Field("200", pattern=SUCCESS_CODES_PATTERN, description="HTTP codes, e.g. 200 or 200-299.")
    grace_period: int = Field(
        60, ge=0, le=7200, description="Seconds ECS ignores failed health checks after a task starts."
    )

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> HealthCheckConfig:
        if self.timeout >= self.interval:
            raise FieldError(("timeout",), f"{self.timeout}s must be less than the interval ({self.interval}s)")
        return self


class AutoscalingConfig(Model):
    """A task count range with target-tracking policies."""

    min: int = Field(ge=0, le=1000, description="Fewest tasks.")
    max: int = Field(ge=1, le=1000, description="Most tasks.")
    cpu_percentage: int | None = Field(None, ge=1, le=100, description="Target average CPU utilisation (%).")
    memory_percentage: int | None = Field(None, ge=1, le=100, description="Target average memory utilisation (%).")
    requests: int | None = Field(None, ge=1, description="Target requests per task per minute (ALB).")
    cooldown_in: int = Field(120, ge=0, le=3600, description="Seconds to wait after scaling in.")
    cooldown_out: int = Field(60, ge=0, le=3600, description="Seconds to wait after scaling out.")

    @model_validator(mode="after")
    def _min_le_max(self) -> AutoscalingConfig:
        if self.min > self.max:
            raise FieldError(("min",), f"{self.min} is greater than max ({self.max}); use min <= max")
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
        return chosen or {"cpu": 70}


def _count_tag(v: Any) -> str:
    return "range" if isinstance(v, dict | AutoscalingConfig) else "fixed"


Count = Annotated[
    Annotated[int, Field(ge=0, le=1000), Tag("fixed")] | Annotated[AutoscalingConfig, Tag("range")],
    Discriminator(_count_tag),
]


class _ApplicationFields(Model):
    """Fields an application may set, and that an environment may override."""

    image: ImageConfig | None = Field(None, description="The container image.")
    port: int | None = Field(None, ge=1, le=65535, description="Container port the load balancer forwards to.")
    path: str | None = Field(
        None, pattern=PATH_PATTERN, max_length=120,
        description="URL path prefix routed to the application; '/' for at most one application.",
    )
    healthcheck: HealthCheckConfig | None = Field(None, description="Load balancer health check.")
    cpu: int | None = Field(None, description="Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: int | None = Field(None, description="Task memory (MiB); must suit the cpu (Fargate's table).")
    count: Count | None = Field(
        None, description="Tasks to run: a number, or {min, max, cpu_percentage, ...} to autoscale."
    )
    variables: dict[str, str] | None = Field(None, description="Environment variables for the container.")
    secrets: dict[str, str] | None = Field(
        None, description="Secret environment variables: SSM parameter names or Secrets Manager/SSM ARNs."
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

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: int | None) -> int | None:
        if v is not None and v not in fargate.CPU_VALUES:
            raise ValueError(f"{v} is not a Fargate cpu size; use one of {', '.join(map(str, fargate.CPU_VALUES))}")
        return v

    @field_validator("log_retention")
    @classmethod
    def _retention(cls, v: int | None) -> int | None:
        if v is not None and v not in LOG_RETENTION_DAYS:
            near = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - v))
            raise ValueError(f"{v} is not a CloudWatch Logs retention; use e.g. {near}")
        return v

    @field_validator("variables")
    @classmethod
    def _variables(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        _check_env_names(v or {}, "variables")
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        if not v:
            return v
        _check_env_names(v, "secrets")
        errors = [
            FieldError(
                (name,),
                f"'{ref}' is not an SSM parameter name or an SSM/Secrets Manager ARN; "
                "use e.g. /shop/test/db-password or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
            )
            for name, ref in v.items()
            if secret_kind(ref) is None
        ]
        _raise_all(errors)
        return v

    @field_validator("variables", "secrets", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        # YAML turns `DEBUG: true` and `PORT: 80` into bool/int; environment values are strings.
        if isinstance(v, dict):
            return {k: (str(x).lower() if isinstance(x, bool) else str(x)) if isinstance(x, int | float) else x
                    for k, x in v.items()}
        return v


def _check_env_names(values: Mapping[str, str], what: str) -> None:
    errors = []
    for name in values:
        if not re.match(ENV_VAR_PATTERN, name):
            errors.append(FieldError((name,), f"'{name}' is not a valid environment variable name"))
        elif name.upper().startswith(RESERVED_PREFIX):
            errors.append(FieldError((name,), f"names starting with {RESERVED_PREFIX} are reserved for ecsp"))
    _raise_all(errors)


def secret_kind(ref: str) -> Literal["ssm", "secretsmanager"] | None:
    """Which store a secret reference points at, or None when it is neither."""
    if re.match(SECRETSMANAGER_ARN_PATTERN, ref):
        return "secretsmanager"
    if re.match(SSM_ARN_PATTERN, ref) or (not ref.startswith("arn:") and re.match(SSM_NAME_PATTERN, ref)):
        return "ssm"
    return None


class ApplicationOverride(_ApplicationFields):
    """Per-environment overrides: any application field, replacing (maps: extending) the base value."""


class Application(Model):
    """One application's effective settings in one environment (defaults applied, overrides merged)."""

    image: ImageConfig = Field(description="The container image.")
    port: int = Field(ge=1, le=65535, description="Container port the load balancer forwards to.")
    path: str = Field("/", pattern=PATH_PATTERN, max_length=120, description="URL path prefix.")
    healthcheck: HealthCheckConfig = Field(default_factory=HealthCheckConfig, description="Health check.")
    cpu: int = Field(256, description="Task CPU units.")
    memory: int = Field(512, description="Task memory (MiB).")
    count: Count = Field(1, description="Tasks to run, or an autoscaling range.")
    variables: dict[str, str] = Field(default_factory=dict, description="Environment variables.")
    secrets: dict[str, str] = Field(default_factory=dict, description="Secret environment variables.")
    placement: Literal["public", "private"] = Field("public", description="Subnets the tasks run in.")
    platform: Literal["linux/x86_64", "linux/arm64"] = Field("linux/x86_64", description="CPU architecture.")
    exec: bool = Field(False, description="Enable ECS Exec.")
    log_retention: int = Field(30, description="Days to keep logs.")
    deregistration_delay: int = Field(60, description="Seconds to drain a stopping task.")

    @model_validator(mode="after")
    def _cpu_memory_pair(self) -> Application:
        if not fargate.is_valid(self.cpu, self.memory):
            raise FieldError(
                ("memory",),
                f"{self.memory} MiB is not valid with cpu {self.cpu}; use {fargate.describe_options(self.cpu)}",
            )
        return self

    @property
    def autoscaling(self) -> AutoscalingConfig | None:
        return self.count if isinstance(self.count, AutoscalingConfig) else None

    @property
    def desired_count(self) -> int:
        return self.count.min if isinstance(self.count, AutoscalingConfig) else self.count


class ApplicationConfig(_ApplicationFields):
    """An application as written in ecsp.yaml: base settings plus per-environment overrides."""

    image: ImageConfig = Field(description="The container image: {location: URI} or {build: DIR}.")
    port: int = Field(ge=1, le=65535, description="Container port the load balancer forwards to.")
    environments: dict[str, ApplicationOverride] = Field(
        default_factory=dict, description="Per-environment overrides of any field above."
    )


# --------------------------------------------------------------------------- the project


_MERGED_MAPS = ("variables", "secrets")
_MERGED_MODELS = ("healthcheck",)


class ProjectConfig(Model):
    """A whole ecsp project: the project, its environments and its applications."""

    project: ProjectSection = Field(description="The project.")
    environments: dict[str, EnvironmentConfig] = Field(
        description="Environments by name (e.g. test, prod).", min_length=1
    )
    applications: dict[str, ApplicationConfig] = Field(
        default_factory=dict, description="Applications by name."
    )
    state: StateConfig = Field(default_factory=StateConfig, description="Pulumi state backend and secrets.")

    _resolved: dict[tuple[str, str], Application] = PrivateAttr(default_factory=dict)

    @field_validator("environments", "applications")
    @classmethod
    def _names(cls, v: dict[str, Any], info: Any) -> dict[str, Any]:
        kind = "environment" if info.field_name == "environments" else "application"
        limit = naming.MAX_ENVIRONMENT if kind == "environment" else naming.MAX_APPLICATION
        errors = []
        for name in v:
            if not re.match(NAME_PATTERN, name):
                errors.append(FieldError((name,), f"'{name}' is not a valid {kind} name; use lowercase letters, "
                                         "digits and single hyphens, starting with a letter"))
            elif len(name) > limit:
                errors.append(FieldError((name,), f"'{name}' is {len(name)} characters; {kind} names are at "
                                         f"most {limit} so derived AWS names fit their limits"))
            elif kind == "application" and name in naming.RESERVED_APPLICATION_NAMES:
                errors.append(FieldError((name,), f"'{name}' is reserved; choose another application name"))
        _raise_all(errors)
        return v

    @model_validator(mode="after")
    def _overrides_name_known_environments(self) -> ProjectConfig:
        _raise_all([
            FieldError(("applications", app, "environments", env),
                       f"no environment named '{env}'; known: {', '.join(self.environments)}")
            for app, cfg in self.applications.items()
            for env in cfg.environments
            if env not in self.environments
        ])
        return self

    @model_validator(mode="after")
    def _resolve_applications(self) -> ProjectConfig:
        errors: list[FieldError] = []
        for app, cfg in self.applications.items():
            for env in self.environments:
                try:
                    self._resolved[(env, app)] = _resolve(cfg, cfg.environments.get(env))
                except ValidationError as e:
                    errors.extend(_resolution_errors(e, app, env, cfg.environments.get(env)))
        _raise_all(errors)
        return self

    @model_validator(mode="after")
    def _paths_unique_per_environment(self) -> ProjectConfig:
        errors = []
        for env in self.environments:
            seen: dict[str, str] = {}
            for app in self.applications:
                path = self._resolved[(env, app)].path
                if path in seen:
                    where = _field_path(self.applications[app], env, "path", app)
                    what = "the root path '/'" if path == "/" else f"path '{path}'"
                    errors.append(FieldError(where, f"{what} is already used by application '{seen[path]}' "
                                             f"in environment '{env}'; give each application its own path"
                                             + ("" if path != "/" else " (only one may use '/')")))
                else:
                    seen[path] = app
        _raise_all(errors)
        return self

    @model_validator(mode="after")
    def _private_placement_needs_nat(self) -> ProjectConfig:
        errors = []
        for env, env_cfg in self.environments.items():
            for app in self.applications:
                if self._resolved[(env, app)].placement == "private" and env_cfg.network.nat == "none":
                    errors.append(FieldError(
                        _field_path(self.applications[app], env, "placement", app),
                        f"private placement needs NAT, and environment '{env}' has network.nat: none; "
                        f"set environments.{env}.network.nat to single or per-az, or use placement: public"))
        _raise_all(errors)
        return self

    @model_validator(mode="after")
    def _derived_names_fit(self) -> ProjectConfig:
        _raise_all([FieldError(path, msg) for path, msg in naming.limit_problems(self)])
        return self

    # ----------------------------------------------------------------- queries

    def application(self, environment: str, application: str) -> Application:
        """Effective settings of ``application`` in ``environment``."""
        return self._resolved[(environment, application)]

    def account_of(self, environment: str) -> str | None:
        return self.environments[environment].account or self.project.account

    def regions(self) -> list[str]:
        """Regions that host at least one environment, in first-seen order."""
        return list(dict.fromkeys(e.region for e in self.environments.values()))

    def deployments(self) -> Iterator[tuple[str, str]]:
        """Every (environment, application) pair."""
        for env in self.environments:
            for app in self.applications:
                yield env, app


def _resolve(base: ApplicationConfig, override: ApplicationOverride | None) -> Application:
    data = base.model_dump(exclude={"environments"}, exclude_none=True, exclude_unset=True)
    data["image"] = base.image
    if override is not None:
        for key, value in override.model_dump(exclude_none=True, exclude_unset=True).items():
            if key in _MERGED_MAPS:
                data[key] = {**data.get(key, {}), **value}
            elif key in _MERGED_MODELS and key in data:
                data[key] = {**data[key], **value}
            elif key == "image":
                data[key] = override.image
            else:
                data[key] = value
    return Application.model_validate(data)


def _field_path(cfg: ApplicationConfig, env: str, field: str, app: str) -> tuple[str | int, ...]:
    """Where a resolved field came from: the environment's override if it sets it, else the base."""
    override = cfg.environments.get(env)
    if override is not None and field in override.model_fields_set and getattr(override, field) is not None:
        return ("applications", app, "environments", env, field)
    return ("applications", app, field)


def _resolution_errors(
    e: ValidationError, app: str, env: str, override: ApplicationOverride | None
) -> list[FieldError]:
    out = []
    for err in e.errors():
        loc: tuple[str | int, ...] = tuple(err["loc"])
        inner = err.get("ctx", {}).get("error")
        if isinstance(inner, FieldError):
            loc = loc + inner.path
        message = inner.message if isinstance(inner, FieldError) else err["msg"]
        field = str(loc[0]) if loc else ""
        if override is not None and field in override.model_fields_set:
            where: tuple[str | int, ...] = ("applications", app, "environments", env, *loc)
        else:
            where = ("applications", app, *loc)
        if override is not None and field in override.model_fields_set:
            message = f"{message} (in environment '{env}')"
        out.append(FieldError(where, message))
    return out
