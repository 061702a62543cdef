"""How an application's service moves to a new task definition: recorded, held while its release runs, rolled back.

:class:`RolloutEngine` wraps the engine a run uses (it has the same interface) and changes
how ``up`` (and ``preview``) run an application stack whose application has a service:

* **Recorded.** Before the update it reads the stack's outputs for the revision the
  service runs now and puts it in the update's stack config (``ecsp:running``, see
  :func:`recorded`), so the stack's update history says what each update replaced. That
  history is what ``ecsp rollback`` offers to go back to (:mod:`ecsp.ops.rollback`).
* **Release.** An application with ``release:`` is deployed in two phases inside its one
  stack run, because its command must run with the *new* task definition, *before* the
  service uses it, and Pulumi registers a task definition and updates the service that
  uses it in one update:

  1. ``up`` with the service held on the revision it runs (:class:`ecsp.context.Hold`;
     on a first deploy the service is left out): the image is built and pushed, the new
     task definition registered (old revisions stay, ``skip_destroy``), the rest updated;
  2. the release command runs in a one-off task of the new revision, in the application's
     subnets and security groups (:func:`run_release`); its lines go to the run's events;
  3. ``up`` without the hold: the service moves to the new revision.

  A command that exits non-zero, outlives its ``timeout`` or cannot start fails the stack
  after phase 1, with the reason (:class:`ReleaseFailed`): the service still runs the old
  revision and says so in its outputs (``serviceTaskDefinitionArn``); the stacks that do
  not depend on it go on, as for any failed stack. The next ``ecsp up`` runs the release
  again. When phase 1 registers nothing new (the service already runs that revision), no
  release runs. In local mode the two phases run and the release is skipped with a
  warning: the emulator runs no containers.
* **Rollback.** ``holds`` pins a stack's service to an older revision for this run.

Why two updates and not a resource inside one: a Pulumi resource that runs the task
(a dynamic provider or ``command.local.Command``) would need AWS credentials and ecsp's
task-following code inside the provider process, would rerun on every change of its
inputs only, and would not stream the command's logs into ecsp's progress; the two-phase
update keeps the program pure, uses the same one-off task code as ``ecsp task run``, and
leaves each phase visible in the stack's history.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecsp import graph as graphs
from ecsp.config import Capability, ProjectConfig, ReleaseConfig
from ecsp.context import Hold, StackContext
from ecsp.engine import DriftedResource, Engine, EventSink, StackInfo, StackRun, StackUpdate
from ecsp.errors import Cancelled, EngineError, StackNotFoundError
from ecsp.events import Diagnostic, Operation, OutputLine, ResourceStep
from ecsp.graph import StackSpec

# The outputs read here, as stacks.contracts names them (tests/engine/test_rollout.py keeps them in step).
SERVICE_NAME = "serviceName"
TASK_DEFINITION = "taskDefinitionArn"
SERVICE_TASK_DEFINITION = "serviceTaskDefinitionArn"
LOG_GROUP = "logGroupName"
CLUSTER = "clusterArn"
SUBNETS = {"public": "publicSubnetIds", "private": "privateSubnetIds"}
SECURITY_GROUP = "environmentSecurityGroupId"
LAST_LINES = 20  # of a failed release's log, kept in the run's diagnostics
# How the release shows in a run's progress: a step of the stack, on no resource of Pulumi's.
RELEASE_TYPE = "ecsp:release:Command"
RELEASE_NAME = "release"


def release_urn(spec: StackSpec) -> str:
    return f"urn:pulumi:{spec.stack}::{spec.pulumi_project}::{RELEASE_TYPE}::{RELEASE_NAME}"


class ReleaseFailed(EngineError):
    """A release command failed or could not run: the application's service still runs its old revision."""


def recorded(ctx: StackContext) -> dict[str, str]:
    """The stack config keys that record an application's service in each update (empty for other stacks)."""
    if ctx.stack.application is None:
        return {}
    # Written empty too: a key left out would keep the value of an earlier update (config is merged).
    return {"ecsp:running": ctx.running or "", "ecsp:hold": str(ctx.hold) if ctx.hold is not None else ""}


def running_revision(outputs: Mapping[str, Any]) -> str | None:
    """The revision an application stack's service runs, from its outputs (None: it has no service)."""
    if SERVICE_NAME not in outputs:
        return None
    value = outputs.get(SERVICE_TASK_DEFINITION) or outputs.get(TASK_DEFINITION)
    return str(value) if value else None


def revision_label(arn: str | None) -> str:
    """``shop-test-web:42`` for a task definition ARN."""
    return arn.rsplit("/", 1)[-1] if arn else "none"


@dataclass(frozen=True)
class ReleaseRun:
    """What a release needs: which stack, its command, the new revision, the environment's outputs."""

    ctx: StackContext
    release: ReleaseConfig
    task_definition: str
    log_group: str
    environment: Mapping[str, Any]
    on_event: EventSink
    stop: threading.Event


Releaser = Callable[[ReleaseRun], None]


class RolloutEngine:
    """An :class:`~ecsp.engine.Engine` that records, releases and holds application services (module docstring)."""

    def __init__(self, engine: Engine, config: ProjectConfig, *, holds: Mapping[str, Hold] | None = None,
                 releaser: Releaser | None = None) -> None:
        self.engine = engine
        self.config = config
        self.holds = dict(holds or {})
        self.releaser = releaser or run_release
        self.graph = graphs.build(config)
        self._releasing: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the same as the engine's

    @property
    def organization(self) -> str | None:
        return self.engine.organization

    def check(self) -> None:
        self.engine.check()

    def prepare(self, stacks: Sequence[StackSpec], operation: Operation) -> list[str]:
        return self.engine.prepare(stacks, operation)

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        return self.engine.outputs(stack)

    def list_stacks(self) -> list[StackInfo]:
        return self.engine.list_stacks()

    def history(self, stack: StackSpec, *, limit: int = 20) -> list[StackUpdate]:
        return self.engine.history(stack, limit=limit)

    def stack_tags(self, stack: StackSpec) -> dict[str, str]:
        return self.engine.stack_tags(stack)

    def cancel(self, stack: StackSpec) -> bool:
        return self.engine.cancel(stack)

    def release_data(self, stack: StackSpec, urns: Sequence[str] | None) -> list[str]:
        return self.engine.release_data(stack, urns)

    def drift(self, ctx: StackContext, on_event: EventSink) -> list[DriftedResource]:
        return self.engine.drift(ctx, on_event)

    def interrupt(self, stack: StackSpec) -> None:
        with self._lock:
            stop = self._releasing.get(stack.name)
        if stop is not None:
            stop.set()  # the release task is stopped; no later phase starts
        self.engine.interrupt(stack)

    # ------------------------------------------------------------------ runs

    def _has_service(self, ctx: StackContext) -> bool:
        spec = ctx.stack
        return spec.application is not None and spec.environment is not None and spec.instance is None and \
            self.config.application(spec.environment, spec.application).has(Capability.SERVICE)

    def run(self, operation: Operation, ctx: StackContext, on_event: EventSink) -> StackRun:
        if operation not in ("up", "preview") or not self._has_service(ctx):
            return self.engine.run(operation, ctx, on_event)
        hold = self.holds.get(ctx.stack.name)
        if operation == "preview":
            return self.engine.run(operation, dataclasses.replace(ctx, hold=hold), on_event)
        ctx = dataclasses.replace(ctx, running=self._running(ctx.stack))
        assert ctx.stack.environment is not None and ctx.stack.application is not None
        release = self.config.application(ctx.stack.environment, ctx.stack.application).release
        if hold is not None or release is None:
            return self.engine.run(operation, dataclasses.replace(ctx, hold=hold), on_event)
        return self._released(ctx, release, on_event)

    def _environment_of(self, spec: StackSpec) -> StackSpec:
        """The environment stack an application stack depends on."""
        return next(self.graph[d] for d in spec.depends_on if self.graph[d].kind == "environment")

    def _running(self, spec: StackSpec) -> str | None:
        try:
            return running_revision(self.engine.outputs(spec))
        except StackNotFoundError:
            return None

    def _released(self, ctx: StackContext, release: ReleaseConfig, on_event: EventSink) -> StackRun:
        name = ctx.stack.name
        stop = threading.Event()
        with self._lock:
            self._releasing[name] = stop
        try:
            first = self.engine.run("up", dataclasses.replace(ctx, hold=Hold(ctx.running, "release")), on_event)
            new = first.outputs.get(TASK_DEFINITION)
            if stop.is_set():
                raise Cancelled(f"{name}: interrupted before the release ran; the service still runs "
                                f"{revision_label(ctx.running)}")
            if new and new != ctx.running:
                environment = self.engine.outputs(self._environment_of(ctx.stack))
                run = ReleaseRun(ctx, release, str(new), str(first.outputs.get(LOG_GROUP, "")), environment, on_event,
                                 stop)
                step = functools.partial(ResourceStep, name, release_urn(ctx.stack), RELEASE_TYPE, RELEASE_NAME, "run")
                on_event(step("start"))
                try:
                    self.releaser(run)
                except BaseException:
                    on_event(step("failed"))
                    raise
                on_event(step("done"))
            else:
                on_event(Diagnostic(name, "info", f"release: not run, the service already runs "
                                                  f"{revision_label(ctx.running)}"))
            if stop.is_set():
                raise Cancelled(f"{name}: interrupted after the release ran; the service still runs "
                                f"{revision_label(ctx.running)}, `ecsp up` moves it to {revision_label(new)}")
            second = self.engine.run("up", ctx, on_event)
        finally:
            with self._lock:
                self._releasing.pop(name, None)
        return StackRun(_both(first.changes, second.changes), second.outputs)


def _both(first: Mapping[str, int], second: Mapping[str, int]) -> dict[str, int]:
    """The changes of two updates of one stack: each change once; unchanged, what the last left unchanged."""
    changed = {op: first.get(op, 0) + second.get(op, 0) for op in {*first, *second} if op != "same"}
    same = max(0, second.get("same", 0) - sum(v for op, v in first.items() if op != "same"))
    return {op: n for op, n in {**changed, "same": same}.items() if n}


# --------------------------------------------------------------------------- the release task


def run_release(run: ReleaseRun) -> None:
    """Run the release command in a one-off task of the new revision; :class:`ReleaseFailed` unless it exits 0."""
    from ecsp.aws import AwsError, Where, aws_errors, client_config, session_for
    from ecsp.ops import tasks
    from ecsp.ops.logs import LogEvent

    ctx, spec = run.ctx, run.ctx.stack
    assert spec.environment is not None and spec.application is not None
    command = shlex.join(run.release.command)
    new, old = revision_label(run.task_definition), revision_label(ctx.running)
    if ctx.local is not None:
        run.on_event(Diagnostic(spec.name, "warning", f"release `{command}` not run: the local emulator runs no "
                                                      "containers (the service still moved to the new revision)"))
        return
    settings = ctx.config.application(spec.environment, spec.application)
    target = tasks.TaskTarget(
        ctx.config.project.name, spec.environment, spec.application, str(run.environment[CLUSTER]),
        run.task_definition, spec.application, tuple(run.environment[SUBNETS[settings.placement]]),
        (str(run.environment[SECURITY_GROUP]),), settings.placement == "public", run.log_group)
    placement = ctx.placement
    where = Where(spec.environment, placement.region, placement.profile, placement.role_arn)
    serving = f"the service still runs {old}" if ctx.running else "the service is not created until it succeeds"
    try:
        with aws_errors(where):
            session = session_for(placement.region, profile=placement.profile, role_arn=placement.role_arn)
            ecs, logs = (session.client(s, config=client_config()) for s in ("ecs", "logs"))
            task = tasks.start(ecs, target, run.release.command, group=f"ecsp-release:{spec.application}")
    except AwsError as e:  # TaskStartError too: no task, or no AWS to start it in
        raise ReleaseFailed(f"{spec.name}: release `{command}` could not start: {e.message}; {serving}",
                            fix=e.fix) from e
    run.on_event(Diagnostic(spec.name, "info", f"release: task {task.id} of {new} runs `{command}`"))
    started = time.monotonic()
    follower = tasks.Follower(ecs, logs, target, task, timeout=run.release.timeout, stop=run.stop)
    last_lines: collections.deque[str] = collections.deque(maxlen=LAST_LINES)
    last = task
    with aws_errors(where):
        for item in follower:
            if isinstance(item, LogEvent):
                last_lines.append(item.message)
                run.on_event(OutputLine(spec.name, f"release | {item.message}"))
            else:
                last = item
    logs_hint = f"`ecsp logs {spec.application} --env {spec.environment} --task {task.id}`"
    if run.stop.is_set():
        raise Cancelled(f"{spec.name}: interrupted while the release ran (its task was stopped); {serving}")
    if last.succeeded:
        run.on_event(Diagnostic(spec.name, "info", f"release: `{command}` exited 0 after "
                                                   f"{time.monotonic() - started:.0f}s; the service moves to {new}"))
        return
    if last_lines:
        run.on_event(Diagnostic(spec.name, "error", f"release `{command}`, its last lines:\n" + "\n".join(last_lines),
                                urn=release_urn(spec)))
    if follower.timed_out:
        why = f"ran longer than its timeout ({run.release.timeout} s) and was stopped"
    elif not last.stopped:
        why = f"was asked to stop and has not yet ({last.status.lower()})"
    else:
        why = last.outcome()
    raise ReleaseFailed(f"{spec.name}: release `{command}` {why}; {serving} ({new} is registered, not serving)",
                        fix=f"see its logs with {logs_hint}, fix it, then `ecsp up` runs it again")


__all__ = [
    "ReleaseFailed",
    "ReleaseRun",
    "Releaser",
    "RolloutEngine",
    "recorded",
    "revision_label",
    "run_release",
    "running_revision",
]
