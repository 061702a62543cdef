"""The live rich display for terminals: a header with the run's progress, then what a person
needs to watch, fitted to the screen. Redrawn by ``rich.live.Live`` from its own thread,
reading snapshots of the model, and replaced by the final report when the run ends.

What is on screen, top to bottom, never taller than the terminal nor wider than a line (a
taller render scrolls, and rich cannot erase lines that scrolled away; a wrapped line
counts twice):

* the header: ``up shop · 5/9 stacks · 2m14s``;
* one counted line for the stacks that finished well (succeeded, skipped, cancelled);
* every failed stack, with its error when there is room;
* every running stack, with its resources in flight under it as room allows: AWS resources
  before the components that wrap them (the ECS service, not ``Routing``), the longest
  running first, each with its elapsed time after its name; with none in flight, the stack's
  latest message (the ECS deployment ``up`` follows once the service is updated);
* one line for the stacks still waiting.

Running and failed stacks always keep their line; when even those do not fit, failed
stacks share lines, by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.text import Text

from ecsp import styles
from ecsp.events import Operation, Status
from ecsp.progress import text
from ecsp.progress.base import Reporter
from ecsp.progress.model import ProgressModel, ResourceView, StackView
from ecsp.progress.summary import print_report
from ecsp.results import RunResult

# Rich's "dots" spinner, stepped by our clock rather than rich's, so tests see fixed frames.
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPINNER_INTERVAL = 0.08
REFRESH_PER_SECOND = 8
FINISHED_WELL = (Status.SUCCEEDED, Status.SKIPPED, Status.CANCELLED)


def _line(*parts: tuple[str, str] | str) -> Text:
    line = Text.assemble(*parts, no_wrap=True, overflow="ellipsis")
    return line


class LiveView:
    """The renderable ``Live`` redraws: a fresh snapshot of the model on every refresh."""

    def __init__(self, model: ProgressModel, clock: Callable[[], float], *, operation: str = "up",
                 project: str | None = None) -> None:
        self.model = model
        self.clock = clock
        self.operation = operation
        self.project = project

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        height = options.height or options.max_height or console.height
        for line in self.lines(self.model.stacks(), self.clock(), options.max_width, height):
            line.truncate(options.max_width, overflow="ellipsis")
            yield line

    # ------------------------------------------------------------------ layout

    def lines(self, views: list[StackView], now: float, width: int, height: int) -> list[Text]:
        """The screen: at most ``height`` lines of at most ``width`` cells."""
        header = self.header(views, now)
        if not views:
            return [header, Text("waiting for the engine…", style="dim")][:max(1, height)]
        running = [v for v in views if v.status is Status.RUNNING]
        failed = [v for v in views if v.status is Status.FAILED]
        finished = [v for v in views if v.status in FINISHED_WELL]
        waiting = [v for v in views if v.status is Status.PENDING]
        name_w = max(8, min(max(len(v.stack) for v in [*running, *failed] or views), max(8, width - 30)))
        frame = SPINNER[int(max(0.0, now - self.model.started) / SPINNER_INTERVAL) % len(SPINNER)]

        tops = [header]
        if finished:
            tops.append(self._finished_line(finished))
        bottom = [self._waiting_line(waiting)] if waiting else []
        failed_blocks: list[list[Text]] = [[self._stack_line(v, now, name_w, "")] for v in failed]
        running_blocks: list[list[Text]] = [[self._stack_line(v, now, name_w, frame)] for v in running]
        fixed = len(tops) + len(failed_blocks) + len(running_blocks) + len(bottom)
        if fixed > height and failed:
            # Failed stacks share lines, by name: every one stays on screen, with the running ones.
            failed_blocks = [[line] for line in self._packed_failures(failed, width)]
            fixed = len(tops) + len(failed_blocks) + len(running_blocks) + len(bottom)
            failed = []  # their details have no room
        room = height - fixed
        # Room left: first each failed stack's error, then the running stacks' resources in flight, in turns.
        for view, block in zip(failed, failed_blocks, strict=False):
            for detail in self._failure_details(view)[:1]:
                if room > 0:
                    block.append(detail)
                    room -= 1
        queues = [self._in_flight_lines(v, now) for v in running]
        while room > 0 and any(queues):
            for queue, block in zip(queues, running_blocks, strict=True):
                if queue and room > 0:
                    block.append(queue.pop(0))
                    room -= 1
        screen = [*tops, *(line for block in failed_blocks for line in block),
                  *(line for block in running_blocks for line in block), *bottom]
        return screen[:max(1, height)]

    def header(self, views: list[StackView], now: float) -> Text:
        """``up shop · 5/9 stacks · 2m14s`` (and how many failed)."""
        done = sum(1 for v in views if v.status.finished)
        head = Text(text.run_header(self.operation, self.project, done, len(views), now - self.model.started),
                    style="bold", no_wrap=True, overflow="ellipsis")
        failures = sum(1 for v in views if v.status is Status.FAILED)
        if failures:
            head.append(f" · {failures} failed", style=styles.STATUS_STYLE[Status.FAILED])
        return head

    def _finished_line(self, finished: list[StackView]) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        changes: dict[str, int] = {}
        for view in finished:
            for op, n in view.changes.items():
                changes[op] = changes.get(op, 0) + n
        for i, status in enumerate(s for s in FINISHED_WELL if any(v.status is s for v in finished)):
            count = sum(1 for v in finished if v.status is status)
            line.append(" · " if i else "")
            line.append(f"{styles.STATUS_ICON[status]} {count} {status.value}", style=styles.STATUS_STYLE[status])
        summary = styles.changes(changes)
        if summary:
            line.append(f"  {summary}", style="dim")
        return line

    def _waiting_line(self, waiting: list[StackView]) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis", style="dim")
        line.append(f"{styles.STATUS_ICON[Status.PENDING]} {len(waiting)} waiting: ")
        line.append(", ".join(v.stack for v in waiting))
        return line

    def _stack_line(self, view: StackView, now: float, name_w: int, frame: str) -> Text:
        icon, style = styles.STATUS_ICON[view.status], styles.STATUS_STYLE[view.status]
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(frame or icon, style=style)
        line.append(" ")
        line.append(view.stack.ljust(name_w), style="bold" if view.status is Status.RUNNING else "")
        line.append(f"  {text.duration(view.elapsed(now)):>6}", style="dim")
        if view.status is Status.RUNNING:
            # done/total only when the stack's plan says how many it has: the engine tells them only as it
            # goes, so a total of what it told so far would grow as the stack runs.
            total = view.known_total
            line.append(f"  {view.done}/{text.resource_count(total)}" if total is not None else f"  {view.done} done")
            if view.in_flight:
                line.append(f" · {len(view.in_flight)} in flight", style="dim")
        else:
            line.append(f"  {text.resource_count(view.total)}")
        changes = styles.changes(view.changes)
        if changes:
            line.append(f"  {changes}")
        return line

    def _in_flight_lines(self, view: StackView, now: float) -> list[Text]:
        if not view.in_flight:
            said = [d for d in view.diagnostics if d.severity == "info"]
            return [_line("    ", (said[-1].message, "dim"))] if said else []
        lines = []
        for row in leaves_first(view):
            line = _line("    ", (text.in_progress(row.op, row.engine_op), styles.op_style(row.op)), " ",
                         (styles.short_type(row.type), styles.TYPE_STYLE), f" {row.name} ",
                         (text.duration(row.elapsed(now)), "dim"))
            lines.append(line)
        return lines

    def _failure_details(self, view: StackView) -> list[Text]:
        lines = []
        for row in sorted(view.failed, key=lambda r: r.urn in view.components):  # the AWS resource's error first
            line = _line("    ", ("✗ ", "bold red"), (f"{styles.short_type(row.type)} {row.name}", "bold"),
                         (f": {row.error}" if row.error else f" failed to {row.engine_op or row.op}", "red"))
            lines.append(line)
        if not lines and view.reason:
            lines.append(_line("    ", (text.reason(view.stack, view.reason), "red")))
        return lines

    def _packed_failures(self, failed: list[StackView], width: int) -> Iterator[Text]:
        lead = f"{styles.STATUS_ICON[Status.FAILED]} failed: "
        line = Text(lead, style=styles.STATUS_STYLE[Status.FAILED], no_wrap=True, overflow="ellipsis")
        for view in failed:
            piece = view.stack if line.plain == lead else f", {view.stack}"
            if line.plain != lead and line.cell_len + len(piece) > width:
                yield line
                line = Text(" " * len(lead), no_wrap=True, overflow="ellipsis")
                piece = view.stack
            line.append(piece, style="bold")
        yield line


def leaves_first(view: StackView) -> list[ResourceView]:
    """The resources in flight a person waits on: AWS resources before the components wrapping them, oldest first."""
    return sorted(view.in_flight, key=lambda r: (r.urn in view.components, r.started))


class LiveReporter(Reporter):
    """Rich ``Live`` while the run goes on; the final report when it ends."""

    for_people = True

    def __init__(self, *, operation: Operation, console: Console, clock: Callable[[], float],
                 project: str | None = None, diff: bool | None = None) -> None:
        super().__init__(operation=operation, console=console, clock=clock, project=project, diff=diff)
        self.view = LiveView(self.model, clock, operation=operation, project=project)
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
