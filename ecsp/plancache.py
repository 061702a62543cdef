"""The plan cache: each stack's offline plan, kept in ``.ecsp/plans/`` and reused while nothing that shapes it changed.

A stack's plan is a pure function of its program's inputs, so a plan made once holds until
one of them changes. The key of a stack hashes all of them:

* **the code**: every source file of :mod:`ecsp` and of the programs (:mod:`stacks`), and the
  versions of Python, the pulumi SDK, the provider SDKs and pydantic (:func:`code_digest`);
* **the settings the program reads**, as its program bundle declares them
  (:meth:`ecsp.programs.Programs.settings_read`; all of ecsp.yaml for a kind that declares
  nothing), and which stack it is (kind, scope, organization);
* **the upstream outputs it read**: the outputs, as planned now, of each stack its
  ``StackReference``\\ s named last time. Which stacks a program references follows from the
  code and the settings, both in the key, so the names kept from last time still hold.

A cache file that cannot be read, or was written by another format, is a miss, never an
error: the stack is planned afresh and the file rewritten. Files are written whole (a
temporary file renamed), so a plan interrupted halfway leaves no half entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ecsp import statedir
from ecsp.graph import StackSpec

FORMAT = 2  # 2: every field of a planned resource (its region and handles too)
# The distributions whose code shapes a plan besides ecsp's and the programs' own sources.
DISTRIBUTIONS = ("pulumi", "pulumi-aws", "pulumi-docker-build", "pydantic")
# The packages whose sources are hashed: the driver and the programs.
PACKAGES = ("ecsp", "stacks")


@cache
def code_digest() -> str:
    """One hash of everything but the inputs that shapes a plan: sources of ``ecsp`` and ``stacks``, and versions."""
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\npython {sys.version}\n".encode())
    for distribution in DISTRIBUTIONS:
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{distribution} {version}\n".encode())
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)  # finds the folder without importing the programs
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            for path in sorted(Path(folder).rglob("*.py")):
                digest.update(f"{package}/{path.relative_to(folder).as_posix()}\n".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data: pydantic models dumped, tuples and sets as lists, keys sorted on dumping."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return canonical(dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return canonical(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(canonical(v) for v in value)
    return value


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """A stack's plan as the cache keeps it."""

    resources: list[dict[str, Any]]  # PlannedResource.kept() of each
    outputs: dict[str, Any]


class PlanCache:
    """The plans of one project's stacks, one file each under ``<root>/.ecsp/plans/``."""

    def __init__(self, root: Path, *, read: bool = True, code: str | None = None) -> None:
        """``read``: False finds nothing (every stack is planned again) but still keeps the fresh plans."""
        self.folder = statedir.ecsp_dir(root) / "plans"
        self.root = root
        self.read = read
        self.code = code if code is not None else code_digest()

    def _path(self, spec: StackSpec) -> Path:
        return self.folder / spec.pulumi_project / f"{spec.stack}.json"

    def _base(self, spec: StackSpec, settings: Any, organization: str | None) -> str:
        """The key without the upstream outputs: code, stack and settings."""
        return _hash({"code": self.code, "stack": [spec.kind, spec.name, list(spec.depends_on)],
                      "organization": organization, "settings": canonical(settings)})

    @staticmethod
    def _key(base: str, references: list[str], outputs: Mapping[str, Mapping[str, Any]]) -> str | None:
        if any(name not in outputs for name in references):
            return None  # an upstream stack not planned in this run: nothing to compare with
        return _hash({"base": base, "upstream": {name: outputs[name] for name in references}})

    def lookup(self, spec: StackSpec, settings: Any, organization: str | None,
               outputs: Mapping[str, Mapping[str, Any]]) -> Entry | None:
        """The kept plan of ``spec`` if its key still matches.

        ``outputs``: the upstream stacks' outputs as planned in this run, by fully qualified name.
        """
        if not self.read:
            return None
        try:
            kept = json.loads(self._path(spec).read_text(encoding="utf-8"))
            if kept.get("format") != FORMAT or kept.get("base") != self._base(spec, settings, organization):
                return None
            key = self._key(kept["base"], list(kept["references"]), outputs)
            if key is None or key != kept.get("key"):
                return None
            return Entry(list(kept["resources"]), dict(kept["outputs"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, unreadable or from another format: plan afresh

    def store(self, spec: StackSpec, settings: Any, organization: str | None, references: list[str],
              outputs: Mapping[str, Mapping[str, Any]], entry: Entry) -> None:
        """Keep ``entry`` as the plan of ``spec`` (best effort: a read-only folder only loses the speed-up)."""
        base = self._base(spec, settings, organization)
        key = self._key(base, references, outputs)
        if key is None:
            return
        document = {"format": FORMAT, "base": base, "key": key, "references": references,
                    "resources": entry.resources, "outputs": entry.outputs}
        path = self._path(spec)
        try:
            statedir.ensure(self.root)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(document, separators=(",", ":"), default=str), encoding="utf-8")
            temporary.replace(path)
        except OSError:
            pass


__all__ = ["FORMAT", "Entry", "PlanCache", "canonical", "code_digest"]
