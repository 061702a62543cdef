"""``ecsp up``, ``preview``, ``destroy``, ``refresh``, ``outputs``, ``ls``, ``cancel`` and ``install-pulumi``.

A thin shell over :class:`ecsp.api.Project`: parse flags, set up progress (``--progress``)
and the local emulator (``--local``), call the API, and turn the result into an exit
status. A run that did not fully succeed raises :class:`~ecsp.results.RunFailed` (exit 1)
or :class:`~ecsp.results.Interrupted` (exit 130) after the summary; :mod:`ecsp.cli` prints
them. Imports only argparse at import time so ``ecsp --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from ecsp.commands import HelpFormatter
from ecsp.commands.plan import add_targets, add_with_pipeline

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ecsp.api import Project
    from ecsp.context import LocalEmulator
    from ecsp.events import Operation
    from ecsp.results import RunResult

PROGRESS_MODES = ("auto", "live", "plain", "json", "none")
RAW = HelpFormatter

UP_EPILOG = """\
examples:
  ecsp up                                 project, environments, applications
  ecsp up --env test                      environment test and its applications
  ecsp up --app web                       web in every environment
  ecsp up --local                         on moto, a local AWS emulator
  ecsp up --parallel 8 --progress plain   8 at once, one line per step (CI)
  ecsp up --with-pipeline                 the pipeline stacks too
  ecsp up --env test --deploy-role ARN    as a pipeline stage: through a role

--app deploys the application's stacks and reads its environment's outputs as they are;
an upstream stack that was never deployed is deployed first, --with-upstream re-runs them all.

Exit status: 0 all stacks succeeded, 1 a stack failed (the others went on), 3 pulumi
missing, 130 interrupted (Ctrl-C cancels in-flight stacks and releases their locks).
"""

DESTROY_EPILOG = """\
examples:
  ecsp destroy --env test --app web       web's stack in test only
  ecsp destroy --env test                 test and all its applications
  ecsp destroy --yes                      everything, without asking (CI)

Destroy runs dependents first and never touches stacks that were not selected: it refuses
to destroy an environment while one of its applications is still deployed and not selected.
"""

PREVIEW_EPILOG = """\
examples:
  ecsp preview                            every stack whose upstream is deployed
  ecsp preview --env prod --app web       one application stack in prod
  ecsp preview --local                    against the local AWS emulator

A stack's program reads its upstream stacks' outputs, so a stack whose upstream stack was
never deployed is skipped with that reason; `ecsp plan` shows its resources offline.
"""

REFRESH_EPILOG = """\
examples:
  ecsp refresh                            every stack
  ecsp refresh --env prod                 environment prod and its applications
"""

LS_EPILOG = """\
examples:
  ecsp ls
  ecsp ls --json | jq -r '.[] | select(.status == "deployed") | .stack'
  ecsp ls --local                         stacks deployed to the local emulator
"""

CANCEL_EPILOG = """\
examples:
  ecsp cancel --stack shop-web/test       after a crash left it locked
  ecsp cancel --env test --yes            every stack of test, without asking
"""

INSTALL_EPILOG = """\
example:
  ecsp install-pulumi   then `ecsp up` finds it in ~/.ecsp/pulumi/VERSION/bin

Set ECSP_HOME to install somewhere else than ~/.ecsp.
"""

OUTPUTS_EPILOG = """\
examples:
  ecsp outputs                            every deployed stack's outputs
  ecsp outputs --env test --app web url   one value, printed bare (for scripts)
  ecsp outputs --stack shop-web/test --json
"""


def _stacks_at_once(text: str) -> int:
    """--parallel N: checked with the other flags, so a bad N is a usage error before anything runs."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number; use e.g. --parallel 4") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {n}); --parallel 1 runs one stack at a time")
    return n


def _common_run(p: argparse.ArgumentParser, *, local: bool = True) -> None:
    add_targets(p)
    add_with_pipeline(p)
    p.add_argument("--parallel", type=_stacks_at_once, default=None, metavar="N",
                   help="stacks at once (default 4; independent stacks run together)")
    p.add_argument("--progress", choices=PROGRESS_MODES, default="auto",
                   help="how to show progress: live (terminal), plain (one line per step), json (lines), "
                   "none; auto picks live on a terminal, plain otherwise")
    _backend(p, local=local)


def _backend(p: argparse.ArgumentParser, *, local: bool) -> None:
    p.add_argument("--backend", metavar="URL",
                   help="Pulumi state backend (file://DIR, s3://BUCKET, https://api.pulumi.com); "
                   "default: state.backend in ecsp.yaml, PULUMI_BACKEND_URL, else .ecsp/state")
    if local:
        p.add_argument("--local", action="store_true",
                       help="use the local AWS emulator (moto) and local state in .ecsp/local")


def _deploy_role(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deploy-role", metavar="ARN",
                   help="deploy the environments' stacks through this IAM role, assumed from the default "
                   "credentials, instead of their profile/role_arn (what a pipeline's build does)")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("up", parents=[common], help="deploy: create or update the stacks",
                       description="Create or update the selected stacks in dependency order (project, then "
                       "environments, then applications), independent stacks in parallel.",
                       epilog=UP_EPILOG, formatter_class=RAW)
    _common_run(p)
    p.add_argument("--with-upstream", action="store_true",
                   help="with --env/--app: also re-run upstream stacks that are already deployed")
    _deploy_role(p)
    p.set_defaults(handler=up)

    p = sub.add_parser("preview", parents=[common], help="show what `up` would change (per-resource diffs)",
                       description="Preview the selected stacks: which resources `up` would create, update, "
                       "replace or delete, and which properties differ. Changes nothing.",
                       epilog=PREVIEW_EPILOG, formatter_class=RAW)
    _common_run(p)
    p.add_argument("--with-upstream", action="store_true",
                   help="with --env/--app: also preview upstream stacks that are already deployed")
    _deploy_role(p)
    p.set_defaults(handler=preview)

    p = sub.add_parser("destroy", parents=[common], help="delete the stacks' resources (asks first)",
                       description="Delete the selected stacks' AWS resources, dependents first. Asks for "
                       "confirmation unless --yes.", epilog=DESTROY_EPILOG, formatter_class=RAW)
    _common_run(p)
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=destroy)

    p = sub.add_parser("refresh", parents=[common], help="read the real state of the stacks' resources",
                       description="Refresh the selected stacks: adopt changes made outside ecsp into Pulumi's "
                       "state (nothing in AWS changes).", epilog=REFRESH_EPILOG, formatter_class=RAW)
    _common_run(p, local=False)
    p.set_defaults(handler=refresh)

    p = sub.add_parser("outputs", parents=[common], help="show stack outputs (or one value)",
                       description="Show the outputs of the selected deployed stacks, or one value with KEY.",
                       epilog=OUTPUTS_EPILOG, formatter_class=RAW)
    add_targets(p)
    p.add_argument("--stack", action="append", default=[], metavar="NAME",
                   help="only this stack, e.g. shop-web/test (repeatable)")
    p.add_argument("key", nargs="?", metavar="KEY", help="print only this output's value")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--show-secrets", action="store_true", help="print secret values instead of [secret]")
    _backend(p, local=True)
    p.set_defaults(handler=outputs)

    p = sub.add_parser("ls", parents=[common], help="list the stacks with their last update and status",
                       description="List every stack of the project: deployed or not, last update, resource "
                       "count, and stacks in the backend that are no longer in ecsp.yaml.", epilog=LS_EPILOG,
                       formatter_class=RAW)
    p.add_argument("--json", action="store_true", help="print JSON")
    _backend(p, local=True)
    p.set_defaults(handler=ls)

    p = sub.add_parser("cancel", parents=[common], help="release the lock a crashed or killed run left",
                       description="Release the locks of the selected stacks (`pulumi cancel`). Only for "
                       "updates that are no longer running: cancelling a live update can leave resources "
                       "half-changed.", epilog=CANCEL_EPILOG, formatter_class=RAW)
    add_targets(p)
    p.add_argument("--stack", action="append", default=[], metavar="NAME",
                   help="only this stack, e.g. shop-web/test (repeatable)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    _backend(p, local=True)
    p.set_defaults(handler=cancel)

    p = sub.add_parser("install-pulumi", help="install the pulumi CLI ecsp is tested with",
                       description="Download the pinned pulumi CLI into ~/.ecsp/pulumi/VERSION "
                       "(PulumiCommand.install). ecsp uses a pulumi on PATH first when it is recent enough.",
                       epilog=INSTALL_EPILOG, formatter_class=RAW)
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    p.set_defaults(handler=install_pulumi)


# --------------------------------------------------------------------------- runs


def up(args: argparse.Namespace) -> int:
    return _run(args, "up")


def preview(args: argparse.Namespace) -> int:
    return _run(args, "preview")


def refresh(args: argparse.Namespace) -> int:
    return _run(args, "refresh")


def destroy(args: argparse.Namespace) -> int:
    from ecsp import api

    project = api.load(args.file)
    names = project.destroy_targets(env=args.env, app=args.app, local=args.local, backend=args.backend,
                                    with_pipeline=args.with_pipeline)
    if not names:
        print("nothing to destroy: none of the selected stacks is deployed", file=sys.stderr)
        return 0
    if not args.yes:
        _confirm(f"destroy {len(names)} stack(s) and every AWS resource in them?\n  " + "\n  ".join(names),
                 answer=project.name, what=f"type the project name ({project.name}) to confirm")
    return _run(args, "destroy", project=project)


def _run(args: argparse.Namespace, operation: Operation, *, project: Project | None = None) -> int:
    from ecsp import api, progress
    from ecsp.orchestrator import DEFAULT_PARALLEL
    from ecsp.results import Interrupted, RunFailed

    project = project or api.load(args.file)
    parallel = args.parallel or DEFAULT_PARALLEL
    with contextlib.ExitStack() as stack:
        local = _local(project, stack) if getattr(args, "local", False) else None
        engine = project.engine(local=local, backend=args.backend)
        engine.check()  # a missing pulumi CLI is one clear error, before any progress display
        listener = stack.enter_context(progress.reporter(args.progress, operation=operation))
        stack.enter_context(_acknowledge_ctrl_c(listener.console if args.progress in ("auto", "live", "plain")
                                                else None))
        kwargs: dict[str, Any] = {"parallel": parallel, "listener": listener, "backend": args.backend,
                                  "check": False, "engine": engine, "with_pipeline": args.with_pipeline}
        if operation != "refresh":
            kwargs["local"] = local
        if operation in ("up", "preview"):
            kwargs["with_upstream"] = args.with_upstream
            kwargs["deploy_role"] = args.deploy_role
        result: RunResult = getattr(project, operation)(args.env, args.app, **kwargs)
        listener.finish(result)
    if operation == "preview" and args.progress not in ("json", "none"):
        changes = result.changes_view()  # per resource, with the properties that differ
        if changes is not None:
            from ecsp import views

            views.console().print(changes)
    if result.interrupted:
        raise Interrupted(result)
    if result.failed:
        raise RunFailed(result)
    return 0


# What each Ctrl-C does (ecsp.orchestrator), said the moment it is pressed: pulumi can take a while to
# cancel, and a person who sees nothing happen presses again.
CTRL_C_NOTICES = (
    "Ctrl-C: cancelling the stacks in flight (pulumi saves their state and releases their locks); "
    "press Ctrl-C again to stop them at once",
    "Ctrl-C: stopping the stacks in flight at once (then `pulumi cancel` releases their locks); press "
    "Ctrl-C again to stop waiting for them (a stack left locked needs `ecsp cancel`)",
)


@contextlib.contextmanager
def _acknowledge_ctrl_c(console: Any) -> Iterator[None]:
    """While the run goes on, each Ctrl-C prints what it does (on the progress display's console, so
    a live display stays whole; on stderr for --progress json and none) and interrupts as usual."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 0

    def on_sigint(signum: int, frame: Any) -> None:
        nonlocal presses
        if presses < len(CTRL_C_NOTICES):
            notice = CTRL_C_NOTICES[presses]
            if console is not None:
                console.print(notice, style="yellow", soft_wrap=not console.is_terminal, highlight=False)
            else:
                print(notice, file=sys.stderr, flush=True)
        presses += 1
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _local(project: Project, stack: contextlib.ExitStack) -> LocalEmulator:
    """Enter the local emulator (ecsp.local); first make sure pulumi is there (installing it if not)."""
    from ecsp import local
    from ecsp.engine.pulumi_cli import ensure_pulumi

    with _installing():
        ensure_pulumi(install=True, say=lambda line: print(line, file=sys.stderr))
    config = project.config
    counts = [config.application(env, app).desired_count for env, app in config.deployments()]
    running = local.running_tasks(counts)
    emulator: LocalEmulator = stack.enter_context(local.emulator(project.root, running_tasks=running))
    return emulator


# --------------------------------------------------------------------------- state


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
    from rich.table import Table

    from ecsp import views

    table = Table("stack", "output", "value", title=f"outputs of {project.name}", title_justify="left")
    for name, values in document.items():
        for i, (key, value) in enumerate(sorted(values.items())):
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            table.add_row(name if i == 0 else "", key, shown)
    views.console().print(table)
    return 0


def ls(args: argparse.Namespace) -> int:
    import json

    from ecsp import api

    project = api.load(args.file)
    rows = project.ls(local=args.local, backend=args.backend)
    if args.json:
        print(json.dumps([{
            "stack": r.stack, "kind": r.kind, "environment": r.environment, "application": r.application,
            "status": r.status, "in_config": r.in_config,
            "last_update": r.info.last_update.isoformat() if r.info and r.info.last_update else None,
            "resources": r.info.resource_count if r.info else None,
            "url": r.info.url if r.info else None,
        } for r in rows], indent=2))
        return 0
    from rich.table import Table
    from rich.text import Text

    from ecsp import views

    styles = {"deployed": "green", "not deployed": "dim", "empty": "dim"}
    # The stack's name says its kind (--json has it), and is never cut: the table fits 80 columns.
    table = Table(title=f"stacks of {project.name}", title_justify="left")
    table.add_column("stack", no_wrap=True)
    for column in ("status", "last update", "resources"):
        table.add_column(column)
    for r in rows:
        when = r.info.last_update.strftime("%Y-%m-%d %H:%M") if r.info and r.info.last_update else ""
        count = str(r.info.resource_count) if r.info and r.info.resource_count is not None else ""
        table.add_row(r.stack, Text(r.status, style=styles.get(r.status, "yellow")), when, count)
    views.console().print(table)
    return 0


def cancel(args: argparse.Namespace) -> int:
    from ecsp import api

    project = api.load(args.file)
    if not args.yes:
        _confirm("release the locks of the selected stacks? Only do this when no ecsp or pulumi run is "
                 "updating them any more.", answer="y", what="y/N")
    released = project.cancel(env=args.env, app=args.app, stack=args.stack, local=args.local, backend=args.backend)
    for name, was_locked in released.items():
        print(f"{name}: {'cancelled; no lock is left' if was_locked else 'nothing was running'}")
    if not released:
        print("none of the selected stacks exists in the backend", file=sys.stderr)
    return 0


def install_pulumi(args: argparse.Namespace) -> int:
    from ecsp.engine.pulumi_cli import install_pulumi as install

    with _installing():
        command = install(say=lambda line: print(line, file=sys.stderr))
    print(command.command)
    return 0


def _installing() -> contextlib.AbstractContextManager[Any]:
    """A spinner with elapsed time on a terminal while pulumi downloads (the install script reports nothing)."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        return contextlib.nullcontext()
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(SpinnerColumn(), TextColumn("downloading and installing pulumi"), TimeElapsedColumn(),
                   console=console, transient=True)
    bar.add_task("install", total=None)
    return bar


def _confirm(question: str, *, answer: str, what: str) -> None:
    from ecsp.errors import Cancelled, UsageError

    if not sys.stdin.isatty():
        raise UsageError("this needs a confirmation and standard input is not a terminal",
                         fix="pass --yes to confirm non-interactively")
    print(question, file=sys.stderr)
    try:
        reply = input(f"{what}: ")
    except EOFError:
        reply = ""
    if reply.strip().lower() != answer.lower():
        raise Cancelled("not confirmed; nothing was changed")
