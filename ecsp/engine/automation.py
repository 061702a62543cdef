"""The real engine: a thin adapter over ``pulumi.automation`` that runs one ecsp stack at a time.

Responsibility: turn "run ``up`` on ``shop-web/test``" into Automation API calls. It knows
nothing of the stack graph (that is the orchestrator's job) and renders nothing (events go
out translated by :func:`ecsp.engine.events.translate`). The ``pulumi`` process is
:mod:`ecsp.engine.pulumi_cli`'s, the files and environment it runs in
:mod:`ecsp.engine.workspace`'s, and what its failures mean :mod:`ecsp.engine.errors`'.

Decisions, each with its reason:

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
* **Cancellation**: the first interrupt is pulumi's graceful cancel; after a second one,
  which stops pulumi at once, ``pulumi cancel`` releases the lock it left.
"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import errors as auto_errors

from ecsp import kinds, naming
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator, StackContext
from ecsp.engine import EventSink, StackInfo, StackRun
from ecsp.engine.errors import nothing_to_cancel, plugin_install_error, translate_error
from ecsp.engine.events import change_counts
from ecsp.engine.events import translate as translate_event
from ecsp.engine.pulumi_cli import InterruptiblePulumiCommand, find_pulumi
from ecsp.engine.workspace import Workspaces, is_cloud, stack_config
from ecsp.errors import Cancelled
from ecsp.events import Event, Operation, OutputLine, Secret
from ecsp.graph import StackSpec
from ecsp.kinds import Scope
from ecsp.programs import Programs


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
        self.config = config
        self.workspaces = Workspaces(root, config, backend=backend, local=local, environ=environ)
        self.backend = self.workspaces.backend
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

    def _workspace(self, pulumi_project: str, program: Callable[[], None] | None = None) -> auto.LocalWorkspace:
        return self.workspaces.workspace(self.workspaces.project_dir(pulumi_project), self.command, program)

    def check(self) -> None:
        self.command  # noqa: B018 -- finding the CLI raises PulumiMissingError with the fix

    def prepare(self, stacks: Sequence[StackSpec], operation: Operation) -> list[str]:
        """Main thread, before the fan-out: CLI, work dirs, imports, plugins. Returns warnings."""
        warnings = self.workspaces.warnings()
        self.command  # noqa: B018 -- find the CLI now: one clear error before anything starts
        self.workspaces.ensure_backend_dir()
        self.organization  # noqa: B018 -- may ask the CLI; do it once, not on every worker
        for project in dict.fromkeys(s.pulumi_project for s in stacks):
            self.workspaces.write_project(project)
        preimport_aws(self.programs.aws_modules)
        if not self._plugins_installed and stacks:
            workspace = self._workspace(stacks[0].pulumi_project)
            for plugin, version in self.programs.plugin_versions():
                try:
                    workspace.install_plugin(plugin, version)
                except auto_errors.CommandError as e:
                    raise plugin_install_error(plugin, version, e) from e
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
            workspace = self._workspace(spec.pulumi_project, self.programs.program_for(ctx))
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
        self.workspaces.write_project(stack.pulumi_project)
        workspace = self._workspace(stack.pulumi_project)
        name = stack.fully_qualified(self.organization)
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


def _cancel_hint(spec: StackSpec) -> str:
    return f"ecsp cancel --stack {spec.name}"


__all__ = ["AutomationEngine", "preimport_aws"]
