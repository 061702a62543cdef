"""Measure how long `python -m ecsp --help` takes, as a user feels it (wall time of a fresh process).

    python bench/startup.py            # 20 runs: median and p90 in milliseconds
    python bench/startup.py --runs 50 --target-ms 150   # exit 1 when the median misses the target

The first run warms the OS file cache and is not counted. The target (median under 150 ms) is
issue 2's; `--help` imports neither pulumi nor pydantic, which is what keeps it there.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

COMMAND = (sys.executable, "-m", "ecsp", "--help")


def measure(runs: int, command: Sequence[str] = COMMAND) -> list[float]:
    """Wall times (seconds) of ``runs`` runs of ``command``, after one uncounted warm-up run."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        if i:
            times.append(time.perf_counter() - start)
    return times


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile by the nearest-rank method (p90 of 20 runs is the 18th fastest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil without importing math
    return ordered[int(rank) - 1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="measured runs (default: 20)")
    parser.add_argument("--target-ms", type=float, help="exit 1 when the median is above this")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    times = [t * 1000 for t in measure(args.runs)]
    median, p90 = statistics.median(times), percentile(times, 0.9)
    print(f"python -m ecsp --help, {args.runs} runs")
    print(f"median: {median:.1f} ms")
    print(f"p90: {p90:.1f} ms")
    print(f"min: {min(times):.1f} ms  max: {max(times):.1f} ms")
    if args.target_ms is not None and median > args.target_ms:
        print(f"slower than the {args.target_ms:g} ms target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
