"""Benchmark: a no-change ``ecsp up`` with the real engine, against the engine's own time, and its CLI calls.

Each project (``examples/hello``; a generated 1 environment x 10 applications) is deployed
once with the real ``pulumi`` CLI and the stand-in provider of ``tests/standin_provider``
(no AWS: it echoes inputs and calls nothing), then ``python -m ecsp up`` runs again with
nothing to change, ``--runs`` times. A shim first on ``PATH`` records every ``pulumi``
process ecsp starts: what it was asked and how long it took. From that record:

* ``engine``: the engine's own time: while at least one ``pulumi up`` ran (the union of their
  intervals). On a chain of stacks that is the ``up`` durations along the critical path; with
  more applications than ``--parallel`` (4) lets run at once, it also holds the waves the
  fan-out runs in, which the dependency graph alone does not show;
* ``wall/engine``: the whole command's wall time (python start-up included) over that;
* ``cpu``: the CPU time of ecsp and every process it waited for (the CLI, and through it the
  stand-in plugins): what the run costs whatever else the machine is doing;
* ``calls``: every ``pulumi`` process of the run, and the most any one stack needed.

The last line reads ``<project>: wall/engine <r>x, <n> CLI calls, at most <k> per stack``
for the largest project. Targets: wall/engine <= 1.3 and at most 2 calls per stack.

    .venv/bin/python bench/engine.py
    .venv/bin/python bench/engine.py --runs 1 --projects hello
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecsp.engine.pulumi_cli import find_pulumi  # noqa: E402
from stacks import PROGRAMS  # noqa: E402
from tests import standin_provider  # noqa: E402
from tests.deploy_support import synthetic_yaml  # noqa: E402

PROJECTS = ("hello", "1x10")
TARGET_RATIO, TARGET_CALLS_PER_STACK = 1.3, 2
# Records each pulumi process: start, end, exit status and arguments, one line each.
SHIM = """#!/bin/sh
start=$(date +%s.%N)
{real} "$@"
code=$?
printf '%s %s %s %s\\n' "$start" "$(date +%s.%N)" "$code" "$*" >> "$ECSP_BENCH_CALLS"
exit $code
"""


@dataclass
class Call:
    started: float
    ended: float
    code: int
    args: list[str]

    @property
    def stack(self) -> str | None:
        return self.args[self.args.index("--stack") + 1] if "--stack" in self.args[:-1] else None

    @property
    def verb(self) -> str:
        words = [a for a in self.args if not a.startswith("-")]
        return " ".join(words[:2]) if words[:1] in (["stack"], ["plugin"], ["config"]) else words[0]


@dataclass
class Measure:
    wall: float
    cpu: float  # ecsp and every process it waited for (the CLI, which waited for its plugins)
    engine: float
    calls: list[Call]

    def per_stack(self) -> int:
        counts = Counter(c.stack for c in self.calls if c.stack)
        return max(counts.values(), default=0)


def read_calls(log: Path) -> list[Call]:
    calls = []
    for line in log.read_text().splitlines() if log.exists() else []:
        started, ended, code, *args = line.split(" ")
        calls.append(Call(float(started), float(ended), int(code), args))
    return calls


def engine_time(calls: list[Call]) -> float:
    """How long at least one ``pulumi up`` was running: the union of the ups' intervals, in seconds."""
    total, reached = 0.0, float("-inf")
    for call in sorted((c for c in calls if c.verb == "up"), key=lambda c: c.started):
        start = max(call.started, reached)
        if call.ended > start:
            total += call.ended - start
        reached = max(reached, call.ended)
    return total


def prepare(kind: str, folder: Path) -> Path:
    if kind == "hello":
        shutil.copytree(ROOT / "examples" / "hello", folder, ignore=shutil.ignore_patterns(".ecsp"))
    else:
        environments, _, applications = kind.partition("x")
        folder.mkdir(parents=True)
        (folder / "ecsp.yaml").write_text(synthetic_yaml("bench", int(environments), int(applications)))
    return folder / "ecsp.yaml"


def up(file: Path, env: dict[str, str], log: Path) -> tuple[float, float, list[Call]]:
    """One ``ecsp up`` in a fresh process: its wall time, the CPU time of it and its children, its CLI calls."""
    log.unlink(missing_ok=True)
    output = file.parent / "up.log"
    with output.open("w") as out:
        started = time.perf_counter()
        # The stand-in provider reaches no AWS, and neither can the look-up of ecsp's names before a run.
        process = subprocess.Popen([sys.executable, "-m", "ecsp", "up", "--progress", "none", "--skip-name-check",
                                    "-f", str(file)], cwd=file.parent, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"ecsp up failed:\n{output.read_text()[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, read_calls(log)


def measure(kind: str, tmp: Path, runs: int) -> list[Measure]:
    file = prepare(kind, tmp / kind)
    home = tmp / f"{kind}-pulumi-home"
    standin_provider.install(home, PROGRAMS.plugin_versions())
    shim = tmp / "shim"
    log = tmp / f"{kind}-calls.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "AWS_", "ECSP_STANDIN_"))}
    env.update({"PULUMI_HOME": str(home), "PULUMI_CONFIG_PASSPHRASE": "bench", "ECSP_BENCH_CALLS": str(log),
                "PATH": f"{shim}{os.pathsep}{env.get('PATH', '')}"})
    up(file, env, log)  # deploy: the runs below change nothing
    measures = []
    for _ in range(runs):
        wall, cpu, calls = up(file, env, log)
        measures.append(Measure(wall, cpu, engine_time(calls), calls))
    return measures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="no-change runs per project; medians (default 3)")
    parser.add_argument("--projects", default=",".join(PROJECTS), help=f"comma-separated, of {', '.join(PROJECTS)}")
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 when a project misses {TARGET_RATIO}x or {TARGET_CALLS_PER_STACK} calls a stack")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.projects.split(",") if k.strip()]
    real = find_pulumi().command
    real = shutil.which(real) or real
    missed = []
    with tempfile.TemporaryDirectory(prefix="ecsp-bench-engine-") as folder:
        tmp = Path(folder)
        shim = tmp / "shim"
        shim.mkdir()
        (shim / "pulumi").write_text(SHIM.format(real=shlex.quote(real)))
        (shim / "pulumi").chmod(0o755)
        print(f"pulumi {real}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
              f"{args.runs} no-change runs each, medians")
        print(f"{'project':>8} {'stacks':>6} {'wall s':>7} {'cpu s':>6} {'engine s':>8} {'wall/engine':>11} "
              f"{'calls':>5} {'per stack':>9}  calls by verb")
        last = ""
        for kind in kinds:
            measures = measure(kind, tmp, args.runs)
            wall = statistics.median(m.wall for m in measures)
            cpu = statistics.median(m.cpu for m in measures)
            engine = statistics.median(m.engine for m in measures)
            calls = measures[-1].calls
            verbs = Counter(c.verb for c in calls)
            stacks = len({c.stack for c in calls if c.stack})
            ratio = wall / engine if engine else float("inf")
            per_stack = max(m.per_stack() for m in measures)
            print(f"{kind:>8} {stacks:>6} {wall:>7.2f} {cpu:>6.2f} {engine:>8.2f} {ratio:>10.2f}x {len(calls):>5} "
                  f"{per_stack:>9}  " + ", ".join(f"{v} {n}" for v, n in verbs.most_common()), flush=True)
            if ratio > TARGET_RATIO or per_stack > TARGET_CALLS_PER_STACK:
                missed.append(kind)
            last = f"{kind}: wall/engine {ratio:.2f}x, {len(calls)} CLI calls, at most {per_stack} per stack"
    for kind in missed:
        print(f"{kind} misses the target ({TARGET_RATIO}x, {TARGET_CALLS_PER_STACK} calls per stack)", file=sys.stderr)
    print(last)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
