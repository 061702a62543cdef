"""An in-memory engine with the :class:`ecsp.engine.Engine` interface, for tests and the benchmark.

It keeps a pretend state backend (which stacks are deployed, with what outputs, and the
history of their updates with the config each ran with), takes a configurable time per
stack, fails the stacks it is told to, honours ``interrupt`` the way Pulumi does (the
in-flight operation stops and raises :class:`ecsp.errors.Cancelled`), and records what
happened: the order of calls, start and end times, and the highest number of stacks that
ran at once. It emits a small, realistic event stream per run (a resource step and a
summary) so listeners are exercised too. ``program`` stands in for the stack programs where
a test needs their outputs: it gets the context and the stack's outputs so far.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ecsp.context import StackContext
from ecsp.engine import EventSink, StackInfo, StackRun, StackUpdate
from ecsp.errors import Cancelled, EcspError, EngineError, StackNotFoundError
from ecsp.events import Operation, ResourceStep, Summary
from ecsp.graph import StackSpec


@dataclass(frozen=True)
class Call:
    operation: Operation
    stack: str
    started: float
    ended: float
    thread: str


class FakeEngine:
    """Pretends to run Pulumi: ``delay`` seconds per stack (or per stack name), in memory."""

    def __init__(
        self,
        *,
        delay: float | Mapping[str, float] = 0.0,
        fail: Mapping[str, str | EcspError] | None = None,
        deployed: Mapping[str, Mapping[str, Any]] | Iterable[str] = (),
        locked: Iterable[str] = (),
        warnings: Sequence[str] = (),
        on_start: Callable[[str], None] | None = None,
        missing: EcspError | None = None,
        clock: Callable[[], float] = time.monotonic,
        program: Callable[[StackContext, Mapping[str, Any]], Mapping[str, Any]] | None = None,
    ) -> None:
        self.delay = delay
        self.fail = dict(fail or {})
        if isinstance(deployed, Mapping):
            self.state: dict[str, dict[str, Any]] = {k: dict(v) for k, v in deployed.items()}
        else:
            self.state = {name: {"stack": name} for name in deployed}
        self.locked = set(locked)
        self.warnings = list(warnings)
        self.on_start = on_start
        self.missing = missing  # raised by check()/prepare(), like a missing pulumi CLI
        self.clock = clock
        self.program = program
        self.updates: dict[str, list[StackUpdate]] = {}
        self.calls: list[Call] = []
        self.prepared: list[tuple[Operation, list[str], str]] = []
        self.interrupts: list[str] = []
        self.contexts: list[StackContext] = []
        self.max_running = 0
        self.organization: str | None = None
        self.tags: dict[str, dict[str, str]] = {}  # stack -> its tags, as a backend keeps them
        self._running = 0
        self._stop: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ Engine

    def check(self) -> None:
        if self.missing is not None:
            raise self.missing

    def prepare(self, stacks: Sequence[StackSpec], operation: Operation) -> list[str]:
        self.check()
        self.prepared.append((operation, [s.name for s in stacks], threading.current_thread().name))
        return list(self.warnings)

    def run(self, operation: Operation, ctx: StackContext, on_event: EventSink) -> StackRun:
        name = ctx.stack.name
        stop = threading.Event()
        with self._lock:
            if name in self._stop:
                raise EngineError(f"{name}: two operations at once on one stack (orchestrator bug)")
            self._stop[name] = stop
            self._running += 1
            self.max_running = max(self.max_running, self._running)
            self.contexts.append(ctx)
            if operation in ("up", "preview"):  # pulumi creates a missing stack for both; tags go with it
                self.tags[name] = dict(ctx.stack.tags())
        started = self.clock()
        try:
            if self.on_start is not None:
                self.on_start(name)
            urn = f"urn:pulumi:{ctx.stack.stack}::{ctx.stack.pulumi_project}::fake:index:Thing::thing"
            op = {"up": "create", "preview": "create", "destroy": "delete", "refresh": "refresh"}[operation]
            diffs: tuple[str, ...] = ()
            if operation == "up" and name in self.state:
                op = "same"
            elif operation == "preview" and name in self.state:
                op, diffs = "update", ("image",)  # a deployed stack: pretend its image changed
            preview = operation == "preview"
            on_event(ResourceStep(name, urn, "fake:index:Thing", "thing", op, "start", diffs=diffs, preview=preview))
            if stop.wait(self._delay(name)):
                raise Cancelled(f"{name}: {operation} cancelled; pulumi released the lock")
            if name in self.locked:
                from ecsp.errors import StackLockedError

                raise StackLockedError(f"{name}: the stack is locked by another update",
                                       fix=f"if no other update is running, run `ecsp cancel` ({name})")
            failure = self.fail.get(name)
            if isinstance(failure, EcspError):
                self._record(operation, ctx, "failed", {})
                raise failure
            if failure is not None:
                self._record(operation, ctx, "failed", {})
                raise EngineError(f"{name}: {failure}")
            on_event(ResourceStep(name, urn, "fake:index:Thing", "thing", op, "done", diffs=diffs, preview=preview))
            changes = {op: 1}
            on_event(Summary(name, changes, self._delay(name)))
            self._record(operation, ctx, "succeeded", changes)
            return StackRun(changes=changes, outputs=self._apply(operation, ctx))
        finally:
            with self._lock:
                self._running -= 1
                del self._stop[name]
                self.calls.append(Call(operation, name, started, self.clock(), threading.current_thread().name))

    def interrupt(self, stack: StackSpec) -> None:
        with self._lock:
            self.interrupts.append(stack.name)
            stop = self._stop.get(stack.name)
        if stop is not None:
            stop.set()

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        if stack.name not in self.state:
            raise StackNotFoundError(f"{stack.name} has never been deployed", fix="run `ecsp up` first")
        return dict(self.state[stack.name])

    def list_stacks(self) -> list[StackInfo]:
        stamp = datetime(2026, 1, 1, tzinfo=UTC)
        return [StackInfo(name, last_update=stamp, resource_count=len(outputs) + 1,
                          update_in_progress=name in self.locked)
                for name, outputs in sorted(self.state.items())]

    def history(self, stack: StackSpec, *, limit: int = 20) -> list[StackUpdate]:
        with self._lock:
            updates = list(self.updates.get(stack.name, []))
        if not updates:
            raise StackNotFoundError(f"{stack.name} has never been deployed", fix="run `ecsp up` first")
        return list(reversed(updates))[:limit]

    def stack_tags(self, stack: StackSpec) -> dict[str, str]:
        return dict(self.tags.get(stack.name, {}))

    def cancel(self, stack: StackSpec) -> bool:
        with self._lock:
            if stack.name in self.locked:
                self.locked.discard(stack.name)
                return True
        return False

    # ------------------------------------------------------------------ helpers

    def _delay(self, name: str) -> float:
        return self.delay.get(name, 0.0) if isinstance(self.delay, Mapping) else self.delay

    def _record(self, operation: Operation, ctx: StackContext, result: str, changes: Mapping[str, int]) -> None:
        if operation == "preview":
            return  # Pulumi keeps no history of previews
        from ecsp.rollout import recorded

        kind = {"up": "update", "destroy": "destroy", "refresh": "refresh"}[operation]
        stamp = datetime(2026, 1, 1, tzinfo=UTC)
        with self._lock:
            updates = self.updates.setdefault(ctx.stack.name, [])
            updates.append(StackUpdate(len(updates) + 1, kind, result, stamp, stamp,
                                       config={"ecsp:stack": ctx.stack.name, **recorded(ctx)}, changes=dict(changes)))

    def _apply(self, operation: Operation, ctx: StackContext) -> dict[str, Any]:
        name = ctx.stack.name
        with self._lock:
            if operation == "up":
                before = self.state.get(name, {})
                self.state[name] = dict(self.program(ctx, before)) if self.program else {"stack": name}
                return dict(self.state[name])
            if operation == "destroy":
                self.state.pop(name, None)
                return {}
            return dict(self.state.get(name, {}))

    def order(self, operation: Operation | None = None) -> list[str]:
        """Stacks in the order their operations started."""
        calls = [c for c in self.calls if operation is None or c.operation == operation]
        return [c.stack for c in sorted(calls, key=lambda c: c.started)]
