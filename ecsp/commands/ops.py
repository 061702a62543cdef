"""``ecsp status``, ``ecsp logs``, ``ecsp run`` and ``ecsp show``: read (and start a job in) what is deployed."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import add_environment, add_json, add_local, add_targets, chosen_environment


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    raw = HelpFormatter
    p = sub.add_parser(
        "status", parents=[common], help="live state of each application: tasks, rollout, targets, events, URL",
        description="For each application in each environment: the ECS service's running/desired/pending tasks, "
        "the rollout state of its newest deployment (with the circuit breaker's reason when it failed), the load "
        "balancer's target health, the last service events and the URL. Resources are found by their ecsp:* tags "
        "and names, so this works without the Pulumi state. Uses each environment's region, profile and role.",
        epilog="examples:\n  ecsp status\n  ecsp status --env prod --app web\n"
        "  ecsp status --json | jq '.applications[]'\n\n"
        "exit status: 0 when every environment could be read, 1 when one could not (the error says why).",
        formatter_class=raw,
    )
    add_targets(p)
    p.add_argument("--events", type=int, default=3, metavar="N", help="service events to show per application "
                   "(default: 3)")
    add_json(p, what="a machine-readable document")
    add_local(p)
    p.set_defaults(handler=status)

    p = sub.add_parser(
        "logs", parents=[common], help="an application's CloudWatch logs, with timestamps and task ids",
        description="Print the application's CloudWatch Logs events (log group /ecsp/<project>-<env>-<app>), "
        "oldest first, each with its UTC time and container/task id: every container's and task's, running or "
        "stopped, unless --container or --task narrows them. With --follow, keep printing new events until "
        "Ctrl-C; stopping that way is the normal end of following and exits with status 0. --previous reads "
        "the task that stopped last (ECS lists stopped tasks for about an hour): why it stopped, then its logs.",
        epilog="examples:\n  ecsp logs web --env test\n  ecsp logs web --env prod --since 30m --filter ERROR\n"
        "  ecsp logs web --env test --follow --json | jq -r .message\n"
        "  ecsp logs web --env prod --start 2026-06-12T09:00 --end 2026-06-12T09:30\n"
        "  ecsp logs web --env prod --start 3h --end 2h --container datadog\n"
        "  ecsp logs web --env prod --task 1a2b3c4d   one task's lines (its id's start)\n"
        "  ecsp logs web --env prod --previous        why the last task stopped, its logs",
        formatter_class=raw,
    )
    p.add_argument("application", metavar="APP", help="the application")
    add_environment(p)
    p.add_argument("--since", default="1h", metavar="DURATION", help="how far back: 30m, 1h, 2d (default: 1h)")
    p.add_argument("--start", metavar="TIME", help="from this time instead: ISO 8601 (UTC unless it has an offset) "
                   "or a duration ago (3h)")
    p.add_argument("--end", metavar="TIME", help="until this time (same forms as --start; not with --follow)")
    p.add_argument("--follow", action="store_true", help="keep printing new events until Ctrl-C")
    p.add_argument("--filter", metavar="PATTERN",
                   help="a CloudWatch Logs filter pattern, e.g. ERROR or '\"connection refused\"'")
    p.add_argument("--container", metavar="NAME", help="only this container's lines (a sidecar's, say); default: "
                   "every container's")
    p.add_argument("--task", action="append", default=[], metavar="ID",
                   help="only this task's lines: its id or its first characters (repeatable)")
    p.add_argument("--previous", action="store_true", help="the task that stopped last: why, then its logs")
    add_json(p, what="one JSON document per event (JSON Lines)")
    add_local(p)
    p.set_defaults(handler=logs)

    p = sub.add_parser(
        "run", parents=[common], help="start a job now and follow its logs until it ends",
        description="Start a run of a job (an application with kind: job) through its Step Functions state machine, "
        "as its schedule would (with its retries and timeout), then print its logs until the run ends. The exit "
        "status says how it ended. Ctrl-C stops following; the run goes on.",
        epilog="examples:\n  ecsp run nightly --env test\n  ecsp run nightly --env prod --detach\n"
        "  ecsp run nightly --env test --local\n\n"
        "exit status: 0 the run succeeded (or --detach), 1 it failed, timed out or was aborted.",
        formatter_class=raw,
    )
    p.add_argument("application", metavar="JOB", help="the job")
    p.add_argument("--env", metavar="NAME", help="the environment (optional when the project has only one)")
    p.add_argument("--detach", action="store_true", help="start the run and return without following it")
    add_local(p)
    p.set_defaults(handler=run)

    p = sub.add_parser(
        "show", parents=[common], help="the project at a glance: environments, applications, where each runs",
        description="Show the project from ecsp.yaml plus live state: each environment's region, account and URL "
        "base, and each application with its state in every environment.",
        epilog="examples:\n  ecsp show\n  ecsp show --json | jq '.environments'\n  ecsp show --local\n\n"
        "exit status: 0 when every environment could be read, 1 when one could not.",
        formatter_class=raw,
    )
    add_json(p, what="a machine-readable document")
    add_local(p)
    p.set_defaults(handler=show)


def status(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, views
    from ecsp.ops import check_names
    from ecsp.ops import status as ops

    project = api.load(args.file)
    check_names(project.config, args.env, args.app)  # before --local starts the emulator, as `logs` does
    report = project.status(env=args.env, app=args.app, local=args.local, events=max(args.events, 0))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        ops.render(report, views.console(), details=True, err=views.console(stderr=True))
    return 1 if report.problems else 0


def logs(args: argparse.Namespace) -> int:
    import sys
    from datetime import UTC

    from ecsp import api, views
    from ecsp.ops import logs as ops

    project = api.load(args.file)
    env = chosen_environment(args, project.config, "logs")
    out, err = views.console(), views.console(stderr=True)
    start, end, tasks = args.start, args.end, list(args.task)
    if args.previous:
        if args.follow or args.task or args.start or args.end:
            from ecsp.errors import UsageError

            raise UsageError("--previous picks its task and time: it does not go with --follow, --task, --start or "
                             "--end", fix=f"e.g. ecsp logs {args.application} --env {env} --previous")
        last = project.last_stopped_task(args.application, env, local=args.local)
        when = f" at {last.stopped_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" if last.stopped_at else ""
        outcome = last.outcome()
        if last.stopped_reason and last.stopped_reason not in outcome:
            outcome += f"; ECS: {last.stopped_reason}"
        err.print(f"task {last.id} stopped{when}: {outcome}", soft_wrap=True)
        (start, end), tasks = last.log_window(), [last.id]
    events = project.logs(args.application, env, since=args.since, start=start, end=end, follow=args.follow,
                          filter=args.filter, container=args.container, tasks=tasks, local=args.local)
    try:
        for event in events:
            if args.json:
                print(ops.render_json(event), flush=True)
            else:
                ops.render(event, out)
    except KeyboardInterrupt:
        if not args.follow:
            raise
        # Ctrl-C is how --follow ends: a normal end, not a failure (status 0).
        print(file=sys.stderr)
    finally:
        events.close()  # stops the local emulator, when one was started
    return 0


def run(args: argparse.Namespace) -> int:
    import sys

    from ecsp import api, views
    from ecsp.ops import logs as ops
    from ecsp.ops.workloads import Execution

    project = api.load(args.file)
    env = chosen_environment(args, project.config, "run")
    out, err = views.console(), views.console(stderr=True)
    items = project.run_job(args.application, env, follow=not args.detach, local=args.local)
    last: Execution | None = None
    try:
        for item in items:
            if isinstance(item, Execution):
                if last is None:
                    err.print(f"started run {item.name} of {item.application} in {item.environment}", soft_wrap=True)
                last = item
            else:
                ops.render(item, out)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        err.print("stopped following; the run goes on (see `ecsp status`)", soft_wrap=True)
        return 0
    finally:
        items.close()
    if last is None or args.detach:
        return 0
    why = ": ".join(x for x in (last.error, last.cause) if x)
    err.print(f"run {last.name} {last.status.lower().replace('_', ' ')}" + (f" ({why})" if why else ""),
              soft_wrap=True)
    return 0 if last.status == "SUCCEEDED" else 1


def show(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, views
    from ecsp.ops import show as ops

    report = api.load(args.file).show(local=args.local)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        ops.render(report, views.console(), err=views.console(stderr=True))
    return 1 if report.problems else 0
