"""CLI subcommands, one module per group; each has ``register(subparsers, common)``.

Modules import only argparse at import time so ``ecsp --help`` stays fast.
"""

from __future__ import annotations

import argparse
import re
import textwrap


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
                # A `quoted command` stays on one line: its spaces become unbreakable while filling.
                joined = re.sub(r"`[^`]*`", lambda m: m[0].replace(" ", "\0"), " ".join(prose))
                out.append(textwrap.fill(joined, width, initial_indent=indent, subsequent_indent=indent,
                                         break_long_words=False, break_on_hyphens=False).replace("\0", " "))
                prose.clear()

        for line in text.splitlines():
            if line[:1].strip() and not line.rstrip().endswith(":"):
                prose.append(line.strip())
            else:
                flush()
                out.append(indent + line)
        flush()
        return "\n".join(out)
