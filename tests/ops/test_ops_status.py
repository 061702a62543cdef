"""`ecsp status` against moto's server: resources created with boto3 the way a deploy does."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from ecsp import cli, loader
from ecsp.aws import Sessions
from ecsp.context import LocalEmulator
from ecsp.ops import status as ops
from ecsp.ops.status import Health
from tests import harness
from tests import ops_support as aws

moto, project_file = aws.moto, aws.project_file  # fixtures


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_status_json_reports_a_running_app_and_what_is_not_deployed(
        moto: str, project_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web", targets=2)

    code, out, err = run(capsys, "status", "-f", str(project_file), "--local", "--json")

    assert code == 0, err
    doc = json.loads(out)
    assert doc["local"] is True and doc["problems"] == []
    rows = {(a["environment"], a["application"]): a for a in doc["applications"]}
    assert set(rows) == {("test", "web"), ("test", "api"), ("prod", "web"), ("prod", "api")}
    web = rows["test", "web"]
    assert web["health"] == "healthy"
    assert (web["running"], web["desired"], web["pending"]) == (1, 1, 0)
    assert web["rollout"]["state"] == "COMPLETED"
    assert web["rollout"]["task_definition"] == "ecsp_shop-test-web:1"
    assert [t["state"] for t in web["targets"]] == ["healthy", "healthy"]
    assert web["url"] == f"http://{env.alb_dns}/"
    assert rows["test", "api"]["health"] == "not deployed"
    assert rows["test", "api"]["hint"] == "run `ecsp up --local --env test --app api`"
    # prod lives in another region, where nothing was created.
    assert rows["prod", "web"]["health"] == "not deployed"
    assert "ecsp up --local --env prod" in rows["prod", "web"]["hint"]
    assert "local mode: read from a local AWS emulator" in err


def test_status_text_shows_table_rollout_and_hints(moto: str, project_file: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "0")  # tasks not started yet: the rollout is in progress
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "api", path="/api", desired=2, targets=0)

    code, out, _ = run(capsys, "status", "-f", str(project_file), "--local", "--env", "test", "--app", "api")

    assert code == 0
    lines = out.splitlines()
    assert "local emulator: nothing here is real" in lines[0]
    row = next(line for line in lines if "│ test" in line and " api " in line)
    for cell in ("deploying", "0/2 (+2 pending)", "in progress"):
        assert cell in row, (cell, row)
    assert f"  test/api  http://{env.alb_dns}/api" in lines  # below the table, whole
    assert "web" not in out  # --app api


def test_status_fits_80_columns_with_urls_whole_and_each_hint_once(
        moto: str, project_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web", desired=2, targets=1)

    code, out, _ = run(capsys, "status", "-f", str(project_file), "--local")

    assert code == 0
    lines = out.splitlines()
    table = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert table and all(len(line) <= 80 for line in table), table
    assert "┃ env  ┃ app ┃ state        ┃ tasks" in table[1]  # headers and names whole, never folded
    assert f"  test/web  http://{env.alb_dns}/" in lines
    # prod is not deployed: its applications share the one hint
    assert "prod/web, prod/api" in lines
    assert sum("environment 'prod' is not deployed" in line for line in lines) == 1


def test_status_finds_resources_by_tags_when_names_differ(moto: str, project_file: Path) -> None:
    # A cluster and service whose names are not ecsp's (renamed, imported): tags must find them,
    # and a service without loadBalancers still gets its tagged target group and the tagged ALB.
    env = aws.deploy_environment(moto, "shop", "test", suffix="-custom-name")
    aws.deploy_application(moto, env, "web", service_name="frontend-svc", attach=False)
    other = aws.deploy_environment(moto, "other", "test")  # another project's look-alike must be ignored
    aws.deploy_application(moto, other, "web", priority=7)

    project = loader.load(project_file)
    report = ops.status(project, Sessions(project, local=LocalEmulator(moto)), environments=["test"])

    web = next(a for a in report.applications if a.application == "web")
    assert web.service == "frontend-svc"
    assert web.health is Health.HEALTHY
    assert len(web.targets) == 1
    assert web.url == f"http://{env.alb_dns}/"


def test_status_finds_untagged_resources_by_name(moto: str, project_file: Path) -> None:
    env = aws.deploy_environment(moto, "shop", "test", tagged=False)
    aws.deploy_application(moto, env, "web", tagged=False)

    project = loader.load(project_file)
    report = ops.status(project, Sessions(project, local=LocalEmulator(moto)), environments=["test"])

    web = next(a for a in report.applications if a.application == "web")
    assert web.health is Health.HEALTHY and web.service == "web"
    assert web.url == f"http://{env.alb_dns}/"  # through the target group's load balancer


@pytest.mark.parametrize(("app", "url"), [("web", "https://web.test.shop.example.com/"),
                                          ("api", "https://api.test.shop.example.com/api")])
def test_status_with_a_domain_shows_the_url_the_stack_exports(moto: str, tmp_path: Path, app: str, url: str) -> None:
    # The HTTPS rule matches host and path: https://api.test.shop.example.com alone would get the 404.
    path = tmp_path / "ecsp.yaml"
    path.write_text(aws.CONFIG.replace("region: us-east-1}", "region: us-east-1, domain: example.com}", 1))
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, app)
    project = loader.load(path)

    report = ops.status(project, Sessions(project, local=LocalEmulator(moto)), environments=["test"],
                        applications=[app])

    exported = harness.run_stack(project, f"shop-{app}/test").outputs["url"]
    assert [a.url for a in report.applications] == [exported] == [url]


def _stub_failed_rollout(sessions: Sessions) -> tuple[Stubber, Stubber]:
    """ECS and ELBv2 answers for a service whose deployment the circuit breaker stopped.

    moto never fails a rollout, so these answers are stubbed (shapes validated by botocore).
    """
    t0, t1 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 1, 10, 5, tzinfo=UTC)
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/shop-test-abc1234"
    tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-test-web-x/1"
    alb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-test-x/2"
    service: dict[str, Any] = {
        "serviceName": "web", "status": "ACTIVE", "runningCount": 1, "desiredCount": 2, "pendingCount": 0,
        "loadBalancers": [{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}],
        "tags": [{"key": "ecsp:project", "value": "shop"}, {"key": "ecsp:environment", "value": "test"},
                 {"key": "ecsp:application", "value": "web"}],
        "deployments": [
            {"id": "ecs-svc/rollback", "status": "PRIMARY", "rolloutState": "IN_PROGRESS", "createdAt": t1,
             "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-test-web:3",
             "runningCount": 1, "desiredCount": 2, "pendingCount": 0,
             "rolloutStateReason": "ECS deployment ecs-svc/rollback in progress."},
            {"id": "ecs-svc/new", "status": "ACTIVE", "rolloutState": "FAILED", "createdAt": t0, "failedTasks": 3,
             "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-test-web:4",
             "runningCount": 0, "desiredCount": 0, "pendingCount": 0,
             "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."},
        ],
        "events": [{"id": "e1", "createdAt": t1,
                    "message": "(service web) rolling back to deployment ecs-svc/rollback."},
                   {"id": "e2", "createdAt": t0, "message": "(service web) deployment ecs-svc/new deployment failed: "
                    "tasks failed to start."}],
    }
    ecs = Stubber(sessions.client("test", "ecs"))
    ecs.add_response("describe_clusters", {"clusters": [
        {"clusterArn": cluster, "clusterName": "shop-test", "status": "ACTIVE"}]})
    ecs.add_response("list_services", {"serviceArns": ["arn:aws:ecs:us-east-1:123456789012:service/shop-test/web"]})
    ecs.add_response("describe_services", {"services": [service]})
    elbv2 = Stubber(sessions.client("test", "elbv2"))
    elbv2.add_response("describe_target_groups", {"TargetGroups": [
        {"TargetGroupArn": tg, "LoadBalancerArns": [alb]}]})
    elbv2.add_response("describe_target_health", {"TargetHealthDescriptions": [
        {"Target": {"Id": "10.0.0.7", "Port": 80}, "TargetHealth": {"State": "healthy"}},
        {"Target": {"Id": "10.0.1.9", "Port": 80}, "TargetHealth": {
            "State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
            "Description": "Health checks failed with these codes: [502]"}}]})
    elbv2.add_response("describe_load_balancers", {"LoadBalancers": [
        {"LoadBalancerArn": alb, "DNSName": "shop-test-x-1.us-east-1.elb.amazonaws.com"}]})
    return ecs, elbv2


def test_status_explains_a_failed_rollout_and_unhealthy_targets(project_file: Path, moto: str) -> None:
    project = loader.load(project_file)
    sessions = Sessions(project, local=LocalEmulator(moto))
    ecs, elbv2 = _stub_failed_rollout(sessions)
    with ecs, elbv2:
        report = ops.status(project, sessions, environments=["test"], applications=["web"])
    ecs.assert_no_pending_responses()

    (web,) = report.applications
    assert web.health is Health.FAILED
    assert web.rollout is not None and web.rollout.id == "ecs-svc/rollback"
    assert web.failed_rollout is not None
    assert web.failed_rollout.reason == "ECS deployment circuit breaker: tasks failed to start."
    assert web.failed_rollout.task_definition == "shop-test-web:4"
    assert web.healthy_targets == 1

    console = aws_console()
    ops.render(report, console)
    text = console.export_text()
    assert "│ test │ web │ failed" in text
    assert "1/2 healthy" in text and "failed " in text
    assert "rollout ecs-svc/new FAILED: ECS deployment circuit breaker: tasks failed to start." in text
    assert ("target 10.0.1.9:80 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: "
            "[502])") in text
    assert "rolling back to deployment ecs-svc/rollback" in text
    assert "hint: the newest deployment failed and ECS rolled back" in text


def test_status_limits_events(project_file: Path, moto: str) -> None:
    project = loader.load(project_file)
    sessions = Sessions(project, local=LocalEmulator(moto))
    ecs, elbv2 = _stub_failed_rollout(sessions)
    with ecs, elbv2:
        report = ops.status(project, sessions, environments=["test"], applications=["web"], events=1)
    assert [e.message for e in report.applications[0].events] == [
        "(service web) rolling back to deployment ecs-svc/rollback."]


def aws_console() -> Any:
    from rich.console import Console

    return Console(width=200, record=True, file=io.StringIO(), highlight=False)


def test_status_unknown_environment_is_a_usage_error(project_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status", "-f", str(project_file), "--local", "--env", "staging")
    assert code == 2
    assert "error: no environment named 'staging' in ecsp.yaml" in err
    assert "fix: use one of: test, prod" in err
    assert "local mode" not in err  # refused before the emulator was started
