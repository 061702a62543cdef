"""Drift detection: which deployed resources were changed or deleted outside ecsp, found by refresh previews.

Each selected stack that is deployed gets a refresh preview (Pulumi's own drift detection:
"any preview of a refresh counts as a drift detection run"; nothing is written), several at
once: a refresh reads the stack's own resources and needs nothing from its upstream stacks,
so the stack graph's order does not matter here. The result is a :class:`DriftReport`: per
stack, the drifted resources and properties (old -> new), or why the stack could not be read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecsp.engine import DriftedResource
from ecsp.errors import EcspError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from ecsp.context import StackContext
    from ecsp.engine import Engine
    from ecsp.events import Listener
    from ecsp.graph import StackSpec

# A value longer than this is cut in the table (the JSON has it whole).
SHOWN = 60
SECRET_KEY = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret in serialised state


@dataclass(frozen=True)
class StackDrift:
    """One stack's drift check: what drifted, or the error that stopped the check."""

    stack: str
    resources: tuple[DriftedResource, ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "drifted": bool(self.resources), "error": self.error,
                "resources": [{"type": r.type, "name": r.name, "urn": r.urn, "change": r.change,
                               "properties": [{"name": p.name, "old": _plain(p.old), "new": _plain(p.new)}
                                              for p in r.properties]} for r in self.resources]}


@dataclass(frozen=True)
class DriftReport:
    """Every checked stack's drift, and the selected stacks that are not deployed (nothing to drift)."""

    stacks: tuple[StackDrift, ...]
    not_deployed: tuple[str, ...] = field(default=())

    @property
    def drifted(self) -> list[StackDrift]:
        return [s for s in self.stacks if s.resources]

    @property
    def failed(self) -> list[StackDrift]:
        return [s for s in self.stacks if s.error is not None]

    @property
    def clean(self) -> bool:
        """No drift and every stack checked."""
        return not self.drifted and not self.failed

    def to_json(self) -> dict[str, Any]:
        return {"drifted": bool(self.drifted), "stacks": [s.to_json() for s in self.stacks],
                "not_deployed": list(self.not_deployed)}

    def summary(self) -> str:
        resources = sum(len(s.resources) for s in self.stacks)
        parts = [f"{len(self.stacks)} stack(s) checked"]
        if self.drifted:
            parts.append(f"{resources} resource(s) drifted in {len(self.drifted)} stack(s)")
        else:
            parts.append("no drift")
        if self.failed:
            parts.append(f"{len(self.failed)} could not be checked")
        if self.not_deployed:
            parts.append(f"{len(self.not_deployed)} not deployed")
        return "; ".join(parts)

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        parts: list[RenderableType] = []
        if self.drifted:
            table = Table(title="drift: changed outside ecsp (old is what ecsp deployed)", title_justify="left")
            for column in ("stack", "resource", "property", "old -> new"):
                table.add_column(column, overflow="fold")
            for stack in self.drifted:
                for resource in stack.resources:
                    what = f"{resource.type.rsplit(':', 1)[-1]} {resource.name}"
                    if resource.change == "deleted" or not resource.properties:
                        table.add_row(stack.stack, what, "", Text(resource.change, style="red"))
                    for prop in resource.properties:
                        table.add_row(stack.stack, what, prop.name, f"{_shown(prop.old)} -> {_shown(prop.new)}")
            parts.append(table)
        for stack in self.failed:
            parts.append(Text(f"{stack.stack}: not checked: {stack.error}", style="red"))
        parts.append(Text(self.summary(), style="yellow" if not self.clean else "green"))
        return Group(*parts)


def _plain(value: Any) -> Any:
    """The value as JSON shows it; a secret stays hidden."""
    if isinstance(value, dict):
        return "[secret]" if SECRET_KEY in value else {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(_plain(value), default=str, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def detect(engine: Engine, stacks: Sequence[StackSpec], context: Any, *, parallel: int,
           listener: Listener | None = None) -> DriftReport:
    """Refresh-preview every deployed stack of ``stacks``, ``parallel`` at once; ``context(spec)`` builds each
    :class:`~ecsp.context.StackContext`. A stack that cannot be read is reported, not raised."""
    deployed = {info.name for info in engine.list_stacks() if info.deployed}
    chosen = [spec for spec in stacks if spec.name in deployed]
    skipped = tuple(spec.name for spec in stacks if spec.name not in deployed)
    engine.prepare(chosen, "refresh")

    def sink(event: Any) -> None:
        if listener is not None:
            listener(event)

    def check(spec: StackSpec) -> StackDrift:
        ctx: StackContext = context(spec)
        try:
            found = sorted(engine.drift(ctx, sink), key=lambda r: (r.type, r.name))
            return StackDrift(spec.name, tuple(found))
        except EcspError as e:
            return StackDrift(spec.name, error=e.message)

    with ThreadPoolExecutor(max(1, parallel), thread_name_prefix="ecsp-drift") as pool:
        found = list(pool.map(check, chosen))
    return DriftReport(tuple(found), skipped)


__all__ = ["DriftReport", "StackDrift", "detect"]
