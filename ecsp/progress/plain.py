"""Plain-line progress for CI logs and other non-terminals: one timestamped line per
resource step and per stack status change, then the final report.

Lines are never wrapped or redrawn, so a log shows every step in order. Steps that
change nothing (``same``) are left out; a preview prints only what it would do.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.text import Text

from ecsp import diffs, styles
from ecsp.events import Diagnostic, Event, Operation, ResourceStep, StackStatus, Status, Summary
from ecsp.progress import summary, text
from ecsp.progress.base import Reporter
from ecsp.progress.model import ResourceView, StackView, Update
from ecsp.results import RunResult


class PlainReporter(Reporter):
    """One line per resource step, with the time since the run started."""

    for_people = True
    diff_by_default = True  # a log is read later: what changed belongs in it

    def __init__(self, *, operation: Operation, console: Console, clock: Callable[[], float],
                 diff: bool | None = None) -> None:
        super().__init__(operation=operation, console=console, clock=clock, diff=diff)
        self._reported: set[tuple[str, str]] = set()  # (stack, urn) of interrupted rows already printed

    def _line(self, stack: str, body: Text) -> None:
        line = Text(f"[{text.clock(self.elapsed())}] ", style="dim")
        line.append(stack, style="bold")
        line.append(": ")
        line.append_text(body)
        self.console.print(line, soft_wrap=True)

    def _emit(self, event: Event, update: Update) -> None:
        if isinstance(event, ResourceStep) and isinstance(update, ResourceView):
            self._step(event, update)
        elif isinstance(event, StackStatus) and isinstance(update, StackView):
            self._status(update)
        elif isinstance(event, Summary) and isinstance(update, StackView):
            self._interrupted(update)
        elif isinstance(event, Diagnostic) and isinstance(update, Diagnostic) and not event.stack:
            line = Text(f"[{text.clock(self.elapsed())}] ", style="dim")
            line.append(f"{event.severity}: {event.message}", style=summary.SEVERITY_STYLE.get(event.severity, ""))
            self.console.print(line, soft_wrap=True)

    def _step(self, event: ResourceStep, row: ResourceView) -> None:
        if event.op == "same" or (event.preview and event.phase == "start"):
            return
        body = Text()
        what = f" {styles.short_type(row.type)} {row.name}"
        if event.phase == "start":
            body.append(text.in_progress(event.op, event.engine_op), style=styles.op_style(event.op))
            body.append(what)
        elif event.phase == "done":
            verb = text.done(event.engine_op or event.op, preview=event.preview)
            if event.engine_op == "create-replacement":
                verb = "created replacement"
            elif event.engine_op == "delete-replaced":
                verb = "deleted original"
            body.append(verb, style=styles.op_style(event.op))
            body.append(what)
            if not event.preview:
                body.append(f" ({text.duration(row.elapsed(self.clock()))})", style="dim")
            # A preview's values come once, in its "Would change" report; an update's here, as they happen.
            if self.diff and not event.preview and event.changes:
                for change in diffs.lines(event.changes):
                    body.append(f"\n      {change}", style="dim")
        else:
            body.append(f"failed to {event.engine_op or event.op}", style="bold red")
            body.append(what)
            body.append(f" ({text.duration(row.elapsed(self.clock()))})", style="dim")
            if row.error:
                body.append(f": {row.error}", style="red")
        self._line(event.stack, body)

    def _status(self, view: StackView) -> None:
        if view.status == Status.PENDING:
            return
        self._interrupted(view)
        body = Text(view.status.value, style=styles.STATUS_STYLE[view.status])
        if view.status.finished:
            changes = styles.changes(view.changes)
            if changes:
                body.append(f" {changes}")
            seconds = view.elapsed(self.clock())
            if seconds is not None:
                body.append(f" in {text.duration(seconds)}", style="dim")
        else:
            body.append(f" {self.operation}", style="dim")
        if view.reason:
            body.append(f": {text.reason(view.stack, view.reason)}")
        self._line(view.stack, body)

    def _interrupted(self, view: StackView) -> None:
        now = self.clock()
        for row in view.interrupted:
            if (row.stack, row.urn) in self._reported:
                continue
            self._reported.add((row.stack, row.urn))
            body = Text("interrupted", style="yellow")
            body.append(f" {text.in_progress(row.op, row.engine_op)} {styles.short_type(row.type)} {row.name}")
            body.append(f" ({text.duration(row.elapsed(now))})", style="dim")
            self._line(row.stack, body)

    def _final(self, result: RunResult) -> None:
        for view in self.model.stacks():
            self._interrupted(view)
        self.console.print()
        # Run-level warnings were printed as they came; the report repeats the result's, at the end of
        # the log where a reader looks for them.
        summary.print_report(self.console, result, self.model.stacks(), self.clock(), wrap=False)
