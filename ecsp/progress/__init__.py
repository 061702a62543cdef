"""Progress for people and machines, driven by ecsp's event stream.

``reporter(mode, operation=...)`` returns a context manager that is a
:class:`~ecsp.events.Listener` (pass it wherever events are produced) and has
``finish(result)`` for the final summary::

    with progress.reporter("auto", operation="up") as listen:
        result = orchestrator.run(..., listener=listen)
        listen.finish(result)

Modes: ``live`` (rich, terminals), ``plain`` (one line per step: CI, logs), ``json``
(JSON lines), ``none`` (nothing), ``auto`` (live on a terminal or a Jupyter kernel with
ipywidgets, plain otherwise). All share one thread-safe model
(:mod:`ecsp.progress.model`). The modes are declared here, once; importing this package
loads no rich, so command-line parsers can offer :data:`MODES` and ``ecsp --help`` stays fast.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, get_args

from ecsp.errors import UsageError
from ecsp.events import Operation

if TYPE_CHECKING:
    from rich.console import Console

    from ecsp.progress.base import Reporter

Mode = Literal["auto", "live", "plain", "json", "none"]
MODES: tuple[str, ...] = get_args(Mode)

__all__ = ["MODES", "Mode", "choose_mode", "reporter"]


def choose_mode(console: Console) -> Literal["live", "plain"]:
    """What ``auto`` means for this console."""
    if console.is_jupyter:
        # Rich draws live output in a notebook through ipywidgets; without it, Live only warns.
        return "live" if importlib.util.find_spec("ipywidgets") is not None else "plain"
    if console.is_terminal and not console.is_dumb_terminal:
        return "live"
    return "plain"


def reporter(mode: Mode = "auto", *, operation: Operation, console: Console | None = None,
             clock: Callable[[], float] = time.monotonic, project: str | None = None,
             diff: bool | None = None) -> Reporter:
    """A reporter for one run of ``operation`` (of ``project``, named in headers); see the module docstring.

    ``diff``: show old -> new values of what changes (None: the mode's default, on for plain lines).
    """
    if mode not in MODES:
        raise UsageError(f"unknown progress mode {mode!r}", fix=f"use one of: {', '.join(MODES)}")
    from rich.console import Console

    console = console if console is not None else Console(highlight=False)
    chosen = choose_mode(console) if mode == "auto" else mode
    if chosen == "live":
        from ecsp.progress.live import LiveReporter

        return LiveReporter(operation=operation, console=console, clock=clock, project=project, diff=diff)
    if chosen == "plain":
        from ecsp.progress.plain import PlainReporter

        return PlainReporter(operation=operation, console=console, clock=clock, project=project, diff=diff)
    if chosen == "json":
        from ecsp.progress.jsonl import JsonReporter

        return JsonReporter(operation=operation, console=console, clock=clock, project=project, diff=diff)
    from ecsp.progress.base import NullReporter

    return NullReporter(operation=operation, console=console, clock=clock, project=project, diff=diff)
