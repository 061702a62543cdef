"""examples/notebook.py, run as a notebook runs it (the Python API next to the CLI).

As a notebook: cell by cell in one namespace, from the examples folder, without ``__file__``;
a cell that ends in an expression is shown as Jupyter shows it, through ``_repr_html_`` when
the value has one. Its last section deploys to the local AWS emulator, so these run with the
real pulumi CLI and the stand-in AWS provider (marked ``pulumi``): nothing real is created.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.paths import EXAMPLES
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

NOTEBOOK = EXAMPLES / "notebook.py"
DATACLASS_REPR = re.compile(r"\w+\((?:\w+=)")


@pytest.fixture
def deployable(pulumi_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the deploy cell runs in: the stand-in as the AWS plugin, no emulator of anyone else's."""
    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home))
    monkeypatch.delenv("ECSP_LOCAL_ENDPOINT", raising=False)
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    return dict(os.environ)


def cells(path: Path) -> list[str]:
    return [cell for cell in re.split(r"^# %%.*$", path.read_text(), flags=re.M) if cell.strip()]


def run_as_jupyter(path: Path) -> tuple[dict[str, Any], list[Any]]:
    """Every cell in order; returns the namespace and what each cell ending in an expression showed."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    shown = []
    for i, source in enumerate(cells(path)):
        tree = ast.parse(source)
        if not tree.body:
            continue  # a markdown cell
        last = tree.body[-1]
        body = tree.body[:-1] if isinstance(last, ast.Expr) else tree.body
        exec(compile(ast.Module(body=body, type_ignores=[]), f"<cell {i}>", "exec"), namespace)
        if isinstance(last, ast.Expr):
            shown.append(eval(compile(ast.Expression(last.value), f"<cell {i}>", "eval"), namespace))
    return namespace, shown


pytestmark = MARKS


def test_the_notebook_runs_cell_by_cell_and_shows_its_results(deployable: dict[str, str],
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(EXAMPLES)  # where a notebook runs
    namespace, shown = run_as_jupyter(NOTEBOOK)
    out = capsys.readouterr().out
    assert namespace["project"].name == "shop"
    assert [s.spec.name for s in namespace["plan"].stacks] == [
        "shop-project/global", "shop-environment/prod", "shop-api/prod"]
    assert "prod  cpu=1024 memory=4096 tasks=3 placement=private LOG_LEVEL=warning" in out
    assert "cpu 1024 memory 4096 family ecsp_shop-prod-api" in out
    assert "<ecsp diagram 'shop / prod (eu-west-1)'" in out
    assert "prod: $" in out and "a month (prices of " in out
    assert "line 19: applications.web.memory: 300 MiB is not valid with cpu 256; use 512, 1024 or 2048" in out
    # What the cells show: the plan and the deploy's result as HTML, never a dataclass's fields.
    rendered = [value._repr_html_() for value in shown if hasattr(value, "_repr_html_")]
    assert len(rendered) == 2, shown
    plan_html, result_html = rendered
    assert "<summary>shop-api/prod: " in plan_html
    result = namespace["result"]
    assert result.ok, str(result)
    url = result["hello-web/test"].outputs["url"]
    assert shown[-1] == url and url.startswith("http://")
    assert f"<a href='{url}' target='_blank'>" in result_html and "<details><summary>" in result_html
    for html in rendered:
        assert not DATACLASS_REPR.search(re.sub(r"<[^>]+>", "", html))
    assert "hello-web/test: succeeded" in out, "the progress a notebook shows as the deploy goes"


def test_notebook_cells_are_marked() -> None:
    text = NOTEBOOK.read_text()
    assert text.count("# %%\n") >= 5 and text.count("# %% [markdown]") >= 3
