"""CLI subcommands, one module per group; each has ``register(subparsers, common)``.

Modules import only argparse at import time so ``ecsp --help`` stays fast. This package
holds what they share: the help formatter, and the confirmation prompt and install spinner
of the commands that change or download something.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import textwrap
from typing import Any


def fill(text: str, width: int, *, indent: str = "", subsequent_indent: str | None = None) -> str:
    """``text`` filled to ``width`` between words; a `quoted command` is never split across lines."""
    joined = re.sub(r"`[^`]*`", lambda m: m[0].replace(" ", "\0"), text)
    return textwrap.fill(joined, width, initial_indent=indent,
                         subsequent_indent=indent if subsequent_indent is None else subsequent_indent,
                         break_long_words=False, break_on_hyphens=False).replace("\0", " ")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Prose in descriptions and epilogs wraps to the terminal; indented lines (examples) stay as written.

    A line that starts at the margin is prose, joined with the prose lines around it and filled
    to the width; a heading (a line ending in ':'), a blank line or an indented line ends a paragraph
    and is kept as it is.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        prose: list[str] = []

        def flush() -> None:
            if prose:
                out.append(fill(" ".join(prose), width, indent=indent))
                prose.clear()

        for line in text.splitlines():
            if line[:1].strip() and not line.rstrip().endswith(":"):
                prose.append(line.strip())
            else:
                flush()
                out.append(indent + line)
        flush()
        return "\n".join(out)


def confirm(question: str, *, answer: str, what: str) -> None:
    """Ask on the terminal; :class:`~ecsp.errors.Cancelled` unless the reply is ``answer``.

    Without a terminal (CI, a pipe) it is a usage error that says to pass --yes.
    """
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


def installing() -> contextlib.AbstractContextManager[Any]:
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
