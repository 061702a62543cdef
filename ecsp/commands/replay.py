"""``ecsp replay``: render a recorded Pulumi engine event log with ecsp's progress reporters.

A log written by ``pulumi up --event-log FILE`` (a CI run's, say) is read, translated by
the engine adapter and fed to the same reporters a live run uses. The log's own
timestamps drive the reporters' clock, so durations are the recorded ones. A log holds
one stack and no orchestrator, so the stack's status and outputs are derived from the
events: failed if a step failed or the engine reported an error, cancelled if steps were
still in flight when the log ends.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecsp.commands import HelpFormatter
from ecsp.commands.options import MODES, add_progress

if TYPE_CHECKING:  # `ecsp --help` imports no command's dependencies
    from rich.console import Console

    from ecsp.events import Status
    from ecsp.progress import Mode
    from ecsp.progress.model import StackView
    from ecsp.results import RunResult

MAX_GAP_SECONDS = 2.0  # with --speed, a 10-minute wait in the log should not be 10 minutes of nothing
# A replay is for looking at: every mode but "none".
REPLAY_MODES = tuple(mode for mode in MODES if mode != "none")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "replay", help="render a recorded engine event log (pulumi --event-log) as progress",
        description="Read a Pulumi engine event log (JSON lines, as `pulumi up --event-log FILE` writes)\n"
        "and render it with ecsp's progress reporters: the live display, plain lines or JSON\n"
        "lines, then the final summary. Useful for reading a CI run's log. Exit status 0 when\n"
        "the log was rendered, whatever the recorded run's outcome.",
        epilog="examples:\n  ecsp replay eventlog.json\n  ecsp replay eventlog.json --progress plain\n"
        "  ecsp replay eventlog.json --progress live --speed 10\n"
        "  ecsp replay eventlog.json --progress json | jq -c 'select(.event==\"summary\")'",
        formatter_class=HelpFormatter,
    )
    # No -f: a log names its own stack, and replay never reads ecsp.yaml.
    p.add_argument("eventlog", metavar="EVENTLOG", help="the event log file")
    add_progress(p, modes=REPLAY_MODES, help="how to render (default: live on a terminal, plain otherwise)")
    p.add_argument("--stack", metavar="NAME", help="the stack's name (default: <project>/<stack> from the log)")
    p.add_argument("--speed", type=float, default=0.0, metavar="FACTOR",
                   help="replay at FACTOR times the recorded pace, gaps capped at 2s (default 0: all at once)")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    replay(args.eventlog, mode=args.progress, stack=args.stack, speed=args.speed)
    return 0


def _outcome(view: StackView | None, engine_finished: bool) -> tuple[Status, str | None]:
    """The recorded run's result, from what the model saw."""
    from ecsp.events import Status
    from ecsp.progress.model import shorten_error

    if view is None:
        return Status.SUCCEEDED, None
    if view.failed:
        names = ", ".join(f"{r.name}" for r in view.failed[:3])
        return Status.FAILED, f"{len(view.failed)} resource(s) failed: {names}"
    errors = [d for d in view.diagnostics if d.severity == "error"]
    if errors:
        return Status.FAILED, shorten_error(errors[0].message)
    if view.interrupted:
        return Status.CANCELLED, f"interrupted with {len(view.interrupted)} step(s) in flight"
    if not engine_finished:
        return Status.CANCELLED, "the log ends before the engine's summary"
    return Status.SUCCEEDED, None


def replay(path: str | Path, *, mode: Mode = "auto", stack: str | None = None, speed: float = 0.0,
           console: Console | None = None, errors: Console | None = None,
           sleep: Callable[[float], None] = time.sleep) -> RunResult:
    """Render one event log; returns the result derived from it. Raises UsageError for a file that is not a log."""
    from rich.console import Console

    from ecsp import progress
    from ecsp.engine import events as engine_events
    from ecsp.events import StackStatus, Status, Summary, stack_of_urn
    from ecsp.results import RunResult, StackResult

    skipped: list[tuple[int, str]] = []
    events = list(engine_events.read_event_log(path, on_skip=lambda n, why: skipped.append((n, why))))
    urn = next((u for u in map(engine_events.event_urn, events) if u), None)
    name = stack or (stack_of_urn(urn) if urn else None) or Path(path).stem
    operation = engine_events.infer_operation(events)
    stamps = [e.timestamp for e in events if e.timestamp]
    first = min(stamps) if stamps else 0
    now = [0.0]  # the reporters' clock: the log's time, not ours

    reporter = progress.reporter(mode, operation=operation, console=console, clock=lambda: now[0])
    outputs: dict[str, Any] = {}
    finished = False
    with reporter:
        reporter(StackStatus(name, Status.RUNNING, operation))
        for event in events:
            if event.timestamp:
                at = max(now[0], float(event.timestamp - first))
                if speed > 0 and at > now[0]:
                    sleep(min((at - now[0]) / speed, MAX_GAP_SECONDS))
                now[0] = at
            found = engine_events.stack_outputs(event)
            if found is not None:
                outputs = found
            for translated in engine_events.translate(name, event):
                finished = finished or isinstance(translated, Summary)
                reporter(translated)
        status, reason = _outcome(reporter.model.stack(name), finished)
        reporter(StackStatus(name, status, operation, reason, dict(outputs)))
        result = RunResult(operation=operation, stacks=[StackResult(
            stack=name, kind="", environment=None, application=None, status=status, reason=reason,
            started=0.0, ended=now[0], outputs=outputs)])
        reporter.finish(result)
    if skipped:
        line, why = skipped[0]
        (errors or Console(stderr=True, highlight=False)).print(
            f"warning: skipped {len(skipped)} unreadable line(s) of {path} (first: line {line}: {why})",
            style="yellow", soft_wrap=True)
    return result

