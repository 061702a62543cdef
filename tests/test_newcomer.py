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
from tests.deploy_support import write_project
from tests.fake_pulumi import FakePulumiCommand
from tests.paths import ROOT


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
    assert "is needed" not in err, "the missing pulumi CLI is not what is said"
    # An environment ecsp.yaml does not name may be a preview, which the state backend knows: it is said so.
    assert "staging" not in argv or "preview environment of that name" in err


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
    fake.command = "/home/me/.ecsp/pulumi/3.274.1/bin/pulumi"  # where ecsp installs it
    monkeypatch.setattr(pulumi_cli, "install_pulumi", lambda **kwargs: fake)
    assert main(["install-pulumi", "--plugins"]) == 3
    err = capsys.readouterr().err
    assert "error: could not install the Pulumi aws provider plugin" in err
    assert "run `ecsp install-pulumi --plugins`" in err
    # Or the CLI ecsp uses, by its full path: the one ecsp installed is not on PATH.
    assert "(or `/home/me/.ecsp/pulumi/3.274.1/bin/pulumi plugin install resource aws 7.51.1`)" in err


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


# --------------------------------------------------------------------------- smaller things


def test_validate_names_the_kind_of_applications_that_have_no_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-f", str(ROOT / "examples" / "kinds" / "ecsp.yaml")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "applications: web (/), api (backend), orders (worker), nightly (job)" in out


COPILOT_HABITS = """\
project: {name: shop, region: us-west-2}
environments:
  test: {region: eu-west-9}
applications:
  api:
    type: Backend Service
    image: {location: nginx}
    port: 80
    count: {range: 1-10}
"""


def test_copilot_habits_and_an_unknown_region_are_said_in_ecsp_words(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "ecsp.yaml"
    file.write_text(COPILOT_HABITS)
    assert main(["validate", "-f", str(file)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {file}:3: environments.test.region: 'eu-west-9' is not an AWS region (this botocore knows "
        "eu-west-1, eu-west-2, eu-west-3); if AWS opened it after this release, `pip install -U boto3` brings it",
        f"error: {file}:6: applications.api.type: unknown key 'type'; Copilot's `type: Backend Service` is "
        "`kind: backend` in ecsp",
        f"error: {file}:9: applications.api.count.range: unknown key 'range'; Copilot's `count: {{range: 1-10}}` "
        "is `count: {min: 1, max: 10}` in ecsp",
        "3 problems; fix them and run `ecsp validate` again",
    ]


def test_ecsp_deploy_says_what_copilots_deploy_is_here(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy"]) == 2
    err = capsys.readouterr().err
    assert "ecsp: error: unknown command 'deploy': Copilot's `deploy` is `ecsp up` here" in err


@pytest.mark.parametrize(("argv", "usage", "said"), [
    (["up", "--lcoal"], "usage: ecsp up ", "ecsp up: error: unrecognized arguments: --lcoal; did you mean --local?"),
    (["plan", "--inptus"], "usage: ecsp plan ", "did you mean --inputs?"),
    (["upp"], "usage: ecsp ", "ecsp: error: unknown command 'upp'; did you mean 'up'?"),
    (["up", "--progress", "lve"], "usage: ecsp up ", "'lve' is not one of auto, live, plain, json, none; did you "
                                                     "mean 'live'?"),
    (["pipeline", "shw"], "usage: ecsp pipeline ", "did you mean 'show'?"),
])
def test_an_unknown_option_shows_the_commands_usage_and_the_nearest_option(
        argv: list[str], usage: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(usage), err
    assert said in err


def test_plan_inputs_shows_json_documents_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--inputs", "--app", "web", "-f", str(ROOT / "examples" / "hello" / "ecsp.yaml")]) == 0
    out = capsys.readouterr().out
    assert '"containerDefinitions": [' in out and '\\"' not in out, "no escaped quotes"
    assert '"name": "ECSP_APPLICATION",' in out


def test_pipeline_show_on_a_project_without_pipelines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pipeline", "show", "-f", str(ROOT / "examples" / "hello" / "ecsp.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ecsp.yaml has no pipelines"), err
    assert "`ecsp init --pipeline` writes a starter" in err


def test_outputs_keep_every_value_whole_off_a_terminal(file: str, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    url = "https://" + "a-very-long-load-balancer-name-" * 4 + "123456789.us-west-2.elb.amazonaws.com/api/v1"
    engine = FakeEngine(deployed={"shop-a0/e0": {"url": url, "note": "x" * 150}})
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    assert main(["outputs", "-f", file]) == 0
    out = capsys.readouterr().out
    assert url in out and "x" * 150 in out


def test_a_replacement_is_said_in_words() -> None:
    from ecsp import styles

    assert styles.changes({"create": 2, "update": 1, "replace": 1, "delete": 1}) == "+2 ~1 1 replaced -1"


def test_the_json_result_says_the_changes_the_result_and_the_table_say(tmp_path: Path) -> None:
    """The engine's own summary counts the root stack too; every report counts what the display showed."""
    import io
    import json

    from rich.console import Console

    from ecsp import progress
    from ecsp.engine.automation import AutomationEngine
    from ecsp.progress import summary
    from tests.paths import ENGINE_EVENTS

    fake = FakePulumiCommand(events={"up": ENGINE_EVENTS / "up.json"})
    project = api.load(write_project(tmp_path, "shop", environments=1, applications=1))
    engine = AutomationEngine(project.root, project.config, PROGRAMS, command=fake,
                              environ={"PULUMI_CONFIG_PASSPHRASE": "p"})
    out = io.StringIO()
    reporter = progress.reporter("json", operation="up", console=Console(file=out), project="shop")
    result = project.run("up", reporter=reporter, engine=engine)
    record = json.loads(out.getvalue().splitlines()[-1])
    views = {v.stack: v for v in reporter.model.stacks()}
    for stack in record["stacks"]:
        name = stack["stack"]
        assert stack["changes"] == result[name].changes == summary.stack_changes(result[name], views[name])
    # The engine's summary says same: 5 with the root stack; the display, the plan and every report say 4.
    assert record["stacks"][0]["changes"] == {"create": 1, "same": 4}
    # The fake CLI runs no program, so none waited for the aws imports the engine started: wait here, or a
    # later test's plan in this process races them (module 'pulumi_aws.ec2' has no attribute 'Vpc').
    assert engine._imports is not None
    engine._imports.result()


def test_up_after_plan_knows_each_stacks_total_from_the_plan(tmp_path: Path) -> None:
    """`ecsp plan`, then `ecsp up`: the display counts each stack against what the plan counted, while it holds."""
    from ecsp import progress

    path = write_project(tmp_path, "shop", environments=1, applications=2)
    assert main(["plan", "-f", str(path), "--json"]) == 0
    plan = api.load(path).plan()
    # One application changes after the plan: its plan no longer holds, the others' still do.
    path.write_text(path.read_text().replace("    count: 1\n", "    count: 2\n", 1))
    project = api.load(path)
    reporter = progress.reporter("none", operation="up", project="shop")
    project.run("up", reporter=reporter, engine=FakeEngine())
    expected = {view.stack: view.expected for view in reporter.model.stacks()}
    counts = {stack.spec.name: stack.resource_count for stack in plan.stacks}
    assert expected == {**counts, "shop-a0/e0": None}
    assert all(n > 3 for n in counts.values())
    # Only a run with a kept plan knows: without one (--no-cache aside, a fresh clone) it counts as it goes.
    (tmp_path / "fresh").mkdir()
    fresh = api.load(write_project(tmp_path / "fresh", "shop", environments=1, applications=2))
    reporter = progress.reporter("none", operation="up", project="shop")
    fresh.run("up", reporter=reporter, engine=FakeEngine())
    assert all(view.expected is None for view in reporter.model.stacks())


# --------------------------------------------------------------------------- completion


def every_command() -> list[tuple[str, ...]]:
    from ecsp import cli
    from ecsp.commands.completion import commands

    return [c.path for c in commands(cli.build_parser()).walk() if c.path]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_covers_every_command_of_the_parser(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    paths = every_command()
    assert ("up",) in paths and ("pipeline", "show") in paths and ("completion",) in paths
    for path in paths:
        quoted = " ".join(path)
        assert f"{path[-1]}" in script and (f"'{quoted}'" in script or f"path={quoted} " in script
                                            or f"set path {quoted}\n" in script or f"= {quoted}'" in script), path


def bash_complete(line: str) -> list[str]:
    """What bash offers after ``line`` (words so far, the last one being completed), with the generated script."""
    from ecsp.commands.completion import script

    words = line.split(" ")
    program = (script("bash") + "\nCOMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + f")\nCOMP_CWORD={len(words) - 1}"
               '\n_ecsp\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.split()


def test_bash_completes_commands_options_and_choices() -> None:
    assert bash_complete("ecsp u") == ["up"]
    assert set(bash_complete("ecsp pipeline ")) >= {"ls", "show", "status"}
    assert "--allow-empty-passphrase" in bash_complete("ecsp up --")
    assert bash_complete("ecsp up --progress p") == ["plain"]
    assert bash_complete("ecsp pipeline show --js") == ["--json"]
    assert {"bash", "zsh", "fish"} <= set(bash_complete("ecsp completion "))


# --------------------------------------------------------------------------- interactive init


def test_init_in_a_terminal_finds_the_dockerfiles_and_writes_a_commented_file(tmp_path: Path) -> None:
    import pty
    import select

    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text('FROM python:3.12-slim\nEXPOSE 8080\nCMD ["python", "-m", "api"]\n')
    (tmp_path / "frontend").mkdir()
    (tmp_path / "frontend" / "Dockerfile").write_text("FROM nginx:stable\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "Dockerfile").write_text("FROM scratch\n")
    main_fd, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen([sys.executable, "-m", "ecsp", "init"], cwd=tmp_path, stdin=child, stdout=child,
                               stderr=child, env=env, start_new_session=True)
    os.close(child)
    seen = ""

    def answer(prompt: str, reply: str) -> None:
        nonlocal seen
        while prompt not in seen:
            ready, _, _ = select.select([main_fd], [], [], 30)
            assert ready, f"no prompt {prompt!r}:\n{seen}"
            seen += os.read(main_fd, 4096).decode(errors="replace")
        seen = seen.split(prompt, 1)[1]
        os.write(main_fd, reply.encode() + b"\n")

    try:
        answer("project name [", "shop")
        answer("home region [us-east-1]: ", "us-west-2")
        answer("environments, in deploy order", "test,prod")
        answer("add application api (built from ./api, port 8080)? [Y/n]: ", "")
        answer("add application frontend (built from ./frontend, port 80)? [Y/n]: ", "y")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main_fd)
    text = (tmp_path / "ecsp.yaml").read_text()
    assert text.startswith("# ecsp project file.")
    from ecsp import loader

    config = loader.load(tmp_path / "ecsp.yaml")
    assert config.project.name == "shop" and list(config.environments) == ["test", "prod"]
    assert list(config.applications) == ["api", "frontend"], "node_modules is not the project's own"
    assert config.applications["api"].port == 8080 and config.applications["frontend"].port == 80
    assert config.application("test", "frontend").path == "/frontend"


def test_init_without_a_terminal_still_needs_a_name(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ecsp", "init"], cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, check=False)
    assert done.returncode == 2
    assert "ecsp init needs --name when standard input is not a terminal" in done.stderr


def test_the_state_folder_next_to_ecsp_yaml_stays_out_of_git(tmp_path: Path) -> None:
    """`ecsp up` in a repository: .ecsp/ (state, work dirs) never shows up as something to commit."""
    import shutil

    from ecsp.engine.automation import AutomationEngine

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = api.load(write_project(tmp_path, "shop", environments=1, applications=1))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    engine = AutomationEngine(project.root, project.config, PROGRAMS, command=FakePulumiCommand(),
                              environ={"PULUMI_CONFIG_PASSPHRASE": "p"})
    project.up(engine=engine, progress=False)
    assert (tmp_path / ".ecsp" / "workspaces").is_dir()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                            capture_output=True, text=True, check=True).stdout
    assert ".ecsp" not in status and "ecsp.yaml" in status, status
