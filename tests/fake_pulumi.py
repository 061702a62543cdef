"""A fake ``pulumi`` CLI at the Automation API's boundary (``PulumiCommand.run``), after pulumi.md §4.7.

The real ``pulumi.automation`` code runs on top of it: ``Stack.select``/``create``,
``set_all_config``, ``up``/``preview``/``refresh``/``destroy`` with the SDK's own event-log
tailing and ``EngineEvent`` parsing, outputs, history, plugins, errors through
``create_command_error``. The fake keeps a tiny state backend in memory (stacks, their
config, tags, outputs, locks) and writes a recorded engine event log for each operation,
whose root stack outputs event carries the stack's new outputs (secrets masked, as the
real CLI's are). Like the real ``stack init``, it writes the secrets provider's salt into
the work dir's ``Pulumi.<stack>.yaml``.

It pretends to be CLI :data:`FAKE_VERSION`: at most 3.205, so the SDK uses the file-based
``--event-log`` (newer CLIs stream events over gRPC). ``test_sdk_contract`` fails loudly
if the SDK changes that switch.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi.automation import CommandResult, OnOutput, PulumiCommand
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

FAKE_VERSION = "3.200.0"
CANCEL_EVENT = '{"sequence": 999, "timestamp": 0, "cancelEvent": {}}\n'
SECRET_SENTINEL = "[secret]"
# How the engine serialises a secret it does not show (pulumi's resource.SigKey and SecretSig).
MASKED_SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "AAAB"}
SALT = "v1:fake-salt"


@dataclass
class FakeStack:
    name: str  # as given to `stack init` (fully qualified)
    config: dict[str, tuple[str, bool]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    deployed: bool = False
    lock: str | None = None  # who holds the lock
    secrets_provider: str | None = None


class FakePulumiCommand(PulumiCommand):
    """Answers the CLI calls the SDK makes; records every call's arguments and environment."""

    def __init__(
        self,
        *,
        events: Mapping[str, str | Path] | None = None,
        outputs: Mapping[str, Mapping[str, Any]] | None = None,
        fail: Mapping[str, tuple[str, str]] | None = None,
        version: str = FAKE_VERSION,
    ) -> None:
        # Not super().__init__(): that would run a real `pulumi version`.
        self.command = "pulumi"
        self.version = VersionInfo.parse(version)
        self.events = {k: Path(v) for k, v in (events or {}).items()}  # operation -> fixture
        self.next_outputs = {k: dict(v) for k, v in (outputs or {}).items()}  # stack name -> outputs after up
        self.fail = dict(fail or {})  # "<operation> <stack>" -> (stdout, stderr) of a failure
        self.stacks: dict[str, FakeStack] = {}
        self.calls: list[list[str]] = []
        self.envs: list[dict[str, str]] = []
        self.cwds: list[str] = []
        self.plugins: list[tuple[str, str]] = []
        self.interrupted: list[tuple[str, bool]] = []
        self.block: dict[str, threading.Event] = {}  # "<operation> <stack>" waits on this event
        self.started = threading.Event()
        self.organization = "acme"  # what `pulumi org get-default` answers (Pulumi Cloud)
        self._lock = threading.Lock()

    # The orchestrator's cancellation path: what InterruptiblePulumiCommand does for real.
    def interrupt(self, stack: str, *, force: bool = False) -> bool:
        with self._lock:
            self.interrupted.append((stack, force))
        for key, event in self.block.items():
            if key.endswith(" " + stack):
                event.set()
        return True

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        with self._lock:
            self.calls.append(list(args))
            self.envs.append(dict(additional_env))
            self.cwds.append(cwd)
        a = [x for x in args if x != "--non-interactive"]
        stack_name = a[a.index("--stack") + 1] if "--stack" in a else None
        command = " ".join(a[:2])
        if a[:1] == ["version"]:
            return _ok(f"v{self.version}")
        if command == "org get-default":
            return _ok(self.organization)
        if command == "stack select":
            return self._known(stack_name) and _ok()
        if command == "stack init":
            with self._lock:
                if a[2] in self.stacks:
                    _fail(f"error: stack '{a[2]}' already exists")
                provider = a[a.index("--secrets-provider") + 1] if "--secrets-provider" in a else None
                self.stacks[a[2]] = FakeStack(a[2], secrets_provider=provider)
            # As the real CLI: the stack's file keeps what was there, plus the secrets provider's salt.
            settings = Path(cwd) / f"Pulumi.{a[2].rsplit('/', 1)[-1]}.yaml"
            data = (yaml.safe_load(settings.read_text()) if settings.exists() else None) or {}
            settings.write_text(yaml.safe_dump({**data, "encryptionsalt": SALT}))
            return _ok(f"Created stack '{a[2]}'")
        if command == "config set-all":
            stack = self._get(stack_name)
            rest = a[2:]
            for i, flag in enumerate(rest):
                if flag in ("--plaintext", "--secret"):
                    key, _, value = rest[i + 1].partition("=")
                    stack.config[key] = (value, flag == "--secret")
            return _ok()
        if a[:3] == ["config", "env", "add"]:
            # As the real CLI: the stack's file gets the environments, appended to its environment: list.
            self._get(stack_name)
            names = a[3:a.index("--yes")]
            settings = Path(cwd) / f"Pulumi.{str(stack_name).rsplit('/', 1)[-1]}.yaml"
            data = (yaml.safe_load(settings.read_text()) if settings.exists() else None) or {}
            data["environment"] = [*data.get("environment", []), *names]
            settings.write_text(yaml.safe_dump(data))
            return _ok()
        if a[:3] == ["config", "env", "rm"]:
            settings = Path(cwd) / f"Pulumi.{str(stack_name).rsplit('/', 1)[-1]}.yaml"
            data = yaml.safe_load(settings.read_text())
            data["environment"] = [name for name in data.get("environment", []) if name != a[3]]
            settings.write_text(yaml.safe_dump(data))
            return _ok()
        if a[:3] == ["stack", "tag", "set"]:
            self._get(stack_name).tags[a[3]] = a[4]
            return _ok()
        if a[:3] == ["stack", "tag", "rm"]:
            self._get(stack_name).tags.pop(a[3], None)
            return _ok()
        if a[:2] == ["plugin", "install"]:
            self.plugins.append((a[3], a[4]))
            return _ok()
        if a[:2] == ["plugin", "ls"]:
            return _ok(json.dumps([{"name": name, "kind": "resource", "version": version.removeprefix("v"),
                                    "size": 132, "lastUsedTime": "2026-01-01T00:00:00.000Z"}
                                   for name, version in self.plugins]))
        if a[:1] == ["cancel"]:
            stack = self._get(stack_name)
            backend = str(additional_env.get("PULUMI_BACKEND_URL", ""))
            if backend.startswith("file://"):
                # As the real CLI (3.274.1) on a file backend: it deletes the stack's lock files
                # and says it cancelled, whether or not there was a lock.
                stack.lock = None
                folder = Path(backend.removeprefix("file://"), ".pulumi", "locks", *stack.name.split("/"))
                for lock in folder.glob("*.json"):
                    lock.unlink()
                return _ok(f"The currently running update for '{stack.name.rsplit('/', 1)[-1]}' has been canceled!")
            if stack.lock is None:
                _fail("error: no update in progress for this stack")
            stack.lock = None
            return _ok("The currently running update has been canceled!")
        if a[:1] and a[0] in ("up", "preview", "refresh", "destroy"):
            return self._operation(a[0], a, stack_name, on_output)
        if command == "stack output":
            stack = self._get(stack_name)
            shown = "--show-secrets" in a
            return _ok(json.dumps({k: (v if shown or k not in stack.secret_outputs else SECRET_SENTINEL)
                                   for k, v in stack.outputs.items()}))
        if command == "stack history":
            stack = self._get(stack_name)
            return _ok(json.dumps([{
                "kind": "update", "startTime": "2026-01-01T00:00:00.000Z", "endTime": "2026-01-01T00:01:00.000Z",
                "message": "", "environment": {}, "config": {}, "result": "succeeded", "version": 1,
                "resourceChanges": {"create": 2, "same": 10},
            }]))
        if command == "stack ls":
            # As the real CLI (3.274.1): DIY backends (file://, s3://, ...) leave updateInProgress
            # out even while a stack is locked; only Pulumi Cloud reports it.
            cloud = str(additional_env.get("PULUMI_BACKEND_URL", "")).startswith(("https://", "http://"))
            return _ok(json.dumps([{
                "name": name, "current": False,
                **({"updateInProgress": s.lock is not None} if cloud else {}),
                **({"lastUpdate": "2026-01-01T00:01:00.000Z", "resourceCount": 3} if s.deployed else {}),
            } for name, s in sorted(self.stacks.items())]))
        _fail("unhandled fake command: " + " ".join(a))
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ helpers

    def _known(self, name: str | None) -> bool:
        if name not in self.stacks:
            _fail(f"error: no stack named '{name}' found")
        return True

    def _get(self, name: str | None) -> FakeStack:
        self._known(name)
        assert name is not None
        return self.stacks[name]

    def _operation(self, operation: str, a: list[str], name: str | None, on_output: OnOutput | None) -> CommandResult:
        stack = self._get(name)
        key = f"{operation} {name}"
        log = a[a.index("--event-log") + 1] if "--event-log" in a else None
        wrote = False
        try:
            with self._lock:
                if stack.lock is not None:
                    _fail(f"error: the stack is currently locked by 1 lock(s). Either wait for the other "
                          f"process(es) to end or delete the lock file with `pulumi cancel`.\n"
                          f"  file:///state/.pulumi/locks/{name}/x.json: created by {stack.lock} at "
                          f"2026-01-01T00:00:00Z")
                stack.lock = "fake@host (pid 4242)"
            self.started.set()
            if on_output:
                on_output(f"Updating ({name})")
            if key in self.block:
                self.block[key].wait(10)
                if any(s == name for s, _ in self.interrupted):
                    _fail("error: update canceled")
            outputs = dict(self.next_outputs.get(stack.name, {"url": "http://x"})) if operation == "up" else {}
            secret = {k for k in outputs if k.startswith("secret")}
            fixture = self.events.get(operation)
            if log and fixture:
                with open(fixture, encoding="utf-8") as source, open(log, "a", encoding="utf-8") as sink:
                    sink.writelines(_with_outputs(line, outputs, secret) + "\n" for line in source if line.strip())
                wrote = True
            if key in self.fail:  # after the events, as the engine reports a failure then exits
                stdout, stderr = self.fail[key]
                _fail(stderr, stdout)
            if operation == "up":
                stack.deployed = True
                stack.outputs = outputs
                stack.secret_outputs = secret
            elif operation == "destroy":
                stack.deployed = False
                stack.outputs = {}
            return _ok(f"Resources: done ({name})")
        finally:
            with self._lock:
                if stack.lock == "fake@host (pid 4242)":
                    stack.lock = None
            # The real CLI ends every stream with a cancel event; without one the SDK's
            # watcher thread polls until _cleanup gives up after 5 s.
            if log and not wrote:
                with open(log, "a", encoding="utf-8") as sink:
                    sink.write(CANCEL_EVENT)


def _with_outputs(line: str, outputs: Mapping[str, Any], secret: set[str]) -> str:
    """An event line; the root stack's outputs event made to carry ``outputs`` (an up's), secrets masked."""
    event = json.loads(line)
    metadata = (event.get("resOutputsEvent") or {}).get("metadata") or {}
    if outputs and metadata.get("type") == "pulumi:pulumi:Stack" and metadata.get("new") is not None:
        metadata["new"]["outputs"] = {k: MASKED_SECRET if k in secret else v for k, v in outputs.items()}
    return json.dumps(event)


def _ok(stdout: str = "") -> CommandResult:
    return CommandResult(stdout=stdout, stderr="", code=0)


def _fail(stderr: str, stdout: str = "") -> None:
    raise create_command_error(CommandResult(stdout=stdout, stderr=stderr, code=255))
