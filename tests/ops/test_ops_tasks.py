"""`ecsp task run` and one-off tasks against moto's server; botocore's Stubber where moto has no answer.

moto starts a Fargate task and walks it to STOPPED (one step per DescribeTasks), always with
exit code 0: the exit codes other than 0, a refused RunTask and a task that outlives its
timeout come from Stubber-ed responses, in place of those calls only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import ANY, Stubber  # type: ignore[import-untyped]

from ecsp import api, cli, naming
from ecsp.aws import NotDeployedError, Sessions
from ecsp.context import LocalEmulator
from ecsp.ops import tasks
from ecsp.ops.logs import LogEvent
from tests import ops_support as aws

moto, project_file, aws_is_moto = aws.moto, aws.project_file, aws.aws_is_moto  # fixtures

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/shop-test-1a2b3c4"
TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/shop-test-1a2b3c4/0123456789abcdef0123456789abcdef"


@pytest.fixture
def deployed(moto: str) -> aws.Environment:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web", runnable=True, exec_enabled=True)
    return env


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """No waiting between polls; the pauses asked for are recorded."""
    pauses: list[float] = []
    monkeypatch.setattr(tasks, "_sleep", pauses.append)
    return pauses


def started(moto: str) -> list[dict[str, Any]]:
    ecs = aws.client(moto, "ecs")
    arns = ecs.list_tasks(cluster="shop-test-1a2b3c4")["taskArns"] + \
        ecs.list_tasks(cluster="shop-test-1a2b3c4", desiredStatus="STOPPED")["taskArns"]
    return ecs.describe_tasks(cluster="shop-test-1a2b3c4", tasks=arns)["tasks"] if arns else []


def test_task_run_starts_the_service_task_with_the_command_and_exits_with_its_code(
        deployed: aws.Environment, aws_is_moto: str, project_file: Path, fast: list[float],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def first_pause(seconds: float) -> None:
        if not fast:  # the task runs: it writes two lines to its stream
            task_id = started(aws_is_moto)[0]["taskArn"].rsplit("/", 1)[-1]
            aws.put_logs(aws_is_moto, deployed, "web", task_id, ["Applying migrations...", "OK"])
        fast.append(seconds)

    monkeypatch.setattr(tasks, "_sleep", first_pause)

    code = cli.main(["task", "run", "web", "--env", "test", "-f", str(project_file), "--",
                     "python", "manage.py", "migrate"])

    out, err = capsys.readouterr()
    assert code == 0, err
    [task] = started(aws_is_moto)
    service = aws.client(aws_is_moto, "ecs").describe_services(
        cluster="shop-test-1a2b3c4", services=[naming.AppNames("shop", "test", "web").service])["services"][0]
    assert task["taskDefinitionArn"] == service["taskDefinition"]
    assert task["overrides"]["containerOverrides"] == [{"name": "web", "command": ["python", "manage.py",
                                                                                   "migrate"]}]
    assert task["startedBy"] == "ecsp-task" and task["group"] == "ecsp-task:web" and task["launchType"] == "FARGATE"
    subnet = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "subnetId")
    assert subnet in deployed.subnets
    assert [line.split(" ", 2)[1:] for line in out.splitlines()] == [
        [f"web/{task['taskArn'].rsplit('/', 1)[-1][:8]}", "Applying migrations..."],
        [f"web/{task['taskArn'].rsplit('/', 1)[-1][:8]}", "OK"]]
    assert f"started task {task['taskArn'].rsplit('/', 1)[-1]} of web in test (ecsp_shop-test-web:" in err
    assert "python manage.py migrate" in err
    assert "exited 0" in err


def test_task_run_json_and_detach(deployed: aws.Environment, aws_is_moto: str, project_file: Path, fast: list[float],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["task", "run", "web", "--env", "test", "-f", str(project_file), "--detach", "--json", "--",
                     "./check"])

    out, _ = capsys.readouterr()
    assert code == 0
    [document] = [json.loads(line) for line in out.splitlines()]
    assert document["type"] == "task" and document["container"] == "web" and document["exit_code"] is None
    assert document["task"] == started(aws_is_moto)[0]["taskArn"]
    assert fast == []  # --detach does not wait


def test_task_run_image_registers_a_one_off_definition(deployed: aws.Environment, aws_is_moto: str,
                                                       project_file: Path, fast: list[float]) -> None:
    image = "111111111111.dkr.ecr.us-east-1.amazonaws.com/shop/web:fix"
    items = list(api.load(project_file).run_task("web", "test", ["./check"], image=image))

    ecs = aws.client(aws_is_moto, "ecs")
    [task] = started(aws_is_moto)
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    assert definition["family"] == "ecsp_shop-test-web-task"
    assert definition["containerDefinitions"][0]["image"] == image
    assert definition["status"] == "INACTIVE"  # deregistered once the task started
    # The stack's family has only what the stack registered.
    assert [a.rsplit("/", 1)[-1] for a in ecs.list_task_definitions(familyPrefix="ecsp_shop-test-web")
            ["taskDefinitionArns"]] == ["ecsp_shop-test-web:1"]
    assert isinstance(items[-1], tasks.TaskState) and items[-1].succeeded


def test_a_job_runs_from_its_state_machine_settings(moto: str, aws_is_moto: str, tmp_path: Path,
                                                    fast: list[float]) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    names = naming.AppNames("shop", "test", "nightly")
    aws.client(moto, "logs").create_log_group(logGroupName=names.log_group)
    ecs = aws.client(moto, "ecs")
    definition = ecs.register_task_definition(
        family=names.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "nightly", "image": "busybox", "memory": 512}])["taskDefinition"]
    machine = {"StartAt": "Run the task", "States": {"Run the task": {
        "Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "End": True, "Parameters": {
            "LaunchType": "FARGATE", "Cluster": env.cluster_arn, "TaskDefinition": definition["taskDefinitionArn"],
            "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": env.subnets[:1],
                                                             "SecurityGroups": [env.security_group],
                                                             "AssignPublicIp": "DISABLED"}}}}}}
    aws.client(moto, "stepfunctions").create_state_machine(
        name=names.state_machine, definition=json.dumps(machine),
        roleArn="arn:aws:iam::123456789012:role/states")
    path = tmp_path / "ecsp.yaml"
    path.write_text("project: {name: shop, region: us-east-1}\nenvironments:\n  test: {region: us-east-1}\n"
                    "applications:\n  nightly: {kind: job, schedule: none, image: {location: busybox}}\n")

    items = list(api.load(path).run_task("nightly", "test", ["./reindex"]))

    [task] = started(moto)
    assert task["taskDefinitionArn"] == definition["taskDefinitionArn"]
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert details["subnetId"] == env.subnets[0]
    assert items[-1].succeeded  # type: ignore[union-attr]


def test_find_target_reads_the_service(deployed: aws.Environment, project_file: Path) -> None:
    project = api.load(project_file)
    sessions = Sessions(project.config, local=LocalEmulator(aws.moto_endpoint()))
    target = tasks.find_target(project.config, sessions, "test", "web")
    assert target.cluster == deployed.cluster_arn and target.container == "web"
    assert set(target.subnets) == set(deployed.subnets) and target.security_groups == (deployed.security_group,)
    assert target.public_ip and target.log_group == "/ecsp/shop-test-web"
    assert not target.exec_enabled  # moto does not keep a service's enableExecuteCommand


def test_task_run_on_an_app_that_is_not_deployed(moto: str, aws_is_moto: str, project_file: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    aws.deploy_environment(moto, "shop", "test")
    code = cli.main(["task", "run", "api", "--env", "test", "-f", str(project_file), "--", "true"])
    err = capsys.readouterr().err
    assert code == 1
    assert "error: application 'api' has no service in environment 'test'" in err
    assert "fix: deploy it with `ecsp up --env test --app api`" in err
    with pytest.raises(NotDeployedError, match="environment 'prod' is not deployed"):
        list(api.load(project_file).run_task("web", "prod", ["true"]))


def test_task_run_needs_a_command(project_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["task", "run", "web", "--env", "test", "-f", str(project_file)]) == 2
    err = capsys.readouterr().err
    assert "error: say what to run after --" in err
    assert "fix: e.g. ecsp task run web --env test -- python manage.py migrate" in err


# --------------------------------------------------------------------------- Stubber: what moto cannot say


def target() -> tasks.TaskTarget:
    return tasks.TaskTarget("shop", "test", "web", CLUSTER, "arn:aws:ecs:us-east-1:123456789012:task-definition/"
                            "shop-test-web:7", "web", ("subnet-1",), ("sg-1",), True, "/ecsp/shop-test-web")


def described(status: str, *, exit_code: int | None = None, reason: str | None = None,
              container_reason: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "web", "lastStatus": status}
    if exit_code is not None:
        container["exitCode"] = exit_code
    if container_reason:
        container["reason"] = container_reason
    task: dict[str, Any] = {"taskArn": TASK_ARN, "lastStatus": status, "containers": [container],
                            "createdAt": datetime(2026, 6, 12, 9, 0, tzinfo=UTC), "group": "ecsp-task:web"}
    if reason:
        task["stoppedReason"] = reason
    return {"tasks": [task]}


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    ecs = boto3.client("ecs", region_name="us-east-1", **aws.FAKE)
    with Stubber(ecs) as stub:
        yield ecs, stub
        stub.assert_no_pending_responses()


def quiet_logs(moto: str) -> Any:
    logs = aws.client(moto, "logs")
    logs.create_log_group(logGroupName="/ecsp/shop-test-web")
    return logs


def test_a_failing_command_reports_its_exit_code_and_reason(stubbed: tuple[Any, Stubber], moto: str) -> None:
    ecs, stub = stubbed
    stub.add_response("run_task", {"tasks": described("PROVISIONING")["tasks"], "failures": []},
                      target().run_task_request(["./migrate"], group="ecsp-task:web"))
    stub.add_response("describe_tasks", described("RUNNING"), {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    stub.add_response("describe_tasks", described("STOPPED", exit_code=3, reason="Essential container in task exited"),
                      {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    task = tasks.start(ecs, target(), ["./migrate"], group="ecsp-task:web")

    items = list(tasks.Follower(ecs, quiet_logs(moto), target(), task, poll=0, sleep=lambda _: None))

    states = [i for i in items if isinstance(i, tasks.TaskState)]
    assert [s.status for s in states] == ["RUNNING", "STOPPED"]
    assert states[-1].exit_code == 3 and not states[-1].succeeded
    assert states[-1].outcome() == "exited 3 (Essential container in task exited)"


def test_a_task_that_never_ran_has_no_exit_code() -> None:
    state = tasks.task_state(described("STOPPED", reason="Task failed to start", container_reason=(
        "CannotPullContainerError: pull image manifest has been retried 5 time(s)"))["tasks"][0], "web")
    assert state.exit_code is None
    assert state.outcome() == ("stopped without an exit code (CannotPullContainerError: pull image manifest has been "
                               "retried 5 time(s); Task failed to start)")


def test_run_task_refused(stubbed: tuple[Any, Stubber]) -> None:
    ecs, stub = stubbed
    stub.add_response("run_task", {"tasks": [], "failures": [{"reason": "RESOURCE:ENI", "detail": "no free IPs"}]},
                      target().run_task_request(["true"], group="g"))
    with pytest.raises(tasks.TaskStartError, match=r"ECS did not start a task of web in test: RESOURCE:ENI "
                                                   r"\(no free IPs\)"):
        tasks.start(ecs, target(), ["true"], group="g")


def test_a_task_past_its_timeout_is_stopped(stubbed: tuple[Any, Stubber], moto: str) -> None:
    ecs, stub = stubbed
    clock = iter(range(0, 10_000, 100))  # every look at the clock is 100 s later
    stub.add_response("describe_tasks", described("RUNNING"), {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    stub.add_response("describe_tasks", described("RUNNING"), {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    stub.add_response("stop_task", {"task": described("STOPPING")["tasks"][0]},
                      {"cluster": CLUSTER, "task": TASK_ARN, "reason": ANY})
    timed_out = "stopped by ecsp: it ran longer than its timeout of 150 s"
    stub.add_response("describe_tasks", described("STOPPED", exit_code=137, reason=timed_out),
                      {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    task = tasks.task_state(described("PROVISIONING")["tasks"][0], "web")
    follower = tasks.Follower(ecs, quiet_logs(moto), target(), task, poll=0, timeout=150, sleep=lambda _: None,
                              clock=lambda: float(next(clock)))

    last = list(follower)[-1]

    assert follower.timed_out
    assert isinstance(last, tasks.TaskState) and last.exit_code == 137
    assert "timeout of 150 s" in last.outcome()


def test_an_interrupted_deploy_stops_its_task(stubbed: tuple[Any, Stubber], moto: str) -> None:
    ecs, stub = stubbed
    stop = threading.Event()
    stub.add_response("describe_tasks", described("RUNNING"), {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    stub.add_response("stop_task", {"task": described("STOPPING")["tasks"][0]},
                      {"cluster": CLUSTER, "task": TASK_ARN, "reason": "stopped by ecsp: the deploy was interrupted"})
    stub.add_response("describe_tasks", described("STOPPED", exit_code=143), {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    task = tasks.task_state(described("PROVISIONING")["tasks"][0], "web")
    stop.set()

    last = list(tasks.Follower(ecs, quiet_logs(moto), target(), task, poll=0, stop=stop, sleep=lambda _: None))[-1]

    assert isinstance(last, tasks.TaskState) and last.exit_code == 143


def test_logs_of_the_task_only(moto: str, stubbed: tuple[Any, Stubber]) -> None:
    ecs, stub = stubbed
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")
    task_id = TASK_ARN.rsplit("/", 1)[-1]
    aws.put_logs(moto, env, "web", "ffffffffffffffffffffffffffffffff", ["another task"])
    aws.put_logs(moto, env, "web", task_id, ["mine"])
    stub.add_response("describe_tasks", described("STOPPED", exit_code=0), {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    task = tasks.task_state(described("RUNNING")["tasks"][0], "web")
    task = tasks.TaskState(task.arn, task.status, "web", created_at=datetime.now(tz=UTC).replace(microsecond=0))

    items = list(tasks.Follower(ecs, aws.client(moto, "logs"), target(), task, poll=0, sleep=lambda _: None))

    assert [i.message for i in items if isinstance(i, LogEvent)] == ["mine"]
