"""The offline plan: every stack's program evaluated in-process under Pulumi's mocks.

No account, no credentials, no pulumi CLI. Stacks run in dependency order; a
downstream program's ``StackReference`` reads get the outputs its upstream program
produced under the same mocks, so the plan shows the real wiring.

With a :class:`~ecsp.plancache.PlanCache`, a stack whose key (its code, settings and
upstream outputs) did not change since it was last planned is read back, not planned; the
plan says which (``cached``). Stacks selected only because a target reads their outputs are
marked ``upstream``: planned (or read back) for those outputs, shown as one line.
Pulumi and the mocks are imported only when a stack has to be planned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecsp import graph as graphs
from ecsp import notes
from ecsp.addons import Addons
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator, StackContext
from ecsp.events import hidden_type
from ecsp.graph import StackGraph, StackSpec
from ecsp.notebook import Renders, details, html
from ecsp.plancache import Entry, PlanCache
from ecsp.programs import Programs
from ecsp.styles import TYPE_STYLE, short_type

if TYPE_CHECKING:
    from ecsp import mocks

STACK_REFERENCE = "pulumi:pulumi:StackReference"


@dataclass
class PlannedResource:
    type: str  # Pulumi's type token, aws:ecs/taskDefinition:TaskDefinition (short_type: as the CLI shows it)
    name: str
    parent: str | None
    inputs: dict[str, Any]
    region: str | None = None  # where its provider places it (None: a component or a stack reference)
    handles: tuple[str, ...] = ()  # its id, ARN and name under the mocks, as other resources' inputs carry them
    provider: str | None = None  # "type::name" of its explicit provider (its region and credentials)

    @property
    def short_type(self) -> str:
        """``aws:ecs:TaskDefinition``: the type as ``ecsp plan`` and the progress display show it."""
        return short_type(self.type)

    def is_a(self, type_: str) -> bool:
        """Whether this resource is of ``type_``, given as the CLI shows it or as Pulumi's full token."""
        return type_ in (self.type, self.short_type)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "parent": self.parent, "inputs": self.inputs}

    def kept(self) -> dict[str, Any]:
        """Every field, as the plan cache keeps it (:meth:`restored` reads it back)."""
        return dataclasses.asdict(self)

    @classmethod
    def restored(cls, kept: dict[str, Any]) -> PlannedResource:
        return cls(**{**kept, "handles": tuple(kept["handles"])})


@dataclass
class PlannedStack:
    spec: StackSpec
    resources: list[PlannedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # replacements and deletions to know of (ecsp.notes)
    cached: bool = False  # read back from the plan cache, not planned in this run
    upstream: bool = False  # not asked for: planned for the outputs a stack that was asked for reads

    @property
    def resource_count(self) -> int:
        """Its resources as the progress display counts them: every one but the providers (``resources`` has all)."""
        return sum(1 for r in self.resources if not hidden_type(r.type))

    def of_type(self, type_: str) -> list[PlannedResource]:
        """The resources of ``type_``: ``aws:ecs:TaskDefinition`` (as the CLI shows it) or Pulumi's full token."""
        return [r for r in self.resources if r.is_a(type_)]

    def to_json(self) -> dict[str, Any]:
        s = self.spec
        out: dict[str, Any] = {
            "name": s.name, "kind": s.kind, "environment": s.environment, "application": s.application,
            "depends_on": list(s.depends_on), "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs}
        # Each only when set: documents of plans without them stay as they were.
        if self.notes:
            out["notes"] = list(self.notes)
        if self.cached:
            out["cached"] = True
        if self.upstream:
            out["upstream"] = True
        return out

    @property
    def references(self) -> list[str]:
        """The stacks whose outputs the program read (``StackReference`` names, fully qualified)."""
        return [str(r.inputs.get("name") or r.name) for r in self.resources if r.type == STACK_REFERENCE]


@dataclass(repr=False)
class Plan(Renders):
    """Every selected stack's resources, offline. Renders in rich and Jupyter: a table of stacks, each
    stack's resources folded under it (``ecsp plan`` prints them as trees)."""

    project: str
    stacks: list[PlannedStack]

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "stacks": [s.to_json() for s in self.stacks]}

    def stack(self, name: str) -> PlannedStack:
        for s in self.stacks:
            if s.spec.name == name:
                return s
        raise KeyError(name)

    def summary(self) -> str:
        return (f"Plan for {self.project}: {len(self.stacks)} stacks, "
                f"{sum(s.resource_count for s in self.stacks)} resources")

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.summary(), title_justify="left", title_style="bold")
        for column in ("stack", "kind", "resources", "after"):
            table.add_column(column, overflow="fold")
        for s in self.stacks:
            table.add_row(s.spec.name, s.spec.kind, str(s.resource_count), ", ".join(s.spec.depends_on))
        notes = [Text(f"note: {s.spec.name}: {note}", style="yellow") for s in self.stacks for note in s.notes]
        return Group(table, *notes)

    def _repr_html_(self) -> str:
        from rich.text import Text

        folded = []
        for s in self.stacks:
            lines = Text()
            for r in s.resources:
                lines.append(f"{r.short_type}", style=TYPE_STYLE)
                lines.append(f" {r.name}" + (f"  (in {r.parent.split('::')[-1]})" if r.parent else "") + "\n")
            folded.append(details(f"{s.spec.name}: {s.resource_count} resources", html(lines)))
        return html(self.__rich__()) + "".join(folded)


def plan_stack(
    config: ProjectConfig,
    spec: StackSpec,
    upstream_outputs: dict[str, dict[str, Any]] | None = None,
    *,
    programs: Programs,
    local: LocalEmulator | None = None,
    addons: Addons | None = None,
) -> tuple[mocks.Recording, PlannedStack]:
    """Evaluate one stack's program under mocks, in the account and region its kind places it."""
    from ecsp import mocks
    from ecsp.aws_imports import load_on_demand

    load_on_demand(programs.aws_modules)  # each resource's module loads when the program first uses it
    ctx = StackContext(config=config, stack=spec, organization=config.state.organization, local=local,
                       addons=dict(addons or {}))
    where = ctx.placement
    recording = mocks.run(
        programs.program_for(ctx),
        mocks.AwsMocks(account=where.account or mocks.DEFAULT_ACCOUNT, region=where.region,
                       stack_outputs=upstream_outputs or {}),
        project=spec.pulumi_project,
        stack=spec.stack,
    )
    by_urn = {n.urn: n for n in recording.nodes}
    resources = []
    for n in recording.nodes:
        parent = by_urn.get(n.parent or "")
        provider = by_urn.get(n.provider.rsplit("::", 1)[0]) if n.provider else None
        resources.append(PlannedResource(n.type, n.name, f"{parent.type}::{parent.name}" if parent else None,
                                         n.inputs, n.region, n.handles,
                                         f"{provider.type}::{provider.name}" if provider else None))
    return recording, PlannedStack(spec, resources, recording.outputs, notes.stack_notes(config, spec))


def plan(config: ProjectConfig, programs: Programs, selection: StackGraph | None = None, *,
         cache: PlanCache | None = None, targets: Collection[str] | None = None, addons: Addons | None = None) -> Plan:
    """Plan every stack of ``selection`` (default: the whole project) in dependency order.

    ``cache``: read back the stacks whose key did not change, and keep the others' plans.
    ``targets``: the stacks asked for (default: all); the others are marked ``upstream``.
    ``addons``: the project's CloudFormation addons (:func:`ecsp.addons.load`), when it has any.
    """
    graph = selection if selection is not None else graphs.build(config)
    asked = None if targets is None else set(targets)
    outputs: dict[str, dict[str, Any]] = {}
    planned: list[PlannedStack] = []
    for spec in graph.order():
        stack = _plan_or_read(config, spec, outputs, programs, cache, addons)
        stack.upstream = asked is not None and spec.name not in asked
        outputs[spec.fully_qualified(config.state.organization)] = stack.outputs
        planned.append(stack)
    return Plan(config.project.name, planned)


def _settings(config: ProjectConfig, spec: StackSpec, programs: Programs, addons: Addons | None) -> dict[str, Any]:
    """What of ``config`` (and of the project's addons) shapes the plan of ``spec``, for its cache key."""
    # Every program reads where its stack runs (its provider's region, account and credentials).
    settings: dict[str, Any] = {"reads": programs.settings_read(config, spec),
                                "placement": spec.record.placement(config, spec.scope)}
    if addons:
        # Addons are files, not settings: their templates and parameters key every stack of a project
        # with any (the storage stack deploys them, applications route their outputs).
        settings["addons"] = addons
    return settings


def _plan_or_read(config: ProjectConfig, spec: StackSpec, outputs: dict[str, dict[str, Any]], programs: Programs,
                  cache: PlanCache | None, addons: Addons | None) -> PlannedStack:
    if cache is None:
        return plan_stack(config, spec, outputs, programs=programs, addons=addons)[1]
    organization = config.state.organization
    settings = _settings(config, spec, programs, addons)
    kept = cache.lookup(spec, settings, organization, outputs)
    if kept is not None:
        resources = [PlannedResource.restored(r) for r in kept.resources]
        return PlannedStack(spec, resources, kept.outputs, notes.stack_notes(config, spec), cached=True)
    stack = plan_stack(config, spec, outputs, programs=programs, addons=addons)[1]
    cache.store(spec, settings, organization, stack.references, outputs,
                Entry([r.kept() for r in stack.resources], stack.outputs))
    return stack


def kept_resource_counts(config: ProjectConfig, programs: Programs, graph: StackGraph,
                         cache: PlanCache, addons: Addons | None = None) -> dict[str, int]:
    """How many resources each stack of ``graph`` has, as its plan in ``cache`` says (counted as
    :attr:`PlannedStack.resource_count`), for the stacks whose kept plan still holds.

    Nothing is planned: a stack whose plan is missing or stale is left out, and so are the stacks
    that read its outputs (their keys need them). ``graph`` should hold the upstream stacks of
    the stacks wanted, deployed or not, since their plans hold the outputs the others read.
    """
    organization = config.state.organization
    outputs: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for spec in graph.order():
        kept = cache.lookup(spec, _settings(config, spec, programs, addons), organization, outputs)
        if kept is None:
            continue
        outputs[spec.fully_qualified(organization)] = kept.outputs
        counts[spec.name] = sum(1 for r in kept.resources if not hidden_type(str(r.get("type", ""))))
    return counts
