"""Start-up stays fast: `python -m ecsp --help` imports no heavy library, and the benchmark script works."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.paths import ROOT

HEAVY = ("pulumi", "pulumi_aws", "pulumi_awsx", "pydantic", "pydantic_core", "yaml", "rich", "boto3", "botocore",
         "grpc", "importlib.metadata")


def imported_modules(*args: str) -> set[str]:
    """Every module a fresh `python -m ecsp ARGS` imports (from -X importtime's report)."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "ecsp", *args], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    modules = {m[1].strip() for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|(.*)$", run.stderr, re.M)}
    assert "ecsp.cli" in modules  # the report was read correctly
    return modules


@pytest.mark.parametrize("args", [("--help",), ("validate", "--help")], ids=" ".join)
def test_help_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    modules = imported_modules(*args)
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)
    assert heavy == []


def test_version_is_still_answered() -> None:
    run = subprocess.run([sys.executable, "-m", "ecsp", "--version"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0
    assert re.fullmatch(r"ecsp \S+\n", run.stdout)


def test_benchmark_reports_median_and_p90() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "startup.py"), "--runs", "2"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "python -m ecsp --help, 2 runs"
    median = re.fullmatch(r"median: ([\d.]+) ms", lines[1])
    p90 = re.fullmatch(r"p90: ([\d.]+) ms", lines[2])
    assert median and p90
    assert 0 < float(median[1]) <= float(p90[1])


def test_percentile_uses_the_nearest_rank() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import startup
    finally:
        sys.path.remove(str(ROOT / "bench"))
    values = [float(v) for v in range(1, 21)]
    assert startup.percentile(values, 0.9) == 18.0
    assert startup.percentile(values, 0.5) == 10.0
    assert startup.percentile([5.0], 0.9) == 5.0
