"""The resources a check reads: every stack's planned resources, from a plan or a golden file.

A plan (``ecsp plan`` under Pulumi's mocks) gives each resource's type and inputs as the
program registered them. A golden file (``tests/golden/*.json``) records the same graph with
volatile values normalised; :func:`from_golden` turns those back into inputs a program could
have registered: ``{"json": ...}`` into the JSON string it was, ``<hex>`` into hex digits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecsp.planner import Plan

# What the golden files write for a mock id's 17 hex digits (tests/harness.py).
_HEX_PLACEHOLDER = "<hex>"
_HEX = "0123456789abcdef0"


@dataclass(frozen=True)
class Resource:
    """One planned resource: where it is (``source``: a stack or a golden file), its type and inputs."""

    source: str
    type: str
    name: str
    inputs: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.source}: {self.type.rsplit(':', 1)[-1]} {self.name}"


def from_plan(plan: Plan) -> Iterator[Resource]:
    for stack in plan.stacks:
        for r in stack.resources:
            yield Resource(stack.spec.name, r.type, r.name, r.inputs)


def from_golden(path: Path) -> Iterator[Resource]:
    document = json.loads(path.read_text(encoding="utf-8"))
    for r in document["resources"]:
        yield Resource(f"golden {path.stem}", r["type"], r["name"], _restore(r["inputs"]))


def _restore(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"json"}:
            return json.dumps(_restore(value["json"]))
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    if isinstance(value, str):
        return value.replace(_HEX_PLACEHOLDER, _HEX)
    return value
