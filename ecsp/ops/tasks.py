"""One-off tasks of an application: where they run, starting one with a command, following it to its exit code.

``ecsp task run`` and a release command (:mod:`ecsp.rollout`) start a task from an
application's task definition with its container's command replaced, in the application's
subnets and security groups, and follow it: its log stream, and ECS's view of the task
until it stops. The exit code is the application container's; ECS keeps a stopped task
for about an hour, so it is read while following.

Where a task runs (:class:`TaskTarget`) comes from live AWS for ``task run``
(:func:`find_target`: the service's network settings, or the job's state machine's), and
from the stacks' outputs during a deploy (the service may not exist yet). Functions take
boto3 clients and raise botocore exceptions, except :func:`find_target` and :func:`run`,
which take :class:`ecsp.aws.Sessions` and raise ecsp errors.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ecsp import naming
from ecsp.aws import AwsError, NotDeployedError, Sessions, aws_errors
from ecsp.config import Capability, ProjectConfig
from ecsp.errors import UsageError
from ecsp.ops import check_names, find
from ecsp.ops.logs import LATE_ARRIVAL, LogEvent, Streams, Window, page

POLL_SECONDS = 3.0
STARTED_BY = "ecsp-task"  # ECS allows 36 characters; `ecsp task run` and release commands are told apart by group
# After ECS reports the task stopped, CloudWatch may still deliver its last lines for a few seconds.
LAST_LINES_WAIT = 5.0
# How long to wait for a task ecsp asked to stop (a timeout, Ctrl-C) to be reported stopped.
STOP_GRACE = timedelta(minutes=2)
STOPPED = ("STOPPED", "DELETED")


@dataclass(frozen=True)
class TaskTarget:
    """Where and how an application's one-off task runs: cluster, task definition, its container, network."""

    project: str
    environment: str
    application: str
    cluster: str
    task_definition: str
    container: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    public_ip: bool
    log_group: str
    exec_enabled: bool = False

    def run_task_request(self, command: Sequence[str], *, group: str, task_definition: str | None = None,
                         ) -> dict[str, Any]:
        """The ``RunTask`` parameters: this target with the container's command replaced by ``command``."""
        request: dict[str, Any] = {
            "cluster": self.cluster,
            "taskDefinition": task_definition or self.task_definition,
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
            "count": 1,
            "startedBy": STARTED_BY,
            "group": group,
            "propagateTags": "TASK_DEFINITION",
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": list(self.subnets), "securityGroups": list(self.security_groups),
                "assignPublicIp": "ENABLED" if self.public_ip else "DISABLED"}},
            "overrides": {"containerOverrides": [{"name": self.container, "command": list(command)}]},
        }
        if self.exec_enabled:
            request["enableExecuteCommand"] = True  # so `ecsp exec --task` reaches a long one-off task too
        return request


@dataclass(frozen=True)
class TaskState:
    """A task as ECS last described it, with its application container's exit code once it stopped."""

    arn: str
    status: str  # PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED
    container: str
    exit_code: int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stopped_reason: str | None = None
    stop_code: str | None = None
    container_reason: str | None = None
    group: str | None = None
    task_definition: str | None = None

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def stopped(self) -> bool:
        return self.status in STOPPED

    @property
    def succeeded(self) -> bool:
        return self.stopped and self.exit_code == 0

    def outcome(self) -> str:
        """How it ended, in words: ``exited 0``, ``exited 3 (OutOfMemoryError: ...)``, ``stopped: <reason>``."""
        if not self.stopped:
            return self.status.lower()
        why = "; ".join(x for x in (self.container_reason, self.stopped_reason) if x)
        if self.exit_code is not None:
            return f"exited {self.exit_code}" + (f" ({why})" if why and self.exit_code != 0 else "")
        return f"stopped without an exit code ({why or 'ECS gave no reason'})"

    def log_window(self) -> tuple[datetime | None, datetime | None]:
        """From a little before it was created to a little after it stopped (None: unknown, or still running)."""
        begin = self.created_at or self.started_at
        return (begin - timedelta(seconds=5) if begin else None,
                self.stopped_at + timedelta(minutes=1) if self.stopped_at else None)

    def to_json(self) -> dict[str, Any]:
        return {"task": self.arn, "id": self.id, "status": self.status, "container": self.container,
                "exit_code": self.exit_code, "outcome": self.outcome(),
                "created_at": _iso(self.created_at), "started_at": _iso(self.started_at),
                "stopped_at": _iso(self.stopped_at), "stopped_reason": self.stopped_reason,
                "stop_code": self.stop_code, "group": self.group, "task_definition": self.task_definition}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def task_state(raw: dict[str, Any], container: str) -> TaskState:
    """A :class:`TaskState` from a ``DescribeTasks`` task; ``container``: whose exit code counts."""
    containers = raw.get("containers") or []
    mine = next((c for c in containers if c.get("name") == container), containers[0] if containers else {})
    status = str(raw.get("lastStatus", "PROVISIONING"))
    code = mine.get("exitCode")
    return TaskState(
        arn=str(raw["taskArn"]), status=status, container=str(mine.get("name", container)),
        # ECS reports an exit code only for a container that ran; report none before the task stopped.
        exit_code=int(code) if code is not None and status in STOPPED else None,
        created_at=raw.get("createdAt"), started_at=raw.get("startedAt"), stopped_at=raw.get("stoppedAt"),
        stopped_reason=raw.get("stoppedReason") or None, stop_code=raw.get("stopCode") or None,
        container_reason=mine.get("reason") or None, group=raw.get("group"),
        task_definition=raw.get("taskDefinitionArn"))


def describe(ecs: Any, cluster: str, arn: str, container: str) -> TaskState | None:
    """The task as ECS sees it now, or None when ECS no longer knows it."""
    found = ecs.describe_tasks(cluster=cluster, tasks=[arn]).get("tasks", [])
    return task_state(found[0], container) if found else None


def stopped_tasks(ecs: Any, cluster: str, family: str, container: str, *, limit: int = 10) -> list[TaskState]:
    """The family's tasks ECS still lists as stopped (about an hour's worth), the last to stop first."""
    arns: list[str] = []
    for listing in ecs.get_paginator("list_tasks").paginate(cluster=cluster, family=family, desiredStatus="STOPPED"):
        arns.extend(listing.get("taskArns", []))
    states: list[TaskState] = []
    for group in find.chunks(arns, 100):
        states += [task_state(t, container) for t in ecs.describe_tasks(cluster=cluster, tasks=list(group))
                   .get("tasks", [])]
    oldest = datetime.min.replace(tzinfo=UTC)
    states.sort(key=lambda s: s.stopped_at or s.started_at or s.created_at or oldest, reverse=True)
    return states[:limit]


class TaskStartError(AwsError):
    """ECS would not start the task (no capacity, a bad network setting, a missing task definition)."""


def start(ecs: Any, target: TaskTarget, command: Sequence[str], *, group: str,
          task_definition: str | None = None) -> TaskState:
    """Start one task of ``target`` running ``command``; :class:`TaskStartError` when ECS refuses."""
    response = ecs.run_task(**target.run_task_request(command, group=group, task_definition=task_definition))
    tasks = response.get("tasks") or []
    if not tasks:
        failures = "; ".join(f"{f.get('reason', 'failed')}" + (f" ({f['detail']})" if f.get("detail") else "")
                             for f in response.get("failures") or []) or "no task and no reason given"
        raise TaskStartError(f"ECS did not start a task of {target.application} in {target.environment}: {failures}",
                             fix="check the cluster's capacity and the subnets and security groups, then run it again")
    return task_state(tasks[0], target.container)


@dataclass
class Follower:
    """Follows one task: its new log lines and its status changes until it stops (or is stopped).

    ``timeout``: seconds after which ecsp stops the task (``StopTask``; ``timed_out`` is then
    True); ``stop``: set from another thread to stop it now (the deploy was interrupted). The
    last item is the stopped task, or its last state when ECS has not stopped it
    :data:`STOP_GRACE` after ecsp asked.
    """

    ecs: Any
    logs: Any
    target: TaskTarget
    task: TaskState
    poll: float | None = None  # default: POLL_SECONDS
    timeout: float | None = None
    stop: threading.Event | None = None
    sleep: Callable[[float], None] | None = None
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(tz=UTC))
    timed_out: bool = False

    def __iter__(self) -> Iterator[TaskState | LogEvent]:
        poll = POLL_SECONDS if self.poll is None else self.poll
        pause = self.sleep or _sleep
        deadline = self.clock() + self.timeout if self.timeout is not None else None
        stopping_since: float | None = None
        streams = Streams(self.target.container, (self.task.id,))
        reader = _Lines(self.logs, self.target.log_group, streams, (self.task.created_at or self.now()))
        state = self.task
        while True:
            yield from reader.new()
            current = describe(self.ecs, self.target.cluster, self.task.arn, self.target.container)
            if current is None:  # ECS forgot it: report it stopped, with what was last seen
                current = TaskState(state.arn, "STOPPED", state.container, stopped_reason="ECS no longer lists the "
                                    "task", group=state.group, task_definition=state.task_definition)
            if current.stopped:
                pause(min(LAST_LINES_WAIT, poll))
                yield from reader.new()
                yield current
                return
            if current.status != state.status:
                state = current
                yield state
            if stopping_since is None and self.stop is not None and self.stop.is_set():
                self._stop_task("stopped by ecsp: the deploy was interrupted")
                stopping_since = self.clock()
            elif stopping_since is None and deadline is not None and self.clock() >= deadline:
                self.timed_out = True
                self._stop_task(f"stopped by ecsp: it ran longer than its timeout of {self.timeout:g} s")
                stopping_since = self.clock()
            if stopping_since is not None and self.clock() - stopping_since > STOP_GRACE.total_seconds():
                return  # ECS has not stopped it yet; the caller says so (it knows why it was stopped)
            pause(poll)

    def _stop_task(self, reason: str) -> None:
        self.ecs.stop_task(cluster=self.target.cluster, task=self.task.arn, reason=reason[:255])


class _Lines:
    """New log lines of some streams, each once: reads from a moving start a little before the newest line."""

    def __init__(self, logs: Any, group: str, streams: Streams, since: datetime) -> None:
        self.logs, self.group, self.streams = logs, group, streams
        self.start = since - timedelta(seconds=1)  # clock skew between ECS and CloudWatch
        self.seen: dict[str, datetime] = {}

    def new(self) -> Iterator[LogEvent]:
        newest = self.start
        for event in page(self.logs, self.group, Window(self.start), streams=self.streams):
            newest = max(newest, event.timestamp)
            if event.event_id not in self.seen:
                self.seen[event.event_id] = event.timestamp
                yield event
        self.start = max(self.start, newest - LATE_ARRIVAL)
        self.seen = {k: t for k, t in self.seen.items() if t >= self.start}


# --------------------------------------------------------------------------- where a task runs


def find_target(config: ProjectConfig, sessions: Sessions, env: str, app: str) -> TaskTarget:
    """Where ``app``'s one-off tasks run in ``env``, read from live AWS: its service's, or its job's, settings."""
    check_names(config, [env], [app])
    project = config.project.name
    names = naming.AppNames(project, env, app)
    flag = " --local" if sessions.local is not None else ""
    deploy = f"deploy it with `ecsp up{flag} --env {env} --app {app}`"
    with aws_errors(sessions.where(env)):
        ecs = sessions.client(env, "ecs")
        cluster = find.find_cluster(ecs, project, env)
        if cluster is None:
            raise NotDeployedError(f"environment '{env}' is not deployed (no ECS cluster "
                                   f"{naming.EnvNames(project, env).cluster})",
                                   fix=f"deploy it with `ecsp up{flag} --env {env}`")
        cluster_arn = str(cluster["clusterArn"])
        if config.application(env, app).has(Capability.SERVICE):
            service = find.find_services(ecs, cluster_arn, project, env, [app]).get(app)
            if service is None:
                raise NotDeployedError(f"application '{app}' has no service in environment '{env}'", fix=deploy)
            network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            return TaskTarget(project, env, app, cluster_arn, str(service["taskDefinition"]), names.container,
                              tuple(network.get("subnets") or ()), tuple(network.get("securityGroups") or ()),
                              network.get("assignPublicIp") == "ENABLED", names.log_group,
                              bool(service.get("enableExecuteCommand")))
        return _job_target(sessions, env, app, names, cluster_arn, deploy)


def _job_target(sessions: Sessions, env: str, app: str, names: naming.AppNames, cluster_arn: str,
                deploy: str) -> TaskTarget:
    """A job's task definition and network, as its state machine runs them."""
    from ecsp.ops.workloads import state_machine_arn

    sfn = sessions.client(env, "stepfunctions")
    arn = state_machine_arn(sfn, names.project, env, app)
    if arn is None:
        raise NotDeployedError(f"job '{app}' is not deployed in environment '{env}' (no state machine "
                               f"{names.state_machine})", fix=deploy)
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    for state in (definition.get("States") or {}).values():
        parameters = state.get("Parameters") or {}
        if "TaskDefinition" in parameters:
            network = (parameters.get("NetworkConfiguration") or {}).get("AwsvpcConfiguration") or {}
            return TaskTarget(names.project, env, app, str(parameters.get("Cluster") or cluster_arn),
                              str(parameters["TaskDefinition"]), names.container, tuple(network.get("Subnets") or ()),
                              tuple(network.get("SecurityGroups") or ()), network.get("AssignPublicIp") == "ENABLED",
                              names.log_group)
    raise NotDeployedError(f"job '{app}''s state machine in '{env}' runs no ECS task", fix=deploy)


def last_stopped(config: ProjectConfig, sessions: Sessions, env: str, app: str) -> TaskState:
    """The application's task (its service's, a run's or a one-off's) that stopped last."""
    check_names(config, [env], [app])
    names = naming.AppNames(config.project.name, env, app)
    with aws_errors(sessions.where(env)):
        ecs = sessions.client(env, "ecs")
        cluster = find.find_cluster(ecs, config.project.name, env)
        found = stopped_tasks(ecs, str(cluster["clusterArn"]), names.family, names.container, limit=1) \
            if cluster is not None else []
    if not found:
        raise NotDeployedError(f"ECS lists no stopped task of '{app}' in '{env}' (it keeps them for about an hour)",
                               fix=f"read older logs by time: ecsp logs {app} --env {env} --since 1d")
    return found[0]


# --------------------------------------------------------------------------- ecsp task run


def image_task_definition(ecs: Any, target: TaskTarget, image: str) -> str:
    """A task definition like the target's with the application container's image replaced; its ARN.

    Registered in the family :attr:`ecsp.naming.AppNames.one_off_family`, apart from the
    revisions the stack deploys (which ``ecsp rollback`` lists), and tagged like them.
    """
    current = ecs.describe_task_definition(taskDefinition=target.task_definition, include=["TAGS"])
    definition = current["taskDefinition"]
    containers = [dict(c, image=image) if c.get("name") == target.container else c
                  for c in definition.get("containerDefinitions", [])]
    copied = ("taskRoleArn", "executionRoleArn", "networkMode", "volumes", "placementConstraints",
              "requiresCompatibilities", "cpu", "memory", "runtimePlatform", "ephemeralStorage", "pidMode", "ipcMode",
              "proxyConfiguration")
    request = {key: definition[key] for key in copied if definition.get(key)}
    names = naming.AppNames(target.project, target.environment, target.application)
    tags = current.get("tags") or []
    registered = ecs.register_task_definition(family=names.one_off_family, containerDefinitions=containers,
                                              **request, **({"tags": tags} if tags else {}))
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def run(config: ProjectConfig, sessions: Sessions, env: str, app: str, command: Sequence[str], *,
        image: str | None = None, follow: bool = True, poll: float | None = None,
        sleep: Callable[[float], None] | None = None) -> Iterator[TaskState | LogEvent]:
    """``ecsp task run``: start ``command`` as a one-off task of ``app``; yield its states and log lines.

    The first item is the started task; with ``follow``, then its log lines and status
    changes, and last its stopped state (with the exit code).
    """
    if not command:
        raise UsageError("say what to run after --", fix=f"e.g. ecsp task run {app} --env {env} -- "
                         "python manage.py migrate")
    target = find_target(config, sessions, env, app)
    with aws_errors(sessions.where(env)):
        ecs = sessions.client(env, "ecs")
        definition = image_task_definition(ecs, target, image) if image else None
        task = start(ecs, target, command, group=f"ecsp-task:{app}", task_definition=definition)
        if definition is not None:
            # Not needed once the task has started; a running task keeps an inactive definition.
            ecs.deregister_task_definition(taskDefinition=definition)
    yield task
    if not follow:
        return
    logs = sessions.client(env, "logs")
    follower = Follower(ecs, logs, target, task, poll=poll, sleep=sleep)
    with aws_errors(sessions.where(env)):
        yield from follower


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


__all__ = ["Follower", "TaskStartError", "TaskState", "TaskTarget", "describe", "find_target",
           "image_task_definition", "run", "start", "stopped_tasks", "task_state"]
