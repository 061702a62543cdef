"""``ecsp pipeline ls|show|status``: the release pipelines of ecsp.yaml, as ecsp builds them and as they run."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import add_json, add_local

PIPELINE_EPILOG = """\
examples:
  ecsp pipeline ls                every pipeline: source, branch, stages
  ecsp pipeline show release      its source, stages and buildspecs
  ecsp pipeline status release    stage states, who approved, last runs
  ecsp up --with-pipeline         deploy everything, pipelines too

A pipeline stack (<project>-pipeline/<name>) runs only with --with-pipeline: `ecsp up`,
and the `ecsp up --env E` each stage runs, leave it alone.
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    raw = HelpFormatter
    p = sub.add_parser("pipeline", help="release pipelines: ls, show NAME, status NAME",
                       description="The release pipelines of ecsp.yaml (CodePipeline V2 in the project account): "
                       "list them, show one as ecsp builds it, or read its live state.",
                       epilog=PIPELINE_EPILOG, formatter_class=raw)
    verbs = p.add_subparsers(dest="verb", metavar="VERB", title="verbs", required=True)

    v = verbs.add_parser("ls", parents=[common], help="every pipeline: source, branch, stages",
                         epilog="examples:\n  ecsp pipeline ls\n  ecsp pipeline ls --json | jq '.[].name'",
                         formatter_class=raw)
    add_json(v)
    v.set_defaults(handler=ls)

    v = verbs.add_parser("show", parents=[common], help="one pipeline as ecsp builds it, with each buildspec",
                         description="Show a pipeline's model: its source and connection, then each stage: the "
                         "environment, approval, what it deploys, the command it runs and its generated buildspec.",
                         epilog="examples:\n  ecsp pipeline show release\n  ecsp pipeline show   (the only one)\n"
                         "  ecsp pipeline show release --json | jq -r '.stages[0].buildspec'",
                         formatter_class=raw)
    v.add_argument("name", nargs="?", metavar="NAME", help="the pipeline (optional when there is one)")
    add_json(v)
    v.set_defaults(handler=show)

    v = verbs.add_parser("status", parents=[common], help="live state: stages, approvals, last executions",
                         description="Read the pipeline from CodePipeline (the project account's default "
                         "credentials, home region): each stage's latest execution and actions, who approved or "
                         "rejected a manual approval, and the last executions with their source revision.",
                         epilog="examples:\n  ecsp pipeline status release\n"
                         "  ecsp pipeline status release --json | jq '.stages[].status'\n\n"
                         "exit status: 0 when read (deployed or not), 1 when AWS could not be read.",
                         formatter_class=raw)
    v.add_argument("name", nargs="?", metavar="NAME", help="the pipeline (optional when there is one)")
    v.add_argument("--executions", type=int, default=5, metavar="N", help="executions to list (default: 5)")
    add_json(v)
    add_local(v, help="read the local AWS emulator instead of AWS")
    v.set_defaults(handler=status)


def _name(project: Any, name: str | None) -> str:
    from ecsp.errors import UsageError

    if name is not None:
        return name
    names = list(project.config.pipelines)
    if not names:
        raise UsageError(f"{project.path.name} has no pipelines",
                         fix="add one under pipelines: (README: Release pipelines; `ecsp init --pipeline` writes "
                         "a starter)")
    if len(names) != 1:
        raise UsageError(f"say which pipeline: {', '.join(names)}", fix=f"e.g. ecsp pipeline show {names[0]}")
    return names[0]


def ls(args: argparse.Namespace) -> int:
    import json

    from rich.table import Table

    from ecsp import api, views

    models = api.load(args.file).pipelines()
    if args.json:
        print(json.dumps([m.to_json() for m in models], indent=2))
        return 0
    table = Table(title="pipelines", title_justify="left")
    for column in ("pipeline", "stack", "source", "branch", "stages"):
        table.add_column(column, no_wrap=column in ("pipeline", "stack"))
    for m in models:
        stages = " -> ".join(("approve, " if s.approval else "") + s.environment for s in m.stages)
        table.add_row(m.name, m.stack, f"{m.source}:{m.repository}", m.branch, stages)
    views.console().print(table)
    if not models:
        print("no pipelines in ecsp.yaml; `ecsp init --pipeline` writes a starter section")
    return 0


def show(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, pipelines, views

    project = api.load(args.file)
    model = project.pipeline(_name(project, args.name))
    if args.json:
        print(json.dumps(model.to_json(), indent=2))
        return 0
    pipelines.render(model, views.console())
    return 0


def status(args: argparse.Namespace) -> int:
    import json

    from ecsp import api, views
    from ecsp.ops import pipeline as ops

    project = api.load(args.file)
    report = project.pipeline_status(_name(project, args.name), executions=max(args.executions, 1),
                                     local=args.local)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        ops.render(report, views.console())
    return 0
