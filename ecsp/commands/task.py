"""``ecsp task run``: run a command once in a task of an application and exit with its exit code."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import add_environment, add_json, chosen_environment

RUN_EPILOG = """\
examples:
  ecsp task run web --env test -- python manage.py migrate
  ecsp task run web --env prod -- sh -c 'rake db:migrate && rake cache:clear'
  ecsp task run web --env test --image ghcr.io/acme/web:fix -- ./check
  ecsp task run web --env test --build -- python manage.py migrate --plan
  ecsp task run nightly --env prod --detach -- ./reindex --full
  ecsp task run web --env test --json -- ./check | jq -c 'select(.type=="task")'

The task is the application's: its current task definition (the one its service runs, or
its job's state machine), its subnets, security groups, roles, variables and secrets, with
the container's command replaced. Its logs are the application's (`ecsp logs APP --task ID`).
Unlike `ecsp exec`, the command's exit code comes back, which makes this the way to run
migrations or checks from CI; `release:` in ecsp.yaml runs one before each deploy.

--build runs the working tree before it is deployed: the application's Dockerfile is built
with your docker and pushed to the project's ECR repository of the environment's region
(with the project account's credentials, as `ecsp up` pushes), tagged with the same content
hash a deploy uses, so unchanged content is not built again. The stack is not changed.

Ctrl-C stops following; the task goes on.

exit status: the container's exit code (0-255); 1 when the task stopped without one (it
could not start: see the reason); 0 with --detach once ECS accepted the task; 1 a build or
push failed; 2 bad input; 3 no docker (with --build).
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    raw = HelpFormatter
    p = sub.add_parser("task", help="one-off tasks: task run APP -- COMMAND",
                       description="Run commands in one-off tasks of an application.",
                       epilog="examples:\n  ecsp task run web --env test -- python manage.py migrate",
                       formatter_class=raw)
    verbs = p.add_subparsers(dest="verb", metavar="VERB", title="verbs", required=True)
    v = verbs.add_parser(
        "run", parents=[common], help="run a command once in a task of the application, with its exit code",
        description="Start a one-off Fargate task from the application's current task definition with the "
        "container's command replaced by COMMAND (everything after --, run as it is: no shell unless you run one, "
        "e.g. -- sh -c 'a && b'), print its logs until it stops, and exit with the container's exit code.",
        usage="ecsp task run APP [--env NAME] [options] -- COMMAND [ARG ...]", epilog=RUN_EPILOG, formatter_class=raw)
    v.add_argument("application", metavar="APP", help="the application")
    v.set_defaults(program=[])  # what follows --: the command to run (ecsp.cli keeps it whole)
    add_environment(v)
    image = v.add_mutually_exclusive_group()
    image.add_argument("--image", metavar="URI", help="run this image instead of the application's (the rest of its "
                       "task definition stays)")
    image.add_argument("--build", action="store_true",
                       help="build the application's Dockerfile from this working tree with your docker and push it to "
                       "the project's ECR first (not again when that content is there), then run that image")
    wait = v.add_mutually_exclusive_group()
    wait.add_argument("--wait", action="store_true", default=True,
                      help="follow the task until it stops and exit with its exit code (the default)")
    wait.add_argument("--detach", action="store_true", help="return as soon as ECS accepted the task")
    add_json(v, what="one JSON document per line: the task's states ({\"type\": \"task\"}) and log lines "
             "({\"type\": \"log\"})")
    v.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from ecsp import api, views
    from ecsp.errors import UsageError
    from ecsp.ops import logs as log_views
    from ecsp.ops.build import BuiltImage
    from ecsp.ops.tasks import TaskState

    project = api.load(args.file)
    env = chosen_environment(args, project.config, "task run")
    if not args.program:
        raise UsageError("say what to run after --",
                         fix=f"e.g. ecsp task run {args.application} --env {env} -- python manage.py migrate")
    out, err = views.console(), views.console(stderr=True)
    items = project.run_task(args.application, env, args.program, image=args.image, build=args.build,
                             follow=not args.detach)
    last: TaskState | None = None
    try:
        for item in items:
            if isinstance(item, BuiltImage):
                if args.json:
                    print(json.dumps({"type": "image", "image": item.uri, "built": item.built}), flush=True)
                else:
                    err.print(f"{'built and pushed' if item.built else 'found in ECR (same build context)'} "
                              f"{item.uri}", soft_wrap=True)
            elif args.json:
                document = ({"type": "task", **item.to_json()} if isinstance(item, TaskState)
                            else {"type": "log", **item.to_json()})
                print(json.dumps(document), flush=True)
            elif isinstance(item, TaskState):
                if last is None:
                    definition = (item.task_definition or "").rsplit("/", 1)[-1]
                    err.print(f"started task {item.id} of {args.application} in {env} ({definition}): "
                              f"{' '.join(args.program)}", soft_wrap=True)
                elif item.stopped:
                    err.print(f"task {item.id} {item.outcome()}", soft_wrap=True)
                else:
                    err.print(f"task {item.id}: {item.status.lower()}", soft_wrap=True)
            else:
                log_views.render(item, out)
            if isinstance(item, TaskState):
                last = item
    except KeyboardInterrupt:
        print(file=sys.stderr)
        task = f" {last.id}" if last else ""
        err.print(f"stopped following; task{task} goes on (`ecsp logs {args.application} --env {env} --task"
                  f"{task} --follow`)", soft_wrap=True)
        return 0
    finally:
        items.close()
    if args.detach or last is None:
        return 0
    if not last.stopped:
        return 1
    return last.exit_code if last.exit_code is not None and 0 <= last.exit_code <= 255 else 1
