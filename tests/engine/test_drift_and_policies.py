"""``ecsp drift`` and policy packs through the API and CLI on the fake engine, and the adapter's drift events.

The real engine finds drift and runs a policy pack in ``tests/test_native_real_engine.py``.
"""

from __future__ import annotations

import json
import re
import shlex
import threading
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation.events import EngineEvent, OpType, ResOutputsEvent, StepEventMetadata, StepEventStateMetadata

from ecsp import api
from ecsp.cli import main
from ecsp.engine import DriftedProperty, DriftedResource
from ecsp.engine.events import drifted
from ecsp.engine.fake import FakeEngine
from ecsp.errors import ConfigError
from tests.deploy_support import write_project
from tests.paths import ROOT

PROJECT, E0, E1 = "shop-project/global", "shop-environment/e0", "shop-environment/e1"
ALL = [PROJECT, E0, E1, "shop-a0/e0", "shop-a1/e0", "shop-a0/e1", "shop-a1/e1"]
SERVICE = DriftedResource("aws:ecs/service:Service", "a0", "urn:pulumi:e0::shop-a0::aws:ecs/service:Service::a0",
                          "changed", (DriftedProperty("desiredCount", 1, 3),))
ROLE = DriftedResource("aws:iam/role:Role", "task", "urn:pulumi:e0::shop-a0::aws:iam/role:Role::task", "deleted")


@pytest.fixture
def file(tmp_path: Path) -> str:
    return str(write_project(tmp_path, "shop", environments=2, applications=2))


def fake(monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[FakeEngine, list[dict[str, Any]]]:
    engine = FakeEngine(deployed=ALL, **options)
    made: list[dict[str, Any]] = []

    def factory(project: api.Project, **kwargs: Any) -> FakeEngine:
        made.append(kwargs)
        return engine

    monkeypatch.setattr(api, "ENGINE_FACTORY", factory)
    return engine, made


# --------------------------------------------------------------------------- drift


def test_drift_reports_each_stack_and_exits_1_on_drift(file: str, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    engine, _ = fake(monkeypatch, drifted={"shop-a0/e0": [SERVICE, ROLE]}, delay=0.05)
    monkeypatch.setenv("COLUMNS", "140")
    assert main(["drift", "-f", file]) == 1
    out = capsys.readouterr().out
    assert "│ shop-a0/e0 │ Service a0 │ desiredCount │ 1 -> 3" in out
    assert "│ shop-a0/e0 │ Role task  │              │ deleted" in out
    assert "7 stack(s) checked; 2 resource(s) drifted in 1 stack(s)" in out
    assert sorted(c.stack for c in engine.calls) == sorted(ALL)
    # Several at once: a refresh needs nothing from upstream stacks, so the graph's order does not hold them back.
    assert len({c.thread for c in engine.calls}) > 1

    assert main(["drift", "-f", file, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["drifted"] is True
    [stack] = [s for s in report["stacks"] if s["drifted"]]
    assert stack["stack"] == "shop-a0/e0"
    assert stack["resources"][0] == {"type": "aws:ecs/service:Service", "name": "a0", "urn": SERVICE.urn,
                                     "change": "changed",
                                     "properties": [{"name": "desiredCount", "old": 1, "new": 3}]}


def test_no_drift_exits_0_and_targets_select_stacks(file: str, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    engine, _ = fake(monkeypatch, drifted={"shop-a0/e0": [SERVICE]})
    assert main(["drift", "-f", file, "--env", "e1", "--app", "a0"]) == 0
    assert "1 stack(s) checked; no drift" in capsys.readouterr().out
    assert [c.stack for c in engine.calls] == ["shop-a0/e1"]


def test_a_stack_that_cannot_be_checked_is_reported_and_fails_the_run(file: str, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    fake(monkeypatch, fail={E1: "the stack is locked by another update"})
    assert main(["drift", "-f", file, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["drifted"] is False
    [failed] = [s for s in report["stacks"] if s["error"]]
    assert failed == {"stack": E1, "drifted": False, "error": f"{E1}: the stack is locked by another update",
                      "resources": []}


def test_stacks_never_deployed_are_not_checked(file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(deployed=[PROJECT, E0])
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    report = api.load(file).drift()
    assert [s.stack for s in report.stacks] == [PROJECT, E0]
    assert set(report.not_deployed) == set(ALL) - {PROJECT, E0}
    assert report.clean and "5 not deployed" in report.summary()


def test_drift_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "--json" in out and "exit status" in out.lower()


def _outputs_event(op: OpType, type_: str, name: str, diffs: list[str] | None = None,
                   old: dict[str, Any] | None = None, new: dict[str, Any] | None = None) -> EngineEvent:
    urn = f"urn:pulumi:e0::shop-a0::{type_}::{name}"

    def state(outputs: dict[str, Any] | None) -> StepEventStateMetadata | None:
        if outputs is None:
            return None
        return StepEventStateMetadata(type=type_, urn=urn, id="id", parent="", provider="", inputs=outputs,
                                      outputs=outputs, custom=True, delete=False, protect=False, retain_on_delete=False)

    metadata = StepEventMetadata(op=op, urn=urn, type=type_, provider="", old=state(old), new=state(new), diffs=diffs)
    return EngineEvent(sequence=1, timestamp=1, res_outputs_event=ResOutputsEvent(metadata=metadata))


def test_the_adapter_reads_drift_from_a_refresh_previews_outputs_events() -> None:
    changed = drifted(_outputs_event(OpType.UPDATE, "aws:ecs/service:Service", "web", ["desiredCount"],
                                     {"desiredCount": 1, "name": "web"}, {"desiredCount": 3, "name": "web"}))
    assert changed == DriftedResource("aws:ecs/service:Service", "web",
                                      "urn:pulumi:e0::shop-a0::aws:ecs/service:Service::web", "changed",
                                      (DriftedProperty("desiredCount", 1, 3),))
    gone = drifted(_outputs_event(OpType.DELETE, "aws:iam/role:Role", "task", None, {"name": "task"}, None))
    assert gone is not None and (gone.change, gone.properties) == ("deleted", ())
    assert drifted(_outputs_event(OpType.SAME, "aws:ecs/service:Service", "web", None, {}, {})) is None
    assert drifted(_outputs_event(OpType.UPDATE, "pulumi:providers:aws", "aws", ["version"], {}, {})) is None
    assert drifted(EngineEvent(sequence=1, timestamp=1)) is None


def test_secrets_stay_hidden_in_the_drift_json() -> None:
    from ecsp.drift import SECRET_KEY, StackDrift

    secret = {SECRET_KEY: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "abc"}
    resource = DriftedResource("aws:ssm/parameter:Parameter", "p", "urn", "changed",
                               (DriftedProperty("value", secret, secret),))
    assert StackDrift("s", (resource,)).to_json()["resources"][0]["properties"] == [
        {"name": "value", "old": "[secret]", "new": "[secret]"}]


# --------------------------------------------------------------------------- policy packs


def test_policy_packs_of_the_flag_and_of_ecsp_yaml_reach_the_engine(file: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    project_dir = Path(file).parent
    (project_dir / "policies").mkdir()
    (tmp_path / "extra").mkdir()
    Path(file).write_text(Path(file).read_text() + "policy_packs: [policies]\n")
    _, made = fake(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert main(["preview", "-f", file, "--policy-pack", "extra", "--progress", "none"]) == 0
    assert made[-1]["policy_packs"] == [str((project_dir / "policies").resolve()), str((tmp_path / "extra").resolve())]
    assert main(["up", "-f", file, "--progress", "none"]) == 0
    assert made[-1]["policy_packs"] == [str((project_dir / "policies").resolve())]
    # destroy and refresh run no policies: the engine is made without them.
    assert main(["refresh", "-f", file, "--progress", "none"]) == 0
    assert "policy_packs" not in made[-1]


def test_a_missing_policy_pack_is_an_error_before_anything_runs(file: str, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    engine, _ = fake(monkeypatch)
    assert main(["up", "-f", file, "--policy-pack", "nowhere", "--progress", "none"]) == 2
    assert "error: policy pack nowhere does not exist" in capsys.readouterr().err
    Path(file).write_text(Path(file).read_text() + "policy_packs:\n  - gone/\n")
    line = Path(file).read_text().splitlines().index("  - gone/") + 1
    with pytest.raises(ConfigError) as raised:
        api.load(file).preview(progress=False)
    assert str(raised.value) == (f"{file}:{line}: policy_packs.0: gone/ is not a folder next to ecsp.yaml; give a "
                                 "policy pack's folder (with PulumiPolicy.yaml)")
    assert engine.calls == []


def test_drift_runs_on_threads_of_its_own(file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, _ = fake(monkeypatch, delay=0.05)
    api.load(file).drift(parallel=2)
    assert threading.current_thread().name not in {c.thread for c in engine.calls}
    assert {c.thread for c in engine.calls} <= {f"ecsp-drift_{i}" for i in range(2)}


def test_the_readme_drift_commands(file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Drift and policy packs\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```\n(.*?)```", section, re.S)
    commands = [shlex.split(line) for line in block.splitlines() if line.strip()]
    assert [c[:2] for c in commands] == [["ecsp", "drift"], ["ecsp", "drift"]]
    engine, _ = fake(monkeypatch, drifted={"shop-a0/e1": [SERVICE]})
    codes = [main([*c[1:], "-f", file]) for c in (
        [word.replace("prod", "e1") for word in command] for command in commands)]
    assert codes == [1, 1]
    assert "shop-a0/e1" in {c.stack for c in engine.calls}
