"""The deploy commands end to end through ecsp.cli.main, on the fake engine: exit codes, messages, prompts."""

from __future__ import annotations

import _thread
import contextlib
import json
import signal
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecsp import api
from ecsp.cli import main
from ecsp.context import LocalEmulator
from ecsp.engine.fake import FakeEngine
from ecsp.errors import PulumiMissingError
from ecsp.events import Secret
from tests.deploy_support import write_project

PROJECT, E0, E1 = "shop-project/global", "shop-environment/e0", "shop-environment/e1"
ALL = [PROJECT, E0, E1, "shop-a0/e0", "shop-a1/e0", "shop-a0/e1", "shop-a1/e1"]


@pytest.fixture
def file(tmp_path: Path) -> str:
    return str(write_project(tmp_path, "shop", environments=2, applications=2))


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: fake)
    return fake


def test_up_deploys_everything_and_exits_0(file: str, engine: FakeEngine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "-f", file, "--progress", "plain"]) == 0
    assert set(engine.state) == set(ALL)
    out = capsys.readouterr()
    for stack in ALL:
        assert stack in out.out + out.err


def test_up_with_targets_and_parallel(file: str, engine: FakeEngine) -> None:
    assert main(["up", "-f", file, "--env", "e1", "--app", "a0", "--parallel", "1", "--progress", "none"]) == 0
    assert engine.order() == [PROJECT, E1, "shop-a0/e1"]
    assert engine.max_running == 1
    engine.calls.clear()
    assert main(["up", "-f", file, "--app", "a0", "--env", "e1", "--with-upstream", "--progress", "none"]) == 0
    assert engine.order() == [PROJECT, E1, "shop-a0/e1"]


@pytest.mark.parametrize("n", ["0", "-3", "four"])
def test_a_bad_parallel_is_a_usage_error_before_anything_runs(n: str, file: str, engine: FakeEngine,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "-f", file, "--parallel", n, "--progress", "plain"]) == 2
    out = capsys.readouterr()
    assert "error: argument --parallel: " in out.err
    assert out.out == ""  # no empty summary table before the error (0 used to mean the default, 4)
    assert engine.calls == []


def test_a_failed_stack_exits_1_after_the_others(file: str, engine: FakeEngine,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    engine.fail[E0] = "VPC limit exceeded"
    assert main(["up", "-f", file, "--progress", "none"]) == 1
    err = capsys.readouterr().err
    assert f"error: up: 1 of 7 stacks failed: {E0} (VPC limit exceeded); 2 dependent stack(s) skipped" in err
    assert "  fix: " in err
    assert "shop-a1/e1" in engine.state  # the other environment went on


def test_missing_pulumi_is_exit_3_with_one_message(file: str, engine: FakeEngine,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    engine.missing = PulumiMissingError("the pulumi CLI is needed", fix="run `ecsp install-pulumi`")
    assert main(["up", "-f", file]) == 3
    out = capsys.readouterr()
    assert out.err == "error: the pulumi CLI is needed\n  fix: run `ecsp install-pulumi`\n"
    assert out.out == ""  # no empty progress summary before the error
    assert engine.calls == []


def test_a_plugin_that_cannot_be_installed_is_exit_3_with_no_table_of_stacks_that_never_ran(
        file: str, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # The CLI is there (check passes) but the plugin install in prepare fails, as where no download works.
    def prepare(stacks: object, operation: object) -> list[str]:
        raise PulumiMissingError("could not install the Pulumi aws provider plugin v7.51.1: failed to download",
                                 fix="pulumi plugin install resource aws v7.51.1")

    monkeypatch.setattr(engine, "prepare", prepare)
    assert main(["up", "-f", file, "--progress", "plain"]) == 3
    out = capsys.readouterr()
    assert out.err.startswith("error: could not install the Pulumi aws provider plugin v7.51.1")
    assert "not run" not in out.out and "pending" not in out.out


def test_up_local_installs_pulumi_or_stops_with_one_clear_message(
        file: str, engine: FakeEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from pulumi import automation as auto

    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("ECSP_HOME", str(tmp_path / "home"))

    def offline(**kwargs: Any) -> Any:
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(auto.PulumiCommand, "install", offline)
    assert main(["up", "-f", file, "--local"]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"installing pulumi v3.274.1 into {tmp_path}/home/pulumi/3.274.1")
    assert err.count("error: ") == 1
    assert "none was found" in err and "installing it failed too" in err
    assert "`ecsp plan` works without it" in err
    assert engine.calls == []


def test_up_local_runs_every_stack_against_the_emulator(file: str, engine: FakeEngine,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import ecsp.engine.pulumi_cli as pulumi_cli
    import ecsp.local

    emulator = LocalEmulator(endpoint="http://127.0.0.1:4999")
    entered: list[tuple[Path, int]] = []

    @contextlib.contextmanager
    def fake_emulator(root: Path, *, running_tasks: int = 1, **kwargs: Any) -> Iterator[LocalEmulator]:
        entered.append((root, running_tasks))
        yield emulator

    monkeypatch.setattr(pulumi_cli, "ensure_pulumi", lambda **kwargs: None)
    monkeypatch.setattr(ecsp.local, "emulator", fake_emulator)
    assert main(["up", "-f", file, "--local", "--progress", "none"]) == 0
    assert entered == [(Path(file).parent, 1)]
    assert {ctx.local for ctx in engine.contexts} == {emulator}


def test_destroy_asks_unless_yes(file: str, engine: FakeEngine, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    engine.state = {name: {} for name in ALL}
    # Not a terminal and no --yes: refuse rather than hang or guess.
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["destroy", "-f", file, "--env", "e0"]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert engine.calls == []

    # A terminal: the prompt lists the stacks; the wrong answer changes nothing.
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert main(["destroy", "-f", file, "--env", "e0"]) == 130
    err = capsys.readouterr().err
    assert "destroy 3 stack(s)" in err and "shop-a1/e0\n  shop-a0/e0\n  shop-environment/e0" in err
    assert engine.calls == []
    monkeypatch.setattr("builtins.input", lambda prompt: "shop")
    assert main(["destroy", "-f", file, "--env", "e0", "--progress", "none"]) == 0
    assert engine.order("destroy")[-1] == E0 and E0 not in engine.state

    assert main(["destroy", "-f", file, "--yes", "--progress", "none"]) == 0
    assert engine.state == {}
    assert main(["destroy", "-f", file, "--yes"]) == 0
    assert "nothing to destroy" in capsys.readouterr().err


def test_destroy_refuses_an_environment_with_applications_left(file: str, engine: FakeEngine,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    engine.state = {name: {} for name in [*ALL, "shop-legacy/e1"]}
    assert main(["destroy", "-f", file, "--env", "e1", "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"error: refusing to destroy {E1}: shop-legacy/e1 still depends on it" in err
    assert engine.calls == []


def test_outputs(file: str, engine: FakeEngine, capsys: pytest.CaptureFixture[str]) -> None:
    engine.state = {PROJECT: {"repositories": {"a0": "x"}}, "shop-a0/e0": {"url": "http://a0.e0", "pw": Secret("p")},
                    "shop-a0/e1": {"url": "http://a0.e1"}}
    assert main(["outputs", "-f", file, "--env", "e0", "--app", "a0", "url"]) == 0
    assert capsys.readouterr().out == "http://a0.e0\n"
    assert main(["outputs", "-f", file, "--stack", PROJECT, "repositories"]) == 0
    assert json.loads(capsys.readouterr().out) == {"a0": "x"}
    assert main(["outputs", "-f", file, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        PROJECT: {"repositories": {"a0": "x"}}, "shop-a0/e0": {"url": "http://a0.e0", "pw": "[secret]"},
        "shop-a0/e1": {"url": "http://a0.e1"}}
    assert main(["outputs", "-f", file, "--app", "a0", "pw", "--show-secrets"]) == 0
    assert capsys.readouterr().out == "p\n"
    assert main(["outputs", "-f", file, "url"]) == 2
    assert "2 stacks have an output named 'url': shop-a0/e0, shop-a0/e1" in capsys.readouterr().err
    assert main(["outputs", "-f", file, "nope"]) == 2
    assert main(["outputs", "-f", file]) == 0
    assert "http://a0.e1" in capsys.readouterr().out


def test_ls_and_cancel(file: str, engine: FakeEngine, capsys: pytest.CaptureFixture[str]) -> None:
    engine.state = {PROJECT: {}, E0: {}}
    engine.locked = {E0}
    assert main(["ls", "-f", file, "--json"]) == 0
    rows = {r["stack"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(rows) == ALL
    assert rows[PROJECT]["status"] == "deployed" and rows[PROJECT]["last_update"] == "2026-01-01T00:00:00+00:00"
    assert rows[E0]["status"] == "updating (or locked)" and rows[E1]["status"] == "not deployed"
    assert main(["ls", "-f", file]) == 0
    assert "not deployed" in capsys.readouterr().out

    assert main(["cancel", "-f", file, "--stack", E0, "--yes"]) == 0
    assert capsys.readouterr().out == f"{E0}: cancelled; no lock is left\n"
    assert main(["cancel", "-f", file, "--yes"]) == 0
    assert capsys.readouterr().out == f"{PROJECT}: nothing was running\n{E0}: nothing was running\n"


def test_ls_fits_80_columns_with_stack_names_whole(tmp_path: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    file = str(write_project(tmp_path, "payments", environments=2, applications=2))
    engine.state = {"payments-project/global": {}, "payments-environment/e0": {}}
    assert main(["ls", "-f", file]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    row = next(line for line in lines if "payments-environment/e0" in line)  # whole, not "payments-envi…"
    assert "deployed" in row and "2026-01-01 00:00" in row


def test_ctrl_c_exits_130_and_names_the_interrupted_stacks(file: str, engine: FakeEngine,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    def press_ctrl_c(name: str) -> None:
        if name == E1:
            _thread.interrupt_main()

    engine.delay = {E0: 5.0, E1: 5.0}
    engine.on_start = press_ctrl_c
    assert main(["up", "-f", file, "--progress", "none"]) == 130
    err = capsys.readouterr().err
    assert "error: up interrupted; cut short:" in err and E0 in err and E1 in err
    assert "ecsp cancel" in err


@pytest.mark.parametrize("mode", ["plain", "none"])
def test_ctrl_c_is_acknowledged_the_moment_it_is_pressed(mode: str, file: str, engine: FakeEngine,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []

    def press_ctrl_c(name: str) -> None:
        if name == E1:
            _thread.interrupt_main()

    def stop(spec: Any) -> None:  # record what was on screen when the engine was asked to cancel
        out = capsys.readouterr()
        seen.append(out.out + out.err)
        FakeEngine.interrupt(engine, spec)

    engine.delay = {E0: 5.0, E1: 5.0}
    engine.on_start = press_ctrl_c
    engine.interrupt = stop  # type: ignore[method-assign]
    assert main(["up", "-f", file, "--progress", mode]) == 130
    # before any stack has stopped, a person knows the press was received and what another one does
    assert "Ctrl-C: cancelling the stacks in flight" in seen[0] and "press Ctrl-C again" in seen[0]
    out = capsys.readouterr()
    assert "".join([*seen, out.out, out.err]).count("Ctrl-C:") == 1  # one press, one notice
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the usual handler is back


def test_preview_skips_are_not_failures_and_diffs_are_listed(file: str, engine: FakeEngine,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "-f", file, "--progress", "none"]) == 0
    assert engine.order() == [PROJECT]
    assert capsys.readouterr().out == ""  # --progress none: nothing at all
    engine.state = {PROJECT: {}, E0: {}}
    assert main(["preview", "-f", file, "--progress", "plain"]) == 0
    out = capsys.readouterr().out
    assert "Would change" in out
    assert f"  {E0}\n    ~  update   fake:index:Thing thing  (image)" in out


def test_bad_parallel_is_a_usage_error(file: str, engine: FakeEngine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "-f", file, "--parallel", "-1", "--progress", "none"]) == 2
    assert "argument --parallel: must be at least 1 (got -1)" in capsys.readouterr().err


def test_install_pulumi_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    from pulumi import automation as auto

    monkeypatch.setenv("ECSP_HOME", str(tmp_path))

    def offline(**kwargs: Any) -> Any:
        raise urllib.error.URLError("timed out")

    monkeypatch.setattr(auto.PulumiCommand, "install", offline)
    assert main(["install-pulumi"]) == 3
    err = capsys.readouterr().err
    assert f"error: could not install pulumi v3.274.1 into {tmp_path}/pulumi/3.274.1: timed out" in err


def test_help_lists_the_deploy_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("up", "preview", "destroy", "refresh", "outputs", "ls", "cancel", "install-pulumi"):
        assert f"    {command} " in out or f"    {command}\n" in out
