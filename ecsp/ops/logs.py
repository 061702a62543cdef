"""``logs``: an application's CloudWatch Logs events with timestamps and task ids, read once or followed.

The awslogs driver writes each task to the stream ``<prefix>/<container>/<task id>``
in the log group ``/ecsp/<project>-<env>-<app>``; :func:`read` pages through
``FilterLogEvents`` for a time window (:class:`Window`), :func:`tail` polls for new events
until the caller stops iterating (the CLI stops on Ctrl-C). :class:`Streams` narrows either
to one container's streams or to some tasks' (a stopped task's logs stay in the group for
its retention, so this is also how a stopped task's logs are read).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from rich.console import Console
from rich.text import Text

from ecsp import naming
from ecsp.aws import NotDeployedError, Sessions, aws_errors, error_code
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
_TASK_ID = re.compile(r"[0-9a-f]{32}")  # a whole Fargate task id


def parse_since(text: str, option: str = "--since") -> timedelta:
    """``30m``, ``1h``, ``2d`` (also ``45s``, ``1w``) as a duration."""
    match = _SINCE.match(text)
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"{option} '{text}' is not a duration", fix="use a number and a unit: 30m, 1h, 2d (s m h d w)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_time(text: str, option: str, now: datetime) -> datetime:
    """A moment: a duration ago (``2h``) or an ISO 8601 date and time (UTC unless it says otherwise)."""
    if _SINCE.match(text):
        return now - parse_since(text, option)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} '{text}' is neither a time nor a duration",
                         fix=f"use e.g. {option} 2026-06-12T09:30 (UTC), {option} 2026-06-12T09:30+02:00 or "
                             f"{option} 2h (two hours ago)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """The time range to read: from ``start``, until ``end`` (None: up to now, or on and on when following)."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise UsageError(f"the end ({self.end.isoformat()}) is not after the start ({self.start.isoformat()})",
                             fix="give --start an earlier time than --end")


@dataclass(frozen=True)
class Streams:
    """Which of the group's streams to read: one container's, some tasks' (ids or their prefixes), or all.

    The narrowing happens in the request where ``FilterLogEvents`` can express it (a stream
    name or prefix), and on each event otherwise (several tasks, or a task of any container).
    """

    container: str | None = None
    tasks: tuple[str, ...] = ()

    def request(self) -> dict[str, Any]:
        if self.container is None:
            return {}
        if len(self.tasks) == 1 and _TASK_ID.fullmatch(self.tasks[0]):
            return {"logStreamNames": [f"{naming.LOG_STREAM_PREFIX}/{self.container}/{self.tasks[0]}"]}
        prefix = f"{naming.LOG_STREAM_PREFIX}/{self.container}/"
        return {"logStreamNamePrefix": prefix + (self.tasks[0] if len(self.tasks) == 1 else "")}

    def wants(self, event: LogEvent) -> bool:
        if self.container is not None and event.container != self.container:
            return False
        return not self.tasks or any(event.task_id.startswith(task) for task in self.tasks)


ALL_STREAMS = Streams()


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


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def page(logs: Any, group: str, window: Window, filter_pattern: str | None = None,
         streams: Streams = ALL_STREAMS) -> Iterator[LogEvent]:
    """The group's events in ``window`` from the chosen ``streams`` (botocore errors pass through)."""
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": _millis(window.start), **streams.request()}
    if window.end is not None:
        kwargs["endTime"] = _millis(window.end)
    if filter_pattern:
        kwargs["filterPattern"] = filter_pattern
    while True:
        try:
            found = logs.filter_log_events(**kwargs)
        except ClientError as e:
            if "logStreamNames" in kwargs and error_code(e) == "ResourceNotFoundException" and \
                    _group_exists(logs, group):
                return  # the task has not written its first line yet: its stream does not exist
            raise
        # Pages are ordered by stream, not time, when a group has many streams; sort each page.
        events = (e for e in map(_event, found.get("events", [])) if streams.wants(e))
        yield from sorted(events, key=lambda e: (e.timestamp, e.event_id))
        token = found.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return
        kwargs["nextToken"] = token


def _group_exists(logs: Any, group: str) -> bool:
    found = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
    return any(g.get("logGroupName") == group for g in found)


def read(config: ProjectConfig, sessions: Sessions, env: str, app: str, *, window: Window,
         filter_pattern: str | None = None, streams: Streams = ALL_STREAMS) -> Iterator[LogEvent]:
    """Events in ``window``, oldest first; raises NotDeployedError without a log group."""
    _check(config, env, app)
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
        yield from page(logs, group, window, filter_pattern, streams)


def tail(config: ProjectConfig, sessions: Sessions, env: str, app: str, *, since: timedelta | None = None,
         start: datetime | None = None, filter_pattern: str | None = None, streams: Streams = ALL_STREAMS,
         poll: float = POLL_SECONDS, now: Callable[[], datetime] | None = None,
         sleep: Callable[[float], None] | None = None) -> Iterator[LogEvent]:
    """Events from ``start`` (or the last ``since``), then new ones as they arrive, forever (stop iterating to end)."""
    _check(config, env, app)
    clock, pause = now or _now, sleep or _sleep
    if start is None:
        start = clock() - (since if since is not None else parse_since(DEFAULT_SINCE))
    seen: dict[str, datetime] = {}
    while True:
        newest = start
        for event in read(config, sessions, env, app, window=Window(start), filter_pattern=filter_pattern,
                          streams=streams):
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
           start: str | datetime | None = None, end: str | datetime | None = None, follow: bool = False,
           filter_pattern: str | None = None, container: str | None = None, tasks: Sequence[str] = (),
           local: bool | LocalEmulator = False, poll: float = POLL_SECONDS,
           sleep: Callable[[float], None] | None = None) -> Generator[LogEvent, None, None]:
    """What ``ecsp logs`` prints, for the API: names and times are checked now, AWS is read while iterating.

    ``start``/``end`` (a datetime, an ISO 8601 time or a duration ago) replace ``since``;
    ``container`` and ``tasks`` (task ids or their first characters) narrow the streams.
    With ``local=True`` the local emulator runs until the iterator is exhausted or closed.
    """
    _check(config, env, app)
    window = window_of(since=since, start=start, end=end, follow=follow)
    streams = Streams(container, tuple(task.strip().lower() for task in tasks if task.strip()))
    if container is not None and container not in containers(config, env, app):
        raise UsageError(f"application '{app}' has no container '{container}'",
                         fix="use one of: " + ", ".join(containers(config, env, app)))

    def generate() -> Generator[LogEvent, None, None]:
        with open_sessions(config, root, local) as sessions:
            if follow:
                yield from tail(config, sessions, env, app, start=window.start, filter_pattern=filter_pattern,
                                streams=streams, poll=poll, sleep=sleep)
            else:
                yield from read(config, sessions, env, app, window=window, filter_pattern=filter_pattern,
                                streams=streams)

    return generate()


def window_of(*, since: str | timedelta = DEFAULT_SINCE, start: str | datetime | None = None,
              end: str | datetime | None = None, follow: bool = False,
              now: Callable[[], datetime] | None = None) -> Window:
    """The window ``--since``/``--start``/``--end`` describe (``--start`` wins over ``--since``)."""
    moment = (now or _now)()
    if end is not None and follow:
        raise UsageError("--end and --follow do not go together: following reads on until you stop it",
                         fix="drop --end to follow, or --follow to read up to --end")
    begin = start if isinstance(start, datetime) else parse_time(start, "--start", moment) if start is not None \
        else moment - (since if isinstance(since, timedelta) else parse_since(since))
    until = end if isinstance(end, datetime) or end is None else parse_time(end, "--end", moment)
    return Window(begin, until)


def containers(config: ProjectConfig, env: str, app: str) -> list[str]:
    """The containers of the application's task in ``env``: its own first, then its sidecars (and log router)."""
    from ecsp.config import LOG_ROUTER

    settings = config.application(env, app)
    names = naming.AppNames(config.project.name, env, app)
    return [names.container, *settings.sidecars, *([LOG_ROUTER] if settings.logging is not None else [])]


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
