"""The Python API (notebooks, scripts) that the CLI is a thin shell over.

    import ecsp
    project = ecsp.load("examples/hello/ecsp.yaml")
    project.plan().stack("hello-web/test").resources
    result = project.up(env="test")          # a RunResult: renders in rich and Jupyter
    project.outputs(app="web")["hello-web/test"]["url"]

Errors raise :class:`ecsp.errors.EcspError` subclasses (a failed stack: RunFailed, with
the result; Ctrl-C: Interrupted).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecsp import context as contexts
from ecsp import graph as graphs
from ecsp import kinds, loader, naming, selection
from ecsp import previews as previewing
from ecsp.addons import Addons
from ecsp.config import ProjectConfig
from ecsp.engine import Engine
from ecsp.errors import PulumiMissingError, StackNotFoundError, UsageError
from ecsp.events import Event, Listener, Operation
from ecsp.graph import StackGraph, StackSpec
from ecsp.listing import StackListing, StackListings
from ecsp.orchestrator import DEFAULT_PARALLEL
from ecsp.planner import Plan
from ecsp.previews import Preview
from ecsp.programs import Programs
from ecsp.results import Interrupted, RunFailed, RunResult
from ecsp.rollout import RolloutEngine

if TYPE_CHECKING:
    from collections.abc import Generator

    from ecsp.context import LocalEmulator
    from ecsp.cost import CostReport
    from ecsp.diagram import Diagram
    from ecsp.drift import DriftReport
    from ecsp.ops.build import BuiltImage
    from ecsp.ops.exec import ExecReport
    from ecsp.ops.logs import LogEvent
    from ecsp.ops.pipeline import PipelineStatus
    from ecsp.ops.rollback import RollbackPlan
    from ecsp.ops.secrets import Secret
    from ecsp.ops.show import ShowReport
    from ecsp.ops.status import StatusReport
    from ecsp.ops.tasks import TaskState
    from ecsp.ops.workloads import Execution
    from ecsp.pipelines import PipelineModel
    from ecsp.progress.base import Reporter
    from ecsp.transforms import TransformFunction


def load(path: str | Path = "ecsp.yaml", *, transforms: Sequence[TransformFunction] = ()) -> Project:
    """Load and validate a project file.

    ``transforms``: functions that may change any resource of every stack (see
    :class:`ecsp.transforms.TransformArgs`), run after those ``transforms:`` in ecsp.yaml names.
    """
    file = Path(path)
    return Project(loader.load(file), file.resolve(), transforms=tuple(transforms))


def _names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Project:
    """A validated ecsp project and the folder it lives in (with the preview environments a command named)."""

    config: ProjectConfig
    path: Path
    # Preview environments in ``config`` beyond ecsp.yaml's (``with_previews``): their stacks carry their tags.
    previews: tuple[Preview, ...] = ()
    transforms: tuple[TransformFunction, ...] = ()  # the API's own, after those of ecsp.yaml

    @property
    def name(self) -> str:
        return self.config.project.name

    @property
    def root(self) -> Path:
        """The folder of ecsp.yaml: build contexts and the .ecsp/ state folder are relative to it."""
        return self.path.parent

    @functools.cached_property
    def addons(self) -> Addons:
        """The project's CloudFormation addons, read from their templates (once)."""
        from ecsp import addons

        return addons.load(self.config, self.root)

    @functools.cached_property
    def _programs(self) -> Programs:
        from ecsp import transforms

        loaded = transforms.load(self.config.transforms, self.root, self.path)
        added = tuple(transforms.Transform.of(function) for function in self.transforms)
        if not loaded and not added:
            return programs()
        return dataclasses.replace(programs(), transforms=loaded + added)

    def programs(self) -> Programs:
        """The stack programs, with the project's resource transforms (those of ecsp.yaml, then the API's)."""
        return self._programs

    def stacks(
        self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None,
        *, include_upstream: bool = True, with_pipeline: bool = False,
    ) -> StackGraph:
        """The stacks ``env``/``app`` select (all but the pipelines by default), with their upstream stacks.

        ``with_pipeline`` adds the pipeline stacks (only without ``env``/``app``: no target names them).
        """
        labels = {p.name: p.tags() for p in self.previews}
        return graphs.select(graphs.build(self.config, labels), environments=_names(env), applications=_names(app),
                             include_upstream=include_upstream, with_opt_in=with_pipeline)

    # Preview environments: made like an environment of ecsp.yaml, recorded in their stacks' tags.
    def with_previews(self, previews: Sequence[Preview]) -> Project:
        """This project with the preview environments added (each like an environment of ecsp.yaml)."""
        if not previews:
            return self
        config = previewing.with_previews(self.config, previews, source=self.path.name)
        return Project(config, self.path, (*self.previews, *previews), transforms=self.transforms)

    def find_previews(self, *, engine: Engine | None = None, local: bool = False,
                      backend: str | None = None) -> list[Preview]:
        """The preview environments the state backend holds (their environment stacks' tags), by name."""
        engine = engine or self.engine(local=local, backend=backend)
        tags = {}
        for info in engine.list_stacks():
            found = kinds.identify(self.name, info.name)
            if found is None or found[0] is not kinds.ENVIRONMENT:
                continue
            env = found[1].environment
            if env and env not in self.config.environments:
                tags[env] = engine.stack_tags(StackSpec(kinds.ENVIRONMENT.name, self.name, environment=env))
        return previewing.find(tags)

    def expired_previews(self, *, now: datetime | None = None, engine: Engine | None = None, local: bool = False,
                         backend: str | None = None) -> list[Preview]:
        """The previews past their expiry that still have deployed stacks (what ``destroy --expired`` removes)."""
        engine = engine or self.engine(local=local, backend=backend)
        moment = now or previewing.now()
        expired = [p for p in self.find_previews(engine=engine) if p.expired(moment)]
        deployed = {info.name for info in engine.list_stacks() if info.deployed}
        stacks = self.with_previews(expired).stacks(include_upstream=False)
        return [p for p in expired if any(s.name in deployed for s in stacks if s.environment == p.name)]

    def _targeting(self, env: str | Sequence[str] | None, engine: Engine, *, like: str | None = None,
                   ttl: str | int | None = None) -> Project:
        """This project with the previews ``env`` names: a new one (``like``), or those the backend holds.

        ``ttl`` gives the preview a new expiry, counted from now. Names that are neither in ecsp.yaml
        nor previews are left for the stack graph to refuse.
        """
        names = _names(env)
        if like is not None:
            if len(names) != 1:
                raise UsageError("--like makes one preview environment; give exactly one --env",
                                 fix="e.g. ecsp up --env pr-42 --like test")
            previewing.check_new(self.config, names[0], like)
            existing = self.find_previews(engine=engine)
            same = next((p for p in existing if p.name == names[0]), None)
            if same is not None and same.like != like:
                raise UsageError(f"preview {same.name} exists, like environment '{same.like}', not '{like}'",
                                 fix=f"use --like {same.like}, or destroy it first: ecsp destroy --env {same.name}")
            return self.with_previews([Preview(names[0], like, previewing.now() + previewing.ttl(ttl))])
        unknown = [n for n in names if n not in self.config.environments]
        if ttl is not None and not unknown:
            raise UsageError("--ttl sets a preview environment's expiry; the environments named are ecsp.yaml's",
                             fix="give --ttl with a preview's --env (and --like to create one)")
        if not unknown:
            return self
        found = {p.name: p for p in self.find_previews(engine=engine) if p.name in unknown}
        missing = [n for n in unknown if n not in found]
        if missing:
            raise UsageError(f"no environment named '{missing[0]}' in ecsp.yaml, nor a preview environment of that "
                             "name in the state backend",
                             fix=f"use one of: {', '.join(self.config.environments)}; or create a preview: "
                             f"ecsp up --env {missing[0]} --like {next(iter(self.config.environments))}")
        chosen = list(found.values())
        if ttl is not None:
            expires = previewing.now() + previewing.ttl(ttl)
            chosen = [Preview(p.name, p.like, expires) for p in chosen]
        return self.with_previews(chosen)

    def plan(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
             with_pipeline: bool = False, cache: bool = True) -> Plan:
        """Evaluate the selected stacks' programs offline, under Pulumi's mocks.

        The stacks ``env``/``app`` select come with the upstream stacks whose outputs they read,
        marked ``upstream``. ``cache``: read back each stack whose code, settings and upstream
        outputs did not change since it was last planned (``.ecsp/plans``); False plans every
        stack again (and keeps the fresh plans).
        """
        from ecsp import planner
        from ecsp.plancache import PlanCache

        whole = graphs.build(self.config)
        environments, applications = _names(env), _names(app)
        selection = graphs.select(whole, environments=environments, applications=applications,
                                  with_opt_in=with_pipeline)
        targets = graphs.select(whole, environments=environments, applications=applications, include_upstream=False,
                                with_opt_in=with_pipeline).names() if environments or applications else None
        plan = planner.plan(self.config, self.programs(), selection, cache=PlanCache(self.root, read=cache),
                            targets=targets, addons=self.addons)
        # Names a deployed stack keeps (deployed before ecsp marked its names), where its state is a file.
        from ecsp.engine.workspace import Workspaces
        from ecsp.kept_names import kept_name_notes

        state = Workspaces(self.root, self.config)
        for stack in plan.stacks:
            deployed = state.file_resources(stack.spec.name)
            if deployed:
                stack.notes += kept_name_notes(stack, deployed)
        return plan

    def diagram(self, env: str | None = None) -> Diagram:
        """The architecture diagram of environment ``env``, or of the project without it, from the offline plan.

        Renders itself in notebooks (SVG, or Mermaid without Graphviz); ``.render("png")``, ``.mermaid()``.
        """
        from ecsp import diagram

        return diagram.draw(self.config, self.plan(env, with_pipeline=env is None and bool(self.config.pipelines)),
                            env)

    def cost(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
             assume: dict[str, float] | None = None) -> CostReport:
        """The monthly cost estimate of the selected stacks (all by default), from the offline plan and the
        pinned price table; ``assume`` overrides usage assumptions by name. ``other.cost().diff(...)`` compares."""
        from ecsp import cost

        if env or app:
            only = set(self.stacks(env, app, include_upstream=False).names())
            return cost.estimate_plan(self.config, self.plan(env, app), assume, only=only)
        return cost.estimate_plan(self.config, self.plan(with_pipeline=bool(self.config.pipelines)), assume)

    # Release pipelines: the model, and their live state read with boto3.
    def pipelines(self) -> list[PipelineModel]:
        """Every pipeline of ecsp.yaml as ecsp builds it: source, stages and each stage's buildspec."""
        from ecsp import pipelines

        return [pipelines.model(self.config, name) for name in self.config.pipelines]

    def pipeline(self, name: str) -> PipelineModel:
        """One pipeline's model (UsageError when ecsp.yaml has no such pipeline)."""
        from ecsp import pipelines

        return pipelines.model(self.config, pipelines.check_name(self.config, name))

    def pipeline_status(self, name: str, *, executions: int = 5,
                        local: bool | LocalEmulator = False) -> PipelineStatus:
        """The pipeline's live state: each stage's latest run, the last executions, who approved."""
        from ecsp import pipelines
        from ecsp.ops import open_sessions
        from ecsp.ops import pipeline as ops

        name = pipelines.check_name(self.config, name)
        with open_sessions(self.config, self.root, local) as sessions:
            client = ops.client_for(self.config, sessions.local)
            return ops.status(self.config, client, name, executions=executions, local=sessions.local is not None)

    # Live state. ``local=True`` reads the local emulator (started for the call);
    # pass a running ecsp.context.LocalEmulator to reuse one. AWS errors of one environment
    # are reported in the result's ``problems`` (``raise_for_problems()`` raises them).
    def status(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
               local: bool | LocalEmulator = False, events: int = 3) -> StatusReport:
        """Each application's live state in each environment: tasks, rollout, targets, events, URL."""
        from ecsp.ops import open_sessions, status

        with open_sessions(self.config, self.root, local) as sessions:
            return status.status(self.config, sessions, environments=_names(env), applications=_names(app),
                                 events=events)

    def logs(self, app: str, env: str, *, since: str = "1h", follow: bool = False, filter: str | None = None,
             start: str | datetime | None = None, end: str | datetime | None = None, container: str | None = None,
             tasks: Sequence[str] = (), local: bool | LocalEmulator = False) -> Generator[LogEvent, None, None]:
        """The application's log events (oldest first); with ``follow`` new ones forever (close() to stop).

        ``start``/``end`` (datetimes, ISO 8601 times or durations ago) replace ``since``;
        ``container`` and ``tasks`` (ids or their first characters) narrow the streams read.
        """
        from ecsp.ops import logs

        return logs.events(self.config, self.root, app, env, since=since, start=start, end=end, follow=follow,
                           filter_pattern=filter, container=container, tasks=tasks, local=local)

    def last_stopped_task(self, app: str, env: str, *, local: bool | LocalEmulator = False) -> TaskState:
        """The application's task that stopped last, with why (ECS lists stopped tasks for about an hour)."""
        from ecsp.ops import open_sessions, tasks

        with open_sessions(self.config, self.root, local) as sessions:
            return tasks.last_stopped(self.config, sessions, env, app)

    def run_task(self, app: str, env: str, command: Sequence[str], *, image: str | None = None, build: bool = False,
                 follow: bool = True, local: bool | LocalEmulator = False, poll: float | None = None,
                 ) -> Generator[BuiltImage | TaskState | LogEvent, None, None]:
        """Run ``command`` once in a task of ``app`` in ``env``: its task definition (or ``image``), subnets,
        security groups and roles, the container's command replaced.

        ``build``: build the application's Dockerfile from this working tree with the local
        ``docker`` and push it to the project's ECR first (yielded as a ``BuiltImage``), unless
        that content is there already. Yields the started task, then (``follow``) its log lines
        and status changes, and last the stopped task, whose ``exit_code`` is the container's.
        Names are checked now, AWS is read (and the image built) while iterating.
        """
        from ecsp.errors import UsageError
        from ecsp.ops import build as builds
        from ecsp.ops import check_names, open_sessions, tasks

        check_names(self.config, [env], [app])
        if build and image is not None:
            raise UsageError("run either a built image or --image, not both", fix="drop --build or --image")
        if build:
            builds.check_buildable(self.config.application(env, app), app)

        def generate() -> Generator[BuiltImage | TaskState | LogEvent, None, None]:
            chosen = image
            if build:
                built = builds.for_task(self.config, self.root, env, app)
                chosen = built.uri
                yield built
            with open_sessions(self.config, self.root, local) as sessions:
                yield from tasks.run(self.config, sessions, env, app, command, image=chosen, follow=follow, poll=poll)

        return generate()

    def run_job(self, app: str, env: str, *, follow: bool = True, local: bool | LocalEmulator = False,
                poll: float = 2.0) -> Generator[Execution | LogEvent, None, None]:
        """Start a run of job ``app`` now: yields the started Execution, its log events, then the finished Execution.

        Names are checked now; AWS is read while iterating (``follow=False``: only the start).
        """
        from ecsp.ops import check_names, open_sessions, workloads

        check_names(self.config, [env], [app])

        def generate() -> Generator[Execution | LogEvent, None, None]:
            with open_sessions(self.config, self.root, local) as sessions:
                yield from workloads.run(self.config, sessions, env, app, follow=follow, poll=poll)

        return generate()

    def exec_report(self, app: str, env: str, *, task: str | None = None, container: str | None = None,
                    ) -> ExecReport:
        """The running container ``ecsp exec`` opens a session into (the newest task, or the one whose id starts
        with ``task``), and each thing ECS Exec needs, checked (``report.checks``)."""
        from ecsp.ops import exec as ops
        from ecsp.ops import open_sessions

        with open_sessions(self.config, self.root) as sessions:
            connection, cluster, service = ops.application(self.config, sessions, env, app)
            return ops.prepare(connection, cluster=cluster, service=service, task=task, container=container,
                               default_container=naming.AppNames(self.name, env, app).container)

    def exec(self, app: str, env: str, command: Sequence[str] = (), *, task: str | None = None,
             container: str | None = None, skip_checks: bool = False) -> int:
        """An interactive ECS Exec session in this terminal (``command``: a shell when empty); the plugin's status.

        Raises ``ExecError`` naming what would make the session fail (see ``exec_report``)
        unless ``skip_checks``. The remote command's exit status does not come back.
        """
        from ecsp.ops import exec as ops
        from ecsp.ops import open_sessions

        with open_sessions(self.config, self.root) as sessions:
            connection, cluster, service = ops.application(self.config, sessions, env, app)
            report = ops.prepare(connection, cluster=cluster, service=service, task=task, container=container,
                                 default_container=naming.AppNames(self.name, env, app).container)
            if not skip_checks:
                ops.raise_for(report)
            return ops.connect(report, command)

    # Secrets of an environment (SSM SecureString parameters or Secrets Manager secrets, tagged
    # for the project); applications use them by reference under `secrets:`.
    def set_secret(self, name: str, env: str, value: str, *, secretsmanager: bool = False,
                   local: bool | LocalEmulator = False) -> Secret:
        """Create or update secret ``name`` of ``env`` (``value`` goes to AWS only); what to reference it by."""
        from ecsp.ops import open_sessions, secrets

        secrets.check_name(name)
        with open_sessions(self.config, self.root, local, record=True) as sessions:
            return secrets.put(self.config, sessions, env, name, value,
                               store="secretsmanager" if secretsmanager else "ssm")

    def secrets(self, env: str | Sequence[str] | None = None, *, local: bool | LocalEmulator = False) -> list[Secret]:
        """The ecsp secrets of the environments (all by default), and which applications use each."""
        from ecsp.ops import open_sessions, secrets

        with open_sessions(self.config, self.root, local) as sessions:
            return secrets.listing(self.config, sessions, _names(env))

    def remove_secret(self, name: str, env: str, *, force: bool = False, local: bool | LocalEmulator = False,
                      confirm: Callable[[list[Secret]], None] | None = None) -> list[Secret]:
        """Delete secret ``name`` of ``env``; refuses while an application lists it, unless ``force``.

        ``confirm`` gets what would be deleted before anything is, and may raise to stop.
        """
        from ecsp.ops import open_sessions, secrets

        with open_sessions(self.config, self.root, local, record=True) as sessions:
            return secrets.remove(self.config, sessions, env, name, force=force, confirm=confirm)

    # Rollback: back to a task definition revision the service ran, from its stack's update history.
    def rollback_plan(self, app: str, env: str, *, to: str | None = None, local: bool | LocalEmulator = False,
                      backend: str | None = None) -> RollbackPlan:
        """What ``rollback`` would do: the revision now, the one to go back to (``to``: its number, or the
        previous one), the revisions of the history, and how the two differ."""
        from ecsp.ops import check_names, open_sessions
        from ecsp.ops import rollback as ops

        check_names(self.config, [env], [app])
        engine = self.engine(local=bool(local), backend=backend)
        with open_sessions(self.config, self.root, local) as sessions:
            spec = next(s for s in self.stacks(env, app, include_upstream=False) if s.application == app)
            return ops.plan(self.config, engine, sessions, spec, to=to)

    def rollback(self, plan: RollbackPlan, *, preview: bool = False, progress: bool | str = True,
                 reporter: Reporter | None = None, listener: Listener | None = None,
                 local: contexts.LocalEmulator | None = None, backend: str | None = None, check: bool = True,
                 engine: Engine | None = None) -> RunResult:
        """Move the service to ``plan.target`` (``preview``: only show what would change): an ``up`` of that one
        stack with the service held on the revision. The next ``up`` of the application deploys ecsp.yaml again."""
        base = engine or self.engine(local=local, backend=backend)
        holds = {plan.stack: contexts.Hold(plan.target.revision, "rollback")}
        return self.run("preview" if preview else "up", plan.environment, plan.application, progress=progress,
                        reporter=reporter, listener=listener, local=local, check=check,
                        engine=RolloutEngine(base, self.config, holds=holds))

    def show(self, *, local: bool | LocalEmulator = False) -> ShowReport:
        """The project at a glance: environments (region, account, URL base) and where each application runs."""
        from ecsp.ops import open_sessions, show

        with open_sessions(self.config, self.root, local) as sessions:
            return show.show(self.config, sessions)

    # Deploy. Every verb takes targets like the CLI (env/app: a name or a list),
    # shows progress (``progress``: True = live in a terminal or notebook with widgets, plain
    # otherwise; or a mode name "live", "plain", "json"; False = none) unless events go to
    # your own ``listener`` (an ecsp.events.Listener),
    # returns a RunResult and, with ``check`` (the default), raises RunFailed when a stack
    # failed, or Interrupted after Ctrl-C; the exception carries the result. ``engine`` reuses one
    # from ``engine()`` (default: a new Automation API engine per call).
    def up(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
           parallel: int = DEFAULT_PARALLEL, progress: bool | str = True, listener: Listener | None = None,
           local: contexts.LocalEmulator | None = None, backend: str | None = None,
           with_upstream: bool = False, check: bool = True, engine: Engine | None = None,
           with_pipeline: bool = False, deploy_role: str | None = None, like: str | None = None,
           ttl: str | int | None = None, allow_empty_passphrase: bool = False, delete_data: str | None = None,
           policy_packs: Sequence[str | Path] = (), check_names: bool = True) -> RunResult:
        """Create or update the selected stacks, in dependency order.

        ``up(app="web")`` deploys web's stacks and any upstream stack (environment, project)
        that has never been deployed; upstream stacks that exist are read as they are
        (through StackReference) unless ``with_upstream`` re-runs them too. ``with_pipeline``
        adds the pipeline stacks (a run without targets only). ``deploy_role``: deploy the
        environments' stacks through this IAM role instead of their profile/role_arn (what a
        pipeline's build does, from its own credentials). ``allow_empty_passphrase``: with the passphrase
        secrets provider and no ``PULUMI_CONFIG_PASSPHRASE``, create stacks whose secrets use the empty
        passphrase (refused otherwise, with :class:`~ecsp.errors.EmptyPassphraseError`). A change that
        would replace data is refused (``DataLossRefused``, the stack fails) unless ``delete_data`` is the
        project's name: then replaced data, and data ecsp.yaml no longer lists, is deleted (ecsp.data_safety).
        ``policy_packs``: Pulumi policy pack folders that judge every resource, after those of
        ``policy_packs:`` in ecsp.yaml; a mandatory policy's violation fails its stack.

        ``like``: ``env`` is a new preview environment made like that environment of ecsp.yaml, which
        expires after ``ttl`` (``"3d"`` by default; ``ttl`` alone renews an existing preview's expiry).

        Before any stack starts, every resource the run would create by name is looked up in AWS
        (:meth:`check_names`): one that exists outside ecsp's stacks stops the run; ``check_names=False``
        skips the look-up.
        """
        return self.run("up", env, app, parallel=parallel, progress=progress, listener=listener, local=local,
                         backend=backend, with_upstream=with_upstream, check=check, engine=engine,
                         with_pipeline=with_pipeline, deploy_role=deploy_role, like=like, ttl=ttl,
                         allow_empty_passphrase=allow_empty_passphrase, delete_data=delete_data,
                         policy_packs=policy_packs, check_names=check_names)

    def preview(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
                parallel: int = DEFAULT_PARALLEL, progress: bool | str = True, listener: Listener | None = None,
                local: contexts.LocalEmulator | None = None, backend: str | None = None,
                with_upstream: bool = False, check: bool = True, engine: Engine | None = None,
                with_pipeline: bool = False, deploy_role: str | None = None, like: str | None = None,
                allow_empty_passphrase: bool = False, policy_packs: Sequence[str | Path] = (),
                check_names: bool = True) -> RunResult:
        """What ``up`` would change; each stack's ``steps`` list the resources and the properties that differ.

        A stack whose upstream stack was never deployed is skipped (its program reads the
        upstream outputs, which do not exist yet); ``plan()`` shows its resources offline.
        ``policy_packs``: as for ``up``.
        """
        return self.run("preview", env, app, parallel=parallel, progress=progress, listener=listener, local=local,
                         backend=backend, with_upstream=with_upstream, check=check, engine=engine,
                         with_pipeline=with_pipeline, deploy_role=deploy_role, like=like,
                         allow_empty_passphrase=allow_empty_passphrase, policy_packs=policy_packs,
                         check_names=check_names)

    def refresh(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
                parallel: int = DEFAULT_PARALLEL, progress: bool | str = True, listener: Listener | None = None,
                local: contexts.LocalEmulator | None = None, backend: str | None = None,
                check: bool = True, engine: Engine | None = None, with_pipeline: bool = False) -> RunResult:
        """Read the real state of the selected stacks' resources into Pulumi's state."""
        return self.run("refresh", env, app, parallel=parallel, progress=progress, listener=listener, local=local,
                         backend=backend, with_upstream=False, check=check, engine=engine,
                         with_pipeline=with_pipeline)

    def destroy(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
                parallel: int = DEFAULT_PARALLEL, progress: bool | str = True, listener: Listener | None = None,
                local: contexts.LocalEmulator | None = None, backend: str | None = None,
                check: bool = True, engine: Engine | None = None, with_pipeline: bool = False,
                deploy_role: str | None = None, expired: bool = False, now: datetime | None = None,
                delete_data: str | None = None) -> RunResult:
        """Delete the selected stacks' resources, dependents first. Never touches upstream stacks.

        Data (databases, caches, buckets, tables, file systems, addon stacks) is kept in AWS
        unless ``delete_data`` is the project's name. Refuses (UsageError) to destroy an
        environment while an application stack outside the selection is still deployed in it,
        the project stack while any other stack is, or an environment whose VPC would keep a
        database or cache. ``env`` may name preview environments; ``expired`` selects every
        preview past its expiry (at ``now``) instead of ``env``.
        """
        if expired:
            if env or app or with_pipeline:
                raise UsageError("--expired selects the expired preview environments; it takes no --env, --app or "
                                 "--with-pipeline", fix="ecsp destroy --expired")
            engine = engine or self.engine(local=local, backend=backend)
            env = [p.name for p in self.expired_previews(now=now, engine=engine)]
            if not env:
                return RunResult("destroy", [])
        return self.run("destroy", env, app, parallel=parallel, progress=progress, listener=listener, local=local,
                         backend=backend, with_upstream=False, check=check, engine=engine,
                         with_pipeline=with_pipeline, deploy_role=deploy_role, delete_data=delete_data)

    def drift(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
              parallel: int = DEFAULT_PARALLEL, backend: str | None = None, engine: Engine | None = None,
              with_pipeline: bool = False, listener: Listener | None = None) -> DriftReport:
        """What was changed or deleted outside ecsp in the selected deployed stacks (a refresh preview of each,
        ``parallel`` at once; nothing is written). ``report.drifted`` lists the stacks that drifted."""
        from ecsp import drift

        engine = engine or self.engine(backend=backend)
        engine.check()
        graph = self.stacks(env, app, include_upstream=False, with_pipeline=with_pipeline)

        def context(spec: StackSpec) -> contexts.StackContext:
            return self.context(spec, organization=engine.organization)

        return drift.detect(engine, graph.order(), context, parallel=parallel, listener=listener)

    def destroy_targets(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
                        local: bool = False, backend: str | None = None, with_pipeline: bool = False,
                        expired: bool = False, now: datetime | None = None, delete_data: bool = False) -> list[str]:
        """The deployed stacks ``destroy`` would delete, dependents first (for a confirmation prompt).

        Raises the same UsageError ``destroy`` would when it must refuse.
        """
        engine = self.engine(local=local, backend=backend)
        if expired:
            env = [p.name for p in self.expired_previews(now=now, engine=engine)]
            if not env:
                return []
        project = self._targeting(env, engine)
        graph = project.stacks(env, app, include_upstream=False, with_pipeline=with_pipeline)
        existing = engine.list_stacks()
        selection.refuse_destroy(project, graph, existing, delete_data=delete_data)
        deployed = {info.name for info in existing if info.deployed}
        return [spec.name for spec in graph.order(reverse=True) if spec.name in deployed]

    def outputs(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
                stack: str | Sequence[str] | None = None, local: bool = False,
                backend: str | None = None) -> dict[str, dict[str, Any]]:
        """The outputs of the selected deployed stacks, by stack name (secret values wrapped in ``Secret``).

        ``local=True`` reads the stacks ``--local`` runs deployed to the emulator.
        """
        engine = self.engine(local=local, backend=backend)
        chosen = self._targeting(env, engine)._chosen(env, app, stack)
        deployed = {info.name for info in engine.list_stacks() if info.deployed}
        found = {spec.name: engine.outputs(spec) for spec in chosen if spec.name in deployed}
        if not found and chosen:
            names = ", ".join(spec.name for spec in chosen[:3]) + (" ..." if len(chosen) > 3 else "")
            raise StackNotFoundError(f"none of the selected stacks is deployed ({names})",
                                     fix="run `ecsp up` first, or check the backend (--backend / state.backend)")
        return found

    def ls(self, *, local: bool = False, backend: str | None = None) -> StackListings:
        """Every stack of the project, deployed or not, plus stacks in the backend no longer in ecsp.yaml.

        A list of :class:`StackListing`, which a notebook shows as the table ``ecsp ls`` prints."""
        engine = self.engine(local=local, backend=backend)
        known = {info.name: info for info in engine.list_stacks()}
        rows = [StackListing(spec.name, spec.kind, spec.environment, spec.application, known.get(spec.name))
                for spec in self.stacks(with_pipeline=True).order()]
        names = {row.stack for row in rows}
        previews = {p.name: p for p in self.find_previews(engine=engine)}
        moment = previewing.now()
        for name, info in sorted(known.items()):
            if name in names or not selection.belongs_to(name, self.name):
                continue
            found = kinds.identify(self.name, name)
            preview = previews.get(found[1].environment or "") if found else None
            if found is not None and preview is not None:
                rows.append(StackListing(name, found[0].name, found[1].environment, found[1].application, info,
                                         in_config=False, preview=preview, now=moment))
            else:
                rows.append(StackListing(name, "unknown", None, None, info, in_config=False))
        return StackListings(self.name, rows)

    def cancel(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
               stack: str | Sequence[str] | None = None, local: bool = False,
               backend: str | None = None) -> dict[str, bool]:
        """Release the locks of the selected stacks (``pulumi cancel``): stack name -> True if cancelled.

        Only for an update that is no longer running (a crash, a killed terminal): cancelling
        a live update can leave its resources half-changed.
        """
        engine = self.engine(local=local, backend=backend)
        existing = {info.name for info in engine.list_stacks()}
        return {spec.name: engine.cancel(spec) for spec in self._chosen(env, app, stack) if spec.name in existing}

    def engine(self, *, local: contexts.LocalEmulator | bool | None = None, backend: str | None = None,
               allow_empty_passphrase: bool = False, policy_packs: Sequence[str] = ()) -> Engine:
        """The engine that runs this project's stacks (the Automation API; tests swap ENGINE_FACTORY).

        ``local``: the emulator to deploy to, or True for local-mode state only (read-only verbs).
        ``policy_packs``: policy pack folders (absolute) that judge ``up`` and ``preview``.
        """
        # Only the options asked for reach the factory (a test's fake engine takes the ones it knows).
        options: dict[str, Any] = {}
        if allow_empty_passphrase:
            options["allow_empty_passphrase"] = True
        if policy_packs:
            options["policy_packs"] = list(policy_packs)
        return ENGINE_FACTORY(self, local=local, backend=backend, **options)

    def policy_packs(self, given: Sequence[str | Path] = ()) -> list[str]:
        """The policy pack folders of ``policy_packs:`` in ecsp.yaml (relative to it), then ``given`` (relative
        to the working directory), as absolute paths; ConfigError or UsageError for one that is not there."""
        from ecsp.errors import ConfigError
        from ecsp.loader import problem_at

        problems = [problem_at(self.path, ("policy_packs", i), f"{folder} is not a folder next to {self.path.name}; "
                               "give a policy pack's folder (with PulumiPolicy.yaml)")
                    for i, folder in enumerate(self.config.policy_packs) if not (self.root / folder).exists()]
        if problems:
            raise ConfigError(problems)
        for folder in given:
            if not Path(folder).exists():
                raise UsageError(f"policy pack {folder} does not exist",
                                 fix="give a policy pack's folder (with PulumiPolicy.yaml): --policy-pack policies/")
        found = [str((self.root / folder).resolve()) for folder in self.config.policy_packs]
        return list(dict.fromkeys([*found, *(str(Path(folder).resolve()) for folder in given)]))

    def _chosen(self, env: str | Sequence[str] | None, app: str | Sequence[str] | None,
                stack: str | Sequence[str] | None) -> list[StackSpec]:
        wanted = _names(stack)
        # A stack named with --stack may be a pipeline's, which no --env/--app selects.
        graph = self.stacks(env, app, include_upstream=False, with_pipeline=bool(wanted) and not env and not app)
        if not wanted:
            return graph.order()
        known = self.stacks(with_pipeline=True).names()
        for name in wanted:
            if name not in known:
                raise UsageError(f"no stack named '{name}' in project {self.name}",
                                 fix="use one of: " + ", ".join(known))
        return [spec for spec in graph.order() if spec.name in wanted]

    def context(self, spec: StackSpec, *, organization: str | None = None,
                local: contexts.LocalEmulator | None = None, deploy_role: str | None = None) -> contexts.StackContext:
        """What ``spec``'s program receives, with the values only the edge can compute (image tags)."""
        from ecsp import images

        tag = None
        if spec.environment and spec.application:  # a stack that runs the application's image
            tag = images.build_tag(self.root, self.config.application(spec.environment, spec.application))
        return contexts.StackContext(config=self.config, stack=spec, organization=organization, local=local,
                                     project_root=str(self.root), image_tag=tag, deploy_role=deploy_role,
                                     addons=self.addons if self.config.has_storage(spec.environment or "") else {})

    def check_names(self, env: str | Sequence[str] | None = None, app: str | Sequence[str] | None = None, *,
                    stacks: Sequence[str] | None = None, local: contexts.LocalEmulator | None = None,
                    with_pipeline: bool = False) -> None:
        """Raise :class:`ecsp.preflight.NameTakenError` when a resource the selected stacks (or ``stacks``) would
        create by name already exists outside ecsp's stacks: Copilot's, say. Reads AWS with boto3.

        The names come from :meth:`plan` (transforms applied), so the plans are kept: a stack that did not
        change is read back, and the run's display counts each stack against its plan from the first ``up``.
        """
        from ecsp import preflight

        preflight.check(self.plan(env, app, with_pipeline=with_pipeline), stacks, local=local)

    def run(self, operation: Operation, env: str | Sequence[str] | None = None,
            app: str | Sequence[str] | None = None, *, parallel: int = DEFAULT_PARALLEL,
            progress: bool | str = True, reporter: Reporter | None = None, listener: Listener | None = None,
            local: contexts.LocalEmulator | None = None, backend: str | None = None, with_upstream: bool = False,
            check: bool = True, engine: Engine | None = None, with_pipeline: bool = False,
            deploy_role: str | None = None, like: str | None = None, ttl: str | int | None = None,
            allow_empty_passphrase: bool = False, delete_data: str | None = None, follow: bool = True,
            policy_packs: Sequence[str | Path] = (), check_names: bool = True) -> RunResult:
        """Run ``operation`` ("up", "preview", "refresh" or "destroy") on the selected stacks; see those methods.

        ``follow`` (up, not local): each application stack ends when its service's ECS deployment does
        (completed; rolled back or failed fails the stack), reported as it goes (:mod:`ecsp.service_deployments`).

        ``reporter``: a progress reporter of your own (``ecsp.progress.reporter(mode, operation=...)``, say
        with your console), which the run enters, feeds and finishes in place of the one ``progress`` picks.
        Unknown targets, then a missing pulumi CLI, raise before any display starts, and so does a resource
        ``up`` or ``preview`` would create by name that already exists outside ecsp's stacks
        (:meth:`check_names`; ``check_names`` False skips that look-up, and so does a run through a
        pipeline's ``deploy_role``).
        """
        from ecsp import orchestrator
        from ecsp import progress as displays
        from ecsp.data_safety import DataGuard

        if delete_data is not None and delete_data != self.name:
            raise UsageError(f"delete_data={delete_data!r} is not this project's name: no data was deleted",
                             fix=f"pass delete_data={self.name!r} to delete the data of the selected stacks")
        unknown = self.unknown_environments(env, app, with_pipeline=with_pipeline)  # before pulumi is looked for
        if engine is None:
            judged = operation in ("up", "preview")  # the engine runs policy packs on these only
            engine = self.engine(local=local, backend=backend, allow_empty_passphrase=allow_empty_passphrase,
                                 policy_packs=self.policy_packs(policy_packs) if judged else ())
        try:
            engine.check()
        except PulumiMissingError:
            if unknown and like is None:  # most likely a typo: say that first
                raise unknown_environment(self.config, unknown[0]) from None
            raise
        if like is not None and operation not in ("up", "preview"):
            raise UsageError(f"--like makes a preview environment; {operation} takes an existing one",
                             fix=f"ecsp {operation} --env NAME")
        project = self._targeting(env, engine, like=like, ttl=ttl)
        if operation in ("up", "preview") and not isinstance(engine, RolloutEngine):
            # Application services: what each update replaced is recorded, and release commands run (ecsp.rollout).
            engine = RolloutEngine(engine, project.config)
        if follow and operation == "up" and local is None:
            # After the rollout's update(s): each service's ECS deployment, to its end.
            engine = _following(project, engine)
        graph, skip = selection.select(project, engine, operation, env, app, with_upstream, with_pipeline,
                                       delete_data=delete_data is not None)
        if operation in ("up", "preview") and check_names and deploy_role is None:
            NAME_CHECK(project, env, app, [s.name for s in graph if s.name not in skip], local, with_pipeline)

        def context(spec: StackSpec) -> contexts.StackContext:
            return project.context(spec, organization=engine.organization, local=local, deploy_role=deploy_role)

        if reporter is None:
            # Your own listener replaces the display; progress=False turns it off.
            mode = "none" if listener is not None or progress is False else "auto" if progress is True else progress
            reporter = displays.reporter(mode, operation=operation, project=self.name)  # type: ignore[arg-type]
        if operation in ("up", "preview"):
            reporter.model.expect(project._planned_counts(env, app, with_pipeline))
        sink: Listener = reporter if listener is None else _Both(reporter, listener)
        with reporter:
            guard = DataGuard(engine, project.config, delete_data=delete_data is not None)
            result = orchestrator.run(graph, operation, engine, context, parallel=parallel, listener=sink, skip=skip,
                                      runner=guard)
            reporter.finish(result)
        if check and result.interrupted:
            raise Interrupted(result)
        if check and result.failed:  # stacks skipped for a reason other than a failure are not errors
            raise RunFailed(result)
        return result

    def unknown_environments(self, env: str | Sequence[str] | None, app: str | Sequence[str] | None = None, *,
                             with_pipeline: bool = False) -> list[str]:
        """The environments of ``env`` ecsp.yaml does not name (previews, or typos); raises for an unknown application.

        Checked before pulumi is looked for: an application is always ecsp.yaml's, but an environment
        may be a preview, which only the state backend knows.
        """
        names = _names(env)
        known = [name for name in names if name in self.config.environments]
        self.stacks(known or None, app, with_pipeline=with_pipeline)
        return [name for name in names if name not in self.config.environments]

    def _planned_counts(self, env: str | Sequence[str] | None, app: str | Sequence[str] | None,
                        with_pipeline: bool) -> dict[str, int]:
        """Each stack's number of resources as its last ``plan`` says, while that plan holds (see
        :func:`ecsp.planner.kept_resource_counts`): the display's totals. Plans nothing."""
        from ecsp import planner
        from ecsp.plancache import PlanCache

        whole = self.stacks(env, app, include_upstream=True, with_pipeline=with_pipeline)
        return planner.kept_resource_counts(self.config, self.programs(), whole, PlanCache(self.root),
                                            addons=self.addons)

    def _repr_pretty_(self, p: object, cycle: bool) -> None:  # IPython
        p.text(f"<ecsp project {self.name}: {len(self.config.environments)} environments, "  # type: ignore[attr-defined]
               f"{len(self.config.applications)} applications>")


@dataclass(frozen=True)
class _Both:
    """A listener that hands each event to the display, then to the caller's own listener."""

    display: Listener
    listener: Listener

    def __call__(self, event: Event) -> None:
        self.display(event)
        self.listener(event)


def unknown_environment(config: ProjectConfig, name: str) -> UsageError:
    """The error for ``--env name`` that ecsp.yaml does not name when the pulumi CLI, which would look
    for a preview environment of that name in the state backend, is missing."""
    return UsageError(f"no environment named '{name}' in ecsp.yaml",
                      fix=f"use one of: {', '.join(config.environments)} (a preview environment of that name is "
                      "looked up in the state backend, which needs the pulumi CLI: `ecsp install-pulumi`)")


def _following(project: Project, engine: Engine) -> Engine:
    """``engine``, its application stacks' ``up`` followed to the end of their ECS deployments."""
    from ecsp.service_deployments import FollowingEngine

    @functools.cache
    def sessions() -> Any:
        from ecsp.aws import Sessions  # boto3: loaded when a deployment is followed, not on every up

        return Sessions(project.config)

    def ecs_for(spec: StackSpec) -> Any:
        assert spec.environment is not None
        return sessions().client(spec.environment, "ecs")

    return FollowingEngine(engine, ecs_for)


def programs() -> Programs:
    """The stack programs (the composition root: only here does the driver meet :mod:`stacks`)."""
    from stacks import PROGRAMS

    return PROGRAMS


def _automation_engine(project: Project, *, local: contexts.LocalEmulator | bool | None,
                       backend: str | None, allow_empty_passphrase: bool = False,
                       policy_packs: Sequence[str] = ()) -> Engine:
    from ecsp.engine.automation import AutomationEngine

    return AutomationEngine(project.root, project.config, project.programs(), backend=backend, local=local,
                            allow_empty_passphrase=allow_empty_passphrase, policy_packs=policy_packs)


# Builds the engine for a project; tests and the benchmark replace it with a fake.
ENGINE_FACTORY: Callable[..., Engine] = _automation_engine


def _check_names(project: Project, env: str | Sequence[str] | None, app: str | Sequence[str] | None,
                 stacks: Sequence[str], local: contexts.LocalEmulator | None, with_pipeline: bool) -> None:
    project.check_names(env, app, stacks=stacks, local=local, with_pipeline=with_pipeline)


# What `up` and `preview` check before anything starts (tests that fake the engine swap it, as ENGINE_FACTORY).
NAME_CHECK: Callable[..., None] = _check_names
