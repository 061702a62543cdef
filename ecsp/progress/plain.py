"""Plain-line progress for CI logs and other non-terminals: one timestamped line per
resource step and per stack status change, then the final report.

Lines are never wrapped or redrawn, so a log shows every step in order. Steps that
change nothing (``same``) are left out; a preview prints only what it would do.

A status line (``up shop · 5/9 stacks · 2m14s · running: ... · failed: ...``) is printed
again whenever the last one would scroll off a screen of the console's height, so a person
watching a terminal always sees where the run stands and which stacks run or failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
                 project: str | None = None, diff: bool | None = None) -> None:
        super().__init__(operation=operation, console=console, clock=clock, project=project, diff=diff)
        self._reported: set[tuple[str, str]] = set()  # (stack, urn) of interrupted rows already printed
        self._since_status: int | None = None  # screen rows printed after the last status line (None: none yet)
        self._status_rows = 0

    def _print(self, line: Text) -> None:
        self.console.print(line, soft_wrap=True)
        if self._since_status is not None:
            self._since_status += self._rows(line)
        if self._since_status is None or self._since_status + self._status_rows > self.console.height:
            self._status_line()

    def _rows(self, line: Text) -> int:
        """Screen rows ``line`` takes: each of its lines (a step's old -> new values are lines of their own),
        wrapped at the console's width."""
        width = max(1, self.console.width)
        return sum(max(1, -(-part.cell_len // width)) for part in line.split("\n"))

    def _status_line(self) -> None:
        views = self.model.stacks()
        if not any(v.status is not Status.PENDING for v in views):
            return  # nothing runs yet: the first stack's start prints it
        if len(views) == 1 and self._since_status is None:
            self._since_status = 0  # one stack's own lines say it all until they fill a screen
            return
        finished = sum(1 for v in views if v.status.finished)
        line = Text(f"[{text.clock(self.elapsed())}] ", style="dim")
        line.append(text.run_header(self.operation, self.project, finished, len(views), self.elapsed()), style="bold")
        for label, status in (("running", Status.RUNNING), ("failed", Status.FAILED)):
            names = [v.stack for v in views if v.status is status]
            if names:
                line.append(f" · {label}: ", style=styles.STATUS_STYLE[status])
                line.append(", ".join(names))
        self.console.print(line, soft_wrap=True)
        self._since_status, self._status_rows = 0, self._rows(line)

    def _line(self, stack: str, body: Text) -> None:
        line = Text(f"[{text.clock(self.elapsed())}] ", style="dim")
        line.append(stack, style="bold")
        line.append(": ")
        line.append_text(body)
        self._print(line)

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
            self._print(line)

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
        elif row.state == "interrupted":  # Ctrl-C cancelled its call: said once, like other interrupted rows
            self._interrupted_rows([row])
            return
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
        self._interrupted_rows(view.interrupted)

    def _interrupted_rows(self, rows: Sequence[ResourceView]) -> None:
        now = self.clock()
        for row in rows:
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
