"""The README's promise: its quick-start commands work as written.

The main-job command (`up --local` on examples/hello) is run for real in a subprocess,
on a copy of the example. Where the pulumi CLI is installed it must deploy to the local
emulator; where it or the aws plugin cannot be had (as on the machines that build ecsp),
it must stop with the one clear message that says what is missing, and the
README's `ecsp plan` command must work. The test-suite command is what runs this test,
so it is only checked to be the one CI runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.paths import ROOT

README = ROOT / "README.md"


def bash_blocks(section: str) -> list[list[str]]:
    text = README.read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert blocks, f"README's {section} has no bash block"
    return [[line.split("#", 1)[0].strip() for line in b.splitlines() if line.strip()] for b in blocks]


def run(command: str, hello: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [hello.as_posix() if arg == "examples/hello/ecsp.yaml" else arg for arg in shlex.split(command)]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1200, env=env)


def test_quick_start_has_the_two_commands() -> None:
    main_job, test_suite = bash_blocks("Quick start")[0]
    assert main_job == "bash .ci/ecsp up --local -f examples/hello/ecsp.yaml"
    assert test_suite == "bash .ci/test"
    assert "bash .ci/test" in (ROOT / ".ci" / "run").read_text()


def test_main_job_command(tmp_path: Path) -> None:
    main_job = bash_blocks("Quick start")[0][0]
    plan_command = bash_blocks("Quick start")[1][0]
    hello = tmp_path / "hello" / "ecsp.yaml"
    shutil.copytree(ROOT / "examples" / "hello", hello.parent)
    # As a person runs it: the pinned CLI is looked for (and installed) in the usual ~/.ecsp.
    env = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": "readme-test"}
    env.pop("ECSP_LOCAL_ENDPOINT", None)

    result = run(main_job, hello, env)
    if result.returncode == 3:
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.stderr
        assert "Traceback" not in result.stderr
        if "the pulumi CLI" in errors[0]:
            # No pulumi CLI, and none could be downloaded: one clear message, and nothing half-done.
            assert shutil.which("pulumi") is None, result.stderr
            assert "none was found" in errors[0]
            assert "`ecsp plan` works without it" in result.stderr
            assert not (hello.parent / ".ecsp" / "local" / "state").exists()
        else:
            # The CLI is there (CI builds it: .ci/build-pulumi.sh) but the aws provider plugin
            # cannot be downloaded on this machine: that one message, with the way to install it.
            assert "could not install the Pulumi aws provider plugin" in errors[0], result.stderr
            # The way to install it works without pulumi on PATH, and nothing claims a run that never was.
            assert "run `ecsp install-pulumi --plugins`" in result.stderr
            assert "nothing real was created" not in result.stderr, result.stderr
    else:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "hello-web/test" in result.stdout + result.stderr
        assert "nothing real" in (result.stdout + result.stderr).lower()

    planned = run(plan_command, hello, env)
    assert planned.returncode == 0, planned.stderr
    for stack in ("hello-project/global", "hello-environment/test", "hello-web/test"):
        assert stack in planned.stdout


def test_the_commands_said_to_take_local_are_those_that_do() -> None:
    import argparse

    from ecsp import cli

    text = " ".join(README.read_text().split())
    said = re.search(r"; ((?:`[a-z-]+`,? (?:and )?)+)take `--local`", text)
    assert said, "README no longer says which commands take --local"
    named = set(re.findall(r"`([a-z-]+)`", said[1]))
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    taking = {name for name, sub in commands.items() if "--local" in sub._option_string_actions}
    assert named == taking


def test_container_settings_example_is_valid() -> None:
    from ecsp import loader

    text = README.read_text().split("## Container settings", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    head = "project: {name: shop, region: us-west-2}\nenvironments: {test: {region: us-west-2}}\n"
    # The snippet shows only the new settings; the application's image and port complete it.
    body = block.replace("  web:\n", "  web:\n    image: {location: nginx}\n    port: 80\n", 1)
    settings = loader.loads(head + body, "README.md").application("test", "web")
    assert set(settings.sidecars) == {"datadog", "init", "audit"}
    assert settings.sidecars["audit"].credentials is not None
    assert settings.logging is not None and settings.managed_volume is not None
    assert settings.deployment.percents == (0, 100)
    assert settings.entrypoint == ["/docker-entrypoint.sh"] and settings.command == ["nginx", "-g", "daemon off;"]
def yaml_block(section: str) -> str:
    text = README.read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) == 1, f"README's {section} should have one yaml block"
    return str(blocks[0])


def test_release_pipelines_section(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """The section's ecsp.yaml validates, and each of its commands does what the comment says."""
    from ecsp import api, cli
    from ecsp.engine.fake import FakeEngine
    from tests import ops_support

    (tmp_path / "ecsp.yaml").write_text(yaml_block("Release pipelines"))
    monkeypatch.chdir(tmp_path)
    engine = FakeEngine()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    monkeypatch.setenv("ECSP_LOCAL_ENDPOINT", ops_support.moto_endpoint())
    monkeypatch.setenv("COLUMNS", "200")
    commands = bash_blocks("Release pipelines")[0]
    assert [c.split()[:3] for c in commands] == [
        ["ecsp", "validate"], ["ecsp", "plan", "--with-pipeline"], ["ecsp", "pipeline", "show"],
        ["ecsp", "up", "--with-pipeline"], ["ecsp", "pipeline", "status"]]
    outputs = []
    for command in commands:
        argv = shlex.split(command)[1:]
        if argv[0] == "up":
            argv += ["--progress", "none"]
        if argv[:2] == ["pipeline", "status"]:
            argv.append("--local")  # moto, where nothing is deployed: AWS itself is not reachable here
        assert cli.main(argv) == 0, (command, capsys.readouterr().err)
        outputs.append(capsys.readouterr().out)
    validated, planned, shown, _, status = outputs
    assert "project 'shop' is valid" in validated
    assert "shop-pipeline/release" in planned and "buildspec:" in planned
    assert "stays PENDING" in shown and "stage 2: prod (eu-west-1, 222222222222): manual approval" in shown
    assert "shop-pipeline/release" in engine.state  # --with-pipeline deployed it, after the project
    assert "not deployed" in status


def test_data_section_examples_are_valid_and_the_first_is_examples_data() -> None:
    from ecsp import loader

    text = README.read_text().split("## Data", 1)[1].split("\n## ", 1)[0]
    worked, existing = re.findall(r"```yaml\n(.*?)```", text, re.S)
    head = ("project: {name: shop, region: us-west-2}\n"
            "environments: {test: {region: us-west-2}, prod: {region: us-west-2}}\n")
    config = loader.loads(head + worked, "README.md")
    example = loader.load(ROOT / "examples" / "data" / "ecsp.yaml")
    assert config.data == example.data
    assert config.applications["web"] == example.applications["web"]
    linked = loader.loads(head + existing + "applications:\n  web: {image: {location: nginx}, port: 80, "
                          "link: [orders, legacy, stripe]}\n", "README.md")
    assert not any(d.managed for d in linked.data_in("test").values())


def test_data_section_commands(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """The Data section's commands on examples/data, with the fake engine: each does what its comment says."""
    from ecsp import api, cli
    from ecsp.engine.fake import FakeEngine

    shutil.copytree(ROOT / "examples" / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path / "data")
    storage = "shop-storage/test"
    engine = FakeEngine(deployed=["shop-project/global", "shop-environment/test", storage, "shop-web/test",
                                  "shop-reports/test"],
                        data={storage: ["orders", "uploads"]}, replacing={storage: ["orders"]})
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "shop")
    commands = bash_blocks("Data")[0]
    assert [c.split()[:2] for c in commands] == [["ecsp", "plan"], ["ecsp", "up"], ["ecsp", "destroy"],
                                                 ["ecsp", "destroy"]]
    def run(command: str) -> tuple[int, str]:
        argv = shlex.split(command)[1:]
        code = cli.main(argv if argv[0] == "plan" else [*argv, "--progress", "plain"])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    planned, up, apps_only, everything = commands
    code, out = run(planned)
    assert code == 0 and "data kept: orders (postgres), uploads (bucket)" in " ".join(out.split())
    code, out = run(up)
    assert code == 1 and "refusing to replace data" in out
    code, out = run(apps_only)
    assert code == 0 and "shop-web/test" not in engine.state and storage in engine.state
    assert engine.deleted == []
    code, out = run(everything)
    assert code == 0 and storage not in engine.state, out
    assert sorted(engine.deleted) == [(storage, "orders"), (storage, "uploads")]

def test_github_actions_section(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """The section's ecsp.yaml validates, and its commands write workflows that --check then accepts."""
    from ecsp import api, cli
    from ecsp.engine.fake import FakeEngine

    (tmp_path / "ecsp.yaml").write_text(yaml_block("Deploying from GitHub Actions"))
    monkeypatch.chdir(tmp_path)
    engine = FakeEngine()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    commands = bash_blocks("Deploying from GitHub Actions")[0]
    assert commands == ["ecsp validate", "ecsp up", "ecsp ci github", "ecsp ci github --check"]
    for command in commands:
        argv = shlex.split(command)[1:] + (["--progress", "none"] if command == "ecsp up" else [])
        assert cli.main(argv) == 0, (command, capsys.readouterr().err)
    written = sorted(p.name for p in (tmp_path / ".github" / "workflows").iterdir())
    assert written == ["ecsp-deploy.yml", "ecsp-expire-previews.yml", "ecsp-pull-request.yml"]
    assert "shop-project/global" in engine.state


def test_preview_environments_section(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """Each command of the section, in order, on the fake engine, on the GitHub section's project."""
    from ecsp import api, cli
    from ecsp.engine.fake import FakeEngine

    (tmp_path / "ecsp.yaml").write_text(yaml_block("Deploying from GitHub Actions"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    engine = FakeEngine(deployed=["shop-project/global"])
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    commands = bash_blocks("Preview environments")[0]
    outputs = []
    for command in commands:
        argv = shlex.split(command)[1:] + (["--progress", "none"] if command.split()[1] != "ls" else [])
        assert cli.main(argv) == 0, (command, capsys.readouterr().err)
        outputs.append(capsys.readouterr())
    listed = outputs[1].out
    assert "preview environments" in listed and "pr-42" in listed
    assert engine.tags["shop-environment/pr-42"]["ecsp:preview-of"] == "test"
    assert "shop-environment/pr-42" not in engine.state  # destroyed by name
    assert "no preview environment has expired" in outputs[4].err  # the last one had nothing left to do
