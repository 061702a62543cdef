"""ecsp.engine.events: Pulumi engine events -> ecsp events, and reading --event-log files."""

from __future__ import annotations

import inspect
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import events as pulumi_events
from pulumi.automation.events import EngineEvent, OpType

from ecsp.engine.events import (
    clean_message,
    event_urn,
    infer_operation,
    read_event_log,
    stack_outputs,
    translate,
)
from ecsp.errors import UsageError
from ecsp.events import Diagnostic, OutputLine, ResourceStep, Summary, name_of_urn, stack_of_urn, type_of_urn
from tests.fixtures import ecsp_events as f
from tests.paths import ENGINE_EVENTS

STACK = "shop-web/test"


def steps(events: list[object]) -> list[ResourceStep]:
    return [e for e in events if isinstance(e, ResourceStep)]


def translate_all(events: list[EngineEvent]) -> list[object]:
    return [t for e in events for t in translate(STACK, e)]


# --- every kind of event the SDK defines --------------------------------------------------------

def _engine_event_fields() -> dict[str, Any]:
    """EngineEvent's payload fields and their classes, read from the installed SDK."""
    hints = typing.get_type_hints(EngineEvent.__init__, vars(pulumi_events))
    fields = {}
    for name in inspect.signature(EngineEvent.__init__).parameters:
        if name in ("self", "sequence", "timestamp"):
            continue
        (cls,) = [a for a in typing.get_args(hints[name]) if a is not type(None)]
        fields[name] = cls
    return fields


FIELDS = _engine_event_fields()


def test_the_sdk_still_defines_the_fields_we_handle() -> None:
    # If a Pulumi upgrade adds an event kind, this fails and points at translate().
    assert set(FIELDS) == {
        "cancel_event", "stdout_event", "diagnostic_event", "prelude_event", "summary_event",
        "resource_pre_event", "res_outputs_event", "res_op_failed_event", "policy_event", "start_debugging_event",
    }


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_every_event_kind_with_no_attributes_at_all_translates_without_raising(field: str) -> None:
    payload = FIELDS[field].__new__(FIELDS[field])  # an instance whose __init__ never ran: every attribute missing
    assert isinstance(translate(STACK, EngineEvent(1, 0, **{field: payload})), list)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_every_event_kind_with_every_parameter_none_translates_without_raising(field: str) -> None:
    cls = FIELDS[field]
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    payload = cls(*[None] * len(params))
    assert isinstance(translate(STACK, EngineEvent(1, 0, **{field: payload})), list)


def test_an_event_the_python_sdk_drops_is_all_none_and_means_nothing() -> None:
    # progressEvent / errorEvent / policyLoadEvent come through from_json with every field None.
    for key in ("progressEvent", "errorEvent", "policyLoadEvent", "policyRemediationEvent", "somethingNewEvent"):
        event = EngineEvent.from_json({"sequence": 3, "timestamp": 1, key: {"message": "x"}})
        assert all(getattr(event, name) is None for name in FIELDS)
        assert translate(STACK, event) == []


@pytest.mark.parametrize("op", list(OpType))
def test_every_op_becomes_a_step_and_the_replace_family_folds(op: OpType) -> None:
    s = f.Stream()
    s.pre(f.ECS_SERVICE, op.value)
    (step,) = steps(translate_all(s.events()))
    family = {"replace", "create-replacement", "delete-replaced", "read-replacement", "discard-replaced",
              "import-replacement", "remove-pending-replace"}
    assert step.op == ("replace" if op.value in family else op.value)
    assert step.engine_op == (op.value if op.value in family - {"replace"} else "")
    assert (step.type, step.name, step.phase) == ("aws:ecs/service:Service", "web", "start")
    assert step.parent == s.urn(f.SERVICE)


def test_steps_carry_name_type_parent_diffs_and_preview() -> None:
    s = f.Stream(preview=True)
    s.step(f.LISTENER_RULE, "update", diffs=("actions", "conditions"))
    start, done = steps(translate_all(s.events()))
    assert (start.phase, done.phase) == ("start", "done")
    assert start.diffs == ("actions", "conditions") and start.preview and done.preview
    assert start.urn == ("urn:pulumi:test::shop-web::ecsp:application:Service$aws:lb/listenerRule:ListenerRule"
                         "::web-http-rule")


def test_root_stack_and_provider_rows_are_hidden_but_their_failures_kept() -> None:
    s = f.Stream().begin("create")
    s.pre(s.provider, "create").failed(s.provider, "create").failed(s.root, "create")
    s.diagnostic("could not configure the aws provider: no region", res=s.provider)
    out = translate_all(s.events())
    assert [(e.type, e.phase) for e in steps(out)] == [
        ("pulumi:providers:aws", "failed"), ("pulumi:pulumi:Stack", "failed")]
    (diag,) = [e for e in out if isinstance(e, Diagnostic)]
    assert diag.urn == s.urn(s.provider) and diag.severity == "error"


def test_children_of_the_root_stack_are_top_level() -> None:
    s = f.Stream()
    s.pre(f.SERVICE, "create")
    (step,) = steps(translate_all(s.events()))
    assert step.parent is None


def test_diagnostics_lose_pulumi_colour_directives_and_ansi() -> None:
    s = f.Stream().diagnostic("<{%fg 1%}>boom\x1b[31m red\x1b[0m<{%reset%}>\n\n", severity="warning")
    (diag,) = translate_all(s.events())
    assert diag == Diagnostic(STACK, "warning", "boom red", None)
    assert clean_message("<{%bold%}>a<{%reset%}>  \n") == "a"


def test_debug_diagnostics_are_dropped_as_pulumi_s_display_drops_them() -> None:
    """The real engine streams the Python SDK's debug log as diagnostics ("registering resource: ...")."""
    s = f.Stream().diagnostic("registering resource: ty=aws:ec2/vpc:Vpc, name=vpc", severity="debug")
    s.diagnostic("a real warning", severity="warning")
    assert translate_all(s.events()) == [Diagnostic(STACK, "warning", "a real warning", None)]


def test_summary_stdout_policy_and_debugger_events() -> None:
    s = f.Stream().stdout("Downloading plugin aws").end({"create": 2, "same": 1}, duration=9)
    s._add("policyEvent", {"message": "bucket is public", "color": "raw", "policyName": "no-public",
                           "policyPackName": "baseline", "policyPackVersion": "1", "policyPackVersionTag": "v1",
                           "enforcementLevel": "mandatory", "resourceUrn": "urn:x"})
    s._add("startDebuggingEvent", {"config": {"port": 5678}})
    out = translate_all(s.events())
    assert OutputLine(STACK, "Downloading plugin aws") in out
    assert Summary(STACK, {"create": 2, "same": 1}, 9.0) in out
    assert Diagnostic(STACK, "error", "policy baseline/no-public: bucket is public", "urn:x") in out
    assert OutputLine(STACK, 'debugger waiting for a client: {"port": 5678}') in out


def test_summary_with_garbage_counts_keeps_the_good_ones() -> None:
    event = EngineEvent.from_json({"sequence": 1, "timestamp": 0, "summaryEvent": {
        "resourceChanges": {"create": "2", "update": None, OpType.DELETE: 1}, "durationSeconds": "x"}})
    assert translate(STACK, event) == [Summary(STACK, {"create": 2, "delete": 1}, None)]


def test_urn_helpers() -> None:
    urn = "urn:pulumi:test::shop-web::ecsp:application:Service$aws:ecs/service:Service::web::odd"
    assert name_of_urn(urn) == "web::odd"
    assert type_of_urn(urn) == "aws:ecs/service:Service"
    assert stack_of_urn(urn) == "shop-web/test"
    assert stack_of_urn("not a urn") is None and name_of_urn("x") == "x" and type_of_urn("x") == ""


def test_stack_outputs_come_from_the_root_stack_outputs_event() -> None:
    events = f.create_application().events()
    found = [o for o in map(stack_outputs, events) if o is not None]
    assert found == [{"url": f.URL, "serviceName": "web-1a2b3c4"}]
    assert event_urn(events[0]) is None  # the prelude names no resource
    assert event_urn(events[1]) == "urn:pulumi:test::shop-web::pulumi:pulumi:Stack::shop-web-test"


@pytest.mark.parametrize(("make", "operation"), [
    (f.create_application, "up"), (f.update_service, "up"), (f.preview_application, "preview")])
def test_infer_operation_of_ecsp_streams(make: typing.Callable[[], f.Stream], operation: str) -> None:
    assert infer_operation(make().events()) == operation


def test_infer_operation_of_destroy_and_refresh() -> None:
    assert infer_operation(read_event_log(ENGINE_EVENTS / "destroy-with-components.json")) == "destroy"
    s = f.Stream().begin()
    s.step(f.ECS_SERVICE, "refresh")
    assert infer_operation(s.events()) == "refresh"
    s = f.Stream().begin()
    s.step(f.ECS_SERVICE, "delete").step(s.root, "delete")
    assert infer_operation(s.events()) == "destroy"


# --- read_event_log ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(ENGINE_EVENTS.glob("*.json")), ids=lambda p: p.name)
def test_every_recorded_log_reads_whole(path: Path) -> None:
    events = list(read_event_log(path))
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert len(events) == len(lines)
    assert events[-1].cancel_event is not None  # the last event of every stream


def test_blank_garbled_and_unparseable_lines_are_skipped_and_reported(tmp_path: Path) -> None:
    lines = f.update_service().lines()
    bad_op = json.dumps({"sequence": 99, "timestamp": 1, "resourcePreEvent": {"metadata": {"op": "teleport"}}})
    text = "\n".join([lines[0], "", "   ", "{not json", bad_op, *lines[1:], lines[-1][:17]])  # torn last write
    path = tmp_path / "log.json"
    path.write_text(text)
    skipped: list[tuple[int, str]] = []
    events = list(read_event_log(path, on_skip=lambda n, why: skipped.append((n, why))))
    assert len(events) == len(lines)
    assert [n for n, _ in skipped] == [4, 5, len(lines) + 5]
    assert "teleport" in skipped[1][1]


@pytest.mark.parametrize(("content", "why"), [
    ("", "it is empty"),
    ("\n\n", "it is empty"),
    ("# notes\nhello\n", "it holds no engine events"),
    ('{"name": "ecsp", "version": 1}\n', "it holds no engine events"),
    ("x\n" * 30 + json.dumps({"sequence": 1, "cancelEvent": {}}) + "\n", "its first 20 lines are not engine events"),
])
def test_a_file_that_is_not_an_event_log_says_so(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(content)
    with pytest.raises(UsageError) as e:
        list(read_event_log(path))
    assert e.value.message == f"{path} is not a Pulumi engine event log: {why}"
    assert e.value.fix and "--event-log" in e.value.fix


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cannot read event log .*missing\.json: No such file"):
        list(read_event_log(tmp_path / "missing.json"))
