"""The Python API (notebooks, scripts) that the CLI is a thin shell over.

    import ecsp
    project = ecsp.load("examples/hello/ecsp.yaml")
    project.plan().stack("hello-web/test").resources

Errors raise :class:`ecsp.errors.EcspError` subclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ecsp import graph as graphs
from ecsp import loader
from ecsp.config import ProjectConfig
from ecsp.graph import StackGraph
from ecsp.planner import Plan

if TYPE_CHECKING:
    from collections.abc import Generator

    from ecsp.context import LocalEmulator
    from ecsp.ops.logs import LogEvent
    from ecsp.ops.show import ShowReport
    from ecsp.ops.status import StatusReport


def load(path: str | Path = "ecsp.yaml") -> Project:
    """Load and validate a project file."""
    file = Path(path)
    return Project(loader.load(file), file.resolve())


def _names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Project:
    """A validated ecsp project and the folder it lives in."""

    config: ProjectConfig
    path: Path

    @property
    def name(self) -> str:
        return self.config.project.name

    @property
    def root(self) -> Path:
        """The folder of ecsp.yaml: build contexts and the .ecsp/ state folder are relative to it."""
        return self.path.parent

    def stacks(
        self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None,
        *, include_upstream: bool = True,
    ) -> StackGraph:
        """The stacks ``env``/``app`` select (all by default), with their upstream stacks."""
        return graphs.select(graphs.build(self.config), environments=_names(env), applications=_names(app),
                             include_upstream=include_upstream)

    def plan(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None) -> Plan:
        """Evaluate the selected stacks' programs offline, under Pulumi's mocks."""
        from ecsp import planner

        return planner.plan(self.config, self.stacks(env, app))

    # Live state (issue 8). ``local=True`` reads the local emulator (started for the call);
    # pass a running ecsp.context.LocalEmulator to reuse one. AWS errors of one environment
    # are reported in the result's ``problems`` (``raise_for_problems()`` raises them).
    def status(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
               local: bool | LocalEmulator = False, events: int = 3) -> StatusReport:
        """Each application's live state in each environment: tasks, rollout, targets, events, URL."""
        from ecsp.ops import open_sessions, status

        with open_sessions(self.config, self.root, local) as sessions:
            return status.status(self.config, sessions, environments=_names(env), applications=_names(app),
                                 events=events)

    def logs(self, app: str, env: str, *, since: str = "1h", follow: bool = False, filter: str | None = None,
             local: bool | LocalEmulator = False) -> Generator[LogEvent, None, None]:
        """The application's log events (oldest first); with ``follow`` new ones forever (close() to stop)."""
        from ecsp.ops import logs

        return logs.events(self.config, self.root, app, env, since=since, follow=follow, filter_pattern=filter,
                           local=local)

    def show(self, *, local: bool | LocalEmulator = False) -> ShowReport:
        """The project at a glance: environments (region, account, URL base) and where each application runs."""
        from ecsp.ops import open_sessions, show

        with open_sessions(self.config, self.root, local) as sessions:
            return show.show(self.config, sessions)

    def _repr_pretty_(self, p: object, cycle: bool) -> None:  # IPython
        p.text(f"<ecsp project {self.name}: {len(self.config.environments)} environments, "  # type: ignore[attr-defined]
               f"{len(self.config.applications)} applications>")
