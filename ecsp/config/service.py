"""The service block: what an application whose tasks ECS keeps running sets (count, deployment, capacity, connect)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

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


def _whole_minutes(value: int | str) -> int | str:
    # ECS counts bake times and steps in whole minutes.
    if schedules.seconds(value) % 60:
        raise ValueError(f"{value} is not a whole number of minutes, which ECS counts in; write e.g. 5m")
    return value


def minutes(value: int | str) -> int:
    """A validated duration in whole minutes (ECS's unit for bake times and steps)."""
    return int(schedules.seconds(value) // 60)


Minutes = Annotated[int | str, duration(0, 1440 * 60, "an ECS wait"), AfterValidator(_whole_minutes)]

Strategy = Literal["rolling", "blue-green", "canary", "linear"]
# What ECS calls each strategy.
ECS_STRATEGIES: dict[str, str] = {"rolling": "ROLLING", "blue-green": "BLUE_GREEN", "canary": "CANARY",
                                  "linear": "LINEAR"}


class CanaryConfig(Model):
    """Canary: a share of the traffic goes to the new tasks first, the rest after a wait."""

    percent: float = Field(10, ge=0.1, le=100, description="Traffic (%) the new tasks get first.", examples=[10])
    bake_time: Minutes = Field("5m", description="How long the canary share runs before all traffic moves (whole "
                               "minutes, e.g. 5m).", examples=["5m"])


class LinearConfig(Model):
    """Linear: traffic moves to the new tasks in equal steps."""

    percent: float = Field(10, ge=3, le=100, description="Traffic (%) each step moves.", examples=[20])
    interval: Minutes = Field("1m", description="How long each step runs before the next (whole minutes, e.g. 2m).",
                              examples=["2m"])


class TestRouteConfig(Model):
    """Test traffic: requests that reach the new tasks before any production traffic moves (checks, smoke tests)."""

    header: str = Field(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$", description="An HTTP header name; requests "
                        "carrying it (with value) go to the new tasks while they are being checked.",
                        examples=["X-Ecsp-Test"])
    value: str = Field("true", min_length=1, max_length=128, description="The header's value that selects test "
                       "traffic.", examples=["true"])


class AlarmsConfig(Model):
    """CloudWatch alarms that roll a deployment back while they are in ALARM (the circuit breaker stays on too)."""

    names: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, description="Existing CloudWatch alarms, by name, in the environment's account and "
        "region.", examples=[["shop-prod-checkout-errors"]])
    errors: float | None = Field(None, gt=0, le=100, description="Web applications: an alarm ecsp creates on the "
                                 "target group's 5xx responses, as a % of its requests, over one minute.",
                                 examples=[5])
    response_time: Annotated[int | str | None, duration(0.001, 60, "a response time")] = Field(
        None, description="Web applications: an alarm ecsp creates on the target group's average response time "
        "(e.g. 500ms, 2s), over one minute.", examples=["800ms"])

    @model_validator(mode="after")
    def _something_to_watch(self) -> AlarmsConfig:
        if not self.names and self.errors is None and self.response_time is None:
            raise FieldError(("names",), "no alarm given; list alarm names, or set errors or response_time")
        return self

    @property
    def created(self) -> dict[str, float]:
        """The alarms ecsp creates: ``errors`` (percent) and ``response_time`` (seconds), as set."""
        out: dict[str, float] = {}
        if self.errors is not None:
            out["errors"] = self.errors
        if self.response_time is not None:
            out["response_time"] = schedules.seconds(self.response_time)
        return out


class DeploymentConfig(Model):
    """How ECS replaces tasks on a deploy: rolling (default, 100% healthy, up to 200%), or with traffic shifting."""

    strategy: Strategy = Field(
        "rolling", description="rolling: replace tasks a few at a time (no extra cost); blue-green: start a whole "
        "new set, move all traffic at once, keep the old set for bake_time (twice the tasks meanwhile); canary: "
        "move canary.percent first, the rest after canary.bake_time; linear: move linear.percent every "
        "linear.interval. The last three need the load balancer (web) or Service Connect (backend with connect).",
        examples=["blue-green"])
    rolling: Literal["default", "recreate"] | None = Field(
        None, description="recreate: stop the old tasks before starting new ones (0%/100%), for applications that "
        "must not run twice at once; default: 100%/200%.")
    min_healthy_percent: int | None = Field(None, ge=0, le=100,
                                            description="Tasks (% of the count) kept running during a deploy.")
    max_percent: int | None = Field(None, ge=100, le=200,
                                    description="Tasks (% of the count) that may run during a deploy.")
    bake_time: Minutes | None = Field(
        None, description="blue-green, canary, linear: how long the old tasks stay after all traffic moved, ready to "
        "take it back (whole minutes, e.g. 10m; ECS's default: none).", examples=["10m"])
    canary: CanaryConfig | None = Field(None, description="With strategy: canary: the first share and its wait.",
                                        examples=[{"percent": 10, "bake_time": "5m"}])
    linear: LinearConfig | None = Field(None, description="With strategy: linear: the step and its interval.",
                                        examples=[{"percent": 20, "interval": "2m"}])
    test_route: TestRouteConfig | None = Field(
        None, description="Web applications with blue-green, canary or linear: requests carrying this header reach "
        "the new tasks before production traffic moves.", examples=[{"header": "X-Ecsp-Test"}])
    alarms: AlarmsConfig | None = Field(
        None, description="Roll a deployment back when one of these alarms goes off (ecsp's own on 5xx and "
        "response time, or existing ones by name).", examples=[{"errors": 5, "response_time": "1s"}])

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

    @model_validator(mode="after")
    def _settings_of_the_strategy(self) -> DeploymentConfig:
        shifting = self.strategy != "rolling"
        if shifting:
            for key in ("rolling", "min_healthy_percent", "max_percent"):
                if getattr(self, key) is not None:
                    raise FieldError((key,), f"{key} belongs to strategy: rolling, and this is strategy: "
                                             f"{self.strategy} (which starts a whole new set of tasks); remove {key}")
        else:
            for key in ("bake_time", "test_route"):
                if getattr(self, key) is not None:
                    raise FieldError((key,), f"{key} needs traffic shifting, and strategy: rolling has none; set "
                                             "strategy: blue-green, canary or linear, or remove " + key)
        for key in ("canary", "linear"):
            if getattr(self, key) is not None and self.strategy != key:
                raise FieldError((key,), f"{key} settings apply to strategy: {key}, and this is strategy: "
                                         f"{self.strategy}; set strategy: {key}, or remove {key}")
        return self

    @property
    def steps(self) -> CanaryConfig | LinearConfig | None:
        """The canary or linear settings in force (their defaults when not written); None for the other strategies."""
        if self.strategy == "canary":
            return self.canary or CanaryConfig()
        if self.strategy == "linear":
            return self.linear or LinearConfig()
        return None

    @property
    def shifts_traffic(self) -> bool:
        """blue-green, canary or linear: ECS runs a new set of tasks beside the old one and moves traffic to it."""
        return self.strategy != "rolling"

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
        default_factory=DeploymentConfig, description="How deploys replace tasks: the strategy (rolling, "
        "blue-green, canary, linear), its settings, and the alarms that roll a deployment back.",
        examples=[{"rolling": "recreate"}, {"strategy": "canary", "canary": {"percent": 10, "bake_time": "5m"},
                                            "alarms": {"errors": 5}}])
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
