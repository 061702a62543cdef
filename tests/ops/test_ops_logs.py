"""`ecsp logs` against moto's server: awslogs streams <prefix>/<container>/<task id>, --since, --filter, --follow."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecsp import api, cli
from ecsp.aws import NotDeployedError
from ecsp.errors import UsageError
from ecsp.ops import logs as ops
from tests import ops_support as aws

moto, project_file = aws.moto, aws.project_file  # fixtures

TASK_A = "0123456789abcdef0123456789abcdef"
TASK_B = "fedcba9876543210fedcba9876543210"


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def deployed(moto: str) -> aws.Environment:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")
    t = now_ms()
    aws.put_logs(moto, env, "web", TASK_A, ["too old to show"], at_ms=t - 2 * 3600_000)
    aws.put_logs(moto, env, "web", TASK_A, ["GET / 200", "ERROR upstream timed out"], at_ms=t - 600_000)
    aws.put_logs(moto, env, "web", TASK_B, ["started on port 80"], at_ms=t - 300_000)
    return env


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", timedelta(minutes=30)), ("1h", timedelta(hours=1)), ("2d", timedelta(days=2)),
    ("45s", timedelta(seconds=45)), ("1w", timedelta(weeks=1)), (" 90m ", timedelta(minutes=90)),
])
def test_parse_since(text: str, expected: timedelta) -> None:
    assert ops.parse_since(text) == expected


@pytest.mark.parametrize("text", ["1x", "h", "-1h", "0m", "1.5h", ""])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="is not a duration"):
        ops.parse_since(text)


def test_parse_stream() -> None:
    assert ops.parse_stream(f"ecsp/web/{TASK_A}") == ("web", TASK_A)
    assert ops.parse_stream(TASK_A) == ("", TASK_A)


def test_logs_text_shows_time_task_and_message_oldest_first(deployed: aws.Environment, project_file: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["logs", "web", "--env", "test", "-f", str(project_file), "--local"])

    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split(" ", 2)[1:] for line in lines] == [
        ["web/01234567", "GET / 200"],
        ["web/01234567", "ERROR upstream timed out"],
        ["web/fedcba98", "started on port 80"],
    ]
    stamp = lines[0].split(" ")[0]
    assert len(stamp) == len("2026-06-12T10:00:00.000Z") and stamp.endswith("Z") and "T" in stamp
    assert "local mode: read from a local AWS emulator (moto), not from AWS" in err


def test_logs_since_filter_and_json(deployed: aws.Environment, project_file: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["logs", "web", "--env", "test", "-f", str(project_file), "--local", "--since", "3h",
                     "--filter", "ERROR", "--json"])

    out, _ = capsys.readouterr()
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert [(e["task"], e["container"], e["message"]) for e in events] == [
        (TASK_A, "web", "ERROR upstream timed out")]
    assert events[0]["stream"] == f"ecsp/web/{TASK_A}"
    assert events[0]["timestamp"].endswith("+00:00")


def test_logs_since_reaches_further_back(deployed: aws.Environment, project_file: Path) -> None:
    messages = [e.message for e in api.load(project_file).logs("web", "test", since="3h", local=True)]
    assert messages == ["too old to show", "GET / 200", "ERROR upstream timed out", "started on port 80"]


def test_logs_of_an_app_that_is_not_deployed(moto: str, project_file: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["logs", "api", "--env", "test", "-f", str(project_file), "--local"])

    _, err = capsys.readouterr()
    assert code == 1
    assert "error: application 'api' is not deployed in environment 'test' (no log group /ecsp/shop-test-api in " \
           "us-east-1)" in err
    assert "fix: deploy it with `ecsp up --local --env test --app api`" in err
    with pytest.raises(NotDeployedError):
        list(api.load(project_file).logs("api", "test", local=True))


def test_logs_needs_env_when_there_are_several(project_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["logs", "web", "-f", str(project_file), "--local"]) == 2
    assert "error: say which environment with --env" in capsys.readouterr().err


def test_logs_bad_since_and_unknown_app_are_usage_errors(project_file: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["logs", "web", "--env", "test", "--since", "yesterday", "-f", str(project_file)]) == 2
    assert "--since 'yesterday' is not a duration" in capsys.readouterr().err
    assert cli.main(["logs", "db", "--env", "test", "-f", str(project_file), "--local"]) == 2
    assert "no application named 'db'" in capsys.readouterr().err


def test_follow_prints_new_events_once_and_ctrl_c_exits_0(deployed: aws.Environment, moto: str,
                                                          project_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    polls: list[float] = []

    def fake_sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            aws.put_logs(moto, deployed, "web", TASK_B, ["new request"])
        elif len(polls) == 3:
            raise KeyboardInterrupt  # the user presses Ctrl-C while ecsp waits

    monkeypatch.setattr(ops, "_sleep", fake_sleep)

    code = cli.main(["logs", "web", "--env", "test", "-f", str(project_file), "--local", "--follow", "--json"])

    out, _ = capsys.readouterr()
    assert code == 0
    assert [json.loads(line)["message"] for line in out.splitlines()] == [
        "GET / 200", "ERROR upstream timed out", "started on port 80", "new request"]  # each exactly once
    assert polls == [ops.POLL_SECONDS] * 3


def test_follow_through_the_api_stops_when_closed(deployed: aws.Environment, project_file: Path) -> None:
    stream = api.load(project_file).logs("web", "test", follow=True, local=True)
    first = next(stream)
    stream.close()
    assert first.message == "GET / 200" and first.task_id == TASK_A


def put_sidecar_logs(moto: str, env: aws.Environment, task: str, messages: list[str], at_ms: int) -> None:
    logs = aws.client(moto, "logs")
    stream = f"ecsp/datadog/{task}"
    logs.create_log_stream(logGroupName="/ecsp/shop-test-web", logStreamName=stream)
    logs.put_log_events(logGroupName="/ecsp/shop-test-web", logStreamName=stream,
                        logEvents=[{"timestamp": at_ms + i, "message": m} for i, m in enumerate(messages)])


@pytest.fixture
def with_sidecar(tmp_path: Path, project_file: Path) -> Path:
    text = project_file.read_text().replace(
        "port: 80, path: /}",
        "port: 80, path: /, sidecars: {datadog: {image: public.ecr.aws/datadog/agent:7, essential: false}}}")
    project_file.write_text(text)
    return project_file


def test_logs_of_one_container_and_one_task(deployed: aws.Environment, moto: str, with_sidecar: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    put_sidecar_logs(moto, deployed, TASK_A, ["agent up"], now_ms() - 500_000)

    assert cli.main(["logs", "web", "--env", "test", "-f", str(with_sidecar), "--local", "--container",
                     "datadog"]) == 0
    assert [line.split(" ", 2)[1:] for line in capsys.readouterr().out.splitlines()] == [
        ["datadog/01234567", "agent up"]]

    assert cli.main(["logs", "web", "--env", "test", "-f", str(with_sidecar), "--local", "--task", "fedc"]) == 0
    assert [line.split(" ", 2)[2] for line in capsys.readouterr().out.splitlines()] == ["started on port 80"]

    # A whole task id and a container: one stream, named in the request.
    messages = [e.message for e in api.load(with_sidecar).logs("web", "test", container="web", tasks=[TASK_A],
                                                                local=True)]
    assert messages == ["GET / 200", "ERROR upstream timed out"]


def test_logs_of_a_container_the_app_does_not_have(deployed: aws.Environment, project_file: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["logs", "web", "--env", "test", "-f", str(project_file), "--local", "--container", "nginx"]) == 2
    err = capsys.readouterr().err
    assert "error: application 'web' has no container 'nginx'" in err and "fix: use one of: web" in err


def test_logs_between_start_and_end(deployed: aws.Environment, project_file: Path) -> None:
    project = api.load(project_file)
    # Durations ago: from 15 minutes ago until 7 minutes ago holds the two events of 10 minutes ago.
    assert [e.message for e in project.logs("web", "test", start="15m", end="7m", local=True)] == [
        "GET / 200", "ERROR upstream timed out"]
    # ISO 8601 times (naive ones are UTC): the same window, written out.
    now = datetime.now(tz=UTC)
    start = (now - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S")
    end = (now - timedelta(minutes=7)).isoformat()
    assert [e.message for e in project.logs("web", "test", start=start, end=end, local=True)] == [
        "GET / 200", "ERROR upstream timed out"]
    # --start reaches further back than --since's default hour.
    assert [e.message for e in project.logs("web", "test", start="3h", local=True)][:1] == ["too old to show"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--start", "yesterday"], "--start 'yesterday' is neither a time nor a duration"),
    (["--start", "10m", "--end", "20m"], "is not after the start"),
    (["--end", "5m", "--follow"], "--end and --follow do not go together"),
    (["--previous", "--follow"], "--previous picks its task and time"),
])
def test_bad_log_windows_are_usage_errors(project_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                          message: str) -> None:
    assert cli.main(["logs", "web", "--env", "test", "-f", str(project_file), *argv]) == 2
    assert message in capsys.readouterr().err


def test_logs_previous_shows_why_the_last_task_stopped_then_its_logs(
        moto: str, project_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web", runnable=True)
    ecs = aws.client(moto, "ecs")
    network = {"awsvpcConfiguration": {"subnets": env.subnets[:1], "securityGroups": [env.security_group]}}
    arns = [ecs.run_task(cluster=env.cluster_arn, taskDefinition="ecsp_shop-test-web", launchType="FARGATE",
                         networkConfiguration=network)["tasks"][0]["taskArn"] for _ in range(2)]
    ids = [arn.rsplit("/", 1)[-1] for arn in arns]
    for arn, reason in zip(arns, ["Scaling activity initiated by deployment", "Essential container in task exited"],
                           strict=True):
        ecs.stop_task(cluster=env.cluster_arn, task=arn, reason=reason)
        time.sleep(0.01)
    aws.put_logs(moto, env, "web", ids[0], ["first task"])
    aws.put_logs(moto, env, "web", ids[1], ["panic: nil map"])

    code = cli.main(["logs", "web", "--env", "test", "-f", str(project_file), "--local", "--previous"])

    out, err = capsys.readouterr()
    assert code == 0, err
    # moto keeps no stop times, so the last one listed stands for the last to stop.
    assert any(f"task {i} stopped" in err for i in ids)
    assert "Essential container in task exited" in err or "Scaling activity" in err
    shown = [line.split(" ", 2)[2] for line in out.splitlines()]
    assert len(shown) == 1 and shown[0] in ("first task", "panic: nil map")


def test_logs_previous_without_a_stopped_task(deployed: aws.Environment, project_file: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["logs", "web", "--env", "test", "-f", str(project_file), "--local", "--previous"]) == 1
    err = capsys.readouterr().err
    assert "error: ECS lists no stopped task of 'web' in 'test' (it keeps them for about an hour)" in err
