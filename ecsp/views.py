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
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ecsp.pipelines import PipelineModel
from ecsp.planner import Plan, PlannedStack
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


def stack_tree(stack: PlannedStack, *, inputs: bool = False) -> Tree:
    spec = stack.spec
    # Every node of the tree counts (providers and stack references too), so the number matches
    # `plan --json` and `len(plan.stack(name).resources)`.
    label = Text.assemble((spec.name, "bold"), f"  ({spec.kind}, {len(stack.resources)} resources)")
    if spec.depends_on:
        # A line of its own: appended to the name it wraps mid-list at 80 columns.
        label.append(f"\n  after {', '.join(spec.depends_on)}", style="dim")
    tree = Tree(label)
    nodes: dict[str | None, Tree] = {None: tree}
    pending = list(stack.resources)
    # Parents are registered before children; loop until every resource found its branch.
    while pending:
        progressed = False
        for r in list(pending):
            if r.parent in nodes or r.parent is None:
                branch = nodes.get(r.parent, tree)
                text = Text.assemble((short_type(r.type), TYPE_STYLE), " ", r.name)
                if r.type.startswith("pulumi:"):
                    text.stylize("dim")
                node = branch.add(text)
                if inputs and r.inputs:
                    node.add(Text(json.dumps(r.inputs, sort_keys=True, default=str), style="dim"))
                nodes[f"{r.type}::{r.name}"] = node
                pending.remove(r)
                progressed = True
        if not progressed:  # orphaned parent reference: show at the root rather than loop
            for r in pending:
                tree.add(Text.assemble((short_type(r.type), TYPE_STYLE), " ", r.name))
            break
    return tree


def print_plan(plan: Plan, out: Console, *, inputs: bool = False) -> None:
    out.print(Text.assemble("Plan for project ", (plan.project, "bold"),
                            f": {len(plan.stacks)} stacks, in dependency order (offline, under mocks)"))
    for stack in plan.stacks:
        out.print(stack_tree(stack, inputs=inputs))
        for note in stack.notes:
            out.print(Text(f"  note: {note}", style="yellow"), soft_wrap=True)
    totals: Counter[str] = Counter()
    for stack in plan.stacks:
        totals[stack.spec.kind] += len(stack.resources)
    out.print(Group(Text(
        "total: " + ", ".join(f"{n} {kind} resources" for kind, n in totals.items()), style="bold")))


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
