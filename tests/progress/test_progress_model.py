"""ecsp.progress.model: the thread-safe state every reporter renders."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator

import pytest

from ecsp.engine.events import translate
from ecsp.events import Diagnostic, ResourceStep, StackStatus, Status, Summary
from ecsp.progress.model import ProgressModel, shorten_error
from tests.fixtures import ecsp_events as f

APP = "shop-web/test"


def feed(model: ProgressModel, stream: f.Stream, stack: str = APP, clock: f.FakeClock | None = None) -> None:
    """Feed a stream, moving the fake clock with the stream's timestamps."""
    last = None
    for event in stream.events():
        if clock is not None and last is not None:
            clock.advance(event.timestamp - last)
        last = event.timestamp
        for e in translate(stack, event):
            model.apply(e)


def step(urn: str, op: str, phase: str, stack: str = APP, engine_op: str = "") -> ResourceStep:
    return ResourceStep(stack, urn, "aws:ecs/service:Service", urn.rsplit("::", 1)[-1], op, phase,  # type: ignore[arg-type]
                        engine_op=engine_op)


def test_a_replacement_is_one_row_counted_once() -> None:
    model = ProgressModel(f.FakeClock())
    feed(model, f.replace_target_group())
    view = model.stack(APP)
    assert view is not None
    assert dict(view.changes) == {"replace": 1, "update": 2}
    assert (view.done, view.total) == (5, 5)  # component, log group, target group, rule, service
    assert view.in_flight == () and view.failed == () and view.interrupted == ()


def test_the_next_step_of_a_replacement_reopens_the_row_and_restarts_its_timer() -> None:
    clock = f.FakeClock(0)
    model = ProgressModel(clock)
    urn = "urn:pulumi:test::shop-web::aws:lb/targetGroup:TargetGroup::tg"
    model.apply(step(urn, "replace", "start", engine_op="create-replacement"))
    clock.advance(3)
    model.apply(step(urn, "replace", "done", engine_op="create-replacement"))
    clock.advance(50)
    model.apply(step(urn, "replace", "start", engine_op="delete-replaced"))
    clock.advance(2)
    view = model.stack(APP)
    assert view is not None
    (row,) = view.in_flight
    assert (row.op, row.engine_op, row.elapsed(clock())) == ("replace", "delete-replaced", 2)
    assert dict(view.changes) == {"replace": 1}
    model.apply(step(urn, "replace", "done", engine_op="delete-replaced"))
    assert dict(model.stack(APP).changes) == {"replace": 1}  # type: ignore[union-attr]


def test_same_steps_count_towards_done_and_total_but_are_no_change() -> None:
    model = ProgressModel(f.FakeClock())
    feed(model, f.update_service())
    view = model.stack(APP)
    assert view is not None and (view.done, view.total) == (5, 5)
    assert dict(view.changes) == {"update": 1}


def test_refresh_and_read_steps_are_progress_not_changes() -> None:
    model = ProgressModel(f.FakeClock())
    s = f.Stream().begin()
    s.step(f.ECS_SERVICE, "refresh").step(f.TARGET_GROUP, "refresh").step(f.LOG_GROUP, "read")
    feed(model, s)
    view = model.stack(APP)
    assert view is not None and (view.done, view.total) == (3, 3) and dict(view.changes) == {}


def test_in_flight_rows_with_their_elapsed_time() -> None:
    clock = f.FakeClock(0)
    model = ProgressModel(clock)
    s = f.Stream().begin("create")
    s.step(f.SERVICE, "create", 0).pre(f.TARGET_GROUP, "create").tick(4).pre(f.ECS_SERVICE, "create").tick(6)
    feed(model, s, clock=clock)
    clock.advance(6)  # the stream's last tick has no event
    view = model.stack(APP)
    assert view is not None and view.status == Status.RUNNING
    assert [(r.name, r.op, r.elapsed(clock())) for r in view.in_flight] == [("web-tg", "create", 10),
                                                                          ("web", "create", 6)]
    assert (view.done, view.total) == (1, 3)


def test_a_failed_step_carries_the_engines_error_shortened() -> None:
    model = ProgressModel(f.FakeClock())
    feed(model, f.fail_listener_rule())
    view = model.stack(APP)
    assert view is not None
    (row,) = view.failed
    assert row.name == "web-http-rule"
    assert row.error == "creating ELBv2 Listener Rule: PriorityInUse: Priority '100' is currently in use"
    # The diagnostics are kept whole, in order: the provider's and the stack's.
    assert [d.message.split(":")[0] for d in view.diagnostics] == ["sdk-v2/provider2.go", "update failed"]


def test_an_error_that_arrives_after_the_failure_still_reaches_the_row() -> None:
    model = ProgressModel(f.FakeClock())
    urn = "urn:pulumi:test::shop-web::aws:ecs/service:Service::web"
    model.apply(step(urn, "create", "start"))
    model.apply(step(urn, "create", "failed"))
    model.apply(Diagnostic(APP, "warning", "not this one", urn))
    model.apply(Diagnostic(APP, "error", "error: 1 error occurred:\n\t* ECS is sad", urn))
    (row,) = model.stack(APP).failed  # type: ignore[union-attr]
    assert row.error == "ECS is sad"


def test_the_summary_marks_rows_still_running_as_interrupted() -> None:
    model = ProgressModel(f.FakeClock())
    feed(model, f.interrupted_service())
    view = model.stack(APP)
    assert view is not None
    assert [r.name for r in view.interrupted] == ["web"] and view.in_flight == ()
    assert view.summary == Summary(APP, {"create": 3}, 14.0)


def test_a_finished_stack_status_interrupts_what_is_in_flight() -> None:
    model = ProgressModel(f.FakeClock())
    model.apply(step("urn:a::b::c::d", "create", "start"))
    model.apply(StackStatus(APP, Status.CANCELLED, "up", "Ctrl-C"))
    view = model.stack(APP)
    assert view is not None and [r.state for r in view.interrupted] == ["interrupted"]
    assert (view.status, view.reason) == (Status.CANCELLED, "Ctrl-C")


def test_stack_status_timing_and_outputs() -> None:
    clock = f.FakeClock(100)
    model = ProgressModel(clock)
    model.register(["shop-environment/test", APP])
    model.apply(StackStatus(APP, Status.PENDING, "up"))
    assert model.stack(APP).elapsed(clock()) is None  # type: ignore[union-attr]
    model.apply(StackStatus(APP, Status.RUNNING, "up"))
    clock.advance(30)
    assert model.stack(APP).elapsed(clock()) == 30  # type: ignore[union-attr]
    model.apply(StackStatus(APP, Status.SUCCEEDED, "up", outputs={"url": f.URL}))
    clock.advance(30)
    view = model.stack(APP)
    assert view is not None and view.elapsed(clock()) == 30 and dict(view.outputs) == {"url": f.URL}
    assert [v.stack for v in model.stacks()] == ["shop-environment/test", APP]  # registration order


def test_events_for_an_unannounced_stack_mean_it_is_running() -> None:
    model = ProgressModel(f.FakeClock())
    model.apply(step("urn:a::b::c::d", "create", "start", stack="other/dev"))
    assert model.stack("other/dev").status == Status.RUNNING  # type: ignore[union-attr]


def test_repeated_diagnostics_are_kept_once_and_unknown_events_ignored() -> None:
    model = ProgressModel(f.FakeClock())
    d = Diagnostic(APP, "error", "update failed")
    assert model.apply(d) == d
    assert model.apply(d) is None
    assert model.apply("a future event type") is None  # type: ignore[arg-type]
    assert len(model.stack(APP).diagnostics) == 1  # type: ignore[union-attr]


def test_snapshots_do_not_change_under_the_reader() -> None:
    model = ProgressModel(f.FakeClock())
    model.apply(step("urn:a::b::c::d", "create", "start"))
    before = model.stack(APP)
    model.apply(step("urn:a::b::c::d", "create", "done"))
    assert before is not None and before.done == 0 and len(before.in_flight) == 1
    with pytest.raises(TypeError):
        before.changes["create"] = 9  # type: ignore[index]


# --- many threads at once ------------------------------------------------------------------------

@pytest.fixture
def busy_switching() -> Iterator[None]:
    # Switch threads as often as possible so unlocked read-modify-writes would interleave.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_many_threads_feeding_many_stacks_keep_exact_totals(busy_switching: None) -> None:
    model = ProgressModel(f.FakeClock())
    stacks = [f"shop-app{i}/test" for i in range(4)]
    per_thread, threads_per_stack = 150, 4
    stop = threading.Event()
    seen_errors: list[BaseException] = []

    def work(stack: str, t: int) -> None:
        rng = random.Random(t)
        for i in range(per_thread):
            urn = f"urn:pulumi:test::p::aws:ecs/service:Service::r{t}-{i}"
            op = rng.choice(["create", "update", "delete"])
            model.apply(ResourceStep(stack, urn, "aws:ecs/service:Service", f"r{t}-{i}", op, "start"))
            model.apply(Diagnostic(stack, "warning", f"w{t}-{i}"))
            model.apply(ResourceStep(stack, urn, "aws:ecs/service:Service", f"r{t}-{i}", op, "done"))

    def read() -> None:  # what the live display does from its own thread
        try:
            while not stop.is_set():
                for view in model.stacks():
                    assert view.done <= view.total
        except BaseException as e:  # pragma: no cover - only on failure
            seen_errors.append(e)

    reader = threading.Thread(target=read)
    reader.start()
    workers = [threading.Thread(target=work, args=(s, n * 100 + k)) for n, s in enumerate(stacks)
               for k in range(threads_per_stack)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    reader.join()
    assert not seen_errors
    for view in model.stacks():
        expected = per_thread * threads_per_stack
        assert (view.done, view.total) == (expected, expected)
        assert sum(view.changes.values()) == expected
        assert len(view.diagnostics) == expected


# --- shortening errors ---------------------------------------------------------------------------

@pytest.mark.parametrize(("message", "short"), [
    (f.PRIORITY_IN_USE.replace("<{%reset%}>", ""),
     "creating ELBv2 Listener Rule: PriorityInUse: Priority '100' is currently in use"),
    (f.SERVICE_NO_LB,
     "creating ECS Service (web): InvalidParameterException: The target group with targetGroupArn "
     "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web-tg-1a2b3c4/0123456789abcdef does not "
     "have an associated load balancer."),
    ("Running program '/app' failed with an unhandled exception:\nTraceback (most recent call last):\n"
     '  File "/app/stacks/application.py", line 9, in <module>\n    raise ValueError("cpu 300 is not valid")\n'
     "ValueError: cpu 300 is not valid", "ValueError: cpu 300 is not valid"),
    ("2 errors occurred:\n\t* first thing\n\t* second thing\n", "first thing second thing"),
    ("  \n", ""),
])
def test_shorten_error(message: str, short: str) -> None:
    assert shorten_error(message) == short


def test_shorten_error_cuts_long_messages_with_an_ellipsis() -> None:
    short = shorten_error("word " * 100, limit=40)
    assert len(short) == 40 and short.endswith("…")
