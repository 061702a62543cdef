"""The progress model: what is known about every stack of a run, updated from ecsp events.

One model feeds every reporter (live, plain, JSON). Listener callbacks arrive on the
engine's worker threads, several stacks at once, while the live display reads the model
from its refresh thread: every method takes the model's lock, and readers get frozen
snapshots (:class:`StackView`, :class:`ResourceView`) that no other thread mutates.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from ecsp.events import NO_CHANGE_OPS, Diagnostic, Event, OutputLine, ResourceStep, StackStatus, Status, Summary

RowState = Literal["running", "done", "failed", "interrupted"]

# Diagnostics that mark a resource as the cause of a failure.
ERROR_SEVERITIES = frozenset({"error"})


SHORT_ERROR_LIMIT = 240

# What a provider answers for a call that Ctrl-C cancelled (Go's context.Canceled): the echo of the
# interrupt, not a failure of the resource. Its row is shown as interrupted and the message is dropped.
CANCELLED_ECHO = re.compile(r"\bcontext canceled\b|\bupdate canceled\b", re.IGNORECASE)


@dataclass(frozen=True)
class ResourceView:
    """One resource row (keyed by URN; a replacement's several steps share it)."""

    stack: str
    urn: str
    type: str
    name: str
    op: str
    engine_op: str  # the step in flight when op folds several ("create-replacement", ...)
    parent: str | None
    state: RowState
    started: float  # when the current step started (model clock)
    ended: float | None
    error: str | None  # the engine's message for a failed step, shortened
    preview: bool

    def elapsed(self, now: float) -> float:
        return max(0.0, (self.ended if self.ended is not None else now) - self.started)


@dataclass(frozen=True)
class StackView:
    """One stack: status, counts, changes so far, rows in flight, failures, diagnostics."""

    stack: str
    status: Status
    reason: str | None
    started: float | None
    ended: float | None
    done: int
    total: int
    changes: Mapping[str, int]
    in_flight: tuple[ResourceView, ...]
    failed: tuple[ResourceView, ...]
    interrupted: tuple[ResourceView, ...]
    diagnostics: tuple[Diagnostic, ...]
    outputs: Mapping[str, Any]
    summary: Summary | None
    # URNs of the rows other rows name as their parent: components wrapping the AWS resources.
    components: frozenset[str] = frozenset()
    # How many resources the stack's plan has (None: not known), counted as ``total`` is.
    expected: int | None = None

    @property
    def known_total(self) -> int | None:
        """The number of resources the stack will have seen when it is done, when the plan knows it.

        The steps seen so far count too: a resource deleted by this run is in no plan.
        """
        return None if self.expected is None else max(self.expected, self.total)

    def elapsed(self, now: float) -> float | None:
        if self.started is None:
            return None
        return max(0.0, (self.ended if self.ended is not None else now) - self.started)


@dataclass
class _Row:
    stack: str
    urn: str
    type: str
    name: str
    op: str
    engine_op: str
    parent: str | None
    started: float
    preview: bool
    state: RowState = "running"
    ended: float | None = None
    error: str | None = None
    counted: bool = False  # a replacement finishes several steps but is one change

    def view(self) -> ResourceView:
        return ResourceView(self.stack, self.urn, self.type, self.name, self.op, self.engine_op, self.parent,
                            self.state, self.started, self.ended, self.error, self.preview)


@dataclass
class _Stack:
    stack: str
    status: Status = Status.PENDING
    reason: str | None = None
    started: float | None = None
    ended: float | None = None
    rows: dict[str, _Row] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # urn -> last error message seen for it
    outputs: dict[str, Any] = field(default_factory=dict)
    summary: Summary | None = None
    expected: int | None = None

    def view(self) -> StackView:
        rows = list(self.rows.values())
        return StackView(
            stack=self.stack, status=self.status, reason=self.reason, started=self.started, ended=self.ended,
            done=sum(1 for r in rows if r.state != "running"), total=len(rows),
            changes=MappingProxyType(dict(self.changes)),
            in_flight=tuple(r.view() for r in rows if r.state == "running"),
            failed=tuple(r.view() for r in rows if r.state == "failed"),
            interrupted=tuple(r.view() for r in rows if r.state == "interrupted"),
            diagnostics=tuple(self.diagnostics), outputs=MappingProxyType(dict(self.outputs)),
            summary=self.summary, components=frozenset(r.parent for r in rows if r.parent),
            expected=self.expected,
        )

    def interrupt(self, now: float) -> None:
        # Steps still in flight when the engine or orchestrator says the stack is over were
        # cut short (Ctrl-C, a cancelled run, an engine crash): say so rather than "running".
        for row in self.rows.values():
            if row.state == "running":
                row.state = "interrupted"
                row.ended = now


Update = ResourceView | StackView | Diagnostic | None


class ProgressModel:
    """Thread-safe state of a run, fed with :mod:`ecsp.events` events."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._stacks: dict[str, _Stack] = {}
        self._run_diagnostics: list[Diagnostic] = []
        self._expected: dict[str, int] = {}
        self.started = clock()

    def _stack(self, name: str) -> _Stack:
        stack = self._stacks.get(name)
        if stack is None:
            stack = self._stacks[name] = _Stack(name, expected=self._expected.get(name))
        return stack

    def _running(self, name: str, now: float) -> _Stack:
        # Engine events for a stack the orchestrator never announced (a replay, a direct API
        # call) still mean the stack is running.
        stack = self._stack(name)
        if stack.status == Status.PENDING:
            stack.status = Status.RUNNING
        if stack.started is None:
            stack.started = now
        return stack

    def apply(self, event: Event) -> Update:
        """Fold one event into the model; returns a snapshot of what it changed (or None)."""
        with self._lock:
            now = self.clock()
            if isinstance(event, ResourceStep):
                return self._step(event, now)
            if isinstance(event, StackStatus):
                return self._status(event, now)
            if isinstance(event, Diagnostic):
                return self._diagnostic(event)
            if isinstance(event, Summary):
                stack = self._running(event.stack, now)
                stack.summary = event
                stack.interrupt(now)
                return stack.view()
            if isinstance(event, OutputLine):
                return None
            return None  # an event type added after this model: ignore rather than fail a run

    def _step(self, event: ResourceStep, now: float) -> ResourceView:
        stack = self._running(event.stack, now)
        row = stack.rows.get(event.urn)
        if row is None:
            row = stack.rows[event.urn] = _Row(
                stack=event.stack, urn=event.urn, type=event.type, name=event.name, op=event.op,
                engine_op=event.engine_op, parent=event.parent, started=now, preview=event.preview)
        elif event.op == "replace":
            row.op = "replace"  # a URN that ever takes a replace step is shown as replaced
        if event.engine_op:
            row.engine_op = event.engine_op
        if event.phase == "start":
            if row.state != "failed":
                if row.state != "running":  # the next step of a replacement: time it afresh
                    row.started = now
                row.state, row.ended = "running", None
        elif event.phase == "done":
            if row.state != "failed":
                row.state, row.ended = "done", now
                if not row.counted and row.op not in NO_CHANGE_OPS:
                    row.counted = True
                    stack.changes[row.op] = stack.changes.get(row.op, 0) + 1
        else:
            row.state, row.ended = "failed", now
            message = stack.errors.get(event.urn)
            if message is not None and CANCELLED_ECHO.search(message):
                row.state = "interrupted"
            elif message is not None:
                row.error = shorten_error(message)
        return row.view()

    def _status(self, event: StackStatus, now: float) -> StackView:
        stack = self._stack(event.stack)
        stack.status = event.status
        if event.reason is not None:
            stack.reason = event.reason
        if event.outputs:
            stack.outputs = dict(event.outputs)
        if event.status == Status.RUNNING:
            stack.started = stack.started if stack.started is not None else now
            stack.ended = None
        elif event.status.finished:
            if stack.started is not None:
                stack.ended = now
            stack.interrupt(now)
        return stack.view()

    def _diagnostic(self, event: Diagnostic) -> Diagnostic | None:
        if not event.stack:
            # stack "" is the run as a whole (the orchestrator's warnings): no stack row for it.
            if event in self._run_diagnostics:
                return None
            self._run_diagnostics.append(event)
            return event
        stack = self._stack(event.stack)
        if event in stack.diagnostics:  # the engine repeats some messages (e.g. "update failed")
            return None
        if event.severity in ERROR_SEVERITIES and CANCELLED_ECHO.search(event.message):
            stack.errors[event.urn or ""] = event.message
            row = stack.rows.get(event.urn or "")
            if row is not None and row.state == "failed":
                row.state, row.error = "interrupted", None
            return None
        stack.diagnostics.append(event)
        if event.severity in ERROR_SEVERITIES and event.urn:
            stack.errors[event.urn] = event.message
            row = stack.rows.get(event.urn)
            # The diagnostic usually precedes the failure event, but not always.
            if row is not None and row.state == "failed" and row.error is None:
                row.error = shorten_error(event.message)
        return event

    def register(self, names: list[str]) -> None:
        """Make stacks known (in this order) before any of their events arrive."""
        with self._lock:
            for name in names:
                self._stack(name)

    def expect(self, counts: Mapping[str, int]) -> None:
        """The number of resources each stack's plan has (:func:`ecsp.planner.kept_resource_counts`).

        Stacks become known as the run announces them; a count for a stack the run never names stays unused.
        """
        with self._lock:
            self._expected.update(counts)
            for name, stack in self._stacks.items():
                stack.expected = self._expected.get(name, stack.expected)

    def interrupt_all(self) -> None:
        """The run is over: whatever is still in flight was interrupted."""
        with self._lock:
            now = self.clock()
            for stack in self._stacks.values():
                stack.interrupt(now)

    def stacks(self) -> list[StackView]:
        """Snapshots of every stack, in the order they became known."""
        with self._lock:
            return [s.view() for s in self._stacks.values()]

    def run_diagnostics(self) -> list[Diagnostic]:
        """Diagnostics about the run as a whole (stack ``""``), in arrival order."""
        with self._lock:
            return list(self._run_diagnostics)

    def stack(self, name: str) -> StackView | None:
        with self._lock:
            stack = self._stacks.get(name)
            return stack.view() if stack is not None else None


# --- shortening engine errors -------------------------------------------------------------------

# Noise in AWS provider errors that says nothing a person can act on.
_NOISE = (
    re.compile(r"^\s*\S+\.go:\d+:\s*"),  # sdk-v2/provider2.go:509:
    re.compile(r"^\s*sdk\.helper_schema:\s*"),
    re.compile(r"https response error StatusCode: \d+, RequestID: [\w-]+, "),
    re.compile(r"operation error [^,:]+(?::[^,:]+)*?: \w+, "),  # operation error ECS: CreateService,
    re.compile(r":?\s*provider=[\w.-]+@[\w.+-]+\s*$"),
    re.compile(r"^\s*error:\s*"),
)
_OCCURRED = re.compile(r"\s*\d+ errors? occurred:\s*")
_BULLETS = re.compile(r"^\s*\*\s*")


def shorten_error(message: str, limit: int = SHORT_ERROR_LIMIT) -> str:
    """The actionable part of an engine error, on one line.

    Provider errors wrap the cause in Go file names, request ids and "1 error occurred"
    bullets; program errors carry a Python traceback whose last line is the cause. The full
    text is still printed with the diagnostics at the end.
    """
    lines = [line for line in message.splitlines() if line.strip()]
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        lines = lines[-1:]  # the exception line; the frames are in the full diagnostic
    kept: list[str] = []
    for line in lines:
        for noise in _NOISE:
            line = noise.sub("", line)
        if _OCCURRED.fullmatch(line):
            continue
        line = _BULLETS.sub("", line).strip()
        if line and line not in kept:
            kept.append(line)
    text = " ".join(kept) or message.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
