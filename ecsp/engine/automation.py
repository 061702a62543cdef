"""The real engine: a thin adapter over ``pulumi.automation`` that runs one ecsp stack at a time.

Responsibility: turn "run ``up`` on ``shop-web/test``" into Automation API calls. It knows
nothing of the stack graph (that is the orchestrator's job) and renders nothing (events go
out translated by :func:`ecsp.engine.events.translate`). The ``pulumi`` process is
:mod:`ecsp.engine.pulumi_cli`'s, the files and environment it runs in
:mod:`ecsp.engine.workspace`'s, and what its failures mean :mod:`ecsp.engine.errors`'.

Decisions, each with its reason:

* **Round trips.** Every ``pulumi`` process costs a start of the CLI (about a quarter of a
  second here), and on a chain of stacks they add up on the critical path. So a run asks the
  CLI its version once and which plugins it has once (:meth:`AutomationEngine.prepare`); a
  stack's config and tags are written only when they differ from what the work dir says the
  stack has (:mod:`ecsp.engine.workspace`); a stack ecsp has opened before from this work
  dir is not selected again (the operation names it, and fails the same way if it is gone,
  and then it is selected or created as on a first run); and an operation's change summary
  and outputs come from its own engine events, not from ``stack history`` and two
  ``stack output`` calls after it (:class:`_Stack`). A no-change ``up`` of a stack is one
  call to the CLI: the ``up`` itself.
* **Stack tags** ``ecsp:project``/``ecsp:environment``/``ecsp:application`` are set on a new
  stack and whenever they change; backends that do not store tags (DIY before CLI 3.211) are ignored.
* **ESC environments** (``esc:``) are added to a stack when the list in its file differs from
  the model (``pulumi config env add``), in order; a run on a backend that is not Pulumi Cloud
  stops in :meth:`AutomationEngine.prepare`, before any stack starts.
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
  ``pulumi_aws`` submodules the programs use, imported by one thread that ``prepare``
  starts and every program waits for: imported while the CLI starts up, never by two
  threads at once.
* **Cancellation**: the first interrupt is pulumi's graceful cancel; after a second one,
  which stops pulumi at once, ``pulumi cancel`` releases the lock it left.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import errors as auto_errors

# Not exported, but how Stack.select and Stack.create build a Stack (they name the class itself, so a
# subclass must be built directly); tests/engine/test_engine_automation.py pins the SDK this was checked against.
from pulumi.automation._stack import StackInitMode

from ecsp import kinds, naming
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator, StackContext
from ecsp.engine import DriftedResource, EventSink, StackInfo, StackRun, StackUpdate
from ecsp.engine.errors import nothing_to_cancel, plugin_install_error, translate_error
from ecsp.engine.events import change_counts, drifted, stack_outputs
from ecsp.engine.events import translate as translate_event
from ecsp.engine.pulumi_cli import InterruptiblePulumiCommand, find_pulumi, plugins_installed
from ecsp.engine.workspace import StackFile, Workspaces, is_cloud, stack_config, stack_environments
from ecsp.errors import Cancelled, UsageError
from ecsp.events import Event, Operation, OutputLine, Secret
from ecsp.graph import StackSpec
from ecsp.kinds import Scope
from ecsp.programs import Programs


def preimport_aws(names: Sequence[str]) -> list[str]:
    """Make the ``pulumi_aws`` service packages ``names`` safe to share between the programs' threads.

    pulumi_aws's own lazy packages race when first used from several threads at once
    (``module 'pulumi_aws.s3' has no attribute 'Bucket'``, python/cpython#114763); the ones
    :func:`ecsp.aws_imports.load_on_demand` puts in their place load under a lock, and only the
    resources the programs use.
    """
    from ecsp.aws_imports import load_on_demand

    load_on_demand(names)
    return list(names)


def _outputs(raw: Mapping[str, auto.OutputValue]) -> dict[str, Any]:
    return {k: Secret(v.value) if v.secret else v.value for k, v in raw.items()}


# Pulumi's marker of a secret, asset, archive or resource reference in serialised properties
# (resource.SigKey): an output holding one is read back with `stack output`, which decodes it.
SIG_KEY = "4dabf18193072939515e22adb298388d"
# How long an operation's results wait for its last events once the CLI has exited.
EVENTS_GRACE_SECONDS = 10.0


def _special(value: Any) -> bool:
    if isinstance(value, Mapping):
        return SIG_KEY in value or any(_special(v) for v in value.values())
    if isinstance(value, list):
        return any(_special(v) for v in value)
    return False


class _EventResults:
    """What one operation's own engine events said: its change summary and the stack's outputs."""

    def __init__(self) -> None:
        self.changes: auto.OpMap | None = None
        self.outputs: dict[str, Any] | None = None
        self._ended = threading.Event()

    def observe(self, event: Any) -> None:
        outputs = stack_outputs(event)
        if outputs is not None:
            self.outputs = outputs
        if getattr(event, "summary_event", None) is not None:
            self.changes = event.summary_event.resource_changes
            self._ended.set()
        if getattr(event, "cancel_event", None) is not None:  # the engine's last event
            self._ended.set()

    def output_map(self) -> auto.OutputMap | None:
        """The outputs as ``stack output`` would give them; None when the events cannot say."""
        self._ended.wait(EVENTS_GRACE_SECONDS)
        if self.outputs is None or _special(self.outputs):
            return None  # masked secrets (the events never carry their values), or no root outputs event
        return {key: auto.OutputValue(value, secret=False) for key, value in self.outputs.items()}

    def summary(self, kind: str) -> auto.UpdateSummary | None:
        """The update's summary as ``stack history`` would give it (its change counts); None when unseen."""
        self._ended.wait(EVENTS_GRACE_SECONDS)
        if self.changes is None:
            return None
        now = datetime.now(UTC)
        return auto.UpdateSummary(kind=kind, start_time=now, message="", environment={}, config={},
                                  result="succeeded", end_time=now, resource_changes=self.changes)


class _Stack(auto.Stack):
    """``auto.Stack`` that answers ``outputs()`` and ``info()`` from the running operation's own events.

    The SDK's ``up``, ``refresh`` and ``destroy`` end with three more CLI calls: ``stack
    output`` twice (masked, then with secrets) for the outputs, and ``stack history`` for the
    change summary. Both are in the operation's events already: the engine's summary event,
    and the outputs event of the root stack resource. Secrets are masked in events, so a stack
    that exports one, or an operation whose events did not say, is asked the CLI as before.
    """

    results: _EventResults | None = None
    operation = "update"

    def outputs(self) -> auto.OutputMap:
        found = self.results.output_map() if self.results else None
        return found if found is not None else super().outputs()

    def info(self, show_secrets: bool = True) -> auto.UpdateSummary | None:
        found = self.results.summary(self.operation) if self.results else None
        return found if found is not None else super().info(show_secrets)


class _Workspace(auto.LocalWorkspace):
    """``LocalWorkspace`` that skips ``pulumi stack select`` for a stack ecsp has opened before.

    Selecting checks that the stack exists and makes it the work dir's current stack; an
    operation names its stack (``--stack``) and fails the same way when it does not exist,
    which :meth:`AutomationEngine.run` answers by selecting (or creating) it then.
    """

    trusted = False  # the stack was opened from this work dir before
    skipped = False  # a select was skipped

    def select_stack(self, stack_name: str) -> None:
        if self.trusted:
            self.skipped = True
            return
        super().select_stack(stack_name)


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
        allow_empty_passphrase: bool = False,
    ) -> None:
        """``programs``: the stack programs and the plugins they need (:data:`stacks.PROGRAMS`, or a test's own).

        ``local``: the emulator to deploy to, or True to only read local-mode state (outputs, ls).
        ``policy_packs``: Pulumi policy packs (folders or analyzer executables) that judge every
        resource of ``up`` and ``preview``; their violations arrive as policy events.
        """
        self.config = config
        self.workspaces = Workspaces(root, config, backend=backend, local=local, environ=environ,
                                     allow_empty_passphrase=allow_empty_passphrase)
        self.backend = self.workspaces.backend
        self._command = command
        self._translate = translate or translate_event
        self.programs = programs
        self.policy_packs = list(policy_packs)
        self._organization: str | None = config.state.organization if is_cloud(self.backend) else None
        self._organization_resolved = not is_cloud(self.backend) or self._organization is not None
        self._plugins_installed = False
        self._imports: Future[list[str]] | None = None
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
            workspace = self._workspace(self._home_project())
            try:
                self._organization = workspace.org_get_default() or None
            except auto_errors.CommandError:
                self._organization = workspace.who_am_i().user
            self._organization_resolved = True
        return self._organization

    def _home_project(self) -> str:
        """The project stack's Pulumi project: where commands about the whole backend run (ls, whoami)."""
        return kinds.PROJECT.pulumi_project(self.config.project.name, Scope())

    def _workspace(self, pulumi_project: str, program: Callable[[], None] | None = None) -> _Workspace:
        folder = self.workspaces.project_dir(pulumi_project)
        folder.mkdir(parents=True, exist_ok=True)  # the CLI runs in it (prepare() also writes its Pulumi.yaml)
        return _Workspace(work_dir=str(folder), program=program,
                          env_vars=self.workspaces.env_vars(), secrets_provider=self.workspaces.secrets_provider,
                          pulumi_command=self.command)

    def check(self) -> None:
        self.command  # noqa: B018 -- finding the CLI raises PulumiMissingError with the fix

    def prepare(self, stacks: Sequence[StackSpec], operation: Operation) -> list[str]:
        """Main thread, before the fan-out: CLI, work dirs, imports, plugins. Returns warnings."""
        # The programs' imports take a while and need no CLI: they go on while the CLI answers
        # below and the first stacks' CLI starts up; each program waits for them (_program).
        if self._imports is None:
            importer = ThreadPoolExecutor(1, thread_name_prefix="ecsp-imports")
            self._imports = importer.submit(preimport_aws, self.programs.aws_modules)
            importer.shutdown(wait=False)
        self.command  # noqa: B018 -- find the CLI now: one clear error before anything starts
        # The plugin check is a CLI call of its own: it goes on while the rest is set up, and is
        # waited for (its error raised) before this returns, so before any stack starts.
        plugins: Future[None] | None = None
        if not self._plugins_installed and stacks:
            checker = ThreadPoolExecutor(1, thread_name_prefix="ecsp-plugins")
            plugins = checker.submit(self._install_plugins, self._workspace(stacks[0].pulumi_project))
            checker.shutdown(wait=False)
        self._check_esc(stacks)
        warnings = self.workspaces.warnings(operation, [s.name for s in stacks],
                                            lambda: [info.name for info in self.list_stacks()])
        self.workspaces.ensure_backend_dir()
        self.organization  # noqa: B018 -- may ask the CLI; do it once, not on every worker
        for project in dict.fromkeys(s.pulumi_project for s in stacks):
            self.workspaces.write_project(project)
        if plugins is not None:
            plugins.result()
            self._plugins_installed = True
        return warnings

    def _check_esc(self, stacks: Sequence[StackSpec]) -> None:
        """ESC environments live in Pulumi Cloud: ``esc:`` with another backend is an error before anything runs."""
        if is_cloud(self.backend):
            return
        using = [spec.name for spec in stacks if stack_environments(self.config, spec.environment)]
        if using:
            raise UsageError(
                f"esc: in ecsp.yaml names Pulumi ESC environments for {', '.join(using[:3])}"
                f"{' ...' if len(using) > 3 else ''}, and ESC needs a Pulumi Cloud backend; this project's "
                f"backend is {self.backend}",
                fix="set state.backend: https://api.pulumi.com (and PULUMI_ACCESS_TOKEN), or take esc: out of "
                "ecsp.yaml")

    def _program(self, ctx: StackContext) -> Callable[[], None]:
        """The stack's program, run once the programs' imports are done."""
        program = self.programs.program_for(ctx)
        imports = self._imports

        def run() -> None:
            if imports is not None:
                imports.result()
            program()

        return run

    def _plugins_folder(self) -> Path:
        """Where the CLI keeps its plugins: ``$PULUMI_HOME/plugins`` (Pulumi's default home: ``~/.pulumi``)."""
        home = self.workspaces.env_vars().get("PULUMI_HOME") or os.environ.get("PULUMI_HOME")
        return (Path(home) if home else Path.home() / ".pulumi") / "plugins"

    def _install_plugins(self, workspace: auto.LocalWorkspace) -> None:
        """Install the provider plugins the programs need that ``pulumi plugin ls`` does not list.

        The CLI is not asked when its plugin folder holds them all already (a process saved on every run).
        """
        if plugins_installed(self._plugins_folder(), self.programs.plugin_versions()):
            return
        try:
            have = {(p.name, (p.version or "").removeprefix("v")) for p in workspace.list_plugins()
                    if p.kind == "resource"}
        except auto_errors.CommandError:
            have = set()  # cannot tell: install them all (a no-op for those already there)
        for plugin, version in self.programs.plugin_versions():
            if (plugin, version.removeprefix("v")) in have:
                continue
            try:
                workspace.install_plugin(plugin, version)
            except auto_errors.CommandError as e:
                raise plugin_install_error(plugin, version, e, self.command.command) from e

    # ------------------------------------------------------------------ operations

    def _open(self, operation: Operation, ctx: StackContext, workspace: _Workspace) -> _Stack:
        """The stack, selected (or created, for up and preview) and settled: its config and tags as the model says."""
        spec = ctx.stack
        name = spec.fully_qualified(self.organization)
        created = False
        try:
            stack = _Stack(name, workspace, StackInitMode.SELECT)
        except auto_errors.StackNotFoundError:
            if operation not in ("up", "preview"):
                raise
            stack = _Stack(name, workspace, StackInitMode.CREATE)
            created = True
        # Read after `stack init`, which writes the secrets provider's salt or key into the file.
        file = self.workspaces.stack_file(spec.pulumi_project, name)
        file.settle_config(stack_config(ctx))
        self._settle_tags(stack, spec, file, created=created)
        self._settle_environments(stack, spec, file)
        return stack

    def _settle_environments(self, stack: auto.Stack, spec: StackSpec, file: StackFile) -> None:
        """Make the stack import exactly the model's ESC environments, in order (only when they differ).

        A stack whose model names none keeps what it has: environments added by hand stay.
        """
        wanted = stack_environments(self.config, spec.environment)
        have = file.environments
        if not wanted or have == wanted:
            return
        # ESC merges environments in order (a later one wins): unless the stack's list begins the wanted
        # one, it is rebuilt whole.
        start = len(have)
        if have != wanted[:start]:
            for name in have:
                stack.remove_environment(name)
            start = 0
        stack.add_environments(*wanted[start:])

    def _settle_tags(self, stack: auto.Stack, spec: StackSpec, file: StackFile, *, created: bool) -> None:
        """Set the stack's tags where they differ from those last applied (all of them on a new stack).

        The backend's own tags would take a CLI call per stack to read; the work dir keeps what
        ecsp applied instead (:class:`~ecsp.engine.workspace.StackFile`).
        """
        wanted = spec.tags()
        applied = None if created else file.tags
        if applied == wanted:
            return
        try:
            for key, value in wanted.items():
                if (applied or {}).get(key) != value:
                    stack.set_tag(key, value)
            for key in (applied or {}).keys() - wanted.keys():
                stack.remove_tag(key)
        except auto_errors.CommandError:
            pass  # this backend keeps no tags (DIY before CLI 3.211): not worth failing for, nor trying again
        file.record_tags(wanted)

    def _operate(self, operation: Operation, stack: _Stack, on_event: Callable[[Any], None],
                 common: dict[str, Any]) -> StackRun:
        results = _EventResults()
        stack.results, stack.operation = results, operation

        def observe(event: Any) -> None:
            results.observe(event)
            on_event(event)

        options = {**common, "on_event": observe, "suppress_progress": True}
        policies: dict[str, Any] = {"policy_packs": self.policy_packs} if self.policy_packs else {}
        if operation == "up":
            up = stack.up(**options, **policies)
            return StackRun(change_counts(up.summary.resource_changes), _outputs(up.outputs))
        if operation == "preview":
            preview = stack.preview(**options, **policies)
            return StackRun(change_counts(preview.change_summary))
        if operation == "refresh":
            refresh = stack.refresh(**options)
            return StackRun(change_counts(refresh.summary.resource_changes))
        destroy = stack.destroy(**options)
        return StackRun(change_counts(destroy.summary.resource_changes))

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
        common: dict[str, Any] = {"on_output": lines("stdout"), "on_error": lines("stderr"), "color": "never"}
        stack: auto.Stack | None = None
        try:
            workspace = self._workspace(spec.pulumi_project, self._program(ctx))
            # A stack whose tags this work dir recorded was opened from here before.
            workspace.trusted = self.workspaces.stack_file(spec.pulumi_project, spec.stack).tags is not None
            try:
                try:
                    stack = self._open(operation, ctx, workspace)
                    return self._operate(operation, stack, events, common)
                except auto_errors.StackNotFoundError:
                    if not workspace.skipped:
                        raise
                # The stack this work dir knew is gone (removed by hand, or another backend): open it afresh.
                workspace.trusted = False
                stack = self._open(operation, ctx, workspace)
                return self._operate(operation, stack, events, common)
            except auto_errors.StackNotFoundError:
                if operation == "destroy":
                    return StackRun()  # never deployed: nothing to destroy
                raise
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

    def drift(self, ctx: StackContext, on_event: EventSink) -> list[DriftedResource]:
        """A refresh preview (``pulumi refresh --preview-only``): Pulumi's own drift detection run."""
        spec = ctx.stack
        found: list[DriftedResource] = []
        diagnostics: list[str] = []
        results = _EventResults()

        def events(engine_event: Any) -> None:
            results.observe(engine_event)
            drift = drifted(engine_event)
            if drift is not None:
                found.append(drift)
            for event in self._translate(spec.name, engine_event):
                if getattr(event, "severity", None) == "error":
                    diagnostics.append(event.message)  # type: ignore[union-attr]
                on_event(event)

        try:
            stack = self._open("refresh", ctx, self._workspace(spec.pulumi_project, self._program(ctx)))
            stack.preview_refresh(on_event=events, color="never", suppress_progress=True,
                                  on_output=lambda text: on_event(OutputLine(spec.name, text)),
                                  on_error=lambda text: on_event(OutputLine(spec.name, text, "stderr")))
        except Exception as e:
            raise translate_error(spec.name, e, diagnostics=diagnostics, cancel_hint=_cancel_hint(spec)) from e
        results.summary("refresh")  # the last events arrive after the CLI exits: wait for the summary
        return found

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
        self.workspaces.write_project(stack.pulumi_project)
        workspace = self._workspace(stack.pulumi_project)
        name = stack.fully_qualified(self.organization)
        found = self.workspaces.file_outputs(stack.name)
        if found is not None and not _special(found):
            return found  # no secret among them: the checkpoint has their values, no CLI needed
        try:
            return _outputs(workspace.stack_outputs(name))
        except auto_errors.CommandError as e:
            raise translate_error(stack.name, e, cancel_hint=_cancel_hint(stack)) from e

    def list_stacks(self) -> list[StackInfo]:
        project = self._home_project()
        self.check()
        self.workspaces.ensure_backend_dir()
        self.workspaces.write_project(project)
        workspace = self._workspace(project)
        try:
            summaries = workspace.list_stacks(include_all=True)
        except auto_errors.CommandError as e:
            raise translate_error(project, e) from e
        infos = []
        for s in summaries:
            name = naming.backend_stack_name(s.name, project)
            infos.append(StackInfo(name, last_update=s.last_update, resource_count=s.resource_count,
                                   update_in_progress=bool(s.update_in_progress) or self.workspaces.file_locked(name),
                                   url=s.url))
        return infos

    def history(self, stack: StackSpec, *, limit: int = 20) -> list[StackUpdate]:
        self.check()
        self.workspaces.write_project(stack.pulumi_project)
        workspace = self._workspace(stack.pulumi_project)
        try:
            target = auto.Stack.select(stack.fully_qualified(self.organization), workspace)
            summaries = target.history(page_size=limit, page=1, show_secrets=False)
        except auto_errors.CommandError as e:
            raise translate_error(stack.name, e) from e
        return [StackUpdate(version=s.version, kind=s.kind, result=s.result, started=s.start_time,
                            ended=s.end_time, message=s.message or "",
                            config={k: str(v.value) for k, v in s.config.items() if not v.secret},
                            changes=change_counts(s.resource_changes or {})) for s in summaries]

    def stack_tags(self, stack: StackSpec) -> dict[str, str]:
        self.check()
        self.workspaces.write_project(stack.pulumi_project)
        workspace = self._workspace(stack.pulumi_project)
        try:
            return dict(workspace.list_tags(stack.fully_qualified(self.organization)))
        except auto_errors.CommandError:
            return {}  # no such stack, or a backend that keeps no tags (DIY before CLI 3.211)

    def cancel(self, stack: StackSpec) -> bool:
        self.check()
        self.workspaces.write_project(stack.pulumi_project)
        workspace = self._workspace(stack.pulumi_project)
        try:
            target = auto.Stack.select(stack.fully_qualified(self.organization), workspace)
        except auto_errors.CommandError as e:
            raise translate_error(stack.name, e) from e
        if self.backend.startswith("file://") and not self.workspaces.file_locked(stack.name):
            # The real CLI (3.274.1) "cancels" an unlocked stack of a file backend too, exit 0 and
            # "The currently running update for 'e0' has been canceled!": only the lock files tell.
            return False
        try:
            target.cancel()
        except auto_errors.CommandError as e:
            if nothing_to_cancel(e):
                return False
            raise translate_error(stack.name, e) from e
        return True

    def release_data(self, stack: StackSpec, urns: Sequence[str] | None) -> list[str]:
        self.check()
        self.workspaces.write_project(stack.pulumi_project)
        workspace = self._workspace(stack.pulumi_project)
        name = stack.fully_qualified(self.organization)
        try:
            deployment = workspace.export_stack(name)
        except auto_errors.CommandError as e:
            raise translate_error(stack.name, e, cancel_hint=_cancel_hint(stack)) from e
        released = release(deployment.deployment, urns)
        if released:
            try:
                workspace.import_stack(name, deployment)
            except auto_errors.CommandError as e:
                raise translate_error(stack.name, e, cancel_hint=_cancel_hint(stack)) from e
        return released


def release(deployment: Any, urns: Sequence[str] | None) -> list[str]:
    """Lift ``retainOnDelete`` in an exported state, for ``urns`` (None: every resource); the URNs changed."""
    released = []
    for resource in (deployment or {}).get("resources") or []:
        if resource.get("retainOnDelete") and (urns is None or resource.get("urn") in urns):
            resource["retainOnDelete"] = False
            released.append(str(resource["urn"]))
    return released


def _cancel_hint(spec: StackSpec) -> str:
    return f"ecsp cancel --stack {spec.name}"


__all__ = ["AutomationEngine", "preimport_aws"]
