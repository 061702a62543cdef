"""The importer's bookkeeping: a manifest's values with a record of which were read, and the notes.

Every field of a manifest is either mapped or reported in a :class:`Note` (``warn``: dropped,
it runs without it; ``refuse``: running without it would lose data or change what runs, so
the workload is not imported). A field nobody looked at is reported too
(:meth:`Fields.unread`), so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ecsp.config import APPLICATION_TYPES, ApplicationType
from ecsp.hints import COPILOT_KINDS
from ecsp.importer import convert
from ecsp.importer.convert import Unconvertible

Level = Literal["note", "warn", "refuse"]
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Note:
    """What happened to one Copilot field: ``level`` and a sentence that starts with the field."""

    level: Level
    field: str
    message: str
    where: str = ""  # FILE:LINE of the field, for the printed form

    @property
    def comment(self) -> str:
        return f"{self.level}: {self.message}"

    def __str__(self) -> str:
        return f"{self.where}: {self.comment}" if self.where else self.comment


@dataclass(frozen=True)
class Env:
    """What the importer knows about an environment Copilot deployed to."""

    name: str  # in ecsp.yaml
    region: str | None = None
    account: str | None = None
    copilot: str = ""  # its name in Copilot (differs with --rename); "" when the same
    # What decides which aliases ecsp can serve there: its own zone <env>.<project>.<domain> (with a
    # domain) and whether the environment manifest brings certificates.
    zone: str | None = None
    certificates: bool = False
    # Copilot's domain when its host names <svc>.<env>.<app>.<domain> stay in use (read from the live
    # application): each web service keeps its name as an alias, served with the environment's certificates.
    copilot_domain: str | None = None

    @property
    def copilot_name(self) -> str:
        """The environment's name in Copilot: what its manifests, overrides and ${COPILOT_ENVIRONMENT_NAME} say."""
        return self.copilot or self.name

    @property
    def partition(self) -> str:
        region = self.region or ""
        return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


class Fields:
    """A manifest's values with a record of which were read, so the rest can be reported."""

    def __init__(self, data: Mapping[str, Any], skip: set[Loc] | None = None) -> None:
        self.data = data
        self.read: set[Loc] = set(skip or ())

    def get(self, *loc: str | int) -> Any:
        """The value at ``loc`` (None when absent), marked as read with everything under it."""
        self.read.add(loc)
        value: Any = self.data
        for part in loc:
            found = (isinstance(value, Mapping) and part in value) or (
                isinstance(value, list) and isinstance(part, int) and part < len(value))
            if found:
                value = value[part]
            else:
                return None
        return value

    def has(self, *loc: str | int) -> bool:
        value: Any = self.data
        for part in loc:
            if not isinstance(value, Mapping) or part not in value:
                return False
            value = value[part]
        return True

    def unread(self) -> Iterator[Loc]:
        """Written leaves (and empty mappings) that nothing read."""
        def walk(value: Any, loc: Loc) -> Iterator[Loc]:
            if any(loc[:i] in self.read for i in range(len(loc) + 1)):
                return
            if isinstance(value, Mapping) and value:
                for key, item in value.items():
                    yield from walk(item, (*loc, key))
            elif value is not None:
                yield loc
        for key, item in self.data.items():
            yield from walk(item, (key,))


def flag(value: Any) -> bool | None:
    """A bool-typed Copilot field: yaml.v3 decodes yes/no/on/off into it as YAML 1.1 did (None: not a bool)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"y": True, "yes": True, "on": True, "true": True,
                "n": False, "no": False, "off": False, "false": False}.get(value.lower())
    return None


def strings(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Every string in a manifest's data, with where it is (keys and list positions)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, (*loc, i))
    elif isinstance(value, str):
        yield loc, value


def dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


@dataclass
class Mapped:
    """One workload (or environment) in one environment: ecsp's fields and the notes."""

    fields: dict[str, Any] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return any(n.level == "refuse" for n in self.notes)


class Mapper:
    def __init__(self, data: Mapping[str, Any], where: Callable[[Loc], str], skip: set[Loc]) -> None:
        self.f = Fields(data, skip)
        self.where = where
        self.out = Mapped()

    def note(self, level: Level, loc: Loc, message: str) -> None:
        self.out.notes.append(Note(level, dotted(loc), message, self.where(loc)))

    def warn(self, loc: Loc, message: str) -> None:
        self.note("warn", loc, f"{dotted(loc)} {message}")

    def refuse(self, loc: Loc, message: str) -> None:
        self.note("refuse", loc, f"{dotted(loc)} {message}")

    def seconds(self, loc: Loc, value: Any) -> int | None:
        try:
            total, rounded = convert.whole_seconds(value)
        except Unconvertible as e:
            self.warn(loc, f"{e}; dropped")
            return None
        if rounded:
            self.note("note", loc, f"{dotted(loc)} {value} is rounded up to {total} seconds (ecsp counts whole "
                                   "seconds)")
        return total

    def finish(self, what: str) -> Mapped:
        for loc in self.f.unread():
            self.warn(loc, f"has no equivalent in ecsp's {what}; dropped")
        return self.out


# Each Copilot workload type and the ecsp application type (ecsp.config.APPLICATION_TYPES) it becomes: the
# table the config's Copilot hints read too.
COPILOT_TYPES = COPILOT_KINDS


@dataclass(frozen=True)
class WorkloadContext:
    """Everything a workload's mapping needs besides its manifest."""

    project: str  # the ecsp project
    workload: str  # the ecsp application
    copilot_type: str  # the manifest's type: (a key of COPILOT_TYPES)
    env: Env
    root: Path  # the workspace root (Copilot paths are relative to it)
    out_dir: Path  # the folder of ecsp.yaml (ecsp paths are relative to it)
    addon_outputs: tuple[str, ...] = ()
    copilot_app: str = ""  # the Copilot application ("" when it is the project's name)
    copilot_workload: str = ""  # the service's name in Copilot ("" when it is the application's name)
    renames: Mapping[str, str] = field(default_factory=dict)  # Copilot service -> ecsp application (--rename)
    # The ecsp application type when it is not the one COPILOT_TYPES gives (a web service without http: a backend).
    type_name: str = ""

    def application(self, copilot_service: str) -> str:
        """The ecsp application a Copilot service became (subscriptions name their publisher)."""
        return self.renames.get(copilot_service, copilot_service)

    @property
    def type(self) -> ApplicationType:
        """The ecsp application type the workload becomes: the mapping asks it for capabilities."""
        return APPLICATION_TYPES[self.type_name or COPILOT_TYPES[self.copilot_type]]


def as_string(value: Any) -> str:
    # Copilot reads every variable as a string; YAML gave us bools and numbers.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
