"""Shared fixtures: paths, example projects, the --update-golden flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True)
def no_name_check(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """In-process runs fake the engine and have no AWS account, so `up`/`preview`'s look-up of taken names
    (which reads AWS) is recorded instead of made; tests/test_preflight.py runs the real one against moto."""
    from ecsp import api

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(api, "NAME_CHECK", lambda *args: calls.append(args))
    return calls
