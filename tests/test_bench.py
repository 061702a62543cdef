"""The benchmarks still run and print their documented last lines (speed is not asserted here)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT


def test_orchestrate_bench_reports_its_ratios() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "orchestrate.py"), "--delay", "0.01", "--environments", "2",
         "--applications", "3", "--repeat", "1"],
        capture_output=True, text=True, timeout=120, check=True)
    last = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"wall/critical-path: (\d+\.\d+)x, sequential/wall: (\d+\.\d+)x", last)
    assert match, last
    assert float(match.group(2)) > 1.0  # independent stacks did overlap


def test_startup_bench_reports_the_median() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "startup.py"), "--runs", "3"],
                            capture_output=True, text=True, timeout=120, check=True)
    assert re.search(r"^median: \d+(\.\d+)? ms$", result.stdout, re.M), result.stdout


def test_import_bench_reports_the_median() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "import.py"), "--services", "3", "--runs", "1"],
                            capture_output=True, text=True, timeout=120, check=True)
    assert re.search(r"^median: \d+(\.\d+)? ms$", result.stdout, re.M), result.stdout
