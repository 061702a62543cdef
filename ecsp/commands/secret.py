"""``ecsp secret set|ls|rm``: an environment's secrets, for applications to read by reference."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import add_environment, add_json, add_local, add_yes, chosen_environment

LOCAL_HELP = "use the local AWS emulator (what `ecsp up --local` created); it keeps the values in .ecsp/local"

SET_EPILOG = """\
examples:
  ecsp secret set DB_PASSWORD --env test        type it (not shown), Enter
  ecsp secret set DB_PASSWORD --env prod < password.txt
  vault read -field=key secret/shop | ecsp secret set API_KEY --env prod
  ecsp secret set TLS_KEY --env prod --from-file key.pem --secretsmanager

The value comes from standard input or --from-file (one trailing newline is dropped) and
goes to AWS only: it is never printed, and never in a log line. It is stored in the
environment's account and region as the SSM SecureString /ecsp/<project>/<env>/NAME (up
to 4 KiB), or with --secretsmanager as the secret ecsp/<project>/<env>/NAME (up to 64
KiB), tagged ecsp:project and ecsp:environment. A Secrets Manager secret also gets a
policy denying its value to any principal not tagged for this project and environment,
as ecsp's task execution roles are. Setting it again stores a new version.

An application reads it as an environment variable once ecsp.yaml lists it; the command
prints the line to add:
  applications:
    web:
      environments:
        test: {secrets: {DB_PASSWORD: /ecsp/shop/test/DB_PASSWORD}}
and `ecsp up` lets the application's execution role read exactly that secret. Tasks read
secrets when they start: a new value reaches running tasks when they are replaced
(the next `ecsp up` that changes the task, or a deployment of the service).
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    raw = HelpFormatter
    p = sub.add_parser("secret", help="an environment's secrets: set NAME, ls, rm NAME",
                       description="Secrets of an environment (SSM SecureString or Secrets Manager), for the "
                       "applications' secrets: in ecsp.yaml.", epilog="examples:\n"
                       "  ecsp secret set DB_PASSWORD --env test < password.txt\n  ecsp secret ls\n"
                       "  ecsp secret rm DB_PASSWORD --env test", formatter_class=raw)
    verbs = p.add_subparsers(dest="verb", metavar="VERB", title="verbs", required=True)

    v = verbs.add_parser("set", parents=[common], help="create or update a secret from stdin or a file",
                         description="Store a secret value for an environment.", epilog=SET_EPILOG,
                         formatter_class=raw)
    v.add_argument("name", metavar="NAME", help="the secret's name, e.g. DB_PASSWORD")
    add_environment(v)
    v.add_argument("--from-file", metavar="PATH", help="read the value from this file instead of standard input")
    v.add_argument("--secretsmanager", action="store_true", help="store it in Secrets Manager (default: SSM "
                   "Parameter Store, SecureString)")
    add_json(v, what="what was stored (never the value) as JSON")
    add_local(v, help=LOCAL_HELP)
    v.set_defaults(handler=set_secret)

    v = verbs.add_parser("ls", parents=[common], help="the secrets of each environment and who uses them",
                         description="List the ecsp secrets of every environment (or --env): store, reference, "
                         "when it changed, and the applications whose secrets: list it. Values are never read.",
                         epilog="examples:\n  ecsp secret ls\n  ecsp secret ls --env prod --json | jq -r "
                         "'.[].reference'\n\nexit status: 0 when read, 1 when AWS could not be read.",
                         formatter_class=raw)
    v.add_argument("--env", action="append", default=[], metavar="NAME", help="only this environment (repeatable)")
    add_json(v, what="the list as JSON")
    add_local(v, help=LOCAL_HELP)
    v.set_defaults(handler=ls)

    v = verbs.add_parser("rm", parents=[common], help="delete a secret (asks first)",
                         description="Delete an environment's secret, from whichever store holds it. Refuses while "
                         "an application's secrets: list it (its tasks could not start), unless --force. A Secrets "
                         "Manager secret can be restored for 7 days (`aws secretsmanager restore-secret`).",
                         epilog="examples:\n  ecsp secret rm OLD_TOKEN --env test\n"
                         "  ecsp secret rm OLD_TOKEN --env test --yes\n"
                         "  ecsp secret rm OLD_TOKEN --env test --yes --json | jq -r '.[].reference'",
                         formatter_class=raw)
    v.add_argument("name", metavar="NAME", help="the secret's name")
    add_environment(v)
    v.add_argument("--force", action="store_true", help="delete it even though an application lists it")
    add_yes(v)
    add_json(v, what="what was deleted (never a value) as JSON")
    add_local(v, help=LOCAL_HELP)
    v.set_defaults(handler=rm)


def read_value(path: str | None) -> str:
    """The value from ``path`` or standard input (a prompt that does not echo on a terminal), one newline dropped."""
    import getpass
    import sys

    from ecsp.errors import UsageError

    if path is not None:
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror}", fix="give the path of a readable file") from e
    elif sys.stdin.isatty():
        text = getpass.getpass("value (not shown): ")
    else:
        text = sys.stdin.read()
    return text.removesuffix("\n").removesuffix("\r")


def set_secret(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, views

    project = api.load(args.file)
    env = chosen_environment(args, project.config, "secret set")
    value = read_value(args.from_file)
    secret = project.set_secret(args.name, env, value, secretsmanager=args.secretsmanager, local=args.local)
    del value
    if args.json:
        print(json.dumps(secret.to_json(), indent=2))
        return 0
    err = views.console(stderr=True)
    kind = "SSM SecureString" if secret.store == "ssm" else "Secrets Manager secret"
    verb = "stored" if secret.created else f"stored a new version ({secret.version}) of"
    err.print(f"{verb} {args.name} of {env} as the {kind} {secret.reference}", soft_wrap=True)
    if secret.used_by:
        err.print(f"used by {', '.join(secret.used_by)}: tasks started from now on read the new value",
                  soft_wrap=True)
    else:
        err.print(f"to use it, list it in an application's secrets for {env}, e.g.\n"
                  f"  environments: {{{env}: {{secrets: {{{args.name}: {secret.reference}}}}}}}", soft_wrap=True)
    return 0


def ls(args: argparse.Namespace) -> int:
    import json

    from rich.table import Table

    from ecsp import api, views

    found = api.load(args.file).secrets(args.env or None, local=args.local)
    if args.json:
        print(json.dumps([s.to_json() for s in found], indent=2))
        return 0
    out = views.console()
    if not found:
        views.console(stderr=True).print("no ecsp secrets (`ecsp secret set NAME --env ENV` stores one)")
        return 0
    table = Table(box=None, pad_edge=False)
    for column in ("ENVIRONMENT", "NAME", "STORE", "REFERENCE", "CHANGED", "USED BY"):
        table.add_column(column, overflow="fold")
    for s in found:
        table.add_row(s.environment, s.name, s.store, s.reference,
                      s.modified.strftime("%Y-%m-%d %H:%M") if s.modified else "", ", ".join(s.used_by) or "-")
    out.print(table)
    return 0


def rm(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, views
    from ecsp.commands import confirm

    project = api.load(args.file)
    env = chosen_environment(args, project.config, "secret rm")

    def ask(found: list[Any]) -> None:
        if not args.yes:
            confirm(f"delete secret {args.name} of environment {env} ({', '.join(s.reference for s in found)})?",
                    answer=args.name, what=f"type its name ({args.name}) to confirm")

    removed = project.remove_secret(args.name, env, force=args.force, local=args.local, confirm=ask)
    if args.json:
        print(json.dumps([s.to_json() for s in removed], indent=2))
        return 0
    err = views.console(stderr=True)
    for secret in removed:
        later = " (restorable for 7 days)" if secret.store == "secretsmanager" else ""
        err.print(f"deleted {secret.reference}{later}", soft_wrap=True)
    return 0
