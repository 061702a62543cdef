"""Which stacks a run takes, which it skips (with the reason), and the destroys it refuses, before anything starts.

``up`` and ``preview`` take the selected stacks and the upstream stacks they need: one never
deployed is deployed first, one that exists is read as it is (unless ``with_upstream``);
``preview`` skips a stack whose upstream was never deployed. ``destroy`` and ``refresh`` take
the selection alone, and ``destroy`` refuses to delete a stack that deployed stacks outside
it still use, or an environment whose VPC would keep a database or cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ecsp import graph as graphs
from ecsp import kinds, naming
from ecsp.config import ProjectConfig
from ecsp.engine import Engine, StackInfo
from ecsp.errors import UsageError
from ecsp.events import Operation
from ecsp.graph import StackGraph


class Project(Protocol):
    """What choosing stacks needs of a project (:class:`ecsp.api.Project` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> ProjectConfig: ...

    def stacks(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
               include_upstream: bool = True, with_pipeline: bool = False) -> StackGraph: ...


def belongs_to(stack: str, project: str) -> bool:
    """Whether a backend stack name (``<pulumi project>/<stack>``) is one of ``project``'s."""
    return naming.parse_display_name(project, stack) is not None


def select(project: Project, engine: Engine, operation: Operation, env: str | Sequence[str] | None,
           app: str | Sequence[str] | None, with_upstream: bool,
           with_pipeline: bool = False, *, delete_data: bool = False) -> tuple[StackGraph, dict[str, str]]:
    """The stacks an operation runs, and those it must skip (with the reason)."""
    if operation in ("destroy", "refresh"):
        graph = project.stacks(env, app, include_upstream=False, with_pipeline=with_pipeline)
        if operation == "destroy":
            refuse_destroy(project, graph, engine.list_stacks(), delete_data=delete_data)
        return graph, {}
    full = project.stacks(env, app, include_upstream=True, with_pipeline=with_pipeline)
    targets = set(project.stacks(env, app, include_upstream=False, with_pipeline=with_pipeline).names())
    upstream = [s for s in full if s.name not in targets]
    deployed: set[str] | None = None
    if operation == "preview" or (upstream and not with_upstream):
        deployed = {info.name for info in engine.list_stacks() if info.deployed}
    keep = set(targets)
    for spec in upstream:
        # Decision: an upstream stack that was never deployed is pulled in (the target cannot
        # work without it); one that exists is read as it is, unless with_upstream.
        if with_upstream or deployed is None or spec.name not in deployed:
            keep.add(spec.name)
    graph = StackGraph(tuple(s for s in full if s.name in keep))
    skip: dict[str, str] = {}
    if operation == "preview" and deployed is not None:
        for spec in graph:
            missing = [d for d in spec.depends_on if d not in deployed]
            if missing:
                skip[spec.name] = (f"{missing[0]} is not deployed yet, and this stack's program reads its outputs; "
                                   "`ecsp up` deploys it, `ecsp plan` shows this stack offline")
    return graph, skip


def refuse_destroy(project: Project, graph: StackGraph, existing: Sequence[StackInfo], *, delete_data: bool) -> None:
    """Raise UsageError when destroying ``graph`` must be refused (``existing``: the backend's stacks)."""
    _refuse_destroying_what_others_use(project, graph, existing)
    if not delete_data:
        _refuse_a_vpc_that_keeps_data(project, graph)


def _refuse_a_vpc_that_keeps_data(project: Project, graph: StackGraph) -> None:
    """Refuse to destroy an environment whose VPC would keep a database or cache (AWS cannot delete such a VPC)."""
    from ecsp.config.data_types import DATA_KINDS

    for spec in graph:
        if spec.kind != "environment" or spec.environment is None:
            continue
        inside = [f"{name} ({data.kind})" for name, data in project.config.data_in(spec.environment).items()
                  if data.managed and DATA_KINDS[data.kind].in_vpc]
        if inside:
            raise UsageError(
                f"refusing to destroy {spec.name}: its VPC holds {', '.join(inside)}, which destroy keeps, and AWS "
                "deletes no VPC with a database or cache in it",
                fix=f"to delete them too, add --delete-data {project.name}; to keep them, destroy only the "
                    f"applications (ecsp destroy --env {spec.environment} --app ...)")


def _refuse_destroying_what_others_use(project: Project, graph: StackGraph, existing: Sequence[StackInfo]) -> None:
    """Refuse to destroy a stack that deployed stacks outside the selection still depend on.

    Dependents come from the stack kinds' edges, for the stacks in ecsp.yaml and for those the
    backend still holds that ecsp.yaml no longer names (an application that was removed).
    """
    chosen = set(graph.names())
    alive = {info.name for info in existing if info.deployed and info.name not in chosen
             and belongs_to(info.name, project.name)}
    whole = project.stacks(with_pipeline=True)
    strays = []
    for name in sorted(alive - set(whole.names())):
        found = kinds.identify(project.name, name)
        if found is not None:
            strays.append(graphs.node(project.config, *found))
    full = StackGraph((*whole.stacks, *strays))
    for spec in graph.order():
        users = [s for s in full.downstream(spec.name) if s.name in alive]
        if not users:
            continue
        apps = sorted({s.application for s in users if s.application})
        opt_in = sorted({s.record.label or s.kind for s in users if s.record.opt_in})
        if spec.environment is None and opt_in:
            fix = f"destroy them first or together: `ecsp destroy --with-{opt_in[0]}`"
        elif spec.environment is None:
            fix = "destroy every environment first, or run `ecsp destroy` without targets"
        elif spec.application is None:
            fix = (f"destroy them first or together: `ecsp destroy --env {spec.environment}` destroys the "
                   f"environment with all its applications (or add --app {' --app '.join(apps)})")
        else:
            fix = f"destroy them first or together: add --app {' --app '.join(apps)}"
        raise UsageError(
            f"refusing to destroy {spec.name}: {', '.join(s.name for s in users)} still "
            f"{'depends' if len(users) == 1 else 'depend'} on it",
            fix=fix + "; stacks of applications no longer in ecsp.yaml must be put back to be destroyed")
