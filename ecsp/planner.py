"""The offline plan: every stack's program evaluated in-process under Pulumi's mocks.

No account, no credentials, no pulumi CLI. Stacks run in dependency order; a
downstream program's ``StackReference`` reads get the outputs its upstream program
produced under the same mocks, so the plan shows the real wiring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecsp import graph as graphs
from ecsp import mocks, notes
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator, StackContext
from ecsp.graph import StackGraph, StackSpec
from ecsp.programs import Programs


@dataclass
class PlannedResource:
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    region: str | None = None  # where its provider places it (None: a component or a stack reference)
    handles: tuple[str, ...] = ()  # its id, ARN and name under the mocks, as other resources' inputs carry them
    provider: str | None = None  # "type::name" of its explicit provider (its region and credentials)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "parent": self.parent, "inputs": self.inputs}


@dataclass
class PlannedStack:
    spec: StackSpec
    resources: list[PlannedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # replacements and deletions to know of (ecsp.notes)

    def to_json(self) -> dict[str, Any]:
        s = self.spec
        out = {"name": s.name, "kind": s.kind, "environment": s.environment, "application": s.application,
               "depends_on": list(s.depends_on), "resources": [r.to_json() for r in self.resources],
               "outputs": self.outputs}
        if self.notes:  # only when there are some: documents of existing configs stay as they were
            out["notes"] = list(self.notes)
        return out


@dataclass
class Plan:
    project: str
    stacks: list[PlannedStack]

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "stacks": [s.to_json() for s in self.stacks]}

    def stack(self, name: str) -> PlannedStack:
        for s in self.stacks:
            if s.spec.name == name:
                return s
        raise KeyError(name)


def plan_stack(
    config: ProjectConfig,
    spec: StackSpec,
    upstream_outputs: dict[str, dict[str, Any]] | None = None,
    *,
    programs: Programs,
    local: LocalEmulator | None = None,
) -> tuple[mocks.Recording, PlannedStack]:
    """Evaluate one stack's program under mocks, in the account and region its kind places it."""
    ctx = StackContext(config=config, stack=spec, organization=config.state.organization, local=local)
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


def plan(config: ProjectConfig, programs: Programs, selection: StackGraph | None = None) -> Plan:
    """Plan every stack of ``selection`` (default: the whole project) in dependency order."""
    graph = selection if selection is not None else graphs.build(config)
    outputs: dict[str, dict[str, Any]] = {}
    planned: list[PlannedStack] = []
    for spec in graph.order():
        _, stack = plan_stack(config, spec, outputs, programs=programs)
        outputs[spec.fully_qualified(config.state.organization)] = stack.outputs
        planned.append(stack)
    return Plan(config.project.name, planned)
