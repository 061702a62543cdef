"""An application as written (base plus overrides) and as resolved for one environment; which kind takes which field."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ecsp import fargate
from ecsp.config import links
from ecsp.config.base import FieldError, Model, or_list, raise_all
from ecsp.config.containers import LOG_ROUTER, Condition, ContainerHealthCheckConfig, LoggingConfig, SidecarConfig
from ecsp.config.exports import TextOrExport
from ecsp.config.http import MAX_ALIASES, HealthCheckConfig, HealthCheckOverride
from ecsp.config.messaging import QueueConfig, SubscriptionConfig
from ecsp.config.service import AutoscalingConfig, Capacity, Count, DeploymentConfig
from ecsp.config.storage import StorageConfig, VolumeConfig
from ecsp.config.task import DEFAULT_CPU, DEFAULT_MEMORY, ImageConfig, pair_message
from ecsp.config.types import (
    CONTAINER_NAME_PATTERN,
    LOG_RETENTION_DAYS,
    Connect,
    HostName,
    Kind,
    Schedule,
    Topic,
    UrlPath,
    retention_problem,
)
from ecsp.config.variables import both_ways, env_name_errors, secret_errors, stringify


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
    variables: dict[str, TextOrExport] | None = Field(
        None, description="Environment variables for the container: a value, or {from_cfn: EXPORT_NAME} to read a "
        "CloudFormation export at deploy time.", examples=[{"LOG_LEVEL": "info"}])
    secrets: dict[str, TextOrExport] | None = Field(
        None, description="Secret environment variables: SSM parameter names or Secrets Manager/SSM ARNs, or "
        "{from_cfn: EXPORT_NAME} of an export holding one.",
        examples=[{"DB_PASSWORD": "/shop/db-password"}],
    )
    link: links.LinkList | None = Field(None, description=links.LINK_DESCRIPTION, examples=[["orders", "uploads"]])
    security_groups: links.SecurityGroups | None = Field(None, description=links.SECURITY_GROUPS_DESCRIPTION,
                                                         examples=[["sg-0123456789abcdef0"]])
    managed_policies: links.ManagedPolicies | None = Field(
        None, description=links.MANAGED_POLICIES_DESCRIPTION,
        examples=[["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]])
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
        raise_all([FieldError((i,), f"'{a}' is listed twice; list each alias once")
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
            raise ValueError(f"{v} is not a Fargate cpu size; use {or_list(list(map(str, fargate.CPU_VALUES)))} "
                             f"(1024 units = 1 vCPU; the nearest is {near})")
        return v

    @field_validator("memory")
    @classmethod
    def _memory_fits_cpu(cls, v: int | None, info: ValidationInfo) -> int | None:
        # Only when both are written side by side: a value that mixes the base and an override is
        # checked after merging, where the message can say which environment and which line.
        cpu = info.data.get("cpu")
        if v is not None and cpu is not None and not fargate.is_valid(cpu, v):
            raise ValueError(pair_message(cpu, v))
        return v

    @field_validator("log_retention")
    @classmethod
    def _retention(cls, v: int | None) -> int | None:
        if v is not None and v not in LOG_RETENTION_DAYS:
            raise ValueError(retention_problem(v))
        return v

    @field_validator("variables")
    @classmethod
    def _variables(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        raise_all(env_name_errors(v or {}))
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        raise_all(secret_errors(v or {}))
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
        raise_all(errors)
        return v

    @field_validator("variables", "secrets", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        return stringify(v)


class ApplicationOverride(_ApplicationFields):
    """Per-environment overrides: any application field, replacing (maps: extending) the base value."""

    healthcheck: HealthCheckOverride | None = Field(  # type: ignore[assignment]
        None, description="Health check fields to change in this environment (the rest come from the base).",
        examples=[{"timeout": 10}],
    )


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
    addons: str | None = Field(None, min_length=1, description=links.ADDONS_DESCRIPTION,
                               examples=["copilot/api/addons"])

    @field_validator("publish")
    @classmethod
    def _topics_unique(cls, v: list[str]) -> list[str]:
        raise_all([FieldError((i,), f"'{t}' is listed twice; remove one") for i, t in enumerate(v) if t in v[:i]])
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
    variables: dict[str, TextOrExport] = Field(default_factory=dict, description="Environment variables.")
    secrets: dict[str, TextOrExport] = Field(default_factory=dict, description="Secret environment variables.")
    link: list[str] = Field(default_factory=list, description="Data this application uses.")
    security_groups: list[TextOrExport] = Field(default_factory=list, description="Extra security groups.")
    managed_policies: list[str] = Field(default_factory=list, description="Managed policies of the task role.")
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
            raise FieldError(("memory",), pair_message(self.cpu, self.memory))
        return self

    @model_validator(mode="after")
    def _variable_and_secret_names_differ(self) -> Application:
        raise_all(both_ways(self.variables, self.secrets))
        return self

    @model_validator(mode="after")
    def _fields_suit_the_kind(self) -> Application:
        raise_all(kind_problems(self))
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

