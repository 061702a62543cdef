"""``ecsp replay``: every recorded and ecsp-shaped event log through every reporter."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from ecsp import cli
from ecsp.commands.replay import replay
from ecsp.events import Status
from tests.fixtures import ecsp_events as f
from tests.paths import ENGINE_EVENTS

MODES = ("plain", "json", "live", "none")

# log -> (stack, operation, status, changes the model counted)
RECORDED = {
    "up.json": ("eks/dev", "up", Status.SUCCEEDED, {"create": 1}),
    "up-4.json": ("eks/dev", "up", Status.SUCCEEDED, {"update": 1}),
    "up-interrupted.json": ("myproject/dev", "up", Status.CANCELLED, {"create": 1}),
    "failed-stacks-dont-rewrite-operations.json": ("test/dev", "up", Status.FAILED, {"replace": 1}),
    "destroy-with-components.json": ("myproject/dev", "destroy", Status.SUCCEEDED, {"delete": 2}),
}
SCENARIOS = {
    "create-environment-alb": ("shop-environment/test", "up", Status.SUCCEEDED, {"create": 3}),
    "create-application": ("shop-web/test", "up", Status.SUCCEEDED, {"create": 5}),
    "update-service": ("shop-web/test", "up", Status.SUCCEEDED, {"update": 1}),
    "replace-target-group": ("shop-web/test", "up", Status.SUCCEEDED, {"replace": 1, "update": 2}),
    "fail-listener-rule": ("shop-web/test", "up", Status.FAILED, {"create": 3}),
    "fail-service": ("shop-web/test", "up", Status.FAILED, {"create": 2}),
    "interrupted-service": ("shop-web/test", "up", Status.CANCELLED, {"create": 2}),
    "preview-application": ("shop-web/test", "preview", Status.SUCCEEDED, {"create": 5}),
}


def console(width: int = 100) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None)


def output(c: Console) -> str:
    return "\n".join(line.rstrip() for line in c.file.getvalue().splitlines())  # type: ignore[attr-defined]


def logs(tmp_path: Path) -> list[tuple[Path, tuple[str, str, Status, dict[str, int]]]]:
    recorded = [(ENGINE_EVENTS / name, expected) for name, expected in RECORDED.items()]
    built = [(f.SCENARIOS[name]().write(tmp_path / f"{name}.json"), expected) for name, expected in SCENARIOS.items()]
    return recorded + built


def test_the_shared_fixtures_are_all_here() -> None:
    assert {p.name for p in ENGINE_EVENTS.glob("*.json")} == set(RECORDED)
    assert (ENGINE_EVENTS / "LICENSE").read_text().startswith("\n                                 Apache License")


@pytest.mark.parametrize("mode", MODES)
def test_every_log_through_every_reporter(mode: str, tmp_path: Path) -> None:
    for path, (stack, operation, status, changes) in logs(tmp_path):
        c = console()
        result = replay(path, mode=mode, console=c)  # type: ignore[arg-type]
        (s,) = result.stacks
        assert (s.stack, result.operation, s.status) == (stack, operation, status), path.name
        text = output(c)
        if mode == "none":
            assert text == ""
        elif mode == "json":
            records = [json.loads(line) for line in text.splitlines()]
            assert records[-1]["event"] == "result"
            assert records[-1]["stacks"][0]["changes"] == changes, path.name
            assert records[-1]["stacks"][0]["status"] == status.value
        else:
            assert f"{operation}: 1 {status.value}" in text, path.name
            if status == Status.FAILED:
                assert "✗ failed" in text
            if status == Status.CANCELLED:
                assert "! interrupted" in text or "ends before" in text


def test_an_interrupted_run_replays_exactly() -> None:
    c = console(80)
    replay(ENGINE_EVENTS / "up-interrupted.json", mode="plain", console=c)
    assert output(c) == """\
[00:00] myproject/dev: running up
[00:02] myproject/dev: creating aws:s3:Bucket completed-bucket
[00:03] myproject/dev: created aws:s3:Bucket completed-bucket (1s)
[00:04] myproject/dev: creating my:component:WebService interrupted-component
[00:05] myproject/dev: creating aws:ec2:Instance interrupted-instance
[00:06] myproject/dev: updating aws:rds:Instance interrupted-db
[00:07] myproject/dev: interrupted creating my:component:WebService interrupted-component (3s)
[00:07] myproject/dev: interrupted creating aws:ec2:Instance interrupted-instance (2s)
[00:07] myproject/dev: interrupted updating aws:rds:Instance interrupted-db (1s)
[00:08] myproject/dev: cancelled +1 in 8s: interrupted with 3 step(s) in flight

myproject/dev
  ! interrupted my:component:WebService interrupted-component (creating, 3s)
  ! interrupted aws:ec2:Instance interrupted-instance (creating, 2s)
  ! interrupted aws:rds:Instance interrupted-db (updating, 1s)

up: 1 cancelled in 8s
stack         ┃ result                               ┃ changes ┃ time
━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━
myproject/dev │ ■ cancelled                          │ +1      │   8s
              │ interrupted with 3 step(s) in flight │         │"""


def test_a_replacement_replays_as_its_steps_and_one_change() -> None:
    c = console()
    replay(ENGINE_EVENTS / "failed-stacks-dont-rewrite-operations.json", mode="plain", console=c)
    lines = output(c).splitlines()
    assert lines[1:6] == [
        "[00:01] test/dev: updating pulumi-python:dynamic:Resource test-x",
        "[00:01] test/dev: deleting original pulumi-python:dynamic:Resource test-r",
        "[00:04] test/dev: failed to update pulumi-python:dynamic:Resource test-x (3s)",
        "[00:08] test/dev: deleted original pulumi-python:dynamic:Resource test-r (7s)",
        "[00:08] test/dev: failed 1 replaced in 8s: 1 resource(s) failed: test-x",
    ]


def test_the_application_url_comes_from_the_recorded_stack_outputs(tmp_path: Path) -> None:
    c = console()
    result = replay(f.create_application().write(tmp_path / "log.json"), mode="plain", console=c)
    assert result.stacks[0].outputs == {"url": f.URL, "serviceName": "web-1a2b3c4"}
    assert f"  shop-web/test  {f.URL}" in output(c).splitlines()


def test_a_log_cut_short_is_cancelled(tmp_path: Path) -> None:
    lines = f.update_service().lines()
    path = tmp_path / "cut.json"
    path.write_text("\n".join(lines[:9]) + "\n")
    result = replay(path, mode="none")
    assert (result.stacks[0].status, result.stacks[0].reason) == (Status.CANCELLED,
                                                                   "the log ends before the engine's summary")


def test_stack_name_option_and_skipped_lines_warning(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    lines = f.update_service().lines()
    path.write_text("\n".join([*lines, "{torn"]))
    c, errors = console(), console(200)
    result = replay(path, mode="plain", stack="mine", console=c, errors=errors)
    assert result.stacks[0].stack == "mine" and "mine: succeeded" in output(c)
    assert output(errors) == (f"warning: skipped 1 unreadable line(s) of {path} (first: line {len(lines) + 1}: "
                              "JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 "
                              "(char 1))")


def test_speed_sleeps_the_recorded_gaps_scaled_and_capped(tmp_path: Path) -> None:
    naps: list[float] = []
    replay(f.create_environment_alb().write(tmp_path / "log.json"), mode="none", speed=10, sleep=naps.append)
    assert naps == [2.0, 0.1, 0.1]  # 95 s capped at 2 s, then 1 s and 1 s at 10x


# --- through the command line --------------------------------------------------------------------

def test_cli_replay_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["replay", str(ENGINE_EVENTS / "up-4.json"), "--progress", "json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[-1]["stacks"][0]["changes"] == {"update": 1}


def test_cli_replay_plain_of_a_failed_run_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    path = ENGINE_EVENTS / "failed-stacks-dont-rewrite-operations.json"
    assert cli.main(["replay", str(path), "--progress", "plain", "--stack", "ci/test"]) == 0
    assert "ci/test: failed" in capsys.readouterr().out


def test_cli_replay_of_something_else_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["replay", str(ENGINE_EVENTS / "README.md")]) == 2
    err = capsys.readouterr().err
    assert "is not a Pulumi engine event log: it holds no engine events" in err
    assert "fix: pass a file written by `pulumi up --event-log FILE`" in err


def test_cli_help_lists_replay(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["replay", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--progress {auto,live,plain,json}" in out and "--debug" in out
    assert "--file" not in out  # replay never reads ecsp.yaml, so it offers no -f
