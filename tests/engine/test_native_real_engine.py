"""Pulumi-native features with the real engine and the stand-in provider (marked ``pulumi``): transforms,
drift detection and policy packs.

Same set-up as ``tests/test_real_engine.py`` (its project copies, runs and stand-in plugins):
the real ``pulumi`` CLI, a file backend, no AWS. Drift is injected through the stand-in's
``ECSP_STANDIN_DRIFT``/``ECSP_STANDIN_GONE`` knobs (what its Read returns); the policy pack is
``tests/fixtures/policy_pack``, a Python pack run with Pulumi's policy SDK.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine.test_real_engine import HELLO, Project, copy_example
from tests.engine.test_transforms import TWEAKS, readme_recipes, with_transforms
from tests.paths import ROOT
from tests.pulumi_cli import MARKS, REQUIRED, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS


def checkpoint(project: Project, pulumi_project: str, stack: str) -> list[dict[str, Any]]:
    """The resources the state backend holds for one stack."""
    path = project.folder / ".ecsp" / "state" / ".pulumi" / "stacks" / pulumi_project / f"{stack}.json"
    return list(json.loads(path.read_text(encoding="utf-8"))["checkpoint"]["latest"]["resources"])


def hello_with_tweaks(tmp_path: Path, pulumi_home: Path, *refs: str) -> Project:
    folder = copy_example("hello", tmp_path)
    (folder / "tweaks.py").write_text(TWEAKS, encoding="utf-8")
    with_transforms(folder, *refs)
    return Project(folder, pulumi_home)


def test_transforms_of_ecsp_yaml_run_in_the_real_engine(tmp_path: Path, pulumi_home: Path) -> None:
    """The engine runs the transforms on every registration: their properties are what it deploys."""
    hello = hello_with_tweaks(tmp_path, pulumi_home, "readme:cost_center", "readme:nofile_limit", "tweaks:two_tasks")
    (hello.folder / "readme.py").write_text(readme_recipes()[1], encoding="utf-8")
    up = hello.run("up", "--progress", "json")
    assert up.code == 0, up
    resources = checkpoint(hello, "hello-web", "test")
    [service] = [r for r in resources if r["type"] == "aws:ecs/service:Service"]
    assert service["inputs"]["desiredCount"] == 2, service
    [task] = [r for r in resources if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"]
    assert json.loads(task["inputs"]["containerDefinitions"])[0]["ulimits"] == [
        {"name": "nofile", "softLimit": 65536, "hardLimit": 65536}], task
    providers = [r for r in checkpoint(hello, "hello-environment", "test") if r["type"] == "pulumi:providers:aws"]
    assert providers and all(json.loads(p["inputs"]["defaultTags"])["tags"]["cost-center"] == "cc-test"
                             for p in providers), providers

    # A transform that raises fails its stack with the function's name and the resource; the others run.
    file = hello.file
    file.write_text(file.read_text().replace("tweaks:two_tasks", "tweaks:broken"))
    # (the README's recipes stay listed: a failing transform does not stop the others' stacks)
    failed = hello.run("preview", "--progress", "json")
    assert failed.code == 1, failed
    stacks = failed.stacks()
    assert stacks["hello-web/test"]["status"] == "failed", failed
    text = json.dumps(stacks["hello-web/test"])
    assert "transform tweaks:broken failed on aws:ecs/service:Service 'web' in hello-web/test: KeyError" in text, text
    assert stacks["hello-environment/test"]["status"] == "succeeded", failed


POLICY_PACK = ROOT / "tests" / "fixtures" / "policy_pack"
POLICY_SDK_VERSION = "1.21.0"  # as .ci/install-policy-sdk.sh installs it


def policy_analyzer(tmp_path: Path) -> Path:
    """The test policy pack as an analyzer executable the engine starts (``--policy-pack FILE``).

    The pulumi CLI built from source has no python language host, which is what starts a policy
    pack *folder* (``runtime: python``); so the pack's ``__main__.py`` is started directly, with
    Pulumi's policy SDK from .ci/install-policy-sdk.sh on its path (it serves the analyzer protocol
    and prints its port, as the language host would have it do).
    """
    sdk = Path(os.environ.get("ECSP_HOME") or Path.home() / ".ecsp") / "policy-sdk" / POLICY_SDK_VERSION
    if not (sdk / "pulumi_policy").is_dir():
        message = f"needs Pulumi's policy SDK in {sdk}: bash .ci/install-policy-sdk.sh installs it"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    analyzer = tmp_path / "analyzer"
    analyzer.write_text(f"#!/bin/sh\ncd {POLICY_PACK} || exit 1\n"
                        f"PYTHONPATH={sdk} exec {sys.executable} __main__.py \"$@\"\n", encoding="utf-8")
    analyzer.chmod(0o755)
    return analyzer


def test_drift_and_a_policy_pack_with_the_real_engine(tmp_path: Path, pulumi_home: Path) -> None:
    """Drift injected into the stand-in's reads is found by `ecsp drift`; a policy pack judges `preview`/`up`."""
    hello = Project(copy_example("hello", tmp_path), pulumi_home)
    analyzer = policy_analyzer(tmp_path)
    up = hello.run("up", "--progress", "json")
    assert up.code == 0, up

    clean = hello.run("drift", "--json")
    assert clean.code == 0, clean
    report = json.loads(clean.stdout)
    assert report["drifted"] is False and {s["stack"] for s in report["stacks"]} == set(HELLO), report

    knobs = {"ECSP_STANDIN_DRIFT": "Service:web.desiredCount=3,LogGroup:web.retentionInDays=7",
             "ECSP_STANDIN_GONE": "Role:hello-test-web-task"}
    drifted = hello.run("drift", "--json", **knobs)
    assert drifted.code == 1, drifted
    stacks = {s["stack"]: s for s in json.loads(drifted.stdout)["stacks"]}
    assert not stacks["hello-environment/test"]["drifted"] and not stacks["hello-project/global"]["drifted"]
    found = {(r["type"], r["name"], r["change"]): r["properties"] for r in stacks["hello-web/test"]["resources"]}
    assert found == {
        ("aws:cloudwatch/logGroup:LogGroup", "web", "changed"): [{"name": "retentionInDays", "old": 30, "new": 7}],
        ("aws:ecs/service:Service", "web", "changed"): [{"name": "desiredCount", "old": 1, "new": 3}],
        ("aws:iam/role:Role", "hello-test-web-task", "deleted"): [],
    }, found
    table = hello.run("drift", "--app", "web", **knobs, COLUMNS="160")
    assert table.code == 1, table
    assert "hello-environment/test" not in table.stdout
    assert "│ hello-web/test │ Service web              │ desiredCount    │ 1 -> 3" in table.stdout, table
    assert "1 stack(s) checked; 3 resource(s) drifted in 1 stack(s)" in table.stdout, table
    # A drift check is a preview: the state still says what ecsp deployed.
    [service] = [r for r in checkpoint(hello, "hello-web", "test") if r["type"] == "aws:ecs/service:Service"]
    assert service["outputs"]["desiredCount"] == 1

    # The pack's mandatory policy (no public IP for services) fails the web stack; its advisory one
    # (logs kept 90 days) is a warning; the other stacks pass.
    judged = hello.run("preview", "--progress", "json", "--policy-pack", str(analyzer))
    assert judged.code == 1, judged
    stacks = judged.stacks()
    assert stacks["hello-environment/test"]["status"] == "succeeded", judged
    web = stacks["hello-web/test"]
    assert web["status"] == "failed", judged
    assert "policy ecsp-test-policies/ecs-no-public-ip" in json.dumps(web), web
    diagnostics = [r for r in judged.records() if r["event"] == "diagnostic" and r["stack"] == "hello-web/test"]
    levels = {d["message"].split(":", 1)[0]: d["severity"] for d in diagnostics if d["message"].startswith("policy")}
    assert levels == {"policy ecsp-test-policies/ecs-no-public-ip": "error",
                      "policy ecsp-test-policies/logs-kept-90-days": "warning"}, diagnostics
    # The same pack named in ecsp.yaml (relative to it) judges `up`: the web stack is not updated.
    (hello.folder / "policies").mkdir()
    (hello.folder / "policies" / "analyzer").symlink_to(analyzer)
    text = hello.file.read_text().replace("count: 1", "count: 2")
    hello.file.write_text(text + "policy_packs: [policies/analyzer]\n")
    refused = hello.run("up", "--progress", "json")
    assert refused.code == 1, refused
    assert refused.stacks()["hello-web/test"]["status"] == "failed", refused
    [service] = [r for r in checkpoint(hello, "hello-web", "test") if r["type"] == "aws:ecs/service:Service"]
    assert service["outputs"]["desiredCount"] == 1
