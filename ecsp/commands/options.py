"""Command-line options several commands share, each declared once with its help.

Imports only argparse and :mod:`ecsp.progress` (which loads no rich), so ``ecsp --help`` stays fast.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ecsp.progress import MODES

if TYPE_CHECKING:
    from ecsp.config import ProjectConfig

LOCAL_HELP = "read the local AWS emulator (what `ecsp up --local` created) instead of AWS"
# Commands that run pulumi: its state lives apart in local mode too.
LOCAL_STATE_HELP = "use the local AWS emulator (moto) and local state in .ecsp/local"


def stacks_at_once(text: str) -> int:
    """--parallel N: checked with the other flags, so a bad N is a usage error before anything runs."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number; use e.g. --parallel 4") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {n}); --parallel 1 runs one stack at a time")
    return n


def add_targets(p: argparse.ArgumentParser) -> None:
    """``--env``/``--app`` target options shared by every command that selects stacks or applications."""
    p.add_argument("--env", action="append", default=[], metavar="NAME",
                   help="only this environment (repeatable)")
    p.add_argument("--app", action="append", default=[], metavar="NAME",
                   help="only this application (repeatable)")


def add_environment(p: argparse.ArgumentParser) -> None:
    """``--env NAME`` of a command about one application in one environment."""
    p.add_argument("--env", metavar="NAME", help="the environment (optional when the project has only one)")


def chosen_environment(args: argparse.Namespace, config: ProjectConfig, command: str) -> str:
    """``--env``, or the only environment there is; a usage error with an example when there are several."""
    from ecsp.errors import UsageError

    if args.env is not None:
        return str(args.env)
    first = next(iter(config.environments))
    if len(config.environments) != 1:
        what = getattr(args, "application", None) or getattr(args, "name", None) or ""
        raise UsageError("say which environment with --env", fix=f"e.g. ecsp {command} {what} --env {first}"
                         .replace("  ", " "))
    return first


def add_stack(p: argparse.ArgumentParser) -> None:
    """``--stack NAME``: one stack by its full name (a pipeline's too, which no --env/--app selects)."""
    p.add_argument("--stack", action="append", default=[], metavar="NAME",
                   help="only this stack, e.g. shop-web/test (repeatable)")


def add_with_pipeline(p: argparse.ArgumentParser) -> None:
    p.add_argument("--with-pipeline", action="store_true",
                   help="include the pipeline stacks (left out otherwise; not with --env/--app)")


def add_json(p: argparse.ArgumentParser, *, what: str = "JSON") -> None:
    p.add_argument("--json", action="store_true", help=f"print {what}")


def add_local(p: argparse.ArgumentParser, *, help: str = LOCAL_HELP) -> None:
    p.add_argument("--local", action="store_true", help=help)


def add_backend(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", metavar="URL",
                   help="Pulumi state backend (file://DIR, s3://BUCKET, https://api.pulumi.com); "
                   "default: state.backend in ecsp.yaml, PULUMI_BACKEND_URL, else .ecsp/state")


def add_yes(p: argparse.ArgumentParser) -> None:
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def add_progress(p: argparse.ArgumentParser, *, modes: tuple[str, ...] = MODES, help: str) -> None:
    p.add_argument("--progress", choices=modes, default="auto", help=help)


__all__ = ["LOCAL_HELP", "LOCAL_STATE_HELP", "MODES", "add_backend", "add_environment", "add_json", "add_local",
           "add_progress", "add_stack", "add_targets", "add_with_pipeline", "add_yes", "chosen_environment",
           "stacks_at_once"]
