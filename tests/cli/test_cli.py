"""The project-file commands (validate, schema, init), help texts, and how the CLI turns errors into exit codes."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ecsp import cli, loader
from ecsp.commands import config as config_commands
from ecsp.config import ProjectConfig
from ecsp.errors import ConfigError, UsageError
from tests.paths import EXAMPLE_FILES

HELLO = next(p for p in EXAMPLE_FILES if p.parent.name == "hello")
MULTI = next(p for p in EXAMPLE_FILES if p.parent.name == "multi")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


# --------------------------------------------------------------------------- help


def test_top_level_help_starts_people_off(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "start here:" in out and "ecsp init --name shop" in out
    assert all(name in out for name in ("validate", "schema", "init", "plan"))


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage: ecsp" in capsys.readouterr().out


def test_unknown_command_or_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["deploy-everything"]) == 2
    assert cli.main(["validate", "--frobnicate"]) == 2
    assert "unrecognized arguments: --frobnicate" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_command_help_teaches_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out or "example:" in out
    # every example line names a real command
    examples = [line.strip() for line in out.split("example", 1)[1].splitlines() if line.strip().startswith("ecsp ")]
    assert examples and all(line.split()[1] in subcommands() for line in examples)


@pytest.mark.parametrize("command", ["", *sorted(subcommands())])
def test_help_fits_80_columns(command: str, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main([*([command] if command else []), "--help"]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if len(line) > 80] == []
    # prose is filled between words, and a `quoted command` is never split across lines
    assert all(line.count("`") % 2 == 0 for line in out.splitlines())


def test_every_command_has_a_description() -> None:
    for name, parser in subcommands().items():
        assert parser.description, name


# --------------------------------------------------------------------------- validate


def test_validate_summarises_a_valid_file(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["validate", "-f", str(MULTI)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{MULTI}: project 'shop' is valid (domain example.com)",
        "  environments: test (us-west-2, 111111111111), prod (eu-west-1, 222222222222)",
        "  applications: frontend (/, overrides for test), api (/api, private, overrides for prod), worker-ui "
        "(/worker, built from ./worker-ui)",
        "  stacks: 9 (1 project, 2 environment, 6 application); preview them with `ecsp plan`",
    ]


def test_validate_summary_fits_80_columns(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(MULTI.parent)
    assert cli.main(["validate"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ecsp.yaml: project 'shop' is valid (domain example.com)",
        "  environments: test (us-west-2, 111111111111), prod (eu-west-1, 222222222222)",
        "  applications: frontend (/, overrides for test), api (/api, private, overrides",
        "    for prod), worker-ui (/worker, built from ./worker-ui)",
        "  stacks: 9 (1 project, 2 environment, 6 application); preview them with",
        "    `ecsp plan`",
    ]


def test_validate_quiet_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "-q", "-f", str(HELLO)]) == 0
    assert capsys.readouterr() == ("", "")


def test_validate_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert cli.main(["validate", "-f", str(missing)]) == 2
    assert capsys.readouterr().err == (f"error: {missing}: file not found; create one with `ecsp init` or pass "
                                       "-f PATH\n")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        cli.main(["validate", "--debug", "-f", str(tmp_path / "nope.yaml")])


def test_an_unexpected_error_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    def broken(path: str) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(loader, "load", broken)
    assert cli.main(["validate", "-f", str(HELLO)]) == 1
    assert capsys.readouterr().err == ("error: unexpected RuntimeError: disk on fire\n"
                                       "  fix: run again with --debug for the traceback, and report it\n")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_error_on_a_terminal_wraps_between_words_under_its_label(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(path: str) -> None:
        raise UsageError("the pulumi CLI (version 3.181.0 or later) is needed, and none was found (not on PATH; "
                         "not in /root/.ecsp/pulumi/3.272.0/bin)",
                         fix="run `ecsp install-pulumi`, or install it yourself: curl -fsSL https://get.pulumi.com "
                         "| sh. `ecsp plan` works without it.")

    monkeypatch.setattr(loader, "load", fails)
    monkeypatch.setenv("COLUMNS", "80")
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert cli.main(["validate", "-f", str(HELLO)]) == 2
    assert terminal.getvalue().splitlines() == [
        "error: the pulumi CLI (version 3.181.0 or later) is needed, and none was found",
        "       (not on PATH; not in /root/.ecsp/pulumi/3.272.0/bin)",
        "  fix: run `ecsp install-pulumi`, or install it yourself: curl -fsSL",
        "       https://get.pulumi.com | sh. `ecsp plan` works without it.",
    ]
    for columns in range(40, 80):  # wherever the edge falls, a `quoted command` stays whole
        monkeypatch.setenv("COLUMNS", str(columns))
        terminal.seek(0)
        terminal.truncate()
        assert cli.main(["validate", "-f", str(HELLO)]) == 2
        assert all(line.count("`") % 2 == 0 for line in terminal.getvalue().splitlines())


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(path: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(loader, "load", interrupted)
    assert cli.main(["validate", "-f", str(HELLO)]) == 130
    assert "interrupted" in capsys.readouterr().err


# --------------------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return config_commands.schema_document()


def test_schema_command_prints_json(capsys: pytest.CaptureFixture[str], schema: dict[str, Any]) -> None:
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema


def test_schema_output_file(tmp_path: Path, schema: dict[str, Any]) -> None:
    target = tmp_path / ".vscode" / "ecsp.schema.json"
    assert cli.main(["schema", "-o", str(target)]) == 0
    assert json.loads(target.read_text()) == schema


def test_schema_output_that_cannot_be_written_is_a_usage_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"error: {tmp_path} is a directory\n"
                                       f"  fix: name the file, e.g. -o {tmp_path / 'ecsp.schema.json'}\n")
    (tmp_path / "file").write_text("")
    assert cli.main(["schema", "-o", str(tmp_path / "file" / "ecsp.schema.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {tmp_path / 'file' / 'ecsp.schema.json'}: ") and "unexpected" not in err


def test_schema_is_a_valid_json_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.parent.name)
def test_examples_satisfy_the_schema(path: Path, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(path.read_text()))


def test_schema_catches_what_editors_should_flag(schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    data = yaml.safe_load(HELLO.read_text())
    data["project"]["region"] = "uswest2"
    data["applications"]["web"]["prot"] = 80
    data["environments"]["Prod"] = data["environments"]["test"]
    messages = sorted(e.message for e in validator.iter_errors(data))
    assert any("uswest2" in m for m in messages)
    assert any("'prot' was unexpected" in m for m in messages)
    assert any("'Prod' does not match" in m for m in messages)
    assert list(validator.iter_errors({**data, "environments": {}}))  # at least one environment


def walk_properties(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, property schema) of every object in a JSON Schema document."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            found.append((f"{where}.{name}", prop))
        for key, value in node.items():
            found += walk_properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += walk_properties(value, f"{where}[{i}]")
    return found


def test_every_field_has_a_description(schema: dict[str, Any]) -> None:
    properties = walk_properties(schema)
    assert len(properties) > 60  # the walk really reached the nested models
    missing = [path for path, prop in properties if not prop.get("description")]
    assert missing == []


def test_every_model_has_a_description(schema: dict[str, Any]) -> None:
    assert schema.get("description")
    assert [name for name, model in schema["$defs"].items() if not model.get("description")] == []


# --------------------------------------------------------------------------- init


def init(tmp_path: Path, *flags: str) -> int:
    return cli.main(["init", "-f", str(tmp_path / "ecsp.yaml"), *flags])


def test_init_writes_a_file_that_validates_and_plans_the_flags(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path, "--name", "shop", "--region", "us-west-2", "--env", "test", "--env", "prod:eu-west-1",
                "--app", "frontend", "--port", "8080", "--account", "123456789012", "--domain", "example.com") == 0
    target = tmp_path / "ecsp.yaml"
    assert capsys.readouterr().out == (f"wrote {target}: project shop, environments test, prod, application "
                                       f"frontend\nnext: `ecsp validate -f {target}`, then `ecsp plan -f {target}`\n")
    config = loader.load(target)
    assert (config.project.name, config.project.region, config.project.account, config.project.domain) == (
        "shop", "us-west-2", "123456789012", "example.com")
    assert {name: env.region for name, env in config.environments.items()} == {"test": "us-west-2",
                                                                               "prod": "eu-west-1"}
    app = config.application("prod", "frontend")
    assert (app.port, app.path, app.cpu, app.memory, app.image.location) == (
        8080, "/", 256, 512, "public.ecr.aws/nginx/nginx:stable")


def test_init_output_round_trips(tmp_path: Path) -> None:
    # Unquoted, a leading * would be a YAML alias: init must quote what YAML would misread.
    assert init(tmp_path, "--name", "shop", "--env", "test", "--env", "prod", "--image", "*nginx:1.27#pinned") == 0
    text = (tmp_path / "ecsp.yaml").read_text()
    config = loader.loads(text)
    assert config.application("test", "web").image.location == "*nginx:1.27#pinned"
    # The comments are the only thing YAML drops: the data survives a dump and a reload unchanged.
    dumped = yaml.safe_dump(config.model_dump(mode="json", exclude_unset=True), sort_keys=False)
    assert loader.loads(dumped) == config
    assert yaml.safe_load(dumped) == yaml.safe_load(text)


def test_init_refuses_an_image_with_spaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path, "--name", "shop", "--image", "nginx # not a comment") == 2
    assert "is not an image reference (it contains spaces)" in capsys.readouterr().err
    assert not (tmp_path / "ecsp.yaml").exists()


def test_init_with_a_build_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path, "--name", "shop", "--build", "./web") == 0
    assert loader.loads((tmp_path / "ecsp.yaml").read_text()).application("test", "web").image.build == "./web"
    # `ecsp validate` would refuse the file until the build context exists: the next step says so
    target = tmp_path / "ecsp.yaml"
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"next: add web/Dockerfile (next to {target}), then `ecsp validate -f {target}` and `ecsp plan -f {target}`")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text("FROM scratch\n")
    assert init(tmp_path, "--name", "shop", "--build", "./web", "--force") == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("next: `ecsp validate -f ")
    assert cli.main(["validate", "-q", "-f", str(target)]) == 0
    assert cli.main(["init", "--name", "x", "--build", "d", "--image", "i"]) == 2  # one or the other


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ecsp.yaml"
    target.write_text("# mine\n")
    assert init(tmp_path, "--name", "shop") == 2
    assert target.read_text() == "# mine\n"
    assert capsys.readouterr().err == (f"error: {target} already exists\n"
                                       "  fix: pass --force to overwrite it, or -f OTHER.yaml\n")
    assert init(tmp_path, "--name", "shop", "--force") == 0
    assert loader.load(target).project.name == "shop"


def test_init_blames_the_flag_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path, "--name", "Shop", "--env", "prod:mars-1", "--port", "0") == 2
    assert not (tmp_path / "ecsp.yaml").exists()
    assert capsys.readouterr().err.splitlines() == [
        "error: the flags do not make a valid project:",
        "  --name: 'Shop' is not a valid project name; use lowercase letters, digits and single hyphens, starting "
        "with a letter, e.g. 'shop'",
        "  --env: 'mars-1' is not an AWS region; use e.g. us-west-2",
        "  --port: 0 is out of range; use 1 to 65535",
        "  fix: change the flags and run `ecsp init` again",
    ]


def test_init_into_a_directory_or_an_unwritable_path_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for flags in ((), ("--force",)):
        assert cli.main(["init", "--name", "shop", "-f", str(tmp_path), *flags]) == 2
        assert capsys.readouterr().err == (f"error: {tmp_path} is a directory\n"
                                           f"  fix: name the file, e.g. -f {tmp_path / 'ecsp.yaml'}\n")
    (tmp_path / "file").write_text("")
    assert cli.main(["init", "--name", "shop", "-f", str(tmp_path / "file" / "ecsp.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {tmp_path / 'file' / 'ecsp.yaml'}: ") and "unexpected" not in err


def test_init_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "infra" / "ecsp.yaml"
    assert cli.main(["init", "--name", "shop", "-f", str(target)]) == 0
    assert isinstance(loader.load(target), ProjectConfig)


# --------------------------------------------------------------------------- plan


def test_plan_tree_fits_80_columns_and_counts_what_json_lists(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main(["plan", "-f", str(MULTI), "--json"]) == 0
    counts = {s["name"]: len([r for r in s["resources"] if not r["type"].startswith("pulumi:providers:")])
              for s in json.loads(capsys.readouterr().out)["stacks"]}
    assert cli.main(["plan", "-f", str(MULTI)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # Each stack's header states the number of resources `plan --json` lists for it, providers aside (as the
    # progress display counts them)...
    for name, count in counts.items():
        kind = "project" if name.endswith("/global") else "environment" if "-environment/" in name else "application"
        heading = f"{name}  ({kind}, {count} resources)"
        assert heading in lines or f"{heading}  from the cache" in lines  # the plan --json above filled the cache
    # ...and its dependencies on a line of their own, whole, rather than wrapped mid-list.
    assert "  after shop-environment/prod, shop-project/global" in lines
    assert all(len(line) <= 80 for line in lines)
    # the resource totals, then the estimated monthly cost (ecsp.cost)
    totals = next(i for i, line in enumerate(lines) if line.startswith("total: "))
    assert lines[totals].startswith(f"total: {counts['shop-project/global']} project resources, ")
    assert lines[totals + 1].startswith("estimated monthly cost: $")


def test_plan_into_a_closed_pipe_ends_quietly_with_141() -> None:
    # `ecsp plan | head -1`: the reader goes away; that is not a failure (1) and needs no traceback.
    # --inputs: more output than a pipe buffers, so the writer is still writing when the reader leaves
    run = subprocess.Popen([sys.executable, "-m", "ecsp", "plan", "--inputs", "-f", str(MULTI)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    assert run.stdout is not None and run.stderr is not None
    assert run.stdout.readline().startswith(b"Plan for project shop")
    run.stdout.close()
    assert run.wait(timeout=120) == 141
    assert run.stderr.read() == b""
