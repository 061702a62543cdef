"""Shared fixtures: paths, example projects, and a helper that runs one stack under mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*/ecsp.yaml"))


@pytest.fixture
def root() -> Path:
    return ROOT
