"""Benchmark: how close the orchestrator gets to the critical path on a synthetic project.

A project of ``--environments`` environments x ``--applications`` applications (3 x 10 by
default: 34 stacks) runs ``up`` through the Python API on the fake engine, every stack
taking the same ``--delay``. The best possible wall time is the critical path (project +
environment + application = 3 delays); running every stack one after the other takes 34.
The last line reads ``wall/critical-path: <r>x, sequential/wall: <s>x`` (target: r <= 1.15
at --parallel 32).

    .venv/bin/python bench/orchestrate.py
    .venv/bin/python bench/orchestrate.py --parallel 4 --delay 0.1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecsp import api, loader
from ecsp.engine.fake import FakeEngine
from tests.deploy_support import synthetic_yaml


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, default=32, help="stacks at once (default 32)")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per stack (default 0.2)")
    parser.add_argument("--environments", type=int, default=3)
    parser.add_argument("--applications", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the median is reported (default 3)")
    args = parser.parse_args(argv)

    config = loader.loads(synthetic_yaml("bench", args.environments, args.applications), "ecsp.yaml")
    project = api.Project(config, Path("bench/ecsp.yaml").resolve())
    stacks = len(project.stacks())
    critical = 3 * args.delay
    sequential = stacks * args.delay

    walls = []
    for run in range(1, args.repeat + 1):
        engine = FakeEngine(delay=args.delay)
        started = time.perf_counter()
        # The fake engine stands for AWS too: there is no account to look taken names up in.
        result = project.up(parallel=args.parallel, engine=engine, progress=False, check_names=False)
        wall = time.perf_counter() - started
        assert result.ok and len(engine.calls) == stacks, result
        walls.append(wall)
        print(f"run {run}: {stacks} stacks in {wall:.3f}s (at most {engine.max_running} at once)")
    wall = statistics.median(walls)
    print(f"critical path {critical:.3f}s, sequential {sequential:.3f}s, median wall {wall:.3f}s "
          f"at --parallel {args.parallel}")
    print(f"wall/critical-path: {wall / critical:.2f}x, sequential/wall: {sequential / wall:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
