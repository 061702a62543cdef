"""``ecsp rollback``: put an application's service back on a task definition revision it ran before.

The revisions come from the application stack's update history (:meth:`ecsp.engine.Engine.history`):
every ``up`` records the revision the service ran before it (``ecsp:running``, see
:mod:`ecsp.rollout`), so the history lists what ran, newest first, and when it was
replaced. A revision is the whole task definition as it was: its image (by digest when
ecsp built it), variables, secrets, cpu and memory. Replaced revisions stay registered
(``skip_destroy``), so the service can be moved back to one.

:func:`plan` says what would change (the two revisions side by side, read from ECS); the
rollback itself is an ``up`` of that one stack with the service held on the chosen
revision (:class:`ecsp.context.Hold`), so Pulumi's state, the stack's history and the
service agree. No release command runs. The next ``ecsp up`` of the application deploys
``ecsp.yaml`` again: a rollback lasts until the fix is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from ecsp.aws import NotDeployedError, Sessions, aws_errors, error_code
from ecsp.config import Capability, ProjectConfig
from ecsp.engine import Engine, StackUpdate
from ecsp.errors import EcspError, StackNotFoundError, UsageError
from ecsp.graph import StackSpec
from ecsp.rollout import revision_label, running_revision


@dataclass(frozen=True)
class Served:
    """A revision the service ran, and the update that replaced it (None: the one it runs now)."""

    revision: str
    replaced_by: int | None = None  # the update's version
    replaced_at: datetime | None = None

    @property
    def label(self) -> str:
        return revision_label(self.revision)

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "label": self.label, "replaced_by_update": self.replaced_by,
                "replaced_at": self.replaced_at.isoformat() if self.replaced_at else None}


@dataclass(frozen=True)
class Change:
    """One way the target revision differs from the current one."""

    what: str  # image web, cpu, memory, variable LOG_LEVEL, secret DB_PASSWORD, command
    now: str | None
    then: str | None

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "now": self.now, "after_rollback": self.then}


@dataclass(frozen=True)
class RollbackPlan:
    """What ``ecsp rollback`` would do: the service's revision now, the one it goes back to, how they differ."""

    stack: str
    application: str
    environment: str
    current: Served
    target: Served
    history: list[Served]
    changes: list[Change] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "application": self.application, "environment": self.environment,
                "current": self.current.to_json(), "target": self.target.to_json(),
                "history": [s.to_json() for s in self.history], "changes": [c.to_json() for c in self.changes]}


class RollbackError(EcspError):
    """There is nothing (or not that) to roll back to."""


def served(updates: list[StackUpdate], current: str) -> list[Served]:
    """The revisions the service ran before ``current``, newest first, each with the update that replaced it.

    An update replaced the revision it recorded as running unless it held the service on it
    (the first phase of a release) or failed.
    """
    out: list[Served] = []
    seen = {current}
    for update in updates:  # newest first
        running = update.config.get("ecsp:running", "")
        hold = update.config.get("ecsp:hold", "")
        if not running or not update.succeeded or hold.startswith(f"{running} "):
            continue
        if running not in seen:
            seen.add(running)
            out.append(Served(running, update.version, update.ended or update.started))
    return out


def choose(candidates: list[Served], to: str | None, where: str) -> Served:
    """``to`` (a revision number, ``family:N`` or an ARN) among ``candidates``, else the newest of them."""
    if not candidates:
        raise RollbackError(f"{where}: the stack's history has no earlier revision of its service",
                            fix="a rollback needs an `ecsp up` that replaced a revision (recorded since this "
                                "version of ecsp); deploy an older image with ecsp.yaml instead")
    if to is None:
        return candidates[0]
    wanted = to.strip()
    for candidate in candidates:
        number = candidate.label.rsplit(":", 1)[-1]
        if wanted in (candidate.revision, candidate.label, number):
            return candidate
    raise UsageError(f"{where} did not run revision '{to}' according to its stack's history",
                     fix="use one of: " + ", ".join(c.label for c in candidates))


def differences(now: dict[str, Any], then: dict[str, Any]) -> list[Change]:
    """How task definition ``then`` differs from ``now`` (DescribeTaskDefinition documents)."""
    changes = [Change(key, str(now.get(key)), str(then.get(key))) for key in ("cpu", "memory")
               if now.get(key) != then.get(key)]
    containers_now = {c["name"]: c for c in now.get("containerDefinitions") or []}
    containers_then = {c["name"]: c for c in then.get("containerDefinitions") or []}
    for name in sorted({*containers_now, *containers_then}):
        a, b = containers_now.get(name), containers_then.get(name)
        if a is None or b is None:
            changes.append(Change(f"container {name}", "present" if a else None, "present" if b else None))
            continue
        for key, label in (("image", "image"), ("command", "command"), ("entryPoint", "entrypoint")):
            if a.get(key) != b.get(key):
                changes.append(Change(f"{label} of {name}", _text(a.get(key)), _text(b.get(key))))
        for key, label, value in (("environment", "variable", "value"), ("secrets", "secret", "valueFrom")):
            before = {e["name"]: e.get(value) for e in a.get(key) or []}
            after = {e["name"]: e.get(value) for e in b.get(key) or []}
            for variable in sorted({*before, *after}):
                if before.get(variable) != after.get(variable):
                    changes.append(Change(f"{label} {variable} of {name}", before.get(variable), after.get(variable)))
    return changes


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(value) if isinstance(value, list) else str(value)


def plan(config: ProjectConfig, engine: Engine, sessions: Sessions, spec: StackSpec, *, to: str | None = None,
         limit: int = 50) -> RollbackPlan:
    """What rolling back ``spec``'s service would do (read from its outputs, history and ECS)."""
    env, app = spec.environment, spec.application
    assert env is not None and app is not None
    where = f"{app} in {env}"
    resolved = config.application(env, app)
    if not resolved.has(Capability.SERVICE):
        raise UsageError(f"'{app}' is a {resolved.type.called}: its runs use the revision its state machine names, "
                         "there is no service to roll back", fix="deploy the version you want with `ecsp up`")
    try:
        current = running_revision(engine.outputs(spec))
        updates = engine.history(spec, limit=limit)
    except StackNotFoundError as e:
        raise RollbackError(f"{where} is not deployed ({spec.name} has no state)",
                            fix=f"deploy it with `ecsp up --env {env} --app {app}`") from e
    if current is None:
        raise RollbackError(f"{where} has no service yet (its first release has not succeeded)",
                            fix=f"deploy it with `ecsp up --env {env} --app {app}`")
    candidates = served(updates, current)
    target = choose(candidates, to, where)
    with aws_errors(sessions.where(env)):
        ecs = sessions.client(env, "ecs")
        now = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
        try:
            then = ecs.describe_task_definition(taskDefinition=target.revision)["taskDefinition"]
        except ClientError as e:
            if error_code(e) != "ClientException":  # ECS's answer for a revision it does not know
                raise
            others = ", ".join(c.label for c in candidates if c != target) or "none left"
            raise NotDeployedError(f"revision {target.label} no longer exists in ECS",
                                   fix=f"choose another with --to ({others})") from e
    if then.get("status") == "INACTIVE":
        raise RollbackError(f"revision {target.label} was deregistered: ECS will not move a service to it",
                            fix="choose another with --to, or deploy that image with ecsp.yaml")
    return RollbackPlan(spec.name, app, env, Served(current), target, candidates, differences(now, then))


__all__ = ["Change", "RollbackError", "RollbackPlan", "Served", "choose", "differences", "plan", "served"]
