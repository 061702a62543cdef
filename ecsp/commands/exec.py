"""``ecsp exec``: an interactive session (a shell, or a command) in a running container over ECS Exec."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import add_environment, add_json

if TYPE_CHECKING:
    from ecsp.ops.exec import Connection, ExecReport

EPILOG = """\
examples:
  ecsp exec web --env test                 a shell (/bin/sh) in the newest task
  ecsp exec web --env prod -- ls -la /app  one command
  ecsp exec web --env prod --task 1a2b --container datadog -- agent status
  ecsp exec web --env prod --check         only check what ECS Exec needs
  a service ecsp did not create:
  ecsp exec --cluster legacy --service api --region us-east-1 -- sh

Before opening the session ecsp checks, and stops with each fix when one fails: the
session-manager-plugin, exec on the service and on the task (`exec: true` in ecsp.yaml),
the ExecuteCommandAgent in the container, the task role's ssmmessages permissions, AWS
credentials set as container variables (they make sessions fail with
TargetNotConnectedException) and a network path to ssmmessages (a public IP, a NAT, or a
VPC endpoint). --skip-checks tries anyway.

The session runs as `aws ecs execute-command` runs it: session-manager-plugin owns the
terminal, and Ctrl-C, Ctrl-\\ and Ctrl-Z go to the remote side.

exit status: the session's (session-manager-plugin's), which is 0 even when the remote
command fails: ECS Exec does not return its status. Use `ecsp task run` when it matters.
With --check: 0 when every check passes, 1 otherwise. 1 when a check fails; 2 bad input.
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "exec", parents=[common], help="a shell or a command in a running container (ECS Exec)",
        description="Open an ECS Exec session into a running container of the application: the newest running "
        "task of its service (or --task), its own container (or --container), running COMMAND (everything after "
        "--; a shell by default).",
        usage="ecsp exec [APP] [--env NAME] [options] [-- COMMAND [ARG ...]]", epilog=EPILOG,
        formatter_class=HelpFormatter)
    p.add_argument("application", nargs="?", metavar="APP", help="the application (not with --cluster/--service)")
    p.set_defaults(program=[])  # what follows --: the command to run (ecsp.cli keeps it whole)
    add_environment(p)
    p.add_argument("--task", metavar="ID", help="the running task whose id starts with this (default: the newest)")
    p.add_argument("--container", metavar="NAME", help="the container (default: the application's own)")
    p.add_argument("--check", action="store_true", help="check what ECS Exec needs, print it and exit")
    p.add_argument("--skip-checks", action="store_true", help="open the session even when a check fails")
    add_json(p, what="the checks as JSON (with --check)")
    foreign = p.add_argument_group("a service ecsp did not create")
    foreign.add_argument("--cluster", metavar="NAME", help="its cluster (name or ARN)")
    foreign.add_argument("--service", metavar="NAME", help="its service")
    foreign.add_argument("--region", metavar="REGION", help="its region (default: --env's, else your AWS config's)")
    foreign.add_argument("--profile", metavar="NAME", help="the AWS profile (default: --env's, else AWS_PROFILE)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, views
    from ecsp.commands.options import chosen_environment
    from ecsp.errors import UsageError
    from ecsp.ops import exec as ops

    if args.cluster or args.service:
        if not (args.cluster and args.service) or args.application:
            raise UsageError("--cluster and --service name a service together, instead of APP",
                             fix="e.g. ecsp exec --cluster legacy --service api --region us-east-1")
        report = ops.prepare(_foreign(args), cluster=args.cluster, service=args.service, task=args.task,
                             container=args.container)
    else:
        if not args.application:
            raise UsageError("say which application", fix="e.g. ecsp exec web --env test")
        project = api.load(args.file)
        env = chosen_environment(args, project.config, "exec")
        report = project.exec_report(args.application, env, task=args.task, container=args.container)
    err = views.console(stderr=True)
    if args.check:
        if args.json:
            print(json.dumps(report.to_json(), indent=2))
        else:
            _render(report, views.console(), every=True)
        return 0 if report.ready else 1
    if not report.ready and not args.skip_checks:
        _render(report, err, every=False)
        err.print("fix the above, or try anyway with --skip-checks", soft_wrap=True)
        return 1
    command = " ".join(args.program) or ops.DEFAULT_COMMAND
    err.print(f"exec into {report.target.container} in task {report.target.task_id[:12]} ({report.target.cluster_name})"
              f": {command}", soft_wrap=True)
    return ops.connect(report, args.program)


def _render(report: ExecReport, out: Any, *, every: bool) -> None:
    from rich.text import Text

    target = report.target
    service = (target.service or {}).get("serviceName", "?")
    out.print(f"{target.container} in task {target.task_id} of service {service} ({target.cluster_name})",
              soft_wrap=True)
    marks = {True: ("ok", "green"), False: ("FAIL", "red"), None: ("?", "yellow")}
    for check in report.checks:
        if not every and check.ok is not False:
            continue
        mark, style = marks[check.ok]
        out.print(Text.assemble(("  " + mark.ljust(5), style), f"{check.name}: {check.detail}"), soft_wrap=True)
        if check.fix and check.ok is not True:
            out.print(f"         fix: {check.fix}", soft_wrap=True)


def _foreign(args: argparse.Namespace) -> Connection:
    """The connection to a service ecsp did not create: an environment's of ecsp.yaml, or AWS's defaults."""
    import os
    from pathlib import Path

    from ecsp import api
    from ecsp.aws import Sessions, Where, aws_errors
    from ecsp.errors import UsageError
    from ecsp.ops.exec import Connection

    if args.env is not None or (Path(args.file).is_file() and not (args.region or args.profile)):
        from ecsp.commands.options import chosen_environment

        project = api.load(args.file)
        env = chosen_environment(args, project.config, "exec --cluster ... --service ...")
        settings = project.config.environments[env]
        sessions = Sessions(project.config)
        return Connection(sessions.session(env), sessions.where(env),
                          profile=settings.profile or os.environ.get("AWS_PROFILE", ""),
                          handed_on=settings.role_arn is not None)
    import boto3  # type: ignore[import-untyped]

    where = Where(f"{args.cluster}/{args.service}", args.region or "", args.profile, kind="service")
    with aws_errors(where):
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
    if not session.region_name:
        raise UsageError("say the service's region with --region", fix="e.g. --region us-east-1")
    where = Where(where.environment, session.region_name, args.profile, kind="service")
    return Connection(session, where, profile=args.profile or os.environ.get("AWS_PROFILE", ""))
