"""Test support for status/logs/show: one moto server on 127.0.0.1 per test session, and a
"deploy" that creates an application's AWS resources with boto3 the way the stacks do
(names from :mod:`ecsp.naming`, ``ecsp:*`` tags, Pulumi-style auto-name suffixes).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from ecsp import naming

_server: Any = None
_lock = threading.Lock()
FAKE = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def moto_endpoint() -> str:
    """The session's moto server (started on first use, on loopback only)."""
    global _server
    with _lock:
        if _server is None:
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            _server = server
        host, port = _server.get_host_and_port()
        return f"http://{host}:{port}"


def reset(endpoint: str) -> None:
    """Forget every resource (moto's own reset endpoint)."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")).close()


def set_auth(endpoint: str, enabled: bool) -> None:
    """Turn moto's IAM authorisation on (every request checked) or off."""
    value = b"0" if enabled else b"inf"
    # moto reads the raw body; a form content type (urllib's default) would leave it empty.
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=value, method="POST",
                                     headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request).close()


def client(endpoint: str, service: str, region: str = "us-east-1") -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **FAKE)


def ecs_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def elb_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


@dataclass
class Environment:
    project: str
    name: str
    region: str
    cluster_arn: str
    vpc_id: str
    subnets: list[str]
    security_group: str
    alb_arn: str
    alb_dns: str
    listener_arn: str


def deploy_environment(endpoint: str, project: str, env: str, region: str = "us-east-1", *,
                       suffix: str = "-1a2b3c4", tagged: bool = True) -> Environment:
    """What the environment stack creates that status/show read: cluster, VPC, ALB, listener."""
    tags = {"ecsp:project": project, "ecsp:environment": env} if tagged else {}
    names = naming.EnvNames(project, env)
    ecs, ec2, elbv2 = (client(endpoint, s, region) for s in ("ecs", "ec2", "elbv2"))
    cluster = ecs.create_cluster(clusterName=names.cluster + suffix, tags=ecs_tags(tags))["cluster"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as the environment stack's VPC
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"][:2]]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
               for i, z in enumerate(zones)]
    group = ec2.create_security_group(GroupName=f"{names.base}-env", Description="ecsp environment",
                                      VpcId=vpc)["GroupId"]
    alb = elbv2.create_load_balancer(Name=names.load_balancer + suffix, Subnets=subnets, Type="application",
                                     Scheme="internet-facing",
                                     **({"Tags": elb_tags(tags)} if tags else {}))["LoadBalancers"][0]
    default_tg = elbv2.create_target_group(Name=names.default_target_group, Protocol="HTTP", Port=80, VpcId=vpc,
                                           TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    listener = elbv2.create_listener(LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": default_tg}])
    return Environment(project, env, region, cluster["clusterArn"], vpc, subnets, group, alb["LoadBalancerArn"],
                       alb["DNSName"], listener["Listeners"][0]["ListenerArn"])


def deploy_application(endpoint: str, env: Environment, app: str, *, path: str = "/", desired: int = 1,
                       targets: int = 1, priority: int = 100, tagged: bool = True,
                       service_name: str | None = None, attach: bool = True, exec_enabled: bool = False,
                       runnable: bool = False, environment: dict[str, str] | None = None,
                       task_role_arn: str | None = None) -> dict[str, Any]:
    """What the application stack creates that status/logs read: log group, target group, rule, service.

    ``runnable``: give the container its own memory, which moto's RunTask needs (it computes
    placement from container-level memory only; ecsp sets the task's). ``environment``: the
    container's variables; ``task_role_arn``: the task definition's task role.
    """
    tags = {"ecsp:project": env.project, "ecsp:environment": env.name, "ecsp:application": app} if tagged else {}
    names = naming.AppNames(env.project, env.name, app)
    ecs, elbv2, logs = (client(endpoint, s, env.region) for s in ("ecs", "elbv2", "logs"))
    logs.create_log_group(logGroupName=names.log_group, tags=tags)
    tg = elbv2.create_target_group(Name=names.target_group + "-9f8e7d6"[: 32 - len(names.target_group)],
                                   Protocol="HTTP", Port=80, VpcId=env.vpc_id, TargetType="ip",
                                   **({"Tags": elb_tags(tags)} if tags else {}))["TargetGroups"][0]
    pattern = ["/*"] if path == "/" else [path, f"{path}/*"]
    elbv2.create_rule(ListenerArn=env.listener_arn, Priority=priority,
                      Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": pattern}}],
                      Actions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    if targets:
        elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                               Targets=[{"Id": f"10.0.0.{10 + i}", "Port": 80} for i in range(targets)])
    container: dict[str, Any] = {
        "name": names.container, "image": "public.ecr.aws/nginx/nginx:stable",
        "portMappings": [{"containerPort": 80}],
        "environment": [{"name": k, "value": v} for k, v in (environment or {}).items()],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": names.log_group, "awslogs-region": env.region, "awslogs-stream-prefix": "ecsp"}},
    }
    if runnable:
        container["memory"] = 512
    task = ecs.register_task_definition(
        family=names.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[container], **({"taskRoleArn": task_role_arn} if task_role_arn else {}),
        tags=ecs_tags(tags))["taskDefinition"]
    service = ecs.create_service(
        cluster=env.cluster_arn, serviceName=service_name or names.service, taskDefinition=task["taskDefinitionArn"],
        desiredCount=desired, launchType="FARGATE",
        loadBalancers=[{"targetGroupArn": tg["TargetGroupArn"], "containerName": names.container,
                        "containerPort": 80}] if attach else [],
        networkConfiguration={"awsvpcConfiguration": {"subnets": env.subnets, "securityGroups": [env.security_group],
                                                        "assignPublicIp": "ENABLED"}},
        deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100,
                                 "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        enableExecuteCommand=exec_enabled,
        tags=ecs_tags(tags),
    )["service"]
    return {"service": service, "target_group": tg, "log_group": names.log_group}


def put_logs(endpoint: str, env: Environment, app: str, task_id: str, messages: list[str], *,
             at_ms: int | None = None, region: str = "us-east-1") -> None:
    """Log events as the awslogs driver writes them: stream <prefix>/<container>/<task id>."""
    names = naming.AppNames(env.project, env.name, app)
    logs = client(endpoint, "logs", region)
    stream = f"ecsp/{names.container}/{task_id}"
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=names.log_group, logStreamName=stream)
    start = at_ms if at_ms is not None else int(time.time() * 1000)
    logs.put_log_events(logGroupName=names.log_group, logStreamName=stream,
                        logEvents=[{"timestamp": start + i, "message": m} for i, m in enumerate(messages)])


CONFIG = """\
project: {name: shop, region: us-east-1}
environments:
  test: {region: us-east-1}
  prod: {region: us-west-2, account: "111111111111"}
applications:
  web: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 80, path: /}
  api: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 8080, path: /api}
"""


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto server on loopback, shared by the session; ECS services report one running task."""
    endpoint = moto_endpoint()
    reset(endpoint)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    return endpoint


@pytest.fixture
def project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: str) -> Path:
    """ecsp.yaml of the 'shop' project; --local reads the session's moto server (ECSP_LOCAL_ENDPOINT)."""
    path = tmp_path / "ecsp.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("ECSP_LOCAL_ENDPOINT", moto)
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at 80 columns when not on a terminal
    return path


def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An environment with no AWS credentials anywhere (and no instance metadata to fall back on)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_is_moto(moto: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The code paths that read real AWS (no --local) sent to moto: ``AWS_ENDPOINT_URL`` and fake credentials.

    For commands moto cannot serve in ``--local`` mode as ecsp deploys there, whose AWS calls
    are still worth testing against its API.
    """
    no_aws_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE["aws_secret_access_key"])
    return moto
