"""``ecsp plan``: what every stack would create, evaluated offline under Pulumi's mocks."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import add_json, add_targets, add_with_pipeline


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "plan", parents=[common], help="show every stack's resources, offline (no AWS, no pulumi CLI)",
        description="Evaluate every stack's Pulumi program in-process under Pulumi's mocks and show what it "
        "would create: stacks in dependency order, each as a resource tree. Needs no AWS account, no "
        "credentials and no pulumi CLI. A stack whose code, settings and upstream outputs did not change since "
        "the last plan is read back from .ecsp/plans, and says so.",
        epilog="examples:\n  ecsp plan\n"
        "  ecsp plan --env test --app web   web in test; upstream stacks a line each\n"
        "  ecsp plan --json | jq '.stacks[].name'\n"
        "  ecsp plan --with-pipeline     the pipeline stacks too, and their buildspecs\n"
        "  ecsp plan --no-cache          plan every stack again",
        formatter_class=HelpFormatter,
    )
    add_targets(p)
    add_json(p, what="a machine-readable document")
    p.add_argument("--inputs", action="store_true", help="show each resource's inputs in the tree")
    add_with_pipeline(p)
    p.add_argument("--no-cache", action="store_true",
                   help="plan every stack again instead of reading unchanged ones back from .ecsp/plans")
    p.set_defaults(handler=plan)


def plan(args: argparse.Namespace) -> int:
    from ecsp import api

    project = api.load(args.file)
    result = project.plan(env=args.env, app=args.app, with_pipeline=args.with_pipeline, cache=not args.no_cache)
    if args.json:
        import json

        print(json.dumps(result.to_json(), indent=2, sort_keys=False))
    else:
        from ecsp import cost, pipelines, views  # rich and the price table: only for the tree

        out = views.console()
        views.print_plan(result, out, inputs=args.inputs)
        shown = {stack.spec.name for stack in result.stacks if not stack.upstream}  # what was asked for
        out.print(cost.estimate_plan(project.config, result, only=shown).total_line())
        for model in project.pipelines() if args.with_pipeline else []:
            pipelines.render(model, out)
    return 0
