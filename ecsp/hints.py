"""What a Copilot user writes or types out of habit, and what ecsp calls it: one table of hints.

Read by the config explainer (an unknown key in ecsp.yaml: ``type: Backend Service``,
``count: {range: 1-10}``, ``http:``) and by the command line (an unknown command: ``ecsp
deploy``). Imports nothing of ecsp, so both may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# Copilot's workload types and the application kind ecsp gives each (the importer reads it too).
COPILOT_KINDS = {"Load Balanced Web Service": "web", "Backend Service": "backend", "Worker Service": "worker",
                 "Scheduled Job": "job"}

# Copilot's commands, and what does that job in ecsp.
COPILOT_COMMANDS = {
    "deploy": "Copilot's `deploy` is `ecsp up` here (`ecsp up --app NAME --env NAME` for one application)",
    "svc": "Copilot's `svc deploy|status|logs|show` are `ecsp up --app NAME`, `ecsp status`, `ecsp logs` and "
           "`ecsp show` here",
    "env": "Copilot's `env deploy|ls|show` are `ecsp up --env NAME`, `ecsp ls` and `ecsp show` here",
    "app": "Copilot's `app ls|show|delete` are `ecsp ls`, `ecsp show` and `ecsp destroy` here",
    "job": "Copilot's `job run` is `ecsp run JOB --env NAME` here",
    "task": "Copilot's `task run` is `ecsp run JOB --env NAME` here, for a job of ecsp.yaml",
    "storage": "storage is part of ecsp.yaml here (an application's storage:), deployed with `ecsp up`",
}


def _kind(value: Any) -> str:
    kind = COPILOT_KINDS.get(str(value).strip())
    if kind is not None:
        return f"Copilot's `type: {value}` is `kind: {kind}` in ecsp"
    return "Copilot's `type:` is `kind:` in ecsp: kind: web | backend | worker | job"


def _range(value: Any) -> str:
    found = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(value)) if isinstance(value, str | int) else None
    if found:
        return f"Copilot's `count: {{range: {value}}}` is `count: {{min: {found[1]}, max: {found[2]}}}` in ecsp"
    return "Copilot's `count: {range: ...}` is `count: {min: N, max: M}` in ecsp"


# The end of an unknown key's path in an application (``applications.<app>...`` or its per-environment
# overrides), and the hint for what was written there.
APPLICATION_KEYS: dict[tuple[str, ...], Callable[[Any], str]] = {
    ("type",): _kind,
    ("count", "range"): _range,
    ("http",): lambda value: "Copilot's `http:` block is flat in ecsp: path, healthcheck, deregistration_delay "
                             "and aliases sit right under the application",
    ("network",): lambda value: "Copilot's `network:` settings are flat in ecsp: placement and connect sit right "
                                "under the application",
    ("on",): lambda value: "Copilot's `on: {schedule: ...}` is `schedule:` in ecsp (kind: job)",
    ("name",): lambda value: "an application's name is its key under applications:; this looks like a Copilot "
                             "manifest (`ecsp import copilot` converts a workspace)",
}


def config_key(loc: Sequence[str | int], value: Any) -> str | None:
    """The hint for an unknown key at ``loc`` of ecsp.yaml that Copilot users write out of habit, if any."""
    path = tuple(str(part) for part in loc)
    if len(path) < 3 or path[0] != "applications":
        return None
    for suffix, hint in APPLICATION_KEYS.items():
        if path[-len(suffix):] == suffix:
            return hint(value)
    return None


def habits(unknown: Iterable[tuple[tuple[str | int, ...], Any]]) -> dict[tuple[str | int, ...], str]:
    """Of unknown keys (where, value written), those Copilot users write out of habit, with ecsp's word for each."""
    return {loc: hint for loc, value in unknown if (hint := config_key(loc, value)) is not None}


def command(word: str) -> str | None:
    """The hint for a command Copilot users type (``ecsp deploy``), if any."""
    return COPILOT_COMMANDS.get(word)


__all__ = ["APPLICATION_KEYS", "COPILOT_COMMANDS", "COPILOT_KINDS", "command", "config_key", "habits"]
