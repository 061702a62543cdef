"""``ecsp outputs``, ``ls``, ``cancel`` and ``install-pulumi``: read and tend the state backend, and the CLI it needs.

A thin shell over :class:`ecsp.api.Project`: parse flags, call the API, print its answer
(tables from :mod:`ecsp.views`, or JSON). Imports only argparse at import time so
``ecsp --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ecsp.commands import HelpFormatter, confirm, installing
from ecsp.commands.options import LOCAL_STATE_HELP, add_backend, add_json, add_local, add_stack, add_targets, add_yes

RAW = HelpFormatter

LS_EPILOG = """\
examples:
  ecsp ls
  ecsp ls --json | jq -r '.[] | select(.status == "deployed") | .stack'
  ecsp ls --local                         stacks deployed to the local emulator

Preview environments (`ecsp up --env pr-42 --like test`) are listed with the environment they
are like and their expiry, read from their stacks' tags in the state backend.
"""

CANCEL_EPILOG = """\
examples:
  ecsp cancel --stack shop-web/test       after a crash left it locked
  ecsp cancel --env test --yes            every stack of test, without asking
"""

INSTALL_EPILOG = """\
examples:
  ecsp install-pulumi             `ecsp up` finds it in ~/.ecsp/pulumi/VERSION
  ecsp install-pulumi --plugins   and the plugins `up` could not download

Set ECSP_HOME to install somewhere else than ~/.ecsp.
"""

OUTPUTS_EPILOG = """\
examples:
  ecsp outputs                            every deployed stack's outputs
  ecsp outputs --env test --app web url   one value, printed bare (for scripts)
  ecsp outputs --stack shop-web/test --json
"""


def _state_options(p: argparse.ArgumentParser) -> None:
    add_backend(p)
    add_local(p, help=LOCAL_STATE_HELP)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("outputs", parents=[common], help="show stack outputs (or one value)",
                       description="Show the outputs of the selected deployed stacks, or one value with KEY.",
                       epilog=OUTPUTS_EPILOG, formatter_class=RAW)
    add_targets(p)
    add_stack(p)
    p.add_argument("key", nargs="?", metavar="KEY", help="print only this output's value")
    add_json(p)
    p.add_argument("--show-secrets", action="store_true", help="print secret values instead of [secret]")
    _state_options(p)
    p.set_defaults(handler=outputs)

    p = sub.add_parser("ls", parents=[common], help="list the stacks with their last update and status",
                       description="List every stack of the project: deployed or not, last update, resource "
                       "count, and stacks in the backend that are no longer in ecsp.yaml.", epilog=LS_EPILOG,
                       formatter_class=RAW)
    add_json(p)
    _state_options(p)
    p.set_defaults(handler=ls)

    p = sub.add_parser("cancel", parents=[common], help="release the lock a crashed or killed run left",
                       description="Release the locks of the selected stacks (`pulumi cancel`). Only for "
                       "updates that are no longer running: cancelling a live update can leave resources "
                       "half-changed.", epilog=CANCEL_EPILOG, formatter_class=RAW)
    add_targets(p)
    add_stack(p)
    add_yes(p)
    _state_options(p)
    p.set_defaults(handler=cancel)

    p = sub.add_parser("install-pulumi", help="install the pulumi CLI ecsp is tested with",
                       description="Download the pinned pulumi CLI into ~/.ecsp/pulumi/VERSION "
                       "(PulumiCommand.install). ecsp uses a pulumi on PATH first when it is recent enough.",
                       epilog=INSTALL_EPILOG, formatter_class=RAW)
    p.add_argument("--plugins", action="store_true",
                   help="also install the provider plugins ecsp's stacks use (aws, docker-build, ...)")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    p.set_defaults(handler=install_pulumi)


def outputs(args: argparse.Namespace) -> int:
    import json

    from ecsp import api
    from ecsp.errors import UsageError
    from ecsp.events import Secret

    project = api.load(args.file)
    found = project.outputs(env=args.env, app=args.app, stack=args.stack, local=args.local, backend=args.backend)

    def plain(value: Any) -> Any:
        if isinstance(value, Secret):
            return value.value if args.show_secrets else "[secret]"
        return value

    if args.key:
        having = [(name, values[args.key]) for name, values in found.items() if args.key in values]
        if not having:
            raise UsageError(f"no selected stack has an output named '{args.key}'",
                             fix="`ecsp outputs` lists them; narrow with --env/--app/--stack")
        if len(having) > 1:
            raise UsageError(f"{len(having)} stacks have an output named '{args.key}': "
                             + ", ".join(name for name, _ in having),
                             fix="pick one with --stack NAME (or --env and --app)")
        value = plain(having[0][1])
        print(json.dumps(value) if args.json or not isinstance(value, str) else value)
        return 0
    document = {name: {k: plain(v) for k, v in values.items()} for name, values in found.items()}
    if args.json:
        print(json.dumps(document, indent=2, default=str))
        return 0
    from ecsp import views

    out = views.console()
    if not out.is_terminal:
        # A pipe or a log has no width to fit: every value whole, however long (a terminal wraps it in its cell).
        out = views.console(width=100_000)
    out.print(views.outputs_table(project.name, document))
    return 0


def ls(args: argparse.Namespace) -> int:
    import json

    from ecsp import api

    project = api.load(args.file)
    rows = project.ls(local=args.local, backend=args.backend)
    if args.json:
        print(json.dumps([row.to_json() for row in rows], indent=2))
        return 0
    from ecsp import views

    views.console().print(rows)  # renders as its tables (the stacks, then the preview environments)
    return 0


def cancel(args: argparse.Namespace) -> int:
    from ecsp import api

    project = api.load(args.file)
    if not args.yes:
        confirm("release the locks of the selected stacks? Only do this when no ecsp or pulumi run is "
                "updating them any more.", answer="y", what="y/N")
    released = project.cancel(env=args.env, app=args.app, stack=args.stack, local=args.local, backend=args.backend)
    for name, was_locked in released.items():
        print(f"{name}: {'cancelled; no lock is left' if was_locked else 'nothing was running'}")
    if not released:
        print("none of the selected stacks exists in the backend", file=sys.stderr)
    return 0


def install_pulumi(args: argparse.Namespace) -> int:
    from ecsp.engine.plugins import install_plugins
    from ecsp.engine.pulumi_cli import install_pulumi as install

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    with installing():
        command = install(say=say)
    if args.plugins:
        from ecsp import api

        install_plugins(command, api.programs().plugin_versions(), say=say)
    print(command.command)
    return 0
