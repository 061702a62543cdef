"""Upgrading ecsp keeps the resources a project deployed before ecsp marked its names (marked ``pulumi``).

ecsp once named ECR repositories ``<project>/<app>``, topics ``<project>-<env>-<app>-<topic>``,
state machines and task families ``<project>-<env>-<app>``, the Cloud Map namespace
``<env>.<project>.local`` and pipelines ``<project>-<pipeline>``: Copilot's patterns. Now
they carry a mark (:mod:`ecsp.naming`), but a stack deployed with the earlier names must keep
them: a new name would replace the resource, and the ECR repository (``force_delete``) would be
deleted with every image in it. Here a project is deployed by "the earlier ecsp" (this ecsp
with the earlier names patched in, in the CLI's own process) and then upgraded by this ecsp,
with the real engine and the stand-in provider of ``tests/engine/test_real_engine.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks import PROGRAMS
from tests import standin_provider
from tests.engine.test_real_engine import Project, Run, steps
from tests.paths import ROOT
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS


@pytest.fixture(scope="module")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("pulumi-home")
    standin_provider.install(home, PROGRAMS.plugin_versions())
    return home

# The earlier ecsp: its names, patched into this one before its CLI runs.
EARLIER_ECSP = """
import runpy
from ecsp import naming
naming.ecr_repository = lambda project, app: f"{project}/{app}"
naming.AppNames.topic = lambda self, topic: f"{self.base}-{topic}"
naming.AppNames.state_machine = property(lambda self: self.base)
naming.AppNames.family = property(lambda self: self.base)
naming.EnvNames.service_connect_namespace = property(lambda self: f"{self.environment}.{self.project}.local")
runpy.run_module("ecsp", run_name="__main__")
"""
# The kinds whose names the upgrade keeps, and the name each had (examples/kinds, environment test).
KEPT = {
    "aws:ecr/repository:Repository": {"kinds/web", "kinds/api", "kinds/orders", "kinds/nightly"},
    "aws:sns/topic:Topic": {"kinds-test-web-created"},
    "aws:sfn/stateMachine:StateMachine": {"kinds-test-nightly"},
    "aws:servicediscovery/httpNamespace:HttpNamespace": {"test.kinds.local"},
}


class Earlier(Project):
    """The project, run by the earlier ecsp."""

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-c", EARLIER_ECSP, *super().argv(*args)[3:]]


def run(project: Project, *args: str) -> Run:
    done = project.run(*args, "--progress", "json")
    assert done.code == 0, done
    return done


def state(project: Project) -> dict[str, set[str]]:
    """The physical names of the kept kinds in the state backend (what AWS would hold)."""
    found: dict[str, set[str]] = {kind: set() for kind in KEPT}
    for path in (project.folder / ".ecsp" / "state" / ".pulumi" / "stacks").rglob("*.json"):
        for resource in json.loads(path.read_text())["checkpoint"]["latest"].get("resources") or []:
            if resource["type"] in KEPT:
                found[resource["type"]].add(resource["outputs"]["name"])
    return found


def test_an_upgrade_keeps_the_resources_deployed_with_earlier_names(tmp_path: Path, pulumi_home: Path) -> None:
    folder = tmp_path / "kinds"
    shutil.copytree(ROOT / "examples" / "kinds", folder, ignore=shutil.ignore_patterns(".ecsp"))
    before = Earlier(folder, pulumi_home)
    run(before, "up")
    assert state(before) == KEPT

    after = Project(folder, pulumi_home)
    up = run(after, "up")
    # None of the kept kinds is replaced or renamed (the state machine's definition names the new
    # task definition: an update in place).
    touched = [(r["type"], r["op"], r.get("diffs")) for r in up.records()
               if r["event"] == "resource_step" and r.get("type") in KEPT and r["op"] not in ("same", "read")]
    assert [t for t in touched if t[1] != "update" or "name" in (t[2] or [])] == [], up
    assert touched == [("aws:sfn/stateMachine:StateMachine", "update", ["definition"])] * len(touched), touched
    assert state(after) == KEPT
    # The task definition moves to the marked family (AWS replaces it, as on any change of it;
    # the stand-in provider reports every change as an update) ...
    families = [r for r in steps(up, "kinds-web/test") if r.get("type") == "aws:ecs/taskDefinition:TaskDefinition"]
    assert families and "family" in (families[0].get("diffs") or []), families
    # ... and the worker still subscribes to the topic the publisher kept (read from its outputs).
    outputs = json.loads(after.run("outputs", "--json").stdout)
    assert "arn:aws:sns:us-west-2:123456789012:kinds-test-web-created" in json.dumps(outputs), outputs
    again = run(after, "up")
    assert all(set(s["changes"]) <= {"same"} for s in again.stacks().values()), again


# The golden files show the same names under mocks; this is the real engine's state (minutes).
@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("ECSP_RUN_SLOW") != "1", reason="minutes with the real engine: ECSP_RUN_SLOW=1 "
                    "runs it, as .ci/run does")
def test_a_new_project_takes_the_marked_names(tmp_path: Path, pulumi_home: Path) -> None:
    folder = tmp_path / "kinds"
    shutil.copytree(ROOT / "examples" / "kinds", folder, ignore=shutil.ignore_patterns(".ecsp"))
    project = Project(folder, pulumi_home)
    run(project, "up")
    found: dict[str, Any] = state(project)
    assert found["aws:ecr/repository:Repository"] == {f"ecsp/kinds/{a}" for a in ("web", "api", "orders", "nightly")}
    assert found["aws:sns/topic:Topic"] == {"ecsp_kinds-test-web-created"}
    assert found["aws:sfn/stateMachine:StateMachine"] == {"ecsp_kinds-test-nightly"}
    assert found["aws:servicediscovery/httpNamespace:HttpNamespace"] == {"test.kinds.ecsp.local"}
