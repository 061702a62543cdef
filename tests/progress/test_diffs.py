"""The diff renderer: old -> new values of what changes, from the engine's old and new inputs, and where they show."""

from __future__ import annotations

import argparse
import io
import json
from typing import Any

import pytest
from pulumi.automation.events import EngineEvent
from rich.console import Console

from ecsp.commands import run as run_command
from ecsp.diffs import CHANGES_LIMIT, VALUE_LIMIT, PropertyChange, lines, property_changes, shown
from ecsp.engine.events import translate
from ecsp.events import ResourceStep, Status
from ecsp.progress.plain import PlainReporter
from ecsp.results import RunResult, StackResult
from tests.fixtures import ecsp_events as f


def containers(variables: dict[str, str], secrets: dict[str, str], image: str = "nginx:1",
               sidecar: bool = True) -> str:
    """Container definitions as the task definition's input holds them: one JSON string."""
    defs: list[dict[str, Any]] = [{
        "name": "web", "image": image, "essential": True, "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in variables.items()],
        "secrets": [{"name": k, "valueFrom": v} for k, v in secrets.items()],
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecsp/shop-test-web"}},
    }]
    if sidecar:
        defs.append({"name": "datadog", "image": "datadog/agent:7", "essential": False})
    return json.dumps(defs)


BASE = {"ECSP_PROJECT": "shop", "ECSP_ENVIRONMENT": "test", "LOG_LEVEL": "info"}


def changed(old: Any, new: Any, keys: tuple[str, ...] = ()) -> list[str]:
    return lines(property_changes(old, new, keys))


def test_a_variable_inside_the_container_definitions_is_found_by_container_and_name() -> None:
    old = {"containerDefinitions": containers(BASE, {})}
    new = {"containerDefinitions": containers({**BASE, "LOG_LEVEL": "debug"}, {})}
    assert changed(old, new, ("containerDefinitions",)) == [
        'containerDefinitions[web].environment.LOG_LEVEL: "info" -> "debug"']


def test_added_and_removed_variables_the_image_and_a_new_sidecar() -> None:
    old = {"containerDefinitions": containers(BASE, {}, sidecar=False)}
    new = {"containerDefinitions": containers({"ECSP_PROJECT": "shop", "ECSP_ENVIRONMENT": "test", "NEW": "1"},
                                              {}, image="nginx:2")}
    got = changed(old, new)
    assert got[:3] == [
        'containerDefinitions[web].image: "nginx:1" -> "nginx:2"',
        'containerDefinitions[web].environment.NEW: + "1"',
        'containerDefinitions[web].environment.LOG_LEVEL: - "info"',
    ]
    assert got[3].startswith('containerDefinitions[datadog]: + {"name":"datadog"'), got


def test_secrets_show_which_changed_never_their_value_or_reference() -> None:
    old = {"containerDefinitions": containers(BASE, {"DB": "arn:aws:ssm:::parameter/db", "OLD": "x"})}
    new = {"containerDefinitions": containers(BASE, {"DB": "arn:aws:ssm:::parameter/db-2", "KEY": "y"})}
    got = changed(old, new)
    assert got == ["containerDefinitions[web].secrets.DB: changed (secret)",
                   "containerDefinitions[web].secrets.KEY: added (secret)",
                   "containerDefinitions[web].secrets.OLD: removed (secret)"]
    assert not any("parameter" in line for line in got)


def test_pulumi_secret_masks_and_markers_hide_the_values() -> None:
    marker = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
    assert changed({"password": "[secret]"}, {"password": "[secret]"}, ("password",)) == [
        "password: changed (secret)"]  # both masked: the engine's word that it changed is all there is
    assert changed({"password": "old"}, {"password": marker}) == ["password: changed (secret)"]
    assert changed({"token": "[secret]"}, {}) == ["token: removed (secret)"]
    assert changed({"password": "[secret]", "n": 1}, {"password": "[secret]", "n": 2}) == ["n: 1 -> 2"]


def test_counts_strings_nested_maps_and_engine_paths() -> None:
    old = {"desiredCount": 1, "cpu": "256", "tags": {"a": "1", "b": "2"}, "same": True}
    new = {"desiredCount": 2, "cpu": "512", "tags": {"a": "1", "c": "3"}, "same": True}
    # The engine names nested paths; each is cut to its property and walked once.
    assert changed(old, new, ("desiredCount", "cpu", "tags.b", "tags.c")) == [
        "desiredCount: 1 -> 2", 'cpu: "256" -> "512"', 'tags.c: + "3"', 'tags.b: - "2"']


def test_lists_by_position_whole_when_their_length_changes_and_plain_text_that_is_not_json() -> None:
    assert changed({"subnets": ["a", "b"]}, {"subnets": ["a", "c"]}) == ['subnets[1]: "b" -> "c"']
    assert changed({"subnets": ["a"]}, {"subnets": ["a", "c"]}) == ['subnets: ["a"] -> ["a","c"]']
    assert changed({"name": "{not json"}, {"name": "{not json either"}) == [
        'name: "{not json" -> "{not json either"']
    policy = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"]}]}
    wider = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"]}]}
    assert changed({"policy": json.dumps(policy)}, {"policy": json.dumps(wider)}) == [
        'policy.Statement[0].Action: ["s3:GetObject"] -> ["s3:GetObject","s3:PutObject"]']


def test_creates_and_deletes_have_nothing_to_compare() -> None:
    assert property_changes(None, {"a": 1}) == ()
    assert property_changes({"a": 1}, None) == ()
    assert property_changes({"a": 1}, {"a": 1}) == ()


def test_long_values_are_cut_and_many_changes_counted() -> None:
    long = "x" * 500
    text = shown(long)
    assert len(text) <= VALUE_LIMIT and "..." in text
    many = property_changes({f"k{i}": i for i in range(CHANGES_LIMIT + 5)},
                            {f"k{i}": i + 1 for i in range(CHANGES_LIMIT + 5)})
    out = lines(many)
    assert len(out) == CHANGES_LIMIT + 1 and out[-1] == "... and 5 more"


def _event(op: str, old: dict[str, Any] | None, new: dict[str, Any] | None, diffs: list[str], *,
           planning: bool = True) -> EngineEvent:
    urn = "urn:pulumi:test::shop-web::aws:ecs/taskDefinition:TaskDefinition::web"

    def state(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "aws:ecs/taskDefinition:TaskDefinition", "urn": urn, "id": "", "parent": "",
                "provider": "", "inputs": inputs, "outputs": {}}

    metadata = {"op": op, "urn": urn, "type": "aws:ecs/taskDefinition:TaskDefinition", "provider": "",
                "old": state(old) if old is not None else None, "new": state(new) if new is not None else None,
                "diffs": diffs}
    return EngineEvent.from_json({"sequence": 1, "timestamp": 1,
                                  "resourcePreEvent": {"metadata": metadata, "planning": planning}})


def test_the_adapter_puts_the_changes_on_update_and_replace_steps_only() -> None:
    old = {"containerDefinitions": containers(BASE, {}), "cpu": "256"}
    new = {"containerDefinitions": containers({**BASE, "LOG_LEVEL": "debug"}, {}), "cpu": "256"}
    [step] = translate("shop-web/test", _event("update", old, new, ["containerDefinitions"]))
    assert isinstance(step, ResourceStep)
    assert step.changes == (PropertyChange("containerDefinitions[web].environment.LOG_LEVEL", "update",
                                           '"info"', '"debug"'),)
    [replaced] = translate("shop-web/test", _event("replace", old, new, ["containerDefinitions"]))
    assert isinstance(replaced, ResourceStep) and len(replaced.changes) == 1
    [created] = translate("shop-web/test", _event("create", None, new, []))
    assert isinstance(created, ResourceStep) and created.changes == ()


def _update_step(preview: bool) -> ResourceStep:
    change = PropertyChange("desiredCount", "update", "1", "2")
    return ResourceStep("shop-web/test", "urn:pulumi:test::shop-web::aws:ecs/service:Service::web",
                        "aws:ecs/service:Service", "web", "update", "done", diffs=("desiredCount",),
                        preview=preview, changes=(change,))


@pytest.mark.parametrize(("diff", "shows"), [(None, True), (True, True), (False, False)])
def test_plain_progress_shows_an_update_s_values_by_default(diff: bool | None, shows: bool) -> None:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    reporter = PlainReporter(operation="up", console=console, clock=f.FakeClock(), diff=diff)
    reporter(_update_step(preview=False))
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "updated aws:ecs:Service web" in printed
    assert ("      desiredCount: 1 -> 2" in printed.splitlines()) is shows


def test_a_preview_s_values_come_once_in_its_report_not_under_each_step() -> None:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    reporter = PlainReporter(operation="preview", console=console, clock=f.FakeClock())
    reporter(_update_step(preview=True))
    assert "->" not in console.file.getvalue()  # type: ignore[attr-defined]
    result = RunResult("preview", [StackResult("shop-web/test", "application", "test", "web", Status.SUCCEEDED,
                                               steps=[_update_step(preview=True)])])
    report = Console(file=io.StringIO(), width=80, color_system=None)
    report.print(result.changes_view())
    assert "desiredCount: 1 -> 2" in report.file.getvalue()  # type: ignore[attr-defined]
    quiet = Console(file=io.StringIO(), width=80, color_system=None)
    quiet.print(result.changes_view(diff=False))
    assert "(desiredCount)" in quiet.file.getvalue() and "->" not in quiet.file.getvalue()  # type: ignore[attr-defined]


def test_the_cli_offers_diff_and_no_diff() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    run_command.register(sub, argparse.ArgumentParser(add_help=False))
    assert parser.parse_args(["preview"]).diff is None
    assert parser.parse_args(["preview", "--diff"]).diff is True
    assert parser.parse_args(["up", "--no-diff"]).diff is False


def test_a_replacement_keeps_what_its_first_step_said_changed() -> None:
    from ecsp import graph as graphs
    from ecsp import orchestrator
    from ecsp.context import StackContext
    from ecsp.engine.fake import FakeEngine
    from tests.deploy_support import synthetic

    config = synthetic("shop", environments=1, applications=1)
    graph = graphs.build(config)

    class Replacing(FakeEngine):
        def run(self, operation, ctx, on_event):  # type: ignore[no-untyped-def]
            urn = f"urn:pulumi:e0::{ctx.stack.pulumi_project}::aws:ecs/taskDefinition:TaskDefinition::web"
            change = PropertyChange("containerDefinitions[web].image", "update", '"a:1"', '"a:2"')
            for engine_op, changes in (("create-replacement", (change,)), ("replace", (change,)),
                                       ("delete-replaced", ())):
                on_event(ResourceStep(ctx.stack.name, urn, "aws:ecs/taskDefinition:TaskDefinition", "web", "replace",
                                      "done", preview=True, engine_op=engine_op, changes=changes))
            return super().run(operation, ctx, on_event)

    result = orchestrator.run(graph, "preview", Replacing(), lambda spec: StackContext(config=config, stack=spec))
    [step] = [s for s in result["shop-a0/e0"].steps if s.type.startswith("aws:")]
    assert step.engine_op == "delete-replaced" and lines(step.changes) == [
        'containerDefinitions[web].image: "a:1" -> "a:2"']
