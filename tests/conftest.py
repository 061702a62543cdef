"""Shared fixtures: paths, example projects, the --update-golden flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import harness

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*/ecsp.yaml"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.json from the code")


def pytest_configure(config: pytest.Config) -> None:
    harness.UPDATE_GOLDEN = bool(config.getoption("--update-golden"))


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PULUMI_HOME of its own with the stand-in installed as every plugin the programs ask for."""
    from stacks import PROGRAMS
    from tests import standin_provider

    home = tmp_path_factory.mktemp("pulumi-home")
    standin_provider.install(home, PROGRAMS.plugin_versions())
    return home
