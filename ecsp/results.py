"""Results of a run: per-stack status, changes, outputs and timings, and how they look.

Returned by the Python API (``Project.up()`` and friends) and rendered by the progress
reporters' final summary. A :class:`RunResult` renders itself in rich (``__rich__``),
Jupyter (``_repr_html_``) and plain text (``str``). A run that did not fully succeed is
raised by the API as :class:`RunFailed` or :class:`Interrupted`, both carrying the result.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ecsp import diffs, styles
from ecsp.errors import Cancelled, EcspError, EngineError
from ecsp.events import Operation, ResourceStep, Status


@dataclass
class StackResult:
    stack: str  # <pulumi project>/<stack>
    kind: str  # project | environment | application
    environment: str | None
    application: str | None
    status: Status = Status.PENDING
    reason: str | None = None
    started: float | None = None  # monotonic clock
    ended: float | None = None
    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    # Resource steps that change something (op != same), one per URN, last phase wins:
    # what a preview "would do", with the property names each diff touches.
    steps: list[ResourceStep] = field(default_factory=list)
    error: EcspError | None = field(default=None, repr=False, compare=False)

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started

    @property
    def change_summary(self) -> str:
        """``+2 ~1 -1``-style counts of what changed (empty when nothing did)."""
        return styles.changes(self.changes)


def replaced(steps: Iterable[ResourceStep]) -> list[ResourceStep]:
    """The retained (data) resources a run replaces, one step each, with every property that forces it.

    The engine names those properties on the replacement's first steps only, not on the old one's deletion.
    """
    found: dict[str, ResourceStep] = {}
    for step in steps:
        if step.retained and step.op == "replace":
            keys = found[step.urn].replace_keys if step.urn in found else ()
            found[step.urn] = dataclasses.replace(step, replace_keys=tuple(dict.fromkeys([*keys, *step.replace_keys])))
    return list(found.values())


def kept(steps: Iterable[ResourceStep]) -> list[ResourceStep]:
    """The retained resources a run deletes from Pulumi's state, and so leaves in AWS."""
    found = {s.urn: s for s in steps if s.retained and (s.op == "delete" or s.engine_op == "delete-replaced")}
    return list(found.values())



@dataclass
class RunResult:
    operation: Operation
    stacks: list[StackResult]
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False  # the user pressed Ctrl-C (or the API caller interrupted the run)

    @property
    def ok(self) -> bool:
        return all(s.status in (Status.SUCCEEDED,) for s in self.stacks)

    def __getitem__(self, stack: str) -> StackResult:
        for s in self.stacks:
            if s.stack == stack:
                return s
        raise KeyError(stack)

    def with_status(self, *statuses: Status) -> list[StackResult]:
        return [s for s in self.stacks if s.status in statuses]

    @property
    def failed(self) -> list[StackResult]:
        return self.with_status(Status.FAILED)

    def kept(self) -> list[tuple[str, ResourceStep]]:
        """(stack, step) of each data resource the run left in AWS while Pulumi forgot it (retain_on_delete)."""
        return [(s.stack, step) for s in self.stacks for step in kept(s.steps) if not step.preview]

    @property
    def duration(self) -> float | None:
        starts = [s.started for s in self.stacks if s.started is not None]
        ends = [s.ended for s in self.stacks if s.ended is not None]
        return max(ends) - min(starts) if starts and ends else None

    def counts(self) -> dict[Status, int]:
        out: dict[Status, int] = {}
        for s in self.stacks:
            out[s.status] = out.get(s.status, 0) + 1
        return out

    def headline(self) -> str:
        """``up: 4 succeeded, 1 failed, 2 skipped in 12.3s``."""
        counts = ", ".join(f"{n} {status}" for status, n in self.counts().items())
        took = f" in {self.duration:.1f}s" if self.duration is not None else ""
        return f"{self.operation}: {counts or 'no stacks'}{took}"

    # ------------------------------------------------------------------ renderings

    def _rows(self) -> list[tuple[StackResult, str, str, str]]:
        rows = []
        for s in self.stacks:
            took = f"{s.duration:.1f}s" if s.duration is not None else ""
            rows.append((s, s.status.value, took, s.change_summary))
        return rows

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.headline(), title_justify="left", expand=False)
        for column in ("stack", "status", "time", "changes", "reason"):
            table.add_column(column, overflow="fold")
        for s, status, took, changes in self._rows():
            table.add_row(s.stack, Text(status, style=styles.STATUS_STYLE[s.status]), took, changes, s.reason or "")
        parts: list[Any] = [table]
        changes = self.changes_view()
        if changes is not None:
            parts.append(changes)
        parts.extend(Text(f"warning: {w}", style="yellow") for w in self.warnings)
        return Group(*parts)

    def changes_view(self, diff: bool = True) -> Any:
        """The resources that change, per stack, with the properties that differ (None if nothing does).

        What a ``preview`` is for: ``+ create``, ``~ update (image, cpu)``, ``+- replace``, ``- delete``;
        with ``diff``, each changed value under its resource, old -> new (secrets as changed only).
        """
        from rich.console import Group
        from rich.text import Text

        lines: list[Text] = []
        for s in self.stacks:
            steps = [step for step in s.steps if step.op in styles.CHANGES]
            if not steps:
                continue
            lines.append(Text(f"  {s.stack}", style="bold"))
            for step in sorted(steps, key=lambda st: (list(styles.CHANGES).index(st.op), st.type, st.name)):
                symbol, style = styles.CHANGES[step.op]
                line = Text(f"    {symbol:<2} {step.op:<8} ", style=style)
                line.append(f"{styles.short_type(step.type)} ", style=styles.TYPE_STYLE)
                line.append(step.name)
                if step.diffs:
                    line.append(f"  ({', '.join(step.diffs)})", style="dim")
                lines.append(line)
                if diff:
                    lines.extend(Text(f"         {change}", style="dim") for change in diffs.lines(step.changes))
        if not lines:
            return None
        title = "Would change" if self.operation == "preview" else "Changed"
        return Group(Text(title, style="bold"), *lines)

    def __str__(self) -> str:
        lines = [self.headline()]
        for s, status, took, changes in self._rows():
            cells = [s.stack, status, took, changes, s.reason or ""]
            lines.append("  " + "  ".join(c for c in cells if c))
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{c}</th>" for c in ("stack", "status", "time", "changes", "reason", "outputs"))
        body = []
        for s, status, took, changes in self._rows():
            outputs = ", ".join(f"{e(k)}={e(str(v))}" for k, v in s.outputs.items())
            colour = styles.html_colour(styles.STATUS_STYLE[s.status])
            body.append(
                f"<tr><td><code>{e(s.stack)}</code></td>"
                f"<td style='color:{colour}'>{e(status)}</td><td>{e(took)}</td>"
                f"<td>{e(changes)}</td><td>{e(s.reason or '')}</td><td>{outputs}</td></tr>"
            )
        warning = styles.html_colour("yellow")
        warnings = "".join(f"<p style='color:{warning}'>warning: {e(w)}</p>" for w in self.warnings)
        return (f"<p><b>{e(self.headline())}</b></p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>{warnings}")


class RunFailed(EngineError):
    """One or more stacks failed; ``result`` holds every stack's status (the others went on)."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        failed = result.failed
        names = ", ".join(f"{s.stack} ({s.reason.removeprefix(f'{s.stack}: ')})" if s.reason else s.stack
                          for s in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        skipped = len(result.with_status(Status.SKIPPED))
        after = f"; {skipped} dependent stack(s) skipped" if skipped else ""
        fixes = {s.error.fix for s in failed if s.error is not None and s.error.fix}
        fix = fixes.pop() if len(fixes) == 1 else "fix the errors above and run the same command again"
        super().__init__(f"{result.operation}: {len(failed)} of {len(result.stacks)} stacks failed: {names}{more}"
                         f"{after}", fix=fix)


class Interrupted(Cancelled):
    """The run was interrupted (Ctrl-C); ``result`` says which stacks finished, which were cut short."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        cut = [s.stack for s in result.stacks if s.status is Status.CANCELLED and s.started is not None]
        what = f"cut short: {', '.join(cut)}" if cut else "no stack was in flight"
        super().__init__(f"{result.operation} interrupted; {what}",
                         fix="run the same command again to finish; `ecsp cancel` releases a lock a killed run left")
