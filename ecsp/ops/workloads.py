"""What ``status``, ``show`` and ``ecsp run`` read about queues and scheduled runs: depths, runs, starting one.

A worker's queues are found by their names (:class:`ecsp.naming.AppNames`); a job's state
machine by its name too (or by its earlier name, with the project's tag, when the job was
deployed before ecsp marked its names: it keeps that name). A job's runs are its Step
Functions executions, newest first; the exit code of a run is its task's, read from ECS's
stopped tasks (the state machine starts each task in the group named after the execution;
ECS keeps stopped tasks for about an hour, so older runs show no exit code). :func:`run`
starts an execution and follows the job's logs until it ends. All functions take boto3
clients or :class:`ecsp.aws.Sessions` and raise botocore exceptions; callers translate them.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from ecsp import naming
from ecsp.aws import NotDeployedError, Sessions, aws_errors
from ecsp.config import Capability, ProjectConfig
from ecsp.errors import UsageError
from ecsp.ops.find import PROJECT_TAG, tag_dict
from ecsp.ops.logs import LogEvent, tail

DEFAULT_RUNS = 5
FINISHED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class QueueDepth:
    """A worker's queue: messages waiting, being processed, and moved to the dead-letter queue."""

    visible: int
    in_flight: int
    dead_letters: int


@dataclass(frozen=True)
class JobRun:
    """One run of a job: its Step Functions execution and, while ECS remembers the task, its exit code."""

    name: str
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    started_at: datetime | None
    stopped_at: datetime | None
    exit_code: int | None = None
    reason: str | None = None  # the task's stopped reason


def _count(attributes: dict[str, str], key: str) -> int:
    return int(attributes.get(key, 0))


def queue_depth(sqs: Any, project: str, environment: str, application: str) -> QueueDepth | None:
    """The worker's queue and dead-letter queue depths, or None when its queue does not exist."""
    names = naming.AppNames(project, environment, application)
    keys = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    try:
        url = sqs.get_queue_url(QueueName=names.queue)["QueueUrl"]
    except ClientError as e:
        if "NonExistentQueue" in str(e.response.get("Error", {}).get("Code", "")):
            return None
        raise
    main = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=keys).get("Attributes", {})
    dead = 0
    try:
        dlq = sqs.get_queue_url(QueueName=names.dead_letter_queue)["QueueUrl"]
        dead = _count(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=keys[:1]).get("Attributes", {}),
                      keys[0])
    except ClientError as e:
        if "NonExistentQueue" not in str(e.response.get("Error", {}).get("Code", "")):
            raise
    return QueueDepth(_count(main, keys[0]), _count(main, keys[1]), dead)


def state_machine_arn(sfn: Any, project: str, environment: str, application: str) -> str | None:
    """The job's state machine, found by its name, or None when it is not deployed."""
    names = naming.AppNames(project, environment, application)
    found: dict[str, str] = {}
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page.get("stateMachines", []):
            if machine.get("name") in (names.state_machine, names.earlier_state_machine):
                found[str(machine["name"])] = str(machine["stateMachineArn"])
    if names.state_machine in found:
        return found[names.state_machine]
    earlier = found.get(names.earlier_state_machine)
    # Copilot names its jobs' state machines so too: only one tagged as this project's is ecsp's.
    if earlier is not None and tag_dict(sfn.list_tags_for_resource(resourceArn=earlier).get("tags")).get(
            PROJECT_TAG) == project:
        return earlier
    return None


def job_runs(sfn: Any, ecs: Any, machine_arn: str, cluster_arn: str | None, *, limit: int = DEFAULT_RUNS
             ) -> list[JobRun]:
    """The job's newest ``limit`` runs, newest first, with the exit codes ECS still knows."""
    executions = sfn.list_executions(stateMachineArn=machine_arn, maxResults=limit).get("executions", [])
    executions.sort(key=lambda e: e.get("startDate") or datetime.min.replace(tzinfo=UTC), reverse=True)
    tasks = _stopped_tasks(ecs, cluster_arn) if cluster_arn else {}
    runs = []
    for e in executions[:limit]:
        task = tasks.get(str(e.get("name")))
        code, reason = (None, None)
        if task is not None:
            codes = [c.get("exitCode") for c in task.get("containers", []) if c.get("exitCode") is not None]
            code = int(codes[0]) if codes else None
            reason = task.get("stoppedReason")
        runs.append(JobRun(str(e.get("name")), str(e.get("status")), e.get("startDate"), e.get("stopDate"),
                           code, reason))
    return runs


def _stopped_tasks(ecs: Any, cluster_arn: str) -> dict[str, dict[str, Any]]:
    """Stopped tasks of the cluster by their group (the execution name the state machine gave them)."""
    arns: list[str] = []
    for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster_arn, desiredStatus="STOPPED"):
        arns.extend(page.get("taskArns", []))
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(arns), 100):
        for task in ecs.describe_tasks(cluster=cluster_arn, tasks=arns[i:i + 100]).get("tasks", []):
            if task.get("group"):
                out[str(task["group"])] = task
    return out


# --------------------------------------------------------------------------- ecsp run


@dataclass(frozen=True)
class Execution:
    """A run ``ecsp run`` started: its execution, and its status when last read."""

    application: str
    environment: str
    arn: str
    name: str
    status: str
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    error: str | None = None
    cause: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def _execution(app: str, env: str, raw: dict[str, Any]) -> Execution:
    return Execution(app, env, str(raw["executionArn"]), str(raw.get("name", "")), str(raw.get("status", "RUNNING")),
                     raw.get("startDate"), raw.get("stopDate"), raw.get("error"), raw.get("cause"))


def run(config: ProjectConfig, sessions: Sessions, env: str, app: str, *, follow: bool = True,
        poll: float = 2.0, sleep: Callable[[float], None] | None = None,
        now: Callable[[], datetime] | None = None) -> Iterator[Execution | LogEvent]:
    """Start a run of job ``app`` in ``env``: yield the started execution, its log events, then the finished one.

    Without ``follow`` only the started execution is yielded.
    """
    if config.environments.get(env) is None or config.applications.get(app) is None:
        raise UsageError(f"no application '{app}' in environment '{env}'", fix="check ecsp.yaml")
    if not config.type_of(app).has(Capability.SCHEDULE):
        jobs = [a for a in config.applications if config.type_of(a).has(Capability.SCHEDULE)]
        raise UsageError(f"'{app}' is a {config.type_of(app).name}, not a job; `ecsp run` starts jobs",
                         fix=f"run one of: {', '.join(jobs)}" if jobs else "add an application with kind: job")
    flag = " --local" if sessions.local is not None else ""
    pause = sleep or time.sleep
    with aws_errors(sessions.where(env)):
        sfn = sessions.client(env, "stepfunctions")
        arn = state_machine_arn(sfn, config.project.name, env, app)
        if arn is None:
            raise NotDeployedError(f"job '{app}' is not deployed in environment '{env}' (no state machine "
                                   f"{naming.AppNames(config.project.name, env, app).state_machine})",
                                   fix=f"deploy it with `ecsp up{flag} --env {env} --app {app}`")
        # The name is the task's group too (see stacks.application_schedule): `ecsp-run-` tells it from scheduled runs.
        name = f"ecsp-run-{datetime.now(tz=UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        started = sfn.start_execution(stateMachineArn=arn, name=name)
        execution = _execution(app, env, {**sfn.describe_execution(executionArn=started["executionArn"])})
    yield execution
    if not follow:
        return

    def wait(seconds: float) -> None:
        nonlocal execution
        pause(seconds)
        with aws_errors(sessions.where(env)):
            execution = _execution(app, env, sfn.describe_execution(executionArn=execution.arn))
        if execution.finished:
            raise _Finished  # tail() pauses between reads: ending there also ends a run that logged nothing

    # This run's logs only: from its start (a second early, for clock skew) until the execution ends.
    clock = now or (lambda: datetime.now(tz=UTC))
    since = clock() - (execution.started_at or clock()) + timedelta(seconds=1)
    events = tail(config, sessions, env, app, since=since, poll=poll, sleep=wait)
    with contextlib.suppress(_Finished):
        yield from events
    yield execution


class _Finished(Exception):
    """The followed execution has ended."""
