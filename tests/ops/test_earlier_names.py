"""ecsp finds what a project deployed before ecsp marked its names, and only that, against moto's server.

A job's state machine and a pipeline deployed then keep their earlier names (the programs
ignore changes to them, see ``tests/engine/test_upgrade_names.py``); ``status``, ``run`` and
``pipeline status`` look for the earlier name when the marked one is not there. Copilot names
its jobs' state machines the same way, so only one carrying the project's ``ecsp:project``
tag is taken.
"""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from ecsp import loader, naming
from ecsp.ops import pipeline as pipeline_ops
from ecsp.ops import workloads
from stacks.pipeline import repository_name
from tests import ops_support as aws
from tests.ops.test_ops_pipeline import CONFIG as PIPELINE_CONFIG
from tests.ops.test_ops_pipeline import _MotoWithState
from tests.ops.test_ops_workloads import ROLE

moto = aws.moto  # fixture

DEFINITION = json.dumps({"StartAt": "Run", "States": {"Run": {"Type": "Pass", "End": True}}})


def state_machine(endpoint: str, name: str, tags: dict[str, str]) -> str:
    sfn = aws.client(endpoint, "stepfunctions")
    return str(sfn.create_state_machine(name=name, definition=DEFINITION, roleArn=ROLE, tags=[
        {"key": k, "value": v} for k, v in tags.items()])["stateMachineArn"])


def test_a_job_deployed_with_its_earlier_name_is_found_by_the_project_tag(moto: str) -> None:
    sfn = aws.client(moto, "stepfunctions")
    assert naming.AppNames("shop", "test", "nightly").earlier_state_machine == "shop-test-nightly"
    earlier = state_machine(moto, "shop-test-nightly", {"ecsp:project": "shop", "ecsp:environment": "test"})
    assert workloads.state_machine_arn(sfn, "shop", "test", "nightly") == earlier
    # The marked name, once there, is the one.
    marked = state_machine(moto, "ecsp_shop-test-nightly", {"ecsp:project": "shop"})
    assert workloads.state_machine_arn(sfn, "shop", "test", "nightly") == marked


def test_copilots_state_machine_of_the_same_name_is_not_taken_for_the_job(moto: str) -> None:
    sfn = aws.client(moto, "stepfunctions")
    state_machine(moto, "shop-test-nightly", {"copilot-application": "shop", "copilot-environment": "test"})
    assert workloads.state_machine_arn(sfn, "shop", "test", "nightly") is None


def pipeline(endpoint: str, name: str, tags: dict[str, str]) -> None:
    client = aws.client(endpoint, "codepipeline")
    iam = aws.client(endpoint, "iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "codepipeline.amazonaws.com"}}]}
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))
    source = {"name": "Source", "actions": [{
        "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS",
                                           "provider": "CodeStarSourceConnection", "version": "1"},
        "outputArtifacts": [{"name": "source"}], "configuration": {"FullRepositoryId": "acme/shop"}}]}
    deploy = {"name": "Deploy-test", "actions": [{
        "name": "Deploy", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild",
                                           "version": "1"},
        "inputArtifacts": [{"name": "source"}], "configuration": {"ProjectName": "shop-release-test"}}]}
    client.create_pipeline(pipeline={
        "name": name, "roleArn": role["Role"]["Arn"], "pipelineType": "V2",
        "artifactStore": {"type": "S3", "location": "shop-artifacts-us-east-1"}, "stages": [source, deploy]},
        tags=[{"key": k, "value": v} for k, v in tags.items()])


@pytest.mark.parametrize(("tags", "deployed"), [({"ecsp:project": "shop"}, True), ({"team": "web"}, False)])
def test_a_pipeline_deployed_with_its_earlier_name_is_found_by_the_project_tag(
        moto: str, tags: dict[str, str], deployed: bool) -> None:
    config = loader.loads(PIPELINE_CONFIG)
    pipeline(moto, "shop-release", tags)
    # moto has no get_pipeline_state: a Stubber answers it (for the earlier name, or it fails).
    stubbed = aws.client(moto, "codepipeline")
    stubber = Stubber(stubbed)
    if deployed:
        stubber.add_response("get_pipeline_state", {"pipelineName": "shop-release", "stageStates": []},
                             {"name": "shop-release"})
    stubber.activate()
    report = pipeline_ops.status(config, _MotoWithState(aws.client(moto, "codepipeline"), stubbed), "release",
                                 local=True)
    stubber.assert_no_pending_responses()
    assert report.deployed is deployed
    assert report.pipeline_name == ("shop-release" if deployed else "ecsp_shop-release")


def test_the_pipeline_pushes_to_the_repositories_the_project_stack_has() -> None:
    regions = {"us-east-1": {"repositories": {
        "web": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web",
        "api": "123456789012.dkr.ecr.us-east-1.amazonaws.com/ecsp/shop/api"}}}
    assert repository_name(regions, "us-east-1", "shop", "web") == "shop/web"  # deployed before: kept
    assert repository_name(regions, "us-east-1", "shop", "api") == "ecsp/shop/api"
    assert repository_name({}, "us-east-1", "shop", "api") == "ecsp/shop/api"  # not deployed yet: ecsp's name
