"""Results of a run: per-stack status, changes, outputs and timings.

Returned by the Python API (``Project.up()`` and friends) and rendered by the
progress reporters' final summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecsp.events import Operation, Status


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

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started


@dataclass
class RunResult:
    operation: Operation
    stacks: list[StackResult]

    @property
    def ok(self) -> bool:
        return all(s.status in (Status.SUCCEEDED,) for s in self.stacks)

    def __getitem__(self, stack: str) -> StackResult:
        for s in self.stacks:
            if s.stack == stack:
                return s
        raise KeyError(stack)
