"""Where the tests find the repository: its root, the examples, golden files and recorded fixtures."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
ENGINE_EVENTS = ROOT / "tests" / "fixtures" / "pulumi-events"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*/ecsp.yaml"))
