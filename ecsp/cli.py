"""The command line: a thin shell over :mod:`ecsp.api`.

Only this module turns :class:`~ecsp.errors.EcspError` into exit codes and clean
messages (``--debug`` shows the traceback). ``ecsp --help`` imports neither pulumi nor
pydantic: each command module imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from ecsp.commands import HelpFormatter, fill

# Command modules, in --help order. Each defines ``register(subparsers, common)``.
COMMAND_MODULES = (
    "ecsp.commands.config",  # validate, schema, init
    "ecsp.commands.plan",  # plan
    "ecsp.commands.diagram",  # diagram
    "ecsp.commands.cost",  # cost
    "ecsp.commands.check",  # check --aws-models
    "ecsp.commands.run",  # up, preview, destroy, refresh
    "ecsp.commands.drift",  # drift
    "ecsp.commands.state",  # outputs, ls, cancel, install-pulumi
    "ecsp.commands.ops",  # status, logs, run, show
    "ecsp.commands.task",  # task run
    "ecsp.commands.exec",  # exec
    "ecsp.commands.secret",  # secret set|ls|rm
    "ecsp.commands.rollback",  # rollback
    "ecsp.commands.pipeline",  # pipeline ls|show|status
    "ecsp.commands.ci",  # ci github
    "ecsp.commands.replay",  # replay
    "ecsp.commands.importer",  # import copilot
    "ecsp.commands.completion",  # completion
)

DESCRIPTION = """\
ecsp: Copilot-style ECS infrastructure on the Pulumi Automation API.

One ecsp.yaml describes a project: environments (a VPC, a shared load balancer and
an ECS cluster each), applications in every environment (web services behind that
load balancer, backend services, queue workers and scheduled jobs, calling each
other through Service Connect) and optional release pipelines. ecsp turns it into
Pulumi stacks: <project>-project/global, <project>-environment/<env>,
<project>-<app>/<env> and <project>-pipeline/<name>.
"""

EPILOG = """\
start here:
  ecsp init --name shop --region us-west-2   write a starter ecsp.yaml
  ecsp validate                              check it (exit 2 on problems)
  ecsp plan                                  every stack's resources, offline
  ecsp diagram --env test / ecsp cost        draw it / what it costs a month
  ecsp import copilot                        or start from a Copilot workspace

Run `ecsp COMMAND --help` for a command's options.
"""

Handler = Callable[[argparse.Namespace], int]


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-f", "--file", default="ecsp.yaml", metavar="PATH",
                        help="project file (default: ./ecsp.yaml)")
    common.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    return common


class Parser(argparse.ArgumentParser):
    """argparse, saying what was probably meant: the nearest command or option, or Copilot's word for it.

    Subcommands are parsers of this class too (argparse makes them of their parent's class), and
    each records itself on the namespace, so an unknown option is reported with the usage of the
    command it was given to, not the top-level one.
    """

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        parsed, extra = super().parse_known_args(args, namespace)
        if not hasattr(parsed, "_parser"):  # the innermost command's parser, which ran first
            parsed._parser = self
        return parsed, extra

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {_meant(message)}\n")

    def unrecognized(self, extra: Sequence[str]) -> NoReturn:
        """Options this command does not take, with the nearest ones it does."""
        import difflib

        options = [o for o in self._option_string_actions if o.startswith("--")]
        near = [m for word in extra if word.startswith("-")
                for m in difflib.get_close_matches(word.split("=", 1)[0], options, n=1, cutoff=0.6)]
        self.error(f"unrecognized arguments: {' '.join(extra)}"
                   + (f"; did you mean {' or '.join(dict.fromkeys(near))}?" if near else ""))


def _meant(message: str) -> str:
    """argparse's message for a choice it does not know, with the nearest choice (and Copilot's hint)."""
    import difflib
    import re

    from ecsp import hints

    found = re.match(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if not found:
        return message
    argument, word, listed = found.groups()
    choices = re.findall(r"'([^']*)'", listed) or [c.strip() for c in listed.split(",")]
    near = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if argument == "COMMAND":
        said = f"unknown command '{word}'"
        hint = hints.command(word)
        if hint:
            return f"{said}: {hint}"
        return said + (f"; did you mean '{near[0]}'?" if near else "; `ecsp --help` lists the commands")
    return f"argument {argument}: '{word}' is not one of {', '.join(choices)}" + (
        f"; did you mean '{near[0]}'?" if near else "")


def build_parser() -> Parser:
    parser = Parser(
        prog="ecsp", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    common = _common()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked: importlib.metadata costs ~20 ms of every start-up."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        print(f"ecsp {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ecsp")
    except PackageNotFoundError:
        return "0+unknown"


def run() -> NoReturn:
    """The ``ecsp`` command: :func:`main`, then exit with its status.

    The process ends here, so the objects alive now are frozen out of the garbage collector:
    the interpreter's last collection would walk every class of the AWS SDK for nothing (a
    third of a second). :func:`main` itself stays safe to call in a long-lived process.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (0 ok, 1 failed, 2 bad input, 3 missing tool, 130 interrupted)."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    # What follows the first `--` is a command to run (`ecsp task run web -- ./migrate --fake`), kept
    # whole: argparse would have matched the command's positional before the options that follow APP.
    trailing = words[words.index("--") + 1:] if "--" in words else None
    try:
        args, extra = parser.parse_known_args(words[:words.index("--")] if trailing is not None else words)
        if extra:
            given_to: Parser = getattr(args, "_parser", parser)
            given_to.unrecognized(extra)
        if trailing is not None:
            if not hasattr(args, "program"):  # set (to []) by the commands that run one
                parser.error(f"`ecsp {args.command}` takes no command after --")
            args.program = trailing
    except SystemExit as e:
        # argparse exits for --help (0) and for usage errors (2, message already printed): return the
        # status instead, so main() behaves the same from the console script, a test or a notebook.
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 2
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`ecsp plan | head`): not an error of ours. Point stdout at devnull so
        # the interpreter's final flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as e:
        from ecsp.errors import EcspError

        if getattr(args, "debug", False) or os.environ.get("ECSP_DEBUG"):
            raise
        if isinstance(e, EcspError):
            _print_error(e)
            return e.exit_code
        _print_error(e, unexpected=True)
        return 1


def _print_error(e: BaseException, *, unexpected: bool = False) -> None:
    from ecsp.errors import ConfigError, EcspError

    stream = sys.stderr
    if isinstance(e, ConfigError):
        for problem in e.problems:
            print(f"error: {problem}", file=stream)
        if len(e.problems) > 1:
            print(f"{len(e.problems)} problems; fix them and run `ecsp validate` again", file=stream)
        return
    if isinstance(e, EcspError):
        print(_wrapped(f"error: {e.message}", stream), file=stream)
        if e.fix:
            print(_wrapped(f"  fix: {e.fix}", stream), file=stream)
        return
    print(_wrapped(f"error: unexpected {type(e).__name__}: {e}", stream), file=stream)
    print("  fix: run again with --debug for the traceback, and report it", file=stream)


def _wrapped(text: str, stream: object) -> str:
    """``text`` filled to a terminal's width, between words, continuation lines indented.

    A terminal would otherwise break the line mid-word (or mid-URL) at its edge. Logs and pipes
    get every line whole. Config problems never come here: each stays one ``FILE:LINE:`` line.
    """
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return text
    import shutil

    width = shutil.get_terminal_size().columns
    out = []
    for line in text.splitlines():
        # Continuations hang under the text after "error: " and "  fix: " (both 7 wide).
        lead = 7 if line.startswith(("error: ", "  fix: ")) else len(line) - len(line.lstrip()) + 2
        indent = " " * lead
        out.append(fill(line, width, subsequent_indent=indent) if len(line) > width else line)
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
