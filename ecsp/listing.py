"""The stacks of a project as ``ls`` finds them: each one and what the state backend knows of it.

:class:`StackListings` is the list ``Project.ls()`` returns; it renders (rich, Jupyter) as the
table ``ecsp ls`` prints, so the terminal and a notebook show the same thing from one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ecsp import previews as previewing
from ecsp.engine import StackInfo
from ecsp.notebook import Renders
from ecsp.previews import Preview

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

STATUS_STYLES = {"deployed": "green", "not deployed": "dim", "empty": "dim"}  # anything else is worth a look


@dataclass(frozen=True)
class StackListing:
    """One row of ``ls``: a stack of the project and what the backend knows of it."""

    stack: str
    kind: str
    environment: str | None
    application: str | None
    info: StackInfo | None  # None: the backend has no such stack
    in_config: bool = True  # False: in the backend, no longer in ecsp.yaml (or a preview environment's)
    preview: Preview | None = None  # the preview environment the stack belongs to
    now: datetime | None = None  # when the listing was made (a preview's expiry is read against it)

    @property
    def status(self) -> str:
        if self.info is None:
            return "not deployed"
        if self.info.update_in_progress:
            return "updating (or locked)"
        if not self.info.deployed:
            return "empty"
        return "deployed" if self.in_config or self.preview is not None else "deployed, not in ecsp.yaml"

    def to_json(self) -> dict[str, Any]:
        """The row as ``ecsp ls --json`` prints it."""
        info = self.info
        return {"stack": self.stack, "kind": self.kind, "environment": self.environment,
                "application": self.application, "status": self.status, "in_config": self.in_config,
                "last_update": info.last_update.isoformat() if info and info.last_update else None,
                "resources": info.resource_count if info else None, "url": info.url if info else None,
                "preview": self.preview.to_json(self.now or previewing.now()) if self.preview else None}


class StackListings(Renders, list[StackListing]):
    """The rows of ``ls()``: a list, shown in rich and Jupyter as the table ``ecsp ls`` prints."""

    def __init__(self, project: str, rows: Iterable[StackListing] = ()) -> None:
        super().__init__(rows)
        self.project = project

    def __rich__(self) -> RenderableType:
        """The stacks' table, then the preview environments' when there are some."""
        from rich.console import Group

        previews = self.previews_table()
        return self.stacks_table() if previews is None else Group(self.stacks_table(), previews)

    def stacks_table(self) -> Table:
        """Each stack with its status, last update and resource count."""
        from rich.table import Table
        from rich.text import Text

        # The stack's name says its kind (--json has it), and is never cut: the table fits 80 columns.
        table = Table(title=f"stacks of {self.project}", title_justify="left")
        table.add_column("stack", no_wrap=True)
        for column in ("status", "last update", "resources"):
            table.add_column(column)
        for r in self:
            when = r.info.last_update.strftime("%Y-%m-%d %H:%M") if r.info and r.info.last_update else ""
            count = str(r.info.resource_count) if r.info and r.info.resource_count is not None else ""
            table.add_row(r.stack, Text(r.status, style=STATUS_STYLES.get(r.status, "yellow")), when, count)
        return table

    def previews_table(self) -> Table | None:
        """The preview environments among the stacks, what each is like and when it expires (None: there are none)."""
        from rich.table import Table
        from rich.text import Text

        found = {r.environment: r for r in self if r.preview is not None and r.kind == "environment"}
        if not found:
            return None
        table = Table(title="preview environments", title_justify="left")
        for column in ("environment", "like", "expires", "stacks deployed"):
            table.add_column(column)
        for env, r in sorted(found.items()):
            assert r.preview is not None
            expired = r.now is not None and r.preview.expired(r.now)
            when = r.preview.expires.strftime("%Y-%m-%d %H:%M UTC") + (" (expired)" if expired else "")
            deployed = sum(1 for x in self if x.environment == env and x.info is not None and x.info.deployed)
            table.add_row(env, r.preview.like, Text(when, style="red" if expired else ""), str(deployed))
        return table

    def summary(self) -> str:
        deployed = sum(1 for row in self if row.status.startswith("deployed"))
        return f"stacks of {self.project}: {len(self)}, {deployed} deployed"


__all__ = ["STATUS_STYLES", "StackListing", "StackListings"]
