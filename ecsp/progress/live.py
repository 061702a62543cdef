"""The live rich display for terminals: one row per stack, and under each running stack the
resources in flight; failures inline. Redrawn by ``rich.live.Live`` from its own thread,
reading snapshots of the model, and replaced by the final report when the run ends.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.padding import Padding
from rich.text import Text

from ecsp import styles
from ecsp.events import Operation, Status
from ecsp.progress import text
from ecsp.progress.base import Reporter
from ecsp.progress.model import ProgressModel, StackView
from ecsp.progress.summary import print_report
from ecsp.results import RunResult

# Rich's "dots" spinner, stepped by our clock rather than rich's, so tests see fixed frames.
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPINNER_INTERVAL = 0.08
MAX_IN_FLIGHT = 6  # per stack; more would push other stacks off a 24-line terminal
REFRESH_PER_SECOND = 8


class LiveView:
    """The renderable ``Live`` redraws: a fresh snapshot of the model on every refresh."""

    def __init__(self, model: ProgressModel, clock: Callable[[], float]) -> None:
        self.model = model
        self.clock = clock

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        now = self.clock()
        views = self.model.stacks()
        if not views:
            yield Text("waiting for the engine…", style="dim")
            return
        width = options.max_width
        # Stack names get what the fixed columns leave, and no more than the longest needs.
        name_w = max(8, min(max(len(v.stack) for v in views), width - 36))
        frame = SPINNER[int(max(0.0, now - self.model.started) / SPINNER_INTERVAL) % len(SPINNER)]
        for view in views:
            yield self._stack_line(view, now, name_w, frame)
            yield from self._details(view, now, width)

    def _stack_line(self, view: StackView, now: float, name_w: int, frame: str) -> Text:
        icon, style = styles.STATUS_ICON[view.status], styles.STATUS_STYLE[view.status]
        if view.status == Status.RUNNING:
            icon = frame
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(icon, style=style)
        line.append(" ")
        line.append(view.stack.ljust(name_w)[:name_w], style="bold" if view.status == Status.RUNNING else "")
        if view.status == Status.PENDING:
            line.append("  pending", style="dim")
            return line
        if view.status in (Status.SKIPPED, Status.CANCELLED) and not view.total:
            line.append(f"  {view.status.value}", style=style)
            if view.reason:
                line.append(f": {text.reason(view.stack, view.reason)}", style="dim")
            return line
        # A stack the engine has not reported on yet (or at all) has no count worth showing.
        line.append(f"  {view.done:>3}/{view.total:<3}" if view.total else " " * 9)
        line.append(f"  {styles.changes(view.changes):<14}")
        line.append(f"  {text.duration(view.elapsed(now)):>6}", style="dim")
        return line

    def _details(self, view: StackView, now: float, width: int) -> RenderResult:
        in_flight = sorted(view.in_flight, key=lambda r: r.started)[:MAX_IN_FLIGHT]
        verbs = [text.in_progress(row.op, row.engine_op) for row in in_flight]
        verb_w = max(map(len, verbs), default=0)
        for row, verb in zip(in_flight, verbs, strict=True):
            elapsed = text.duration(row.elapsed(now))
            line = Text("    ")
            line.append(verb.ljust(verb_w), style=styles.op_style(row.op))
            line.append(f" {styles.short_type(row.type)}", style=styles.TYPE_STYLE)
            line.append(f" {row.name}")
            line.truncate(max(10, width - len(elapsed) - 2), overflow="ellipsis", pad=True)
            line.append(f"  {elapsed}", style="dim")
            yield line
        if len(view.in_flight) > MAX_IN_FLIGHT:
            yield Text(f"    … and {len(view.in_flight) - MAX_IN_FLIGHT} more", style="dim")
        for row in view.failed:
            line = Text("    ✗ ", style="bold red")
            line.append(f"{styles.short_type(row.type)} {row.name}", style="bold")
            line.append(f" failed to {row.engine_op or row.op}", style="red")
            yield Text.assemble(line, no_wrap=True, overflow="ellipsis")
            if row.error:
                yield Padding(Text(row.error, style="red"), (0, 0, 0, 6))
        if view.status == Status.FAILED and view.reason and not view.failed:
            yield Padding(Text(text.reason(view.stack, view.reason), style="red"), (0, 0, 0, 4))


class LiveReporter(Reporter):
    """Rich ``Live`` while the run goes on; the final report when it ends."""

    for_people = True

    def __init__(self, *, operation: Operation, console: Console, clock: Callable[[], float],
                 diff: bool | None = None) -> None:
        super().__init__(operation=operation, console=console, clock=clock, diff=diff)
        self.view = LiveView(self.model, clock)
        # transient: the live rows give way to the final report, which says it all once.
        self._live = Live(self.view, console=console, refresh_per_second=REFRESH_PER_SECOND, transient=True)

    def _start(self) -> None:
        self._live.start()

    def _stop(self) -> None:
        if self._started:
            self._live.stop()

    def _final(self, result: RunResult) -> None:
        print_report(self.console, result, self.model.stacks(), self.clock(),
                     run_diagnostics=self.model.run_diagnostics())
