"""``ecsp rollback``: put an application's service back on a revision it ran before, after showing what changes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import LOCAL_STATE_HELP, add_backend, add_environment, add_json, add_local, add_progress

if TYPE_CHECKING:
    from ecsp.ops.rollback import RollbackPlan
    from ecsp.results import RunResult

EPILOG = """\
examples:
  ecsp rollback web --env prod                 back to the previous revision
  ecsp rollback web --env prod --dry-run       show what would change, only
  ecsp rollback web --env prod --to 41 --yes   to shop-prod-web:41, no question
  ecsp rollback web --env prod --dry-run --json | jq '.history'

The revisions are those the service ran, from the application stack's update history
(each `ecsp up` records the one it replaced). A revision is the whole task definition as
it ran: image, variables, secrets, cpu and memory. ecsp shows how the two differ and what
the update changes, asks, then runs `up` on that one stack with the service held on the
chosen revision. No release command runs. The next `ecsp up` of the application deploys
ecsp.yaml again: a rollback lasts until the fix is deployed.

exit status: 0 rolled back (or --dry-run), 1 the update failed, 2 bad input (an unknown
revision, no confirmation), 130 interrupted.
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("rollback", parents=[common], help="put an application's service back on an earlier revision",
                       description="Move the application's service back to a task definition revision it ran "
                       "before (the previous one, or --to), as recorded in its stack's update history.",
                       epilog=EPILOG, formatter_class=HelpFormatter)
    p.add_argument("application", metavar="APP", help="the application")
    add_environment(p)
    p.add_argument("--to", metavar="REVISION", help="the revision: its number (41), family:number or ARN "
                   "(default: the one before the current)")
    p.add_argument("--dry-run", action="store_true", help="show the plan and the changes, change nothing")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_json(p, what="the plan as JSON (on stdout; progress goes to stderr)")
    add_local(p, help=LOCAL_STATE_HELP)
    add_backend(p)
    add_progress(p, help="how the update shows its progress (default: auto)")
    p.set_defaults(handler=rollback)


def rollback(args: argparse.Namespace) -> int:
    import contextlib
    import json

    from ecsp import api, progress, views
    from ecsp.commands import confirm
    from ecsp.commands.options import chosen_environment

    project = api.load(args.file)
    env = chosen_environment(args, project.config, "rollback")
    out, err = views.console(), views.console(stderr=True)
    with contextlib.ExitStack() as stack:
        local = None
        if args.local:
            from ecsp import local as emulators

            local = stack.enter_context(emulators.emulator(project.root, record=not args.dry_run))
        plan = project.rollback_plan(args.application, env, to=args.to, local=local or False, backend=args.backend)
        preview = project.rollback(plan, preview=True, progress=False, local=local, backend=args.backend,
                                   check=True)
        if args.json:
            print(json.dumps(plan.to_json(), indent=2))
        else:
            _render(plan, preview, out)
        if args.dry_run:
            return 0
        if not args.yes:
            confirm(f"roll {plan.application} in {plan.environment} back to {plan.target.label}?",
                    answer=plan.application, what=f"type the application's name ({plan.application}) to confirm")
        mode: progress.Mode = "plain" if args.json and args.progress == "auto" else args.progress
        reporter = progress.reporter(mode, operation="up", console=err if args.json else None)
        result = project.rollback(plan, reporter=reporter, local=local, backend=args.backend, check=False)
    if result.interrupted:
        return 130
    if result.failed:
        return 1
    err.print(f"{plan.application} in {plan.environment} runs {plan.target.label}; the next `ecsp up` of it deploys "
              "ecsp.yaml again", soft_wrap=True)
    return 0


def _render(plan: RollbackPlan, preview: RunResult, out: Any) -> None:
    from rich.text import Text

    out.print(Text.assemble((f"{plan.application} in {plan.environment}", "bold"), f" runs {plan.current.label}; "
                            f"back to {plan.target.label}"), soft_wrap=True)
    out.print("revisions it ran (newest first):")
    for served in plan.history:
        when = f"{served.replaced_at:%Y-%m-%d %H:%M}" if served.replaced_at else "?"
        mark = "  <- target" if served == plan.target else ""
        out.print(f"  {served.label:<32} replaced by update {served.replaced_by} at {when}{mark}", soft_wrap=True)
    out.print("what changes in the task:" if plan.changes else "the two revisions define the same task")
    for change in plan.changes:
        out.print(f"  {change.what}: {change.now} -> {change.then}", soft_wrap=True)
    steps = [s for stack in preview.stacks for s in stack.steps if s.op not in ("same", "read")]
    out.print("what the update changes:" if steps else "the update changes nothing (it already runs that revision)")
    for step in steps:
        diffs = f" ({', '.join(step.diffs)})" if step.diffs else ""
        out.print(f"  {step.op} {step.type.rsplit(':', 1)[-1]} {step.name}{diffs}", soft_wrap=True)
    others = [s for s in steps if not s.type.endswith("ecs/service:Service")]
    if others:
        out.print(Text("ecsp.yaml has changes that were not deployed yet: the rollback deploys them too",
                       style="yellow"), soft_wrap=True)
