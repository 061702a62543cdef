"""Following an ECS service deployment: reading it (botocore's Stubber: moto has no service deployments),
following it to its end, and ``up`` under the fake engine ending with it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecsp import graph as graphs
from ecsp import orchestrator, service_deployments
from ecsp.context import StackContext
from ecsp.engine import StackRun
from ecsp.engine.fake import FakeEngine
from ecsp.events import Diagnostic, Status
from ecsp.service_deployments import FollowingEngine, ServiceDeployment, cluster_of, follow, latest
from tests.deploy_support import Recorder, synthetic

CLUSTER = "arn:aws:ecs:us-west-2:123456789012:cluster/shop-e0"
SERVICE = "arn:aws:ecs:us-west-2:123456789012:service/shop-e0-Cluster-1a2b/a0"
DEPLOYMENT = "arn:aws:ecs:us-west-2:123456789012:service-deployment/shop-e0-Cluster-1a2b/a0/Kx3n9"
START = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)


def described(status: str, stage: str | None = None, *, weight: float | None = None, firing: tuple[str, ...] = (),
              reason: str | None = None, updated: datetime = START, strategy: str = "CANARY") -> dict[str, Any]:
    """A DescribeServiceDeployments item as ECS returns it for a canary deployment watched by two alarms."""
    item: dict[str, Any] = {
        "serviceDeploymentArn": DEPLOYMENT, "serviceArn": SERVICE, "clusterArn": CLUSTER, "status": status,
        "createdAt": START, "startedAt": START, "updatedAt": updated,
        "targetServiceRevision": {"arn": f"{SERVICE}/revision/2", "requestedTaskCount": 2, "runningTaskCount": 2,
                                  "pendingTaskCount": 0},
        "deploymentConfiguration": {"strategy": strategy, "bakeTimeInMinutes": 10,
                                    "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5},
                                    "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        "alarms": {"status": "TRIGGERED" if firing else "MONITORING_COMPLETE" if status == "SUCCESSFUL"
                   else "MONITORING", "alarmNames": ["shop-errors", "shop-latency"],
                   "triggeredAlarmNames": list(firing)},
    }
    if stage is not None:
        item["lifecycleStage"] = stage
    if weight is not None:
        item["targetServiceRevision"]["requestedProductionTrafficWeight"] = weight
    if reason is not None:
        item["rollback"] = {"reason": reason, "startedAt": updated, "serviceRevisionArn": f"{SERVICE}/revision/1"}
    return item


def stubbed(*items: dict[str, Any]) -> tuple[Any, Stubber]:
    """An ECS client answering a list and a describe per item, in turn (checking the requests against ECS's model)."""
    ecs = boto3.client("ecs", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ecs)
    for item in items:
        stub.add_response("list_service_deployments", {"serviceDeployments": [
            {"serviceDeploymentArn": f"{DEPLOYMENT}-old", "serviceArn": SERVICE, "clusterArn": CLUSTER,
             "status": "SUCCESSFUL", "createdAt": START - timedelta(days=1)},
            {"serviceDeploymentArn": DEPLOYMENT, "serviceArn": SERVICE, "clusterArn": CLUSTER,
             "status": item["status"], "createdAt": START}]},
            {"cluster": "shop-e0-Cluster-1a2b", "service": SERVICE})
        stub.add_response("describe_service_deployments", {"serviceDeployments": [item]},
                          {"serviceDeploymentArns": [DEPLOYMENT]})
    stub.activate()
    return ecs, stub


def test_the_newest_deployment_is_read_and_described() -> None:
    ecs, stub = stubbed(described("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", weight=10.0))
    state = latest(ecs, SERVICE)
    stub.assert_no_pending_responses()
    assert state is not None and (state.strategy, state.stage, state.traffic) == ("CANARY", "PRODUCTION_TRAFFIC_SHIFT",
                                                                                 10.0)
    assert state.describe() == "canary, production traffic shift: 10% of traffic on the new tasks; 2 alarm(s), none " \
                               "firing"
    assert state.outcome is None


def test_bake_time_left_and_how_each_ending_reads() -> None:
    baking = ServiceDeployment.of(described("IN_PROGRESS", "BAKE_TIME", weight=100.0))
    assert baking.bake_left(START + timedelta(minutes=3, seconds=30)) == 390
    assert "6m30s of bake time left" in baking.describe(START + timedelta(minutes=3, seconds=30))
    assert baking.bake_left(START + timedelta(hours=1)) == 0
    rolled = ServiceDeployment.of(described("ROLLBACK_SUCCESSFUL", "CLEAN_UP", firing=("shop-errors",),
                                            reason="CloudWatch alarm shop-errors went into ALARM"))
    assert rolled.outcome == "rolled back"
    assert rolled.describe() == "canary, rolled back: alarms firing: shop-errors; CloudWatch alarm shop-errors went " \
                                "into ALARM"
    assert ServiceDeployment.of(described("SUCCESSFUL", "CLEAN_UP")).describe() == \
        "canary, completed: 2 alarm(s), none firing"
    assert cluster_of(SERVICE) == "shop-e0-Cluster-1a2b"
    assert cluster_of("arn:aws:ecs:us-west-2:123456789012:service/a0") is None  # the old short format
    with pytest.raises(ValueError, match="not an ECS service ARN"):
        cluster_of("arn:aws:ecs:us-west-2:123456789012:cluster/a0")


def test_follow_reports_each_change_once_and_stops_at_the_end() -> None:
    states = [ServiceDeployment.of(d) for d in (
        described("IN_PROGRESS", "SCALE_UP"), described("IN_PROGRESS", "SCALE_UP"),
        described("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", weight=10.0),
        described("IN_PROGRESS", "BAKE_TIME", weight=100.0), described("SUCCESSFUL", "CLEAN_UP"))]
    seen: list[str | None] = []
    naps: list[float] = []
    final = follow(iter(states).__next__, on_change=lambda s: seen.append(s.stage), sleep=naps.append, poll=7)
    assert final is not None and final.outcome == "completed"
    assert seen == ["SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]
    assert naps == [7, 7, 7, 7]
    assert follow(lambda: None, on_change=seen.append) is None  # no deployment at all


def test_follow_gives_up_after_its_limit() -> None:
    clock = iter(range(0, 100, 10))
    final = follow(lambda: ServiceDeployment.of(described("IN_PROGRESS", "BAKE_TIME")), on_change=lambda s: None,
                   sleep=lambda s: None, clock=lambda: float(next(clock)), limit=30)
    assert final is not None and final.outcome is None


CONFIG = synthetic("shop", environments=1, applications=1)
GRAPH = graphs.build(CONFIG)
APP = "shop-a0/e0"


class ServiceEngine(FakeEngine):
    """The fake engine, whose application stacks export a service ARN as ecsp's programs do."""

    def run(self, operation, ctx, on_event):  # type: ignore[no-untyped-def]
        result = super().run(operation, ctx, on_event)
        if ctx.stack.application:
            return StackRun(result.changes, {**result.outputs, "serviceArn": SERVICE})
        return result


def up(engine: FollowingEngine, listener: Recorder) -> Any:
    return orchestrator.run(GRAPH, "up", engine, lambda spec: StackContext(config=CONFIG, stack=spec),
                            listener=listener)


def test_up_ends_when_the_deployment_completes_and_says_how_it_went() -> None:
    ecs, stub = stubbed(described("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", weight=10.0),
                        described("IN_PROGRESS", "BAKE_TIME", weight=100.0), described("SUCCESSFUL", "CLEAN_UP"))
    asked: list[str] = []

    def ecs_for(spec: graphs.StackSpec) -> Any:
        asked.append(spec.name)
        return ecs

    recorder = Recorder()
    result = up(FollowingEngine(ServiceEngine(), ecs_for, poll=0, now=lambda: START), recorder)
    stub.assert_no_pending_responses()
    assert result.ok and asked == [APP]  # the project and environment stacks export no service
    said = [e.message for e in recorder.events if isinstance(e, Diagnostic) and e.stack == APP]
    assert said == ["deployment canary, production traffic shift: 10% of traffic on the new tasks; 2 alarm(s), "
                    "none firing",
                    "deployment canary, bake time: 100% of traffic on the new tasks; 10m00s of bake time left; 2 "
                    "alarm(s), none firing",
                    "deployment canary, completed: 2 alarm(s), none firing"]


def test_an_up_that_changed_nothing_started_no_deployment_and_asks_ecs_nothing() -> None:
    class Unchanged(ServiceEngine):
        def run(self, operation, ctx, on_event):  # type: ignore[no-untyped-def]
            result = super().run(operation, ctx, on_event)
            return StackRun({"same": 12}, result.outputs)

    asked: list[str] = []
    result = up(FollowingEngine(Unchanged(), lambda spec: asked.append(spec.name), poll=0), Recorder())
    assert result.ok and asked == []


def test_a_rolled_back_deployment_fails_its_stack_with_ecs_reason() -> None:
    ecs, _ = stubbed(described("ROLLBACK_IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", weight=10.0,
                               firing=("shop-errors",)),
                     described("ROLLBACK_SUCCESSFUL", "CLEAN_UP", firing=("shop-errors",),
                               reason="CloudWatch alarm shop-errors went into ALARM"))
    result = up(FollowingEngine(ServiceEngine(), lambda spec: ecs, poll=0), Recorder())
    assert result[APP].status is Status.FAILED
    assert result[APP].reason == "shop-a0/e0: the service's deployment rolled back: CloudWatch alarm shop-errors " \
                                 "went into ALARM"


def test_a_deployment_ecs_will_not_show_is_a_warning_not_a_failure() -> None:
    ecs = boto3.client("ecs", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ecs)
    stub.add_client_error("list_service_deployments", "AccessDeniedException", "not allowed")
    stub.activate()
    recorder = Recorder()
    result = up(FollowingEngine(ServiceEngine(), lambda spec: ecs, poll=0), recorder)
    assert result.ok
    [warning] = [e for e in recorder.events if isinstance(e, Diagnostic) and e.severity == "warning"]
    assert warning.message.startswith("could not follow the service's deployment: An error occurred "
                                      "(AccessDeniedException)")


def test_interrupting_stops_the_following_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    forever = ServiceDeployment.of(described("IN_PROGRESS", "BAKE_TIME"))
    engine = FollowingEngine(ServiceEngine(), lambda spec: None, poll=3600)

    def reading(ecs: Any, arn: str) -> ServiceDeployment:
        engine.interrupt(GRAPH[APP])  # Ctrl-C while the first read is in flight
        return forever

    monkeypatch.setattr(service_deployments, "latest", reading)
    started = time.monotonic()
    result = up(engine, Recorder())
    assert time.monotonic() - started < 60  # not the hour between two reads
    # Under Ctrl-C the orchestrator reports the stack cancelled with this reason (an interrupt alone: failed).
    assert result[APP].reason == "shop-a0/e0: stopped following the service's deployment (ECS goes on with it)"
