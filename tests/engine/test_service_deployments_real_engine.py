"""``up`` following the service's deployment with the real engine and the stand-in provider (marked ``pulumi``).

The engine deploys examples/hello for real (stand-in provider, no AWS); the service ARN the
application stack exports is what the follower asks ECS about, here botocore's Stubber
answering as ECS would for a deployment its alarms rolled back.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecsp import api
from ecsp.engine.automation import AutomationEngine
from ecsp.events import Diagnostic, Status
from ecsp.service_deployments import FollowingEngine
from stacks import PROGRAMS
from tests.deploy_support import Recorder
from tests.engine.test_real_engine import ROOT
from tests.ops.test_service_deployments import described
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS


def test_a_rolled_back_deployment_fails_the_application_stack_the_engine_deployed(
        tmp_path: Path, pulumi_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "hello"
    shutil.copytree(ROOT / "examples" / "hello", folder, ignore=shutil.ignore_patterns(".ecsp"))
    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "ecsp-real-engine-test")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    project = api.load(folder / "ecsp.yaml")

    ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ecs)
    asked: list[dict[str, Any]] = []
    ecs.meta.events.register("provide-client-params.ecs.ListServiceDeployments",
                             lambda params, **kwargs: asked.append(dict(params)))
    for item in (described("ROLLBACK_IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", weight=10.0, firing=("hello-5xx",)),
                 described("ROLLBACK_SUCCESSFUL", "CLEAN_UP", firing=("hello-5xx",),
                           reason="CloudWatch alarm hello-5xx went into ALARM")):
        stub.add_response("list_service_deployments", {"serviceDeployments": [
            {"serviceDeploymentArn": item["serviceDeploymentArn"], "status": item["status"],
             "createdAt": item["createdAt"]}]})
        stub.add_response("describe_service_deployments", {"serviceDeployments": [item]})
    stub.activate()

    engine = FollowingEngine(AutomationEngine(project.root, project.config, PROGRAMS), lambda spec: ecs, poll=0)
    recorder = Recorder()
    result = project.run("up", engine=engine, follow=False, check=False, listener=recorder)

    stub.assert_no_pending_responses()
    statuses = {s.stack: s.status for s in result.stacks}
    assert statuses == {"hello-project/global": Status.SUCCEEDED, "hello-environment/test": Status.SUCCEEDED,
                        "hello-web/test": Status.FAILED}, result
    assert result["hello-web/test"].reason == ("hello-web/test: the service's deployment rolled back: CloudWatch "
                                               "alarm hello-5xx went into ALARM")
    # The follower asked about the service the engine had just deployed (the stand-in's ARN for it).
    deployed = engine.outputs(project.stacks()["hello-web/test"])["serviceArn"]
    assert asked and all(p["service"] == deployed for p in asked)
    said = [e.message for e in recorder.events if isinstance(e, Diagnostic) and e.stack == "hello-web/test"
            and e.message.startswith("deployment ")]
    assert said == ["deployment canary, rolling back: 10% of traffic on the new tasks; alarms firing: hello-5xx",
                    "deployment canary, rolled back: alarms firing: hello-5xx; CloudWatch alarm hello-5xx went into "
                    "ALARM"]
