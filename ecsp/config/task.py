"""The task block of every application: image, port, Fargate size, variables, secrets, placement, logs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from ecsp import fargate
from ecsp.config.base import FieldError, Hint, Model, or_list, quoted_list
from ecsp.config.fields import Capability, Merge, Setting
from ecsp.config.needs import Feature, Need, private_subnets_problem
from ecsp.config.types import LOG_RETENTION_DAYS, retention_problem
from ecsp.config.variables import RegistryCredentials, TaskSecrets, TaskVariables, stringify

DEFAULT_CPU = 256
DEFAULT_MEMORY = 512


class ImageConfig(Model):
    """Where the container image comes from: an existing image, or a Dockerfile to build."""

    location: str | None = Field(None, description="An existing image URI, used as is.", min_length=1)
    build: str | None = Field(
        None, description="Build context directory (relative to ecsp.yaml) holding a Dockerfile.", min_length=1
    )
    dockerfile: str | None = Field(None, description="Dockerfile path inside the build context.")
    args: dict[str, str] = Field(default_factory=dict, description="Docker build arguments.")
    target: str | None = Field(None, min_length=1, description="The build stage to build (docker build --target).")
    credentials: RegistryCredentials | None = Field(
        None, description="A private registry's credentials: the ARN of a Secrets Manager secret holding "
        "{username, password} (the execution role may read it).",
        examples=["arn:aws:secretsmanager:us-west-2:111111111111:secret:dockerhub-AbCdEf"])

    @field_validator("args", mode="before")
    @classmethod
    def _args(cls, v: Any) -> Any:
        return stringify(v)

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
        if self.build is not None and self.credentials is not None:
            raise FieldError(("credentials",), "an image ecsp builds goes to the project's ECR repository, which the "
                                               "execution role reads already; credentials are for an image location "
                                               "in a private registry: remove them")
        if self.location is not None and (self.dockerfile or self.args or self.target):
            key = "dockerfile" if self.dockerfile else "args" if self.args else "target"
            raise FieldError((key,), f"{key} only applies to images that ecsp builds; remove it, or replace "
                                     "location with build")
        return self


def pair_message(cpu: int, memory: int) -> str:
    return f"{memory} MiB is not valid with cpu {cpu}; use {fargate.describe_options(cpu)}"


def _fargate_cpu(v: int) -> int:
    if v not in fargate.CPU_VALUES:
        near = min(fargate.CPU_VALUES, key=lambda c: abs(c - v))
        raise ValueError(f"{v} is not a Fargate cpu size; use {or_list(list(map(str, fargate.CPU_VALUES)))} "
                         f"(1024 units = 1 vCPU; the nearest is {near})")
    return v


def _memory_fits_cpu(v: int, info: ValidationInfo) -> int:
    # Only when both are written side by side: a value that mixes the base and an override is
    # checked after merging, where the message can say which environment and which line.
    cpu = info.data.get("cpu")
    if cpu is not None and not fargate.is_valid(cpu, v):
        raise ValueError(pair_message(cpu, v))
    return v


def _retention(v: int) -> int:
    if v not in LOG_RETENTION_DAYS:
        raise ValueError(retention_problem(v))
    return v


TASK = Capability.TASK
# One unreadable half of the pair would make the other look wrong: salvage falls back to the default pair.
_PAIR = ("cpu", "memory")


class TaskBlock(Model):
    """What every application's task has: its image and port, Fargate size, variables, secrets, placement, logs."""

    image: Annotated[ImageConfig, Setting(TASK, stand_in={"location": "unreadable"}),
                     Hint(given_text="must be a mapping; for an existing image write image: {{location: {value}}}")] \
        = Field(description="The container image: {location: URI} or {build: DIR}.",
                examples=[{"location": "public.ecr.aws/nginx/nginx:stable"}, {"build": "./web"}])
    # A worker or job may have no port of its own; stand-in: a port no rule blames for being missing.
    port: Annotated[int | None, Setting(TASK, stand_in=80)] = Field(
        None, ge=1, le=65535, examples=[80], description="Container port: required for web (the load balancer "
        "forwards to it) and for a backend with connect (others call it).")
    cpu: Annotated[int, AfterValidator(_fargate_cpu), Setting(TASK, drops_with=_PAIR)] = Field(
        DEFAULT_CPU, description="Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: Annotated[int, AfterValidator(_memory_fits_cpu), Setting(TASK, drops_with=_PAIR)] = Field(
        DEFAULT_MEMORY, description="Task memory (MiB); must suit the cpu (Fargate's table).")
    variables: Annotated[TaskVariables, Setting(TASK, Merge.BY_NAME)] = Field(
        default_factory=dict, description="Environment variables for the container: a value, or {from_cfn: "
        "EXPORT_NAME} to read a CloudFormation export at deploy time.",
        examples=[{"LOG_LEVEL": "info"}])
    secrets: Annotated[TaskSecrets, Setting(TASK, Merge.BY_NAME)] = Field(
        default_factory=dict, description="Secret environment variables: SSM parameter names or Secrets Manager/SSM "
        "ARNs, or {from_cfn: EXPORT_NAME} of an export holding one.", examples=[{"DB_PASSWORD": "/shop/db-password"}])
    placement: Annotated[Literal["public", "private"], Setting(TASK)] = Field(
        "public", description="public subnets with a public IP, or private subnets (needs NAT).")
    platform: Annotated[Literal["linux/x86_64", "linux/arm64"], Setting(TASK)] = Field(
        "linux/x86_64", description="Task CPU architecture.")
    exec: Annotated[bool, Setting(TASK)] = Field(False, description="Enable ECS Exec (aws ecs execute-command) "
                                                 "into tasks.")
    log_retention: Annotated[int, AfterValidator(_retention), Setting(TASK)] = Field(
        30, description="Days to keep logs (a CloudWatch Logs retention value).")

    def environment_needs(self) -> list[Need]:
        """Private subnets reach ECR and CloudWatch only through a NAT gateway."""
        if self.placement != "private":
            return []
        return [Need(Feature.NAT, ("placement",), _nat_problem),
                Need(Feature.PRIVATE_SUBNETS, ("placement",),
                     private_subnets_problem("private placement", ", or use placement: public"))]


def _nat_problem(envs: Sequence[str]) -> str:
    if len(envs) == 1:
        what = f"environment '{envs[0]}' has network.nat: none"
        fix = f"set environments.{envs[0]}.network.nat to single or per-az"
    else:
        what = f"environments {quoted_list(list(envs))} have network.nat: none"
        fix = "set network.nat to single or per-az in each"
    return f"private placement needs a NAT gateway, and {what}; {fix}, or use placement: public"
