"""``ecsp cost``: the monthly cost of every stack, from the offline plan and ecsp's dated price table."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter
from ecsp.commands.plan import add_targets


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "cost", parents=[common], help="estimate the monthly cost of every stack, offline",
        description="Estimate what the planned stacks cost a month: each resource ecsp would create (from the "
        "offline plan: Fargate tasks, load balancers, NAT gateways, public IPv4 addresses, log groups, keys, "
        "zones, queues, storage) priced with the AWS on-demand list prices ecsp ships (dated; every line names "
        "its meter). Autoscaled services give a range from their fewest to their most tasks. What the plan "
        "cannot know (traffic, stored data, log volume) is an assumption, printed with the estimate and "
        "overridable with --assume. Not included: data transfer out, free tiers, Savings Plans, taxes.",
        epilog="examples:\n  ecsp cost\n  ecsp cost --env prod --assume nat_gb=200 --assume log_gb=5\n"
        "  ecsp cost --json | jq .total\n"
        "  git show main:ecsp.yaml > main.yaml\n"
        "  ecsp cost --diff main.yaml     what changes from main.yaml to ecsp.yaml",
        formatter_class=HelpFormatter,
    )
    add_targets(p)
    p.add_argument("--assume", action="append", default=[], metavar="NAME=VALUE",
                   help="override a usage assumption (repeatable); the estimate lists them all")
    p.add_argument("--diff", metavar="OTHER.yaml",
                   help="compare with another project file: what changes from OTHER to this one")
    p.add_argument("--json", action="store_true", help="print a machine-readable document")
    p.set_defaults(handler=cost)


def cost(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, views
    from ecsp.cost import CostDiff, CostReport, parse_overrides

    assume = parse_overrides(args.assume)
    project = api.load(args.file)
    report = project.cost(env=args.env, app=args.app, assume=assume)
    result: CostReport | CostDiff = report
    if args.diff:
        before = api.load(args.diff).cost(env=args.env, app=args.app, assume=assume)
        result = report.diff(before)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    out = views.console()
    out.print(result.table())
    for note in result.notes():  # whole lines: a note cut at the terminal's edge would lose its end
        out.print(note, soft_wrap=True)
    return 0
