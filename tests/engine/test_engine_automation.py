"""The Automation API adapter, through the real ``pulumi.automation`` code with a fake CLI at its boundary.

Every test here drives the SDK's own ``Stack.select``/``create``, ``set_all_config``,
``up``/``preview``/``destroy`` (with its event-log watcher and ``EngineEvent`` parsing),
``stack_outputs`` and ``create_command_error``; only ``PulumiCommand.run`` is fake
(tests/fake_pulumi.py). The process-handling part of :class:`InterruptiblePulumiCommand`
runs against a small fake ``pulumi`` executable instead.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import inspect
import json
import os
import signal
import stat
import sys
import textwrap
import threading
import time
import urllib.error
from pathlib import Path
from typing import Any

import pulumi._version
import pytest
import yaml
from pulumi import automation as auto
from pulumi.automation import errors as auto_errors
from semver import VersionInfo

from ecsp import graph as graphs
from ecsp import loader
from ecsp.context import LocalEmulator, StackContext
from ecsp.engine.automation import AutomationEngine
from ecsp.engine.errors import translate_error
from ecsp.engine.pulumi_cli import (
    CHECKED_SDK_VERSION,
    MIN_PULUMI_VERSION,
    PINNED_PULUMI_VERSION,
    InterruptiblePulumiCommand,
    ensure_pulumi,
    find_pulumi,
    install_pulumi,
)
from ecsp.engine.workspace import CHANGE_PROVIDER_HINT, resolve_backend
from ecsp.errors import (
    Cancelled,
    EmptyPassphraseError,
    EngineError,
    PulumiMissingError,
    StackLockedError,
    StackNotFoundError,
)
from ecsp.events import Diagnostic, OutputLine, ResourceStep, Secret, Summary
from ecsp.programs import Programs
from stacks import PROGRAMS
from tests.deploy_support import Recorder, synthetic_yaml
from tests.fake_pulumi import CANCEL_EVENT, FAKE_VERSION, SALT, FakePulumiCommand
from tests.paths import ENGINE_EVENTS

CONFIG = loader.loads(synthetic_yaml("shop", 1, 1), "ecsp.yaml")
GRAPH = graphs.build(CONFIG)
# The provider plugins the real programs need, at the installed packages' versions.
PLUGINS = [("aws", f"v{importlib.metadata.version('pulumi-aws')}"),
           ("docker-build", f"v{importlib.metadata.version('pulumi-docker-build')}")]
PROJECT, ENV, APP = GRAPH.order()
FQ_PROJECT = "organization/shop-project/global"


@pytest.fixture(autouse=True)
def plugin_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PULUMI_HOME of the test's own: its plugin folder holds what the test puts there, nothing of the machine's."""
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    return tmp_path / "pulumi-home" / "plugins"


@pytest.fixture
def fake() -> FakePulumiCommand:
    return FakePulumiCommand(events={"up": ENGINE_EVENTS / "up.json", "preview": ENGINE_EVENTS / "up-4.json",
                                     "destroy": ENGINE_EVENTS / "destroy-with-components.json"},
                             outputs={FQ_PROJECT: {"url": "http://x", "secretToken": "s3cr3t"}})


PASSPHRASE = {"PULUMI_CONFIG_PASSPHRASE": "correct horse"}


def engine_for(root: Path, fake: FakePulumiCommand, config: Any = CONFIG, **kwargs: Any) -> AutomationEngine:
    return AutomationEngine(root, config, PROGRAMS, command=fake, environ=kwargs.pop("environ", {}), **kwargs)


def ctx(spec: graphs.StackSpec, **kwargs: Any) -> StackContext:
    return StackContext(config=CONFIG, stack=spec, **kwargs)


def commands(fake: FakePulumiCommand) -> list[str]:
    """Each CLI call as its first words, e.g. 'stack select'."""
    out = []
    for call in fake.calls:
        words = [w for w in call if w != "--non-interactive"]
        out.append(" ".join(words[:3] if words[:2] == ["stack", "tag"] else words[:2] if words[0] in
                            ("stack", "config", "plugin", "org") else words[:1]))
    return out


# --------------------------------------------------------------------------- the SDK contract


def test_sdk_contract_the_fake_depends_on() -> None:
    """Fails loudly when the SDK changes what the fake (and InterruptiblePulumiCommand.run) mirror.

    * The fake pretends to be a CLI <= 3.205, for which the SDK tails a file --event-log;
      newer CLIs get a gRPC event stream (Stack._setup_event_log).
    * run() mirrors the SDK release CHECKED_SDK_VERSION; the CLI ecsp installs (and CI
      builds) is that release or a newer one of the same major version.
    """
    assert VersionInfo.parse(FAKE_VERSION) <= VersionInfo(3, 205, 0)
    sdk, pinned = VersionInfo.parse(str(pulumi._version.version)), VersionInfo.parse(PINNED_PULUMI_VERSION)
    checked = VersionInfo.parse(CHECKED_SDK_VERSION)
    assert (sdk.major, sdk.minor) == (checked.major, checked.minor), (
        "the pulumi SDK changed: re-check InterruptiblePulumiCommand.run against PulumiCommand.run, the "
        "event-log switch and the results the engine's _Stack answers from events, then update "
        "CHECKED_SDK_VERSION (and PINNED_PULUMI_VERSION)")
    # The engine's _Stack answers these two from the operation's events instead of three CLI calls.
    for operation in (auto.Stack.up, auto.Stack.refresh, auto.Stack.destroy):
        assert "self.info(" in inspect.getsource(operation)
    assert "self.outputs()" in inspect.getsource(auto.Stack.up)
    assert pinned.major == sdk.major and pinned >= sdk, "the pinned CLI must be the SDK's release or newer"
    assert pinned >= VersionInfo.parse(MIN_PULUMI_VERSION)
    for version, transport in (("3.205.0", "file"), ("3.206.0", "grpc")):
        fake = FakePulumiCommand(version=version)
        workspace = auto.LocalWorkspace(pulumi_command=fake)
        stack = auto.Stack.create("dev", workspace)
        log_file, thread, stop, temp_dir, server = stack._setup_event_log("up", lambda e: None, str(fake.version))
        try:
            assert (log_file.startswith("tcp://127.0.0.1:") if transport == "grpc" else os.path.isfile(log_file))
            if transport == "file":
                Path(log_file).write_text(CANCEL_EVENT)  # ends the SDK's watcher thread at once
        finally:
            auto._stack._cleanup(temp_dir, thread, stop, None, server)  # type: ignore[attr-defined]


def test_up_through_the_real_sdk(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake, allow_empty_passphrase=True)
    warnings = engine.prepare(GRAPH.order(), "up")
    assert any("use the empty passphrase for their secrets: keep it unset" in w for w in warnings)
    assert any(w.startswith(f"the Pulumi state of these stacks is kept in {tmp_path.resolve()}/.ecsp/state")
               for w in warnings)
    recorder = Recorder()
    run = engine.run("up", ctx(PROJECT), recorder)

    assert run.changes == {"create": 1, "same": 5}  # the engine's own summary event
    assert run.outputs["url"] == "http://x"
    # A secret output is masked in the events: the outputs are read with `stack output` then.
    assert isinstance(run.outputs["secretToken"], Secret) and run.outputs["secretToken"].value == "s3cr3t"
    # Which stacks exist is asked once, since the empty passphrase is only for stacks allowed to have it;
    # the plugins are checked (and installed) meanwhile, all before the stack is opened.
    called = commands(fake)
    assert sorted(called[:4]) == ["plugin install", "plugin install", "plugin ls", "stack ls"]
    assert called.index("plugin ls") < called.index("plugin install")
    assert called[4:] == ["stack select", "stack init", "stack tag set", "up", "stack output", "stack output"]
    assert fake.plugins == PLUGINS
    stack = fake.stacks[FQ_PROJECT]
    assert stack.secrets_provider == "passphrase"
    assert stack.tags == {"ecsp:project": "shop"}
    # Config goes straight into the stack's file, beside the salt `stack init` wrote there; the file
    # also keeps the tags applied, under Pulumi's own key.
    work_dir = tmp_path.resolve() / ".ecsp" / "workspaces" / "shop-project"
    assert yaml.safe_load((work_dir / "Pulumi.global.yaml").read_text()) == {
        "encryptionsalt": SALT,
        "config": {"ecsp:project": "shop", "ecsp:kind": "project", "ecsp:stack": "shop-project/global",
                   "aws:region": "us-east-1", "pulumi:tags": {"ecsp:project": "shop"}}}
    up_args = next(c for c in fake.calls if "up" in c)
    assert up_args[up_args.index("--exec-kind") + 1] == "auto.inline"
    assert any(a.startswith("--client=127.0.0.1:") for a in up_args)
    assert up_args[-2:] == ["--stack", FQ_PROJECT]

    # Environment and work dir of every call: the backend in the project folder, a persistent work dir.
    state = tmp_path.resolve() / ".ecsp" / "state"
    assert all(env["PULUMI_BACKEND_URL"] == f"file://{state}" for env in fake.envs)
    assert all(env["PULUMI_CONFIG_PASSPHRASE"] == "" for env in fake.envs)
    assert set(fake.cwds) == {str(work_dir)} and state.is_dir()
    assert (tmp_path / ".ecsp" / ".gitignore").read_text().splitlines()[-1] == "*"  # never in the user's git
    settings = yaml.safe_load((work_dir / "Pulumi.yaml").read_text())
    assert settings["name"] == "shop-project" and settings["backend"] == {"url": f"file://{state}"}

    # The SDK tailed the event log and the adapter translated every event for the listener.
    steps = [e for e in recorder.events if isinstance(e, ResourceStep)]
    assert [(s.name, s.op, s.phase) for s in steps if s.op != "same"] == [
        ("eks-cluster", "create", "start"), ("eks-cluster", "create", "done")]
    assert len(steps) == 10  # 5 resources, a start and a done each (the root stack and providers hidden)
    assert any(isinstance(e, Summary) and e.changes for e in recorder.events)
    assert any(isinstance(e, OutputLine) and e.text.startswith("Updating") for e in recorder.events)

    # A second run: the plugins checked, the stack known, its config and tags as they should be:
    # the CLI runs the update and nothing else.
    fake.calls.clear()
    fake.next_outputs[FQ_PROJECT] = {"url": "http://y"}
    engine.prepare(GRAPH.order(), "up")
    again = engine.run("up", ctx(PROJECT), recorder)
    assert commands(fake) == ["stack ls", "up"]  # which stacks exist: the empty passphrase is allowed for them
    assert again.outputs == {"url": "http://y"}  # from the root stack's outputs event


def test_config_and_tags_are_written_again_only_when_they_differ(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(APP), Recorder())
    name = "organization/shop-a0/e0"
    file = tmp_path.resolve() / ".ecsp" / "workspaces" / "shop-a0" / "Pulumi.e0.yaml"
    assert fake.stacks[name].tags == {"ecsp:project": "shop", "ecsp:environment": "e0", "ecsp:application": "a0"}
    written = file.stat().st_mtime_ns

    fake.calls.clear()
    engine.run("up", ctx(APP), Recorder())
    assert commands(fake) == ["up"] and file.stat().st_mtime_ns == written  # nothing differed: nothing written

    # Someone changed the region by hand, and an older ecsp applied other tags: both are put right,
    # the tags one by one where they differ (a stale one removed); config set by hand stays.
    data = yaml.safe_load(file.read_text())
    data["config"]["aws:region"] = "eu-west-1"
    data["config"]["aws:profile"] = "old"
    data["config"]["team:owner"] = "alice"
    data["config"]["pulumi:tags"] = {"ecsp:project": "shop", "ecsp:environment": "e9", "ecsp:retired": "x"}
    file.write_text(yaml.safe_dump(data))
    fake.stacks[name].tags.update({"ecsp:environment": "e9", "ecsp:retired": "x"})
    fake.calls.clear()
    engine.run("up", ctx(APP), Recorder())
    assert commands(fake) == ["stack tag set", "stack tag set", "stack tag rm", "up"]
    assert fake.stacks[name].tags == {"ecsp:project": "shop", "ecsp:environment": "e0", "ecsp:application": "a0"}
    config = yaml.safe_load(file.read_text())["config"]
    assert config["aws:region"] == "us-east-1" and "aws:profile" not in config and config["team:owner"] == "alice"
    assert config["pulumi:tags"] == fake.stacks[name].tags


def test_a_stack_removed_behind_ecsps_back_is_created_again(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(APP), Recorder())
    del fake.stacks["organization/shop-a0/e0"]  # `pulumi stack rm`, or a new backend
    fake.calls.clear()
    run = engine.run("up", ctx(APP), Recorder())
    assert run.changes == {"create": 1, "same": 5}
    # The update names a stack that is gone and fails; then it is opened as on a first run.
    assert commands(fake) == ["up", "stack select", "stack init", "stack tag set", "stack tag set",
                              "stack tag set", "up"]
    assert fake.stacks["organization/shop-a0/e0"].deployed


def test_preview_and_destroy(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake, environ={"PULUMI_CONFIG_PASSPHRASE": "hunter2"})
    assert engine.prepare([ENV], "preview") == []
    recorder = Recorder()
    preview = engine.run("preview", ctx(ENV), recorder)
    assert preview.changes == {"same": 5, "update": 1}
    updated = [(e.name, e.phase) for e in recorder.events if isinstance(e, ResourceStep) and e.op == "update"]
    assert updated == [("eks-sg", "start"), ("eks-sg", "done")]
    assert fake.envs[-1]["PULUMI_CONFIG_PASSPHRASE"] == "hunter2"  # the user's own passphrase is passed on

    # Destroying a stack that never existed is a no-op, not an error.
    fake.calls.clear()
    assert engine.run("destroy", ctx(APP), recorder).changes == {}
    assert commands(fake) == ["stack select"]

    fake.calls.clear()
    destroyed = engine.run("destroy", ctx(ENV), recorder)
    assert destroyed.changes == {"delete": 2, "same": 1}  # the engine's summary event, not `stack history`
    assert commands(fake) == ["destroy"]


def test_refresh_of_a_stack_never_deployed(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake)
    with pytest.raises(StackNotFoundError) as caught:
        engine.run("refresh", ctx(APP), Recorder())
    assert "shop-a0/e0 has never been deployed" in caught.value.message
    assert caught.value.fix is not None and "ecsp up" in caught.value.fix


def test_locked_stack_is_a_stack_locked_error_with_the_cancel_fix(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(APP), Recorder())
    fake.stacks["organization/shop-a0/e0"].lock = "alice@laptop (pid 77)"
    leave_lock_file(tmp_path, "shop-a0/e0")
    with pytest.raises(StackLockedError) as caught:
        engine.run("up", ctx(APP), Recorder())
    error = caught.value
    assert error.message == "shop-a0/e0 is locked by another update (locked by alice@laptop, pid 77 at " \
                            "2026-01-01T00:00:00Z)"
    assert error.fix is not None and "`ecsp cancel --stack shop-a0/e0`" in error.fix
    assert isinstance(error.__cause__, auto_errors.ConcurrentUpdateError)

    # ecsp cancel: releases the lock once; then there is nothing to release.
    assert engine.cancel(APP) is True
    assert engine.cancel(APP) is False
    assert fake.stacks["organization/shop-a0/e0"].lock is None


@pytest.mark.parametrize(("stderr", "stdout", "kind", "message"), [
    ("error: an unhandled error occurred", "error: creating ECS Service: NoCredentialProviders: no valid "
     "providers in chain", EngineError, "no valid AWS credentials"),
    ("error: could not load plugin for aws provider 'default_7_51_1': no resource plugin 'pulumi-resource-aws' "
     "found", "", PulumiMissingError, "a Pulumi provider plugin could not be installed"),
    ("error: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase", "",
     EngineError, "the secrets passphrase is wrong or missing"),
    ("", "python inline source runtime error: KeyError: 'web'", EngineError, "the stack's program raised"),
    ("error: update failed\nsomething else", "", EngineError, "shop-a0/e0: update failed"),
])
def test_error_translation(tmp_path: Path, fake: FakePulumiCommand, stderr: str, stdout: str,
                           kind: type[Exception], message: str) -> None:
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(APP), Recorder())
    fake.fail["up organization/shop-a0/e0"] = (stdout, stderr)
    with pytest.raises(kind) as caught:
        engine.run("up", ctx(APP), Recorder())
    assert type(caught.value) is kind
    assert message in str(caught.value)
    assert caught.value.fix  # type: ignore[attr-defined]


def test_error_translation_prefers_the_engines_error_diagnostics() -> None:
    error = auto_errors.create_command_error(auto.CommandResult("", "error: update failed", 255))
    translated = translate_error("shop-a0/e0", error, diagnostics=["creating ECS Service (web): InvalidParameter"])
    assert translated.message == "shop-a0/e0: creating ECS Service (web): InvalidParameter"


def test_a_failed_update_reports_the_engines_error(tmp_path: Path, fake: FakePulumiCommand) -> None:
    # The recorded failure, plus the error diagnostic a provider emits, then the end of the stream.
    lines = (ENGINE_EVENTS / "failed-stacks-dont-rewrite-operations.json").read_text().splitlines()
    diagnostic = {"sequence": 33109, "timestamp": 1717087382, "diagnosticEvent": {
        "urn": "urn:pulumi:dev::proj::aws:ecs/service:Service::web", "prefix": "error: ",
        "message": "creating ECS Service (web): InvalidParameterException: <{%fg 1%}>no target group<{%reset%}>\n",
        "color": "raw", "severity": "error"}}
    log = tmp_path / "failed.json"
    log.write_text("\n".join([*lines[:-1], json.dumps(diagnostic), lines[-1]]) + "\n")
    fake.events["up"] = log
    fake.fail[f"up {FQ_PROJECT}"] = ("", "error: update failed")
    recorder = Recorder()
    with pytest.raises(EngineError) as caught:
        engine_for(tmp_path, fake).run("up", ctx(PROJECT), recorder)
    assert caught.value.message == ("shop-project/global: creating ECS Service (web): InvalidParameterException: "
                                    "no target group")
    assert any(isinstance(e, ResourceStep) and e.phase == "failed" for e in recorder.events)
    assert any(isinstance(e, Diagnostic) and e.severity == "error" for e in recorder.events)


def test_outputs_and_list(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake)
    with pytest.raises(StackNotFoundError):
        engine.outputs(PROJECT)
    engine.run("up", ctx(PROJECT), Recorder())
    engine.run("preview", ctx(ENV), Recorder())  # creates the stack, deploys nothing
    outputs = engine.outputs(PROJECT)
    assert outputs["url"] == "http://x" and str(outputs["secretToken"]) == "[secret]"
    listed = {info.name: info for info in engine.list_stacks()}
    assert set(listed) == {"shop-project/global", "shop-environment/e0"}
    assert listed["shop-project/global"].deployed and not listed["shop-environment/e0"].deployed
    assert any(call[:3] == ["stack", "ls", "--json"] and "--all" in call
               for call in ([w for w in c if w != "--non-interactive"] for c in fake.calls))


def leave_lock_file(root: Path, name: str) -> Path:
    """The lock file a real pulumi leaves on a file backend: .pulumi/locks/organization/<project>/<stack>/."""
    folder = root / ".ecsp" / "state" / ".pulumi" / "locks" / "organization" / name
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / "9d719433-9c90-4f8e-a10a-a0c71fac3034.json"
    lock.write_text('{"pid": 77, "username": "alice", "hostname": "laptop"}')
    return lock


def test_list_on_a_file_backend_sees_a_lock_in_the_lock_files(tmp_path: Path, fake: FakePulumiCommand) -> None:
    """The real CLI's `stack ls` says nothing of locks on a file backend: the lock file says it."""
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(PROJECT), Recorder())
    engine.run("up", ctx(ENV), Recorder())
    fake.stacks["organization/shop-environment/e0"].lock = "alice@laptop (pid 77)"
    assert not any(info.update_in_progress for info in engine.list_stacks())  # what `stack ls` alone gives
    leave_lock_file(tmp_path, "shop-environment/e0")
    listed = {info.name: info.update_in_progress for info in engine.list_stacks()}
    assert listed == {"shop-project/global": False, "shop-environment/e0": True}


def test_interrupt_cancels_gracefully_then_forcefully_and_releases_the_lock(
        tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(APP), Recorder())
    name = "organization/shop-a0/e0"
    outcome: dict[str, BaseException] = {}

    def up() -> None:
        try:
            engine.run("up", ctx(APP), Recorder())
        except BaseException as e:
            outcome["error"] = e

    # Graceful: one interrupt, pulumi cancels and saves state.
    fake.block[f"up {name}"] = threading.Event()
    fake.started.clear()
    worker = threading.Thread(target=up)
    worker.start()
    assert fake.started.wait(5)
    engine.interrupt(APP)
    worker.join(10)
    assert isinstance(outcome["error"], Cancelled)
    assert "pulumi cancelled it and saved the state" in str(outcome["error"])
    assert fake.interrupted == [(name, False)]

    # Forceful: a second interrupt stops pulumi at once; ecsp then releases the lock it left.
    fake.interrupted.clear()
    fake.block[f"up {name}"] = threading.Event()
    fake.started.clear()
    original = fake._operation

    def leave_lock(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        finally:
            fake.stacks[name].lock = "ecsp (killed)"  # a killed pulumi leaves its lock behind

    fake._operation = leave_lock  # type: ignore[method-assign]
    worker = threading.Thread(target=up)
    worker.start()
    assert fake.started.wait(5)
    engine.interrupt(APP)
    engine.interrupt(APP)
    worker.join(10)
    assert fake.interrupted == [(name, False), (name, True)]
    assert "pulumi was stopped and its lock released" in str(outcome["error"])
    assert fake.stacks[name].lock is None
    assert engine.interrupt(APP) is None  # idle: a no-op


def test_cloud_backend_uses_the_default_organization_and_awskms(tmp_path: Path, fake: FakePulumiCommand) -> None:
    config = loader.loads(synthetic_yaml("shop", 1, 1) + textwrap.dedent("""\
        state:
          backend: https://api.pulumi.com
          secrets_provider: awskms://alias/ecsp?region=us-east-1
        """), "ecsp.yaml")
    engine = engine_for(tmp_path, fake, config=config)
    engine.prepare([PROJECT], "up")
    assert engine.organization == "acme"
    engine.run("up", StackContext(config=config, stack=PROJECT, organization=engine.organization), Recorder())
    stack = fake.stacks["acme/shop-project/global"]
    assert stack.secrets_provider == "awskms://alias/ecsp?region=us-east-1"
    assert fake.envs[-1]["PULUMI_BACKEND_URL"] == "https://api.pulumi.com"
    assert "PULUMI_CONFIG_PASSPHRASE" not in fake.envs[-1]


def test_local_mode_uses_its_own_state_and_fake_credentials(tmp_path: Path, fake: FakePulumiCommand) -> None:
    emulator = LocalEmulator(endpoint="http://127.0.0.1:5999")
    engine = engine_for(tmp_path, fake, local=emulator, backend="s3://real-bucket")
    engine.run("up", ctx(ENV, local=emulator), Recorder())
    env = fake.envs[-1]
    local_state = tmp_path.resolve() / ".ecsp" / "local" / "state"
    assert env["PULUMI_BACKEND_URL"] == f"file://{local_state}"  # never the real backend
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5999" and env["AWS_ACCESS_KEY_ID"] == "test"
    assert fake.cwds[-1] == str(tmp_path.resolve() / ".ecsp" / "local" / "workspaces" / "shop-environment")
    # Read-only local verbs (outputs, ls) only need the state location.
    assert AutomationEngine(tmp_path, CONFIG, PROGRAMS, local=True, command=fake).backend == f"file://{local_state}"


def test_backend_precedence(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    assert resolve_backend(root, None, environ={}) == f"file://{root}/.ecsp/state"
    assert resolve_backend(root, "file://state", environ={}) == f"file://{root}/state"  # relative to ecsp.yaml
    assert resolve_backend(root, "file://~", environ={}) == "file://~"
    assert resolve_backend(root, "s3://b", environ={}) == "s3://b"
    assert resolve_backend(root, "s3://b", environ={"PULUMI_BACKEND_URL": "s3://env"}) == "s3://env"
    assert resolve_backend(root, "s3://b", override="https://api.pulumi.com",
                           environ={"PULUMI_BACKEND_URL": "s3://env"}) == "https://api.pulumi.com"


# --------------------------------------------------------------------------- imports and plugins


def test_programs_run_once_one_thread_made_the_declared_aws_submodules_thread_safe(tmp_path: Path,
                                                                                   fake: FakePulumiCommand) -> None:
    import pulumi_aws

    from ecsp.aws_imports import ServicePackage

    seen: list[bool] = []

    def program(ctx: StackContext) -> None:
        # No lazy module of pulumi's left for the programs' threads to race on.
        seen.append(all(type(getattr(pulumi_aws, name)) in (type(os), ServicePackage) for name in PROGRAMS.aws_modules))

    programs = Programs(by_kind={"project": program}, aws_modules=PROGRAMS.aws_modules)
    engine = AutomationEngine(tmp_path, CONFIG, programs, command=fake, environ=PASSPHRASE)
    engine.prepare([PROJECT], "up")  # starts the imports, and returns while they go on
    engine._program(ctx(PROJECT))()  # what the SDK's language server calls when the CLI runs the program
    assert seen == [True]


def test_plugins_are_installed_once_serially(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake, environ=PASSPHRASE)
    engine.prepare(GRAPH.order(), "up")
    engine.prepare(GRAPH.order(), "destroy")
    assert fake.plugins == PLUGINS
    # Another run (another engine) asks which plugins there are, and installs none again.
    fake.calls.clear()
    engine_for(tmp_path, fake, environ=PASSPHRASE).prepare(GRAPH.order(), "up")
    assert commands(fake) == ["plugin ls"] and fake.plugins == PLUGINS


def test_plugins_whole_in_the_plugin_folder_are_not_asked_for(tmp_path: Path, fake: FakePulumiCommand,
                                                               plugin_folder: Path) -> None:
    from tests import standin_provider

    standin_provider.install(plugin_folder.parent, PROGRAMS.plugin_versions())  # Pulumi's layout, as the CLI's
    engine_for(tmp_path, fake, environ=PASSPHRASE).prepare(GRAPH.order(), "up")
    assert commands(fake) == [] and fake.plugins == []
    # An install under way, or one that broke off, leaves a .partial beside the plugin: the CLI is asked.
    name, version = PROGRAMS.plugin_versions()[0]
    (plugin_folder / f"resource-{name}-v{version.removeprefix('v')}.partial").touch()
    engine_for(tmp_path, fake, environ=PASSPHRASE).prepare(GRAPH.order(), "up")
    assert commands(fake) == ["plugin ls", "plugin install", "plugin install"]


def test_plugin_install_failure_is_pulumi_missing(tmp_path: Path, fake: FakePulumiCommand) -> None:
    def refuse(args: list[str], *rest: Any, **kwargs: Any) -> auto.CommandResult:
        raise auto_errors.create_command_error(auto.CommandResult(
            "", "error: failed to download plugin: aws-7.51.1: 403 HTTP error fetching plugin", 255))

    fake.run = refuse  # type: ignore[method-assign]
    with pytest.raises(PulumiMissingError) as caught:
        engine_for(tmp_path, fake, environ=PASSPHRASE).prepare([PROJECT], "up")
    aws_version = PLUGINS[0][1]
    assert f"could not install the Pulumi aws provider plugin {aws_version}" in caught.value.message
    assert caught.value.fix is not None and "`ecsp install-pulumi --plugins`" in caught.value.fix


# --------------------------------------------------------------------------- the CLI itself


@pytest.fixture
def no_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("ECSP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_missing_cli_says_what_how_and_that_plan_works(no_pulumi: Path) -> None:
    with pytest.raises(PulumiMissingError) as caught:
        find_pulumi()
    error = caught.value
    assert error.exit_code == 3
    assert "the pulumi CLI (version 3.181.0 or later) is needed" in error.message
    assert error.fix is not None
    assert "ecsp install-pulumi" in error.fix and "get.pulumi.com" in error.fix and "`ecsp plan`" in error.fix


def test_install_failure_is_one_clear_error(no_pulumi: Path) -> None:
    said: list[str] = []

    def offline(**kwargs: Any) -> auto.PulumiCommand:
        said.append(f"root={kwargs['root']} version={kwargs['version']}")
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    with pytest.raises(PulumiMissingError) as caught:
        install_pulumi(say=said.append, installer=offline)
    assert said[0].startswith(f"installing pulumi v{PINNED_PULUMI_VERSION} into {no_pulumi}/pulumi/")
    assert said[1] == f"root={no_pulumi}/pulumi/{PINNED_PULUMI_VERSION} version={PINNED_PULUMI_VERSION}"
    assert f"could not install pulumi v{PINNED_PULUMI_VERSION}" in caught.value.message
    assert "Name or service not known" in caught.value.message
    assert caught.value.fix is not None and "`ecsp plan` works without it" in caught.value.fix

    # up --local: tries to install, then one message that names both problems.
    original = auto.PulumiCommand.install
    auto.PulumiCommand.install = offline  # type: ignore[method-assign,assignment]
    try:
        with pytest.raises(PulumiMissingError) as caught:
            ensure_pulumi(install=True, say=said.append)
    finally:
        auto.PulumiCommand.install = original  # type: ignore[method-assign]
    assert "none was found" in caught.value.message and "installing it failed too" in caught.value.message


FAKE_CLI = """\
#!{python}
import os, signal, sys, time
args = [a for a in sys.argv[1:] if a != "--non-interactive"]
if args[:1] == ["version"]:
    print("v{version}")
elif args[:1] == ["about"]:
    print(sys.argv[1], os.environ.get("PULUMI_AUTOMATION_API"), os.environ["PATH"].split(os.pathsep)[0],
          os.getsid(0), flush=True)
    print("warning: to stderr", file=sys.stderr)
elif args[:1] == ["up"]:
    def cancel(*_):
        print("error: update canceled", file=sys.stderr)
        sys.exit(255)
    signal.signal(signal.SIGINT, cancel)
    print("Updating", flush=True)
    time.sleep(20)
else:
    print("error: no stack named 'x' found", file=sys.stderr)
    sys.exit(255)
"""


def test_a_cli_s_version_is_checked_once_per_build_across_runs(no_pulumi: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from ecsp.engine import pulumi_cli

    root = tmp_path / "cli"
    (root / "bin").mkdir(parents=True)
    script, asked = root / "bin" / "pulumi", tmp_path / "asked.log"
    script.write_text(FAKE_CLI.format(python=sys.executable, version=PINNED_PULUMI_VERSION).replace(
        f'print("v{PINNED_PULUMI_VERSION}")',
        f'open({str(asked)!r}, "a").write("version\\n"); print("v{PINNED_PULUMI_VERSION}")'))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)

    def a_run() -> auto.PulumiCommand:
        monkeypatch.setattr(pulumi_cli, "_CHECKED", {})  # a new process: only ecsp's home remembers
        return find_pulumi(root=root)

    first, second = a_run(), a_run()
    assert asked.read_text() == "version\n"  # the second run took the version the first one checked
    assert second.command == first.command == str(script) and str(second.version) == PINNED_PULUMI_VERSION
    # Another build at the same path (another size or time) is checked again.
    script.write_text(script.read_text() + "# rebuilt\n")
    assert str(a_run().version) == PINNED_PULUMI_VERSION and asked.read_text() == "version\n" * 2
    # A remembered version below what ecsp needs is not taken on trust: the CLI is asked.
    kept = json.loads((no_pulumi / "pulumi" / pulumi_cli.VERSIONS_FILE).read_text())
    kept[os.path.realpath(script)]["version"] = "3.0.0"
    (no_pulumi / "pulumi" / pulumi_cli.VERSIONS_FILE).write_text(json.dumps(kept))
    assert str(a_run().version) == PINNED_PULUMI_VERSION and asked.read_text() == "version\n" * 3


@pytest.mark.skipif(os.name != "posix", reason="signals and sessions are POSIX")
def test_interruptible_command_runs_pulumi_in_its_own_session_and_sigints_it(
        no_pulumi: Path, tmp_path: Path) -> None:
    root = tmp_path / "cli"
    (root / "bin").mkdir(parents=True)
    script = root / "bin" / "pulumi"
    script.write_text(FAKE_CLI.format(python=sys.executable, version=PINNED_PULUMI_VERSION))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)

    command = InterruptiblePulumiCommand(find_pulumi(root=root))
    assert command.command == str(script) and str(command.version) == PINNED_PULUMI_VERSION

    lines: list[str] = []
    result = command.run(["about"], str(tmp_path), {}, on_output=lines.append, on_error=lines.append)
    first, automation_api, path_head, session = result.stdout.split()
    assert (first, automation_api, path_head) == ("--non-interactive", "true", str(root / "bin"))
    assert int(session) != os.getsid(0)  # a terminal's Ctrl-C does not reach it directly
    assert "warning: to stderr" in lines and result.stderr == "warning: to stderr"

    with pytest.raises(auto_errors.StackNotFoundError):
        command.run(["stack", "select", "--stack", "x"], str(tmp_path), {})

    outcome: dict[str, BaseException] = {}

    def up() -> None:
        try:
            command.run(["up", "--stack", "org/p/s"], str(tmp_path), {}, on_output=lines.append)
        except BaseException as e:
            outcome["error"] = e

    worker = threading.Thread(target=up)
    started = time.monotonic()
    worker.start()
    deadline = time.monotonic() + 10
    while "Updating" not in lines and time.monotonic() < deadline:
        time.sleep(0.02)
    assert command.interrupt("org/p/s") is True
    worker.join(10)
    assert time.monotonic() - started < 10
    assert isinstance(outcome["error"], auto_errors.CommandError)
    assert "update canceled" in str(outcome["error"])
    assert command.interrupt("org/p/s") is False  # nothing runs any more
    assert signal.SIGINT  # (documented: SIGINT is pulumi's own graceful cancel)


@pytest.mark.skipif(os.name != "posix", reason="signals and sessions are POSIX")
def test_ctrl_c_while_the_main_thread_waits_is_passed_on_to_pulumi(tmp_path: Path) -> None:
    """``ls``/``outputs``/plugin installs run pulumi from the main thread; Ctrl-C there must not orphan it."""
    marker = tmp_path / "got-sigint"
    script = tmp_path / "pulumi"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import signal, sys, time
        def stop(*_):
            open({str(marker)!r}, "w").close()
            sys.exit(255)
        signal.signal(signal.SIGINT, stop)
        print("Installing", flush=True)
        time.sleep(20)
        """))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    base = auto.PulumiCommand.__new__(auto.PulumiCommand)
    base.command, base.version = str(script), VersionInfo.parse(PINNED_PULUMI_VERSION)
    command = InterruptiblePulumiCommand(base)

    def press_ctrl_c(line: str) -> None:  # what a terminal does: SIGINT to ecsp, the foreground process
        if line == "Installing":
            os.kill(os.getpid(), signal.SIGINT)

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        command.run(["plugin", "install"], str(tmp_path), {}, on_output=press_ctrl_c)
    while not marker.exists() and time.monotonic() - started < 10:
        time.sleep(0.05)
    assert marker.exists(), "pulumi never got the SIGINT: it would go on running after ecsp exits"


def test_the_api_runs_the_real_adapter_in_parallel_threads(tmp_path: Path, fake: FakePulumiCommand) -> None:
    """Orchestrator + Automation API together: several SDK operations at once, on worker threads."""
    from ecsp import api
    from tests.deploy_support import write_project

    project = api.load(write_project(tmp_path, "shop", environments=2, applications=2))
    engine = AutomationEngine(project.root, project.config, PROGRAMS, command=fake,
                              environ={"PULUMI_CONFIG_PASSPHRASE": "p"})
    recorder = Recorder()
    result = project.up(engine=engine, parallel=4, listener=recorder)
    assert result.ok, str(result)
    assert set(fake.stacks) == {f"organization/{name}" for name in project.stacks().names()}
    app = fake.stacks["organization/shop-a1/e1"]
    config = yaml.safe_load((tmp_path / ".ecsp" / "workspaces" / "shop-a1" / "Pulumi.e1.yaml").read_text())["config"]
    assert config["ecsp:application"] == "a1" and config["ecsp:environment"] == "e1"
    assert app.tags == {"ecsp:project": "shop", "ecsp:environment": "e1", "ecsp:application": "a1"}
    assert {e.stack for e in recorder.events if isinstance(e, ResourceStep)} == set(project.stacks().names())
    assert result["shop-a0/e0"].changes == {"create": 1, "same": 4}  # the root stack is not counted


@pytest.mark.parametrize(("environ", "passed"), [
    ({}, ""),
    ({"PULUMI_CONFIG_PASSPHRASE": ""}, ""),
    ({"PULUMI_CONFIG_PASSPHRASE": "s3cret"}, "s3cret"),
    ({"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/secrets/p"}, None),
])
def test_a_stack_is_created_with_the_empty_passphrase_only_when_allowed(
        tmp_path: Path, fake: FakePulumiCommand, environ: dict[str, str], passed: str | None) -> None:
    empty = passed == ""
    engine = engine_for(tmp_path, fake, environ=environ)
    if empty:
        with pytest.raises(EmptyPassphraseError) as refused:
            engine.prepare([PROJECT], "up")
        assert refused.value.creating == [PROJECT.name] and refused.value.existing == []
        assert "--allow-empty-passphrase" in str(refused.value.fix)
        assert fake.stacks == {}, "nothing was created"
    else:
        assert not any("passphrase" in w for w in engine.prepare([PROJECT], "up"))
    assert engine.workspaces.env_vars().get("PULUMI_CONFIG_PASSPHRASE") == passed
    allowed = engine_for(tmp_path, fake, environ=environ, allow_empty_passphrase=True)
    assert any("keep it unset" in w for w in allowed.prepare([PROJECT], "up")) is empty


def test_stacks_that_use_the_empty_passphrase_are_told_to_keep_it(tmp_path: Path, fake: FakePulumiCommand) -> None:
    allowed = engine_for(tmp_path, fake, allow_empty_passphrase=True)
    allowed.prepare([PROJECT], "up")
    allowed.run("up", ctx(PROJECT), Recorder())
    # The next run needs no permission for a stack that exists, and hears how to keep (or change) its passphrase.
    warnings = [w for w in engine_for(tmp_path, fake).prepare([PROJECT], "up") if not w.startswith("the Pulumi state ")]
    assert warnings == [f"PULUMI_CONFIG_PASSPHRASE is not set, so {PROJECT.name} use the empty passphrase for their "
                        "secrets: keep it unset for them (set, it makes pulumi fail with `incorrect passphrase`); "
                        + CHANGE_PROVIDER_HINT]
    # A new stack next to it is refused, saying the existing ones were made so.
    env = next(s for s in GRAPH.order() if s.kind == "environment")
    with pytest.raises(EmptyPassphraseError) as refused:
        engine_for(tmp_path, fake).prepare([PROJECT, env], "up")
    assert refused.value.existing == [PROJECT.name]
    assert str(refused.value.fix).startswith(f"{PROJECT.name} already exist; if they were created without a "
                                             "passphrase, pass --allow-empty-passphrase so these match them")
    # Destroy and refresh create nothing: no question, no list of stacks.
    fake.calls.clear()
    assert engine_for(tmp_path, fake).prepare([PROJECT], "destroy") == []
    assert "stack ls" not in commands(fake)


def test_local_mode_and_other_providers_need_no_passphrase(tmp_path: Path, fake: FakePulumiCommand) -> None:
    assert engine_for(tmp_path, fake, local=True).prepare([PROJECT], "up") == []
    kms = CONFIG.model_copy(update={"state": CONFIG.state.model_copy(
        update={"secrets_provider": "awskms://alias/shop?region=us-east-1"})})
    assert not any("passphrase" in w for w in engine_for(tmp_path, fake, config=kms).prepare([PROJECT], "up"))


def write_checkpoint(root: Path, name: str, outputs: dict[str, Any], *, compressed: bool = False,
                     version: int = 3) -> Path:
    """A file backend's checkpoint as the real CLI writes it (`pulumi stack export`'s format)."""
    folder = root / ".ecsp" / "state" / ".pulumi" / "stacks" / name.split("/")[0]
    folder.mkdir(parents=True, exist_ok=True)
    stack = name.split("/")[1]
    document = {"version": version, "checkpoint": {"stack": f"organization/{name}", "latest": {
        "manifest": {"version": "v3.274.1"}, "resources": [
            {"urn": f"urn:pulumi:{stack}::{name.split('/')[0]}::pulumi:pulumi:Stack::x-{stack}",
             "type": "pulumi:pulumi:Stack", "custom": False, "outputs": outputs},
            {"urn": "urn:pulumi:x::y::pulumi:providers:aws::default", "type": "pulumi:providers:aws",
             "outputs": {"region": "us-east-1"}}]}}}
    data = json.dumps(document).encode()
    path = folder / (f"{stack}.json.gz" if compressed else f"{stack}.json")
    path.write_bytes(gzip.compress(data) if compressed else data)
    return path


@pytest.mark.parametrize("compressed", [False, True])
def test_outputs_of_a_file_backend_come_from_its_checkpoint_without_the_cli(
        tmp_path: Path, fake: FakePulumiCommand, compressed: bool) -> None:
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(PROJECT), Recorder())
    write_checkpoint(tmp_path, "shop-project/global", {"url": "http://from-file", "ids": ["a", "b"]},
                     compressed=compressed)
    before = len(fake.calls)
    assert engine.outputs(PROJECT) == {"url": "http://from-file", "ids": ["a", "b"]}
    assert "stack output" not in commands(fake)[before:]


@pytest.mark.parametrize("outputs, version", [
    # A secret's value is encrypted in the checkpoint: the CLI decrypts it.
    ({"token": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:x"}}, 3),
    ({"url": "http://x"}, 4),  # a format this was not written for
])
def test_outputs_the_checkpoint_cannot_give_are_asked_of_the_cli(
        tmp_path: Path, fake: FakePulumiCommand, outputs: dict[str, Any], version: int) -> None:
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(PROJECT), Recorder())
    write_checkpoint(tmp_path, "shop-project/global", outputs, version=version)
    before = len(fake.calls)
    assert engine.outputs(PROJECT)["url"] == "http://x"  # the fake CLI's answer
    assert "stack output" in commands(fake)[before:]


def test_outputs_of_a_broken_checkpoint_are_asked_of_the_cli(tmp_path: Path, fake: FakePulumiCommand) -> None:
    engine = engine_for(tmp_path, fake)
    engine.run("up", ctx(PROJECT), Recorder())
    write_checkpoint(tmp_path, "shop-project/global", {}).write_text('{"version": 3, "checkp')
    assert engine.outputs(PROJECT)["url"] == "http://x"
