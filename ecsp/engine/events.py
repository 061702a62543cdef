"""Translate Pulumi engine events into ecsp's event model, and read recorded event logs.

This is the one place that knows the shape of ``pulumi.automation.events.EngineEvent``;
everything downstream (the progress model, reporters, ``ecsp replay``) sees only
:mod:`ecsp.events`. :func:`translate` is stateless and never raises on odd input: the
Python SDK hands over events it does not know (policy, progress and error events of
newer CLIs) as an ``EngineEvent`` whose every field is ``None``, and tests build partial
events by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pulumi.automation.events import EngineEvent, StepEventMetadata

from ecsp.diffs import PropertyChange, property_changes
from ecsp.engine import DriftedProperty, DriftedResource
from ecsp.errors import UsageError
from ecsp.events import (
    ROOT_STACK_TYPE,
    Diagnostic,
    Event,
    Operation,
    OutputLine,
    ResourceStep,
    Summary,
    hidden_type,
    name_of_urn,
    type_of_urn,
)

# The steps Pulumi takes for one replaced resource. They all share the URN, so a person
# sees them as one "replace" row (see pulumi.md §2.3 and Pulumi's own display).
REPLACE_FAMILY = frozenset({
    "replace", "create-replacement", "delete-replaced", "read-replacement",
    "discard-replaced", "import-replacement", "remove-pending-replace",
})

# Pulumi embeds its own colour directives (``<{%fg 1%}>``, ``<{%reset%}>``) in messages,
# and providers sometimes add ANSI escapes; neither belongs in a rich or JSON reporter.
_COLOR_DIRECTIVE = re.compile(r"<\{%[^%]*%\}>")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

# How many unparseable lines may open a file before it is declared "not an event log".
_GARBLED_PREFIX_LIMIT = 20


def clean_message(text: str) -> str:
    """A message without Pulumi colour directives, ANSI escapes or trailing whitespace."""
    return _ANSI.sub("", _COLOR_DIRECTIVE.sub("", text)).rstrip()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _step(stack: str, metadata: StepEventMetadata | None, phase: Literal["start", "done", "failed"], *, preview: bool,
          keep_hidden: bool) -> list[Event]:
    if metadata is None:
        return []
    urn = _text(getattr(metadata, "urn", None))
    type_ = _text(getattr(metadata, "type", None)) or type_of_urn(urn)
    if not urn and not type_:
        return []  # nothing to show a person or to key a row on
    if hidden_type(type_) and not keep_hidden:
        return []
    engine_op = _text(getattr(metadata, "op", None))
    folded = engine_op in REPLACE_FAMILY
    state = getattr(metadata, "new", None) or getattr(metadata, "old", None)
    parent = _text(getattr(state, "parent", None)) or None
    if parent is not None and type_of_urn(parent) == ROOT_STACK_TYPE:
        parent = None  # the root stack row is hidden, so its children are top-level
    diffs = getattr(metadata, "diffs", None) or list((getattr(metadata, "detailed_diff", None) or {}).keys())
    retained = any(bool(getattr(getattr(metadata, side, None), "retain_on_delete", False)) for side in ("old", "new"))
    return [ResourceStep(
        stack=stack, urn=urn, type=type_, name=name_of_urn(urn) or type_,
        op="replace" if folded else (engine_op or "unknown"),
        phase=phase,
        parent=parent, diffs=tuple(dict.fromkeys(str(d) for d in diffs)), preview=preview,
        engine_op=engine_op if folded and engine_op != "replace" else "",
        retained=retained, replace_keys=tuple(str(k) for k in getattr(metadata, "keys", None) or ()),
        changes=_changes(metadata, engine_op, diffs) if phase != "failed" else (),
    )]


# Steps that turn an old state into a new one: the ones whose values are worth showing side by side.
_CHANGED_OPS = frozenset({"update", "replace", "create-replacement"})


def _changes(metadata: StepEventMetadata, engine_op: str, diffs: list[Any]) -> tuple[PropertyChange, ...]:
    if engine_op not in _CHANGED_OPS:
        return ()
    old, new = getattr(metadata, "old", None), getattr(metadata, "new", None)
    old_inputs, new_inputs = getattr(old, "inputs", None), getattr(new, "inputs", None)
    if not isinstance(old_inputs, Mapping) or not isinstance(new_inputs, Mapping):
        return ()
    return property_changes(old_inputs, new_inputs, [str(d) for d in diffs])


# A refresh preview's step for a resource whose state would change: the cloud differs from the state.
_DRIFT_CHANGES = {"update": "changed", "delete": "deleted"}


def drifted(event: EngineEvent) -> DriftedResource | None:
    """The drift one event of a refresh preview reports (None: the event is not about a drifted resource).

    The engine ends each resource's refresh with an outputs event whose op is ``update`` (the
    provider read other values: ``diffs`` names the properties, ``old``/``new`` hold them) or
    ``delete`` (the resource is gone); ``same`` means no drift.
    """
    done = getattr(event, "res_outputs_event", None)
    metadata = getattr(done, "metadata", None)
    if metadata is None:
        return None
    change = _DRIFT_CHANGES.get(_text(getattr(metadata, "op", None)))
    type_ = _text(getattr(metadata, "type", None))
    if change is None or hidden_type(type_):
        return None
    urn = _text(getattr(metadata, "urn", None))
    old = getattr(getattr(metadata, "old", None), "outputs", None) or {}
    new = getattr(getattr(metadata, "new", None), "outputs", None) or {}
    names = list(getattr(metadata, "diffs", None) or []) if change == "changed" else []
    properties = tuple(DriftedProperty(str(name), old.get(name), new.get(name)) for name in names)
    return DriftedResource(type=type_, name=name_of_urn(urn) or type_, urn=urn, change=change, properties=properties)


def change_counts(raw: Mapping[Any, Any] | None) -> dict[str, int]:
    """Pulumi op -> count from a summary's ``resource_changes`` (also the adapter's results); odd counts are dropped."""
    # The SDK types the keys as OpType but passes the JSON strings through unchanged.
    changes: dict[str, int] = {}
    for key, count in (raw or {}).items():
        try:
            changes[_text(key)] = int(count)
        except (TypeError, ValueError):
            continue
    return changes


def translate(stack: str, event: EngineEvent) -> list[Event]:
    """The ecsp events one engine event means (often none). Never raises on unknown or partial events."""
    pre = getattr(event, "resource_pre_event", None)
    if pre is not None:
        return _step(stack, getattr(pre, "metadata", None), "start",
                     preview=bool(getattr(pre, "planning", False)), keep_hidden=False)
    done = getattr(event, "res_outputs_event", None)
    if done is not None:
        return _step(stack, getattr(done, "metadata", None), "done",
                     preview=bool(getattr(done, "planning", False)), keep_hidden=False)
    failed = getattr(event, "res_op_failed_event", None)
    if failed is not None:
        # Failures of hidden rows (a provider that cannot configure itself, the root stack's
        # program raising) are exactly what a person must see, so they are kept.
        return _step(stack, getattr(failed, "metadata", None), "failed", preview=False, keep_hidden=True)
    diag = getattr(event, "diagnostic_event", None)
    if diag is not None:
        message = clean_message(_text(getattr(diag, "message", None)))
        severity = _text(getattr(diag, "severity", None)) or "info"
        # The real engine streams the language SDK's debug log too (some 300 lines for a
        # small stack: "registering resource: ..."); pulumi's own display hides them
        # unless --debug, and so does ecsp.
        if not message or severity == "debug":
            return []
        return [Diagnostic(stack=stack, severity=severity,
                           message=message, urn=_text(getattr(diag, "urn", None)) or None)]
    policy = getattr(event, "policy_event", None)
    if policy is not None:
        level = _text(getattr(policy, "enforcement_level", None))
        where = "/".join(p for p in (_text(getattr(policy, "policy_pack_name", None)),
                                     _text(getattr(policy, "policy_name", None))) if p)
        message = clean_message(_text(getattr(policy, "message", None)))
        return [Diagnostic(stack=stack, severity="error" if level == "mandatory" else "warning",
                           message=f"policy {where}: {message}" if where else f"policy: {message}",
                           urn=_text(getattr(policy, "resource_urn", None)) or None)]
    summary = getattr(event, "summary_event", None)
    if summary is not None:
        seconds = getattr(summary, "duration_seconds", None)
        return [Summary(stack=stack, changes=change_counts(getattr(summary, "resource_changes", None)),
                        duration_seconds=float(seconds) if isinstance(seconds, int | float) else None)]
    stdout = getattr(event, "stdout_event", None)
    if stdout is not None:
        text = clean_message(_text(getattr(stdout, "message", None)))
        return [OutputLine(stack=stack, text=text)] if text else []
    debug = getattr(event, "start_debugging_event", None)
    if debug is not None:
        config = getattr(debug, "config", None) or {}
        return [OutputLine(stack=stack, text=f"debugger waiting for a client: {json.dumps(config, default=str)}")]
    # prelude_event (config only), cancel_event (end of stream) and the kinds the SDK drops.
    return []


def stack_outputs(event: EngineEvent) -> dict[str, Any] | None:
    """The stack's outputs, when ``event`` is the root stack's outputs event (else None).

    A recorded log has no ``UpResult``; this is where ``ecsp replay`` finds a stack's outputs
    (the application URL among them).
    """
    done = getattr(event, "res_outputs_event", None)
    metadata = getattr(done, "metadata", None)
    if metadata is None or _text(getattr(metadata, "type", None)) != ROOT_STACK_TYPE:
        return None
    state = getattr(metadata, "new", None) or getattr(metadata, "old", None)
    outputs = getattr(state, "outputs", None)
    return dict(outputs) if isinstance(outputs, Mapping) else None


def event_urn(event: EngineEvent) -> str | None:
    """The URN a step event is about (used to name the stack of a recorded log)."""
    for field in ("resource_pre_event", "res_outputs_event", "res_op_failed_event"):
        metadata = getattr(getattr(event, field, None), "metadata", None)
        urn = _text(getattr(metadata, "urn", None))
        if urn:
            return urn
    return None


def _looks_like_event(data: object) -> bool:
    return isinstance(data, dict) and (
        "sequence" in data or "timestamp" in data or any(str(k).endswith("Event") for k in data)
    )


def _not_an_event_log(path: Path, why: str) -> UsageError:
    return UsageError(
        f"{path} is not a Pulumi engine event log: {why}",
        fix="pass a file written by `pulumi up --event-log FILE` (one JSON event per line)",
    )


def read_event_log(path: str | Path, *, on_skip: Callable[[int, str], None] | None = None) -> Iterator[EngineEvent]:
    """The events of a ``--event-log`` file (JSON lines), in file order.

    Blank lines are ignored. A garbled line (a torn last write, a line the SDK cannot parse,
    such as an op it does not know) is skipped and reported to ``on_skip(line_number, reason)``.
    A file that opens with no event at all, or holds none, raises :class:`UsageError`.
    """
    file = Path(path)
    try:
        handle = file.open(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UsageError(f"cannot read event log {file}: {e.strerror or e}",
                         fix="check the path; `ecsp replay` reads a file written by `pulumi --event-log`") from e
    seen = garbled = 0
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not _looks_like_event(data):
                    raise ValueError("not an engine event object")
                event = EngineEvent.from_json(data)
            except Exception as e:  # the SDK raises ValueError, KeyError, TypeError... on odd input
                garbled += 1
                if seen == 0 and garbled >= _GARBLED_PREFIX_LIMIT:
                    raise _not_an_event_log(file, f"its first {garbled} lines are not engine events") from e
                if on_skip is not None:
                    on_skip(number, f"{type(e).__name__}: {e}")
                continue
            seen += 1
            yield event
    if seen == 0:
        raise _not_an_event_log(file, "it holds no engine events" if garbled else "it is empty")


def infer_operation(events: Iterable[EngineEvent]) -> Operation:
    """Which operation a recorded log was (the log does not say): preview, refresh, destroy or up."""
    ops: set[str] = set()
    root_deleted = False
    for event in events:
        for field in ("resource_pre_event", "res_outputs_event"):
            step = getattr(event, field, None)
            if step is None:
                continue
            if getattr(step, "planning", False):
                return "preview"
            op = _text(getattr(getattr(step, "metadata", None), "op", None))
            type_ = _text(getattr(getattr(step, "metadata", None), "type", None))
            root_deleted = root_deleted or (type_ == ROOT_STACK_TYPE and op == "delete")
            if not hidden_type(type_):
                ops.add(op)
    if "refresh" in ops:
        return "refresh"
    changed = ops - {"same", ""}
    # A destroy deletes the root stack resource too; a hand-made log may only delete resources.
    if root_deleted or (changed and changed <= {"delete"}):
        return "destroy"
    return "up"
