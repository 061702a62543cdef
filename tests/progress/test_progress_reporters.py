"""ecsp.progress reporters: exact text at a fixed width with a fake clock, JSON that parses back,
mode selection, and the end of a run with or without a result."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rich.console import Console

from ecsp import progress
from ecsp.engine.events import translate
from ecsp.errors import UsageError
from ecsp.events import Diagnostic, OutputLine, Secret, StackStatus, Status
from ecsp.progress.base import NullReporter, Reporter
from ecsp.progress.jsonl import JsonReporter
from ecsp.progress.live import LiveReporter, LiveView
from ecsp.progress.model import ProgressModel
from ecsp.progress.plain import PlainReporter
from ecsp.progress.summary import person_outputs
from ecsp.results import RunResult, StackResult
from tests.fixtures import ecsp_events as f

ENV, WEB, API = "shop-environment/test", "shop-web/test", "shop-api/test"
WIDTH, HEIGHT = 80, 25


def console(**kwargs: Any) -> Console:
    # A fixed height too: the plain reporter repeats its status line by it, and rich would read the
    # height from whatever terminal the test process has (none under pytest-xdist's workers).
    return Console(file=io.StringIO(), **{"width": WIDTH, "height": HEIGHT, "color_system": None, **kwargs})


def text_of(c: Console) -> str:
    out = c.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in out.splitlines())


def play(listener: Any, clock: f.FakeClock, stack: str, stream: f.Stream) -> None:
    """Feed a stream as the engine would, the fake clock following the stream's timestamps."""
    last = None
    for event in stream.events():
        if last is not None:
            clock.advance(event.timestamp - last)
        last = event.timestamp
        for e in translate(stack, event):
            listener(e)


def three_stacks(rep: Reporter, clock: f.FakeClock) -> RunResult:
    """An environment, then two applications at once: one succeeds, one's listener rule fails."""
    rep.model.register([ENV, WEB, API])
    for s in (ENV, WEB, API):
        rep(StackStatus(s, Status.PENDING, "up"))
    rep(StackStatus(ENV, Status.RUNNING, "up"))
    play(rep, clock, ENV, f.create_environment_alb())
    rep(StackStatus(ENV, Status.SUCCEEDED, "up", outputs={"loadBalancerDnsName": "x"}))
    rep(StackStatus(WEB, Status.RUNNING, "up"))
    rep(StackStatus(API, Status.RUNNING, "up"))
    play(rep, clock, WEB, f.create_application())
    play(rep, clock, API, f.fail_listener_rule())
    rep(StackStatus(WEB, Status.SUCCEEDED, "up", outputs={"url": f.URL}))
    rep(StackStatus(API, Status.FAILED, "up", "1 resource failed"))
    return RunResult("up", [
        StackResult(ENV, "environment", "test", None, Status.SUCCEEDED, started=0, ended=97, changes={"create": 4}),
        StackResult(WEB, "application", "test", "web", Status.SUCCEEDED, started=97, ended=144,
                    changes={"create": 6}, outputs={"url": f.URL, "serviceName": "web-1a2b3c4"}),
        StackResult(API, "application", "test", "api", Status.FAILED, "1 resource failed", started=97, ended=148,
                    changes={"create": 3}),
    ])


FINAL_TABLE = """\
up: 2 succeeded, 1 failed in 2m28s
stack                 ┃ result            ┃ changes ┃  time
━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━
shop-environment/test │ ✓ succeeded       │ +3      │ 1m37s
shop-web/test         │ ✓ succeeded       │ +5      │   47s
shop-api/test         │ ✗ failed          │ +3      │   51s
                      │ 1 resource failed │         │

URLs
  shop-web/test  http://shop-test-alb-1234567890.us-west-2.elb.amazonaws.com/
"""

PLAIN = """\
[00:00] shop-environment/test: running up
[00:00] up · 0/3 stacks · 0s · running: shop-environment/test
[00:00] shop-environment/test: creating ecsp:environment:LoadBalancer alb
[00:00] shop-environment/test: created ecsp:environment:LoadBalancer alb (0s)
[00:00] shop-environment/test: creating aws:lb:LoadBalancer alb
[01:35] shop-environment/test: created aws:lb:LoadBalancer alb (1m35s)
[01:35] shop-environment/test: creating aws:lb:Listener http
[01:36] shop-environment/test: created aws:lb:Listener http (1s)
[01:37] shop-environment/test: succeeded +3 in 1m37s
[01:37] shop-web/test: running up
[01:37] shop-api/test: running up
[01:37] shop-web/test: creating ecsp:application:Service web
[01:37] shop-web/test: created ecsp:application:Service web (0s)
[01:37] shop-web/test: creating aws:cloudwatch:LogGroup web-logs
[01:38] shop-web/test: created aws:cloudwatch:LogGroup web-logs (1s)
[01:38] shop-web/test: creating aws:lb:TargetGroup web-tg
[01:40] shop-web/test: created aws:lb:TargetGroup web-tg (2s)
[01:40] shop-web/test: creating aws:lb:ListenerRule web-http-rule
[01:41] shop-web/test: created aws:lb:ListenerRule web-http-rule (1s)
[01:41] shop-web/test: creating aws:ecs:Service web
[02:23] shop-web/test: created aws:ecs:Service web (42s)
[02:24] shop-api/test: creating ecsp:application:Service web
[02:24] shop-api/test: created ecsp:application:Service web (0s)
[02:24] shop-api/test: creating aws:cloudwatch:LogGroup web-logs
[02:25] shop-api/test: created aws:cloudwatch:LogGroup web-logs (1s)
[02:25] shop-api/test: creating aws:lb:TargetGroup web-tg
[02:27] shop-api/test: created aws:lb:TargetGroup web-tg (2s)
[02:27] up · 1/3 stacks · 2m27s · running: shop-web/test, shop-api/test
[02:27] shop-api/test: creating aws:lb:ListenerRule web-http-rule
[02:28] shop-api/test: failed to create aws:lb:ListenerRule web-http-rule (1s): creating ELBv2 Listener Rule: \
PriorityInUse: Priority '100' is currently in use
[02:28] shop-web/test: succeeded +5 in 51s
[02:28] shop-api/test: failed +3 in 51s: 1 resource failed

shop-api/test
  ✗ failed      aws:lb:ListenerRule web-http-rule (creating, 1s)
    creating ELBv2 Listener Rule: PriorityInUse: Priority '100' is currently in use

""" + FINAL_TABLE + """
Diagnostics
  shop-api/test
    error: aws:lb:ListenerRule web-http-rule
      sdk-v2/provider2.go:515: sdk.helper_schema: creating ELBv2 Listener Rule: operation error Elastic Load \
Balancing v2: CreateRule, https response error StatusCode: 400, RequestID: 6b0f2d1e-3c4a-4b5d-9e8f-7a6b5c4d3e2f, \
PriorityInUse: Priority '100' is currently in use: provider=aws@7.51.1
    error: pulumi:pulumi:Stack shop-web-test
      update failed"""


def test_plain_lines_and_final_report_exactly() -> None:
    clock, c = f.FakeClock(0), console()
    with progress.reporter("plain", operation="up", console=c, clock=clock) as rep:
        rep.finish(three_stacks(rep, clock))
    # Plain output is for logs: lines are never wrapped, whatever the console's width.
    assert text_of(c) == PLAIN


def test_live_reporter_ends_with_the_same_report_wrapped_to_the_terminal() -> None:
    clock, c = f.FakeClock(0), console()
    with progress.reporter("live", operation="up", console=c, clock=clock) as rep:
        assert isinstance(rep, LiveReporter)
        rep.finish(three_stacks(rep, clock))
    assert text_of(c) == """\
shop-api/test
  ✗ failed      aws:lb:ListenerRule web-http-rule (creating, 1s)
    creating ELBv2 Listener Rule: PriorityInUse: Priority '100' is currently in
    use

""" + FINAL_TABLE + """
Diagnostics
  shop-api/test
    error: aws:lb:ListenerRule web-http-rule
      sdk-v2/provider2.go:515: sdk.helper_schema: creating ELBv2 Listener Rule:
      operation error Elastic Load Balancing v2: CreateRule, https response
      error StatusCode: 400, RequestID: 6b0f2d1e-3c4a-4b5d-9e8f-7a6b5c4d3e2f,
      PriorityInUse: Priority '100' is currently in use: provider=aws@7.51.1
    error: pulumi:pulumi:Stack shop-web-test
      update failed"""


def live_mid_run() -> tuple[ProgressModel, f.FakeClock]:
    clock = f.FakeClock(0)
    model = ProgressModel(clock)
    model.register(["shop-project/global", ENV, WEB, API, "shop-worker/test"])
    model.apply(StackStatus("shop-project/global", Status.RUNNING, "up"))
    clock.advance(32)
    model.apply(StackStatus("shop-project/global", Status.SUCCEEDED, "up"))
    model.apply(StackStatus(ENV, Status.RUNNING, "up"))
    s = f.Stream("shop-environment", "test").begin("create")
    s.step(f.LOAD_BALANCER, "create", 0).pre(f.ALB, "create").pre(f.HTTP_LISTENER, "create")
    play(model.apply, clock, ENV, s)
    model.apply(StackStatus(API, Status.RUNNING, "up"))
    play(model.apply, clock, API, f.fail_service())
    model.apply(StackStatus(API, Status.FAILED, "up", "1 resource failed"))
    model.apply(StackStatus("shop-worker/test", Status.SKIPPED, "up", "upstream shop-api/test failed"))
    clock.advance(45.3)
    return model, clock


def test_live_view_mid_run_exactly() -> None:
    model, clock = live_mid_run()
    c = console()
    c.print(LiveView(model, clock, project="shop"))
    assert text_of(c) == """\
up shop · 3/5 stacks · 1m22s · 1 failed
✓ 1 succeeded · ↷ 1 skipped
✗ shop-api/test              5s  3 resources  +2
    ✗ aws:ecs:Service web: creating ECS Service (web): InvalidParameterExceptio…
⠇ shop-environment/test     50s  1 done · 2 in flight  +1
    creating aws:lb:LoadBalancer alb 50s
    creating aws:lb:Listener http 50s
· 1 waiting: shop-web/test"""


def test_live_view_spinner_turns_with_the_clock_and_rows_fit_a_narrow_terminal() -> None:
    model, clock = live_mid_run()
    frames = set()
    for _ in range(10):
        clock.advance(0.08)
        c = Console(file=io.StringIO(), width=40, color_system=None)
        c.print(LiveView(model, clock))
        lines = text_of(c).splitlines()
        frames.add(lines[4][0])
        assert all(len(line) <= 40 for line in lines)
    assert len(frames) == 10
    assert lines[5] == "    creating aws:lb:LoadBalancer alb 51s"
    assert lines[3] == "    ✗ aws:ecs:Service web: creating ECS…"


def test_live_view_shows_the_aws_resources_in_flight_before_the_components_around_them() -> None:
    clock = f.FakeClock(0)
    model = ProgressModel(clock)
    component = f.Res("ecsp:application:Routing", "routing", custom=False)
    s = f.Stream().begin("create").pre(component, "create").tick()
    for i in range(9):
        s.pre(f.Res("aws:ecs/service:Service", f"svc{i}", parent=component), "create").tick()
    play(model.apply, clock, WEB, s)
    c = Console(file=io.StringIO(), width=WIDTH, height=8, color_system=None)
    c.print(LiveView(model, clock))
    lines = text_of(c).splitlines()
    assert len(lines) == 8, "never taller than the screen"
    assert lines[1][2:].startswith("shop-web/test") and "0 done · 10 in flight" in lines[1]
    assert [line.split()[2] for line in lines[2:]] == [f"svc{i}" for i in range(6)], "oldest AWS resource first"
    assert lines[2] == "    creating aws:ecs:Service svc0 8s"


def test_live_view_before_any_event() -> None:
    c = console()
    c.print(LiveView(ProgressModel(f.FakeClock()), f.FakeClock(), project="shop"))
    assert text_of(c) == "up shop · 0/0 stacks · 0s\nwaiting for the engine…"


# --- JSON lines ----------------------------------------------------------------------------------

def test_json_lines_parse_back_and_end_with_the_result() -> None:
    clock, c = f.FakeClock(0), console()
    with progress.reporter("json", operation="up", console=c, clock=clock) as rep:
        rep(OutputLine(WEB, "Updating (test)"))
        rep.finish(three_stacks(rep, clock))
    records = [json.loads(line) for line in c.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    kinds = [r["event"] for r in records]
    assert kinds[0] == "output_line" and kinds[-1] == "result"
    assert set(kinds) == {"output_line", "stack_status", "resource_step", "diagnostic", "summary", "result"}
    assert all(isinstance(r["elapsed"], float) for r in records)
    failed = [r for r in records if r["event"] == "resource_step" and r["phase"] == "failed"]
    assert failed == [{
        "event": "resource_step", "elapsed": 148.0, "stack": API,
        "urn": "urn:pulumi:test::shop-web::ecsp:application:Service$aws:lb/listenerRule:ListenerRule::web-http-rule",
        "type": "aws:lb/listenerRule:ListenerRule", "name": "web-http-rule", "op": "create", "phase": "failed",
        "parent": "urn:pulumi:test::shop-web::ecsp:application:Service::web", "diffs": [], "preview": False,
        "engine_op": "", "retained": False, "replace_keys": [], "changes": [], "state": "failed",
        "error": "creating ELBv2 Listener Rule: PriorityInUse: Priority '100' is currently in use"}]
    result = records[-1]
    assert (result["operation"], result["ok"]) == ("up", False)
    assert [(s["stack"], s["status"], s["duration"]) for s in result["stacks"]] == [
        (ENV, "succeeded", 97), (WEB, "succeeded", 47), (API, "failed", 51)]
    assert result["stacks"][1]["outputs"] == {"url": f.URL, "serviceName": "web-1a2b3c4"}
    assert [r["name"] for r in result["stacks"][2]["failed"]] == ["web-http-rule"]
    assert len(result["stacks"][2]["diagnostics"]) == 2


def test_json_masks_secret_outputs_and_survives_odd_values() -> None:
    c = console()
    rep = progress.reporter("json", operation="up", console=c, clock=f.FakeClock())
    rep(StackStatus(WEB, Status.SUCCEEDED, "up", outputs={
        "url": f.URL, "password": Secret("hunter2"), "when": object}))
    (record,) = [json.loads(line) for line in c.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    assert record["outputs"]["url"] == f.URL and record["outputs"]["password"] == "[secret]"
    assert "hunter2" not in c.file.getvalue()  # type: ignore[attr-defined]


# --- outputs that matter --------------------------------------------------------------------------

def test_person_outputs_put_the_url_first_and_hide_secrets() -> None:
    outputs = {"clusterArn": "arn:x", "apiUrl": "https://api", "docs": "http://docs", "url": f.URL,
               "token": Secret("t"), "adminUrl": Secret("https://admin"), "empty": ""}
    assert person_outputs(outputs) == [("url", f.URL), ("adminUrl", "[secret]"), ("apiUrl", "https://api")]


def test_outputs_other_than_the_url_get_a_column() -> None:
    c = Console(file=io.StringIO(), width=100, color_system=None)
    rep = progress.reporter("plain", operation="up", console=c, clock=f.FakeClock())
    rep.finish(RunResult("up", [StackResult("shop-project/global", "project", None, None, Status.SUCCEEDED,
                                            outputs={"repositoryUrl": "123.dkr.ecr.aws/shop/web"})]))
    assert "│ repositoryUrl: 123.dkr.ecr.aws/shop/web" in text_of(c)
    assert "URLs" not in text_of(c)


# --- modes and lifecycle -------------------------------------------------------------------------

def test_auto_is_live_on_a_terminal_and_plain_otherwise() -> None:
    assert isinstance(progress.reporter("auto", operation="up", console=console(force_terminal=True)), LiveReporter)
    assert isinstance(progress.reporter("auto", operation="up", console=console()), PlainReporter)
    assert isinstance(progress.reporter("json", operation="up", console=console()), JsonReporter)
    assert isinstance(progress.reporter("none", operation="up", console=console()), NullReporter)


def test_auto_in_jupyter_is_live_only_with_ipywidgets(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ipywidgets" else real(name))
    assert progress.choose_mode(console(force_jupyter=True)) == "plain"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    assert progress.choose_mode(console(force_jupyter=True)) == "live"


def test_an_unknown_mode_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown progress mode 'fancy'") as e:
        progress.reporter("fancy", operation="up")  # type: ignore[arg-type]
    assert e.value.fix == "use one of: auto, live, plain, json, none"


def test_none_prints_nothing_but_still_keeps_the_model() -> None:
    clock, c = f.FakeClock(0), console()
    with progress.reporter("none", operation="up", console=c, clock=clock) as rep:
        rep.finish(three_stacks(rep, clock))
    assert c.file.getvalue() == ""  # type: ignore[attr-defined]
    assert rep.model.stack(API).failed  # type: ignore[union-attr]


def test_a_run_that_raises_still_shows_what_was_interrupted() -> None:
    clock, c = f.FakeClock(0), console()
    with pytest.raises(KeyboardInterrupt), progress.reporter("plain", operation="destroy", console=c,
                                                             clock=clock) as rep:
        rep(StackStatus(WEB, Status.RUNNING, "destroy"))
        s = f.Stream().begin()
        s.pre(f.ECS_SERVICE, "delete").tick(7)
        play(rep, clock, WEB, s)
        clock.advance(7)
        raise KeyboardInterrupt
    assert text_of(c) == """\
[00:00] shop-web/test: running destroy
[00:00] shop-web/test: deleting aws:ecs:Service web
[00:07] shop-web/test: interrupted deleting aws:ecs:Service web (7s)

shop-web/test
  ! interrupted aws:ecs:Service web (deleting, 7s)

destroy: 1 interrupted
stack         ┃ result      ┃ changes ┃ time
━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━
shop-web/test │ interrupted │         │   7s"""


def test_finish_is_idempotent_and_later_events_print_nothing() -> None:
    clock, c = f.FakeClock(0), console()
    rep = progress.reporter("plain", operation="up", console=c, clock=clock)
    rep.finish(RunResult("up", []))
    before = c.file.getvalue()  # type: ignore[attr-defined]
    rep.finish(RunResult("up", []))
    rep(Diagnostic(WEB, "error", "late"))
    assert c.file.getvalue() == before  # type: ignore[attr-defined]


def test_preview_prints_what_would_change() -> None:
    clock, c = f.FakeClock(0), console()
    rep = progress.reporter("plain", operation="preview", console=c, clock=clock)
    play(rep, clock, WEB, f.preview_application())
    assert text_of(c).splitlines()[:2] == [
        "[00:00] shop-web/test: would create ecsp:application:Service web",
        "[00:00] shop-web/test: would create aws:cloudwatch:LogGroup web-logs"]
    assert "creating" not in text_of(c)


def test_run_level_warnings_have_no_stack_row_and_are_shown() -> None:
    # The orchestrator reports warnings about the whole run as stack "" diagnostics.
    warning = Diagnostic("", "warning", "pulumi 3.100 is older than 3.200; upgrade it")
    clock, c = f.FakeClock(0), console()
    with progress.reporter("plain", operation="up", console=c, clock=clock) as rep:
        rep(warning)
        rep(warning)  # repeated: shown once
        assert [v.stack for v in rep.model.stacks()] == []
        rep.finish(RunResult("up", []))
    assert text_of(c).splitlines()[0] == "[00:00] warning: pulumi 3.100 is older than 3.200; upgrade it"
    assert text_of(c).count("upgrade it") == 1

    c = console()
    with progress.reporter("live", operation="up", console=c, clock=clock) as rep:
        rep(warning)
        rep.finish(RunResult("up", []))
    assert text_of(c).splitlines()[-1] == "warning: pulumi 3.100 is older than 3.200; upgrade it"


def test_engine_secrets_never_reach_json_or_the_summary() -> None:
    from ecsp.events import Secret

    outputs = {"url": f.URL, "dbPassword": Secret("hunter2"), "adminUrl": Secret("https://admin:hunter2@x")}
    for mode in ("json", "plain", "live"):
        c = console()
        with progress.reporter(mode, operation="up", console=c, clock=f.FakeClock()) as rep:
            rep(StackStatus(WEB, Status.SUCCEEDED, "up", outputs=outputs))
            rep.finish(RunResult("up", [StackResult(WEB, "application", "test", "web", Status.SUCCEEDED,
                                                    outputs=outputs)]))
        assert "hunter2" not in c.file.getvalue(), mode  # type: ignore[attr-defined]
        if mode == "json":
            result = json.loads(c.file.getvalue().splitlines()[-1])  # type: ignore[attr-defined]
            assert result["stacks"][0]["outputs"] == {"url": f.URL, "dbPassword": "[secret]", "adminUrl": "[secret]"}


def test_the_table_falls_back_to_the_results_changes_for_stacks_the_model_never_saw() -> None:
    c = console()
    rep = progress.reporter("plain", operation="up", console=c, clock=f.FakeClock())
    rep.finish(RunResult("up", [StackResult(WEB, "application", "test", "web", Status.SUCCEEDED,
                                            changes={"create": 2, "same": 4, "update": 1})]))
    assert text_of(c).splitlines()[-1] == "shop-web/test │ ✓ succeeded │ +2 ~1   │"


def test_a_reason_does_not_repeat_the_stack_name_it_is_shown_beside() -> None:
    # Engine errors start with the stack's name so they stand alone in logs and exceptions.
    why = f"{ENV}: creating VPC: VpcLimitExceeded"
    result = RunResult("up", [StackResult(ENV, "environment", "test", None, Status.FAILED, why, started=0, ended=3),
                              StackResult(WEB, "application", "test", "web", Status.SKIPPED, f"{ENV} failed")])
    for mode in ("plain", "live"):
        clock, c = f.FakeClock(0), console()
        with progress.reporter(mode, operation="up", console=c, clock=clock) as rep:  # type: ignore[arg-type]
            rep.model.register([ENV, WEB])
            rep(StackStatus(ENV, Status.RUNNING, "up"))
            clock.advance(3)
            rep(StackStatus(ENV, Status.FAILED, "up", why))
            rep(StackStatus(WEB, Status.SKIPPED, "up", f"{ENV} failed"))
            if mode == "live":
                frame = Console(file=io.StringIO(), width=WIDTH, color_system=None)
                frame.print(LiveView(rep.model, clock))
                assert "    creating VPC: VpcLimitExceeded" in text_of(frame).splitlines()
            rep.finish(result)
        out = text_of(c)
        assert f"{ENV}: {ENV}" not in out and f"│ {ENV}: " not in out, out
        assert "│ creating VPC: VpcLimitExceeded" in out
        assert f"│ {ENV} failed" in out  # another stack's name stays: it says which one
        if mode == "plain":
            assert f"[00:03] {ENV}: failed in 3s: creating VPC: VpcLimitExceeded" in out.splitlines()


def test_the_notebook_and_the_terminal_say_changes_and_statuses_the_same_way() -> None:
    changes = {"delete": 1, "create": 2, "same": 5, "replace": 1, "update": 1}
    result = RunResult("up", [
        StackResult(WEB, "application", "test", "web", Status.SUCCEEDED, started=0.0, ended=3.0, changes=changes),
        StackResult(API, "application", "test", "api", Status.SKIPPED, reason="shop-environment/test failed")])
    c = Console(file=io.StringIO(), width=120, color_system=None)
    progress.reporter("plain", operation="up", console=c, clock=f.FakeClock()).finish(result)
    terminal, notebook = text_of(c), result._repr_html_()
    for shown in (terminal, notebook, str(result)):
        assert "+2 ~1 1 replaced -1" in shown
    # The notebook's colours are the terminal's styles: skipped is yellow there, darkorange here.
    assert "<td style='color:green'>succeeded</td>" in notebook
    assert "<td style='color:darkorange'>skipped</td>" in notebook
