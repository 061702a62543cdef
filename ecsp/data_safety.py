"""Data is never lost by accident: what runs around a stack that holds data, and what deleting it takes.

Every data resource (databases, caches, buckets, tables, file systems, addon stacks) is created
with Pulumi's ``retain_on_delete``. Tried against the real engine with the stand-in provider
(``tests/engine/test_data_safety_real_engine.py``):

* removing a retained resource from the program (its entry gone from ecsp.yaml) or destroying
  its stack never calls the provider's Delete: the engine drops it from its state and leaves
  it in AWS ("kept", listed in the summary);
* a change the provider can only make by replacement creates the new resource and forgets the
  old one, kept: no data is deleted, but the application would move to a new, empty resource.
  So :class:`DataGuard` previews first and refuses such a change (:class:`DataLossRefused`);
* ``protect`` was the other candidate, and is not used: the engine refuses to replace a protected
  resource (good) but also fails the whole update when its entry is removed from ecsp.yaml
  ("cannot be deleted because it is protected"), and needs ``pulumi state unprotect`` before
  anything can delete it.

Deleting data is asked for, by name: ``--delete-data`` with the project's name typed
(:func:`confirm_delete_data`). The guard then lifts ``retain_on_delete`` in the state of exactly
the resources the run replaces or deletes (:meth:`ecsp.engine.Engine.release_data`), so Pulumi
deletes them: a database takes its final snapshot first, a bucket goes with its objects.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from ecsp.config import ProjectConfig
from ecsp.context import StackContext
from ecsp.engine import Engine, EventSink, StackRun
from ecsp.errors import DataLossRefused, UsageError
from ecsp.events import Event, Operation, ResourceStep
from ecsp.graph import StackGraph
from ecsp.results import kept, replaced


def refusal(stack: str, steps: Sequence[ResourceStep]) -> DataLossRefused:
    what = "; ".join(f"{s.type.split(':')[-1]} {s.name} (because {', '.join(s.replace_keys) or 'a setting'} "
                     "changed)" for s in steps)
    return DataLossRefused(
        f"{stack}: refusing to replace data: {what}. A replacement is a new, empty resource; the old one, with "
        "the data, would be kept but no longer used",
        fix="put the old value back in ecsp.yaml; or, to replace it and delete the old one (databases take a "
            "final snapshot first), run again with --delete-data")


@dataclass
class DataGuard:
    """Runs one stack's operation for the orchestrator, refusing what would lose data (see the module).

    ``delete_data``: the user asked to delete data (and typed the project's name): replacements go
    ahead and what they, a removed entry or a destroy would keep is deleted instead.
    """

    engine: Engine
    config: ProjectConfig
    delete_data: bool = False
    _deployed: set[str] | None = field(default=None, repr=False)

    def _is_deployed(self, stack: str) -> bool:
        if self._deployed is None:
            self._deployed = {info.name for info in self.engine.list_stacks() if info.deployed}
        return stack in self._deployed

    def __call__(self, operation: Operation, ctx: StackContext, on_event: EventSink) -> StackRun:
        spec = ctx.stack
        if not spec.record.holds_data(self.config, spec.scope):
            return self.engine.run(operation, ctx, on_event)
        if operation == "destroy":
            if self.delete_data:
                self.engine.release_data(spec, None)
            return self.engine.run(operation, ctx, on_event)
        if operation == "refresh":
            return self.engine.run(operation, ctx, on_event)
        steps: list[ResourceStep] = []

        def seen(show: bool) -> EventSink:
            def sink(event: Event) -> None:
                if isinstance(event, ResourceStep):
                    steps.append(event)
                if show:
                    on_event(event)
            return sink

        if operation == "preview":
            run = self.engine.run("preview", ctx, seen(True))
            if replaced(steps) and not self.delete_data:
                raise refusal(spec.name, replaced(steps))
            return run
        # up: look first (a stack never deployed has nothing to replace), then change.
        if self._is_deployed(spec.name):
            self.engine.run("preview", ctx, seen(False))
            if replaced(steps) and not self.delete_data:
                raise refusal(spec.name, replaced(steps))
            if self.delete_data:
                urns = [s.urn for s in [*replaced(steps), *kept(steps)]]
                if urns:
                    self.engine.release_data(spec, urns)
        return self.engine.run("up", ctx, on_event)


def data_summary(config: ProjectConfig, graph: StackGraph) -> list[str]:
    """What ``--delete-data`` may delete in the selected stacks, a line each (for the confirmation)."""
    lines = []
    for spec in graph:
        if not spec.record.holds_data(config, spec.scope) or spec.environment is None:
            continue
        env = spec.environment
        if spec.kind == "storage":
            for name, data in config.data_in(env).items():
                if data.managed:
                    snapshot = " (a final snapshot is kept)" if data.kind in ("postgres", "mysql") else ""
                    contents = " and every object in it" if data.kind == "bucket" else ""
                    lines.append(f"{spec.name}: {name}, a {data.kind}{contents}{snapshot}")
            for owner in ([None] if config.addons else []) + [a for a, c in config.applications.items() if c.addons]:
                lines.append(f"{spec.name}: the CloudFormation stack of {owner or 'the environment'}'s addons")
        elif config.needs_file_system(env):
            lines.append(f"{spec.name}: the managed EFS file system and its files")
        if spec.kind == "environment" and config.environments[env].access_logs is True:
            lines.append(f"{spec.name}: the access-log bucket and its logs")
    return lines


def confirm_delete_data(project: str, lines: Sequence[str], *, typed: str | None,
                        stdin: TextIO | None = None, stderr: TextIO | None = None,
                        ask: Callable[[str], str] | None = None) -> None:
    """Go on only if the user typed the project's name (given as ``typed``, or asked for in a terminal).

    Raises :class:`UsageError` otherwise: a script passes ``--delete-data PROJECT``; a prompt with
    no terminal to answer it refuses, rather than deleting data on a default.
    """
    if typed is not None and typed != "":
        if typed != project:
            raise UsageError(f"--delete-data {typed}: that is not this project's name",
                             fix=f"type the project's name to delete its data: --delete-data {project}")
        return
    stdin = stdin or sys.stdin
    stderr = stderr or sys.stderr
    if not stdin.isatty():
        raise UsageError("--delete-data asks you to type the project's name, and there is no terminal to ask",
                         fix=f"give it on the command line: --delete-data {project}")
    listed = "\n".join(f"  {line}" for line in lines) or "  (the data these stacks hold or held)"
    stderr.write(f"This deletes data, which cannot be undone:\n{listed}\nand any data this run replaces, or that "
                 "ecsp.yaml no longer lists.\n")
    try:
        answer = (ask or input)(f"Type the project's name ({project}) to delete it: ")
    except EOFError:
        answer = ""
    if answer.strip() != project:
        raise UsageError("the name typed is not the project's: nothing was deleted",
                         fix=f"run it again and type {project}, or leave out --delete-data to keep the data")
