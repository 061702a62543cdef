"""What commands print as rich renderables: the offline plan as a tree, the outputs table,
and :func:`console`, the console commands print with.

Deploy results render themselves (:mod:`ecsp.results`, :mod:`ecsp.progress`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ecsp.planner import Plan, PlannedResource, PlannedStack
from ecsp.styles import TYPE_STYLE, short_type


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # Rich exits with status 1 when the reader goes away (`ecsp plan | head`), which reads as a
        # failure; raise instead, and ecsp.cli ends quietly with 141 (SIGPIPE), as for print().
        self.quiet = True
        raise BrokenPipeError


def console(**kwargs: Any) -> Console:
    return _Console(highlight=False, **kwargs)


def _heading(stack: PlannedStack) -> Text:
    # Counted as the progress display and the notebook count them: the providers aside (the tree shows them).
    label = Text.assemble((stack.spec.name, "bold"), f"  ({stack.spec.kind}, {stack.resource_count} resources)")
    marks = [mark for mark, on in (("upstream", stack.upstream), ("from the cache", stack.cached)) if on]
    if marks:
        label.append(f"  {', '.join(marks)}", style="dim")
    return label


# The guides rich's Tree draws: a branch, the last branch, and the columns under them.
BRANCH, LAST, PASSING, AFTER_LAST = "├── ", "└── ", "│   ", "    "


def stack_tree(stack: PlannedStack, *, inputs: bool = False) -> Text:
    """The stack's resources as a tree under its heading, as rich's ``Tree`` draws one.

    Drawn as lines of one ``Text``, not with ``Tree``: a plan of 500 stacks is 15,000 lines,
    and ``Tree`` lays each one out again (three times the time of the whole plan read back
    from the cache).
    """
    spec = stack.spec
    text = _heading(stack)
    if spec.depends_on:
        # A line of its own: appended to the name it wraps mid-list at 80 columns.
        text.append(f"\n  after {', '.join(spec.depends_on)}", style="dim")
    children: dict[str | None, list[PlannedResource]] = {}
    for r in stack.resources:  # parents are registered before their children
        children.setdefault(r.parent, []).append(r)
    # A resource whose parent is not in the stack (or under such a one) is shown at the root,
    # after the others, rather than lost.
    reached: set[int] = set()
    frontier: list[str | None] = [None]
    while frontier:
        for r in children.get(frontier.pop(), []):
            reached.add(id(r))
            frontier.append(f"{r.type}::{r.name}")
    orphans = [r for r in stack.resources if id(r) not in reached]
    rows: list[tuple[str, PlannedResource, str]] = []  # guide, resource, the guide of what is under it

    def walk(parent: str | None, prefix: str, more: bool) -> None:
        below = children.get(parent, [])
        for i, r in enumerate(below):
            under = prefix + (PASSING if i < len(below) - 1 or more else AFTER_LAST)
            rows.append((prefix + (BRANCH if under.endswith(PASSING) else LAST), r, under))
            walk(f"{r.type}::{r.name}", under, False)

    walk(None, "", bool(orphans))
    rows += [(LAST if i == len(orphans) - 1 else BRANCH, r, "") for i, r in enumerate(orphans)]
    for guide, r, under in rows:
        dim = r.type.startswith("pulumi:")
        text.append("\n")
        text.append(guide, style="tree.line")
        text.append(short_type(r.type), style="dim" if dim else TYPE_STYLE)
        text.append(f" {r.name}", style="dim" if dim else "")
        if inputs and r.inputs and under:
            nested = bool(children.get(f"{r.type}::{r.name}"))
            for i, line in enumerate(pretty_inputs(r.inputs).splitlines()):
                text.append("\n")
                lead = (BRANCH if nested else LAST) if i == 0 else (PASSING if nested else AFTER_LAST)
                text.append(under + lead, style="tree.line")
                text.append(line, style="dim")
    return text


def pretty_inputs(inputs: Mapping[str, Any]) -> str:
    """A resource's inputs as indented JSON; inputs that are JSON documents in a string (policies, container
    definitions) are shown as the documents they hold, not as one line of escaped quotes."""

    def unpacked(value: Any) -> Any:
        if isinstance(value, str) and value[:1] in "{[":
            try:
                return unpacked(json.loads(value))
            except ValueError:
                return value
        if isinstance(value, Mapping):
            return {k: unpacked(v) for k, v in value.items()}
        if isinstance(value, list):
            return [unpacked(v) for v in value]
        return value

    return json.dumps(unpacked(inputs), indent=2, sort_keys=True, default=str)


def print_plan(plan: Plan, out: Console, *, inputs: bool = False) -> None:
    """The stacks asked for as trees; a stack planned only for its outputs (upstream) as one line."""
    shown = [stack for stack in plan.stacks if not stack.upstream]
    cached = sum(stack.cached for stack in plan.stacks)
    out.print(Text.assemble("Plan for project ", (plan.project, "bold"),
                            f": {_count(len(shown), 'stack')}, in dependency order (offline, under mocks)"))
    upstream = len(plan.stacks) - len(shown)
    if upstream:
        out.print(Text(f"and {_count(upstream, 'upstream stack')}, planned for their outputs (one line each)",
                       style="dim"))
    if cached:
        out.print(Text(f"{cached} of {len(plan.stacks)} read back from .ecsp/plans: unchanged since planned "
                       "(--no-cache replans)", style="dim"))
    for stack in plan.stacks:
        if stack.upstream:
            out.print(_heading(stack))
            continue
        out.print(stack_tree(stack, inputs=inputs), soft_wrap=True)
        for note in stack.notes:
            # Wrapped at the console's width (a note is a sentence), each line indented under "note:".
            out.print(Padding(Text(f"note: {note}", style="yellow"), (0, 0, 0, 2)))
    totals: Counter[str] = Counter()
    for stack in shown:
        totals[stack.spec.kind] += stack.resource_count
    out.print(Group(Text(
        "total: " + ", ".join(f"{n} {kind} resources" for kind, n in totals.items()), style="bold")))


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def outputs_table(project: str, outputs: Mapping[str, Mapping[str, Any]]) -> Table:
    """Stack outputs (secrets already masked or revealed), one row per output, the stack named once."""
    table = Table("stack", "output", "value", title=f"outputs of {project}", title_justify="left")
    for name, values in outputs.items():
        for i, (key, value) in enumerate(sorted(values.items())):
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            table.add_row(name if i == 0 else "", key, shown)
    return table
