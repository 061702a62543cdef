"""ecsp's own event model: what the engine adapter and the orchestrator report, and
what progress reporters consume.

The adapter (``ecsp.engine``) translates Pulumi engine events into these; the
orchestrator adds stack-level :class:`StackStatus` events. Reporters never see Pulumi
types. Every event names the stack it belongs to (``<pulumi project>/<stack>``).
Callbacks arrive on worker threads: a :class:`Listener` must be thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

from ecsp.diffs import PropertyChange

Operation = Literal["up", "preview", "destroy", "refresh"]


class Status(StrEnum):
    """Where a stack is in a run."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (Status.PENDING, Status.RUNNING)


@dataclass(frozen=True)
class StackStatus:
    """A stack changed status (from the orchestrator)."""

    stack: str
    status: Status
    operation: Operation
    reason: str | None = None
    outputs: dict[str, object] = field(default_factory=dict)


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"


def hidden_type(type_: str) -> bool:
    """The root stack and provider resources: bookkeeping, not infrastructure a person asked for.

    Neither is shown nor counted, by the progress display or by the plan.
    """
    return type_ == ROOT_STACK_TYPE or type_.startswith(PROVIDER_TYPE_PREFIX)


# Steps that change no resource: a refresh takes one per resource, drifted or not, so counting
# them as changes would report every resource as changed; a release command runs ("run") and is no
# resource at all.
NO_CHANGE_OPS = frozenset({"same", "read", "refresh", "run"})


@dataclass(frozen=True)
class ResourceStep:
    """A resource step started, finished or failed (from the engine)."""

    stack: str
    urn: str
    type: str
    name: str
    op: str  # Pulumi's OpType value: create, update, delete, replace, same, read, refresh, ...
    phase: Literal["start", "done", "failed"]
    parent: str | None = None
    diffs: tuple[str, ...] = ()
    preview: bool = False
    # The engine's own op when ``op`` folds several steps into one (``op="replace"`` for the
    # create-replacement, replace and delete-replaced steps of one URN); empty otherwise.
    engine_op: str = ""
    # The resource is kept in AWS when Pulumi deletes it (retain_on_delete: data, see ecsp.data_safety).
    retained: bool = False
    # The properties whose change makes the provider replace the resource.
    replace_keys: tuple[str, ...] = ()
    # What changes, old -> new, leaf by leaf (updates and replacements; secrets without values).
    changes: tuple[PropertyChange, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """A warning, error or info message from the engine or a provider."""

    stack: str
    severity: str  # info, info#err, warning, error
    message: str
    urn: str | None = None


@dataclass(frozen=True)
class Summary:
    """The engine finished an operation on a stack."""

    stack: str
    changes: dict[str, int]
    duration_seconds: float | None = None


@dataclass(frozen=True)
class OutputLine:
    """A line the pulumi CLI printed (kept for logs; reporters may ignore it)."""

    stack: str
    text: str
    stream: Literal["stdout", "stderr"] = "stdout"


Event = StackStatus | ResourceStep | Diagnostic | Summary | OutputLine


@dataclass(frozen=True)
class Secret:
    """A stack output Pulumi marks secret: shown as ``[secret]`` unless asked for."""

    value: Any = field(repr=False)

    def __repr__(self) -> str:
        return "[secret]"

    def __str__(self) -> str:
        return "[secret]"


def reveal(value: Any) -> tuple[Any, bool]:
    """An output's plain value and whether it is secret."""
    return (value.value, True) if isinstance(value, Secret) else (value, False)


def name_of_urn(urn: str) -> str:
    """``urn:pulumi:dev::proj::aws:lb/listener:Listener::http`` -> ``http``."""
    # The name is everything after the third "::" (names may themselves contain "::").
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else urn


def type_of_urn(urn: str) -> str:
    """The resource type in a URN (the last ``$``-separated part of its qualified type)."""
    parts = urn.split("::", 3)
    return parts[2].rsplit("$", 1)[-1] if len(parts) == 4 else ""


def stack_of_urn(urn: str) -> str | None:
    """``urn:pulumi:dev::proj::...`` -> ``proj/dev`` (ecsp's ``<pulumi project>/<stack>`` naming)."""
    parts = urn.split("::", 3)
    if len(parts) < 2 or not parts[0].startswith("urn:pulumi:"):
        return None
    return f"{parts[1]}/{parts[0].removeprefix('urn:pulumi:')}"


class Listener(Protocol):
    """Receives events; called from worker threads, so implementations lock."""

    def __call__(self, event: Event) -> None: ...
