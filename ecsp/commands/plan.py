"""``ecsp plan``: what every stack would create, evaluated offline under Pulumi's mocks."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter


def add_targets(p: argparse.ArgumentParser) -> None:
    """``--env``/``--app`` target options shared by every command that selects stacks or applications."""
    p.add_argument("--env", action="append", default=[], metavar="NAME",
                   help="only this environment (repeatable)")
    p.add_argument("--app", action="append", default=[], metavar="NAME",
                   help="only this application (repeatable)")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "plan", parents=[common], help="show every stack's resources, offline (no AWS, no pulumi CLI)",
        description="Evaluate every stack's Pulumi program in-process under Pulumi's mocks and show what it "
        "would create: stacks in dependency order, each as a resource tree. Needs no AWS account, no "
        "credentials and no pulumi CLI.",
        epilog="examples:\n  ecsp plan\n  ecsp plan --env test --app web\n  ecsp plan --json | jq '.stacks[].name'\n"
        "  ecsp plan --with-pipeline     the pipeline stacks too, and their buildspecs",
        formatter_class=HelpFormatter,
    )
    add_targets(p)
    p.add_argument("--json", action="store_true", help="print a machine-readable document")
    p.add_argument("--inputs", action="store_true", help="show each resource's inputs in the tree")
    add_with_pipeline(p)
    p.set_defaults(handler=plan)


def add_with_pipeline(p: argparse.ArgumentParser) -> None:
    p.add_argument("--with-pipeline", action="store_true",
                   help="include the pipeline stacks (left out otherwise; not with --env/--app)")


def plan(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, cost, views

    project = api.load(args.file)
    result = project.plan(env=args.env, app=args.app, with_pipeline=args.with_pipeline)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, sort_keys=False))
    else:
        out = views.console()
        views.print_plan(result, out, inputs=args.inputs)
        out.print(cost.estimate_plan(project.config, result).total_line())
        for model in project.pipelines() if args.with_pipeline else []:
            views.print_pipeline(model, out)
    return 0
