"""The shape of the code: no import loop, no private name crossing modules, config modules kept small.

Read from the source (``ast``), not by importing it, so an import inside a function or under
``TYPE_CHECKING`` counts too: a loop hidden there is still a loop for a reader.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ecsp", "stacks")
# The config package is cut by section so that no module outgrows one reader's attention.
CONFIG_MODULE_LINES = 350


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for file in (ROOT / package).rglob("*.py"):
            parts = list(file.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = file
    return found


MODULES = _modules()


def _imports(module: str, file: Path) -> list[tuple[str, str | None]]:
    """(module imported, name imported from it or None) for every import of ``module``, at any depth."""
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            out += [(source, alias.name) for alias in node.names]
    return out


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, file in MODULES.items():
        for source, name in _imports(module, file):
            target = f"{source}.{name}" if f"{source}.{name}" in MODULES else source
            if target in MODULES and target != module:
                edges[module].add(target)
    return edges


def test_the_import_graph_has_no_loop() -> None:
    sorter = graphlib.TopologicalSorter(_edges())
    try:
        sorter.prepare()
    except graphlib.CycleError as e:
        raise AssertionError(f"import loop: {' -> '.join(e.args[1][::-1])}") from None


def test_the_finder_sees_a_loop() -> None:
    # The check above must be able to fail: the graph it builds has the edges a loop needs.
    edges = _edges()
    assert "ecsp.config.base" in edges["ecsp.config.application"]
    assert "ecsp.naming" in edges["ecsp.config.project"]
    looped = {**edges, "ecsp.config.base": edges["ecsp.config.base"] | {"ecsp.config.application"}}
    sorter = graphlib.TopologicalSorter(looped)
    try:
        sorter.prepare()
    except graphlib.CycleError:
        return
    raise AssertionError("a planted loop was not found")


def test_no_module_imports_another_modules_private_name() -> None:
    crossing = []
    for module, file in MODULES.items():
        for source, name in _imports(module, file):
            if not source.startswith(PACKAGES) or name is None or not name.startswith("_"):
                continue
            # A package's private module, used inside that package, is the package's own business.
            if f"{source}.{name}" in MODULES and module.startswith(f"{source}."):
                continue
            crossing.append(f"{module} imports {name} from {source}")
    assert crossing == []


def test_config_does_not_know_the_stack_kinds() -> None:
    config = [m for m in MODULES if m == "ecsp.config" or m.startswith("ecsp.config.")]
    edges = _edges()
    assert [m for m in config if "ecsp.kinds" in edges[m]] == []


def test_config_modules_are_small() -> None:
    sizes = {m: len(MODULES[m].read_text(encoding="utf-8").splitlines()) for m in MODULES
             if m.startswith("ecsp.config.")}
    assert sizes, "the config package has no modules"
    assert {m: n for m, n in sizes.items() if n > CONFIG_MODULE_LINES} == {}


def test_every_module_says_its_job() -> None:
    missing = [m for m, file in MODULES.items() if not ast.get_docstring(ast.parse(file.read_text(encoding="utf-8")))]
    assert missing == []
