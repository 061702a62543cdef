"""The benchmarks still run and print their documented last lines (speed is not asserted here)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.paths import ROOT


def test_orchestrate_bench_reports_its_ratios() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "orchestrate.py"), "--delay", "0.01", "--environments", "2",
         "--applications", "3", "--repeat", "1"],
        capture_output=True, text=True, timeout=120, check=True)
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"wall/critical-path: \d+\.\d+x, sequential/wall: \d+\.\d+x", last), last
    # Independent stacks did overlap. Counted, not timed: on a loaded machine 10 ms stacks may not
    # beat the scheduling overhead, but they still run at the same time.
    at_once = re.search(r"\(at most (\d+) at once\)", result.stdout)
    assert at_once and int(at_once.group(1)) > 1, result.stdout


def test_startup_bench_reports_the_median() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "startup.py"), "--runs", "3"],
                            capture_output=True, text=True, timeout=120, check=True)
    assert re.search(r"^median: \d+(\.\d+)? ms$", result.stdout, re.M), result.stdout


def test_plan_bench_reports_the_largest_size() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "plan.py"), "--sizes", "1x1"],
                            capture_output=True, text=True, timeout=120, check=True)
    last = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"1x1: \d+\.\d\ds, \d+ MB, (\d+) resources", last)
    assert match, result.stdout
    assert int(match.group(1)) > 0


def test_import_bench_reports_the_median() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "import.py"), "--services", "3", "--runs", "1"],
                            capture_output=True, text=True, timeout=120, check=True)
    assert re.search(r"^median: \d+(\.\d+)? ms$", result.stdout, re.M), result.stdout
