"""Results of a run: per-stack status, changes, outputs and timings, and how they look.

Returned by the Python API (``Project.up()`` and friends) and rendered by the progress
reporters' final summary. A :class:`RunResult` renders itself in rich (``__rich__``),
Jupyter (``_repr_html_``: URLs that open on a click, each stack's outputs folded) and plain
text (``str``). A run that did not fully succeed is raised by the API as
:class:`~ecsp.errors.RunFailed` or :class:`~ecsp.errors.Interrupted`, both carrying the result
(importable from here too).
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ecsp import diffs, styles
from ecsp.errors import EcspError, Interrupted, RunFailed
from ecsp.events import Operation, ResourceStep, Status, reveal
from ecsp.notebook import Renders, details


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
    def resource_count(self) -> int | None:
        """The stack's resources, changed or not, once it succeeded: the count ``ecsp plan`` and the display give."""
        return sum(self.changes.values()) if self.status is Status.SUCCEEDED and self.changes else None

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


@dataclass(repr=False)
class RunResult(Renders):
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

    def _rows(self) -> list[tuple[StackResult, str, str, str, str]]:
        rows = []
        for s in self.stacks:
            took = f"{s.duration:.1f}s" if s.duration is not None else ""
            rows.append((s, s.status.value, took, str(s.resource_count or ""), s.change_summary))
        return rows

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.headline(), title_justify="left", expand=False)
        for column in ("stack", "status", "time", "resources", "changes", "reason"):
            table.add_column(column, overflow="fold", justify="right" if column == "resources" else "left")
        for s, status, took, count, changes in self._rows():
            table.add_row(s.stack, Text(status, style=styles.STATUS_STYLE[s.status]), took, count, changes,
                          s.reason or "")
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
        for s, status, took, count, changes in self._rows():
            cells = [s.stack, status, took, f"{count} resources" if count else "", changes, s.reason or ""]
            lines.append("  " + "  ".join(c for c in cells if c))
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def summary(self) -> str:
        return self.headline()

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{c}</th>" for c in ("stack", "status", "time", "resources", "changes", "reason", "url",
                                                    "outputs"))
        body = []
        for s, status, took, count, changes in self._rows():
            url, secret = reveal(s.outputs.get("url"))
            link = f"<a href='{e(str(url))}' target='_blank'>{e(str(url))}</a>" if url and not secret else ""
            shown = [(k, "[secret]" if hidden else v) for k, (v, hidden) in
                     sorted((k, reveal(v)) for k, v in s.outputs.items())]
            rows = "".join(f"<tr><td><code>{e(k)}</code></td><td>{_html_value(v)}</td></tr>" for k, v in shown)
            outputs = details(f"{len(shown)} output{'' if len(shown) == 1 else 's'}", f"<table>{rows}</table>") \
                if shown else ""
            colour = styles.html_colour(styles.STATUS_STYLE[s.status])
            body.append(
                f"<tr><td><code>{e(s.stack)}</code></td>"
                f"<td style='color:{colour}'>{e(status)}</td><td>{e(took)}</td><td>{count}</td>"
                f"<td>{e(changes)}</td><td>{e(s.reason or '')}</td><td>{link}</td><td>{outputs}</td></tr>"
            )
        warning = styles.html_colour("yellow")
        warnings = "".join(f"<p style='color:{warning}'>warning: {e(w)}</p>" for w in self.warnings)
        changed = self.changes_view()
        diff = ""
        if changed is not None:
            from ecsp.notebook import html as rendered

            diff = details("what changes, per resource", rendered(changed), open=True)
        return (f"<p><b>{e(self.headline())}</b></p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>{diff}{warnings}")


def _html_value(value: Any) -> str:
    """An output's value in HTML: links open on a click, structures as indented JSON."""
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            return f"<a href='{html.escape(value)}' target='_blank'>{html.escape(value)}</a>"
        return f"<code>{html.escape(value)}</code>"
    import json

    return f"<pre>{html.escape(json.dumps(value, indent=2, default=str))}</pre>"


__all__ = ["Interrupted", "RunFailed", "RunResult", "StackResult"]
