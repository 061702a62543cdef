"""Measure `ecsp import copilot` on a generated Copilot workspace of N services (default 20).

    python bench/import.py                 # 20 services, 2 environments, 10 runs: median in ms
    python bench/import.py --services 5 --runs 1   # smoke mode (tests/cli/test_bench.py)

The workspace is written to a temporary folder from Copilot's documented manifest fields
(image.build, http with a health check, count ranges, variables and secrets with
${COPILOT_ENVIRONMENT_NAME}, an environments override), so every run maps, factors and writes
the whole file. The target is "well under a second" for 20 services (issue 13).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

SERVICE = """\
name: svc{i}
type: Load Balanced Web Service
image:
  build: svc{i}/Dockerfile
  port: 8080
http:
  path: svc{i}
  healthcheck:
    path: /health
    interval: 15s
    timeout: 5s
cpu: 512
memory: 1024
count:
  range: 1-{max}
  cpu_percentage: 70
exec: true
variables:
  LOG_LEVEL: info
  STAGE: ${{COPILOT_ENVIRONMENT_NAME}}
secrets:
  DB_PASSWORD: /copilot/${{COPILOT_APPLICATION_NAME}}/${{COPILOT_ENVIRONMENT_NAME}}/secrets/db
environments:
  prod:
    count:
      range: 2-{max}
      cpu_percentage: 60
"""


def write_workspace(root: Path, services: int) -> None:
    copilot = root / "copilot"
    (copilot / "environments" / "test").mkdir(parents=True)
    (copilot / "environments" / "prod").mkdir(parents=True)
    (copilot / ".workspace").write_text("application: bench\n")
    for env in ("test", "prod"):
        (copilot / "environments" / env / "manifest.yml").write_text(f"name: {env}\ntype: Environment\n")
    for i in range(services):
        (copilot / f"svc{i}").mkdir()
        (copilot / f"svc{i}" / "manifest.yml").write_text(SERVICE.format(i=i, max=4 + i))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=20, help="services in the workspace (default: 20)")
    parser.add_argument("--runs", type=int, default=10, help="measured runs (default: 10)")
    args = parser.parse_args(argv)
    from ecsp.importer import import_copilot

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_workspace(root, args.services)
        envs = ["test=us-west-2:111111111111", "prod=us-east-1:222222222222"]
        import_copilot(root, environments=envs)  # warm-up: imports and caches, not counted
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = import_copilot(root, environments=envs)
            times.append((time.perf_counter() - start) * 1000)
    assert len(result.applications) == args.services, result.refused
    print(f"ecsp import copilot, {args.services} services x 2 environments, {args.runs} runs")
    print(f"median: {statistics.median(times):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
