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
