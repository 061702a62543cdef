"""The containers block of every application: its container's settings, health check, sidecars, FireLens, volumes.

:class:`ContainerSettings` are what the application's container and each sidecar set alike
(``command``, ``entrypoint``): declared once here, inherited by both, and rendered one line
each (``stacks.application_containers.SETTINGS``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from ecsp import shellwords
from ecsp.config.base import FieldError, Model, raise_all
from ecsp.config.fields import Capability, Merge, Setting
from ecsp.config.needs import Feature, Need, private_subnets_problem
from ecsp.config.storage import StorageConfig, VolumeConfig
from ecsp.config.types import CONTAINER_NAME_PATTERN, ImageUri, MountPath
from ecsp.config.variables import RegistryCredentials, Secrets, Variables, both_ways, stringify

LOG_ROUTER = "log_router"  # the FireLens container's name (reserved for it)
FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
# ECS container dependency conditions, as written in ecsp.yaml (ECS wants them upper case).
Condition = Literal["start", "complete", "success", "healthy"]


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


def _words(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return shellwords.split(value)
    except ValueError as e:
        shown = f'"{value}"' if "'" in value else f"'{value}'"
        raise ValueError(f"{shown} cannot be split into words: {e}; fix it, or write the words as a list, "
                         "e.g. [sh, -c, \"echo hello\"]") from None


# A command line: a list of words, or one string split into words as a shell (and Copilot) would.
_WORDS = Annotated[list[str], Field(min_length=1)]
Command = Annotated[_WORDS, BeforeValidator(_words, json_schema_input_type=str | _WORDS)]


class ContainerSettings(Model):
    """What the application's container and each sidecar set alike; one declaration each."""

    command: Annotated[Command | None, Setting(Capability.TASK)] = Field(
        None, description="The command to run instead of the image's CMD: a list of words, or one string split "
        "into words as a shell would.", examples=[["npm", "run", "start"]])
    entrypoint: Annotated[Command | None, Setting(Capability.TASK)] = Field(
        None, description="The entrypoint to run instead of the image's ENTRYPOINT: a list of words, or one string "
        "split into words as a shell would.", examples=[["/docker-entrypoint.sh"]])

    @classmethod
    def of(cls, container: ContainerSettings) -> ContainerSettings:
        """Just the container settings of an application or sidecar (for the task's container list)."""
        return cls.model_construct(**{name: getattr(container, name) for name in cls.model_fields})


class SidecarConfig(ContainerSettings):
    """An extra container in the application's task; it shares the task's network, logging and secrets rules."""

    image: ImageUri = Field(description="An existing image URI.", examples=["public.ecr.aws/datadog/agent:7"])
    credentials: RegistryCredentials | None = Field(
        None, description="For an image in a private registry: the ARN of the Secrets Manager secret holding its "
        "username and password (the execution role may read it).")
    port: int | None = Field(None, ge=1, le=65535, description="Container port (unique within the task).")
    essential: bool = Field(True, description="Whether the task stops when this container stops (as Copilot: yes).")
    variables: Variables = Field(default_factory=dict, description="Environment variables.")
    secrets: Secrets = Field(
        default_factory=dict, description="Secret environment variables: SSM parameter names or Secrets Manager/SSM "
        "ARNs (the execution role may read exactly these too).")
    depends_on: dict[str, Condition] = Field(
        default_factory=dict, description="Containers (the application's name, or another sidecar's) this one waits "
        "for: start, complete, success (those two only for essential: false containers) or healthy (those with a "
        "health check).", examples=[{"web": "start"}])
    healthcheck: ContainerHealthCheckConfig | None = Field(None, description="A container health check.")
    mount_points: dict[str, MountPath] = Field(
        default_factory=dict, description="Volumes (names under storage.volumes) to mount, and where.",
        examples=[{"data": "/var/data"}])

    @model_validator(mode="after")
    def _variable_and_secret_names_differ(self) -> SidecarConfig:
        raise_all(both_ways(self.variables, self.secrets))
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
        return stringify(v)

    @field_validator("options")
    @classmethod
    def _plugin_named(cls, v: dict[str, str]) -> dict[str, str]:
        if "Name" not in v:
            raise ValueError("name Fluent Bit's output plugin, e.g. Name: cloudwatch (or Name: firehose, Name: s3)")
        return v


class LoggingConfig(Model):
    """How the containers' logs leave the task (default: awslogs to the application's log group)."""

    firelens: FireLensConfig = Field(description="Route logs through a FireLens (Fluent Bit) log router.")


def _sidecar_names(v: dict[str, SidecarConfig]) -> dict[str, SidecarConfig]:
    errors = []
    for name in v:
        if not re.fullmatch(CONTAINER_NAME_PATTERN, name):
            errors.append(FieldError((name,), f"'{name}' is not a valid container name; use up to 255 letters, "
                                              "digits, - and _"))
        elif name == LOG_ROUTER:
            errors.append(FieldError((name,), f"'{LOG_ROUTER}' is the FireLens log router's name; use logging: "
                                              "{firelens: ...} for it, or name this sidecar differently"))
    raise_all(errors)
    return v


TASK = Capability.TASK


class ContainerBlock(ContainerSettings):
    """The containers of every application's task besides its image: settings, health check, sidecars, logs, volumes."""

    container_healthcheck: Annotated[ContainerHealthCheckConfig | None, Setting(TASK)] = Field(
        None, description="A health check ECS runs inside the application's container (any kind); "
        "its sidecars may wait for it to be healthy.",
        examples=[{"command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]}])
    sidecars: Annotated[dict[str, SidecarConfig], AfterValidator(_sidecar_names), Setting(TASK, Merge.BY_NAME)] \
        = Field(default_factory=dict, description="Extra containers in the task, by container name (an "
                "environment's sidecar of the same name replaces the base one).",
                examples=[{"datadog": {"image": "public.ecr.aws/datadog/agent:7", "port": 8126, "essential": False}}])
    depends_on: Annotated[dict[str, Condition], Setting(TASK)] = Field(
        default_factory=dict, description="Sidecars the application's container waits for: start, complete, success "
        "or healthy.", examples=[{"datadog": "start"}])
    logging: Annotated[LoggingConfig | None, Setting(TASK)] = Field(
        None, description="FireLens log routing instead of awslogs.")
    storage: Annotated[StorageConfig, Setting(TASK, Merge.BY_FIELD)] = Field(
        default_factory=StorageConfig, description="EFS volumes (an environment's volume of the same name replaces "
        "the base one).")

    @property
    def managed_volume(self) -> tuple[str, VolumeConfig] | None:
        """The volume on the environment's managed file system (at most one), with its name."""
        return self.storage.managed_volume

    def environment_needs(self) -> list[Need]:
        """A volume on the managed file system needs the environment's file system."""
        if self.managed_volume is None:
            return []
        return [Need(Feature.FILE_SYSTEM, ("storage",)),
                Need(Feature.PRIVATE_SUBNETS, ("storage",), private_subnets_problem("a volume on the file system"))]
