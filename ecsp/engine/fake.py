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
from ecsp.engine import DriftedResource, EventSink, StackInfo, StackRun, StackUpdate
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
        data: Mapping[str, Sequence[str]] | None = None,
        replacing: Mapping[str, Sequence[str]] | None = None,
        removing: Mapping[str, Sequence[str]] | None = None,
        program: Callable[[StackContext, Mapping[str, Any]], Mapping[str, Any]] | None = None,
        drifted: Mapping[str, Sequence[DriftedResource]] | None = None,
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
        self.drifted = {name: list(found) for name, found in (drifted or {}).items()}  # what drift() finds
        self.calls: list[Call] = []
        self.prepared: list[tuple[Operation, list[str], str]] = []
        self.interrupts: list[str] = []
        self.contexts: list[StackContext] = []
        self.max_running = 0
        # Data: each stack's retained resources (by name), those its next preview or up replaces and
        # those ecsp.yaml no longer has; what the fake AWS really deleted, and each release_data call.
        self.data = {k: list(v) for k, v in (data or {}).items()}
        self.replacing = {k: list(v) for k, v in (replacing or {}).items()}
        self.removing = {k: list(v) for k, v in (removing or {}).items()}
        self.released: dict[str, set[str]] = {}
        self.deleted: list[tuple[str, str]] = []
        self.releases: list[tuple[str, list[str] | None]] = []
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
            self._data_steps(operation, ctx.stack, on_event)
            changes = {op: 1}
            on_event(Summary(name, changes, self._delay(name)))
            self._record(operation, ctx, "succeeded", changes)
            return StackRun(changes=changes, outputs=self._apply(operation, ctx))
        finally:
            with self._lock:
                self._running -= 1
                del self._stop[name]
                self.calls.append(Call(operation, name, started, self.clock(), threading.current_thread().name))

    def drift(self, ctx: StackContext, on_event: EventSink) -> list[DriftedResource]:
        name = ctx.stack.name
        with self._lock:
            self.contexts.append(ctx)
        started = self.clock()
        if name not in self.state:
            raise StackNotFoundError(f"{name} has never been deployed", fix="run `ecsp up` first")
        failure = self.fail.get(name)
        if isinstance(failure, EcspError):
            raise failure
        if failure is not None:
            raise EngineError(f"{name}: {failure}")
        time.sleep(self._delay(name))
        with self._lock:
            self.calls.append(Call("refresh", name, started, self.clock(), threading.current_thread().name))
        return list(self.drifted.get(name, []))

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

    def release_data(self, stack: StackSpec, urns: Sequence[str] | None) -> list[str]:
        with self._lock:
            self.releases.append((stack.name, list(urns) if urns is not None else None))
            held = [self._data_urn(stack, n) for n in self.data.get(stack.name, [])]
            chosen = [u for u in held if urns is None or u in urns]
            self.released.setdefault(stack.name, set()).update(chosen)
            return chosen

    def _data_urn(self, stack: StackSpec, name: str) -> str:
        return f"urn:pulumi:{stack.stack}::{stack.pulumi_project}::fake:index:Data::{name}"

    def _data_steps(self, operation: Operation, stack: StackSpec, on_event: EventSink) -> None:
        """Steps of the stack's retained resources, as the real engine reports them (see ecsp.data_safety)."""
        preview = operation == "preview"
        released = self.released.get(stack.name, set())
        for name in list(self.data.get(stack.name, [])):
            urn = self._data_urn(stack, name)
            gone = operation == "destroy" or (operation == "up" and name in self.removing.get(stack.name, []))
            if name in self.replacing.get(stack.name, []) and operation in ("preview", "up"):
                step = ResourceStep(stack.name, urn, "fake:index:Data", name, "replace", "done", preview=preview,
                                    retained=urn not in released, replace_keys=("key",))
                on_event(step)
                if operation == "up" and urn in released:
                    self.deleted.append((stack.name, name))
            elif gone or (preview and name in self.removing.get(stack.name, [])):
                on_event(ResourceStep(stack.name, urn, "fake:index:Data", name, "delete", "done", preview=preview,
                                      retained=urn not in released))
                if not preview:
                    if urn in released:
                        self.deleted.append((stack.name, name))
                    with self._lock:
                        self.data[stack.name].remove(name)

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
