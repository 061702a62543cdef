"""status and ``ecsp run`` for workers and jobs, against moto's server: queue depths, dead letters, job runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecsp import cli, loader
from ecsp.aws import Sessions
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator
from ecsp.ops import status as ops
from ecsp.ops import workloads
from ecsp.ops.status import Health
from tests import ops_support as aws

moto = aws.moto  # fixture

CONFIG = """\
project: {name: shop, region: us-east-1}
environments:
  test: {region: us-east-1}
applications:
  web: {image: {location: nginx}, port: 80, publish: [created]}
  orders:
    kind: worker
    image: {location: busybox}
    subscribe: [{app: web, topic: created}]
    queue: {max_receive_count: 3}
  nightly: {kind: job, image: {location: busybox}, schedule: "rate(1 day)"}
"""
ROLE = "arn:aws:iam::123456789012:role/shop-test-nightly-sfn"


@pytest.fixture
def project(tmp_path: Path, moto: str) -> ProjectConfig:
    path = tmp_path / "ecsp.yaml"
    path.write_text(CONFIG)
    return loader.load(path)


def deploy_worker(moto: str, env: aws.Environment) -> dict[str, str]:
    """What the worker's stack creates that status reads: its service, queue and dead-letter queue."""
    aws.deploy_application(moto, env, "orders", attach=False)
    sqs = aws.client(moto, "sqs")
    dlq = sqs.create_queue(QueueName="shop-test-orders-dlq")["QueueUrl"]
    queue = sqs.create_queue(QueueName="shop-test-orders")["QueueUrl"]
    return {"queue": queue, "dlq": dlq}


def deploy_job(moto: str) -> str:
    sfn = aws.client(moto, "stepfunctions")
    definition = json.dumps({"StartAt": "Run", "States": {"Run": {"Type": "Pass", "End": True}}})
    return str(sfn.create_state_machine(name="ecsp_shop-test-nightly", definition=definition,
                                        roleArn=ROLE)["stateMachineArn"])


def by_app(report: ops.StatusReport) -> dict[str, ops.AppStatus]:
    return {a.application: a for a in report.applications}


def test_a_worker_shows_its_queue_depth_and_dead_letters(moto: str, project: ProjectConfig) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    queues = deploy_worker(moto, env)
    sqs = aws.client(moto, "sqs")
    for i in range(3):
        sqs.send_message(QueueUrl=queues["queue"], MessageBody=f"order {i}")
    sqs.send_message(QueueUrl=queues["dlq"], MessageBody="poison")

    report = ops.status(project, Sessions(project, local=LocalEmulator(moto)), applications=["orders"])

    orders = by_app(report)["orders"]
    assert orders.kind == "worker" and orders.health is Health.HEALTHY
    assert orders.queue == workloads.QueueDepth(visible=3, in_flight=0, dead_letters=1)
    assert orders.url is None  # not behind the load balancer
    assert orders.hint is not None and "1 message(s) failed 3 time(s)" in orders.hint
    assert "shop-test-orders-dlq" in orders.hint


def test_a_worker_without_its_queue_shows_none(moto: str, project: ProjectConfig) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "orders", attach=False)
    report = ops.status(project, Sessions(project, local=LocalEmulator(moto)), applications=["orders"])
    assert by_app(report)["orders"].queue is None


def test_a_job_shows_its_last_runs_with_exit_codes_and_fails_when_the_last_failed(
        moto: str, project: ProjectConfig) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    machine = deploy_job(moto)
    sfn = aws.client(moto, "stepfunctions")
    first = sfn.start_execution(stateMachineArn=machine, name="first")["executionArn"]
    sfn.start_execution(stateMachineArn=machine, name="second")
    sfn.stop_execution(executionArn=first)
    # The task the state machine ran for "first", in the group named after the execution.
    ecs = aws.client(moto, "ecs")
    ecs.register_task_definition(family="ecsp_shop-test-nightly", containerDefinitions=[
        {"name": "nightly", "image": "busybox", "memory": 512}])
    task = ecs.run_task(cluster=env.cluster_arn, taskDefinition="ecsp_shop-test-nightly", group="first",
                        launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                            "subnets": env.subnets, "securityGroups": [env.security_group]}})["tasks"][0]
    ecs.stop_task(cluster=env.cluster_arn, task=task["taskArn"], reason="Essential container exited")

    report = ops.status(project, Sessions(project, local=LocalEmulator(moto)), applications=["nightly"])

    nightly = by_app(report)["nightly"]
    assert nightly.kind == "job" and nightly.service == "ecsp_shop-test-nightly"
    statuses = {r.name: r.status for r in nightly.runs}
    assert statuses["first"] == "ABORTED"
    first_run = next(r for r in nightly.runs if r.name == "first")
    assert first_run.reason == "Essential container exited"
    assert nightly.runs[0].started_at is not None
    newest = nightly.runs[0]
    expected = Health.FAILED if newest.status in ("FAILED", "TIMED_OUT", "ABORTED") else Health.HEALTHY
    assert nightly.health is expected


def test_a_job_that_is_not_deployed_says_how_to_deploy_it(moto: str, project: ProjectConfig) -> None:
    aws.deploy_environment(moto, "shop", "test")
    report = ops.status(project, Sessions(project, local=LocalEmulator(moto)), applications=["nightly"])
    nightly = by_app(report)["nightly"]
    assert nightly.health is Health.NOT_DEPLOYED
    assert nightly.hint == "run `ecsp up --local --env test --app nightly`"


def test_run_starts_an_execution_follows_its_logs_and_ends_with_it(moto: str, project: ProjectConfig) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    machine = deploy_job(moto)
    aws.client(moto, "logs").create_log_group(logGroupName="/ecsp/shop-test-nightly")
    sfn = aws.client(moto, "stepfunctions")
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        # The task logs, then the execution ends (moto runs no task: the test plays both parts).
        pauses.append(seconds)
        if len(pauses) == 1:
            aws.put_logs(moto, env, "nightly", "task1", ["starting", "done"])
        elif len(pauses) == 2:
            running = sfn.list_executions(stateMachineArn=machine)["executions"][0]["executionArn"]
            sfn.stop_execution(executionArn=running, error="States.Timeout", cause="took too long")

    sessions = Sessions(project, local=LocalEmulator(moto))
    items: list[Any] = list(workloads.run(project, sessions, "test", "nightly", poll=0.0, sleep=sleep))

    started, finished = items[0], items[-1]
    assert isinstance(started, workloads.Execution) and started.name.startswith("ecsp-run-")
    assert started.status == "RUNNING"
    assert [e.message for e in items[1:-1]] == ["starting", "done"]
    assert isinstance(finished, workloads.Execution) and finished.arn == started.arn
    assert finished.status == "ABORTED"  # moto keeps no error or cause for a stopped execution


def test_run_refuses_what_is_not_a_job(moto: str, project: ProjectConfig) -> None:
    from ecsp.errors import UsageError

    with pytest.raises(UsageError, match="'orders' is a worker, not a job"):
        list(workloads.run(project, Sessions(project, local=LocalEmulator(moto)), "test", "orders"))


def test_run_cli_detached_prints_the_run_and_exits_0(moto: str, project: ProjectConfig, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    aws.deploy_environment(moto, "shop", "test")
    machine = deploy_job(moto)
    monkeypatch.setenv("ECSP_LOCAL_ENDPOINT", moto)
    assert cli.main(["run", "nightly", "-f", str(tmp_path / "ecsp.yaml"), "--detach", "--local"]) == 0
    assert "started run ecsp-run-" in capsys.readouterr().err
    assert len(aws.client(moto, "stepfunctions").list_executions(stateMachineArn=machine)["executions"]) == 1


def test_run_of_a_job_not_deployed_is_an_error_with_the_fix(moto: str, project: ProjectConfig, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    aws.deploy_environment(moto, "shop", "test")
    monkeypatch.setenv("ECSP_LOCAL_ENDPOINT", moto)
    assert cli.main(["run", "nightly", "-f", str(tmp_path / "ecsp.yaml"), "--local"]) == 1
    err = capsys.readouterr().err
    assert "job 'nightly' is not deployed in environment 'test'" in err
    assert "ecsp up --local --env test --app nightly" in err
