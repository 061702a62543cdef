"""Run an operation over a stack graph: dependency order, bounded parallelism, one result at the end.

The graph is data (:mod:`ecsp.graph`); this module only schedules it. ``up``, ``preview``
and ``refresh`` run dependencies first; ``destroy`` runs dependents first (the reverse
graph). Independent stacks run at the same time on a thread pool, never more than
``parallel`` at once: every stack costs a ``pulumi`` process, a provider plugin process
and AWS API quota, so the bound matters more than the speed-up.

Rules (design rule 4):

* every stack ends with an explicit status (succeeded, failed, skipped, cancelled) with a
  reason and timings, and the listener sees each change as a :class:`StackStatus`;
* a stack whose dependency failed (or was skipped) is skipped with that reason, naming the
  stack that failed first; unrelated stacks go on;
* nothing raises for a stack failure: the caller gets a :class:`RunResult` and decides (the
  API raises one :class:`~ecsp.results.RunFailed` at the end);
* Ctrl-C (``KeyboardInterrupt`` in the main thread) starts nothing new, asks the engine to
  cancel every in-flight stack (Pulumi's own graceful cancellation, which releases the
  lock), waits for them, and reports which were interrupted (``RunResult.interrupted``). A
  second Ctrl-C asks the engine to stop them at once; a third abandons the wait.

``engine.prepare`` runs in the main thread before the fan-out: that is where the automation
engine pre-imports the ``pulumi_aws`` submodules the programs use (their lazy import races
in threads, python/cpython#114763) and installs provider plugins once, serially
(pulumi/pulumi#22784).
"""

from __future__ import annotations

import dataclasses
import graphlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ecsp.context import StackContext
from ecsp.engine import Engine, EventSink, StackRun
from ecsp.errors import Cancelled, EcspError, EngineError, UsageError
from ecsp.events import NO_CHANGE_OPS, Diagnostic, Event, Listener, Operation, ResourceStep, StackStatus, Status
from ecsp.graph import StackGraph, StackSpec
from ecsp.results import RunResult, StackResult

# Four stacks at once: each is a pulumi CLI process plus an AWS provider plugin (hundreds of
# MB each) calling AWS, so more rarely helps on a laptop; `--parallel` raises it.
DEFAULT_PARALLEL = 4
NOT_STARTED = "not started: the run was interrupted"
# What runs one stack's operation: the engine's run, or something wrapped around it.
Runner = Callable[[Operation, StackContext, EventSink], StackRun]
INTERRUPTED = "interrupted by Ctrl-C"


def run(
    graph: StackGraph,
    operation: Operation,
    engine: Engine,
    context: Callable[[StackSpec], StackContext],
    *,
    parallel: int = DEFAULT_PARALLEL,
    listener: Listener | None = None,
    skip: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    runner: Runner | None = None,
) -> RunResult:
    """Run ``operation`` on every stack of ``graph`` with ``engine``.

    ``context`` builds the :class:`StackContext` of a stack (called on the worker thread
    right before its run). ``skip`` names stacks to skip up front, with the reason (their
    dependents are skipped too). ``runner`` runs one stack's operation in place of
    ``engine.run`` (the data guard, :mod:`ecsp.data_safety`). Returns when every stack has
    finished or was skipped.
    """
    if parallel < 1:
        raise UsageError(f"--parallel must be at least 1 (got {parallel})", fix="use --parallel 1 to run serially")
    return _Run(graph, operation, engine, context, parallel, listener, dict(skip or {}), clock,
                runner or engine.run).execute()


class _Run:
    """The state of one orchestrated run; lives on the main thread except where noted."""

    def __init__(self, graph: StackGraph, operation: Operation, engine: Engine,
                 context: Callable[[StackSpec], StackContext], parallel: int, listener: Listener | None,
                 skip: dict[str, str], clock: Callable[[], float], runner: Runner) -> None:
        self.graph, self.operation, self.engine, self.context = graph, operation, engine, context
        self.runner = runner
        self.parallel, self.listener, self.skip, self.clock = parallel, listener, skip, clock
        self.reverse = operation == "destroy"
        self.order = graph.order(reverse=self.reverse)
        self.position = {s.name: i for i, s in enumerate(self.order)}
        self.results = {s.name: StackResult(s.name, s.kind, s.environment, s.application) for s in self.order}
        self.deps = self._dependencies()
        # The stack whose failure caused a skip, so a chain of skips names the real culprit.
        self.root_cause: dict[str, str] = {}
        self.steps: dict[str, dict[str, ResourceStep]] = {s.name: {} for s in self.order}
        # The resources each stack's engine reported unchanged (their steps are not kept: a run is mostly these).
        self.unchanged: dict[str, set[str]] = {s.name: set() for s in self.order}
        self.lock = threading.Lock()  # guards self.steps and self.unchanged (engine events arrive on SDK threads)
        self.listener_errors: list[str] = []
        self.inflight: dict[Future[StackRun], StackSpec] = {}
        self.interrupted = False

    def _dependencies(self) -> dict[str, list[str]]:
        present = set(self.position)
        if not self.reverse:
            return {s.name: [d for d in s.depends_on if d in present] for s in self.order}
        # Destroy: a stack goes once everything that depends on it is gone.
        return {s.name: [t.name for t in self.graph.dependents(s.name)] for s in self.order}

    # ------------------------------------------------------------------ events

    def emit(self, event: Event) -> None:
        if self.listener is None:
            return
        try:
            self.listener(event)
        except Exception as e:  # a broken reporter must not break a deployment
            with self.lock:
                if not self.listener_errors:
                    self.listener_errors.append(f"the progress display failed and was ignored: {e!r}")

    def status(self, spec: StackSpec, status: Status, reason: str | None = None) -> None:
        result = self.results[spec.name]
        result.status, result.reason = status, reason
        self.emit(StackStatus(spec.name, status, self.operation, reason, dict(result.outputs)))

    def on_engine_event(self, spec: StackSpec, event: Event) -> None:
        """Called on SDK threads with the engine's translated events."""
        if isinstance(event, ResourceStep) and event.op == "same":
            if event.phase == "done":
                with self.lock:
                    self.unchanged[spec.name].add(event.urn)
        elif isinstance(event, ResourceStep):
            with self.lock:
                kept = event
                previous = self.steps[spec.name].get(event.urn)
                if previous is not None and previous.changes and not event.changes:
                    # A replacement's last step (delete-replaced) compares nothing; its first said what changed.
                    kept = dataclasses.replace(event, changes=previous.changes)
                self.steps[spec.name][event.urn] = kept
        self.emit(event)

    # ------------------------------------------------------------------ the run

    def execute(self) -> RunResult:
        warnings: list[str] = []
        # Every stack is announced up front, in run order, so displays can list the whole run.
        for spec in self.order:
            self.emit(StackStatus(spec.name, Status.PENDING, self.operation))
        try:
            warnings = self.engine.prepare(self.order, self.operation)
            for warning in warnings:
                # stack "" = the run as a whole
                self.emit(Diagnostic(stack="", severity="warning", message=warning))
            self.schedule()
        except KeyboardInterrupt:
            self.interrupted = True
            self.cancel_inflight()
        for name, result in self.results.items():
            result.steps = list(self.steps[name].values())
            if result.status in (Status.PENDING, Status.RUNNING):
                # RUNNING here means a third Ctrl-C abandoned it.
                abandoned = result.status is Status.RUNNING
                result.status = Status.CANCELLED
                result.reason = ("abandoned while running: the stack may still be locked, run `ecsp cancel`"
                                 if abandoned else NOT_STARTED)
                if result.started is not None and result.ended is None:
                    result.ended = self.clock()
                self.emit(StackStatus(name, Status.CANCELLED, self.operation, result.reason))
        return RunResult(self.operation, list(self.results.values()), warnings + self.listener_errors,
                         interrupted=self.interrupted)

    def schedule(self) -> None:
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter(self.deps)
        sorter.prepare()
        queue: deque[StackSpec] = deque()
        pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="ecsp-stack")
        try:
            while sorter.is_active():
                for name in sorted(sorter.get_ready(), key=self.position.__getitem__):
                    reason = self.blocked(name)
                    if reason is None:
                        queue.append(self.graph[name])
                    else:
                        self.status(self.graph[name], Status.SKIPPED, reason)
                        sorter.done(name)
                while queue and len(self.inflight) < self.parallel:
                    spec = queue.popleft()
                    self.inflight[pool.submit(self.work, spec)] = spec
                if not self.inflight:
                    continue  # skips freed more stacks (or the sorter is done)
                # A timeout keeps the main thread responsive to Ctrl-C on every platform.
                done, _ = wait(list(self.inflight), timeout=0.5, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: self.position[self.inflight[f].name]):
                    spec = self.inflight[future]
                    self.record(spec, future)
                    del self.inflight[future]
                    sorter.done(spec.name)
        except KeyboardInterrupt:
            self.interrupted = True
            self.cancel_inflight()
        finally:
            # Never block here: after a third Ctrl-C the caller has asked not to wait.
            pool.shutdown(wait=False, cancel_futures=True)

    def blocked(self, name: str) -> str | None:
        if name in self.skip:
            self.root_cause[name] = name
            return self.skip[name]
        for dep in self.deps[name]:
            result = self.results[dep]
            if result.status is Status.SUCCEEDED:
                continue
            culprit = self.root_cause.get(dep, dep)
            self.root_cause[name] = culprit
            what = "failed" if self.results[culprit].status is Status.FAILED else "was skipped"
            via = f" (via {dep})" if culprit != dep else ""
            if self.reverse:
                return f"{culprit} {what}{via}; destroying this stack first would break it"
            return f"{culprit} {what}{via}"
        return None

    def work(self, spec: StackSpec) -> StackRun:
        """On a worker thread: one stack's operation."""
        result = self.results[spec.name]
        result.started = self.clock()
        self.status(spec, Status.RUNNING)
        try:
            ctx = self.context(spec)  # may take a while: it hashes an application's build context
            if self.interrupted:
                # Ctrl-C came meanwhile; the engine's interrupt found nothing running, so do not start it now.
                raise Cancelled(NOT_STARTED)
            return self.runner(self.operation, ctx, lambda event: self.on_engine_event(spec, event))
        finally:
            result.ended = self.clock()

    def record(self, spec: StackSpec, future: Future[StackRun]) -> None:
        result = self.results[spec.name]
        error = future.exception()
        if error is None:
            run = future.result()
            result.changes, result.outputs = self.changes(spec, run), dict(run.outputs)
            self.status(spec, Status.SUCCEEDED)
            return
        ecsp_error = error if isinstance(error, EcspError) else EngineError(
            f"{spec.name}: unexpected {type(error).__name__}: {error}",
            fix="run again with --debug for the traceback, and report it")
        if not isinstance(error, EcspError):
            ecsp_error.__cause__ = error
        result.error = ecsp_error
        if self.interrupted:
            # The engine says how it stopped (Cancelled); anything else failed while being cancelled.
            cancelled = isinstance(ecsp_error, Cancelled)
            reason = ecsp_error.message if cancelled else f"{INTERRUPTED} ({ecsp_error.message})"
            self.status(spec, Status.CANCELLED, reason)
        else:
            self.status(spec, Status.FAILED, ecsp_error.message)

    def changes(self, spec: StackSpec, run: StackRun) -> dict[str, int]:
        """What changed, counted from the resource steps the display showed, so the result says what it said.

        The engine's own summary also counts the root stack resource and the providers, which no display
        shows (nor the plan); it stands when no step was seen, and for a refresh (whose steps are all "refresh").
        """
        with self.lock:
            steps = list(self.steps[spec.name].values())
            unchanged = len(self.unchanged[spec.name])
        if not (steps or unchanged) or self.operation == "refresh":
            return dict(run.changes)
        # A read (the StackReference of an upstream stack) is "same" to the engine's summary too.
        unchanged += sum(1 for step in steps if step.phase == "done" and step.op == "read")
        counted = {op: n for op, n in run.changes.items() if op in NO_CHANGE_OPS - {"same", "read"}}
        if unchanged:
            counted["same"] = unchanged
        for step in steps:
            if step.phase == "done" and step.op not in NO_CHANGE_OPS:
                counted[step.op] = counted.get(step.op, 0) + 1
        return counted

    def cancel_inflight(self) -> None:
        """After Ctrl-C: interrupt what runs, wait for it (Ctrl-C again forces, a third abandons)."""
        presses = 1
        for spec in list(self.inflight.values()):
            self.engine.interrupt(spec)
        while self.inflight:
            try:
                done, _ = wait(list(self.inflight), timeout=0.5, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                presses += 1
                if presses >= 3:
                    return  # execute() marks what is still running as abandoned
                for spec in list(self.inflight.values()):
                    self.engine.interrupt(spec)
                continue
            for future in done:
                self.record(self.inflight[future], future)
                del self.inflight[future]
