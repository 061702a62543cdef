"""``ecsp exec``: a shell (or a command) in a running container over ECS Exec, the way the AWS CLI does it.

The flow follows ``aws ecs execute-command`` (aws/aws-cli
``awscli/customizations/ecs/executecommand.py``): ``ExecuteCommand`` returns a Session
Manager session, ``DescribeTasks`` gives the container's runtime id, and the local
``session-manager-plugin`` is started with six arguments: the session as JSON, the region,
``StartSession``, the profile (or ``""``), ``{"Target": "ecs:<cluster>_<task id>_<runtime
id>"}`` as JSON, and the ECS endpoint. The plugin owns the terminal; while it runs, ecsp
ignores SIGINT, SIGQUIT and SIGTSTP, so Ctrl-C, Ctrl-\\ and Ctrl-Z reach the remote shell
instead of stopping ecsp and orphaning the plugin.

Before that, :func:`preflight` says what would make the session fail, each as a
:class:`Check` with its fix (the checks of amazon-ecs-exec-checker): the plugin, exec on
the service and on the task, the ExecuteCommandAgent, the task role's ``ssmmessages``
permissions, AWS credentials set as container variables (a known cause of
``TargetNotConnectedException``) and a network path to ``ssmmessages``.

ECS Exec does not return the remote command's exit status (the plugin exits 0):
``ecsp task run`` is the way to run a command whose status matters.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from ecsp.aws import ACCESS_DENIED_CODES, Sessions, Where, aws_errors, client_config, error_code
from ecsp.config import Capability, ProjectConfig
from ecsp.errors import EcspError, UsageError
from ecsp.ops import check_names, find

PLUGIN = "session-manager-plugin"
PLUGIN_INSTALL = ("https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                  "session-manager-working-with-install-plugin.html")
DEFAULT_COMMAND = "/bin/sh"
AGENT = "ExecuteCommandAgent"
SSM_MESSAGES_ACTIONS = ("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel")
# Variables the SSM agent in the container would pick up instead of the task role's credentials.
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class ExecError(EcspError):
    """ECS Exec cannot start a session into the chosen container (the message says why)."""


@dataclass(frozen=True)
class Check:
    """One precondition of ECS Exec: met (True), not met (False) or unknown (None: it could not be read)."""

    name: str
    ok: bool | None
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class ExecTarget:
    """The running container a session would open into, as ECS describes it."""

    region: str
    cluster: str  # ARN
    task: dict[str, Any]
    container: str
    service: dict[str, Any] | None = None
    task_definition: dict[str, Any] = field(default_factory=dict)

    @property
    def cluster_name(self) -> str:
        return self.cluster.rsplit("/", 1)[-1]

    @property
    def task_id(self) -> str:
        return str(self.task["taskArn"]).rsplit("/", 1)[-1]

    @property
    def container_status(self) -> dict[str, Any]:
        return next((c for c in self.task.get("containers") or [] if c.get("name") == self.container), {})

    @property
    def ssm_target(self) -> str:
        """Session Manager's name for the container: ``ecs:<cluster name>_<task id>_<runtime id>``."""
        return f"ecs:{self.cluster_name}_{self.task_id}_{self.container_status.get('runtimeId', '')}"


# --------------------------------------------------------------------------- finding the container


def running_tasks(ecs: Any, cluster: str, service: str) -> list[dict[str, Any]]:
    """The service's RUNNING tasks, newest first."""
    arns: list[str] = []
    for listing in ecs.get_paginator("list_tasks").paginate(cluster=cluster, serviceName=service,
                                                            desiredStatus="RUNNING"):
        arns.extend(listing.get("taskArns", []))
    tasks: list[dict[str, Any]] = []
    for group in find.chunks(arns, 100):
        tasks += ecs.describe_tasks(cluster=cluster, tasks=list(group)).get("tasks", [])
    oldest = datetime.min.replace(tzinfo=UTC)
    running = [t for t in tasks if t.get("lastStatus") == "RUNNING"]
    return sorted(running, key=lambda t: t.get("startedAt") or oldest, reverse=True)


def choose_task(tasks: Sequence[dict[str, Any]], prefix: str | None, where: str) -> dict[str, Any]:
    """The task whose id starts with ``prefix``, else the newest; an error naming the running ones otherwise."""
    if not tasks:
        raise ExecError(f"{where} has no running task", fix="check `ecsp status`: the service may be scaled to 0 or "
                        "its tasks may fail to start (`ecsp logs APP --previous` says why the last one stopped)")
    if prefix is None:
        return tasks[0]
    matching = [t for t in tasks if str(t["taskArn"]).rsplit("/", 1)[-1].startswith(prefix.lower())]
    ids = ", ".join(str(t["taskArn"]).rsplit("/", 1)[-1][:12] for t in tasks)
    if not matching:
        raise ExecError(f"{where} has no running task whose id starts with '{prefix}'", fix=f"running: {ids}")
    if len(matching) > 1:
        raise UsageError(f"'{prefix}' starts the ids of {len(matching)} running tasks of {where}",
                         fix=f"give more of the id: {ids}")
    return matching[0]


def choose_container(task: dict[str, Any], wanted: str | None, default: str | None) -> str:
    """``wanted``, else ``default`` (the application's container), else the task's only container."""
    names = [str(c.get("name")) for c in task.get("containers") or []]
    for name in (wanted, default):
        if name is not None and name in names:
            return name
    if wanted is not None:
        raise UsageError(f"the task has no container '{wanted}'", fix="use one of: " + ", ".join(names))
    if len(names) == 1:
        return names[0]
    raise UsageError("the task has several containers: say which with --container",
                     fix="use one of: " + ", ".join(names))


def target(ecs: Any, region: str, cluster: str, service: dict[str, Any] | None, task: dict[str, Any],
           container: str) -> ExecTarget:
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    return ExecTarget(region, cluster, task, container, service, definition)


# --------------------------------------------------------------------------- preflight


def preflight(target: ExecTarget, *, iam: Any, ec2: Any, plugin: str | None) -> list[Check]:
    """What ECS Exec needs, checked in the order a session needs it (``plugin``: its path, None if absent)."""
    checks = [_plugin(plugin), *_exec_enabled(target), _agent(target), _task_role(target, iam),
              _credential_variables(target), _network(target, ec2)]
    return [c for c in checks if c is not None]


def _plugin(path: str | None) -> Check:
    if path:
        return Check("session-manager-plugin", True, path)
    return Check("session-manager-plugin", False, f"{PLUGIN} is not installed (or not on PATH)",
                 fix=f"install it: {PLUGIN_INSTALL} (macOS: `brew install --cask session-manager-plugin`)")


def _exec_enabled(target: ExecTarget) -> Iterator[Check]:
    if target.service is not None:
        name = target.service.get("serviceName", "the service")
        if target.service.get("enableExecuteCommand"):
            yield Check("exec on the service", True, f"{name} has enableExecuteCommand")
        else:
            yield Check("exec on the service", False, f"{name} does not have enableExecuteCommand",
                        fix="set `exec: true` on the application in ecsp.yaml and run `ecsp up` (for a service "
                            "ecsp did not create: `aws ecs update-service --enable-execute-command "
                            "--force-new-deployment`)")
    if target.task.get("enableExecuteCommand"):
        yield Check("exec on the task", True, f"task {target.task_id[:12]} was started with exec")
    else:
        yield Check("exec on the task", False, f"task {target.task_id[:12]} was started without exec (tasks started "
                    "before exec was turned on keep running without it)",
                    fix="replace the tasks: `ecsp up` after turning exec on does, or `aws ecs update-service "
                        "--force-new-deployment`; then pick a new task")


def _agent(target: ExecTarget) -> Check:
    agents = target.container_status.get("managedAgents") or []
    agent = next((a for a in agents if a.get("name") == AGENT), None)
    if agent is None:
        return Check("ExecuteCommandAgent", False, f"container {target.container} has no {AGENT}",
                     fix="exec must be on when the task starts: turn it on, then replace the task")
    status = agent.get("lastStatus", "UNKNOWN")
    if status == "RUNNING":
        return Check("ExecuteCommandAgent", True, f"running in container {target.container}")
    reason = f": {agent['reason']}" if agent.get("reason") else ""
    return Check("ExecuteCommandAgent", False, f"{AGENT} in container {target.container} is {status}{reason}",
                 fix="wait a minute after the task starts; if it stays so, check the task role's ssmmessages "
                     "permissions and the network path below, then replace the task")


def _task_role(target: ExecTarget, iam: Any) -> Check:
    role_arn = target.task_definition.get("taskRoleArn")
    name = "task role permissions"
    if not role_arn:
        return Check(name, False, "the task definition has no task role; the SSM agent in the container needs one",
                     fix="ecsp gives every application a task role: deploy with `ecsp up`; for another service, add "
                         "a task role allowing " + ", ".join(SSM_MESSAGES_ACTIONS))
    role = str(role_arn).rsplit("/", 1)[-1]
    try:
        statements = list(_role_statements(iam, role))
    except (ClientError, BotoCoreError) as e:
        code = error_code(e)
        why = "not allowed to read it" if code in ACCESS_DENIED_CODES else code or type(e).__name__
        return Check(name, None, f"could not read role {role}'s policies ({why})")
    missing = [a for a in SSM_MESSAGES_ACTIONS if not _allowed(statements, a)]
    if missing:
        return Check(name, False, f"role {role} does not allow {', '.join(missing)}",
                     fix="set `exec: true` on the application and run `ecsp up` (it grants them); for another "
                         "service, add a policy allowing them on \"*\" to the task role")
    return Check(name, True, f"role {role} allows the ssmmessages channels")


def _role_statements(iam: Any, role: str) -> Iterator[dict[str, Any]]:
    documents: list[Any] = []
    for listing in iam.get_paginator("list_role_policies").paginate(RoleName=role):
        documents += [iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
                      for n in listing.get("PolicyNames", [])]
    for listing in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
        for attached in listing.get("AttachedPolicies", []):
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                                    VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"])
    for document in documents:
        if isinstance(document, str):
            from urllib.parse import unquote

            document = json.loads(unquote(document))
        statements = document.get("Statement", [])
        yield from [statements] if isinstance(statements, dict) else statements


def _matches(patterns: Any, action: str) -> bool:
    values = [patterns] if isinstance(patterns, str) else list(patterns or [])
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in values)


def _allowed(statements: Sequence[Mapping[str, Any]], action: str) -> bool:
    """An Allow for ``action`` on every resource and no Deny of it (conditions are not evaluated)."""
    applies = [s for s in statements if _matches(s.get("Action"), action) and _matches(s.get("Resource", "*"), "*")]
    return any(s.get("Effect") == "Allow" for s in applies) and not any(s.get("Effect") == "Deny" for s in applies)


def _credential_variables(target: ExecTarget) -> Check:
    definition: dict[str, Any] = next((c for c in target.task_definition.get("containerDefinitions") or []
                                       if c.get("name") == target.container), {})
    names = {str(v.get("name")) for v in [*(definition.get("environment") or []), *(definition.get("secrets") or [])]}
    found = [n for n in CREDENTIAL_VARIABLES if n in names]
    if found:
        return Check("no AWS credentials in the container", False,
                     f"container {target.container} sets {', '.join(found)}: the SSM agent then uses those instead "
                     "of the task role, and sessions fail with TargetNotConnectedException",
                     fix="remove them from variables/secrets and give the task role the permissions instead")
    return Check("no AWS credentials in the container", True, "none of " + ", ".join(CREDENTIAL_VARIABLES[:2]))


def _network(target: ExecTarget, ec2: Any) -> Check | None:
    name = "network path to ssmmessages"
    details = {d.get("name"): d.get("value") for a in target.task.get("attachments") or []
               for d in a.get("details") or []}
    subnet, interface = details.get("subnetId"), details.get("networkInterfaceId")
    if not subnet:
        return None  # not awsvpc: nothing ecsp can read about the path
    try:
        public = False
        if interface:
            found = ec2.describe_network_interfaces(NetworkInterfaceIds=[interface]).get("NetworkInterfaces", [])
            public = bool(found and (found[0].get("Association") or {}).get("PublicIp"))
        vpc = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
        routes = _default_routes(ec2, subnet, vpc)
        endpoints = ec2.describe_vpc_endpoints(Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "service-name", "Values": [f"com.amazonaws.{target.region}.ssmmessages"]},
        ]).get("VpcEndpoints", [])
    except (ClientError, BotoCoreError) as e:
        return Check(name, None, f"could not read the task's network ({error_code(e) or type(e).__name__})")
    if any(e.get("State", "available") == "available" for e in endpoints):
        return Check(name, True, f"VPC endpoint for ssmmessages in {vpc}")
    if public and any(r.get("GatewayId", "").startswith("igw-") for r in routes):
        return Check(name, True, f"public IP, and subnet {subnet} routes to an internet gateway")
    if not public and any(r.get("NatGatewayId") or r.get("TransitGatewayId") or r.get("NetworkInterfaceId")
                          or r.get("InstanceId") for r in routes):
        return Check(name, True, f"subnet {subnet} routes 0.0.0.0/0 through a NAT (or another gateway)")
    how = "has a public IP but its subnet has no route to an internet gateway" if public else \
        "has no public IP and its subnet has no NAT route"
    return Check(name, False, f"the task {how}, and VPC {vpc} has no ssmmessages endpoint",
                 fix="use placement: public, or an environment with nat: single, or add an interface VPC endpoint "
                     f"com.amazonaws.{target.region}.ssmmessages")


def _default_routes(ec2: Any, subnet: str, vpc: str) -> list[dict[str, Any]]:
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
    if not tables:  # the subnet uses its VPC's main route table
        tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                    {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    return [r for t in tables for r in t.get("Routes", []) if r.get("DestinationCidrBlock") == "0.0.0.0/0"]


def blocking(checks: Sequence[Check]) -> list[Check]:
    """The checks that fail (unknown ones do not block: ECS will say)."""
    return [c for c in checks if c.ok is False]


# --------------------------------------------------------------------------- putting it together


@dataclass(frozen=True)
class Connection:
    """The AWS session exec's calls go through, and what the plugin is told about it.

    ``profile`` is passed to the plugin as the AWS CLI passes its own (``""`` for none).
    ``handed_on``: the session's credentials are ecsp's own (a role it assumed), which the
    plugin cannot find by itself, so they go to it in its environment.
    """

    session: Any  # boto3.Session
    where: Where
    profile: str = ""
    handed_on: bool = False

    def client(self, service: str) -> Any:
        return self.session.client(service, config=client_config())

    def plugin_environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        environ = dict(os.environ if base is None else base)
        if self.handed_on:
            frozen = self.session.get_credentials().get_frozen_credentials()
            environ.update(AWS_ACCESS_KEY_ID=frozen.access_key, AWS_SECRET_ACCESS_KEY=frozen.secret_key)
            if frozen.token:
                environ["AWS_SESSION_TOKEN"] = frozen.token
            environ.pop("AWS_PROFILE", None)
        return environ


@dataclass(frozen=True)
class ExecReport:
    """The container ``ecsp exec`` would open a session into, and what stands in the way."""

    target: ExecTarget
    checks: list[Check]
    connection: Connection

    @property
    def ready(self) -> bool:
        return not blocking(self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"cluster": self.target.cluster, "service": (self.target.service or {}).get("serviceName"),
                "task": self.target.task.get("taskArn"), "container": self.target.container, "ready": self.ready,
                "checks": [c.to_json() for c in self.checks]}


def application(config: ProjectConfig, sessions: Sessions, env: str, app: str) -> tuple[Connection, str, str]:
    """How to reach ``app``'s service in ``env``: the connection, its cluster's ARN and the service's name."""
    from ecsp.aws import NotDeployedError

    check_names(config, [env], [app])
    settings = config.environments[env]
    if sessions.local is not None:
        raise UsageError("ecsp exec has no --local: the emulator runs no containers to open a session into",
                         fix="run it against the environment's AWS account")
    resolved = config.application(env, app)
    if not resolved.has(Capability.SERVICE):
        raise UsageError(f"'{app}' is a {resolved.type.called}: its tasks run and end, with no service to exec into",
                         fix=f"run a command in a task of it with `ecsp task run {app} --env {env} -- COMMAND`")
    where = sessions.where(env)
    connection = Connection(sessions.session(env), where, profile=settings.profile or os.environ.get("AWS_PROFILE", ""),
                            handed_on=settings.role_arn is not None)
    deploy = f"deploy it with `ecsp up --env {env} --app {app}`"
    with aws_errors(where):
        ecs = sessions.client(env, "ecs")
        cluster = find.find_cluster(ecs, config.project.name, env)
        if cluster is None:
            raise NotDeployedError(f"environment '{env}' is not deployed (no ECS cluster)", fix=deploy)
        service = find.find_services(ecs, str(cluster["clusterArn"]), config.project.name, env, [app]).get(app)
    if service is None:
        raise NotDeployedError(f"application '{app}' has no service in environment '{env}'", fix=deploy)
    return connection, str(cluster["clusterArn"]), str(service["serviceName"])


def prepare(connection: Connection, *, cluster: str, service: str, task: str | None = None,
            container: str | None = None, default_container: str | None = None,
            plugin: str | None = None) -> ExecReport:
    """Find the service's task and container (``task``: the first characters of its id) and check them."""
    with aws_errors(connection.where):
        ecs = connection.client("ecs")
        found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
        live = next((s for s in found if s.get("status") != "INACTIVE"), None)
        if live is None:
            raise ExecError(f"there is no service '{service}' in cluster {cluster.rsplit('/', 1)[-1]} "
                            f"({connection.where})", fix="check the names with `aws ecs list-services --cluster "
                            f"{cluster.rsplit('/', 1)[-1]}`")
        cluster_arn = str(live.get("clusterArn") or cluster)
        where = f"service {live.get('serviceName', service)}"
        chosen = choose_task(running_tasks(ecs, cluster_arn, str(live.get("serviceName", service))), task, where)
        name = choose_container(chosen, container, default_container)
        found_target = target(ecs, connection.where.region, cluster_arn, live, chosen, name)
    checks = preflight(found_target, iam=connection.client("iam"), ec2=connection.client("ec2"),
                       plugin=plugin if plugin is not None else shutil.which(PLUGIN))
    return ExecReport(found_target, checks, connection)


def raise_for(report: ExecReport) -> None:
    """:class:`ExecError` naming every check that fails, with each fix."""
    failed = blocking(report.checks)
    if failed:
        lines = [f"{c.name}: {c.detail}" + (f" (fix: {c.fix})" if c.fix else "") for c in failed]
        raise ExecError(f"ECS Exec cannot open a session into {report.target.container} in task "
                        f"{report.target.task_id[:12]}: " + "; ".join(lines),
                        fix="fix the above, or try anyway with --skip-checks")


def connect(report: ExecReport, words: Sequence[str], *, plugin: str | None = None) -> int:
    """Open the session (``words``: the command; a shell when empty) and hand it to the plugin; its exit status."""
    executable = plugin or shutil.which(PLUGIN)
    if executable is None:  # checked again here: the AWS CLI also checks before calling ExecuteCommand
        raise ExecError(f"{PLUGIN} is not installed (or not on PATH)", fix=f"install it: {PLUGIN_INSTALL}")
    connection = report.connection
    with aws_errors(connection.where):
        ecs = connection.client("ecs")
        try:
            response = start_session(ecs, report.target, remote_command(words))
        except ClientError as e:
            raise ExecError(f"ECS would not start the session ({error_code(e)}: "
                            f"{e.response.get('Error', {}).get('Message', '')})",
                            fix="`ecsp exec ... --check` lists what ECS Exec needs; is `exec: true` set on the "
                                "application?") from e
        # The runtime id as the AWS CLI reads it: after ExecuteCommand, from DescribeTasks.
        runtime = current_runtime_id(ecs, response)
    arguments = plugin_arguments(response, region=connection.where.region, profile=connection.profile,
                                 endpoint_url=str(ecs.meta.endpoint_url), runtime_id=runtime)
    return run_plugin(arguments, environ=connection.plugin_environ(), plugin=executable)


def current_runtime_id(ecs: Any, response: Mapping[str, Any]) -> str:
    cluster = str(response["clusterArn"]).rsplit("/", 1)[-1]
    task = str(response["taskArn"]).rsplit("/", 1)[-1]
    found = ecs.describe_tasks(cluster=cluster, tasks=[task]).get("tasks", [])
    if not found:
        raise ExecError(f"task {task} stopped before the session started", fix="run `ecsp exec` again")
    container: dict[str, Any] = next(
        (c for c in found[0].get("containers") or [] if c.get("name") == response["containerName"]), {})
    return str(container.get("runtimeId", ""))


# --------------------------------------------------------------------------- the session


def remote_command(words: Sequence[str]) -> str:
    """ExecuteCommand's one string: the words quoted as a POSIX shell would read them; a shell by default."""
    return shlex.join(words) if words else DEFAULT_COMMAND


def start_session(ecs: Any, target: ExecTarget, command: str) -> dict[str, Any]:
    """``ExecuteCommand``: a Session Manager session into the target's container."""
    return dict(ecs.execute_command(cluster=target.cluster, task=target.task["taskArn"], container=target.container,
                                    command=command, interactive=True))


def plugin_arguments(response: Mapping[str, Any], *, region: str, profile: str, endpoint_url: str,
                     runtime_id: str) -> list[str]:
    """The six arguments the AWS CLI passes to ``session-manager-plugin`` (after its name)."""
    cluster = str(response["clusterArn"]).rsplit("/", 1)[-1]
    task = str(response["taskArn"]).rsplit("/", 1)[-1]
    target = {"Target": f"ecs:{cluster}_{task}_{runtime_id}"}
    return [json.dumps(response["session"]), region, "StartSession", profile, json.dumps(target), endpoint_url]


@contextlib.contextmanager
def user_signals_ignored() -> Iterator[None]:
    """Ignore Ctrl-C, Ctrl-\\ and Ctrl-Z in ecsp while the plugin (which handles them) runs, then restore them."""
    wanted = [signal.SIGINT] if os.name == "nt" else [signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP]
    previous = [signal.signal(s, signal.SIG_IGN) for s in wanted]
    try:
        yield
    finally:
        for s, handler in zip(wanted, previous, strict=True):
            signal.signal(s, handler)


def run_plugin(arguments: Sequence[str], *, environ: Mapping[str, str] | None = None,
               plugin: str | None = None) -> int:
    """Run the plugin with the terminal attached; its exit status (not the remote command's)."""
    executable = plugin or shutil.which(PLUGIN)
    if executable is None:
        raise ExecError(f"{PLUGIN} is not installed (or not on PATH)", fix=f"install it: {PLUGIN_INSTALL}")
    with user_signals_ignored():
        return subprocess.call([executable, *arguments], env=dict(environ) if environ is not None else None)


__all__ = ["Check", "Connection", "ExecError", "ExecReport", "ExecTarget", "application", "blocking",
           "choose_container", "choose_task", "connect", "plugin_arguments", "preflight", "prepare", "raise_for",
           "remote_command", "run_plugin", "running_tasks", "start_session", "target", "user_signals_ignored"]
