"""Test helpers: build configs from YAML snippets, run one stack under mocks with its
upstream stacks' mocked outputs, and compare against golden files.

Golden files live in tests/golden/; regenerate them with ``pytest --update-golden``.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from ecsp import graph as graphs
from ecsp import loader, mocks, planner
from ecsp.addons import Addons
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator
from stacks import PROGRAMS
from tests.paths import GOLDEN

UPDATE_GOLDEN = False  # set by conftest from --update-golden


def config(text: str) -> ProjectConfig:
    """A validated config from a (dedented) YAML snippet."""
    return loader.loads(textwrap.dedent(text), "ecsp.yaml")


def plan_stack(cfg: ProjectConfig, spec: graphs.StackSpec, outputs: dict[str, dict[str, Any]] | None = None, *,
               local: LocalEmulator | None = None,
               addons: Addons | None = None) -> tuple[mocks.Recording, planner.PlannedStack]:
    """:func:`ecsp.planner.plan_stack` with ecsp's own programs."""
    return planner.plan_stack(cfg, spec, outputs, programs=PROGRAMS, local=local, addons=addons)


def run_stack(cfg: ProjectConfig, name: str, *, local: LocalEmulator | None = None,
              addons: Addons | None = None) -> mocks.Recording:
    """Run stack ``name`` (e.g. ``shop-environment/test``) under mocks.

    Its upstream stacks run first, under the same mocks, so StackReference reads
    return what those programs really export.
    """
    graph = graphs.build(cfg)
    target = graph[name]
    outputs: dict[str, dict[str, Any]] = {}
    for spec in graphs.select(graph, environments=[target.environment] if target.environment else [],
                              applications=[target.application] if target.application else [],
                              with_opt_in=target.record.opt_in).order():
        if spec.name == name:
            recording, _ = plan_stack(cfg, spec, outputs, local=local, addons=addons)
            return recording
        _, stack = plan_stack(cfg, spec, outputs, addons=addons)
        outputs[spec.fully_qualified(cfg.state.organization)] = stack.outputs
    raise KeyError(name)


def graph_document(recording: mocks.Recording) -> dict[str, Any]:
    """A stable, human-diffable view of a recorded graph: resources sorted, parents by name."""
    by_urn = {n.urn: n for n in recording.nodes}
    resources = []
    for n in recording.nodes:
        parent = by_urn.get(n.parent or "")
        resources.append({
            "type": n.type, "name": n.name,
            "parent": f"{parent.type}::{parent.name}" if parent else None,
            "inputs": _normalise(n.inputs),
        })
    resources.sort(key=lambda r: (r["type"], r["name"]))
    return {"resources": resources, "outputs": _normalise(recording.outputs)}


_VOLATILE = [
    (re.compile(r"\b[0-9a-f]{17}\b"), "<hex>"),  # mock ids derived from hashes
]


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str):
        if value.startswith(("{", "[")):
            try:  # JSON documents (policies, provider settings): compare parsed and sorted
                return {"json": _normalise(json.loads(value))}
            except ValueError:
                pass
        for pattern, replacement in _VOLATILE:
            value = pattern.sub(replacement, value)
    return value


def assert_golden(name: str, document: Any) -> None:
    """Compare ``document`` with tests/golden/<name>.json (write it with --update-golden)."""
    path = GOLDEN / f"{name}.json"
    text = json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"
    if UPDATE_GOLDEN or not path.exists():
        if not UPDATE_GOLDEN:
            raise AssertionError(f"{path} is missing; run pytest --update-golden to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    expected = path.read_text()
    assert text == expected, f"{path.name} differs from the recorded graph; if the change is intended, " \
                             "run pytest --update-golden and review the diff"
