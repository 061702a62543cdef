"""What every reporter is: a thread-safe Listener over one progress model, a context manager
around a run, and ``finish(result)`` for the final summary.

Subclasses say how an event is shown as it arrives (``_emit``) and how the run ends
(``_final``). The console and the clock are arguments so tests render at a fixed width
with a fake clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from rich.console import Console

from ecsp.events import Event, Operation, Status
from ecsp.progress.model import ProgressModel, Update
from ecsp.progress.summary import result_from_model
from ecsp.results import RunResult


class Reporter:
    """Base reporter: feeds the model; shows nothing."""

    # A display people read on the console (live, plain), not a stream for machines (json) or nothing:
    # what else the run has to say (Ctrl-C notices, preview diffs) belongs on that console too.
    for_people = False
    # Whether old -> new values of changed properties are shown unless asked otherwise.
    diff_by_default = False

    def __init__(self, *, operation: Operation, console: Console, clock: Callable[[], float],
                 project: str | None = None, diff: bool | None = None) -> None:
        self.operation = operation
        self.project = project  # the ecsp project's name, for headers
        self.diff = self.diff_by_default if diff is None else diff
        self.console = console
        self.clock = clock
        self.model = ProgressModel(clock)
        # Held while an event is folded into the model *and* shown, so that lines from
        # concurrent stacks come out in the order the model saw them, whole.
        self._lock = threading.RLock()
        self._started = False
        self._finished = False

    # Listener -------------------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        with self._lock:
            update = self.model.apply(event)
            if not self._finished:
                self._emit(event, update)

    # Lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> Reporter:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._finished:
            return
        stacks = self.model.stacks()
        if exc is not None and all(s.status is Status.PENDING for s in stacks):
            # Nothing started (the pulumi CLI or a plugin is missing, say): the error says why, and a
            # table of stacks that did not run would only stand in front of it.
            with self._lock:
                self._finished = True
                self._stop()
            return
        # The run ended without a result (an exception, Ctrl-C): still show what happened,
        # with whatever was in flight marked interrupted.
        self.finish(result_from_model(self.operation, stacks))

    def start(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                self._start()

    def finish(self, result: RunResult) -> None:
        """Stop live output and render the end of the run. Idempotent."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self.model.interrupt_all()
            self._stop()
            self._final(result)

    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.model.started)

    # Hooks ----------------------------------------------------------------------------------
    def _start(self) -> None:
        pass

    def _stop(self) -> None:
        pass

    def _emit(self, event: Event, update: Update) -> None:
        pass

    def _final(self, result: RunResult) -> None:
        pass


class NullReporter(Reporter):
    """``progress=False`` / ``--progress none``: a Listener that keeps the model and prints nothing."""
