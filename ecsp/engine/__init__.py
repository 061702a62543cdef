"""The engine contract: what the orchestrator and the API need from "something that runs one Pulumi stack".

Two implementations honour it: :class:`ecsp.engine.automation.AutomationEngine` (the thin
adapter over ``pulumi.automation``, with its helpers :mod:`~ecsp.engine.pulumi_cli`,
:mod:`~ecsp.engine.workspace` and :mod:`~ecsp.engine.errors`: the only package that imports
it) and :class:`ecsp.engine.fake.FakeEngine` (in memory, for tests and the benchmark). Everything
above this package (orchestrator, API, CLI) speaks only these types and
:mod:`ecsp.events`, never Pulumi's.

Threading: :meth:`Engine.prepare` runs in the main thread before any fan-out;
:meth:`Engine.run` runs on worker threads, at most once at a time per stack;
:meth:`Engine.interrupt` is called from the main thread while ``run`` is in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ecsp.context import StackContext
from ecsp.events import Event, Operation
from ecsp.graph import StackSpec

# A callback for ecsp events (already translated); called from SDK worker threads.
EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class StackRun:
    """What one successful operation on one stack produced."""

    changes: dict[str, int] = field(default_factory=dict)  # Pulumi op -> count, e.g. {"create": 3, "same": 9}
    outputs: dict[str, Any] = field(default_factory=dict)  # secret values wrapped in ecsp.events.Secret


@dataclass(frozen=True)
class StackInfo:
    """One stack as the state backend knows it (``pulumi stack ls``)."""

    name: str  # <pulumi project>/<stack>
    last_update: datetime | None = None
    resource_count: int | None = None
    update_in_progress: bool = False
    url: str | None = None

    @property
    def deployed(self) -> bool:
        """Holds resources: not a stack that was only ``init``-ed, nor one whose resources were destroyed."""
        if self.resource_count is not None:
            return self.resource_count > 0
        return self.last_update is not None  # backends that do not count resources


@dataclass(frozen=True)
class DriftedProperty:
    """One property of a resource that differs between Pulumi's state and the cloud."""

    name: str
    old: Any  # what the state says (what ecsp deployed)
    new: Any  # what the provider read now


@dataclass(frozen=True)
class DriftedResource:
    """A resource changed (or deleted) outside Pulumi, as a refresh preview found it."""

    type: str
    name: str
    urn: str
    change: str  # "changed" or "deleted"
    properties: tuple[DriftedProperty, ...] = ()


@dataclass(frozen=True)
class StackUpdate:
    """One past operation on a stack (``pulumi stack history``): what ran, how it ended, with what config."""

    version: int | None
    kind: str  # update, refresh, destroy (Pulumi's names; an `ecsp up` is an update)
    result: str  # succeeded, failed, in-progress
    started: datetime
    ended: datetime | None = None
    message: str = ""
    config: dict[str, str] = field(default_factory=dict)  # the stack config it ran with (secret values left out)
    changes: dict[str, int] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.result == "succeeded"


class Engine(Protocol):
    """Runs Pulumi operations on single stacks; knows nothing about the stack graph."""

    @property
    def organization(self) -> str | None:
        """The organization of fully qualified stack names (None on DIY backends: ``organization``).

        Programs build their ``StackReference`` names from it; valid after :meth:`prepare`.
        """
        ...

    def check(self) -> None:
        """Raise :class:`ecsp.errors.PulumiMissingError` now if this engine cannot run at all."""
        ...

    def prepare(self, stacks: Sequence[StackSpec], operation: Operation) -> list[str]:
        """One-time, serial set-up before ``run`` fans out (main thread). Returns warnings for the user."""
        ...

    def run(self, operation: Operation, ctx: StackContext, on_event: EventSink) -> StackRun:
        """Run ``operation`` on ``ctx.stack``; raise an :class:`ecsp.errors.EcspError` on failure."""
        ...

    def drift(self, ctx: StackContext, on_event: EventSink) -> list[DriftedResource]:
        """What a refresh of ``ctx.stack`` would change in its state (a preview: nothing is written).

        :class:`ecsp.errors.StackNotFoundError` if the stack was never deployed.
        """
        ...

    def interrupt(self, stack: StackSpec) -> None:
        """Ask the in-flight operation on ``stack`` to stop (the engine's own graceful cancellation).

        A second call for the same stack stops it at once. Never raises; a no-op when idle.
        """
        ...

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        """The stack's current outputs; :class:`ecsp.errors.StackNotFoundError` if never deployed."""
        ...

    def list_stacks(self) -> list[StackInfo]:
        """Every stack in the state backend (all Pulumi projects), deployed or not."""
        ...

    def history(self, stack: StackSpec, *, limit: int = 20) -> list[StackUpdate]:
        """The stack's last ``limit`` operations, newest first; :class:`ecsp.errors.StackNotFoundError` if none."""
        ...

    def stack_tags(self, stack: StackSpec) -> dict[str, str]:
        """The tags the backend holds for ``stack`` ({} when the stack has none or the backend keeps no tags).

        Tags are written by :meth:`run` from ``StackSpec.tags()``; this reads them back (one CLI call).
        """
        ...

    def cancel(self, stack: StackSpec) -> bool:
        """Release the stack's lock left by an update that is no longer running (``pulumi cancel``).

        True when ``pulumi cancel`` succeeded (a DIY backend then holds no lock, and does not say whether
        it held one); False when the backend said nothing was running.
        """
        ...

    def release_data(self, stack: StackSpec, urns: Sequence[str] | None) -> list[str]:
        """Let the next operation delete the retained resources ``urns`` of ``stack`` (None: all of them).

        Lifts ``retainOnDelete`` in the stack's state, so a destroy, a replacement or a removed
        resource deletes them in AWS. Only after the user asked to delete data (ecsp.data_safety).
        Returns the URNs released.
        """
        ...


__all__ = ["DriftedProperty", "DriftedResource", "Engine", "EventSink", "StackInfo", "StackRun", "StackUpdate"]
