"""An ECS service deployment as ECS reports it, and following one to its end.

ECS keeps a *service deployment* per rollout (``ListServiceDeployments``,
``DescribeServiceDeployments``): its status (in progress, successful, rolled back, ...), the
lifecycle stage it is in (scale up, test traffic, production traffic, bake time, ...), the
share of production traffic the new tasks have, and the alarms that watch it.
:class:`ServiceDeployment` is that record as ecsp shows it; :func:`latest` reads it with boto3;
:func:`follow` polls it until it ends.

:class:`FollowingEngine` is how ``ecsp up`` waits for a deployment: it wraps any engine, and
after an application stack's ``up`` it follows the service's newest deployment, reporting each
change as an info diagnostic of that stack (progress and the run's summary show it), and fails
the stack when the deployment did not complete (rolled back, failed or stopped), with ECS's reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.exceptions  # type: ignore[import-untyped]

from ecsp.context import StackContext
from ecsp.engine import DriftedResource, Engine, EventSink, StackInfo, StackRun, StackUpdate
from ecsp.errors import Cancelled, EcspError, EngineError
from ecsp.events import Diagnostic, Operation
from ecsp.graph import StackSpec

# Statuses after which ECS changes nothing more, and what each means to a person.
OUTCOMES = {
    "SUCCESSFUL": "completed",
    "ROLLBACK_SUCCESSFUL": "rolled back",
    "ROLLBACK_FAILED": "failed, and its rollback failed too",
    "STOPPED": "stopped",
}
# How often a followed deployment is read, and how long ecsp follows one at most.
POLL_SECONDS = 15.0
FOLLOW_LIMIT_SECONDS = 3 * 3600.0


@dataclass(frozen=True)
class ServiceDeployment:
    """One rollout of a service, as ``DescribeServiceDeployments`` says (None: ECS did not say)."""

    arn: str
    status: str  # PENDING, IN_PROGRESS, SUCCESSFUL, ROLLBACK_IN_PROGRESS, ...
    stage: str | None  # SCALE_UP, TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, ...
    strategy: str | None  # ROLLING, BLUE_GREEN, CANARY, LINEAR
    traffic: float | None  # % of production traffic the new tasks are to have now
    bake_minutes: int | None
    updated: datetime | None  # when ECS last changed it (a stage starts then)
    alarms: tuple[str, ...] = ()
    firing: tuple[str, ...] = ()  # alarms that set the rollback off
    reason: str | None = None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> ServiceDeployment:
        config = item.get("deploymentConfiguration") or {}
        target = item.get("targetServiceRevision") or {}
        alarms = item.get("alarms") or {}
        bake = config.get("bakeTimeInMinutes")
        weight = target.get("requestedProductionTrafficWeight")
        rollback = item.get("rollback") or {}
        return cls(
            arn=str(item.get("serviceDeploymentArn") or ""), status=str(item.get("status") or "PENDING"),
            stage=item.get("lifecycleStage"), strategy=config.get("strategy"),
            traffic=float(weight) if weight is not None else None,
            bake_minutes=int(bake) if bake is not None else None, updated=item.get("updatedAt"),
            alarms=tuple(alarms.get("alarmNames") or ()), firing=tuple(alarms.get("triggeredAlarmNames") or ()),
            reason=rollback.get("reason") or item.get("statusReason"))

    @property
    def outcome(self) -> str | None:
        """completed, rolled back, failed..., stopped; None while ECS is still at it."""
        return OUTCOMES.get(self.status)

    def bake_left(self, now: datetime) -> float | None:
        """Seconds of bake time left while baking (from when the stage began), else None."""
        if self.stage != "BAKE_TIME" or self.bake_minutes is None or self.updated is None:
            return None
        return max(0.0, self.bake_minutes * 60 - (now - self.updated).total_seconds())

    def describe(self, now: datetime | None = None) -> str:
        """One line: ``canary, production traffic shift: 10% of traffic on the new tasks; alarms: none firing``."""
        words = [(self.strategy or "rolling").lower().replace("_", "-")]
        rolling_back = self.status in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
        words.append(self.outcome or ("rolling back" if rolling_back else
                                      (self.stage or self.status).lower().replace("_", " ")))
        text = ", ".join(words)
        details = []
        if self.traffic is not None and self.outcome is None:
            details.append(f"{self.traffic:g}% of traffic on the new tasks")
        left = self.bake_left(now) if now is not None else None
        if left is not None:
            details.append(f"{int(left // 60)}m{int(left % 60):02d}s of bake time left")
        if self.alarms:
            details.append(f"alarms firing: {', '.join(self.firing)}" if self.firing else
                           f"{len(self.alarms)} alarm(s), none firing")
        if self.reason and self.outcome not in (None, "completed"):
            details.append(self.reason)
        return text + (f": {'; '.join(details)}" if details else "")


def cluster_of(service_arn: str) -> str | None:
    """The cluster of a service ARN (``arn:aws:ecs:R:A:service/CLUSTER/NAME``); None in the old short format."""
    parts = service_arn.split(":", 5)[-1].split("/")
    if parts[0] != "service" or len(parts) not in (2, 3):
        raise ValueError(f"'{service_arn}' is not an ECS service ARN")
    return parts[1] if len(parts) == 3 else None


def latest(ecs: Any, service_arn: str) -> ServiceDeployment | None:
    """The service's newest deployment (None when ECS lists none)."""
    cluster = cluster_of(service_arn)
    # An ARN of the old short format names no cluster; ECS then looks the service up by its ARN alone.
    where = {"cluster": cluster} if cluster else {}
    listed = ecs.list_service_deployments(**where, service=service_arn).get("serviceDeployments") or []
    if not listed:
        return None
    newest = max(listed, key=lambda d: d.get("createdAt") or d.get("startedAt") or datetime.min)
    described = ecs.describe_service_deployments(serviceDeploymentArns=[newest["serviceDeploymentArn"]])
    items = described.get("serviceDeployments") or []
    return ServiceDeployment.of(items[0]) if items else None


def follow(read: Callable[[], ServiceDeployment | None], *, on_change: Callable[[ServiceDeployment], None],
           sleep: Callable[[float], Any] = time.sleep, clock: Callable[[], float] = time.monotonic,
           poll: float = POLL_SECONDS, limit: float = FOLLOW_LIMIT_SECONDS) -> ServiceDeployment | None:
    """Read the deployment until it ends (or ``limit`` seconds pass), calling ``on_change`` when what it says changes.

    Returns the last state read (None: no deployment at all).
    """
    started = clock()
    last: ServiceDeployment | None = None
    while True:
        state = read()
        if state is None:
            return last
        if last is None or (state.status, state.stage, state.traffic, state.firing) != (
                last.status, last.stage, last.traffic, last.firing):
            on_change(state)
        last = state
        if state.outcome is not None or clock() - started >= limit:
            return state
        sleep(poll)


class FollowingEngine:
    """An engine whose ``up`` of an application stack ends when the service's deployment does (see module docstring).

    ``ecs_for(spec)``: an ECS client for the stack's environment. ``now`` dates bake time. A
    deployment ECS cannot be asked about (no credentials, no permission) is a warning, not a
    failure: the stack's own ``up`` succeeded. An interrupt stops the following at once.
    """

    def __init__(self, inner: Engine, ecs_for: Callable[[StackSpec], Any], *, poll: float = POLL_SECONDS,
                 now: Callable[[], datetime] | None = None) -> None:
        self.inner, self.ecs_for, self.poll = inner, ecs_for, poll
        self.now = now or (lambda: datetime.now().astimezone())
        self._stops: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    @property
    def organization(self) -> str | None:
        return self.inner.organization

    def check(self) -> None:
        self.inner.check()

    def prepare(self, stacks: Sequence[StackSpec], operation: Operation) -> list[str]:
        return self.inner.prepare(stacks, operation)

    def run(self, operation: Operation, ctx: StackContext, on_event: EventSink) -> StackRun:
        result = self.inner.run(operation, ctx, on_event)
        service_arn = result.outputs.get("serviceArn")
        if operation != "up" or not isinstance(service_arn, str) or not service_arn.startswith("arn:"):
            return result
        if result.changes and {op for op, count in result.changes.items() if count} <= {"same"}:
            return result  # the update changed nothing, so it started no deployment
        stack = ctx.stack.name
        stop = threading.Event()
        with self._lock:
            self._stops[stack] = stop

        def said(state: ServiceDeployment) -> None:
            on_event(Diagnostic(stack, "info", f"deployment {state.describe(self.now())}"))

        def wait(seconds: float) -> None:
            if stop.wait(seconds):
                raise Cancelled(f"{stack}: stopped following the service's deployment (ECS goes on with it)")

        try:
            ecs = self.ecs_for(ctx.stack)
            final = follow(lambda: latest(ecs, service_arn), on_change=said, sleep=wait, poll=self.poll)
        except Cancelled:
            raise
        except (EcspError, ValueError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            # Credentials, permissions, the network: nothing said about the deployment itself.
            on_event(Diagnostic(stack, "warning", f"could not follow the service's deployment: {e}; `ecsp status` "
                                                  "shows it"))
            return result
        finally:
            with self._lock:
                self._stops.pop(stack, None)
        if final is not None and final.outcome not in (None, "completed"):
            raise EngineError(f"{stack}: the service's deployment {final.outcome}"
                              + (f": {final.reason}" if final.reason else ""),
                              fix="`ecsp status` shows the service's events; fix the cause and run `ecsp up` again")
        return result

    def interrupt(self, stack: StackSpec) -> None:
        with self._lock:
            stop = self._stops.get(stack.name)
        if stop is not None:
            stop.set()
        self.inner.interrupt(stack)

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        return self.inner.outputs(stack)

    def list_stacks(self) -> list[StackInfo]:
        return self.inner.list_stacks()

    def cancel(self, stack: StackSpec) -> bool:
        return self.inner.cancel(stack)

    def history(self, stack: StackSpec, *, limit: int = 20) -> list[StackUpdate]:
        return self.inner.history(stack, limit=limit)

    def stack_tags(self, stack: StackSpec) -> dict[str, str]:
        return self.inner.stack_tags(stack)

    def release_data(self, stack: StackSpec, urns: Sequence[str] | None) -> list[str]:
        return self.inner.release_data(stack, urns)

    def drift(self, ctx: StackContext, on_event: EventSink) -> list[DriftedResource]:
        return self.inner.drift(ctx, on_event)


__all__ = ["FollowingEngine", "ServiceDeployment", "cluster_of", "follow", "latest"]
