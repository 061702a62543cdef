"""``logs``: an application's CloudWatch Logs events with timestamps and task ids, read once or followed.

The awslogs driver writes each task to the stream ``<prefix>/<container>/<task id>``
in the log group ``/ecsp/<project>-<env>-<app>``; :func:`read` pages through
``FilterLogEvents`` for a time window, :func:`tail` polls for new events until the
caller stops iterating (the CLI stops on Ctrl-C).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from ecsp import naming
from ecsp.aws import NotDeployedError, Sessions, aws_errors
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator
from ecsp.errors import UsageError
from ecsp.ops import check_names, open_sessions

DEFAULT_SINCE = "1h"
POLL_SECONDS = 2.0
# CloudWatch Logs can deliver an event a few seconds after its timestamp; each poll looks
# back this far and drops events it has already printed, so late ones are not skipped.
LATE_ARRIVAL = timedelta(seconds=10)
_SINCE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """``30m``, ``1h``, ``2d`` (also ``45s``, ``1w``) as a duration."""
    match = _SINCE.match(text)
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"--since '{text}' is not a duration", fix="use a number and a unit: 30m, 1h, 2d (s m h d w)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class LogEvent:
    timestamp: datetime
    task_id: str
    container: str
    message: str
    stream: str
    event_id: str

    def to_json(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp.isoformat(), "task": self.task_id, "container": self.container,
                "message": self.message, "stream": self.stream}


def parse_stream(stream: str) -> tuple[str, str]:
    """(container, task id) from an awslogs stream name ``<prefix>/<container>/<task id>``."""
    parts = stream.split("/")
    if len(parts) >= 3:
        return parts[-2], parts[-1]
    return "", parts[-1]


def _event(raw: dict[str, Any]) -> LogEvent:
    container, task = parse_stream(str(raw.get("logStreamName", "")))
    return LogEvent(
        timestamp=datetime.fromtimestamp(int(raw["timestamp"]) / 1000, tz=UTC),
        task_id=task, container=container, message=str(raw.get("message", "")).rstrip("\n"),
        stream=str(raw.get("logStreamName", "")), event_id=str(raw.get("eventId", "")),
    )


def _check(config: ProjectConfig, env: str, app: str) -> None:
    check_names(config, [env], [app])


def _page(logs: Any, group: str, start: datetime, filter_pattern: str | None) -> Iterator[LogEvent]:
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": int(start.timestamp() * 1000)}
    if filter_pattern:
        kwargs["filterPattern"] = filter_pattern
    while True:
        page = logs.filter_log_events(**kwargs)
        # Pages are ordered by stream, not time, when a group has many streams; sort each page.
        yield from sorted((_event(e) for e in page.get("events", [])), key=lambda e: (e.timestamp, e.event_id))
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return
        kwargs["nextToken"] = token


def read(config: ProjectConfig, sessions: Sessions, env: str, app: str, *, since: timedelta,
         filter_pattern: str | None = None, now: Callable[[], datetime] | None = None) -> Iterator[LogEvent]:
    """Events of the last ``since``, oldest first; raises NotDeployedError without a log group."""
    _check(config, env, app)
    start = (now or _now)() - since
    yield from _reading(config, sessions, env, app, start, filter_pattern)


def _reading(config: ProjectConfig, sessions: Sessions, env: str, app: str, start: datetime,
             filter_pattern: str | None) -> Iterator[LogEvent]:
    group = naming.AppNames(config.project.name, env, app).log_group
    flag = " --local" if sessions.local is not None else ""

    def not_deployed(_: BaseException) -> NotDeployedError:
        return NotDeployedError(
            f"application '{app}' is not deployed in environment '{env}' (no log group {group} in "
            f"{config.environments[env].region})",
            fix=f"deploy it with `ecsp up{flag} --env {env} --app {app}`; if it is deployed, check the environment's "
                "account, region and profile")

    with aws_errors(sessions.where(env), not_found=not_deployed):
        logs = sessions.client(env, "logs")
        yield from _page(logs, group, start, filter_pattern)


def tail(config: ProjectConfig, sessions: Sessions, env: str, app: str, *, since: timedelta,
           filter_pattern: str | None = None, poll: float = POLL_SECONDS,
           now: Callable[[], datetime] | None = None, sleep: Callable[[float], None] | None = None,
           ) -> Iterator[LogEvent]:
    """Events of the last ``since``, then new ones as they arrive, forever (stop iterating to end)."""
    _check(config, env, app)
    clock, pause = now or _now, sleep or _sleep
    start = clock() - since
    seen: dict[str, datetime] = {}
    while True:
        newest = start
        for event in _reading(config, sessions, env, app, start, filter_pattern):
            newest = max(newest, event.timestamp)
            if event.event_id in seen:
                continue
            seen[event.event_id] = event.timestamp
            yield event
        start = max(start, newest - LATE_ARRIVAL)
        # Forget ids older than the look-back window: they cannot be returned again.
        seen = {k: t for k, t in seen.items() if t >= start}
        pause(poll)


def events(config: ProjectConfig, root: Path, app: str, env: str, *, since: str | timedelta = DEFAULT_SINCE,
           follow: bool = False, filter_pattern: str | None = None, local: bool | LocalEmulator = False,
           poll: float = POLL_SECONDS, sleep: Callable[[float], None] | None = None,
           ) -> Generator[LogEvent, None, None]:
    """What ``ecsp logs`` prints, for the API: names and ``since`` are checked now, AWS is read while iterating.

    With ``local=True`` the local emulator runs until the iterator is exhausted or closed.
    """
    window = parse_since(since) if isinstance(since, str) else since
    _check(config, env, app)

    def generate() -> Generator[LogEvent, None, None]:
        with open_sessions(config, root, local) as sessions:
            if follow:
                yield from tail(config, sessions, env, app, since=window, filter_pattern=filter_pattern,
                                poll=poll, sleep=sleep)
            else:
                yield from read(config, sessions, env, app, since=window, filter_pattern=filter_pattern)

    return generate()


def _now() -> datetime:
    return datetime.now(tz=UTC)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


# --------------------------------------------------------------------------- rendering


def render(event: LogEvent, out: Console) -> None:
    """One line: UTC time, container/short task id, message."""
    stamp = event.timestamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{event.timestamp.microsecond // 1000:03d}Z"
    task = f"{event.container}/{event.task_id[:8]}" if event.container else event.task_id[:8]
    out.print(Text.assemble((stamp, "dim"), " ", (task, "cyan"), " ", event.message), soft_wrap=True)


def render_json(event: LogEvent) -> str:
    """One JSON document per line (JSON Lines), so ``--follow --json`` streams."""
    return json.dumps(event.to_json())
