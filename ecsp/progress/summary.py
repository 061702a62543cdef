"""The end of a run, for people: failed and interrupted resources, the summary table, diagnostics.

Rendered by the live and plain reporters from the :class:`~ecsp.results.RunResult` the
orchestrator returns plus what the progress model saw on the way (errors, rows cut short,
diagnostics). The table lists every stack with its result, changes, duration and the
outputs a person wants next: the application URL first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ecsp import styles
from ecsp.events import NO_CHANGE_OPS, Diagnostic, Status, reveal
from ecsp.progress import text
from ecsp.progress.model import ResourceView, StackView, shorten_error
from ecsp.results import RunResult, StackResult

MAX_OUTPUTS = 3
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info#err": "dim", "info": "dim"}


def _is_link(key: str, value: Any) -> bool:
    return "url" in key.lower() or (isinstance(value, str) and value.startswith(("http://", "https://")))


def person_outputs(outputs: Mapping[str, Any], limit: int = MAX_OUTPUTS) -> list[tuple[str, str]]:
    """The outputs worth showing a person: ``url`` first, then other links; secrets masked."""
    chosen: list[tuple[str, str]] = []
    keys = sorted(outputs, key=lambda k: (k != "url", k))
    for key in keys:
        value, secret = reveal(outputs[key])
        if key != "url" and not _is_link(key, value):
            continue
        if value is None or value == "":
            continue
        chosen.append((key, "[secret]" if secret else str(value)))
        if len(chosen) == limit:
            break
    return chosen


# A result still running or pending when the table is drawn is one a run left behind (an
# exception, Ctrl-C): say what that means for the stack.
UNFINISHED = {Status.RUNNING: ("interrupted", "yellow"), Status.PENDING: ("not run", "dim")}


def _result_cell(result: StackResult) -> Text:
    status = result.status
    if status in UNFINISHED:
        cell = Text(UNFINISHED[status][0], style=UNFINISHED[status][1])
    else:
        icon, style = styles.STATUS_ICON[status], styles.STATUS_STYLE[status]
        cell = Text(f"{icon} {status.value}", style=style)
    if result.reason:
        cell.append("\n" + shorten_error(text.reason(result.stack, result.reason), 200), style="dim")
    return cell


def stack_changes(result: StackResult, view: StackView | None) -> dict[str, int]:
    """A stack's changes as every report says them: what the display saw, else the result's counts."""
    # The changes the live rows and plain lines showed, when the model saw the steps (after a failure
    # the engine's summary can be incomplete); the result's counts stand in for stacks it saw nothing of.
    if view is None or not view.total:
        return dict(result.changes)
    return {**{op: n for op, n in result.changes.items() if op in NO_CHANGE_OPS}, **view.changes}


def summary_table(result: RunResult, views: Mapping[str, StackView], now: float) -> Table:
    counts: dict[str, int] = {}
    for s in result.stacks:
        word = UNFINISHED[s.status][0] if s.status in UNFINISHED else s.status.value
        counts[word] = counts.get(word, 0) + 1
    title = f"{result.operation}: " + (", ".join(f"{n} {word}" for word, n in counts.items()) or "no stacks")
    if result.duration is not None:  # the whole run, when any stack started
        title += f" in {text.duration(result.duration)}"
    table = Table(title=title, title_justify="left", title_style="bold", show_edge=False, pad_edge=False,
                  header_style="bold")
    table.add_column("stack", no_wrap=True)
    table.add_column("result")
    rows: list[tuple[str, Text, str, str, str]] = []
    extra: list[Text] = []
    for s in result.stacks:
        view = views.get(s.stack)
        changes = stack_changes(s, view)
        seconds = s.duration if s.duration is not None else (view.elapsed(now) if view else None)
        outputs = [(k, v) for k, v in person_outputs(s.outputs or (dict(view.outputs) if view else {}))
                   if k != "url"]  # the URL gets a line of its own below the table
        out = Text()
        for i, (key, value) in enumerate(outputs):
            out.append(("\n" if i else "") + f"{key}: {value}")
        empty = "no changes" if s.status == Status.SUCCEEDED else ""
        # Complete only when the stack ran to its end: a failed or interrupted stack told of some of them.
        resources = 0
        if s.status is Status.SUCCEEDED:
            resources = view.total if view is not None and view.total else sum(s.changes.values())
        rows.append((s.stack, _result_cell(s), str(resources or ""), styles.changes(changes, empty=empty),
                     text.duration(seconds)))
        extra.append(out)
    # The count the plan and the live display give: every resource of the stack, changed or not.
    with_resources = any(row[2] for row in rows)
    if with_resources:
        table.add_column("resources", justify="right", no_wrap=True)
    table.add_column("changes", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    with_outputs = any(out.plain for out in extra)
    if with_outputs:
        table.add_column("outputs", overflow="fold")  # fold, never cut: a link must stay complete
    for (stack, result_cell, count, changed, took), out in zip(rows, extra, strict=True):
        table.add_row(stack, result_cell, *([count] if with_resources else []), changed, took,
                      *([out] if with_outputs else []))
    return table


def _indented(message: str, indent: int, style: str, wrap: bool) -> RenderableType:
    # Wrapped (terminal): continuation lines keep the indent. Unwrapped (CI logs, whose
    # width is unknown): every line whole, indented by hand, so nothing is cut or folded.
    message = message.replace("\t", "  ")
    if wrap:
        return Padding(Text(message, style=style), (0, 0, 0, indent))
    return Text("\n".join(" " * indent + line for line in message.splitlines()), style=style)


def _resource_lines(row: ResourceView, now: float, wrap: bool) -> Iterator[RenderableType]:
    line = Text("  ")
    if row.state == "failed":
        line.append("✗ failed      ", style="bold red")
    else:
        line.append("! interrupted ", style="yellow")
    line.append(f"{styles.short_type(row.type)} ", style=styles.TYPE_STYLE)
    line.append(row.name, style="bold")
    verb = text.in_progress(row.op, row.engine_op)
    line.append(f" ({verb}, {text.duration(row.elapsed(now))})", style="dim")
    yield line
    if row.state == "failed" and row.error:
        yield _indented(row.error, 4, "red", wrap)


def problems(views: list[StackView], now: float, *, wrap: bool = True) -> Iterator[RenderableType]:
    """Failed and interrupted resources, per stack."""
    for view in views:
        rows = [*view.failed, *view.interrupted]
        if not rows:
            continue
        yield Text(view.stack, style="bold")
        for row in rows:
            yield from _resource_lines(row, now, wrap)


def diagnostics(views: list[StackView], *, wrap: bool = True) -> Iterator[RenderableType]:
    """Every diagnostic, in full, per stack, in the order the engine sent them."""
    kept = {v.stack: [d for d in v.diagnostics if not _cancelled_echo(v, d)] for v in views}
    shown = [v for v in views if kept[v.stack]]
    if not shown:
        return
    yield Text("Diagnostics", style="bold")
    for view in shown:
        yield Text(f"  {view.stack}", style="bold")
        for d in kept[view.stack]:
            head = Text(f"    {d.severity}: ", style=SEVERITY_STYLE.get(d.severity, ""))
            message = d.message.strip()
            if not d.urn and "\n" not in message:
                # About the stack, not a resource: one line, "warning: could not follow ...".
                yield _indented(f"{d.severity}: {message}", 4, SEVERITY_STYLE.get(d.severity, ""), wrap)
                continue
            if d.urn:
                head.append(text.urn_label(d.urn), style=styles.TYPE_STYLE)
            yield head
            yield _indented(d.message, 6, "", wrap)


# What the engine says, for no resource, as a stack that Ctrl-C cancelled winds down.
CANCELLED_CLOSINGS = frozenset({"update failed", "resource monitor has terminated, shutting down"})


def _cancelled_echo(view: StackView, diagnostic: Diagnostic) -> bool:
    """The engine's closing words on a stack that Ctrl-C cancelled: its row says "cancelled" better."""
    return (view.status is Status.CANCELLED and not diagnostic.urn
            and diagnostic.message.strip().lower() in CANCELLED_CLOSINGS)


def urls(result: RunResult, views: Mapping[str, StackView]) -> Iterator[Text]:
    """One line per stack that exports ``url``: the first thing a person wants after a deploy."""
    for s in result.stacks:
        view = views.get(s.stack)
        value, secret = reveal((s.outputs or (dict(view.outputs) if view else {})).get("url"))
        if value and not secret:
            yield Text.assemble(("  " + s.stack, "bold"), "  ", (str(value), "underline"))


def run_warnings(result: RunResult, run_diagnostics: Sequence[Diagnostic] = ()) -> list[str]:
    """Warnings about the run as a whole: the result's and those only the stream carried."""
    warnings = list(result.warnings)
    warnings += [d.message for d in run_diagnostics if d.message not in warnings]
    return warnings


def print_report(console: Console, result: RunResult, views: list[StackView], now: float, *,
                 wrap: bool = True, run_diagnostics: Sequence[Diagnostic] = ()) -> None:
    """The end of a run: problems, the summary table, URLs, warnings, diagnostics in full."""
    by_name = {v.stack: v for v in views}
    found = list(problems(views, now, wrap=wrap))
    for part in found:
        console.print(part, soft_wrap=not wrap)
    if found:
        console.print()
    console.print(summary_table(result, by_name, now))
    links = list(urls(result, by_name))
    if links:
        console.print()
        console.print(Text("URLs", style="bold"))
        for link in links:
            console.print(link, soft_wrap=True)  # never folded: a broken URL cannot be clicked
    kept = result.kept()
    if kept:
        console.print()
        console.print(Text("Kept in AWS (data ecsp no longer manages: link it again with existing:, or delete it "
                           "in AWS)", style="bold"), soft_wrap=not wrap)
        for stack, step in kept:
            console.print(Text.assemble(("  " + stack, "bold"), "  ", (styles.short_type(step.type),
                                                                       styles.TYPE_STYLE), " ", step.name),
                          soft_wrap=True)
    for warning in run_warnings(result, run_diagnostics):
        console.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=not wrap)
    diags = list(diagnostics(views, wrap=wrap))
    if diags:
        console.print()
        for part in diags:
            console.print(part, soft_wrap=not wrap)


def result_from_model(operation: str, views: list[StackView]) -> RunResult:
    """A result for a run that ended without one (an exception, Ctrl-C): what the model saw."""
    stacks = [
        StackResult(stack=v.stack, kind="", environment=None, application=None, status=v.status, reason=v.reason,
                    started=v.started, ended=v.ended, changes=dict(v.changes), outputs=dict(v.outputs))
        for v in views
    ]
    return RunResult(operation=operation, stacks=stacks)  # type: ignore[arg-type]  # validated by reporter()
