"""``ecsp check --aws-models``: every request, policy and state machine ecsp would send, checked offline."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter
from ecsp.commands.plan import add_targets


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "check", parents=[common], help="check what ecsp would send to AWS against AWS's models, offline",
        description="Plan every stack (pipelines too) under Pulumi's mocks and check what the programs would "
        "send to AWS, without an account: each resource's API request against botocore's service models "
        "(required members, types, enums, ranges, patterns) and the documented rules the models cannot "
        "express; every IAM policy with parliament; every Step Functions definition with asl-validator "
        "(Node.js: `ecsp check --install-tools` installs it once). Accepted findings are listed with their "
        "reason; any other finding fails the command (exit 1).",
        epilog="examples:\n  ecsp check --aws-models\n  ecsp check --aws-models --env test --app web\n"
        "  ecsp check --aws-models --accepted   also list the accepted findings and why\n"
        "  ecsp check --install-tools           install asl-validator and AWSGuard",
        formatter_class=HelpFormatter,
    )
    add_targets(p)
    p.add_argument("--aws-models", action="store_true", help="run the shape, IAM and Step Functions checks")
    p.add_argument("--accepted", action="store_true", help="list accepted findings too, with their reason")
    p.add_argument("--install-tools", action="store_true",
                   help="install the npm tools the checks use into ~/.ecsp/aws-checks (needs node and npm)")
    p.set_defaults(handler=check)


def check(args: argparse.Namespace) -> int:
    import sys

    from ecsp.errors import UsageError

    if not (args.aws_models or args.install_tools):
        raise UsageError("say what to do: --aws-models (check the project) or --install-tools",
                         fix="ecsp check --aws-models")
    if args.install_tools:
        from ecsp.check import node

        print(f"AWS check tools: {node.install(lambda text: print(text, file=sys.stderr))}")
        if not args.aws_models:
            return 0
    from ecsp import api
    from ecsp.check import aws_models, documents

    project = api.load(args.file)
    plan = project.plan(env=args.env, app=args.app, with_pipeline=not (args.env or args.app))
    findings = aws_models(documents.from_plan(plan))
    problems = [f for f in findings if not f.accepted]
    for finding in findings if args.accepted else problems:
        print(finding)
    resources = sum(s.resource_count for s in plan.stacks)  # counted as plan and the progress display count
    print(f"{len(plan.stacks)} stacks, {resources} resources: {len(problems)} problems, "
          f"{len(findings) - len(problems)} accepted findings")
    return 1 if problems else 0
