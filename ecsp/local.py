"""The local AWS emulator behind ``--local``: start (or find) a moto server and hand out its endpoint.

``emulator(root)`` is a context manager yielding a :class:`~ecsp.context.LocalEmulator`.
It uses ``ECSP_LOCAL_ENDPOINT`` when that is set (an emulator someone already runs);
otherwise it starts moto's server as a child process on a free 127.0.0.1 port and stops
it on exit.

State across commands: moto keeps everything in memory, so on its own ``ecsp up --local``
followed by ``ecsp status --local`` would find nothing. ecsp therefore turns on moto's
request recorder (``MOTO_ENABLE_RECORDING``), writing to ``<root>/.ecsp/local/``, and
replays that recording into each new server. moto's random ids are seeded once, before
the first recorded request, and the seed call is itself recorded, so a replay recreates
the same resource ids the Pulumi state refers to (best effort: requests that arrived
concurrently may be replayed in a different order). Delete ``.ecsp/local`` to start over.

ECS on moto never runs tasks: a service's running count is whatever
``MOTO_ECS_SERVICE_RUNNING`` says when the service is created, so ecsp sets it to
``running_tasks`` (callers pass the largest desired count of the project), and remembers
the largest value used so that replays recreate services with the same count.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from ecsp.context import LocalEmulator
from ecsp.errors import EcspError

ENDPOINT_VARIABLE = "ECSP_LOCAL_ENDPOINT"
DATA_DIR = Path(".ecsp") / "local"
RECORDING = "recording.jsonl"
SERVER_LOG = "server.log"
SETTINGS = "settings.json"
LOCK = "lock"
SEED = 20260612  # any fixed number: it only has to be the same for recording and replay
START_TIMEOUT = 30.0

NOTICE = "local mode: nothing real was created; everything ran against a local AWS emulator (moto)"
READ_NOTICE = "local mode: read from a local AWS emulator (moto), not from AWS"


class LocalEmulatorError(EcspError):
    """The local emulator could not be started or reached."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def data_dir(root: Path) -> Path:
    """Where the emulator keeps its recording and log for the project in ``root``."""
    return root / DATA_DIR


@contextlib.contextmanager
def emulator(
    root: Path,
    *,
    running_tasks: int = 1,
    record: bool = True,
    say: Callable[[str], None] | None = None,
    start_timeout: float = START_TIMEOUT,
) -> Iterator[LocalEmulator]:
    """A local AWS emulator for the project in ``root``, for the duration of the ``with`` block.

    ``running_tasks`` is the running count moto reports for ECS services created in this
    session (moto never runs tasks). ``record=False`` is for sessions that only read (status,
    logs, show): they leave the recording as it was, so it does not grow with every read.
    ``say`` receives the one-line notices (default: stderr).
    """
    say = say or _stderr
    external = os.environ.get(ENDPOINT_VARIABLE)
    if external:
        endpoint = external.rstrip("/")
        _wait_ready(endpoint, None, timeout=min(start_timeout, 5.0), log=None)
        with _session(say, endpoint, record=record, closing=NOTICE,
                      opening=f"local mode: using the AWS emulator at {endpoint} ({ENDPOINT_VARIABLE})",
                      read_opening=f"{READ_NOTICE}: {endpoint} ({ENDPOINT_VARIABLE})") as session:
            yield session
        return

    if importlib.util.find_spec("moto") is None:
        raise LocalEmulatorError(
            "--local needs moto's server (an AWS API emulator), which is not installed",
            fix=f"pip install 'ecsp[local]' (moto's server), or run an emulator yourself and set "
            f"{ENDPOINT_VARIABLE}=URL",
        )
    folder = data_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    with _session_lock(folder), _server(folder, _remember_running_tasks(folder, running_tasks),
                                        start_timeout, record) as endpoint:
        # moto does not record the seed request, so seed before every replay: the replay then
        # draws the same random ids, in the same order, as the session that was recorded.
        recording = folder / RECORDING
        try:
            _post(f"{endpoint}/moto-api/seed?a={SEED}")
            if recording.exists() and recording.stat().st_size > 0:
                _post(f"{endpoint}/moto-api/recorder/replay-recording")
        except (OSError, urllib.error.URLError) as e:  # HTTPError is a URLError
            raise LocalEmulatorError(
                f"the local AWS emulator could not restore the earlier sessions' resources from {recording}: {e}",
                fix=f"delete {folder} to start the local environment from scratch (its Pulumi state goes too)",
            ) from e
        with _session(say, endpoint, record=record,
                      opening=f"local mode: AWS emulator (moto) at {endpoint}; its data is kept in {folder}",
                      read_opening=f"{READ_NOTICE}: {endpoint}, data in {folder}",
                      closing=f"{NOTICE}; delete {folder} to start from scratch") as session:
            yield session


@contextlib.contextmanager
def _session(say: Callable[[str], None], endpoint: str, *, record: bool, opening: str, read_opening: str,
             closing: str) -> Iterator[LocalEmulator]:
    """The emulator handed to the caller, with its notices.

    Reads say once, up front (before their own output), that they read the emulator;
    deploys say where it is, and when they ran that nothing real was created.
    """
    say(opening if record else read_opening)
    yield LocalEmulator(endpoint=endpoint)
    # Only after a run that happened: a run that stopped with an error (a missing plugin) created nothing
    # anywhere, and its error is the last thing to read.
    if record:
        say(closing)


def _remember_running_tasks(folder: Path, requested: int) -> int:
    """The running count for this session: never lower than an earlier session's.

    moto reads MOTO_ECS_SERVICE_RUNNING when a service is created, and a replay creates every
    service again in the new server; so a later session (``ecsp status --local``) must not
    lower the value that the deploy's session used.
    """
    path = folder / SETTINGS
    try:
        earlier = int(json.loads(path.read_text()).get("running_tasks", 0))
    except (OSError, ValueError, AttributeError):
        earlier = 0
    value = max(requested, earlier, 0)
    path.write_text(json.dumps({"running_tasks": value}) + "\n")
    return value


@contextlib.contextmanager
def _session_lock(folder: Path) -> Iterator[None]:
    # Two servers appending to one recording would interleave unrelated sessions.
    with open(folder / LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LocalEmulatorError(
                f"another ecsp --local command is using {folder}",
                fix=f"wait for it to finish, or point this one at its emulator with {ENDPOINT_VARIABLE}=URL",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# moto's server, plus a watchdog: outside ecsp's process group it would outlive an ecsp that
# was killed (SIGKILL, a crash), so it exits when its parent is gone.
_BOOTSTRAP = """
import os, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def _server(folder: Path, running_tasks: int, start_timeout: float, record: bool) -> Iterator[str]:
    env = dict(os.environ)
    env.update({
        # A read-only session need not be recorded: nothing later depends on its requests
        # (ids drawn during it name nothing that exists afterwards).
        "MOTO_ENABLE_RECORDING": "true" if record else "",
        "MOTO_RECORDER_FILEPATH": str(folder / RECORDING),
        "MOTO_ECS_SERVICE_RUNNING": str(running_tasks),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    })
    log_path = folder / SERVER_LOG
    # A free port can be taken between probing and binding; try a few.
    for attempt in range(3):
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        with open(log_path, "w") as log:
            # A session of its own: Ctrl-C must not kill the emulator while pulumi is still
            # finishing (cancelling) operations against it; ecsp stops it on the way out.
            process = subprocess.Popen(
                [sys.executable, "-c", _BOOTSTRAP, "-H", "127.0.0.1", "-p", str(port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )
            try:
                _wait_ready(endpoint, process, timeout=start_timeout, log=log_path)
            except LocalEmulatorError:
                _stop(process)
                if attempt == 2 or "Address already in use" not in _tail(log_path):
                    raise
                continue
            try:
                yield endpoint
            finally:
                _stop(process)
            return


def _wait_ready(endpoint: str, process: subprocess.Popen[bytes] | None, *, timeout: float, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise LocalEmulatorError(
                f"the local AWS emulator exited at start (status {process.returncode}): {_tail(log)}",
                fix="check that moto's server is installed (pip install 'ecsp[local]')",
            )
        # A plain TCP connect: any HTTP request would land in the recording (and may not be moto).
        try:
            with socket.create_connection(_host_port(endpoint), timeout=2):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise LocalEmulatorError(
                f"no AWS emulator answers at {endpoint}",
                fix=f"start one (moto_server -p PORT) and set {ENDPOINT_VARIABLE}, or unset it to let ecsp start one",
            )
        time.sleep(0.1)


def _host_port(endpoint: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(endpoint)
    if not parsed.hostname:
        raise LocalEmulatorError(f"{endpoint!r} is not a URL", fix=f"set {ENDPOINT_VARIABLE} to e.g. http://127.0.0.1:5000")
    return parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)


def _post(url: str) -> None:
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=600):
        pass


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log: Path | None, lines: int = 3) -> str:
    if log is None or not log.exists():
        return ""
    return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])


def running_tasks(desired_counts: list[int]) -> int:
    """What ``MOTO_ECS_SERVICE_RUNNING`` should be so every service's rollout looks complete."""
    return max([1, *desired_counts])


__all__ = ["ENDPOINT_VARIABLE", "NOTICE", "READ_NOTICE", "LocalEmulatorError", "data_dir", "emulator",
           "free_port", "running_tasks"]
