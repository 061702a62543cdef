"""``ecsp drift``: which deployed resources were changed outside ecsp (a shell over :meth:`ecsp.api.Project.drift`).

Prints a table of the drifted resources and properties (old -> new), or ``--json``; exits 1
on drift or when a stack could not be checked, so CI can run it on a schedule. Imports only
argparse at import time so ``ecsp --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import add_backend, add_json, add_targets, add_with_pipeline, stacks_at_once

EPILOG = """\
examples:
  ecsp drift                              every deployed stack
  ecsp drift --env prod --app web         one application stack in prod
  ecsp drift --json | jq '.stacks[] | select(.drifted) | .stack'

Each stack gets a refresh preview (`pulumi refresh --preview-only`, which Pulumi Cloud
counts as a drift detection run); nothing is written. `ecsp refresh` adopts what drifted
into the state, `ecsp up` puts back what ecsp.yaml says.

Exit status: 0 no drift, 1 drift (or a stack could not be checked), 2 bad input, 3 pulumi missing.
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("drift", parents=[common], help="find resources changed outside ecsp (exit 1 on drift)",
                       description="Refresh-preview the selected deployed stacks, several at once, and show which "
                       "resources and properties differ from what ecsp deployed (old -> new). Changes nothing.",
                       epilog=EPILOG, formatter_class=HelpFormatter)
    add_targets(p)
    add_with_pipeline(p)
    p.add_argument("--parallel", type=stacks_at_once, default=None, metavar="N",
                   help="stacks checked at once (default 4)")
    add_json(p, what="the report as JSON")
    add_backend(p)
    p.set_defaults(handler=drift)


def drift(args: argparse.Namespace) -> int:
    from ecsp import api
    from ecsp.orchestrator import DEFAULT_PARALLEL

    project = api.load(args.file)
    report = project.drift(args.env, args.app, parallel=args.parallel or DEFAULT_PARALLEL, backend=args.backend,
                           with_pipeline=args.with_pipeline)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, default=str))
    else:
        from ecsp import views

        views.console().print(report)
        if not report.stacks:
            print("nothing to check: none of the selected stacks is deployed", file=sys.stderr)
    return 0 if report.clean else 1
