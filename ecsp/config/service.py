"""The service block: what an application whose tasks ECS keeps running sets (count, deployment, capacity, connect)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from ecsp import schedules
from ecsp.config.base import FieldError, Hint, Model
from ecsp.config.fields import Capability, Merge, Setting
from ecsp.config.needs import Feature, Need
from ecsp.config.release import ReleaseConfig
from ecsp.config.types import Connect, duration


class QueueDelayConfig(Model):
    """Scale a worker on its queue's backlog: keep (latency / processing_time) messages per task at most."""

    latency: Annotated[int | str, duration(1, 86400, "an acceptable latency")] = Field(
        description="How long a message may wait before a task picks it up: seconds or e.g. 10m.",
        examples=[600])
    processing_time: Annotated[int | str, duration(0.001, 86400, "a processing time")] = Field(
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

SERVICE = Capability.SERVICE


class ServiceBlock(Model):
    """What an application whose tasks ECS keeps running has: a count, deployments, capacity, Service Connect."""

    count: Annotated[Count, Setting(SERVICE, refusal="a {called} starts one task per run; remove count"),
                     Hint(expected="use a number of tasks, or {min: 1, max: 4} to autoscale")] = Field(
        1, description="Tasks to run: a number, or {min, max, cpu_percentage, ...} to autoscale.")
    deployment: Annotated[DeploymentConfig, Setting(
        SERVICE, why="only services roll out deployments; a job's runs are tasks")] = Field(
        default_factory=DeploymentConfig, description="Rolling deployment percentages.",
        examples=[{"rolling": "recreate"}])
    capacity: Annotated[Capacity, Setting(SERVICE, why="a job's runs are started by its state machine on FARGATE")] \
        = Field("on-demand", description="Where tasks run: on-demand (default), spot, or {spot: N, base: M} (the "
                "first M tasks on demand, then N on Spot per one on demand).",
                examples=["spot", {"spot": 2, "base": 1}])
    connect: Annotated[Connect, Setting(
        SERVICE, Merge.FIXED, refusal="a {called} runs to completion, so Service Connect (which serves and calls "
        "through a long-running proxy) does not apply; remove connect")] = Field(
        False, description="Service Connect: true (web, backend: others call http://<app>:<port>; worker: calls "
        "others), or a discovery name to use instead of the application's name. Not for jobs.", examples=[True])
    release: Annotated[ReleaseConfig | None, Setting(
        SERVICE, why="a release runs before a service moves to a new version, and only services have one")] = Field(
        None, description="A command run in a one-off task of each new version before the service moves to it "
        "(migrations); if it fails, the old version keeps serving.",
        examples=[{"command": ["python", "manage.py", "migrate"], "timeout": 600}])

    @property
    def autoscaling(self) -> AutoscalingConfig | None:
        return self.count if isinstance(self.count, AutoscalingConfig) else None

    @property
    def desired_count(self) -> int:
        return self.count.min if isinstance(self.count, AutoscalingConfig) else self.count

    def environment_needs(self) -> list[Need]:
        """Service Connect needs the environment's namespace; backlog scaling needs Container Insights."""
        needs = [Need(Feature.NAMESPACE, ("connect",))] if self.connect else []
        scaling = self.autoscaling
        if scaling is not None and scaling.queue_delay is not None:
            needs.append(Need(Feature.CONTAINER_INSIGHTS, ("count", "queue_delay"), _insights_problem))
        return needs


def _insights_problem(envs: Sequence[str]) -> str:
    # Backlog per task divides by the running task count, which ECS publishes only with Container Insights.
    fix = " and ".join(f"environments.{e}.container_insights: true" for e in envs)
    return (f"queue_delay scaling divides the queue's backlog by the running task count, which ECS publishes only "
            f"with Container Insights; set {fix}, or scale on cpu_percentage")
