"""examples/notebook.py runs top to bottom (the Python API a notebook uses, next to the CLI)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from tests.paths import EXAMPLES


@pytest.mark.parametrize("folder", ["examples", "elsewhere"])
def test_notebook_runs(folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    # from its own folder (a notebook) or from anywhere else (`python examples/notebook.py`)
    monkeypatch.chdir(EXAMPLES if folder == "examples" else tmp_path)
    namespace = runpy.run_path(str(EXAMPLES / "notebook.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert namespace["project"].name == "shop"
    assert [s.spec.name for s in namespace["plan"].stacks] == [
        "shop-project/global", "shop-environment/prod", "shop-api/prod"]
    assert "prod  cpu=1024 memory=4096 tasks=3 placement=private LOG_LEVEL=warning" in out
    assert "cpu 1024 memory 4096 family ecsp_shop-prod-api" in out
    assert "<ecsp diagram 'shop / prod (eu-west-1)'" in out
    assert "prod: $" in out and "a month (prices of " in out
    assert ("line 19: applications.web.memory: 300 MiB is not valid with cpu 256; use 512, 1024 or 2048"
            in out)


def test_notebook_cells_are_marked() -> None:
    text = (EXAMPLES / "notebook.py").read_text()
    assert text.count("# %%\n") >= 5 and text.count("# %% [markdown]") >= 3
