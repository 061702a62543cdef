"""What a newcomer trips over in the first hour, each from the command they type (fake engine, no AWS).

The real-engine half (the passphrase refused, asked for in a terminal, kept; Ctrl-C) is
``tests/test_newcomer_real_engine.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecsp import api, local
from ecsp.cli import main
from ecsp.engine import pulumi_cli
from ecsp.engine.fake import FakeEngine
from ecsp.errors import PulumiMissingError
from stacks import PROGRAMS
from tests.conftest import ROOT
from tests.deploy_support import write_project
from tests.fake_pulumi import FakePulumiCommand


@pytest.fixture
def file(tmp_path: Path) -> str:
    return str(write_project(tmp_path, "shop", environments=2, applications=2))


@pytest.fixture
def no_pulumi(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """No pulumi CLI anywhere: the engine says so when asked, and so does the local emulator's set-up."""
    missing = PulumiMissingError("the pulumi CLI (version 3.181.0 or later) is needed", fix="ecsp install-pulumi")
    engine = FakeEngine(missing=missing)
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)

    def ensure(**kwargs: object) -> None:
        raise missing

    monkeypatch.setattr(pulumi_cli, "ensure_pulumi", ensure)
    return engine


@pytest.mark.parametrize("argv", [
    ["up", "--env", "staging"], ["up", "--app", "webb"], ["up", "--local", "--env", "staging"],
    ["preview", "--app", "webb"], ["destroy", "--env", "staging"], ["refresh", "--env", "staging"],
])
def test_an_unknown_env_or_app_is_said_before_pulumi_is_looked_for(
        argv: list[str], file: str, no_pulumi: FakeEngine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "-f", file]) == 2
    err = capsys.readouterr().err
    assert err.startswith(("error: no environment named 'staging'", "error: no application named 'webb'")), err
    assert "pulumi CLI" not in err


def test_the_api_checks_targets_before_pulumi_too(file: str, no_pulumi: FakeEngine) -> None:
    from ecsp.errors import UsageError

    with pytest.raises(UsageError, match="no environment named 'staging'"):
        api.load(file).up(env="staging", progress=False)


def test_local_mode_says_nothing_real_was_created_only_after_a_run(tmp_path: Path) -> None:
    said: list[str] = []
    with pytest.raises(PulumiMissingError), local._session(said.append, "http://127.0.0.1:1", record=True,
                                                           opening="opening", read_opening="", closing="nothing real"):
        raise PulumiMissingError("could not install the Pulumi aws provider plugin")
    assert said == ["opening"], "a run that stopped before anything ran claims nothing"
    with local._session(said.append, "http://127.0.0.1:1", record=True, opening="opening", read_opening="",
                        closing="nothing real"):
        pass
    assert said == ["opening", "opening", "nothing real"]


def test_install_pulumi_plugins_installs_every_provider_the_stacks_use(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakePulumiCommand()
    fake.command = "/home/me/.ecsp/pulumi/3.274.1/bin/pulumi"
    monkeypatch.setattr(pulumi_cli, "install_pulumi", lambda **kwargs: fake)
    assert main(["install-pulumi", "--plugins"]) == 0
    assert fake.plugins == [(name, version.removeprefix("v")) for name, version in PROGRAMS.plugin_versions()]
    out = capsys.readouterr()
    assert out.out.strip() == fake.command
    assert "installing the pulumi aws plugin" in out.err


def test_a_plugin_that_cannot_be_installed_says_how_without_pulumi_on_path(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from pulumi import automation as auto
    from pulumi.automation import errors as auto_errors

    fake = FakePulumiCommand()

    def refuse(*args: object, **kwargs: object) -> auto.CommandResult:
        raise auto_errors.create_command_error(auto.CommandResult(
            "", "error: failed to download plugin: aws-7.51.1: 403 HTTP error fetching plugin", 255))

    fake.run = refuse  # type: ignore[method-assign]
    monkeypatch.setattr(pulumi_cli, "install_pulumi", lambda **kwargs: fake)
    assert main(["install-pulumi", "--plugins"]) == 3
    err = capsys.readouterr().err
    assert "error: could not install the Pulumi aws provider plugin" in err
    assert "run `ecsp install-pulumi --plugins`" in err


def test_first_setup_shows_no_setuptools_banner(tmp_path: Path) -> None:
    """.ci/venv.sh's editable install, as a first setup runs it (dependencies left out: they are not the point)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    line = next(line for line in (ROOT / ".ci" / "venv.sh").read_text().splitlines() if "PYTHONWARNINGS=" in line)
    warnings = line.split("PYTHONWARNINGS=", 1)[1].split('"')[1]
    env = {**os.environ, "PYTHONWARNINGS": warnings}
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", "--no-deps", "-e", str(ROOT)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "****" not in done.stderr and "Please be careful" not in done.stderr, done.stderr
