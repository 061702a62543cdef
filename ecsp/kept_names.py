"""What `plan` says about names a deployed stack keeps: resources created before ecsp marked its names.

ecsp's physical names of some kinds changed when they were marked apart from Copilot's
(:attr:`ecsp.naming.NamedKind.kept`); a stack deployed before keeps the name it has, because
the program ignores changes to it (``stacks._aws.keeps_name``: a new name would replace the
resource, an ECR repository with its images). The offline plan computes the new names, so
for a stack whose state ecsp can read without the CLI (a file backend's checkpoint), each
planned resource of such a kind is compared with the deployed one, and a note gives the name
it keeps. Other backends are not read: `ecsp preview` shows the same through the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecsp import naming
from ecsp.planner import PlannedStack


def kept_name_notes(stack: PlannedStack, deployed: Iterable[Mapping[str, Any]]) -> list[str]:
    """One note per resource of ``stack`` whose deployed twin (same type and logical name, in ``deployed``:
    the checkpoint's resources) has another physical name, which it keeps."""
    names: dict[tuple[str, str], str] = {}
    for resource in deployed:
        kind = naming.named_kind(str(resource.get("type")))
        if kind is None or not kind.kept:
            continue
        state = {**(resource.get("inputs") or {}), **(resource.get("outputs") or {})}
        name = state.get(kind.name_input)
        if isinstance(name, str):
            names[(kind.resource_type, str(resource.get("urn", "")).rsplit("::", 1)[-1])] = name
    notes = []
    for planned in stack.resources:
        kind = naming.named_kind(planned.type)
        new = planned.inputs.get(kind.name_input) if kind is not None and kind.kept else None
        old = names.get((planned.type, planned.name))
        if kind is not None and isinstance(new, str) and old is not None and old != new:
            notes.append(f"{kind.label} {old} keeps its name: it was deployed before ecsp marked its names, and "
                         f"renaming it would replace it; a new stack gets {new}")
    return notes


__all__ = ["kept_name_notes"]
