"""The offline plan: every stack's program evaluated in-process under Pulumi's mocks.

No account, no credentials, no pulumi CLI. Stacks run in dependency order; a
downstream program's ``StackReference`` reads get the outputs its upstream program
produced under the same mocks, so the plan shows the real wiring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecsp import graph as graphs
from ecsp import mocks
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

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "parent": self.parent, "inputs": self.inputs}


@dataclass
class PlannedStack:
    spec: StackSpec
    resources: list[PlannedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        s = self.spec
        return {"name": s.name, "kind": s.kind, "environment": s.environment, "application": s.application,
                "depends_on": list(s.depends_on), "resources": [r.to_json() for r in self.resources],
                "outputs": self.outputs}


@dataclass
class Plan:
    project: str
    stacks: list[PlannedStack]
    notes: list[str] = field(default_factory=list)  # what the plan cannot show: replacements on a change

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"project": self.project, "stacks": [s.to_json() for s in self.stacks]}
        if self.notes:
            doc["notes"] = list(self.notes)
        return doc

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
        resources.append(PlannedResource(n.type, n.name, f"{parent.type}::{parent.name}" if parent else None,
                                         n.inputs))
    return recording, PlannedStack(spec, resources, recording.outputs)


def notes(config: ProjectConfig, environments: list[str] | None = None) -> list[str]:
    """Warnings about changes AWS can only make by replacement, for the environments that risk them.

    A plan shows what a stack would contain, not how it would change from what is deployed; an
    environment on an existing VPC is the one setting whose change (to or from ``network.vpc``)
    replaces the load balancer, the security groups and every service, so plan says so up front.
    """
    out = []
    for env, cfg in config.environments.items():
        if environments is not None and env not in environments:
            continue
        if cfg.network.vpc is not None:
            out.append(f"environment '{env}' uses the existing VPC {cfg.network.vpc.id}: changing network.vpc (to "
                       "another VPC, or to one ecsp creates) replaces its load balancer, its security groups and "
                       "every application's service and target group")
    return out


def plan(config: ProjectConfig, programs: Programs, selection: StackGraph | None = None) -> Plan:
    """Plan every stack of ``selection`` (default: the whole project) in dependency order."""
    graph = selection if selection is not None else graphs.build(config)
    outputs: dict[str, dict[str, Any]] = {}
    planned: list[PlannedStack] = []
    for spec in graph.order():
        _, stack = plan_stack(config, spec, outputs, programs=programs)
        outputs[spec.fully_qualified(config.state.organization)] = stack.outputs
        planned.append(stack)
    envs = sorted({s.environment for s in graph.order() if s.environment is not None}) if selection else None
    return Plan(config.project.name, planned, notes(config, envs))
