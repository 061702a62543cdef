"""``show``: the project at a glance, config plus live state: environments and where each application runs.

Built on :func:`ecsp.ops.status.status` (for the applications and the data) plus, per
environment, the account actually reached (STS) and the shared load balancer's address.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ecsp import naming
from ecsp.aws import Sessions, aws_errors
from ecsp.config import APPLICATION_TYPES, Capability, ProjectConfig, ResolvedApplication
from ecsp.errors import AwsError
from ecsp.notebook import Printed, Renders, link
from ecsp.notes import describe_capacity
from ecsp.ops import data, find, jsonable
from ecsp.ops.status import STYLES, AppStatus, EnvironmentProblem, Health, render_problems, status


@dataclass(frozen=True)
class EnvironmentView:
    name: str
    region: str
    account: str | None  # from ecsp.yaml, else the account the credentials reach
    url_base: str | None  # https://<env>.<project>.<domain>, or the load balancer's http:// address
    deployed: bool | None  # None: could not be read (see the report's problems)
    profile: str | None = None
    role_arn: str | None = None
    vpc_id: str | None = None  # the existing VPC of network.vpc; None when ecsp creates the VPC
    certificates: tuple[str, ...] = ()  # the environment's own ACM certificates
    access_logs: str | None = None  # the bucket the load balancer logs to (read live when ecsp made it)
    flow_logs: int | None = None  # days flow logs are kept, when on


@dataclass(frozen=True)
class Placement:
    """One application in one environment."""

    environment: str
    health: Health
    running: int
    desired: int
    url: str | None


@dataclass(frozen=True)
class ApplicationView:
    name: str
    path: str  # the path in the first environment (overrides may differ per environment)
    placements: tuple[Placement, ...]
    kind: str = "web"  # the application's type, under the YAML's name for it (and in --json)
    # What ecsp.yaml sets beyond the basics, in the first environment: aliases, sidecars, volumes,
    # capacity, deployment, connect, topics, schedule ('' when none).
    settings: str = ""

    @property
    def deployed_in(self) -> list[str]:
        return [p.environment for p in self.placements if p.health is not Health.NOT_DEPLOYED]


@dataclass(frozen=True, repr=False)
class ShowReport(Renders):
    """The project at a glance; renders in rich and Jupyter as ``ecsp show`` prints it."""

    project: str
    region: str
    account: str | None
    domain: str | None
    environments: tuple[EnvironmentView, ...]
    applications: tuple[ApplicationView, ...]
    problems: tuple[EnvironmentProblem, ...] = ()
    local: bool = False
    data: tuple[data.DataState, ...] = ()  # every environment's data, with its state and endpoint

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        for app, view in zip(document["applications"], self.applications, strict=True):
            app["deployed_in"] = view.deployed_in
        return dict(jsonable(document))

    def summary(self) -> str:
        return (f"ShowReport {self.project}: {len(self.environments)} environments, "
                f"{len(self.applications)} applications")

    def __rich__(self) -> Printed:
        return Printed(lambda out: render(self, out))


def show(config: ProjectConfig, sessions: Sessions) -> ShowReport:
    report = status(config, sessions, events=0)
    failed = {p.environment for p in report.problems}
    problems = list(report.problems)
    environments = []
    for env in config.environments:
        view = None
        if env not in failed:
            try:
                view = _environment(config, sessions, env, [a for a in report.applications if a.environment == env])
            except AwsError as e:
                problems.append(EnvironmentProblem(env, e.message, e.fix))
        environments.append(view or _unknown(config, env))
    applications = []
    for app in config.applications:
        rows: dict[str, AppStatus] = {a.environment: a for a in report.applications if a.application == app}
        placements = tuple(Placement(env, rows[env].health, rows[env].running, rows[env].desired, rows[env].url)
                           for env in config.environments if env in rows)
        first = next(iter(config.environments))
        settings = config.application(first, app)
        applications.append(ApplicationView(app, settings.path, placements, settings.kind,
                                            _application_settings(settings)))
    return ShowReport(config.project.name, config.project.region, config.project.account, config.project.domain,
                      tuple(environments), tuple(applications), tuple(problems), local=sessions.local is not None,
                      data=report.data)


def _application_settings(app: ResolvedApplication) -> str:
    """An application's type-specific and container settings in one line ('' when it uses none)."""
    parts = []
    # What the container runs instead of the image's own, quoted as a shell would take it.
    parts += [f"{key} {shlex.join(words)}" for key, words in (("entrypoint", app.entrypoint), ("command", app.command))
              if words]
    if app.connect:
        parts.append("Service Connect" + (f" as {app.connect}" if isinstance(app.connect, str) else ""))
    if app.publish:
        parts.append(f"publishes {', '.join(app.publish)}")
    if app.subscribe:
        parts.append(f"subscribes to {', '.join(f'{s.app}/{s.topic}' for s in app.subscribe)}")
    if app.has(Capability.SCHEDULE):
        parts.append(f"schedule {app.schedule or 'none'}")
    if app.aliases:
        parts.append(f"aliases {', '.join(app.aliases)}")
    if app.sidecars:
        parts.append(f"sidecars {', '.join(app.sidecars)}")
    if app.logging is not None:
        parts.append("logs through FireLens")
    volumes = app.storage.volumes
    if volumes:
        mounted = (f"{name} at {v.path} ({_file_system(v.efs)})" for name, v in volumes.items())
        parts.append(f"volumes {', '.join(mounted)}")
    if app.capacity != "on-demand":
        parts.append(f"capacity {app.capacity if isinstance(app.capacity, str) else describe_capacity(app.capacity)}")
    if app.deployment.percents != (100, 200):
        minimum, maximum = app.deployment.percents
        parts.append(f"deploys {minimum}%..{maximum}%")
    return "; ".join(parts)


def _file_system(efs: Any) -> str:
    return "managed EFS" if efs is True else f"EFS {efs.id}"


def _settings(config: ProjectConfig, env: str) -> dict[str, Any]:
    """What ecsp.yaml says about the environment's VPC, certificates and logs (issue 12)."""
    cfg = config.environments[env]
    logs = cfg.access_logs
    return {"vpc_id": cfg.network.vpc.id if cfg.network.vpc else None, "certificates": tuple(cfg.certificates),
            "access_logs": logs.bucket if not isinstance(logs, bool) and logs is not None else None,
            "flow_logs": cfg.network.flow_log_retention}


def _unknown(config: ProjectConfig, env: str) -> EnvironmentView:
    cfg = config.environments[env]
    return EnvironmentView(env, cfg.region, config.account_of(env), None, None, cfg.profile, cfg.role_arn,
                           **_settings(config, env))


def _environment(config: ProjectConfig, sessions: Sessions, env: str, rows: list[AppStatus]) -> EnvironmentView:
    cfg = config.environments[env]
    project = config.project.name
    with aws_errors(sessions.where(env)):
        account = config.account_of(env) or sessions.client(env, "sts").get_caller_identity()["Account"]
        cluster = find.find_cluster(sessions.client(env, "ecs"), project, env)
        url_base = None
        settings = _settings(config, env)
        balancer = find.load_balancer(sessions.client(env, "elbv2"), project, env) if cluster is not None else None
        if config.project.domain:
            url_base = f"https://{naming.environment_zone(project, env, config.project.domain)}"
        elif balancer is not None:
            scheme = "https" if cfg.certificates else "http"
            url_base = f"{scheme}://{balancer['DNSName']}"
        if cfg.access_logs is True and balancer is not None:
            # ecsp named the bucket at deploy time (auto-named): the load balancer knows which one.
            settings["access_logs"] = _access_log_bucket(sessions.client(env, "elbv2"), balancer["LoadBalancerArn"])
    deployed = cluster is not None or any(r.health is not Health.NOT_DEPLOYED for r in rows)
    return EnvironmentView(env, cfg.region, account, url_base if deployed else None, deployed, cfg.profile,
                           cfg.role_arn, **settings)


def _access_log_bucket(elbv2: Any, arn: str) -> str | None:
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    values = {a["Key"]: a.get("Value") for a in attributes}
    if values.get("access_logs.s3.enabled") != "true":
        return None
    return values.get("access_logs.s3.bucket") or None


# --------------------------------------------------------------------------- rendering


def render(report: ShowReport, out: Console, *, err: Console | None = None) -> None:
    """The project line, an environments table and an applications-by-environment table; problems on ``err``."""
    head = Text.assemble("project ", (report.project, "bold"), f"  home region {report.region}")
    if report.account:
        head.append(f", account {report.account}")
    head.append(f", domain {report.domain}" if report.domain else ", no domain (plain HTTP)")
    if report.local:
        head.append("  (local emulator: nothing here is real)", style="yellow")
    out.print(head)

    # Names, regions and accounts are never folded, so the table fits 80 columns; the URL bases follow
    # the table, whole, because a URL folded inside a cell can be neither read nor clicked.
    envs = Table(title="environments", title_justify="left")
    for column in ("name", "region", "account"):
        envs.add_column(column, no_wrap=True)
    envs.add_column("credentials", overflow="fold")
    envs.add_column("deployed", no_wrap=True)
    for e in report.environments:
        creds = ", ".join(x for x in (f"profile {e.profile}" if e.profile else "",
                                      f"role {_role(e.role_arn, e.account)}" if e.role_arn else "") if x) or "default"
        deployed = {True: Text("yes", style="green"), False: Text("no", style="dim"),
                    None: Text("unknown", style="red")}[e.deployed]
        envs.add_row(e.name, e.region, e.account or "-", creds, deployed)
    out.print(envs)
    settings = [(e.name, _describe(e)) for e in report.environments if _describe(e)]
    if settings:
        out.print(Text("settings", style="bold"))
        for name, line in settings:
            out.print(Text(f"  {name}  {line}"), soft_wrap=True)
    bases = [e for e in report.environments if e.url_base]
    if bases:
        out.print(Text("URLs", style="bold"))
        for e in bases:
            out.print(Text.assemble(f"  {e.name}  ", link(e.url_base or "")), soft_wrap=True)

    names = [e.name for e in report.environments]
    apps = Table(title="applications", title_justify="left")
    apps.add_column("name")
    apps.add_column("path")  # or the type, for applications without one
    for name in names:
        apps.add_column(name, overflow="fold")
    for a in report.applications:
        cells: dict[str, Text] = {}
        for p in a.placements:
            label = str(p.health)
            if p.health is not Health.NOT_DEPLOYED:
                label += f" {p.running}/{p.desired}"
            cells[p.environment] = Text(label, style=STYLES[p.health])
        apps.add_row(a.name, a.path if APPLICATION_TYPES[a.kind].has(Capability.HTTP) else a.kind,
                     *(cells.get(n, Text("unknown", style="red")) for n in names))
    out.print(apps)
    described = [a for a in report.applications if a.settings]
    if described:
        out.print(Text("application settings", style="bold"))
        for a in described:
            out.print(Text(f"  {a.name}  {a.settings}"), soft_wrap=True)
    data.render(report.data, out)
    render_problems(report.problems, err or out)


def _describe(e: EnvironmentView) -> str:
    """The environment's issue-12 settings in one line ('' when it uses none)."""
    parts = []
    if e.vpc_id:
        parts.append(f"existing VPC {e.vpc_id}")
    if e.certificates:
        parts.append(f"certificates {', '.join(e.certificates)}")
    if e.access_logs:
        parts.append(f"access logs to s3://{e.access_logs}")
    if e.flow_logs:
        parts.append(f"flow logs kept {e.flow_logs} days")
    return "; ".join(parts)


def _role(arn: str, account: str | None) -> str:
    """A role in the environment's own account by its name (the account column shows the account)."""
    prefix = f"arn:aws:iam::{account}:role/"
    return arn.removeprefix(prefix) if account and arn.startswith(prefix) else arn
