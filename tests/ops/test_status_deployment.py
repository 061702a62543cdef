"""`ecsp status` with a traffic-shifting deployment in flight: the service on moto's server, the service deployment
(which moto does not know) from botocore's Stubber, on a client of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from rich.console import Console

from ecsp import loader
from ecsp.aws import Sessions
from ecsp.context import LocalEmulator
from ecsp.ops.status import render, status
from tests import ops_support as aws
from tests.ops.test_service_deployments import described

moto, project_file = aws.moto, aws.project_file  # fixtures

CANARY = aws.CONFIG.replace(
    "  web: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 80, path: /}",
    "  web: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 80, path: /,\n"
    "        deployment: {strategy: canary, bake_time: 10m, alarms: {errors: 5}}}")


class DeploymentsFromStub:
    """An ECS client: moto's for everything, but service deployments from a stubbed client (moto lacks them)."""

    def __init__(self, moto_client: Any, stubbed: Any) -> None:
        self.moto_client, self.stubbed = moto_client, stubbed

    def __getattr__(self, name: str) -> Any:
        if name in ("list_service_deployments", "describe_service_deployments"):
            return getattr(self.stubbed, name)
        return getattr(self.moto_client, name)


def sessions_with(project: Any, endpoint: str, monkeypatch: pytest.MonkeyPatch, *items: dict[str, Any]) -> Sessions:
    sessions = Sessions(project, local=LocalEmulator(endpoint))
    stubbed = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(stubbed)
    for item in items:
        stub.add_response("list_service_deployments", {"serviceDeployments": [
            {"serviceDeploymentArn": item["serviceDeploymentArn"], "status": item["status"],
             "createdAt": item["createdAt"]}]})
        stub.add_response("describe_service_deployments", {"serviceDeployments": [item]})
    stub.activate()
    client = sessions.client

    def wrapped(environment: str, service: str) -> Any:
        real = client(environment, service)
        return DeploymentsFromStub(real, stubbed) if service == "ecs" else real

    monkeypatch.setattr(sessions, "client", wrapped)
    return sessions


def test_status_shows_the_canary_in_flight(moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ecsp.yaml"
    path.write_text(CANARY)
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")
    aws.deploy_application(moto, env, "api", path="/api", priority=101)
    project = loader.load(path)
    baking = described("IN_PROGRESS", "BAKE_TIME", weight=100.0,
                       updated=datetime.now(UTC) - timedelta(minutes=4))
    sessions = sessions_with(project, moto, monkeypatch, baking)

    report = status(project, sessions, environments=["test"])

    web = next(a for a in report.applications if a.application == "web")
    api = next(a for a in report.applications if a.application == "api")
    assert web.deployment is not None and (web.deployment.strategy, web.deployment.stage) == ("CANARY", "BAKE_TIME")
    assert api.deployment is None  # rolling: ECS's own rollout says it all, and no deployment is asked for
    out = Console(width=120, record=True, color_system=None)
    render(report, out)
    text = out.export_text()
    assert "bake time" in text.split("URLs")[0]  # the rollout column names the stage
    line = next(x for x in text.splitlines() if "deployment canary" in x).strip()
    assert line.startswith("deployment canary, bake time: 100% of traffic on the new tasks; 5m")
    assert line.endswith("s of bake time left; 2 alarm(s), none firing")
    as_json = {a["application"]: a for a in report.to_json()["applications"]}
    assert (as_json["web"]["deployment"]["stage"], as_json["api"]["deployment"]) == ("BAKE_TIME", None)


def test_a_finished_deployment_is_not_shown_and_an_api_without_them_is_no_problem(
        moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ecsp.yaml"
    path.write_text(CANARY)
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")
    project = loader.load(path)
    done = sessions_with(project, moto, monkeypatch, described("SUCCESSFUL", "CLEAN_UP"))
    report = status(project, done, environments=["test"], applications=["web"])
    assert report.applications[0].deployment is None and not report.problems
    # moto itself answers the deployment calls with an error: the rest of the status stands.
    plain = status(project, Sessions(project, local=LocalEmulator(moto)), environments=["test"],
                       applications=["web"])
    assert plain.applications[0].deployment is None and not plain.problems
    assert str(plain.applications[0].health) == "healthy"
