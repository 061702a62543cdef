"""Shared fixtures and options: the --update-golden flag, and ``slow`` tests run only when ECSP_RUN_SLOW=1."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests import harness
from tests.paths import ROOT


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.json from the code")


def pytest_configure(config: pytest.Config) -> None:
    harness.UPDATE_GOLDEN = bool(config.getoption("--update-golden"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``slow`` (minutes each) unless ECSP_RUN_SLOW=1, as ``.ci/run`` sets it."""
    if os.environ.get("ECSP_RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow (minutes): ECSP_RUN_SLOW=1 runs it, as CI does")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def no_name_check(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """In-process runs fake the engine and have no AWS account, so `up`/`preview`'s look-up of taken names
    (which reads AWS) is recorded instead of made; tests/engine/test_preflight.py runs the real one against moto."""
    from ecsp import api

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(api, "NAME_CHECK", lambda *args: calls.append(args))
    return calls


@pytest.fixture(scope="module")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PULUMI_HOME of its own with the stand-in installed as every plugin the programs ask for."""
    from stacks import PROGRAMS
    from tests import standin_provider

    home = tmp_path_factory.mktemp("pulumi-home")
    standin_provider.install(home, PROGRAMS.plugin_versions())
    return home
