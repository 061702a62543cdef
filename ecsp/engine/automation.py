"""The real engine: a thin adapter over ``pulumi.automation`` that runs one ecsp stack at a time.

Responsibility: turn "run ``up`` on ``shop-web/test``" into Automation API calls, and
Pulumi's failures into :mod:`ecsp.errors` with a fix. It knows nothing of the stack graph
(that is the orchestrator's job) and renders nothing (events go out translated by
:func:`ecsp.engine.events.translate`).

Decisions, each with its reason:

* **Layout on disk.** State defaults to a file backend in the user's project folder,
  ``<root>/.ecsp/state``. Each Pulumi project (``shop-project``, ``shop-environment``,
  ``shop-web``...) gets a persistent work dir ``<root>/.ecsp/workspaces/<pulumi project>``
  holding ``Pulumi.yaml`` and one ``Pulumi.<stack>.yaml`` per stack: that file keeps the
  secrets provider's salt or encrypted key, which a temporary work dir would lose between
  runs (pulumi/pulumi#16890). ``--local`` runs use ``<root>/.ecsp/local/{state,workspaces}``
  instead, so emulator stacks never mix with real ones, and deleting ``.ecsp/local`` resets
  the emulator and its state together.
* **Backends.** ``--backend`` beats ``PULUMI_BACKEND_URL`` beats ``state.backend`` in
  ecsp.yaml beats the default. The chosen URL is written to ``Pulumi.yaml`` *and* passed as
  ``PULUMI_BACKEND_URL`` to every CLI call, so a user's own ``pulumi login`` never redirects
  ecsp. Relative ``file://`` paths are relative to ecsp.yaml, not to the work dir.
* **Secrets.** ``passphrase`` by default; an unset ``PULUMI_CONFIG_PASSPHRASE`` (and
  ``..._FILE``) means the empty passphrase, with a warning. ``awskms://...`` and the other
  provider URLs go to ``stack init --secrets-provider``.
* **Stack config** is written from the model on every run (one ``config set-all``): the
  region and profile of the stack's AWS provider and which ecsp stack it is. The programs
  themselves get the validated model through the closure (:class:`StackContext`); config is
  what Pulumi Cloud and the plain ``pulumi`` CLI see.
* **Stack tags** ``ecsp:project``/``ecsp:environment``/``ecsp:application`` are set when the
  stack is created; backends that do not store tags (DIY before CLI 3.211) are ignored.
* **Upstream outputs** reach downstream programs through ``pulumi.StackReference`` (see
  :mod:`stacks`), not through values the orchestrator passes along. Reasons: an
  application can be deployed on its own (``ecsp up --app web``) without re-running its
  environment; the state backend stays the one source of truth; Pulumi Cloud shows the
  dependency; and the same programs run unchanged under the plain ``pulumi`` CLI and Pulumi
  Deployments. The cost is one read per reference, and the orchestrator's ordering makes
  sure an upstream ``up`` has finished before a downstream stack reads it.
* **Programs** come as a bundle (:class:`ecsp.programs.Programs`) from the composition root,
  :mod:`ecsp.api`; the engine never imports :mod:`stacks`. The bundle declares the provider
  plugins, installed once, serially, in :meth:`AutomationEngine.prepare` before any fan-out
  (parallel installs into one ``PULUMI_HOME`` race: pulumi/pulumi#22784), and the
  ``pulumi_aws`` submodules the programs use, imported there, in the main thread.
* **Cancellation.** The SDK keeps no handle on the ``pulumi`` process it starts, so ecsp
  runs commands through :class:`InterruptiblePulumiCommand`, which starts each one in its
  own session (a terminal's Ctrl-C reaches ecsp only) and can send it SIGINT: Pulumi's own
  graceful cancellation, which finishes in-flight steps, saves state and releases the lock.
  A second interrupt stops it at once; ecsp then runs ``pulumi cancel`` so no lock is left.
* **The CLI.** ``pulumi`` on ``PATH`` (at least :data:`MIN_PULUMI_VERSION`) or the copy
  ``ecsp install-pulumi`` puts in ``~/.ecsp/pulumi/<version>``; version
  :data:`PINNED_PULUMI_VERSION` is the one the real-engine tests ran with.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import types
import urllib.error
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import errors as auto_errors
from semver import VersionInfo

from ecsp import kinds, naming
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator, StackContext
from ecsp.engine import EventSink, StackInfo, StackRun
from ecsp.engine.events import change_counts
from ecsp.engine.events import translate as translate_event
from ecsp.errors import (
    Cancelled,
    EcspError,
    EngineError,
    PulumiMissingError,
    StackLockedError,
    StackNotFoundError,
)
from ecsp.events import Event, Operation, OutputLine, Secret
from ecsp.graph import StackSpec
from ecsp.kinds import Scope
from ecsp.programs import Programs

# The CLI version ecsp installs (`ecsp install-pulumi`) and CI builds (.ci/build-pulumi.sh):
# the release the real-engine tests ran with. Not the SDK's 3.272.0: the Go module proxy does
# not serve pulumi's pkg module at v3.272.0, and PyPI has no SDK newer than 3.272.0, so the
# nearest CLI release CI can build from source is used (a newer CLI serves an older SDK).
PINNED_PULUMI_VERSION = "3.274.1"
# The SDK release InterruptiblePulumiCommand.run and the fake pulumi were checked against
# (tests/test_engine_automation.py fails when the installed SDK is another one).
CHECKED_SDK_VERSION = "3.272.0"
# Inline programs for refresh and destroy need `--client`, added in CLI 3.181.
MIN_PULUMI_VERSION = "3.181.0"
INSTALL_HINT = "curl -fsSL https://get.pulumi.com | sh"
DEFAULT_SECRETS_PROVIDER = "passphrase"
PASSPHRASE_VARIABLES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
PULUMI_ENV = {"PULUMI_SKIP_UPDATE_CHECK": "true"}
# Local-emulator runs use fake credentials; providers get the endpoint from the program.
LOCAL_AWS_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def ecsp_home() -> Path:
    """Where ecsp keeps per-user files (the pinned pulumi CLI): ``$ECSP_HOME`` or ``~/.ecsp``."""
    return Path(os.environ.get("ECSP_HOME") or Path.home() / ".ecsp")


def pinned_root(version: str = PINNED_PULUMI_VERSION) -> Path:
    return ecsp_home() / "pulumi" / version


# --------------------------------------------------------------------------- the pulumi CLI


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


def find_pulumi(*, root: Path | None = None) -> auto.PulumiCommand:
    """The ``pulumi`` CLI to use: on ``PATH``, else ecsp's pinned copy; :class:`PulumiMissingError` if neither."""
    tried: list[str] = []
    minimum = VersionInfo.parse(MIN_PULUMI_VERSION)
    candidates: list[Path | None] = [None, root or pinned_root()]
    for candidate in candidates:
        where = "PATH" if candidate is None else str(candidate / "bin")
        try:
            return auto.PulumiCommand(root=None if candidate is None else str(candidate), version=minimum)
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


# --------------------------------------------------------------------------- backends


def resolve_backend(root: Path, configured: str | None, *, override: str | None = None,
                    environ: Mapping[str, str] | None = None, local: bool = False) -> str:
    """The state backend URL for a project in ``root`` (see the module docstring for precedence)."""
    env = os.environ if environ is None else environ
    if local:
        url = f"file://{state_dir(root, local=True)}"
    else:
        url = override or env.get("PULUMI_BACKEND_URL") or configured or f"file://{state_dir(root)}"
    if url.startswith("file://"):
        path = url.removeprefix("file://").split("?", 1)[0]
        if path and not path.startswith("~") and not os.path.isabs(path):
            url = f"file://{(root / path).resolve()}"
    return url


def is_cloud(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def ecsp_dir(root: Path, *, local: bool = False) -> Path:
    return root / ".ecsp" / "local" if local else root / ".ecsp"


def state_dir(root: Path, *, local: bool = False) -> Path:
    return ecsp_dir(root, local=local) / "state"


def workspace_dir(root: Path, pulumi_project: str, *, local: bool = False) -> Path:
    return ecsp_dir(root, local=local) / "workspaces" / pulumi_project


# --------------------------------------------------------------------------- programs' imports


def preimport_aws(names: Sequence[str]) -> list[str]:
    """Load the ``pulumi_aws`` submodules now, in this (the main) thread.

    pulumi_aws imports its submodules lazily; the first attribute access from several
    threads at once races and fails with ``module 'pulumi_aws.s3' has no attribute 'Bucket'``
    (python/cpython#114763). Touching each submodule once here, before any worker runs a
    program, takes that race away.
    """
    import pulumi_aws

    loaded = []
    for name in names:
        module = getattr(pulumi_aws, name)
        # Any non-introspection attribute access makes the lazy module execute its body.
        getattr(module, "_ecsp_preimport", None)
        assert type(module) is types.ModuleType, name
        loaded.append(name)
    return loaded


# --------------------------------------------------------------------------- errors


_CREDENTIALS = re.compile(
    r"NoCredentialProviders|no valid credential sources|failed to refresh cached credentials|"
    r"ExpiredToken|InvalidClientTokenId|UnrecognizedClientException|security token included in the request is "
    r"(?:invalid|expired)|SSO session .* (?:expired|invalid)|failed to get shared config profile|"
    r"retrieving AWS account details: .*(?:credential|token)|no EC2 IMDS role found", re.IGNORECASE)
_PLUGIN = re.compile(
    r"could not (?:find|load|download|install|get)[^\n]*plugin|failed to (?:download|install) plugin|"
    r"no resource plugin '[^']+' found|Could not automatically download and install", re.IGNORECASE)
_PASSPHRASE = re.compile(r"incorrect passphrase|passphrase must be set|PULUMI_CONFIG_PASSPHRASE", re.IGNORECASE)
_LOCK_OWNER = re.compile(r"created by (\S+)(?: \(pid (\d+)\))? at (\S+)")


def _streams(error: BaseException) -> tuple[str, str]:
    """stdout and stderr of a CommandError (the SDK keeps only their rendering in the message)."""
    text = str(error)
    stdout = text.split(" stdout: ", 1)[1] if " stdout: " in text else ""
    stdout, _, stderr = stdout.partition("\n stderr: ")
    return stdout, stderr if stderr else text


def _first_error(stderr: str, stdout: str, diagnostics: Sequence[str]) -> str:
    if diagnostics:
        return diagnostics[0]
    for text in (stderr, stdout):
        for line in text.splitlines():
            line = line.strip()
            if line.lower().startswith("error:"):
                return line[6:].strip()
    tail = [line.strip() for line in (stderr or stdout).splitlines() if line.strip()]
    return tail[-1] if tail else "pulumi failed without a message"


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def translate_error(stack: str, error: BaseException, *, diagnostics: Sequence[str] = (),
                    cancel_hint: str = "ecsp cancel") -> EcspError:
    """The ecsp error (with a fix) a Pulumi failure on ``stack`` means."""
    if isinstance(error, EcspError):
        return error
    if isinstance(error, auto_errors.InvalidVersionError):
        return PulumiMissingError(
            f"{stack}: the installed pulumi CLI cannot do this: {error}",
            fix=f"run `ecsp install-pulumi` (v{PINNED_PULUMI_VERSION}) or upgrade: {INSTALL_HINT}")
    if not isinstance(error, auto_errors.CommandError):
        return EngineError(f"{stack}: {type(error).__name__}: {_short(str(error))}",
                           fix="run again with --debug for the traceback")
    stdout, stderr = _streams(error)
    everything = "\n".join([stderr, stdout, *diagnostics])
    if isinstance(error, auto_errors.ConcurrentUpdateError):
        owner = _LOCK_OWNER.search(everything)
        who = ""
        if owner:
            pid = f", pid {owner.group(2)}" if owner.group(2) else ""
            who = f" (locked by {owner.group(1)}{pid} at {owner.group(3)})"
        return StackLockedError(
            f"{stack} is locked by another update{who}",
            fix=f"wait for that update to finish; if none is running any more (a crashed or killed run), "
            f"release the lock with `{cancel_hint}`")
    if isinstance(error, auto_errors.StackNotFoundError):
        return StackNotFoundError(f"{stack} has never been deployed (the state backend has no such stack)",
                                  fix="run `ecsp up` for it first (check --backend / state.backend if it should exist)")
    message = _short(_first_error(stderr, stdout, diagnostics))
    if _PLUGIN.search(everything):
        return PulumiMissingError(
            f"{stack}: a Pulumi provider plugin could not be installed: {message}",
            fix="check network access to get.pulumi.com and github.com, then run again; or install it by hand "
            "(`pulumi plugin install resource aws <version>`)")
    if _CREDENTIALS.search(everything):
        return EngineError(
            f"{stack}: no valid AWS credentials: {message}",
            fix="sign in to the stack's account (e.g. `aws sso login --profile P`) or set AWS_PROFILE / "
            "AWS_ACCESS_KEY_ID; the environment's `profile` and `role_arn` in ecsp.yaml choose the account")
    if _PASSPHRASE.search(everything):
        return EngineError(
            f"{stack}: the secrets passphrase is wrong or missing: {message}",
            fix="set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stack was "
            "created with")
    if isinstance(error, auto_errors.InlineSourceRuntimeError):
        return EngineError(f"{stack}: the stack's program raised an error: {message}",
                           fix="check the settings the message names; --debug shows pulumi's full output")
    return EngineError(f"{stack}: {message}", fix="see pulumi's errors above; --debug shows its full output")


# --------------------------------------------------------------------------- the engine


def stack_config(ctx: StackContext) -> dict[str, auto.ConfigValue]:
    """The stack's Pulumi config, from the model (written on every run): which stack it is, and where it runs."""
    spec, where = ctx.stack, ctx.placement
    values = {"ecsp:project": spec.project, "ecsp:kind": spec.kind, "ecsp:stack": spec.name}
    for key, value in (("environment", spec.environment), ("application", spec.application),
                       ("instance", spec.instance)):
        if value is not None:
            values[f"ecsp:{key}"] = value
    values["aws:region"] = where.region
    if where.profile and ctx.local is None:
        values["aws:profile"] = where.profile
    return {key: auto.ConfigValue(value=value) for key, value in values.items()}


def _outputs(raw: Mapping[str, auto.OutputValue]) -> dict[str, Any]:
    return {k: Secret(v.value) if v.secret else v.value for k, v in raw.items()}


class AutomationEngine:
    """Runs ecsp stacks with the Pulumi Automation API (one ``LocalWorkspace`` per stack run)."""

    def __init__(
        self,
        root: Path,
        config: ProjectConfig,
        programs: Programs,
        *,
        backend: str | None = None,
        local: LocalEmulator | bool | None = None,
        command: auto.PulumiCommand | None = None,
        environ: Mapping[str, str] | None = None,
        translate: Callable[[str, Any], list[Event]] | None = None,
        policy_packs: Sequence[str] = (),
    ) -> None:
        """``programs``: the stack programs and the plugins they need (:data:`stacks.PROGRAMS`, or a test's own).

        ``local``: the emulator to deploy to, or True to only read local-mode state (outputs, ls).
        ``policy_packs``: Pulumi policy packs (folders or analyzer executables) that judge every
        resource of ``up`` and ``preview``; their violations arrive as policy events.
        """
        self.root = root.resolve()
        self.config = config
        self.local = local if isinstance(local, LocalEmulator) else None
        self.local_state = bool(local)
        self.environ = dict(os.environ if environ is None else environ)
        self.backend = resolve_backend(self.root, config.state.backend, override=backend, environ=self.environ,
                                       local=self.local_state)
        self._command = command
        self._translate = translate or translate_event
        self.programs = programs
        self.policy_packs = list(policy_packs)
        self._organization: str | None = config.state.organization if is_cloud(self.backend) else None
        self._organization_resolved = not is_cloud(self.backend) or self._organization is not None
        self._plugins_installed = False
        self._interrupts: dict[str, int] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ set-up

    @property
    def command(self) -> auto.PulumiCommand:
        """The pulumi CLI (found on first use), wrapped so runs can be interrupted."""
        if self._command is None:
            self._command = InterruptiblePulumiCommand(find_pulumi())
        return self._command

    @property
    def organization(self) -> str | None:
        """The organization in fully qualified stack names (None: DIY backends' ``organization``)."""
        if not self._organization_resolved:
            workspace = self._workspace(self._project_dir(self._home_project()))
            try:
                self._organization = workspace.org_get_default() or None
            except auto_errors.CommandError:
                self._organization = workspace.who_am_i().user
            self._organization_resolved = True
        return self._organization

    def _home_project(self) -> str:
        """The project stack's Pulumi project: where commands about the whole backend run (ls, whoami)."""
        return kinds.PROJECT.pulumi_project(self.config.project.name, Scope())

    def env_vars(self) -> dict[str, str]:
        env = {**PULUMI_ENV, "PULUMI_BACKEND_URL": self.backend}
        # Given explicitly (environ=...) or inherited: pass them on (PULUMI_HOME: which plugins run).
        for key in (*PASSPHRASE_VARIABLES, "PULUMI_HOME"):
            if key in self.environ:
                env[key] = self.environ[key]
        if self._secrets_provider() == DEFAULT_SECRETS_PROVIDER and not self._passphrase_set():
            env.setdefault("PULUMI_CONFIG_PASSPHRASE", "")  # non-interactive: the CLI would fail asking
        if self.local is not None:
            env.update(LOCAL_AWS_ENV)
            env["AWS_ENDPOINT_URL"] = self.local.endpoint
        return env

    def _passphrase_set(self) -> bool:
        """A non-empty passphrase or a passphrase file (an empty one protects nothing: warn)."""
        return bool(self.environ.get("PULUMI_CONFIG_PASSPHRASE")) or "PULUMI_CONFIG_PASSPHRASE_FILE" in self.environ

    def _secrets_provider(self) -> str | None:
        provider = self.config.state.secrets_provider
        return None if provider == "default" else provider

    def _project_dir(self, pulumi_project: str) -> Path:
        return workspace_dir(self.root, pulumi_project, local=self.local_state)

    def _write_project(self, pulumi_project: str) -> Path:
        folder = self._project_dir(pulumi_project)
        folder.mkdir(parents=True, exist_ok=True)
        settings = auto.ProjectSettings(
            name=pulumi_project, runtime="python",
            description=f"ecsp stacks of project {self.config.project.name} (written by ecsp on every run)",
            backend=auto.ProjectBackend(url=self.backend),
        )
        # Written here, not by LocalWorkspace(project_settings=...): every stack run would rewrite
        # it then, racing the other stacks of the same Pulumi project that run at the same time.
        import yaml

        path = folder / "Pulumi.yaml"
        text = yaml.safe_dump(settings.to_dict(), sort_keys=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            temporary = path.with_suffix(".yaml.tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(path)  # atomic: a concurrent reader never sees half a file
        return folder

    def _workspace(self, folder: Path, program: Callable[[], None] | None = None) -> auto.LocalWorkspace:
        return auto.LocalWorkspace(work_dir=str(folder), program=program, env_vars=self.env_vars(),
                                   secrets_provider=self._secrets_provider(), pulumi_command=self.command)

    def check(self) -> None:
        self.command  # noqa: B018 -- finding the CLI raises PulumiMissingError with the fix

    def prepare(self, stacks: Sequence[StackSpec], operation: Operation) -> list[str]:
        """Main thread, before the fan-out: CLI, work dirs, imports, plugins. Returns warnings."""
        warnings = []
        if self._secrets_provider() == DEFAULT_SECRETS_PROVIDER and not self._passphrase_set():
            warnings.append("PULUMI_CONFIG_PASSPHRASE is empty or not set: stack secrets are encrypted with an "
                            "empty passphrase; set it (and keep it: the stacks need it from now on) to protect them")
        self.command  # noqa: B018 -- find the CLI now: one clear error before anything starts
        self._ensure_backend_dir()
        self.organization  # noqa: B018 -- may ask the CLI; do it once, not on every worker
        for project in dict.fromkeys(s.pulumi_project for s in stacks):
            self._write_project(project)
        preimport_aws(self.programs.aws_modules)
        if not self._plugins_installed and stacks:
            workspace = self._workspace(self._project_dir(stacks[0].pulumi_project))
            for plugin, version in self.programs.plugin_versions():
                try:
                    workspace.install_plugin(plugin, version)
                except auto_errors.CommandError as e:
                    stdout, stderr = _streams(e)
                    raise PulumiMissingError(
                        f"could not install the Pulumi {plugin} provider plugin {version}: "
                        f"{_short(_first_error(stderr, stdout, ()))}",
                        fix=f"check network access to get.pulumi.com and github.com, or install it by hand: "
                        f"pulumi plugin install resource {plugin} {version}") from e
            self._plugins_installed = True
        return warnings

    # ------------------------------------------------------------------ operations

    def _select(self, spec: StackSpec, workspace: auto.LocalWorkspace, *, create: bool) -> auto.Stack:
        name = spec.fully_qualified(self.organization)
        try:
            return auto.Stack.select(name, workspace)
        except auto_errors.StackNotFoundError:
            if not create:
                raise
        stack = auto.Stack.create(name, workspace)
        for key, value in spec.tags().items():
            try:
                stack.set_tag(key, value)
            except auto_errors.CommandError:
                break  # this backend keeps no tags (DIY before CLI 3.211): not worth failing for
        return stack

    def run(self, operation: Operation, ctx: StackContext, on_event: EventSink) -> StackRun:
        spec = ctx.stack
        diagnostics: list[str] = []
        translate = self._translate

        def events(engine_event: Any) -> None:
            for event in translate(spec.name, engine_event):
                if getattr(event, "severity", None) == "error":
                    diagnostics.append(event.message)  # type: ignore[union-attr]
                on_event(event)

        def lines(stream: str) -> Callable[[str], None]:
            return lambda text: on_event(OutputLine(spec.name, text, "stderr" if stream == "stderr" else "stdout"))

        with self._lock:
            self._interrupts.pop(spec.name, None)
        stack: auto.Stack | None = None
        try:
            workspace = self._workspace(self._project_dir(spec.pulumi_project), self.programs.program_for(ctx))
            try:
                stack = self._select(spec, workspace, create=operation in ("up", "preview"))
            except auto_errors.StackNotFoundError:
                if operation == "destroy":
                    return StackRun()  # never deployed: nothing to destroy
                raise
            stack.set_all_config(stack_config(ctx))
            common: dict[str, Any] = {"on_event": events, "on_output": lines("stdout"), "on_error": lines("stderr"),
                                      "color": "never"}
            policies: dict[str, Any] = {"policy_packs": self.policy_packs} if self.policy_packs else {}
            if operation == "up":
                up = stack.up(suppress_progress=True, **common, **policies)
                return StackRun(change_counts(up.summary.resource_changes), _outputs(up.outputs))
            if operation == "preview":
                preview = stack.preview(suppress_progress=True, **common, **policies)
                return StackRun(change_counts(preview.change_summary))
            if operation == "refresh":
                refresh = stack.refresh(suppress_progress=True, **common)
                return StackRun(change_counts(refresh.summary.resource_changes))
            destroy = stack.destroy(suppress_progress=True, **common)
            return StackRun(change_counts(destroy.summary.resource_changes))
        except Exception as e:
            with self._lock:
                presses = self._interrupts.pop(spec.name, 0)
            if presses:
                released = self._release_lock(stack) if presses > 1 and stack is not None else False
                raise Cancelled(f"{spec.name}: {operation} interrupted; "
                                + ("pulumi was stopped and its lock released" if released
                                   else "pulumi cancelled it and saved the state")) from e
            raise translate_error(spec.name, e, diagnostics=diagnostics,
                                  cancel_hint=_cancel_hint(spec)) from e

    def _release_lock(self, stack: auto.Stack) -> bool:
        try:
            stack.cancel()
        except auto_errors.CommandError:
            return False
        return True

    def interrupt(self, stack: StackSpec) -> None:
        with self._lock:
            presses = self._interrupts[stack.name] = self._interrupts.get(stack.name, 0) + 1
        interrupt = getattr(self._command, "interrupt", None)
        if interrupt is not None:
            # Best effort: if the signal cannot be sent, the run's own outcome is reported.
            with contextlib.suppress(Exception):
                interrupt(stack.fully_qualified(self.organization), force=presses > 1)

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        self.check()
        workspace = self._workspace(self._write_project(stack.pulumi_project))
        name = stack.fully_qualified(self.organization)
        try:
            return _outputs(workspace.stack_outputs(name))
        except auto_errors.CommandError as e:
            raise translate_error(stack.name, e, cancel_hint=_cancel_hint(stack)) from e

    def list_stacks(self) -> list[StackInfo]:
        project = self._home_project()
        self.check()
        self._ensure_backend_dir()
        workspace = self._workspace(self._write_project(project))
        try:
            summaries = workspace.list_stacks(include_all=True)
        except auto_errors.CommandError as e:
            raise translate_error(project, e) from e
        infos = []
        for s in summaries:
            name = naming.backend_stack_name(s.name, project)
            infos.append(StackInfo(name, last_update=s.last_update, resource_count=s.resource_count,
                                   update_in_progress=bool(s.update_in_progress) or self._file_locked(name),
                                   url=s.url))
        return infos

    def _file_locked(self, name: str) -> bool:
        """Whether a file backend holds a lock on ``<project>/<stack>``.

        The real CLI's ``stack ls --json`` leaves ``updateInProgress`` out on DIY backends
        (3.274.1, even while a lock file is there), so the lock files are looked at directly:
        ``.pulumi/locks/organization/<project>/<stack>/<id>.json``.
        """
        if not self.backend.startswith("file://"):
            return False
        state = Path(os.path.expanduser(self.backend.removeprefix("file://").split("?", 1)[0]))
        return any((state / ".pulumi" / "locks" / "organization" / name).glob("*.json"))

    def cancel(self, stack: StackSpec) -> bool:
        self.check()
        workspace = self._workspace(self._write_project(stack.pulumi_project))
        try:
            target = auto.Stack.select(stack.fully_qualified(self.organization), workspace)
        except auto_errors.CommandError as e:
            raise translate_error(stack.name, e) from e
        if self.backend.startswith("file://") and not self._file_locked(stack.name):
            # The real CLI (3.274.1) "cancels" an unlocked stack of a file backend too, exit 0 and
            # "The currently running update for 'e0' has been canceled!": only the lock files tell.
            return False
        try:
            target.cancel()
        except auto_errors.CommandError as e:
            stdout, stderr = _streams(e)
            if re.search(r"no (?:update|lock)|not (?:locked|running)|nothing to cancel", stdout + stderr, re.I):
                return False
            raise translate_error(stack.name, e) from e
        return True

    def _ensure_backend_dir(self) -> None:
        if self.backend.startswith("file://"):
            Path(os.path.expanduser(self.backend.removeprefix("file://").split("?", 1)[0])).mkdir(
                parents=True, exist_ok=True)


def _cancel_hint(spec: StackSpec) -> str:
    return f"ecsp cancel --stack {spec.name}"


__all__ = [
    "CHECKED_SDK_VERSION", "MIN_PULUMI_VERSION", "PINNED_PULUMI_VERSION", "AutomationEngine",
    "InterruptiblePulumiCommand", "ensure_pulumi", "find_pulumi", "install_pulumi", "preimport_aws",
    "resolve_backend", "stack_config", "translate_error",
]
