"""`ecsp pipeline status` against moto's server, and `pipeline ls`/`show`.

moto (5.x) serves CodePipeline's create_pipeline, get_pipeline, start_pipeline_execution and
list_pipeline_executions, which these tests use for real. It does not implement
get_pipeline_state, so that one call is answered by a botocore Stubber (whose answers botocore
checks against the API's shapes): the stage states and the approval's lastUpdatedBy.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from ecsp import cli, loader
from ecsp.context import LocalEmulator
from ecsp.ops import pipeline as ops
from tests import ops_support as aws

moto = aws.moto  # fixture

# The shared config's prod names an account: the pipeline needs the project's named too.
CONFIG = aws.CONFIG.replace("region: us-east-1}", "region: us-east-1, account: \"123456789012\"}", 1) + """\
state:
  backend: s3://shop-state/pulumi
  secrets_provider: awskms://alias/shop?region=us-east-1
pipelines:
  release:
    source: github
    repository: acme/shop
    connection_arn: arn:aws:codestar-connections:us-east-1:123456789012:connection/abc-123
    stages:
      - environment: test
      - environment: prod
        approval: manual
"""
APPROVER = "arn:aws:sts::123456789012:assumed-role/release-managers/ada"


class _MotoWithState:
    """The moto client for what moto implements; a stubbed client for get_pipeline_state."""

    def __init__(self, real: Any, stubbed: Any) -> None:
        self._real, self._stubbed = real, stubbed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stubbed if name == "get_pipeline_state" else self._real, name)


def create_pipeline(endpoint: str) -> tuple[Any, str]:
    """The pipeline as the stack creates it (the shape moto checks), with one execution started."""
    client = aws.client(endpoint, "codepipeline")
    stage = {"name": "Deploy-test", "actions": [{
        "name": "Deploy", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild",
                                           "version": "1"},
        "inputArtifacts": [{"name": "source"}], "configuration": {"ProjectName": "shop-release-test"}}]}
    source = {"name": "Source", "actions": [{
        "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS",
                                           "provider": "CodeStarSourceConnection", "version": "1"},
        "outputArtifacts": [{"name": "source"}], "configuration": {"FullRepositoryId": "acme/shop"}}]}
    iam = aws.client(endpoint, "iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "codepipeline.amazonaws.com"}}]}
    role = iam.create_role(RoleName="shop-release-pipeline", Path="/ecsp-pipeline/",
                           AssumeRolePolicyDocument=json.dumps(trust))
    client.create_pipeline(pipeline={
        "name": "ecsp_shop-release", "roleArn": role["Role"]["Arn"], "pipelineType": "V2",
        "artifactStore": {"type": "S3", "location": "shop-artifacts-us-east-1"}, "stages": [source, stage]})
    execution = client.start_pipeline_execution(name="ecsp_shop-release")["pipelineExecutionId"]
    return client, execution


def stub_state(client: Any, execution: str) -> Stubber:
    t0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    stubber = Stubber(client)
    stubber.add_response("get_pipeline_state", {"pipelineName": "ecsp_shop-release", "stageStates": [
        {"stageName": "Source", "latestExecution": {"pipelineExecutionId": execution, "status": "Succeeded"},
         "actionStates": [{"actionName": "Source", "latestExecution": {
             "status": "Succeeded", "summary": "fix the header", "lastStatusChange": t0}}]},
        {"stageName": "Deploy-test", "latestExecution": {"pipelineExecutionId": execution, "status": "Succeeded"},
         "actionStates": [{"actionName": "Deploy",
                           "latestExecution": {"status": "Succeeded", "lastStatusChange": t0}}]},
        {"stageName": "Deploy-prod", "latestExecution": {"pipelineExecutionId": execution, "status": "InProgress"},
         "actionStates": [
             {"actionName": "Approve", "latestExecution": {
                 "status": "Succeeded", "summary": "looks good", "lastUpdatedBy": APPROVER, "lastStatusChange": t0}},
             {"actionName": "Deploy", "latestExecution": {"status": "InProgress", "lastStatusChange": t0}}]},
    ]}, {"name": "ecsp_shop-release"})
    stubber.activate()
    return stubber


def test_status_reads_stages_approvals_and_executions(moto: str) -> None:
    config = loader.loads(CONFIG)
    real, execution = create_pipeline(moto)
    stubbed = aws.client(moto, "codepipeline")
    stubber = stub_state(stubbed, execution)

    report = ops.status(config, _MotoWithState(real, stubbed), "release", local=True)

    stubber.assert_no_pending_responses()
    assert (report.deployed, report.pipeline_name, report.version) == (True, "ecsp_shop-release", 1)
    assert [(s.name, s.status) for s in report.stages] == [
        ("Source", "Succeeded"), ("Deploy-test", "Succeeded"), ("Deploy-prod", "InProgress")]
    approve = report.stages[2].actions[0]
    assert (approve.name, approve.approved_by, approve.summary) == ("Approve", APPROVER, "looks good")
    # From moto: the execution started above (moto reports an execution as finished at once).
    assert [e.id for e in report.executions] == [execution]
    assert report.executions[0].status == "Succeeded" and report.executions[0].started is not None
    document = report.to_json()
    assert document["stages"][2]["actions"][0]["approved_by"] == APPROVER


def test_status_of_a_pipeline_not_deployed(moto: str) -> None:
    config = loader.loads(CONFIG)
    report = ops.status(config, aws.client(moto, "codepipeline"), "release", local=True)
    assert report.deployed is False and report.stages == []


def test_cli_status_json_and_text(moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ecsp.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("ECSP_LOCAL_ENDPOINT", moto)
    monkeypatch.setenv("COLUMNS", "200")
    _, execution = create_pipeline(moto)
    real_client_for = ops.client_for

    def client_for(config: Any, local: LocalEmulator | None = None) -> Any:
        assert local is not None and local.endpoint == moto  # --local reads the emulator
        stubbed = aws.client(moto, "codepipeline")
        stub_state(stubbed, execution)
        return _MotoWithState(real_client_for(config, local), stubbed)

    monkeypatch.setattr(ops, "client_for", client_for)
    assert cli.main(["pipeline", "status", "release", "-f", str(path), "--local", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["executions"][0]["id"] == execution and doc["local"] is True

    assert cli.main(["pipeline", "status", "-f", str(path), "--local"]) == 0  # the only pipeline
    out = capsys.readouterr().out
    assert f"approved by {APPROVER}; looks good" in out
    assert "Deploy-prod" in out and execution[:8] in out


def test_cli_ls_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ecsp.yaml"
    path.write_text(CONFIG)
    assert cli.main(["pipeline", "ls", "-f", str(path), "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert [s["environment"] for s in listed["stages"]] == ["test", "prod"]
    assert cli.main(["pipeline", "show", "release", "-f", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stage 2: prod" in out and "manual approval, then deploys" in out
    assert 'ecsp up -f ecsp.yaml --env prod --progress plain --deploy-role "$ECSP_DEPLOY_ROLE"' in out
    assert cli.main(["pipeline", "show", "nope", "-f", str(path)]) == 2
    assert "no pipeline named 'nope'" in capsys.readouterr().err
