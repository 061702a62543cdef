"""The pulumi CLI process: find it, install ecsp's pinned copy, and run it so a run can be interrupted.

Responsibility: everything about the ``pulumi`` binary itself. ``pulumi`` on ``PATH`` (at
least :data:`MIN_PULUMI_VERSION`) or the copy ``ecsp install-pulumi`` puts in
``~/.ecsp/pulumi/<version>``; version :data:`PINNED_PULUMI_VERSION` is the one the
real-engine tests ran with.

Cancellation: the SDK keeps no handle on the ``pulumi`` process it starts, so ecsp runs
commands through :class:`InterruptiblePulumiCommand`, which starts each one in its own
session (a terminal's Ctrl-C reaches ecsp only) and can send it SIGINT: Pulumi's own
graceful cancellation, which finishes in-flight steps, saves state and releases the lock.
A second interrupt stops it at once; the engine then runs ``pulumi cancel`` so no lock is left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import urllib.error
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import errors as auto_errors
from semver import VersionInfo

from ecsp.errors import PulumiMissingError

# The CLI version ecsp installs (`ecsp install-pulumi`) and CI builds (.ci/build-pulumi.sh):
# the release the real-engine tests ran with. Not the SDK's 3.272.0: the Go module proxy does
# not serve pulumi's pkg module at v3.272.0, and PyPI has no SDK newer than 3.272.0, so the
# nearest CLI release CI can build from source is used (a newer CLI serves an older SDK).
PINNED_PULUMI_VERSION = "3.274.1"
# The SDK release InterruptiblePulumiCommand.run and the fake pulumi were checked against
# (tests/engine/test_engine_automation.py fails when the installed SDK is another one).
CHECKED_SDK_VERSION = "3.272.0"
# Inline programs for refresh and destroy need `--client`, added in CLI 3.181.
MIN_PULUMI_VERSION = "3.181.0"
INSTALL_HINT = "curl -fsSL https://get.pulumi.com | sh"


def ecsp_home() -> Path:
    """Where ecsp keeps per-user files (the pinned pulumi CLI): ``$ECSP_HOME`` or ``~/.ecsp``."""
    return Path(os.environ.get("ECSP_HOME") or Path.home() / ".ecsp")


def pinned_root(version: str = PINNED_PULUMI_VERSION) -> Path:
    return ecsp_home() / "pulumi" / version


class InterruptiblePulumiCommand(auto.PulumiCommand):
    """``PulumiCommand`` that keeps a handle on each running ``pulumi`` process, to cancel it.

    ``run`` mirrors the SDK's ``PulumiCommand.run`` (3.272: ``--non-interactive`` first,
    ``PULUMI_AUTOMATION_API=true``, the CLI's own folder first on ``PATH``, stdout/stderr
    read line by line into callbacks, errors through ``create_command_error``) and adds two
    things: the child runs in its own session, and the process is registered under its
    ``--stack`` so :meth:`interrupt` can signal it.
    """

    def __init__(self, base: auto.PulumiCommand) -> None:
        # Deliberately not super().__init__(): that runs `pulumi version` again; `base` did.
        self.command = base.command
        self.version = base.version
        self._processes: dict[str, subprocess.Popen[str]] = {}
        self._lock = threading.Lock()

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: auto.OnOutput | None = None,
        on_error: auto.OnOutput | None = None,
    ) -> auto.CommandResult:
        separator = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:separator]:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):
            env["PATH"] = os.pathsep.join([os.path.dirname(self.command), env.get("PATH", "")])
        stack = args[args.index("--stack") + 1] if "--stack" in args[:-1] else None
        stdout: list[str] = []
        stderr: list[str] = []

        def consume(stream: Any, callback: auto.OnOutput | None, chunks: list[str]) -> None:
            for line in iter(stream.readline, ""):
                text = line.rstrip()
                if callback:
                    callback(text)
                chunks.append(text)
            stream.close()

        # start_new_session: Ctrl-C in a terminal goes to ecsp alone, which then cancels
        # each stack once, on purpose (a second SIGINT would make pulumi stop at once).
        posix = os.name == "posix"
        process = subprocess.Popen(
            [self.command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
            encoding="utf-8", start_new_session=posix,
            creationflags=0 if posix else subprocess.CREATE_NEW_PROCESS_GROUP,  # type: ignore[attr-defined,unused-ignore]
        )
        if stack is not None:
            with self._lock:
                self._processes[stack] = process
        try:
            readers = [threading.Thread(target=consume, args=(process.stdout, on_output, stdout), daemon=True),
                       threading.Thread(target=consume, args=(process.stderr, on_error, stderr), daemon=True)]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            code = process.wait()
        except BaseException:
            # Ctrl-C while the main thread waits (ls, outputs, plugin installs): the child is in a session
            # of its own, so the terminal's SIGINT never reached it. Pass it on rather than leave it running.
            if process.poll() is None:
                _signal(process, force=False)
            raise
        finally:
            if stack is not None:
                with self._lock:
                    if self._processes.get(stack) is process:
                        del self._processes[stack]
        result = auto.CommandResult(stdout="\n".join(stdout), stderr="\n".join(stderr), code=code)
        if code != 0:
            raise auto_errors.create_command_error(result)
        return result

    def interrupt(self, stack: str, *, force: bool = False) -> bool:
        """SIGINT the running command of ``stack`` (pulumi's graceful cancel; again = stop now)."""
        with self._lock:
            process = self._processes.get(stack)
        if process is None or process.poll() is not None:
            return False
        return _signal(process, force=force)


def _signal(process: subprocess.Popen[str], *, force: bool) -> bool:
    """SIGINT ``process`` (on Windows CTRL_BREAK, or kill when ``force``); False if it could not be sent."""
    try:
        if os.name == "posix":
            process.send_signal(signal.SIGINT)
        elif force:
            process.kill()
        else:
            process.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined,unused-ignore]
    except OSError:
        return False
    return True


# Commands whose version was checked, by the executable's path, size and modification time:
# `pulumi version` starts the CLI (a seventh of a second, on every run's critical path), so a
# check is kept for this process and, in ecsp's home, for later runs (VERSIONS_FILE). A new
# build or install at the same path changes its size or time, and is checked again.
_CHECKED: dict[tuple[str, int, int], auto.PulumiCommand] = {}
VERSIONS_FILE = "checked-versions.json"


class _CheckedCommand(auto.PulumiCommand):
    """``PulumiCommand`` for a CLI whose version an earlier run checked."""

    def __init__(self, command: str, version: VersionInfo) -> None:
        # Deliberately not super().__init__(): that runs `pulumi version`, which is what is saved.
        self.command = command
        self.version = version


def _versions() -> dict[str, Any]:
    """The versions earlier runs checked, by executable (none, if the file is missing or unreadable)."""
    try:
        kept = json.loads((ecsp_home() / "pulumi" / VERSIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _remembered(key: tuple[str, int, int]) -> VersionInfo | None:
    entry = _versions().get(key[0])
    if isinstance(entry, dict) and [entry.get("size"), entry.get("mtime_ns")] == [key[1], key[2]]:
        try:
            return VersionInfo.parse(str(entry.get("version")))
        except ValueError:
            pass
    return None


def _remember(key: tuple[str, int, int], version: VersionInfo) -> None:
    """Keep ``version`` for the CLI at ``key`` (best effort: a read-only home just checks on every run)."""
    file = ecsp_home() / "pulumi" / VERSIONS_FILE
    try:
        kept = {k: v for k, v in _versions().items() if os.path.exists(k)}  # forget CLIs that are gone
        kept[key[0]] = {"size": key[1], "mtime_ns": key[2], "version": str(version)}
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_name(f"{file.name}.{os.getpid()}")
        partial.write_text(json.dumps(kept, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(partial, file)  # whole or not at all, whatever other runs do at once
    except OSError:
        pass


def plugins_installed(folder: Path, plugins: Iterable[tuple[str, str]]) -> bool:
    """Whether every resource plugin of ``plugins`` (name, version) is installed, whole, in the CLI's ``folder``.

    Pulumi's plugin cache layout (what ``pulumi plugin ls`` reads): ``resource-<name>-v<version>/``
    holding ``pulumi-resource-<name>``, and beside it a ``.partial`` file while an install is under
    way or after one broke off.
    """
    for name, version in plugins:
        entry = folder / f"resource-{name}-v{version.removeprefix('v')}"
        if not (entry / f"pulumi-resource-{name}").is_file() or entry.with_name(f"{entry.name}.partial").exists():
            return False
    return True


def _checked_command(candidate: Path | None, minimum: VersionInfo) -> auto.PulumiCommand:
    """``PulumiCommand`` for ``candidate`` (None: ``pulumi`` on PATH), its version checked once per build."""
    executable = shutil.which("pulumi") if candidate is None else str(candidate / "bin" / "pulumi")
    try:
        stat = os.stat(executable) if executable else None
    except OSError:
        stat = None
    key = (os.path.realpath(executable), stat.st_size, stat.st_mtime_ns) if executable and stat else None
    if key is not None and key in _CHECKED:
        return _CHECKED[key]
    known = _remembered(key) if key is not None else None
    if known is not None and known.compare(minimum) >= 0:
        command: auto.PulumiCommand = _CheckedCommand("pulumi" if candidate is None else str(executable), known)
    else:
        command = auto.PulumiCommand(root=None if candidate is None else str(candidate), version=minimum)
        if key is not None and command.version is not None:
            _remember(key, command.version)
    if key is not None:
        _CHECKED[key] = command
    return command


def find_pulumi(*, root: Path | None = None) -> auto.PulumiCommand:
    """The ``pulumi`` CLI to use: on ``PATH``, else ecsp's pinned copy; :class:`PulumiMissingError` if neither."""
    tried: list[str] = []
    minimum = VersionInfo.parse(MIN_PULUMI_VERSION)
    candidates: list[Path | None] = [None, root or pinned_root()]
    for candidate in candidates:
        where = "PATH" if candidate is None else str(candidate / "bin")
        try:
            return _checked_command(candidate, minimum)
        except FileNotFoundError:
            tried.append(f"not on {where}" if candidate is None else f"not in {where}")
        except auto_errors.InvalidVersionError as e:
            tried.append(f"{where}: {e}")
        except (OSError, subprocess.CalledProcessError) as e:
            tried.append(f"{where}: {e}")
    raise PulumiMissingError(
        f"the pulumi CLI (version {MIN_PULUMI_VERSION} or later) is needed for this command, and none was found "
        f"({'; '.join(tried)})",
        fix=f"run `ecsp install-pulumi` (installs pulumi v{PINNED_PULUMI_VERSION} into {pinned_root()}), or "
        f"install it yourself: {INSTALL_HINT}. `ecsp plan` works without it.",
    )


Installer = Callable[..., auto.PulumiCommand]


def install_pulumi(
    *,
    version: str = PINNED_PULUMI_VERSION,
    root: Path | None = None,
    say: Callable[[str], None] | None = None,
    installer: Installer | None = None,
) -> auto.PulumiCommand:
    """Install the pinned pulumi CLI into ``~/.ecsp/pulumi/<version>`` (``PulumiCommand.install``).

    A no-op when it is already there. Raises :class:`PulumiMissingError` with a fix when the
    download or the install script fails. ``installer`` is for tests.
    """
    target = root or pinned_root(version)
    install = installer or auto.PulumiCommand.install
    if say:
        say(f"installing pulumi v{version} into {target} (downloads about 100 MB from get.pulumi.com)...")
    try:
        command = install(root=str(target), version=VersionInfo.parse(version))
    except (urllib.error.URLError, OSError, subprocess.CalledProcessError, auto_errors.InvalidVersionError) as e:
        reason = getattr(e, "reason", None) or getattr(e, "output", None) or e
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace").strip().splitlines()[-1:] or [""]
            reason = reason[0]
        raise PulumiMissingError(
            f"could not install pulumi v{version} into {target}: {reason}",
            fix=f"check access to https://get.pulumi.com, or install it yourself ({INSTALL_HINT}) and put it on "
            "PATH. `ecsp plan` works without it.",
        ) from e
    if say:
        say(f"pulumi v{command.version} is ready: {command.command}")
    return command


def ensure_pulumi(*, install: bool, say: Callable[[str], None] | None = None) -> auto.PulumiCommand:
    """:func:`find_pulumi`; when it finds nothing and ``install`` is set, :func:`install_pulumi`.

    One error either way: what is missing, how to install it, and that ``ecsp plan`` needs none.
    """
    try:
        return find_pulumi()
    except PulumiMissingError as missing:
        if not install:
            raise
        try:
            return install_pulumi(say=say)
        except PulumiMissingError as failed:
            raise PulumiMissingError(f"{missing.message}; installing it failed too: {failed.message}",
                                     fix=failed.fix) from failed
