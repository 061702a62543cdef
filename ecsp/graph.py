"""The stack graph as data: project -> environments -> applications (-> workers subscribed to them).

Each node is a :class:`StackSpec`; edges are ``depends_on``. :func:`build` derives the
graph from a validated config, :func:`select` narrows it to targets, and
:func:`order` gives a dependency order (reversed for destroy).
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ecsp import naming
from ecsp.config import ProjectConfig
from ecsp.errors import UsageError


@dataclass(frozen=True)
class StackSpec:
    """One Pulumi stack ecsp manages."""

    kind: naming.Kind
    project: str
    environment: str | None = None
    application: str | None = None
    depends_on: tuple[str, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        """``<pulumi project>/<stack>``, e.g. ``shop-frontend/test``; unique in a project."""
        return naming.display_name(self.project, self.kind, self.environment, self.application)

    @property
    def pulumi_project(self) -> str:
        return naming.pulumi_project(self.project, self.kind, self.application)

    @property
    def stack(self) -> str:
        return naming.stack_name(self.kind, self.environment)

    def fully_qualified(self, organization: str | None) -> str:
        return naming.fully_qualified(organization, self.project, self.kind, self.environment, self.application)


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
        specs = [self[n] for n in ordered]
        return specs[::-1] if reverse else specs

    def dependents(self, name: str) -> list[StackSpec]:
        return [s for s in self.stacks if name in s.depends_on]


def build(config: ProjectConfig) -> StackGraph:
    project = config.project.name
    root = StackSpec("project", project)
    stacks = [root]
    for env in config.environments:
        stacks.append(StackSpec("environment", project, env, depends_on=(root.name,)))
    for env in config.environments:
        env_name = naming.display_name(project, "environment", env)
        for app, app_cfg in config.applications.items():
            # A worker subscribes to topics other applications' stacks create: those deploy first.
            publishers = tuple(dict.fromkeys(
                naming.display_name(project, "application", env, s.app)
                for s in app_cfg.subscribe if s.app != app))
            stacks.append(StackSpec("application", project, env, app,
                                    depends_on=(env_name, root.name, *publishers)))
    return StackGraph(tuple(stacks))


def select(
    graph: StackGraph,
    *,
    environments: Sequence[str] = (),
    applications: Sequence[str] = (),
    include_upstream: bool = True,
) -> StackGraph:
    """The stacks ``--env``/``--app`` targets name.

    No targets: everything. ``--env E``: E's environment stack and its applications.
    ``--app A``: A's stacks (in the selected environments). With ``include_upstream``
    (``up``, ``preview``) the stacks those depend on are added; destroy passes False so
    upstream stacks are never touched.
    """
    known_envs = {s.environment for s in graph if s.kind == "environment"}
    known_apps = {s.application for s in graph if s.kind == "application"}
    _check_known("environment", environments, known_envs)
    _check_known("application", applications, known_apps)
    if not environments and not applications:
        return graph

    def wanted(s: StackSpec) -> bool:
        env_ok = not environments or s.environment in environments
        if s.kind == "project":
            return False
        if s.kind == "environment":
            return env_ok and not applications
        return env_ok and (not applications or s.application in applications)

    chosen = {s.name for s in graph if wanted(s)}
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
