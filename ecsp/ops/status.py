"""``status``: the live state of each application in each environment, as data plus renderers.

Applications with a queue add its depth and dead letters, scheduled ones their last runs
(:mod:`ecsp.ops.workloads`); the environments' data follows, with its state and endpoint
(:mod:`ecsp.ops.data`).

:func:`status` reads ECS (cluster, service, deployments, events) and ELBv2 (target
health, the load balancer's DNS name) through :mod:`ecsp.ops.find` and returns a
:class:`StatusReport`. A problem reading one environment (no credentials, access
denied, throttled) becomes an :class:`EnvironmentProblem` in the report, so the other
environments still show; :meth:`StatusReport.raise_for_problems` turns them into an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import botocore.exceptions  # type: ignore[import-untyped]
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ecsp import naming
from ecsp.aws import Sessions, aws_errors
from ecsp.config import APPLICATION_TYPES, Capability, ProjectConfig
from ecsp.errors import AwsError
from ecsp.notebook import Printed, Renders, link
from ecsp.ops import check_names, data, find, jsonable, workloads
from ecsp.ops.workloads import JobRun, QueueDepth
from ecsp.service_deployments import ServiceDeployment
from ecsp.service_deployments import latest as newest_service_deployment

DEFAULT_EVENTS = 3


class Health(StrEnum):
    """One word for an application's state in an environment."""

    HEALTHY = "healthy"
    DEPLOYING = "deploying"
    FAILED = "failed"
    DEGRADED = "degraded"
    STOPPED = "stopped"
    NOT_DEPLOYED = "not deployed"


STYLES = {
    Health.HEALTHY: "green", Health.DEPLOYING: "yellow", Health.FAILED: "bold red",
    Health.DEGRADED: "red", Health.STOPPED: "dim", Health.NOT_DEPLOYED: "dim",
}  # fmt: skip


@dataclass(frozen=True)
class Rollout:
    """The newest deployment of a service."""

    id: str
    state: str  # IN_PROGRESS, COMPLETED or FAILED
    reason: str | None
    task_definition: str | None
    running: int
    desired: int
    pending: int
    failed_tasks: int
    created_at: datetime | None


@dataclass(frozen=True)
class Target:
    """One load balancer target and what the load balancer thinks of it."""

    id: str
    port: int | None
    state: str  # healthy, unhealthy, initial, draining, unused, unavailable
    reason: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ServiceEvent:
    at: datetime | None
    message: str


@dataclass(frozen=True)
class AppStatus:
    environment: str
    application: str
    region: str
    health: Health
    url: str | None = None
    service: str | None = None
    service_status: str | None = None  # ACTIVE, DRAINING
    running: int = 0
    desired: int = 0
    pending: int = 0
    rollout: Rollout | None = None
    failed_rollout: Rollout | None = None  # a failed deployment ECS rolled back from (circuit breaker)
    targets: tuple[Target, ...] = ()
    events: tuple[ServiceEvent, ...] = ()
    hint: str | None = None  # what to do, when the state needs an action
    kind: str = "web"  # the application's type, under the YAML's name for it (and in --json)
    queue: QueueDepth | None = None  # the application's queue
    runs: tuple[JobRun, ...] = ()  # a scheduled application's newest runs, newest first
    deployment: ServiceDeployment | None = None  # a traffic-shifting deployment in flight (stage, traffic, bake)

    @property
    def healthy_targets(self) -> int:
        return sum(1 for t in self.targets if t.state == "healthy")


@dataclass(frozen=True)
class EnvironmentProblem:
    """An environment whose state could not be read, and what to do about it."""

    environment: str
    message: str
    fix: str | None


@dataclass(frozen=True, repr=False)
class StatusReport(Renders):
    """Each application's live state; renders in rich and Jupyter as ``ecsp status`` prints it."""

    project: str
    applications: tuple[AppStatus, ...] = ()
    problems: tuple[EnvironmentProblem, ...] = ()
    local: bool = False
    data: tuple[data.DataState, ...] = ()  # the data of the environments (linked by the applications asked for)

    def to_json(self) -> dict[str, Any]:
        return jsonable({
            "project": self.project, "local": self.local,
            "applications": [asdict(a) for a in self.applications],
            "data": [asdict(d) for d in self.data],
            "problems": [asdict(p) for p in self.problems],
        })

    def summary(self) -> str:
        return (f"StatusReport {self.project}: {len(self.applications)} applications, "
                f"{len(self.problems)} environment problems")

    def __rich__(self) -> Printed:
        return Printed(lambda out: render(self, out))

    def raise_for_problems(self) -> None:
        """Raise the first environment's problem as an :class:`AwsError` (the API's way to fail)."""
        if self.problems:
            p = self.problems[0]
            raise AwsError(p.message, fix=p.fix)


# --------------------------------------------------------------------------- reading


def status(config: ProjectConfig, sessions: Sessions, *, environments: Sequence[str] = (),
           applications: Sequence[str] = (), events: int = DEFAULT_EVENTS) -> StatusReport:
    """The state of ``applications`` (default all) in ``environments`` (default all), and of their data.

    With ``applications``, the data they link; without, all of the environments' data.
    """
    check_names(config, environments, applications)
    envs = list(environments) or list(config.environments)
    apps = list(applications) or list(config.applications)
    rows: list[AppStatus] = []
    stored: list[data.DataState] = []
    problems: list[EnvironmentProblem] = []
    for env in envs:
        try:
            rows.extend(_environment(config, sessions, env, apps, events))
            linked = {name for app in apps for name in config.application(env, app).link}
            stored += [d for d in data.data_states(config, sessions, [env]) if not applications or d.name in linked]
        except AwsError as e:
            problems.append(EnvironmentProblem(env, e.message, e.fix))
    return StatusReport(config.project.name, tuple(rows), tuple(problems), local=sessions.local is not None,
                        data=tuple(stored))


def _environment(config: ProjectConfig, sessions: Sessions, env: str, apps: list[str],
                 events: int) -> list[AppStatus]:
    project = config.project.name
    region = config.environments[env].region
    flag = " --local" if sessions.local is not None else ""  # the hints are commands to copy
    with aws_errors(sessions.where(env)):
        ecs = sessions.client(env, "ecs")
        cluster = find.find_cluster(ecs, project, env)
        if cluster is None:
            return [AppStatus(env, app, region, Health.NOT_DEPLOYED,
                              hint=f"environment '{env}' is not deployed: run `ecsp up{flag} --env {env}`")
                    for app in apps]
        services = find.find_services(ecs, cluster["clusterArn"], project, env, apps)
        elbv2 = sessions.client(env, "elbv2") if services else None
        rows = []
        for app in apps:
            app_type = config.type_of(app)
            if app_type.has(Capability.SCHEDULE):  # no service: its state machine and runs say what there is
                rows.append(_job(sessions, env, app, region, cluster["clusterArn"], project, flag, app_type.name))
                continue
            service = services.get(app)
            if service is None or elbv2 is None:
                rows.append(AppStatus(env, app, region, Health.NOT_DEPLOYED,
                                      hint=f"run `ecsp up{flag} --env {env} --app {app}`"))
                continue
            row = _application(config, elbv2, env, app, service, events)
            if config.application(env, app).deployment.shifts_traffic:
                row = replace(row, deployment=_in_flight(ecs, service))
            if app_type.has(Capability.QUEUE):
                depth = workloads.queue_depth(sessions.client(env, "sqs"), project, env, app)
                hint = row.hint
                if depth is not None and depth.dead_letters:
                    tries = config.application(env, app).queue.max_receive_count
                    dlq = naming.AppNames(project, env, app).dead_letter_queue
                    hint = (f"{depth.dead_letters} message(s) failed {tries} time(s) and wait in the dead-letter "
                            f"queue {dlq}; see `ecsp logs{flag} {app} --env {env}`")
                row = replace(row, queue=depth, hint=hint)
            rows.append(replace(row, kind=app_type.name))
        return rows


def _job(sessions: Sessions, env: str, app: str, region: str, cluster_arn: str, project: str,
         flag: str, kind: str) -> AppStatus:
    sfn = sessions.client(env, "stepfunctions")
    machine = workloads.state_machine_arn(sfn, project, env, app)
    if machine is None:
        return AppStatus(env, app, region, Health.NOT_DEPLOYED, kind=kind,
                         hint=f"run `ecsp up{flag} --env {env} --app {app}`")
    runs = tuple(workloads.job_runs(sfn, sessions.client(env, "ecs"), machine, cluster_arn))
    last = runs[0] if runs else None
    if last is not None and last.status in ("FAILED", "TIMED_OUT", "ABORTED"):
        health, hint = Health.FAILED, (f"the last run {last.status.lower().replace('_', ' ')}; see `ecsp logs "
                                       f"{app} --env {env}`, or start a run with `ecsp run{flag} {app} --env {env}`")
    else:
        health, hint = Health.HEALTHY, None
    return AppStatus(env, app, region, health, service=machine.rsplit(":", 1)[-1], kind=kind, runs=runs, hint=hint)


def _application(config: ProjectConfig, elbv2: Any, env: str, app: str, service: dict[str, Any],
                 events: int) -> AppStatus:
    project = config.project.name
    groups = find.target_groups(elbv2, service, project, env, app)
    targets = tuple(_target(t) for g in groups for t in find.target_health(elbv2, g["TargetGroupArn"]))
    balancer = None if config.project.domain else find.load_balancer(elbv2, project, env, groups)
    settings = config.application(env, app)
    domain = config.project.domain
    url = naming.application_url(
        settings.path, host=naming.application_host(project, env, app, domain) if domain else None,
        aliases=settings.aliases, https=bool(domain or config.environments[env].certificates),
        dns_name=balancer.get("DNSName") if balancer else None) if settings.has(Capability.HTTP) else None
    rollout = _rollout(find.newest_deployment(service))
    failed = _rollout(find.failed_deployment(service))
    running, desired, pending = (int(service.get(k, 0)) for k in ("runningCount", "desiredCount", "pendingCount"))
    health, hint = _health(service.get("status"), running, desired, rollout, failed, targets)
    return AppStatus(
        environment=env, application=app, region=config.environments[env].region, health=health, url=url,
        service=service.get("serviceName"), service_status=service.get("status"),
        running=running, desired=desired, pending=max(pending, 0), rollout=rollout,
        failed_rollout=failed if failed != rollout else None, targets=targets,
        events=tuple(ServiceEvent(e.get("createdAt"), str(e.get("message", "")))
                     for e in (service.get("events") or [])[:events]),
        hint=hint,
    )


def _in_flight(ecs: Any, service: dict[str, Any]) -> ServiceDeployment | None:
    """The service's newest deployment while ECS is still at it (None when it ended, or ECS will not say)."""
    try:
        state = newest_service_deployment(ecs, str(service.get("serviceArn", "")))
    except (ValueError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None  # an older API (or an emulator) without service deployments: the rollout column still shows
    return state if state is not None and state.outcome is None else None


def _rollout(deployment: dict[str, Any] | None) -> Rollout | None:
    if deployment is None:
        return None
    return Rollout(
        id=str(deployment.get("id", "")),
        state=str(deployment.get("rolloutState") or "COMPLETED"),  # no circuit breaker: ECS omits the state
        reason=deployment.get("rolloutStateReason"),
        task_definition=_short_arn(deployment.get("taskDefinition")),
        running=int(deployment.get("runningCount", 0)),
        desired=int(deployment.get("desiredCount", 0)),
        pending=int(deployment.get("pendingCount", 0)),
        failed_tasks=int(deployment.get("failedTasks", 0)),
        created_at=deployment.get("createdAt"),
    )


def _target(description: dict[str, Any]) -> Target:
    target = description.get("Target", {})
    health = description.get("TargetHealth", {})
    return Target(id=str(target.get("Id", "")), port=target.get("Port"), state=str(health.get("State", "unknown")),
                  reason=health.get("Reason"), description=health.get("Description"))


def _short_arn(arn: str | None) -> str | None:
    """arn:aws:ecs:...:task-definition/shop-test-web:7 -> shop-test-web:7."""
    return arn.rsplit("/", 1)[-1] if arn else None


def _health(service_status: str | None, running: int, desired: int, rollout: Rollout | None,
            failed: Rollout | None, targets: tuple[Target, ...]) -> tuple[Health, str | None]:
    if service_status == "DRAINING":
        return Health.STOPPED, "the service is being deleted"
    if failed is not None:
        return Health.FAILED, ("the newest deployment failed and ECS rolled back to the previous task definition; "
                               "see the reason above and `ecsp logs`")
    if rollout is not None and rollout.state == "IN_PROGRESS":
        return Health.DEPLOYING, None
    if desired == 0:
        return Health.STOPPED, None
    unhealthy = [t for t in targets if t.state == "unhealthy"]
    if running < desired or unhealthy:
        return Health.DEGRADED, "see the events and target reasons below, and `ecsp logs`"
    return Health.HEALTHY, None


# --------------------------------------------------------------------------- rendering


def render(report: StatusReport, out: Console, *, details: bool = True, err: Console | None = None) -> None:
    """A table of every application, then (with ``details``) each one's rollout, targets and events.

    Environments that could not be read are reported on ``err`` (default: ``out``), one line each with a fix.
    """
    title = Text(f"{report.project}: application status")
    if report.local:
        title.append("  (local emulator: nothing here is real)", style="yellow")
    out.print(title)  # not the table's title: that wraps to the width of a narrow table
    table = Table(expand=False)
    # Short headers and names never folded, so the table fits 80 columns; the URLs follow the table,
    # whole, because a URL folded inside a cell can be neither read nor clicked.
    for column in ("env", "app", "state"):
        table.add_column(column, no_wrap=True)
    for column in ("tasks", "rollout", "targets"):
        table.add_column(column)
    for a in report.applications:
        deployed = a.health is not Health.NOT_DEPLOYED
        tasks = f"{a.running}/{a.desired}" + (f" (+{a.pending} pending)" if a.pending else "") if deployed else "-"
        if APPLICATION_TYPES[a.kind].has(Capability.SCHEDULE) and deployed:  # no tasks kept running: the last run
            tasks = f"last run {a.runs[0].status.lower()}" if a.runs else "no runs yet"
        shown = a.failed_rollout or a.rollout
        rollout = shown.state.lower().replace("_", " ") if shown else "-"
        if a.deployment is not None:  # a traffic shift says more than "in progress"
            rollout = (a.deployment.stage or a.deployment.status).lower().replace("_", " ")
        targets = f"{a.healthy_targets}/{len(a.targets)} healthy" if a.targets else "-"
        table.add_row(a.environment, a.application, Text(str(a.health), style=STYLES[a.health]), tasks, rollout,
                      targets)
    out.print(table)
    links = [a for a in report.applications if a.url]
    if links:
        out.print(Text("URLs", style="bold"))
        for a in links:
            out.print(Text.assemble(f"  {a.environment}/{a.application}  ", link(a.url or "")), soft_wrap=True)
    if details:
        # Applications with the very same details (every application of an environment that is not
        # deployed has the same hint) share one heading instead of repeating it.
        groups: dict[tuple[str, ...], tuple[list[str], list[Text]]] = {}
        for a in report.applications:
            lines = _details(a)
            if lines:
                groups.setdefault(tuple(line.plain for line in lines), ([], lines))[0].append(
                    f"{a.environment}/{a.application}")
        for names, lines in groups.values():
            out.print(Text(", ".join(names), style="bold"))
            for line in lines:
                out.print(Text("  ") + line)
    data.render(report.data, out)
    render_problems(report.problems, err or out)


def render_problems(problems: Sequence[EnvironmentProblem], out: Console) -> None:
    """``error: <message>`` and ``  fix: <what to do>``, the CLI's error format, per environment."""
    for p in problems:
        out.print(Text.assemble(("error: ", "bold red"), p.message), soft_wrap=True)
        if p.fix:
            out.print(f"  fix: {p.fix}", soft_wrap=True)


def _details(a: AppStatus) -> list[Text]:
    """The lines under an application's heading: a failed rollout, unhealthy targets, events, a hint."""
    lines: list[Text] = []
    if a.deployment is not None:
        lines.append(Text(f"deployment {a.deployment.describe(datetime.now(UTC))}", style="yellow"))
    # Only a failed rollout's reason says something (the circuit breaker's); the others are boilerplate.
    for r in (a.failed_rollout, a.rollout):
        if r is not None and r.state == "FAILED":
            reason = r.reason or "no reason given"
            lines.append(Text.assemble(f"rollout {r.id} ", ("FAILED", "bold red"), f": {reason}"))
    for t in a.targets:
        if t.state != "healthy":
            why = ": ".join(x for x in (t.reason, t.description) if x)
            lines.append(Text(f"target {t.id}:{t.port} {t.state}" + (f" ({why})" if why else ""), style="red"))
    if a.queue is not None:
        q = a.queue
        lines.append(Text(f"queue: {q.visible} waiting, {q.in_flight} in flight, {q.dead_letters} dead letters",
                          style="red" if q.dead_letters else ""))
    for run in a.runs:
        when = run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else ""
        code = f", exit code {run.exit_code}" if run.exit_code is not None else ""
        failed = run.status in workloads.FINISHED and run.status != "SUCCEEDED"
        lines.append(Text.assemble((when, "dim"), f" run {run.name}: ",
                                   (run.status.lower().replace("_", " "), "red" if failed else ""), code))
    for e in a.events:
        when = e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else ""
        lines.append(Text.assemble((when, "dim"), " ", e.message))
    if a.hint:
        lines.append(Text(f"hint: {a.hint}", style="cyan"))
    return lines
