"""JSON-lines progress for machines: one object per ecsp event as it arrives, then one
``result`` object. Each line parses on its own; nothing is styled or wrapped.

Every record has ``event`` (``stack_status``, ``resource_step``, ``diagnostic``,
``summary``, ``output_line`` or ``result``) and ``elapsed`` (seconds since the reporter
started); the other keys are the event's fields.
"""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from ecsp.events import Diagnostic, Event, OutputLine, ResourceStep, Secret, StackStatus, Summary, reveal
from ecsp.progress import summary
from ecsp.progress.base import Reporter
from ecsp.progress.model import ResourceView, Update
from ecsp.results import RunResult

EVENT_NAMES: dict[type, str] = {
    StackStatus: "stack_status", ResourceStep: "resource_step", Diagnostic: "diagnostic",
    Summary: "summary", OutputLine: "output_line",
}


def _plain(value: Any) -> Any:
    """JSON-ready values: enums by value, secret outputs masked, anything else as text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Secret):
        return "[secret]"
    return str(value)


def _outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    return {k: "[secret]" if secret else value for k, (value, secret) in ((k, reveal(v)) for k, v in outputs.items())}


def _row(row: ResourceView) -> dict[str, Any]:
    return {"urn": row.urn, "type": row.type, "name": row.name, "op": row.op, "error": row.error}


class JsonReporter(Reporter):
    """One JSON object per line, written straight to the console's file (no rich markup)."""

    def _write(self, record: dict[str, Any]) -> None:
        self.console.file.write(json.dumps(record, default=_plain, ensure_ascii=False) + "\n")
        self.console.file.flush()

    def _emit(self, event: Event, update: Update) -> None:
        record: dict[str, Any] = {"event": EVENT_NAMES.get(type(event), type(event).__name__),
                                  "elapsed": round(float(self.elapsed()), 3)}
        if dataclasses.is_dataclass(event):
            record.update(dataclasses.asdict(event))
        if isinstance(event, StackStatus):
            record["outputs"] = _outputs(event.outputs)
        if isinstance(event, ResourceStep) and isinstance(update, ResourceView):
            # What the model made of the step: replacements fold, failures carry the engine's error.
            record["state"] = update.state
            record["error"] = update.error
        self._write(record)

    def _final(self, result: RunResult) -> None:
        views = {v.stack: v for v in self.model.stacks()}
        stacks = []
        for s in result.stacks:
            view = views.get(s.stack)
            stacks.append({
                "stack": s.stack, "kind": s.kind, "environment": s.environment, "application": s.application,
                "status": s.status.value, "reason": s.reason,
                "duration": round(float(s.duration), 3) if s.duration is not None else None,
                "changes": summary.stack_changes(s, view),
                "outputs": _outputs(s.outputs or (dict(view.outputs) if view else {})),
                "failed": [_row(r) for r in view.failed] if view else [],
                "interrupted": [_row(r) for r in view.interrupted] if view else [],
                "diagnostics": [dataclasses.asdict(d) for d in view.diagnostics] if view else [],
            })
        self._write({"event": "result", "elapsed": round(float(self.elapsed()), 3), "operation": result.operation,
                     "ok": result.ok, "stacks": stacks})
