"""Benchmark: wall time and peak memory of `ecsp plan` as projects grow, and the time per resource.

Each size ``ExA`` is a generated project of E environments (each in its own region, up to five)
and A applications, planned by ``python -m ecsp plan -f ecsp.yaml --json`` in a fresh process,
so the peak RSS (from ``wait4``) belongs to that size alone. ``ms/res`` is wall time per planned
resource; ``marginal`` is the extra time per extra resource over the smallest size, which stays
flat when planning is linear in the number of resources (the fixed start-up cost drops out).
The last line reads ``<ExA>: <wall>s, <rss> MB, <resources> resources`` for the largest size.
Targets (issue 15): 3x30 under 15 s and 1 GB; 5x100 completes.

    .venv/bin/python bench/plan.py
    .venv/bin/python bench/plan.py --sizes 1x1,3x30 --check
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")
DEFAULT_SIZES = "1x1,1x30,3x30,5x100"
TARGET_SIZE, TARGET_SECONDS, TARGET_MB = (3, 30), 15.0, 1024.0


def project_yaml(environments: int, applications: int) -> str:
    """An ecsp.yaml with ``environments`` environments (e0... in up to five regions) x ``applications`` apps."""
    envs = "".join(f"  e{i}:\n    region: {REGIONS[i % len(REGIONS)]}\n"
                   f"    network: {{cidr: 10.{i}.0.0/16, nat: none}}\n" for i in range(environments))
    apps = "".join(f"  a{i}:\n    image: {{location: public.ecr.aws/nginx/nginx:stable}}\n    port: 80\n"
                   f"    path: {'/' if i == 0 else f'/a{i}'}\n    healthcheck: {{path: /}}\n"
                   f"    cpu: 256\n    memory: 512\n    count: 1\n" for i in range(applications))
    return f"project:\n  name: bench\n  region: us-east-1\n\nenvironments:\n{envs}\napplications:\n{apps}"


@dataclass
class Result:
    size: str
    stacks: int
    resources: int
    wall: float  # seconds
    rss_mb: float  # peak resident set of the planning process


def parse_size(text: str) -> tuple[int, int]:
    environments, _, applications = text.partition("x")
    if not (environments.isdigit() and applications.isdigit()) or not int(environments) or not int(applications):
        raise argparse.ArgumentTypeError(f"a size is ENVIRONMENTSxAPPLICATIONS, e.g. 3x30, not {text!r}")
    return int(environments), int(applications)


def measure(environments: int, applications: int, folder: Path) -> Result:
    """Plan one generated project in a fresh process; its own wall time and peak RSS."""
    config = folder / f"{environments}x{applications}" / "ecsp.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(project_yaml(environments, applications))
    out = config.parent / "plan.json"
    with out.open("w") as stdout:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "ecsp", "plan", "-f", str(config), "--json"],
                                   cwd=ROOT, stdout=stdout)
        # wait4, not RUSAGE_CHILDREN: the latter is the maximum over every child so far.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"ecsp plan failed for {environments}x{applications} (exit {process.returncode})")
    plan = json.loads(out.read_text())
    resources = sum(len(stack["resources"]) for stack in plan["stacks"])
    return Result(f"{environments}x{applications}", len(plan["stacks"]), resources, wall, usage.ru_maxrss / 1024)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"comma-separated ENVIRONMENTSxAPPLICATIONS (default {DEFAULT_SIZES})")
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 when {TARGET_SIZE[0]}x{TARGET_SIZE[1]} (if measured) misses "
                             f"{TARGET_SECONDS:g} s or {TARGET_MB:g} MB")
    args = parser.parse_args(argv)
    try:
        sizes = [parse_size(s.strip()) for s in args.sizes.split(",")]
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))

    results: list[Result] = []
    print(f"{'size':>7} {'stacks':>6} {'resources':>9} {'wall s':>7} {'peak MB':>8} {'ms/res':>7} "
          f"{'res/s':>6} {'marginal ms/res':>15}")
    with tempfile.TemporaryDirectory(prefix="ecsp-bench-plan-") as tmp:
        for environments, applications in sizes:
            r = measure(environments, applications, Path(tmp))
            base = results[0] if results else None
            marginal = ""
            if base is not None and r.resources > base.resources:
                marginal = f"{(r.wall - base.wall) * 1000 / (r.resources - base.resources):.2f}"
            results.append(r)
            print(f"{r.size:>7} {r.stacks:>6} {r.resources:>9} {r.wall:>7.2f} {r.rss_mb:>8.0f} "
                  f"{r.wall * 1000 / r.resources:>7.2f} {r.resources / r.wall:>6.0f} {marginal:>15}", flush=True)

    missed = [r for r in results if r.size == f"{TARGET_SIZE[0]}x{TARGET_SIZE[1]}"
              and (r.wall > TARGET_SECONDS or r.rss_mb > TARGET_MB)]
    for r in missed:
        print(f"{r.size} misses the target ({TARGET_SECONDS:g} s, {TARGET_MB:g} MB)", file=sys.stderr)
    largest = max(results, key=lambda r: r.resources)
    print(f"{largest.size}: {largest.wall:.2f}s, {largest.rss_mb:.0f} MB, {largest.resources} resources")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
