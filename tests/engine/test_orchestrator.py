"""The orchestrator against the fake engine: order, the parallelism bound, failures, skips, targets, Ctrl-C."""

from __future__ import annotations

import _thread
import threading
import time

import pytest

from ecsp import graph as graphs
from ecsp import orchestrator
from ecsp.context import StackContext
from ecsp.engine.fake import FakeEngine
from ecsp.errors import StackLockedError, UsageError
from ecsp.events import Diagnostic, ResourceStep, StackStatus, Status
from ecsp.graph import StackGraph
from ecsp.results import RunResult
from tests.deploy_support import Recorder, synthetic

CONFIG = synthetic("shop", environments=2, applications=3)
GRAPH = graphs.build(CONFIG)
PROJECT = "shop-project/global"
E0, E1 = "shop-environment/e0", "shop-environment/e1"


def context(spec: graphs.StackSpec) -> StackContext:
    return StackContext(config=CONFIG, stack=spec)


def run(engine: FakeEngine, *, graph: StackGraph = GRAPH, operation: str = "up", parallel: int = 4,
        listener: Recorder | None = None, skip: dict[str, str] | None = None) -> RunResult:
    return orchestrator.run(graph, operation, engine, context, parallel=parallel,  # type: ignore[arg-type]
                            listener=listener, skip=skip)


def test_up_runs_every_stack_after_its_dependencies() -> None:
    engine = FakeEngine(delay=0.02)
    result = run(engine)
    assert result.ok and len(result.stacks) == 9
    calls = {c.stack: c for c in engine.calls}
    for spec in GRAPH:
        for dep in spec.depends_on:
            assert calls[spec.name].started >= calls[dep].ended, (spec.name, dep)
    assert engine.order()[0] == PROJECT
    # Results come in dependency order with timings and the engine's changes.
    assert [s.stack for s in result.stacks] == [s.name for s in GRAPH.order()]
    for s in result.stacks:
        assert s.status is Status.SUCCEEDED and s.duration is not None and s.duration >= 0.02
        assert s.changes == {"create": 1} and s.outputs == {"stack": s.stack}


def test_destroy_runs_dependents_first() -> None:
    engine = FakeEngine(delay=0.02, deployed=GRAPH.names())
    result = run(engine, operation="destroy")
    assert result.ok
    calls = {c.stack: c for c in engine.calls}
    for spec in GRAPH:
        for dep in spec.depends_on:  # the upstream stack goes only after its dependents are gone
            assert calls[dep].started >= calls[spec.name].ended, (dep, spec.name)
    assert engine.order()[-1] == PROJECT
    assert engine.state == {}


@pytest.mark.parametrize("parallel", [1, 2, 3])
def test_parallelism_bound_is_respected_and_reached(parallel: int) -> None:
    graph = graphs.build(synthetic("wide", environments=1, applications=8))
    engine = FakeEngine(delay=0.03)
    result = run(engine, graph=graph, parallel=parallel)
    assert result.ok
    assert engine.max_running == parallel  # never more, and the bound is actually used
    if parallel == 1:
        assert engine.order() == [s.name for s in graph.order()]


def test_independent_stacks_overlap() -> None:
    engine = FakeEngine(delay=0.1)
    started = time.monotonic()
    assert run(engine, parallel=8).ok
    # project, then both environments together, then the six applications together.
    assert time.monotonic() - started < 0.1 * 3 + 0.25
    assert engine.max_running == 6


def test_failure_skips_dependents_with_reason_and_others_go_on() -> None:
    recorder = Recorder()
    engine = FakeEngine(delay=0.01, fail={E0: "the VPC quota is exhausted"})
    result = run(engine, listener=recorder)
    assert not result.ok
    assert result[E0].status is Status.FAILED
    assert result[E0].reason == f"{E0}: the VPC quota is exhausted"
    assert result[E0].error is not None
    for app in ("a0", "a1", "a2"):
        skipped = result[f"shop-{app}/e0"]
        assert skipped.status is Status.SKIPPED and skipped.reason == f"{E0} failed"
        assert skipped.started is None  # never ran
        assert result[f"shop-{app}/e1"].status is Status.SUCCEEDED
    assert {c.stack for c in engine.calls} == {PROJECT, E0, E1, "shop-a0/e1", "shop-a1/e1", "shop-a2/e1"}
    assert recorder.statuses("shop-a0/e0") == [("shop-a0/e0", "pending"), ("shop-a0/e0", "skipped")]
    assert recorder.statuses(E0) == [(E0, "pending"), (E0, "running"), (E0, "failed")]


def test_a_failed_root_names_the_culprit_through_the_chain() -> None:
    result = run(FakeEngine(fail={PROJECT: "no credentials"}))
    assert result[PROJECT].status is Status.FAILED
    assert result[E0].reason == f"{PROJECT} failed"
    # Applications depend on the project directly and through their environment; either
    # way the reason names the project, not only the skipped environment.
    assert result["shop-a1/e1"].reason is not None and result["shop-a1/e1"].reason.startswith(f"{PROJECT} failed")
    assert len(result.with_status(Status.SKIPPED)) == 8


def test_destroy_failure_keeps_upstream_stacks() -> None:
    engine = FakeEngine(deployed=GRAPH.names(), fail={"shop-a1/e1": "resource in use"})
    result = run(engine, operation="destroy")
    assert result["shop-a1/e1"].status is Status.FAILED
    assert result[E1].status is Status.SKIPPED
    assert result[E1].reason is not None and "destroying this stack first would break it" in result[E1].reason
    assert result[PROJECT].status is Status.SKIPPED
    assert result[E0].status is Status.SUCCEEDED
    assert E1 in engine.state and PROJECT in engine.state and E0 not in engine.state


def test_typed_errors_are_kept_for_the_caller() -> None:
    locked = StackLockedError(f"{E1} is locked", fix="ecsp cancel --stack x")
    result = run(FakeEngine(fail={E1: locked}))
    assert result[E1].error is locked and result[E1].reason == f"{E1} is locked"


def test_unexpected_exceptions_become_engine_errors() -> None:
    class Exploding(FakeEngine):
        def run(self, operation, ctx, on_event):  # type: ignore[no-untyped-def]
            if ctx.stack.name == E0:
                raise ZeroDivisionError("division by zero")
            return super().run(operation, ctx, on_event)

    result = run(Exploding())
    assert result[E0].status is Status.FAILED
    assert result[E0].reason == f"{E0}: unexpected ZeroDivisionError: division by zero"
    assert isinstance(result[E0].error.__cause__, ZeroDivisionError)  # type: ignore[union-attr]


def test_skip_marks_stacks_and_their_dependents() -> None:
    engine = FakeEngine()
    result = run(engine, skip={E1: "environment e1 is not deployed"})
    assert result[E1].status is Status.SKIPPED and result[E1].reason == "environment e1 is not deployed"
    assert result["shop-a2/e1"].reason == f"{E1} was skipped"
    assert result["shop-a2/e0"].status is Status.SUCCEEDED
    assert E1 not in {c.stack for c in engine.calls}


def test_targets_only_run_the_selection() -> None:
    graph = graphs.select(GRAPH, environments=["e1"], applications=["a2"], include_upstream=True)
    engine = FakeEngine()
    result = run(engine, graph=graph)
    assert engine.order() == [PROJECT, E1, "shop-a2/e1"]
    assert [s.stack for s in result.stacks] == [PROJECT, E1, "shop-a2/e1"]
    only = graphs.select(GRAPH, environments=["e1"], applications=["a2"], include_upstream=False)
    engine = FakeEngine()
    run(engine, graph=only, operation="destroy")
    assert engine.order() == ["shop-a2/e1"]


def test_listener_sees_statuses_and_engine_events_and_a_broken_one_is_survived() -> None:
    recorder = Recorder()
    engine = FakeEngine(warnings=["PULUMI_CONFIG_PASSPHRASE is not set"])
    result = run(engine, listener=recorder)
    for spec in GRAPH:
        assert recorder.statuses(spec.name) == [(spec.name, "pending"), (spec.name, "running"),
                                                (spec.name, "succeeded")]
    steps = [e for e in recorder.events if isinstance(e, ResourceStep)]
    assert len(steps) == 2 * len(GRAPH)
    # First every stack is announced as pending, then the run's warnings, before any stack runs.
    announced = len(GRAPH)
    assert all(isinstance(e, StackStatus) and e.status is Status.PENDING for e in recorder.events[:announced])
    warning = recorder.events[announced]
    assert isinstance(warning, Diagnostic) and warning.severity == "warning"
    final = [e for e in recorder.events if isinstance(e, StackStatus) and e.status is Status.SUCCEEDED]
    assert final[0].outputs == {"stack": final[0].stack}
    assert result.warnings == ["PULUMI_CONFIG_PASSPHRASE is not set"]
    assert all(len(s.steps) == 1 and s.steps[0].phase == "done" for s in result.stacks)

    def broken(event: object) -> None:
        raise RuntimeError("renderer bug")

    result = orchestrator.run(GRAPH, "up", FakeEngine(), context, listener=broken)
    assert result.ok
    assert any("progress display failed" in w for w in result.warnings)


def test_prepare_runs_once_in_the_main_thread_before_the_fan_out() -> None:
    engine = FakeEngine()
    run(engine, operation="preview")
    assert engine.prepared == [("preview", GRAPH.names(), threading.main_thread().name)]
    assert all(c.thread != threading.main_thread().name for c in engine.calls)


def test_parallel_must_be_positive() -> None:
    with pytest.raises(UsageError):
        run(FakeEngine(), parallel=0)


def test_ctrl_c_interrupts_in_flight_stacks_and_cancels_the_rest() -> None:
    # Ctrl-C arrives (as KeyboardInterrupt in the main thread) once the environments run.
    def press_ctrl_c(name: str) -> None:
        if name == E1:
            time.sleep(0.05)  # let E0 start too
            _thread.interrupt_main()

    recorder = Recorder()
    engine = FakeEngine(delay=5.0, on_start=press_ctrl_c)
    engine.delay = {PROJECT: 0.01, E0: 5.0, E1: 5.0}
    started = time.monotonic()
    result = run(engine, listener=recorder, parallel=4)
    assert time.monotonic() - started < 2.0  # the in-flight stacks stopped; nobody waited 5 s
    assert result.interrupted and not result.ok
    assert sorted(engine.interrupts) == [E0, E1]
    assert result[PROJECT].status is Status.SUCCEEDED
    for env in (E0, E1):
        assert result[env].status is Status.CANCELLED
        assert result[env].reason == f"{env}: up cancelled; pulumi released the lock"
        assert result[env].started is not None and result[env].ended is not None
    for app in ("a0", "a1", "a2"):
        pending = result[f"shop-{app}/e0"]
        assert pending.status is Status.CANCELLED and pending.reason == orchestrator.NOT_STARTED
        assert pending.started is None
    assert recorder.statuses("shop-a0/e1") == [("shop-a0/e1", "pending"), ("shop-a0/e1", "cancelled")]


def test_ctrl_c_while_a_stack_is_being_prepared_does_not_start_it() -> None:
    # Building a context hashes the build context and can take seconds; the engine's interrupt then
    # finds nothing running, so the orchestrator must not start the stack once the context is ready.
    engine = FakeEngine(delay={PROJECT: 0.0, E0: 5.0})

    def slow_context(spec: graphs.StackSpec) -> StackContext:
        if spec.name == E0:
            _thread.interrupt_main()
            deadline = time.monotonic() + 5
            while E0 not in engine.interrupts and time.monotonic() < deadline:
                time.sleep(0.01)
        return context(spec)

    started = time.monotonic()
    result = orchestrator.run(graphs.select(GRAPH, environments=["e0"]), "up", engine, slow_context, parallel=1)
    assert time.monotonic() - started < 2.0
    assert result.interrupted and engine.interrupts == [E0]
    assert E0 not in engine.order()  # the engine never ran it
    assert result[E0].status is Status.CANCELLED and result[E0].reason == orchestrator.NOT_STARTED


def test_a_stack_that_finishes_despite_ctrl_c_keeps_its_success() -> None:
    class Stubborn(FakeEngine):
        def interrupt(self, stack):  # type: ignore[no-untyped-def]
            self.interrupts.append(stack.name)  # acknowledges, but the update runs to the end

    def press_ctrl_c(name: str) -> None:
        if name == E0:
            _thread.interrupt_main()

    engine = Stubborn(delay={PROJECT: 0.0, E0: 0.2, E1: 0.2}, on_start=press_ctrl_c)
    result = run(engine, graph=graphs.select(GRAPH, environments=["e0"]), parallel=1)
    assert result.interrupted
    assert engine.interrupts == [E0]
    assert result[E0].status is Status.SUCCEEDED
    assert result["shop-a0/e0"].status is Status.CANCELLED
