"""Read a Copilot workspace folder: the application name, every manifest (with its lines), and
the files ecsp cannot use (addons, overrides, pipelines), without interpreting any field.

Layout (aws/copilot-cli internal/pkg/workspace): ``copilot/.workspace`` holds
``application: NAME``; ``copilot/<workload>/manifest.yml`` per service or job, with optional
``addons/`` (CloudFormation templates) and ``overrides/`` (``cfn.patches.yml`` or a CDK app);
``copilot/environments/<env>/manifest.yml`` per environment, ``copilot/environments/addons/``;
``copilot/pipelines/<name>/manifest.yml`` (older: ``copilot/pipeline.yml``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecsp.errors import ConfigError, ConfigProblem, UsageError
from ecsp.yamlfile import Lines, parse

COPILOT_DIR = "copilot"
SUMMARY_FILE = ".workspace"
MANIFEST = "manifest.yml"


_BOOL = "tag:yaml.org,2002:bool"


class _Yaml12Loader(yaml.SafeLoader):
    """Copilot reads manifests with yaml.v3 (YAML 1.2): only true/false are booleans.

    PyYAML's YAML 1.1 would read the key of a Scheduled Job's ``on: {schedule: ...}`` as True.
    yaml.v3 still decodes yes/no/on/off into a bool-typed field; :func:`ecsp.importer.fields.flag`
    does the same where a field is a bool.
    """


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _parse(text: str, filename: str) -> tuple[Lines, Any]:
    """The document's lines and data (YAML 1.2 booleans); invalid YAML is a ConfigError naming the line."""
    return parse(text, filename, _Yaml12Loader)


@dataclass
class Manifest:
    """One parsed manifest: its data, where each key is written, and its path for messages."""

    path: Path  # as shown to the user (relative to the workspace root)
    data: dict[str, Any]
    lines: Lines

    def line(self, loc: tuple[str | int, ...]) -> int | None:
        """The line of ``loc`` if it is written in the file (None when it is not)."""
        if not loc:
            return None
        found = self.lines._get(self.lines.keys, loc)
        return found if isinstance(found, int) else None

    def where(self, loc: tuple[str | int, ...] = ()) -> str:
        """``FILE:LINE`` of ``loc`` (or of its nearest written parent), for a message."""
        for end in range(len(loc), 0, -1):
            line = self.line(loc[:end])
            if line is not None:
                return f"{self.path}:{line}"
        return str(self.path)


@dataclass
class Workload:
    """A service or job folder: its manifest and the extra files Copilot deployed with it."""

    name: str
    manifest: Manifest
    addons: list[Path] = field(default_factory=list)
    overrides: list[Path] = field(default_factory=list)


@dataclass
class Workspace:
    """Everything read from a Copilot workspace."""

    root: Path  # the folder holding copilot/
    copilot: Path
    application: str
    summary: Path
    workloads: list[Workload]
    environments: dict[str, Manifest]
    environment_addons: list[Path]
    environment_overrides: list[Path]
    pipelines: list[Manifest]

    def show(self, path: Path) -> Path:
        """``path`` relative to the workspace root, as messages show it."""
        try:
            return path.relative_to(self.root)
        except ValueError:
            return path


def find(directory: str | Path | None, *, without_summary: bool = False) -> Path:
    """The copilot/ folder for ``directory`` (the copilot/ folder itself or the folder holding it).

    ``without_summary``: also a copilot/ folder that lacks its .workspace file (many repositories
    never committed it; the application's name then comes from the caller).
    """
    start = Path(directory) if directory is not None else Path(".")
    # Either the copilot/ folder itself or the folder holding it (the workspace root).
    candidates = [start / COPILOT_DIR, start] if directory is None else [start, start / COPILOT_DIR]
    for candidate in candidates:
        if (candidate / SUMMARY_FILE).is_file():
            return candidate
    if not start.exists():
        raise UsageError(f"{start} does not exist", fix="pass the Copilot workspace folder (the one holding "
                         "copilot/), or run from it")
    bare = [c for c in candidates if c.name == COPILOT_DIR and c.is_dir() and any(c.glob(f"*/{MANIFEST}"))]
    if bare and without_summary:
        return bare[0]
    if bare:
        raise UsageError(f"{bare[0]} has manifests but no {SUMMARY_FILE}, which names the Copilot application",
                         fix="pass --name NAME (the application's name in Copilot, as `copilot app ls` shows it)")
    raise UsageError(f"{start} is not a Copilot workspace: no {COPILOT_DIR}/{SUMMARY_FILE} in it",
                     fix="pass the folder that holds copilot/.workspace (written by `copilot app init`), "
                     "e.g. `ecsp import copilot path/to/repo`")


def read(directory: str | Path | None = None, application: str | None = None) -> Workspace:
    """Read the workspace at ``directory``; raises ConfigError for unreadable files, UsageError for no workspace.

    ``application`` is the Copilot application's name when copilot/.workspace is missing.
    """
    copilot = find(directory, without_summary=application is not None).resolve()
    root = copilot.parent
    summary = copilot / SUMMARY_FILE
    problems: list[ConfigProblem] = []
    # find() returns a folder without .workspace only when the caller named the application.
    name = _application(summary, root, problems) if summary.is_file() else application or ""
    workloads: list[Workload] = []
    environments: dict[str, Manifest] = {}
    env_addons: list[Path] = []
    env_overrides: list[Path] = []
    pipelines: list[Manifest] = []
    # Sorted folder names: Copilot keeps no order of its own, and a stable one keeps re-imports diffable.
    for folder in sorted(p for p in copilot.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name == "environments":
            for env in sorted(p for p in folder.iterdir() if p.is_dir()):
                if env.name in ("addons", "overrides"):
                    continue
                manifest = _manifest(env / MANIFEST, root, problems)
                if manifest is not None:
                    environments[env.name] = manifest
            env_addons = _templates(folder / "addons")
            env_overrides = _files(folder / "overrides")
        elif folder.name == "pipelines":
            for pipeline in sorted(p for p in folder.iterdir() if p.is_dir()):
                manifest = _manifest(pipeline / MANIFEST, root, problems)
                if manifest is not None:
                    pipelines.append(manifest)
        elif (folder / MANIFEST).is_file():
            manifest = _manifest(folder / MANIFEST, root, problems)
            if manifest is not None:
                workloads.append(Workload(folder.name, manifest, _templates(folder / "addons"),
                                          _files(folder / "overrides")))
    legacy = copilot / "pipeline.yml"
    if legacy.is_file():
        manifest = _manifest(legacy, root, problems)
        if manifest is not None:
            pipelines.append(manifest)
    if problems:
        raise ConfigError(problems)
    return Workspace(root, copilot, name, summary, workloads, environments, env_addons, env_overrides,
                     pipelines)


def _application(summary: Path, root: Path, problems: list[ConfigProblem]) -> str:
    shown = str(summary.relative_to(root))
    manifest = _manifest(summary, root, problems)
    if manifest is None:
        return ""
    name = manifest.data.get("application")
    if not isinstance(name, str) or not name:
        problems.append(ConfigProblem(shown, manifest.line(("application",)) or 1, "application",
                                      "the application name is missing; Copilot writes `application: NAME` here"))
        return ""
    return name


def _manifest(path: Path, root: Path, problems: list[ConfigProblem]) -> Manifest | None:
    shown = path.relative_to(root)
    try:
        # utf-8-sig: a file saved by a Windows editor may start with a byte order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        problems.append(ConfigProblem(str(shown), None, "", f"cannot read the file: {e}"))
        return None
    try:
        lines, data = _parse(text, str(shown))
    except ConfigError as e:
        problems.extend(e.problems)
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(ConfigProblem(str(shown), 1, "", "a manifest must be a mapping of fields (name: ..., "
                                      "type: ...)"))
        return None
    return Manifest(shown, data, lines)


def _templates(folder: Path) -> list[Path]:
    # addons.parameters.yml passes parameters to the templates; it is not a template itself.
    return [p for p in _files(folder) if p.suffix in (".yml", ".yaml") and p.name != "addons.parameters.yml"]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
