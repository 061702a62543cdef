"""`ecsp exec`: the preflight against moto's IAM and EC2, the session with a fake session-manager-plugin.

moto has no ExecuteCommand and keeps neither a service's or task's enableExecuteCommand nor
a container's managed agents and runtime id: those ECS answers come from botocore's Stubber
(in place of the ECS client only). The plugin is a script that records the arguments and
environment it was started with, and can signal ecsp as a user's Ctrl-C would.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from ecsp import api, cli, naming
from ecsp.aws import Where
from ecsp.ops import exec as ops
from stacks.application_iam import assume_role_policy, exec_policy
from tests import ops_support as aws

moto, project_file, aws_is_moto = aws.moto, aws.project_file, aws.aws_is_moto  # fixtures

REGION = "us-east-1"
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/shop-test-1a2b3c4"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/shop-test-1a2b3c4/0123456789abcdef0123456789abcdef"
OLDER = "arn:aws:ecs:us-east-1:123456789012:task/shop-test-1a2b3c4/fedcba9876543210fedcba9876543210"
DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-test-web:3"
RUNTIME = "0123456789abcdef0123456789abcdef-2531612879"
SESSION = {"sessionId": "ecs-execute-command-0a1b2c3d4e5f", "streamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/"
           "v1/data-channel/ecs-execute-command-0a1b2c3d4e5f?role=publish_subscribe", "tokenValue": "AAEAAX..."}


# --------------------------------------------------------------------------- AWS as a deployed app has it


@pytest.fixture
def network(moto: str) -> dict[str, str]:
    """A public subnet routing to an internet gateway, a private one without NAT, and ENIs in each."""
    ec2 = aws.client(moto, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
    public_eni = ec2.create_network_interface(SubnetId=public)["NetworkInterface"]["NetworkInterfaceId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=public_eni)
    private_eni = ec2.create_network_interface(SubnetId=private)["NetworkInterface"]["NetworkInterfaceId"]
    return {"vpc": vpc, "public": public, "private": private, "public_eni": public_eni, "private_eni": private_eni}


def role(moto: str, name: str, *, with_exec: bool) -> str:
    iam = aws.client(moto, "iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=assume_role_policy())["Role"]["Arn"]
    if with_exec:  # the policy ecsp's application stack gives a task role with `exec: true`
        iam.put_role_policy(RoleName=name, PolicyName="exec", PolicyDocument=exec_policy(
            "arn:aws:logs:us-east-1:123456789012:log-group:/ecsp/shop-test-web"))
    return str(arn)


def task(*, exec_enabled: bool = True, agent: str | None = "RUNNING", subnet: str = "subnet-1", eni: str = "eni-1",
         arn: str = TASK, started: int = 10) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "web", "runtimeId": RUNTIME, "lastStatus": "RUNNING"}
    if agent is not None:
        container["managedAgents"] = [{"name": "ExecuteCommandAgent", "lastStatus": agent}]
    return {"taskArn": arn, "clusterArn": CLUSTER, "taskDefinitionArn": DEFINITION, "lastStatus": "RUNNING",
            "enableExecuteCommand": exec_enabled, "startedAt": datetime(2026, 6, 12, 9, started, tzinfo=UTC),
            "containers": [container, {"name": "datadog", "runtimeId": "x-1", "lastStatus": "RUNNING"}],
            "attachments": [{"type": "ElasticNetworkInterface", "details": [
                {"name": "subnetId", "value": subnet}, {"name": "networkInterfaceId", "value": eni}]}]}


def definition(role_arn: str | None, variables: dict[str, str] | None = None) -> dict[str, Any]:
    return {"taskDefinitionArn": DEFINITION, "family": "shop-test-web", **({"taskRoleArn": role_arn} if role_arn
                                                                              else {}),
            "containerDefinitions": [{"name": "web", "image": "nginx", "environment": [
                {"name": k, "value": v} for k, v in (variables or {}).items()]}]}


def target(raw_task: dict[str, Any], raw_definition: dict[str, Any], *, exec_on_service: bool = True
           ) -> ops.ExecTarget:
    service = {"serviceName": "web", "enableExecuteCommand": exec_on_service}
    return ops.ExecTarget(REGION, CLUSTER, raw_task, "web", service, raw_definition)


def checks(report: list[ops.Check]) -> dict[str, bool | None]:
    return {c.name: c.ok for c in report}


def test_preflight_of_a_container_ready_for_exec(moto: str, network: dict[str, str]) -> None:
    ready = target(task(subnet=network["public"], eni=network["public_eni"]),
                   definition(role(moto, "shop-test-web-task", with_exec=True)))

    found = ops.preflight(ready, iam=aws.client(moto, "iam"), ec2=aws.client(moto, "ec2"),
                          plugin="/usr/local/bin/session-manager-plugin")

    assert checks(found) == {"session-manager-plugin": True, "exec on the service": True, "exec on the task": True,
                             "ExecuteCommandAgent": True, "task role permissions": True,
                             "no AWS credentials in the container": True, "network path to ssmmessages": True}
    assert not ops.blocking(found)


def test_preflight_says_each_thing_that_is_wrong(moto: str, network: dict[str, str]) -> None:
    broken = target(task(exec_enabled=False, agent="STOPPED", subnet=network["private"], eni=network["private_eni"]),
                    definition(role(moto, "other-task", with_exec=False), {"AWS_ACCESS_KEY_ID": "AKIA..."}),
                    exec_on_service=False)

    found = {c.name: c for c in ops.preflight(broken, iam=aws.client(moto, "iam"), ec2=aws.client(moto, "ec2"),
                                              plugin=None)}

    assert {name for name, c in found.items() if c.ok is False} == set(found)
    assert "brew install --cask session-manager-plugin" in (found["session-manager-plugin"].fix or "")
    assert "exec: true" in (found["exec on the service"].fix or "")
    assert "started without exec" in found["exec on the task"].detail
    assert found["ExecuteCommandAgent"].detail == "ExecuteCommandAgent in container web is STOPPED"
    assert found["task role permissions"].detail == ("role other-task does not allow ssmmessages:CreateControlChannel, "
                                                     "ssmmessages:CreateDataChannel, ssmmessages:OpenControlChannel, "
                                                     "ssmmessages:OpenDataChannel")
    assert "TargetNotConnectedException" in found["no AWS credentials in the container"].detail
    assert found["network path to ssmmessages"].detail.startswith("the task has no public IP and its subnet has no "
                                                                  "NAT route")


def test_a_vpc_endpoint_is_a_path_and_unreadable_iam_is_unknown(moto: str, network: dict[str, str]) -> None:
    aws.client(moto, "ec2").create_vpc_endpoint(VpcId=network["vpc"], VpcEndpointType="Interface",
                                                ServiceName="com.amazonaws.us-east-1.ssmmessages")
    private = target(task(subnet=network["private"], eni=network["private_eni"]),
                     definition("arn:aws:iam::123456789012:role/no-such-role"))

    found = checks(ops.preflight(private, iam=aws.client(moto, "iam"), ec2=aws.client(moto, "ec2"), plugin="x"))

    assert found["network path to ssmmessages"] is True
    assert found["task role permissions"] is None  # could not be read: not a blocker


def test_no_task_role(moto: str) -> None:
    found = {c.name: c for c in ops.preflight(target(task(), definition(None)), iam=aws.client(moto, "iam"),
                                              ec2=aws.client(moto, "ec2"), plugin="x")}
    assert found["task role permissions"].ok is False
    assert "has no task role" in found["task role permissions"].detail


def test_choosing_the_task_and_the_container() -> None:
    tasks = [task(arn=TASK, started=20), task(arn=OLDER, started=5)]
    assert ops.choose_task(tasks, None, "service web")["taskArn"] == TASK
    assert ops.choose_task(tasks, "FEDC", "service web")["taskArn"] == OLDER
    with pytest.raises(ops.ExecError, match="no running task whose id starts with '99'"):
        ops.choose_task(tasks, "99", "service web")
    with pytest.raises(ops.ExecError, match="service web has no running task"):
        ops.choose_task([], None, "service web")
    assert ops.choose_container(tasks[0], None, "web") == "web"
    assert ops.choose_container(tasks[0], "datadog", "web") == "datadog"
    with pytest.raises(Exception, match="several containers"):
        ops.choose_container(tasks[0], None, None)


# --------------------------------------------------------------------------- the session


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A session-manager-plugin that records its argv and environment; PLUGIN_SIGNAL makes it Ctrl-C ecsp."""
    record = tmp_path / "plugin.json"
    script = tmp_path / "bin" / "session-manager-plugin"
    script.parent.mkdir()
    script.write_text(f"""#!{sys.executable}
import json, os, signal, sys
with open({str(record)!r}, "w") as out:
    json.dump({{"argv": sys.argv[1:], "env": dict(os.environ)}}, out)
if os.environ.get("PLUGIN_SIGNAL"):
    for name in ("SIGINT", "SIGQUIT", "SIGTSTP"):  # what a user's Ctrl-C, Ctrl-\\\\ and Ctrl-Z send the group
        os.kill(os.getppid(), getattr(signal, name))
sys.exit(int(os.environ.get("PLUGIN_EXIT", "0")))
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    yield script, record


def stubbed_ecs() -> tuple[Any, Stubber]:
    ecs = boto3.client("ecs", region_name=REGION, **aws.FAKE)
    return ecs, Stubber(ecs)


def session_responses(stub: Stubber, command: str) -> None:
    stub.add_response("execute_command", {
        "clusterArn": CLUSTER, "containerArn": f"{CLUSTER}/container/1", "containerName": "web", "interactive": True,
        "session": SESSION, "taskArn": TASK}, {"cluster": CLUSTER, "task": TASK, "container": "web",
                                               "command": command, "interactive": True})
    # The AWS CLI's call for the runtime id, by cluster name and task id.
    stub.add_response("describe_tasks", {"tasks": [task()]},
                      {"cluster": "shop-test-1a2b3c4", "tasks": ["0123456789abcdef0123456789abcdef"]})


def report_with(ecs: Any, *, profile: str = "", handed_on: bool = False, session: Any = None) -> ops.ExecReport:
    connection = ops.Connection(session or boto3.Session(region_name=REGION, **aws.FAKE),
                                Where("test", REGION), profile=profile, handed_on=handed_on)
    connection = _with_ecs(connection, ecs)
    return ops.ExecReport(target(task(), definition("arn:aws:iam::123456789012:role/r")), [], connection)


def _with_ecs(connection: ops.Connection, ecs: Any) -> ops.Connection:
    class WithStubbedEcs(ops.Connection):
        def client(self, service: str) -> Any:
            return ecs if service == "ecs" else super().client(service)

    return WithStubbedEcs(connection.session, connection.where, connection.profile, connection.handed_on)


def test_the_plugin_gets_the_six_arguments_of_the_aws_cli(plugin: tuple[Path, Path]) -> None:
    script, record = plugin
    ecs, stub = stubbed_ecs()
    session_responses(stub, "ls -la '/app/my dir'")
    with stub:
        code = ops.connect(report_with(ecs, profile="shop-test"), ["ls", "-la", "/app/my dir"], plugin=str(script))

    assert code == 0
    argv = json.loads(record.read_text())["argv"]
    assert argv == [json.dumps(SESSION), REGION, "StartSession", "shop-test",
                    json.dumps({"Target": f"ecs:shop-test-1a2b3c4_0123456789abcdef0123456789abcdef_{RUNTIME}"}),
                    "https://ecs.us-east-1.amazonaws.com"]


def test_assumed_role_credentials_are_handed_to_the_plugin(plugin: tuple[Path, Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    script, record = plugin
    ecs, stub = stubbed_ecs()
    session_responses(stub, "/bin/sh")
    assumed = boto3.Session(region_name=REGION, aws_access_key_id="ASIAASSUMED", aws_secret_access_key="s3cr3t",
                            aws_session_token="token")
    monkeypatch.setenv("AWS_PROFILE", "someone-else")  # the user's own: not the plugin's to use here
    with stub:
        ops.connect(report_with(ecs, handed_on=True, session=assumed), [], plugin=str(script))

    recorded = json.loads(record.read_text())
    assert recorded["argv"][3] == ""  # no profile: the credentials are in its environment
    env = recorded["env"]
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]) == (
        "ASIAASSUMED", "s3cr3t", "token")
    assert "AWS_PROFILE" not in env


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_ctrl_c_reaches_the_plugin_not_ecsp(plugin: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    script, record = plugin
    monkeypatch.setenv("PLUGIN_SIGNAL", "1")
    monkeypatch.setenv("PLUGIN_EXIT", "130")
    before = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)]
    ecs, stub = stubbed_ecs()
    session_responses(stub, "/bin/sh")
    with stub:
        code = ops.connect(report_with(ecs), [], plugin=str(script))  # a KeyboardInterrupt would fail the test

    assert code == 130 and record.exists()
    assert [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)] == before


def test_execute_command_refused(plugin: tuple[Path, Path]) -> None:
    script, record = plugin
    ecs, stub = stubbed_ecs()
    stub.add_client_error("execute_command", "TargetNotConnectedException",
                          "The execute command failed due to an internal error. Try again later.")
    with stub, pytest.raises(ops.ExecError, match="TargetNotConnectedException") as caught:
        ops.connect(report_with(ecs), [], plugin=str(script))
    assert "exec: true" in (caught.value.fix or "")
    assert not record.exists()


def test_no_plugin_no_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    ecs, stub = stubbed_ecs()
    with stub, pytest.raises(ops.ExecError, match="session-manager-plugin is not installed") as caught:
        ops.connect(report_with(ecs), [])
    assert "session-manager-working-with-install-plugin" in (caught.value.fix or "")


# --------------------------------------------------------------------------- the command


@pytest.fixture
def deployed_web(moto: str, aws_is_moto: str, network: dict[str, str], plugin: tuple[Path, Path],
                 monkeypatch: pytest.MonkeyPatch) -> tuple[Stubber, Path]:
    """web deployed on moto (cluster, service: found by ecsp as usual); its ECS Exec answers from Stubber."""
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")
    role_arn = role(moto, "shop-test-web-task", with_exec=True)
    ecs, stub = stubbed_ecs()
    service = naming.AppNames("shop", "test", "web").service
    stub.add_response("describe_services", {"services": [{"serviceName": service, "clusterArn": env.cluster_arn,
                                                          "status": "ACTIVE", "enableExecuteCommand": True}]},
                      {"cluster": env.cluster_arn, "services": [service]})
    stub.add_response("list_tasks", {"taskArns": [TASK]}, {"cluster": env.cluster_arn, "serviceName": service,
                                                          "desiredStatus": "RUNNING"})
    stub.add_response("describe_tasks", {"tasks": [task(subnet=network["public"], eni=network["public_eni"])]},
                      {"cluster": env.cluster_arn, "tasks": [TASK]})
    stub.add_response("describe_task_definition", {"taskDefinition": definition(role_arn)},
                      {"taskDefinition": DEFINITION})
    monkeypatch.setattr(ops.Connection, "client",
                        lambda self, service: ecs if service == "ecs" else self.session.client(service))
    script, record = plugin
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    return stub, record


def test_ecsp_exec_opens_a_session_in_the_newest_task(deployed_web: tuple[Stubber, Path], project_file: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    stub, record = deployed_web
    session_responses(stub, "cat /etc/hostname")
    with stub:
        code = cli.main(["exec", "web", "--env", "test", "-f", str(project_file), "--", "cat", "/etc/hostname"])

    err = capsys.readouterr().err
    assert code == 0, err
    assert "exec into web in task 0123456789ab (shop-test-1a2b3c4): cat /etc/hostname" in err
    assert json.loads(record.read_text())["argv"][2] == "StartSession"
    stub.assert_no_pending_responses()


def test_ecsp_exec_check(deployed_web: tuple[Stubber, Path], project_file: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    stub, record = deployed_web
    with stub:
        code = cli.main(["exec", "web", "--env", "test", "-f", str(project_file), "--check", "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["ready"] and report["container"] == "web" and report["task"] == TASK
    assert {c["check"] for c in report["checks"]} >= {"session-manager-plugin", "task role permissions"}
    assert not record.exists()


def test_ecsp_exec_stops_before_the_session_when_a_check_fails(
        moto: str, aws_is_moto: str, plugin: tuple[Path, Path], project_file: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")
    ecs, stub = stubbed_ecs()
    service = naming.AppNames("shop", "test", "web").service
    stub.add_response("describe_services", {"services": [{"serviceName": service, "clusterArn": env.cluster_arn,
                                                          "enableExecuteCommand": False}]})
    stub.add_response("list_tasks", {"taskArns": [TASK]})
    stub.add_response("describe_tasks", {"tasks": [task(exec_enabled=False, agent=None)]})
    stub.add_response("describe_task_definition", {"taskDefinition": definition(role(moto, "r", with_exec=True))})
    monkeypatch.setattr(ops.Connection, "client",
                        lambda self, service: ecs if service == "ecs" else self.session.client(service))
    script, record = plugin
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    with stub:
        code = cli.main(["exec", "web", "--env", "test", "-f", str(project_file)])

    err = capsys.readouterr().err
    assert code == 1
    assert "FAIL exec on the service: shop-test-web does not have enableExecuteCommand".replace(
        "shop-test-web", service) in " ".join(err.split())
    assert "fix: set `exec: true` on the application in ecsp.yaml and run `ecsp up`" in " ".join(err.split())
    assert "try anyway with --skip-checks" in err
    assert not record.exists()


def test_exec_usage_errors(project_file: Path, capsys: pytest.CaptureFixture[str], moto: str) -> None:
    assert cli.main(["exec", "-f", str(project_file), "--cluster", "c"]) == 2
    assert "--cluster and --service name a service together" in capsys.readouterr().err
    assert cli.main(["exec", "web", "--env", "test", "-f", str(project_file), "--local"]) == 2
    assert cli.main(["exec", "-f", str(project_file), "--env", "test"]) == 2
    assert "say which application" in capsys.readouterr().err


def test_the_api_reports_without_a_terminal(deployed_web: tuple[Stubber, Path], project_file: Path) -> None:
    stub, _ = deployed_web
    with stub:
        report = api.load(project_file).exec_report("web", "test")
    assert report.ready and report.target.ssm_target.endswith(RUNTIME)
