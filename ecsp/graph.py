"""The stack graph as data: project -> environments -> applications (and any other kind).

Each node is a :class:`StackSpec`; edges are ``depends_on``. :func:`build` derives the
graph from a validated config and the stack kinds (:mod:`ecsp.kinds`), :func:`select`
narrows it to targets, and :meth:`StackGraph.order` gives a dependency order (reversed for
destroy).
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ecsp import kinds, naming
from ecsp.config import ProjectConfig
from ecsp.errors import UsageError
from ecsp.kinds import Scope, StackKind, Targets


@dataclass(frozen=True)
class StackSpec:
    """One Pulumi stack ecsp manages: a kind (:mod:`ecsp.kinds`) in a scope."""

    kind: str
    project: str
    environment: str | None = None
    application: str | None = None
    instance: str | None = None
    depends_on: tuple[str, ...] = field(default=(), compare=False)
    # Tags beyond the kind's ``ecsp:*`` ones (a preview environment's record), as (key, value) pairs.
    labels: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def record(self) -> StackKind:
        return kinds.of(self.kind)

    @property
    def scope(self) -> Scope:
        return Scope(self.environment, self.application, self.instance)

    @property
    def name(self) -> str:
        """``<pulumi project>/<stack>``, e.g. ``shop-frontend/test``; unique in a project."""
        return naming.display_name(self.pulumi_project, self.stack)

    @property
    def pulumi_project(self) -> str:
        return self.record.pulumi_project(self.project, self.scope)

    @property
    def stack(self) -> str:
        return self.record.stack(self.scope)

    def fully_qualified(self, organization: str | None) -> str:
        return naming.fully_qualified(organization, self.name)

    def tags(self) -> dict[str, str]:
        """The stack's tags in the state backend: its kind's ``ecsp:*`` tags and its labels."""
        return {**self.resource_tags(), **dict(self.labels)}

    def resource_tags(self) -> dict[str, str]:
        """The tags of the stack's AWS resources: its kind's ``ecsp:*`` tags (labels change, as an expiry
        does, and would update every resource)."""
        return self.record.tags(self.project, self.scope)


@dataclass(frozen=True)
class StackGraph:
    stacks: tuple[StackSpec, ...]

    def __getitem__(self, name: str) -> StackSpec:
        for s in self.stacks:
            if s.name == name:
                return s
        raise KeyError(name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.stacks)

    def __len__(self) -> int:
        return len(self.stacks)

    def names(self) -> list[str]:
        return [s.name for s in self.stacks]

    def order(self, *, reverse: bool = False) -> list[StackSpec]:
        """A deterministic dependency order (dependencies first; dependents first with ``reverse``)."""
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        present = {s.name for s in self.stacks}
        for s in self.stacks:
            sorter.add(s.name, *(d for d in s.depends_on if d in present))
        position = {s.name: i for i, s in enumerate(self.stacks)}
        ordered: list[str] = []
        sorter.prepare()
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=position.__getitem__)
            ordered.extend(ready)
            sorter.done(*ready)
        by_name = {s.name: s for s in self.stacks}  # not self[n]: a scan per name is quadratic (5x100: 506 stacks)
        specs = [by_name[n] for n in ordered]
        return specs[::-1] if reverse else specs

    def dependents(self, name: str) -> list[StackSpec]:
        return [s for s in self.stacks if name in s.depends_on]

    def downstream(self, name: str) -> list[StackSpec]:
        """Every stack that depends on ``name``, directly or through others, in graph order."""
        found: set[str] = set()
        frontier = [name]
        while frontier:
            for s in self.dependents(frontier.pop()):
                if s.name not in found:
                    found.add(s.name)
                    frontier.append(s.name)
        return [s for s in self.stacks if s.name in found]


def node(config: ProjectConfig, kind: StackKind, scope: Scope,
         labels: Mapping[str, Mapping[str, str]] | None = None) -> StackSpec:
    """The stack of ``kind`` in ``scope``, with the stacks its kind says it depends on.

    ``labels``: extra tags by environment, for every stack of that environment.
    """
    project = config.project.name
    upstream = tuple(kinds.of(other).display_name(project, where) for other, where in kind.upstream(config, scope))
    extra = tuple(sorted((labels or {}).get(scope.environment or "", {}).items()))
    return StackSpec(kind.name, project, scope.environment, scope.application, scope.instance, upstream, extra)


def build(config: ProjectConfig, labels: Mapping[str, Mapping[str, str]] | None = None) -> StackGraph:
    """Every stack of the project, kind by kind, with its upstream edges (and ``labels``, see :func:`node`)."""
    return StackGraph(tuple(node(config, kind, scope, labels) for kind in kinds.KINDS.values()
                            for scope in kind.instances(config)))


def select(
    graph: StackGraph,
    *,
    environments: Sequence[str] = (),
    applications: Sequence[str] = (),
    include_upstream: bool = True,
    with_opt_in: bool = False,
) -> StackGraph:
    """The stacks ``--env``/``--app`` targets name.

    No targets: everything but the stacks of opt-in kinds (the pipelines), which
    ``with_opt_in`` adds. Otherwise each kind decides which of its stacks the targets name
    (``--env E``: E's environment stack and its applications; ``--app A``: A's stacks in the
    selected environments); ``with_opt_in`` cannot be combined with targets, since no target
    names an opt-in stack. With ``include_upstream`` (``up``, ``preview``) the stacks those
    depend on are added; destroy passes False so upstream stacks are never touched.
    """
    _check_known("environment", environments, {s.environment for s in graph})
    _check_known("application", applications, {s.application for s in graph})
    if not environments and not applications:
        return StackGraph(tuple(s for s in graph if with_opt_in or not s.record.opt_in))
    if with_opt_in:
        labels = sorted({s.record.label or s.kind for s in graph if s.record.opt_in}) or ["pipeline"]
        raise UsageError(f"--with-{labels[0]} takes the whole project; --env and --app never select "
                         f"{labels[0]} stacks", fix=f"run it without --env/--app, or leave --with-{labels[0]} out")
    targets = Targets(tuple(environments), tuple(applications))
    chosen = {s.name for s in graph if s.record.selected(targets, s.scope)}
    if include_upstream:
        frontier = list(chosen)
        while frontier:
            for dep in graph[frontier.pop()].depends_on:
                if dep not in chosen:
                    chosen.add(dep)
                    frontier.append(dep)
    return StackGraph(tuple(s for s in graph if s.name in chosen))


def _check_known(kind: str, asked: Iterable[str], known: set[str | None]) -> None:
    for name in asked:
        if name not in known:
            listed = ", ".join(sorted(k for k in known if k)) or "none"
            raise UsageError(f"no {kind} named '{name}' in ecsp.yaml", fix=f"use one of: {listed}")
