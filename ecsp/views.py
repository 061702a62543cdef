"""What commands print as rich renderables: the offline plan as a tree, the outputs and stack tables,
and :func:`console`, the console commands print with.

Deploy results render themselves (:mod:`ecsp.results`, :mod:`ecsp.progress`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ecsp.pipelines import PipelineModel
from ecsp.planner import Plan, PlannedResource, PlannedStack
from ecsp.styles import TYPE_STYLE, short_type

if TYPE_CHECKING:
    from ecsp.api import StackListing


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # Rich exits with status 1 when the reader goes away (`ecsp plan | head`), which reads as a
        # failure; raise instead, and ecsp.cli ends quietly with 141 (SIGPIPE), as for print().
        self.quiet = True
        raise BrokenPipeError


def console(**kwargs: Any) -> Console:
    return _Console(highlight=False, **kwargs)


def _heading(stack: PlannedStack) -> Text:
    # Every node of the tree counts (providers and stack references too), so the number matches
    # `plan --json` and `len(plan.stack(name).resources)`.
    label = Text.assemble((stack.spec.name, "bold"), f"  ({stack.spec.kind}, {len(stack.resources)} resources)")
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
            text.append("\n")
            text.append(under + (BRANCH if nested else LAST), style="tree.line")
            text.append(json.dumps(r.inputs, sort_keys=True, default=str), style="dim")
    return text


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
        totals[stack.spec.kind] += len(stack.resources)
    out.print(Group(Text(
        "total: " + ", ".join(f"{n} {kind} resources" for kind, n in totals.items()), style="bold")))


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def print_pipeline(model: PipelineModel, out: Console) -> None:
    """A pipeline as ecsp builds it: source, then each stage with its command and generated buildspec."""

    def say(text: str | Text) -> None:
        # Whole lines: a buildspec or a command cut at the terminal's edge could not be copied.
        out.print(text, soft_wrap=True)

    connection = model.connection or ("none (codecommit)" if model.source == "codecommit" else "")
    say(Text.assemble(("pipeline ", "bold"), (model.name, "bold"),
                      f"  {model.stack}: CodePipeline V2 {model.pipeline_name} in {model.region}"))
    say(f"  source: {model.source} {model.repository} branch {model.branch}; connection: {connection}")
    note = model.connection_pending_note
    if note:
        say(Text(f"  note: {note}", style="yellow"))
    for i, stage in enumerate(model.stages, 1):
        what = "the environment and " if stage.deploys_environment else ""
        apps = ", ".join(stage.applications) or "no applications"
        say(Text.assemble((f"  stage {i}: {stage.environment}", "bold"),
                          f" ({stage.region}{', ' + stage.account if stage.account else ''}): "
                          + ("manual approval, then " if stage.approval else "") + f"deploys {what}{apps}"))
        say(f"    runs: {stage.command}  (CodeBuild project {stage.build_project}, role {stage.deploy_role})")
        say(Text("    buildspec:", style="dim"))
        for line in stage.buildspec.splitlines():
            say(Text(f"      {line}", style="dim"))


def outputs_table(project: str, outputs: Mapping[str, Mapping[str, Any]]) -> Table:
    """Stack outputs (secrets already masked or revealed), one row per output, the stack named once."""
    table = Table("stack", "output", "value", title=f"outputs of {project}", title_justify="left")
    for name, values in outputs.items():
        for i, (key, value) in enumerate(sorted(values.items())):
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            table.add_row(name if i == 0 else "", key, shown)
    return table


STATUS_STYLES = {"deployed": "green", "not deployed": "dim", "empty": "dim"}  # anything else is worth a look


def stacks_table(project: str, rows: Sequence[StackListing]) -> Table:
    """``ecsp ls``: each stack with its status, last update and resource count."""
    # The stack's name says its kind (--json has it), and is never cut: the table fits 80 columns.
    table = Table(title=f"stacks of {project}", title_justify="left")
    table.add_column("stack", no_wrap=True)
    for column in ("status", "last update", "resources"):
        table.add_column(column)
    for r in rows:
        when = r.info.last_update.strftime("%Y-%m-%d %H:%M") if r.info and r.info.last_update else ""
        count = str(r.info.resource_count) if r.info and r.info.resource_count is not None else ""
        table.add_row(r.stack, Text(r.status, style=STATUS_STYLES.get(r.status, "yellow")), when, count)
    return table


def previews_table(rows: Sequence[StackListing]) -> Table | None:
    """``ecsp ls``: the preview environments among the stacks, what each is like and when it expires (or None)."""
    found = {r.environment: r for r in rows if r.preview is not None and r.kind == "environment"}
    if not found:
        return None
    table = Table(title="preview environments", title_justify="left")
    for column in ("environment", "like", "expires", "stacks deployed"):
        table.add_column(column)
    for env, r in sorted(found.items()):
        assert r.preview is not None
        expired = r.now is not None and r.preview.expired(r.now)
        when = r.preview.expires.strftime("%Y-%m-%d %H:%M UTC") + (" (expired)" if expired else "")
        deployed = sum(1 for x in rows if x.environment == env and x.info is not None and x.info.deployed)
        table.add_row(env, r.preview.like, Text(when, style="red" if expired else ""), str(deployed))
    return table
