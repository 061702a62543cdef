"""How a result of the Python API shows itself in a notebook: HTML made from its rich rendering.

One helper every result shares (``Plan``, ``RunResult``, ``StatusReport``, ``ShowReport``,
the pipeline models...), so a notebook shows what the terminal shows, in the same colours,
with links that can be clicked and long parts folded:

* a result defines ``__rich__`` (what rich and the CLI print) and inherits :class:`Renders`,
  whose ``_repr_html_`` is that rendering as HTML (:func:`html`) and whose ``__repr__`` is one
  line (a cell that ends in a result never prints a dataclass's every field);
* :func:`link` makes a URL that a terminal (OSC 8) and the HTML both open on a click;
* :func:`details` folds a part of the HTML (outputs, one stack's resources) under a summary;
* :class:`Printed` turns a function that prints to a console (the CLI's renderers) into a
  renderable, so such a result need not be drawn twice.

Imports nothing of ecsp but :mod:`ecsp.styles`, so any module may use it.
"""

from __future__ import annotations

import html as escaping
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported when something is rendered: importing ecsp stays light
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.text import Text

# Wide enough for the CLI's tables, which are made to fit 80 columns, with room to spare.
HTML_WIDTH = 110
_PRE = ("<pre style=\"white-space: pre; overflow-x: auto; line-height: normal; "
        "font-family: Menlo, 'DejaVu Sans Mono', consolas, 'Courier New', monospace\">{code}</pre>")


def link(url: str, text: str | None = None) -> Text:
    """``url`` underlined and clickable (a terminal hyperlink; a link in the HTML)."""
    from rich.style import Style
    from rich.text import Text

    return Text(text if text is not None else url, style=Style(underline=True, link=url))


def html(renderable: RenderableType, *, width: int = HTML_WIDTH) -> str:
    """What rich would print for ``renderable``, as HTML with inline styles and clickable links."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, record=True, force_terminal=True, color_system="truecolor",
                      force_jupyter=False, highlight=False)
    console.print(renderable)
    return console.export_html(inline_styles=True, code_format=_PRE)


def details(summary: str, inner: str, *, open: bool = False) -> str:
    """``inner`` (HTML) folded under ``summary`` (text), as a notebook shows long parts."""
    return f"<details{' open' if open else ''}><summary>{escaping.escape(summary)}</summary>{inner}</details>"


class Printed:
    """A renderable drawn by ``draw(console)``: what the CLI prints for a result, for rich and HTML alike."""

    def __init__(self, draw: Callable[[Console], None]) -> None:
        self.draw = draw

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.console import Console
        from rich.text import Text

        inner = Console(file=io.StringIO(), width=options.max_width, force_terminal=True, color_system="truecolor",
                        force_jupyter=False, highlight=False)
        with inner.capture() as captured:
            self.draw(inner)
        # Lines the CLI prints whole (URLs, commands) stay whole: a notebook scrolls sideways.
        yield Text.from_ansi(captured.get().rstrip("\n"), no_wrap=True, overflow="ignore")


class Renders:
    """For results that define ``__rich__``: HTML for Jupyter from it, and a one-line repr."""

    def __rich__(self) -> RenderableType:  # pragma: no cover - every result defines its own
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return html(self.__rich__())

    def summary(self) -> str:
        """One line about the result (its ``repr``)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.summary()}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(repr(self))


__all__ = ["HTML_WIDTH", "Printed", "Renders", "details", "html", "link"]
