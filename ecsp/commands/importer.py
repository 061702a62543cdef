"""``ecsp import copilot``: write an ecsp.yaml from a Copilot workspace (a shell over ecsp.importer)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ecsp.commands import HelpFormatter

EPILOG = """\
examples:
  ecsp import copilot --env test=us-west-2 --env prod=us-east-1:111111111111
      read ./copilot, write ./ecsp.yaml next to it
  ecsp import copilot path/to/repo --from-aws --region us-west-2
      regions and accounts from Copilot's SSM parameters (/copilot/...)
  ecsp import copilot --env test=us-west-2 --dry-run      print the file instead
  ecsp import copilot --env test=us-west-2::test -o infra/ecsp.yaml --force
  ecsp import copilot --env test=us-west-2 --rename customer-notifications-service=notifications
      a service (or environment) whose name is over ecsp's limits, under a new name
  ecsp import copilot path/to/repo --name shop --env test=us-west-2
      a repository that never committed copilot/.workspace: --name is the application's name
  ecsp import copilot --from-aws --region us-west-2
      also read Copilot's stacks: run in its VPC, with its certificates and host names
  ecsp import copilot --runbook
      after `ecsp up`: the checked steps to move traffic and retire Copilot's stacks

Copilot keeps each environment's region and account outside the manifests: give them with
--env NAME=REGION[:ACCOUNT][:PROFILE] (an account is needed to turn Secrets Manager names into
ARNs) or read them with --from-aws. Fields ecsp cannot express are printed and written as
comments next to the application: warn: (dropped, it runs without it), refuse: (not imported,
because running without the field would lose data or change what runs), note: (converted).
ecsp creates new resources; it does not adopt the stacks Copilot created. Next:
`ecsp validate`, `ecsp plan`, then deploy to a new environment next to Copilot's.

--runbook reads ecsp.yaml and Copilot's stacks and prints the cutover and retirement,
checked against AWS ([x] done, [ ] to do): the DNS switch of each host name, the stacks
whose data must be set to DeletionPolicy Retain first (it writes their templates into
DIR, default copilot-retirement/ beside ecsp.yaml), and the deletes in order, as AWS CLI
commands. ecsp never deletes Copilot's stacks itself. Run it again after each step.

Exit status: 0 when everything was imported (warnings and notes allowed), 1 when anything was
refused or the written file does not validate (the last line says which), 2 bad input.
"""


GROUP_EPILOG = """\
examples:
  ecsp import copilot --env test=us-west-2   ./copilot -> ./ecsp.yaml
  ecsp import copilot --help                 every option of the Copilot import
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("import", help="import a project from another tool (Copilot)",
                           description="Import a project from another tool into ecsp.yaml.",
                           epilog=GROUP_EPILOG, formatter_class=HelpFormatter)
    tools = group.add_subparsers(dest="tool", metavar="TOOL", title="tools")
    group.set_defaults(handler=lambda args: _no_tool(group))
    p = tools.add_parser(
        "copilot", help="write ecsp.yaml from an AWS Copilot workspace",
        description="Read a Copilot workspace (copilot/.workspace and the manifests) and write the ecsp.yaml "
        "that describes the same services and environments. Refuses to replace an existing file unless --force.",
        epilog=EPILOG, formatter_class=HelpFormatter)
    p.add_argument("directory", nargs="?", metavar="DIR",
                   help="the copilot/ folder or the folder holding it (default: ./copilot)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write (default: ecsp.yaml in the folder holding copilot/)")
    p.add_argument("--env", action="append", dest="envs", default=[], metavar="NAME=REGION[:ACCOUNT][:PROFILE]",
                   help="an environment's region, account and AWS profile (repeatable)")
    p.add_argument("--region", help="the project's home region (and the region of environments given no other)")
    p.add_argument("--from-aws", action="store_true",
                   help="read environments' regions and accounts from Copilot's SSM parameters with boto3")
    p.add_argument("--profile", help="AWS profile for --from-aws")
    p.add_argument("--name", help="ecsp project name (default: Copilot's application name; without "
                   "copilot/.workspace, the application's name)")
    p.add_argument("--account", help="project AWS account id (default: Copilot's, with --from-aws)")
    p.add_argument("--domain", help="project domain (default: Copilot's, with --from-aws)")
    p.add_argument("--var", action="append", dest="vars", default=[], metavar="NAME=VALUE",
                   help="value of a shell variable the manifests use, e.g. --var IMAGE_TAG=v1.2 (repeatable)")
    p.add_argument("--rename", action="append", dest="renames", default=[], metavar="OLD=NEW",
                   help="import a Copilot service or environment under another name (repeatable)")
    p.add_argument("--runbook", nargs="?", const="", default=None, metavar="DIR",
                   help="instead of importing: print the cutover and retirement runbook for ecsp.yaml (-o) and "
                   "Copilot's live stacks; write the templates it needs into DIR")
    p.add_argument("--dry-run", action="store_true", help="print the file instead of writing it")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    p.set_defaults(handler=copilot)


def _runbook(args: argparse.Namespace, target: Any) -> int:
    from pathlib import Path

    from ecsp import loader
    from ecsp.importer import parse_rename, workspace
    from ecsp.importer.runbook import for_project

    config = loader.load(target)
    app = workspace.read(args.directory, application=args.name).application
    folder = Path(args.runbook) if args.runbook else target.parent / "copilot-retirement"
    shown = _shown(folder)
    book = for_project(config, app, folder=shown, renames=dict(parse_rename(r) for r in args.renames))
    if book.files:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in book.files.items():
            (folder / name).write_text(text, encoding="utf-8")
    print(book.text())
    left = sum(1 for step in book.steps if step.done is False)
    print(f"{left} step(s) to do" + (f"; templates in {shown}/" if book.files else ""), file=sys.stderr)
    return 0


def _shown(path: Any) -> str:
    """``path`` as the runbook's commands name it: relative to where they are run, when it is below."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(Path(path).resolve())


def _no_tool(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def copilot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ecsp.errors import UsageError
    from ecsp.importer import import_copilot
    from ecsp.importer.workspace import find

    variables = {}
    for item in args.vars:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--var {item}: expected NAME=VALUE", fix="e.g. --var IMAGE_TAG=v1.2.3")
        variables[name] = value
    target = Path(args.output) if args.output else (
        find(args.directory, without_summary=args.name is not None).resolve().parent / "ecsp.yaml")
    if args.runbook is not None:
        return _runbook(args, target)
    if not args.dry_run:
        if target.is_dir():
            raise UsageError(f"{target} is a directory", fix=f"name the file, e.g. -o {target / 'ecsp.yaml'}")
        if target.exists() and not args.force:
            raise UsageError(f"{target} already exists", fix="pass --force to overwrite it, or -o OTHER.yaml")
    result = import_copilot(args.directory, environments=args.envs, region=args.region, name=args.name,
                            account=args.account, domain=args.domain, variables=variables, renames=args.renames,
                            from_aws=args.from_aws, profile=args.profile, output=target)
    for note in result.notes:
        print(note, file=sys.stderr)
    for line in result.report:
        print(line, file=sys.stderr)
    if args.dry_run:
        print(result.text, end="")
    else:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result.text, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot write {target}: {e.strerror or e}", fix="choose a path you can write to "
                             "with -o FILE") from None
    for name, text in result.files.items():
        extra = target.parent / name
        if args.dry_run:
            print(f"would write {extra}", file=sys.stderr)
        elif extra.exists() and not args.force:
            print(f"kept {extra} (exists; --force replaces it)", file=sys.stderr)
        else:
            extra.write_text(text, encoding="utf-8")
            print(f"wrote {extra}", file=sys.stderr)
    for problem in result.problems:
        print(f"{problem}", file=sys.stderr)
    counts = {level: sum(1 for n in result.notes if n.level == level) for level in ("refuse", "warn", "note")}
    where = "printed" if args.dry_run else f"wrote {target}"
    print(f"{where}: {len(result.applications)} application(s), {len(result.environments)} environment(s); "
          f"{counts['refuse']} refusal(s), {counts['warn']} warning(s), {counts['note']} note(s)", file=sys.stderr)
    if not result.complete:
        # The last line, for people and CI alike: what is missing from the file.
        print(f"not complete: {result.incomplete_because()}", file=sys.stderr)
        return 1
    if not args.dry_run:
        flag = f" -f {target}"
        print(f"next: review the warn: comments, then `ecsp validate{flag}` and `ecsp plan{flag}`", file=sys.stderr)
    return 0
