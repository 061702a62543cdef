"""The kinds of stack ecsp manages, one record each, and the one place that knows them.

A :class:`StackKind` says which stacks of its kind a project has (its instances), which
stacks each one reads from (its upstream edges), where it runs (region, account, profile,
role), which ``--env``/``--app`` targets select it, what its Pulumi project and stack are
called (through :mod:`ecsp.naming`) and the tags its stacks carry. The stack graph, the
engine's stack config, the planner, the programs' AWS providers, the stack context and the
destroy check read these records and never name a kind themselves: a new kind is one record
in :data:`KINDS` plus its program in the bundle :mod:`stacks` hands to the driver (and its label
in :data:`ecsp.naming.KIND_LABELS`, which the config reads to refuse an application of that name).

:data:`KINDS` is ordered: the graph lists stacks kind by kind in this order, and a kind may
only depend on kinds before it or on stacks of its own kind (a worker on its publishers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecsp import naming

if TYPE_CHECKING:
    from ecsp.config import ProjectConfig

PROJECT_TAG = "ecsp:project"
ENVIRONMENT_TAG = "ecsp:environment"
APPLICATION_TAG = "ecsp:application"


@dataclass(frozen=True)
class Scope:
    """What one stack of a kind is for: an environment, an application in it, or a named instance."""

    environment: str | None = None
    application: str | None = None
    instance: str | None = None


@dataclass(frozen=True)
class Placement:
    """Where a stack runs: the AWS region and account of its provider, and the credentials to reach it."""

    region: str
    account: str | None = None
    profile: str | None = None
    role_arn: str | None = None


@dataclass(frozen=True)
class Targets:
    """The ``--env`` and ``--app`` names a command was given (empty: not narrowed that way)."""

    environments: tuple[str, ...] = ()
    applications: tuple[str, ...] = ()


# An upstream edge: the kind of the stack depended on, and its scope.
Edge = tuple[str, Scope]


@dataclass(frozen=True)
class StackKind:
    """One kind of stack: its instances, edges, placement, selection, names and tags."""

    name: str
    # The Pulumi project is <project>-<label>; None: one Pulumi project per application, named after it.
    label: str | None
    # True: one Pulumi stack per environment, named after it; False: named after the instance (or `global`).
    per_environment: bool
    instances: Callable[[ProjectConfig], Iterable[Scope]]
    upstream: Callable[[ProjectConfig, Scope], Iterable[Edge]]
    placement: Callable[[ProjectConfig, Scope], Placement]
    # Whether `--env`/`--app` targets (at least one given) name a stack of this kind.
    selected: Callable[[Targets, Scope], bool]
    # True: a run without targets leaves its stacks out too, unless it asks for them
    # (`--with-pipeline`): stacks that change rarely and that the deploys they run must not touch.
    opt_in: bool = False
    # Whether a stack of this kind may hold data (retained resources): `up` and `preview` then check
    # its changes for replacements of them first (ecsp.data_safety).
    holds_data: Callable[[ProjectConfig, Scope], bool] = lambda config, scope: False

    def pulumi_project(self, project: str, scope: Scope) -> str:
        label = self.label or scope.application
        if not label:
            raise ValueError(f"a {self.name} stack needs an application name")
        return naming.pulumi_project(project, label)

    def stack(self, scope: Scope) -> str:
        if self.per_environment and not scope.environment:
            raise ValueError(f"a {self.name} stack needs an environment name")
        return naming.stack_name(scope.environment if self.per_environment else None, scope.instance)

    def display_name(self, project: str, scope: Scope) -> str:
        return naming.display_name(self.pulumi_project(project, scope), self.stack(scope))

    def tags(self, project: str, scope: Scope) -> dict[str, str]:
        """The ``ecsp:*`` tags of the stack and of every AWS resource in it."""
        out = {PROJECT_TAG: project}
        if scope.environment:
            out[ENVIRONMENT_TAG] = scope.environment
        if scope.application:
            out[APPLICATION_TAG] = scope.application
        return out


def project_placement(config: ProjectConfig, scope: Scope) -> Placement:
    """The project account and home region (no profile or role: the default credentials)."""
    return Placement(config.project.region, config.project.account)


def environment_placement(config: ProjectConfig, scope: Scope) -> Placement:
    """The environment's region and account, through its profile or role."""
    assert scope.environment is not None
    env = config.environments[scope.environment]
    return Placement(env.region, config.account_of(scope.environment), env.profile, env.role_arn)


def _in_environments(targets: Targets, scope: Scope) -> bool:
    return not targets.environments or scope.environment in targets.environments


PROJECT = StackKind(
    "project", naming.PROJECT_LABEL, per_environment=False,
    instances=lambda config: [Scope()],
    upstream=lambda config, scope: (),
    placement=project_placement,
    selected=lambda targets, scope: False,  # upstream of everything: pulled in, never targeted
)
ENVIRONMENT = StackKind(
    "environment", naming.ENVIRONMENT_LABEL, per_environment=True,
    instances=lambda config: [Scope(env) for env in config.environments],
    upstream=lambda config, scope: [("project", Scope())],
    placement=environment_placement,
    selected=lambda targets, scope: _in_environments(targets, scope) and not targets.applications,
    # The managed EFS file system and the access-log bucket are kept on destroy.
    holds_data=lambda config, scope: scope.environment in config.environments and (
        config.needs_file_system(scope.environment) or config.environments[scope.environment].access_logs is True),
)
STORAGE = StackKind(
    "storage", naming.STORAGE_LABEL, per_environment=True,
    # Data lives in a stack of its own so that no application deploy or destroy ever touches it.
    instances=lambda config: [Scope(env) for env in config.environments if config.has_storage(env)],
    upstream=lambda config, scope: [("environment", Scope(scope.environment))],
    placement=environment_placement,
    selected=lambda targets, scope: _in_environments(targets, scope) and not targets.applications,
    holds_data=lambda config, scope: True,
)


def application_upstream(config: ProjectConfig, scope: Scope) -> list[Edge]:
    """The environment and project stacks, the storage stack when the application reads it, and for a
    worker the stacks of the applications it subscribes to.

    Their stacks create the topics the worker's queue subscribes to, so they deploy first (in the
    same environment). An application no longer in ecsp.yaml has only the first two.
    """
    edges: list[Edge] = [("environment", Scope(scope.environment)), ("project", Scope())]
    settings = config.applications.get(scope.application or "")
    if settings is not None:
        if scope.environment and config.has_storage(scope.environment) and reads_storage(config, scope):
            edges.append(("storage", Scope(scope.environment)))
        publishers = dict.fromkeys(s.app for s in settings.subscribe if s.app != scope.application)
        edges += [("application", Scope(scope.environment, publisher)) for publisher in publishers]
    return edges


def reads_storage(config: ProjectConfig, scope: Scope) -> bool:
    """Whether the application reads what the storage stack creates: linked data, its addons, or an export
    (which an environment addon may be what exports)."""
    assert scope.environment is not None and scope.application is not None
    settings = config.application(scope.environment, scope.application)
    from_cfn = any(not isinstance(v, str) for v in [*settings.variables.values(), *settings.secrets.values(),
                                                     *settings.security_groups])
    return bool(settings.link) or config.applications[scope.application].addons is not None or (
        from_cfn and config.addons is not None)


APPLICATION = StackKind(
    "application", None, per_environment=True,
    instances=lambda config: [Scope(env, app) for env in config.environments for app in config.applications],
    upstream=application_upstream,
    placement=environment_placement,
    selected=lambda targets, scope: _in_environments(targets, scope) and (
        not targets.applications or scope.application in targets.applications),
)

PIPELINE = StackKind(
    "pipeline", naming.PIPELINE_LABEL, per_environment=False,
    instances=lambda config: [Scope(instance=name) for name in config.pipelines],
    upstream=lambda config, scope: [("project", Scope())],
    placement=project_placement,
    # The pipeline's own build runs `ecsp up --env E`: that must never select (and so change) the pipeline.
    selected=lambda targets, scope: False,
    opt_in=True,
)

KINDS: dict[str, StackKind] = {kind.name: kind for kind in (PROJECT, ENVIRONMENT, STORAGE, APPLICATION, PIPELINE)}


def of(name: str) -> StackKind:
    """The record of kind ``name``."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"no stack kind '{name}' (kinds: {', '.join(KINDS)})") from None


def identify(project: str, name: str) -> tuple[StackKind, Scope] | None:
    """The kind and scope of a backend stack ``<pulumi project>/<stack>`` of ``project``; None if not one.

    Works for stacks no longer in ecsp.yaml (an application that was removed), which is why it
    reads the name alone.
    """
    parsed = naming.parse_display_name(project, name)
    if parsed is None:
        return None
    label, stack = parsed
    kind = next((k for k in KINDS.values() if k.label == label), None)
    if kind is None:
        kind = next((k for k in KINDS.values() if k.label is None), None)
        if kind is None:
            return None
        application: str | None = label
    else:
        application = None
    if kind.per_environment:
        return kind, Scope(environment=stack, application=application)
    return kind, Scope(application=application, instance=None if stack == naming.PROJECT_STACK else stack)
