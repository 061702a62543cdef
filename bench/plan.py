"""Benchmark: `ecsp plan` as a user waits for it, cold and with the plan cache; and as projects grow.

By default, three measurements, each ``python -m ecsp plan --json`` in a fresh process:

* cold ``examples/hello`` and cold 1 environment x 30 applications: nothing in the plan
  cache (``--no-cache``), so every stack is planned; the median of ``--runs``;
* a 5 x 100 replan after one application changed: the project is planned once (which fills
  the cache), one application's port is changed, and the plan runs again: only the stacks
  that setting reaches are planned, the others read back from the cache.

The last line reads ``5x100 replan: <wall>s, <planned> planned, <cached> from the cache``.
Targets (issue 30): cold hello under 2.3 s, the 5x100 replan under 5 s.

With ``--sizes``, the growth sweep instead: each size ``ExA`` is a generated project of E
environments (each in its own region, up to five) and A applications, planned cold, so the peak
RSS (from ``wait4``) belongs to that size alone. ``ms/res`` is wall time per planned resource;
``marginal`` is the extra time per extra resource over the smallest size, which stays flat when
planning is linear in the number of resources (the fixed start-up cost drops out). Its last
line reads ``<ExA>: <wall>s, <rss> MB, <resources> resources`` for the largest size. Targets
(issue 15): 3x30 under 15 s and 1 GB; 5x100 completes.

    .venv/bin/python bench/plan.py
    .venv/bin/python bench/plan.py --sizes 1x1,1x30,3x30,5x100 --check
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")
TARGET_SIZE, TARGET_SECONDS, TARGET_MB = (3, 30), 15.0, 1024.0
TARGET_COLD_HELLO, TARGET_REPLAN = 2.3, 5.0
# An installed ecsp has its bytecode compiled (pip compiles it), so the child writes it too: a
# shell with PYTHONDONTWRITEBYTECODE set would otherwise time compiling ecsp's sources on every run.
CHILD_ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


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
    """Plan one generated project cold in a fresh process; its own wall time and peak RSS."""
    config = folder / f"{environments}x{applications}" / "ecsp.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(project_yaml(environments, applications))
    out = config.parent / "plan.json"
    with out.open("w") as stdout:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "ecsp", "plan", "-f", str(config), "--json", "--no-cache"],
                                   cwd=ROOT, stdout=stdout, env=CHILD_ENVIRONMENT)
        # wait4, not RUSAGE_CHILDREN: the latter is the maximum over every child so far.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"ecsp plan failed for {environments}x{applications} (exit {process.returncode})")
    plan = json.loads(out.read_text())
    resources = sum(len(stack["resources"]) for stack in plan["stacks"])
    return Result(f"{environments}x{applications}", len(plan["stacks"]), resources, wall, usage.ru_maxrss / 1024)


@dataclass
class Timed:
    wall: float
    cpu: float  # user + system seconds of the process: what it costs, whatever else the machine runs
    planned: int
    cached: int


def plan_once(config: Path, *extra: str) -> Timed:
    """``ecsp plan --json`` of ``config`` in a fresh process: wall and CPU time, stacks planned and read back."""
    out, errors = config.parent / "plan.json", config.parent / "plan.err"
    with out.open("w") as stdout, errors.open("w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "ecsp", "plan", "-f", str(config), "--json", *extra],
                                   cwd=ROOT, stdout=stdout, stderr=stderr, env=CHILD_ENVIRONMENT)
        _, status, usage = os.wait4(process.pid, 0)  # this process's own usage, not all children's so far
        wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"ecsp plan failed for {config}:\n{errors.read_text()[-3000:]}")
    stacks = json.loads(out.read_text())["stacks"]
    cached = sum(1 for stack in stacks if stack.get("cached"))
    return Timed(wall, usage.ru_utime + usage.ru_stime, len(stacks) - cached, cached)


def speeds(folder: Path, runs: int) -> tuple[float, float]:
    """Cold hello, cold 1x30 (medians), and the 5x100 replan; returns (cold hello, replan) seconds."""
    hello = folder / "hello"
    shutil.copytree(ROOT / "examples" / "hello", hello, ignore=shutil.ignore_patterns(".ecsp"))
    wide = folder / "1x30"
    wide.mkdir()
    (wide / "ecsp.yaml").write_text(project_yaml(1, 30))
    cold_hello = 0.0
    plan_once(hello / "ecsp.yaml", "--no-cache")  # writes the bytecode a first run after an edit compiles
    for name, config in (("hello", hello / "ecsp.yaml"), ("1x30", wide / "ecsp.yaml")):
        timed = [plan_once(config, "--no-cache") for _ in range(runs)]
        wall = statistics.median(t.wall for t in timed)
        cold_hello = cold_hello or wall
        print(f"cold {name}: {wall:.2f}s median of {runs}, {statistics.median(t.cpu for t in timed):.2f}s CPU "
              f"({timed[0].planned} stacks planned)", flush=True)
    big = folder / "5x100"
    big.mkdir()
    text = project_yaml(5, 100)
    (big / "ecsp.yaml").write_text(text)
    first = plan_once(big / "ecsp.yaml")
    print(f"5x100 first plan: {first.wall:.2f}s, {first.cpu:.2f}s CPU ({first.planned} planned, {first.cached} from "
          "the cache)", flush=True)
    # One application's setting changes: its five stacks (one per environment) must be planned again.
    changed = text.replace("  a7:\n    image: {location: public.ecr.aws/nginx/nginx:stable}\n    port: 80\n",
                           "  a7:\n    image: {location: public.ecr.aws/nginx/nginx:stable}\n    port: 8080\n", 1)
    assert changed != text
    (big / "ecsp.yaml").write_text(changed)
    replan = plan_once(big / "ecsp.yaml")
    print(f"5x100 replan: {replan.wall:.2f}s, {replan.cpu:.2f}s CPU, {replan.planned} planned, {replan.cached} from "
          "the cache")
    return cold_hello, replan.wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated ENVIRONMENTSxAPPLICATIONS: the growth sweep instead")
    parser.add_argument("--runs", type=int, default=3, help="cold runs per project, medians (default 3)")
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 when a target is missed: cold hello {TARGET_COLD_HELLO:g} s, 5x100 replan "
                        f"{TARGET_REPLAN:g} s; with --sizes, {TARGET_SIZE[0]}x{TARGET_SIZE[1]} (if measured) "
                        f"{TARGET_SECONDS:g} s and {TARGET_MB:g} MB")
    args = parser.parse_args(argv)
    if not args.sizes:
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; python {sys.version.split()[0]}",
              flush=True)
        with tempfile.TemporaryDirectory(prefix="ecsp-bench-plan-") as tmp:
            cold, replan = speeds(Path(tmp), args.runs)
        missed = cold > TARGET_COLD_HELLO or replan > TARGET_REPLAN
        if missed:
            print(f"a target is missed: cold hello {TARGET_COLD_HELLO:g} s, 5x100 replan {TARGET_REPLAN:g} s",
                  file=sys.stderr)
        return 1 if args.check and missed else 0
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
