"""``ecsp up``, ``preview``, ``destroy`` and ``refresh``: parse the flags, call :meth:`ecsp.api.Project.run`.

What only a terminal needs stays here: the progress display chosen with ``--progress``,
the notice each Ctrl-C prints, the local emulator of ``--local``, the confirmation before
a destroy. A run that did not fully succeed raises :class:`~ecsp.results.RunFailed`
(exit 1) or :class:`~ecsp.results.Interrupted` (exit 130) after the summary;
:mod:`ecsp.cli` prints them. Imports only argparse at import time so ``ecsp --help``
stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from ecsp.commands import HelpFormatter, confirm, installing
from ecsp.commands.options import (
    LOCAL_STATE_HELP,
    add_backend,
    add_local,
    add_progress,
    add_targets,
    add_with_pipeline,
    add_yes,
    stacks_at_once,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ecsp.api import Project
    from ecsp.context import LocalEmulator
    from ecsp.events import Operation

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
  ecsp up --env pr-42 --like test         a preview like test (expires in 3d)
  ecsp up --env pr-42 --ttl 12h           renew it: expires 12 hours from now
  ecsp up --env test --delete-data        replace data (type the project name)
  ecsp up --no-follow                     do not wait for ECS deployments to end
  ecsp up --policy-pack policies/         a policy pack judges every resource

A change that would replace a database, cache, bucket, table or file system (a new, empty one)
is refused, and data whose entry left ecsp.yaml is kept in AWS, unless --delete-data: then
both are deleted (databases take a final snapshot first).

--app deploys the application's stacks and reads its environment's outputs as they are;
an upstream stack that was never deployed is deployed first, --with-upstream re-runs them all.
After an application's stack, up follows its service's ECS deployment to the end (through bake
time and traffic shifts); a deployment rolled back (alarms, circuit breaker) fails the stack.

A preview environment (--like) has its own stacks with the settings of the environment it is
like, made cheaper (no NAT, one task unless that environment's override sets a count), and its
expiry in its stacks' tags: `ecsp ls` shows it, `ecsp destroy --expired` removes it.

Before any stack starts, every resource ecsp would create by name (ECR repositories,
topics, queues, state machines, log groups, roles, namespaces, hosted zones...) is looked
up in AWS: one that exists outside ecsp's stacks (Copilot's, say) stops the run with its
name, its owner's tags and the fix. --skip-name-check skips that.

Exit status: 0 all stacks succeeded, 1 a stack failed (the others went on) or a name is
taken, 3 pulumi missing, 130 interrupted (Ctrl-C cancels in-flight stacks and releases their
locks).
"""

DESTROY_EPILOG = """\
examples:
  ecsp destroy --env test --app web       web's stack in test only
  ecsp destroy --env test                 test and all its applications
  ecsp destroy --yes                      everything, without asking (CI)
  ecsp destroy --env pr-42 --yes          a preview environment
  ecsp destroy --expired --yes            every preview past its expiry
  ecsp destroy --env test --delete-data   the data too (type the project name)
  ecsp destroy --delete-data shop         the data too, the name given (CI)

Destroy runs dependents first and never touches stacks that were not selected: it refuses
to destroy an environment while one of its applications is still deployed and not selected.
Data (databases, caches, buckets, tables, file systems, addon stacks) is kept in AWS unless
--delete-data: the summary lists what was kept; link it again with existing: to use it.
"""

PREVIEW_EPILOG = """\
examples:
  ecsp preview                            every stack whose upstream is deployed
  ecsp preview --env prod --app web       one application stack in prod
  ecsp preview --local                    against the local AWS emulator
  ecsp preview --diff                     old -> new values on a terminal too
  ecsp preview --no-diff                  only the names of what changes

A stack's program reads its upstream stacks' outputs, so a stack whose upstream stack was
never deployed is skipped with that reason; `ecsp plan` shows its resources offline.
"""

REFRESH_EPILOG = """\
examples:
  ecsp refresh                            every stack
  ecsp refresh --env prod                 environment prod and its applications
"""


def _common_run(p: argparse.ArgumentParser, *, local: bool = True) -> None:
    add_targets(p)
    add_with_pipeline(p)
    p.add_argument("--parallel", type=stacks_at_once, default=None, metavar="N",
                   help="stacks at once (default 4; independent stacks run together)")
    add_progress(p, help="how to show progress: live (terminal), plain (one line per step), json (lines), "
                 "none; auto picks live on a terminal, plain otherwise")
    p.add_argument("--diff", action=argparse.BooleanOptionalAction, default=None,
                   help="show old -> new values of what changes (an image, a count, a variable inside the container "
                   "definitions; secrets as changed only); default: on with plain progress")
    add_backend(p)
    if local:
        add_local(p, help=LOCAL_STATE_HELP)


def _delete_data(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--delete-data", nargs="?", const="", default=None, metavar="PROJECT",
                   help=f"delete {what} instead of keeping it: type the project's name when asked, or give it "
                   "here (scripts); without a terminal and without the name it refuses")


def _deploy_role(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deploy-role", metavar="ARN",
                   help="deploy the environments' stacks through this IAM role, assumed from the default "
                   "credentials, instead of their profile/role_arn (what a pipeline's build does)")


def _deploy_options(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument("--allow-empty-passphrase", action="store_true",
                   help="with PULUMI_CONFIG_PASSPHRASE unset, create stacks whose secrets use the empty passphrase "
                   "(refused otherwise; a terminal asks for a passphrase instead)")
    p.add_argument("--with-upstream", action="store_true",
                   help=f"with --env/--app: also {verb} upstream stacks that are already deployed")
    p.add_argument("--skip-name-check", action="store_true",
                   help="do not look up in AWS, before starting, whether resources ecsp names itself already "
                   "exist outside its stacks (Copilot's, say)")
    _deploy_role(p)
    p.add_argument("--like", metavar="ENV",
                   help="--env names a new preview environment, with the settings of environment ENV")
    p.add_argument("--policy-pack", action="append", default=[], metavar="DIR", dest="policy_packs",
                   help="a Pulumi policy pack folder that judges every resource (repeatable; after policy_packs: "
                   "in ecsp.yaml); a mandatory policy's violation fails its stack")


def _ttl(text: str) -> str:
    """--ttl DURATION: checked with the other flags (a bad duration is a usage error before anything runs)."""
    from ecsp import previews
    from ecsp.errors import UsageError

    try:
        previews.ttl(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(f"{e.message}; {e.fix}") from None
    return text


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("up", parents=[common], help="deploy: create or update the stacks",
                       description="Create or update the selected stacks in dependency order (project, then "
                       "environments, then applications), independent stacks in parallel.",
                       epilog=UP_EPILOG, formatter_class=RAW)
    _common_run(p)
    _deploy_options(p, "re-run")
    p.add_argument("--ttl", type=_ttl, metavar="DURATION",
                   help="a preview environment's time to live from now: 30m, 12h, 3d (default 3d, at most 90d)")
    _delete_data(p, "the data a change replaces, or that ecsp.yaml no longer lists,")
    p.add_argument("--no-follow", dest="follow", action="store_false",
                   help="return when Pulumi is done, without following each service's ECS deployment to its end "
                   "(completed, rolled back or failed)")
    p.set_defaults(handler=up)

    p = sub.add_parser("preview", parents=[common], help="show what `up` would change (per-resource diffs)",
                       description="Preview the selected stacks: which resources `up` would create, update, "
                       "replace or delete, and which properties differ. Changes nothing.",
                       epilog=PREVIEW_EPILOG, formatter_class=RAW)
    _common_run(p)
    _deploy_options(p, "preview")
    p.set_defaults(handler=preview)

    p = sub.add_parser("destroy", parents=[common], help="delete the stacks' resources (asks first)",
                       description="Delete the selected stacks' AWS resources, dependents first. Asks for "
                       "confirmation unless --yes.", epilog=DESTROY_EPILOG, formatter_class=RAW)
    _common_run(p)
    add_yes(p)
    _deploy_role(p)
    p.add_argument("--expired", action="store_true",
                   help="destroy every preview environment past its expiry (no --env/--app)")
    _delete_data(p, "the data of the destroyed stacks")
    p.set_defaults(handler=destroy)

    p = sub.add_parser("refresh", parents=[common], help="read the real state of the stacks' resources",
                       description="Refresh the selected stacks: adopt changes made outside ecsp into Pulumi's "
                       "state (nothing in AWS changes).", epilog=REFRESH_EPILOG, formatter_class=RAW)
    _common_run(p, local=False)
    p.set_defaults(handler=refresh)


def up(args: argparse.Namespace) -> int:
    from ecsp import api

    project = api.load(args.file)
    if args.delete_data is not None:
        _confirm_delete_data(args, project)
    return _run(args, "up", project=project)


def _confirm_delete_data(args: argparse.Namespace, project: Project) -> None:
    from ecsp.data_safety import confirm_delete_data, data_summary

    graph = project.stacks(args.env, args.app, include_upstream=False, with_pipeline=args.with_pipeline)
    confirm_delete_data(project.name, data_summary(project.config, graph), typed=args.delete_data or None)


def preview(args: argparse.Namespace) -> int:
    return _run(args, "preview")


def refresh(args: argparse.Namespace) -> int:
    return _run(args, "refresh")


def destroy(args: argparse.Namespace) -> int:
    from ecsp import api
    from ecsp.errors import UsageError

    project = api.load(args.file)
    if args.expired and (args.env or args.app or args.with_pipeline):
        raise UsageError("--expired selects the expired preview environments; it takes no --env, --app or "
                         "--with-pipeline", fix="ecsp destroy --expired")
    names = project.destroy_targets(env=args.env, app=args.app, local=args.local, backend=args.backend,
                                    with_pipeline=args.with_pipeline, expired=args.expired,
                                    delete_data=args.delete_data is not None)
    if not names:
        what = "no preview environment has expired" if args.expired else "none of the selected stacks is deployed"
        print(f"nothing to destroy: {what}", file=sys.stderr)
        return 0
    if args.expired:  # the same previews the prompt lists, by name (one may expire while it is read)
        args.env = sorted({name.rsplit("/", 1)[1] for name in names})
    if args.delete_data is not None:
        _confirm_delete_data(args, project)  # asks for the project's name itself
    elif not args.yes:
        confirm(f"destroy {len(names)} stack(s) and every AWS resource in them but their data?\n  "
                + "\n  ".join(names), answer=project.name, what=f"type the project name ({project.name}) to confirm")
    return _run(args, "destroy", project=project)


def _run(args: argparse.Namespace, operation: Operation, *, project: Project | None = None) -> int:
    from ecsp import api, progress
    from ecsp.errors import EmptyPassphraseError, PulumiMissingError
    from ecsp.orchestrator import DEFAULT_PARALLEL
    from ecsp.results import Interrupted, RunFailed

    project = project or api.load(args.file)
    # Names before pulumi is looked for (an unknown application here; an environment may be a preview).
    unknown = project.unknown_environments(args.env, args.app, with_pipeline=args.with_pipeline)
    allow_empty = getattr(args, "allow_empty_passphrase", False)
    delete_data = project.name if getattr(args, "delete_data", None) is not None else None
    while True:
        reporter = progress.reporter(args.progress, operation=operation, project=project.name,
                                     diff=getattr(args, "diff", None))
        try:
            with contextlib.ExitStack() as stack:
                try:
                    local = _local(project, stack) if getattr(args, "local", False) else None
                except PulumiMissingError:
                    if unknown and not getattr(args, "like", None):  # most likely a typo: say that first
                        raise api.unknown_environment(project.config, unknown[0]) from None
                    raise
                stack.enter_context(_acknowledge_ctrl_c(reporter.console if reporter.for_people else None))
                result = project.run(operation, args.env, args.app, parallel=args.parallel or DEFAULT_PARALLEL,
                                     reporter=reporter, local=local, backend=args.backend, check=False,
                                     with_upstream=getattr(args, "with_upstream", False),
                                     with_pipeline=args.with_pipeline, deploy_role=getattr(args, "deploy_role", None),
                                     like=getattr(args, "like", None), ttl=getattr(args, "ttl", None),
                                     allow_empty_passphrase=allow_empty,
                                     delete_data=delete_data, follow=getattr(args, "follow", True),
                                     policy_packs=getattr(args, "policy_packs", []),
                                     check_names=not getattr(args, "skip_name_check", False))
            break
        except EmptyPassphraseError as refused:
            allow_empty = _choose_passphrase(refused)  # nothing ran yet: ask, then run again
    if operation == "preview" and reporter.for_people:
        changes = result.changes_view(diff=reporter.diff)  # per resource, with the properties that differ
        if changes is not None:
            from ecsp import views

            console = views.console()
            # A log keeps each value on one line, however long; a terminal wraps as it must.
            console.print(changes, soft_wrap=not console.is_terminal)
    if result.interrupted:
        raise Interrupted(result)
    if result.failed:
        raise RunFailed(result)
    return 0


def _choose_passphrase(refused: Any) -> bool:
    """In a terminal, when a run would create stacks with the empty passphrase: ask for one.

    Returns True when the person chose none (the run may then use the empty one); sets
    ``PULUMI_CONFIG_PASSPHRASE`` for this process otherwise. Without a terminal, or when the
    project's other stacks exist already (they keep the passphrase they have), ``refused`` stands.
    """
    import getpass
    import os

    from ecsp.errors import UsageError

    if not sys.stdin.isatty() or refused.existing:
        raise refused
    print(f"{refused.message}.\nChoose a passphrase for their secrets, and keep it: every later run needs it in "
          "PULUMI_CONFIG_PASSPHRASE. Press Enter for none (secrets unprotected).", file=sys.stderr)
    first = getpass.getpass("passphrase: ")
    if not first:
        return True
    if getpass.getpass("passphrase again: ") != first:
        raise UsageError("the two passphrases differ; nothing was created",
                         fix="run the same command again, or set PULUMI_CONFIG_PASSPHRASE first")
    os.environ["PULUMI_CONFIG_PASSPHRASE"] = first
    print("using it for this run; set PULUMI_CONFIG_PASSPHRASE to it for every later run (your shell profile, "
          "a password manager, CI secrets)", file=sys.stderr)
    return False


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
    from ecsp.engine import pulumi_cli

    with installing():
        pulumi_cli.ensure_pulumi(install=True, say=lambda line: print(line, file=sys.stderr))
    config = project.config
    counts = [config.application(env, app).desired_count for env, app in config.deployments()]
    running = local.running_tasks(counts)
    emulator: LocalEmulator = stack.enter_context(local.emulator(project.root, running_tasks=running))
    return emulator
