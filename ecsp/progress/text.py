"""Words and numbers of progress output: verbs, durations, reasons and resource labels.

Shared by every reporter so that the live display, plain lines and the final summary say
the same thing the same way; signs, icons and colours are :mod:`ecsp.styles`.
"""

from __future__ import annotations

from ecsp.events import name_of_urn, type_of_urn
from ecsp.styles import short_type

# What a step is doing while in flight (Pulumi's getStepInProgressOpText).
IN_PROGRESS = {
    "create": "creating", "update": "updating", "delete": "deleting", "replace": "replacing",
    "create-replacement": "creating replacement", "delete-replaced": "deleting original",
    "read": "reading", "read-replacement": "reading replacement", "refresh": "refreshing",
    "import": "importing", "import-replacement": "importing replacement", "discard": "discarding",
    "discard-replaced": "discarding original", "remove-pending-replace": "removing pending replace",
    "same": "checking",
    "run": "running",  # a release command's task (ecsp.rollout): a step of the deploy, no resource
}
# What a finished step did.
DONE = {
    "create": "created", "update": "updated", "delete": "deleted", "replace": "replaced", "read": "read",
    "refresh": "refreshed", "import": "imported", "discard": "discarded", "same": "unchanged", "run": "ran",
}
# What a preview step would do.
PLANNED = {
    "create": "would create", "update": "would update", "delete": "would delete", "replace": "would replace",
    "read": "would read", "refresh": "would refresh", "import": "would import", "discard": "would discard",
    "same": "unchanged",
}

def in_progress(op: str, engine_op: str = "") -> str:
    return IN_PROGRESS.get(engine_op or op, f"{engine_op or op}ing")


def done(op: str, *, preview: bool = False) -> str:
    return (PLANNED if preview else DONE).get(op, op)


def reason(stack: str, why: str) -> str:
    """A stack's failure or skip reason without the stack's name in front: it is shown next to the name.

    Engine errors start with the stack (``shop-web/test: ...``) so they stand alone in logs and
    exceptions; beside the stack's own row that prefix only repeats it.
    """
    return why.removeprefix(f"{stack}: ")


def resource_count(n: int) -> str:
    """``1 resource``, ``12 resources``: the one way a stack's count of resources is said (plan, live, summary)."""
    return f"{n} resource{'' if n == 1 else 's'}"


def run_header(operation: str, project: str | None, finished: int, total: int, seconds: float) -> str:
    """``up shop · 5/9 stacks · 2m14s``: where a run stands, for the live header and plain status lines."""
    return f"{operation}{' ' + project if project else ''} · {finished}/{total} stacks · {duration(seconds)}"


def duration(seconds: float | None) -> str:
    """12s, 4m05s, 1h02m; empty for unknown."""
    if seconds is None:
        return ""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def clock(seconds: float) -> str:
    """Elapsed time since the run started, for plain-line timestamps: 00:12, 01:04:05."""
    whole = max(0, int(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def urn_label(urn: str) -> str:
    """``urn:pulumi:dev::p::aws:ecs/service:Service::web`` -> ``aws:ecs:Service web`` (the URN itself if odd)."""
    type_ = type_of_urn(urn)
    return f"{short_type(type_)} {name_of_urn(urn)}" if type_ else urn
