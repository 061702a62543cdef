"""How many times ecsp starts the real ``pulumi`` CLI (marked ``pulumi``; the stand-in provider, no AWS).

Every ``pulumi`` process is a start of a large binary, and on a chain of stacks they add up on
the critical path. A shim first on ``PATH`` records each one ``python -m ecsp`` starts; these
tests hold the engine to its budget: a no-change ``up`` is one call per stack (the update),
and nothing else once ecsp has met that CLI (its version) and its plugins are installed;
config and tags are written only when they differ from what the stack has, and re-applied
when they change.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ecsp.engine.pulumi_cli import find_pulumi
from tests.engine.test_real_engine import HELLO, Project, copy_example
from tests.pulumi_cli import MARKS, MISSING, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS

SHIM = """#!/bin/sh
printf '%s\\n' "$*" >> "$ECSP_TEST_CALLS"
exec {real} "$@"
"""


@pytest.fixture
def counted(tmp_path: Path, pulumi_home: Path) -> Project:
    """examples/hello with every pulumi process it starts written to ``calls.log``."""
    shim = tmp_path / "shim"
    shim.mkdir()
    real = "" if MISSING else find_pulumi().command
    (shim / "pulumi").write_text(SHIM.format(real=shlex.quote(shutil.which(real) or real)))
    (shim / "pulumi").chmod(0o755)
    project = Project(copy_example("hello", tmp_path), pulumi_home)
    # A home of its own: the CLI versions ecsp remembers there are this test's alone.
    project.env.update({"PATH": f"{shim}{os.pathsep}{project.env.get('PATH', '')}",
                        "ECSP_TEST_CALLS": str(tmp_path / "calls.log"), "ECSP_HOME": str(tmp_path / "ecsp-home")})
    return project


def calls(project: Project) -> list[list[str]]:
    """The pulumi processes since the last call, each as its arguments (without --non-interactive)."""
    log = Path(project.env["ECSP_TEST_CALLS"])
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return [[a for a in line.split(" ") if a != "--non-interactive"] for line in lines]


def verbs(found: list[list[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for args in found:
        words = [a for a in args if not a.startswith("-")]
        out[" ".join(words[:3] if words[:2] == ["stack", "tag"] else words[:2] if words[0] in (
            "stack", "plugin", "config") else words[:1])] += 1
    return out


def per_stack(found: list[list[str]]) -> Counter[str]:
    return Counter(args[args.index("--stack") + 1] for args in found if "--stack" in args[:-1])


def backend_tags(project: Project, stack: str) -> dict[str, str]:
    """The stack's tags as the state backend holds them (read with the real CLI, not through ecsp)."""
    pulumi_project, name = stack.split("/")
    done = subprocess.run(
        [find_pulumi().command, "stack", "tag", "ls", "--json", "--stack", f"organization/{pulumi_project}/{name}"],
        cwd=project.folder / ".ecsp" / "workspaces" / pulumi_project, capture_output=True, text=True, check=True,
        env={**project.env, "PULUMI_BACKEND_URL": f"file://{project.folder / '.ecsp' / 'state'}"})
    tags: dict[str, str] = json.loads(done.stdout)
    return {k: v for k, v in tags.items() if k.startswith("ecsp:")}


def test_a_no_change_up_starts_the_cli_once_per_stack(counted: Project) -> None:
    first = counted.run("up", "--progress", "json")
    assert first.code == 0, first
    created = calls(counted)
    # A first run creates each stack and tags it, one tag a call.
    assert verbs(created)["stack init"] == len(HELLO) and verbs(created)["stack tag set"] == 6
    assert verbs(created)["version"] == 1

    again = counted.run("up", "--progress", "json")
    assert again.code == 0, again
    assert all(set(s["changes"]) <= {"same"} for s in again.stacks().values()), again
    found = calls(counted)
    # The update of each stack, nothing else: the CLI's version was checked by the first run, which
    # remembered it, and its plugins are in its plugin folder.
    assert verbs(found) == Counter({"up": 3}), found
    assert set(per_stack(found).values()) == {1}
    # The outputs came from the update's own events: the summary still shows the application's URL.
    assert again.stacks()["hello-web/test"]["outputs"]["url"].startswith("http://")

    assert backend_tags(counted, "hello-web/test") == {
        "ecsp:project": "hello", "ecsp:environment": "test", "ecsp:application": "web"}
    settings = yaml.safe_load((counted.folder / ".ecsp" / "workspaces" / "hello-web" / "Pulumi.test.yaml").read_text())
    assert settings["encryptionsalt"].startswith("v1:")  # stack init's, kept beside ecsp's config
    assert settings["config"]["ecsp:stack"] == "hello-web/test" and settings["config"]["aws:region"] == "us-east-1"


def test_tags_and_config_that_differ_are_written_again(counted: Project) -> None:
    assert counted.run("up", "--progress", "none").code == 0
    calls(counted)
    # As an older ecsp left it: other tags on the environment, and its region set by hand.
    file = counted.folder / ".ecsp" / "workspaces" / "hello-environment" / "Pulumi.test.yaml"
    settings = yaml.safe_load(file.read_text())
    settings["config"]["pulumi:tags"] = {"ecsp:project": "hello", "ecsp:retired": "yes"}
    settings["config"]["aws:region"] = "eu-west-1"
    file.write_text(yaml.safe_dump(settings))

    again = counted.run("up", "--progress", "json")
    assert again.code == 0, again
    found = calls(counted)
    assert verbs(found) == Counter({"up": 3, "stack tag set": 1, "stack tag rm": 1})
    assert per_stack(found)["organization/hello-environment/test"] == 3
    assert backend_tags(counted, "hello-environment/test") == {"ecsp:project": "hello", "ecsp:environment": "test"}
    assert yaml.safe_load(file.read_text())["config"]["aws:region"] == "us-east-1"
    # The environment's provider ran in its own region again: nothing to change.
    assert set(again.stacks()["hello-environment/test"]["changes"]) <= {"same"}, again


def test_the_engine_bench_reports_its_ratio_and_calls() -> None:
    bench = Path(__file__).resolve().parents[2] / "bench" / "engine.py"
    result = subprocess.run([sys.executable, str(bench), "--runs", "1", "--projects", "hello"],
                            capture_output=True, text=True, timeout=300, check=True)
    last = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"hello: wall/engine \d+\.\d\dx, (\d+) CLI calls, at most (\d+) per stack", last)
    assert match, result.stdout + result.stderr
    # Counted, not timed: one update a stack (and the CLI's version, if ecsp's home had not met it).
    assert int(match.group(2)) == 1 and int(match.group(1)) <= 4, result.stdout
