"""The pipeline stack (and the deploy roles it needs in environment stacks) under Pulumi's mocks.

The whole graph is a golden file; every IAM document of the pipeline and environment stacks is
walked against the least-privilege rules; the cross-account, cross-region wiring (an
environment in another account and region) is checked value by value, with the project stack
run upstream under the same mocks so the artifact stores are the ones it really exports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ecsp import graph as graphs
from ecsp import kinds, notes, pipelines
from ecsp.errors import UsageError
from stacks import pipeline_policies as policies
from tests import harness
from tests.iam_evaluator import matches

PIPELINE = "shop-pipeline/release"
YAML = """\
project: {name: shop, region: us-east-1, account: "111111111111", domain: example.com}
environments:
  test: {region: us-east-1}
  prod: {region: eu-west-1, account: "222222222222", profile: shop-prod}
applications:
  web: {image: {build: ./web}, port: 80}
  api: {image: {location: nginx}, port: 8080, path: /api}
state:
  backend: s3://shop-state/pulumi
  secrets_provider: awskms://alias/shop-pulumi?region=us-east-1
pipelines:
  release:
    source: github
    repository: acme/shop
    connection: create
    approval_topic: arn:aws:sns:us-east-1:111111111111:shop-approvals
    secrets: {DEPLOY_TOKEN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:shop/token"}
    stages:
      - environment: test
        test_commands: ["curl -fsS $(ecsp outputs --env test --app web url)"]
      - environment: prod
        approval: manual
        deploy: [web]
"""
CODECOMMIT = """\
project: {name: shop, region: us-west-2}
environments:
  test: {region: us-west-2}
applications:
  web: {image: {location: nginx}, port: 80}
state: {backend: "https://api.pulumi.com", organization: acme, secrets_provider: default}
pipelines:
  main:
    source: codecommit
    repository: shop
    secrets: {PULUMI_ACCESS_TOKEN: /shop/pulumi-token}
    stages: [{environment: test}]
"""


def policy_documents(recording: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM document a stack registers: role trust policies and inline policies."""
    for node in recording.nodes:
        if node.type == "aws:iam/role:Role":
            yield f"{node.name} (trust)", json.loads(node.inputs["assumeRolePolicy"])
        elif node.type == "aws:iam/rolePolicy:RolePolicy":
            yield node.name, json.loads(node.inputs["policy"])


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def least_privilege_problems(name: str, document: dict[str, Any], project: str = "shop") -> list[str]:
    """What breaks the rules: no ``*`` or ``service:*`` action; on Resource ``*`` only the actions AWS
    grants nowhere else (:data:`policies.ANY_RESOURCE_ACTIONS`), unless the statement is scoped by
    the ecsp project tag (or to tagging at creation)."""
    problems = []
    for statement in document["Statement"]:
        if statement["Effect"] != "Allow" or "Principal" in statement:
            continue
        actions = _list(statement["Action"])
        for action in actions:
            if action == "*" or action.endswith(":*"):
                problems.append(f"{name}/{statement.get('Sid')}: {action} grants a whole service")
        if "*" not in _list(statement["Resource"]):
            continue
        condition = statement.get("Condition", {}).get("StringEquals", {})
        scoped = (condition.get(f"aws:ResourceTag/{kinds.PROJECT_TAG}") == project
                  or condition.get(f"aws:RequestTag/{kinds.PROJECT_TAG}") == project
                  or "ec2:CreateAction" in condition)
        if scoped:
            continue
        wide = [a for a in actions if a not in policies.ANY_RESOURCE_ACTIONS]
        if wide:
            problems.append(f"{name}/{statement.get('Sid')}: {wide} on every resource")
    return problems


@pytest.fixture(scope="module")
def cfg() -> Any:
    return harness.config(YAML)


@pytest.fixture(scope="module")
def recording(cfg: Any) -> Any:
    return harness.run_stack(cfg, PIPELINE)


def test_the_whole_graph(recording: Any) -> None:
    harness.assert_golden("pipeline-cross-account", harness.graph_document(recording))


def test_an_environment_a_pipeline_deploys(cfg: Any) -> None:
    # Its deploy role and the boundary that contains its policy: golden, so every check sees them.
    recording = harness.run_stack(cfg, "shop-environment/prod")
    harness.assert_golden("environment-deployed", harness.graph_document(recording))


def test_every_policy_is_least_privilege(cfg: Any, recording: Any) -> None:
    documents = list(policy_documents(recording))
    for env in ("test", "prod"):
        documents += policy_documents(harness.run_stack(cfg, f"shop-environment/{env}"))
    assert {name for name, _ in documents} >= {"roles-build", "roles-pipeline", "deploy", "deploy (trust)"}
    problems = [p for name, doc in documents for p in least_privilege_problems(name, doc)]
    assert problems == []


def test_the_walker_catches_wide_grants() -> None:
    # The rules must be able to fail: a wildcard service, an unscoped change on *, an unlisted read.
    bad = {"Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"},
        {"Sid": "B", "Effect": "Allow", "Action": ["ec2:DeleteVpc"], "Resource": "*"},
        {"Sid": "C", "Effect": "Allow", "Action": ["ec2:DeleteVpc"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/ecsp:project": "other"}}},
        {"Sid": "D", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
    ]}
    assert [p.split(":")[0] for p in least_privilege_problems("x", bad)] == ["x/A", "x/B", "x/C"]


def test_an_environment_in_another_account_and_region_trusts_only_the_build_role(cfg: Any, recording: Any) -> None:
    build_role = "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-release-build"
    prod_role = "arn:aws:iam::222222222222:role/ecsp-pipeline/shop-prod-deploy"
    prod = harness.run_stack(cfg, "shop-environment/prod")
    role = prod.one("aws:iam/role:Role", "deploy")
    assert (role.inputs["name"], role.inputs["path"]) == ("shop-prod-deploy", "/ecsp-pipeline/")
    provider = prod.by_urn(role.provider.rsplit("::", 1)[0])
    assert provider.inputs["region"] == "eu-west-1" and "222222222222" in provider.inputs["allowedAccountIds"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [{
        "Sid": "Deployers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": "sts:AssumeRole", "Condition": {"ArnEquals": {"aws:PrincipalArn": [build_role]}}}]
    permissions = json.loads(prod.one("aws:iam/rolePolicy:RolePolicy", "deploy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in permissions["Statement"]}
    # The cluster's physical name is Pulumi's auto-name (logical name, "-", 7 random hex digits): the
    # statement names exactly those, not another environment's cluster (prod-eu's).
    (cluster,) = by_sid["Cluster"]["Resource"]
    assert cluster == "arn:aws:ecs:eu-west-1:222222222222:cluster/shop-prod-???????"
    assert matches(cluster, prod.outputs["clusterArn"])
    assert not matches(cluster, "arn:aws:ecs:eu-west-1:222222222222:cluster/shop-prod-eu-5751c2b")
    assert by_sid["ApplicationRoles"]["Resource"] == ["arn:aws:iam::222222222222:role/shop-prod-*"]
    # Across accounts, the NS record goes through the project's DNS delegation role.
    assert by_sid["DelegateDns"]["Resource"] == ["arn:aws:iam::111111111111:role/shop-dns-delegation"]

    # The build role, in the project account, may assume exactly the deploy roles of its stages.
    build = json.loads(recording.one("aws:iam/rolePolicy:RolePolicy", "roles-build").inputs["policy"])
    assume = next(s for s in build["Statement"] if s["Sid"] == "AssumeDeployRoles")
    assert assume["Resource"] == sorted([prod_role, "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-test-deploy"])
    # prod's build project runs in eu-west-1 with prod's artifact key and its deploy role.
    project = recording.one("aws:codebuild/project:Project", "build-prod")
    assert recording.by_urn(project.provider.rsplit("::", 1)[0]).inputs["region"] == "eu-west-1"
    assert project.inputs["environment"]["environmentVariables"] == [
        {"name": pipelines.DEPLOY_ROLE_VARIABLE, "type": "PLAINTEXT", "value": prod_role}]
    project_outputs = harness.run_stack(cfg, "shop-project/global").outputs["regions"]
    assert project.inputs["encryptionKey"] == project_outputs["eu-west-1"]["kmsKeyArn"]


def test_artifact_stores_are_the_project_buckets_and_keys_of_each_region(cfg: Any, recording: Any) -> None:
    regions = harness.run_stack(cfg, "shop-project/global").outputs["regions"]
    pipeline = recording.one("aws:codepipeline/pipeline:Pipeline").inputs
    assert pipeline["pipelineType"] == "V2"
    assert pipeline["artifactStores"] == [
        {"type": "S3", "region": region, "location": regions[region]["bucketName"],
         "encryptionKey": {"type": "KMS", "id": regions[region]["kmsKeyArn"]}}
        for region in ("us-east-1", "eu-west-1")]
    stages = pipeline["stages"]
    assert [s["name"] for s in stages] == ["Source", "Deploy-test", "Deploy-prod"]
    assert stages[0]["actions"][0]["provider"] == "CodeStarSourceConnection"
    prod = stages[2]["actions"]
    assert [(a["name"], a["category"], a.get("region")) for a in prod] == [
        ("Approve", "Approval", None), ("Deploy", "Build", "eu-west-1")]
    assert prod[0]["configuration"]["NotificationArn"] == "arn:aws:sns:us-east-1:111111111111:shop-approvals"
    # The created connection stays PENDING until a person completes the handshake.
    assert recording.one("aws:codestarconnections/connection:Connection").inputs["providerType"] == "GitHub"


def test_build_and_pipeline_roles_name_their_resources(recording: Any) -> None:
    build = {s["Sid"]: s for s in json.loads(
        recording.one("aws:iam/rolePolicy:RolePolicy", "roles-build").inputs["policy"])["Statement"]}
    # Only built images are pushed: web builds, api uses an existing image.
    assert build["PushImages"]["Resource"] == [
        "arn:aws:ecr:eu-west-1:111111111111:repository/ecsp/shop/web",
        "arn:aws:ecr:us-east-1:111111111111:repository/ecsp/shop/web"]
    assert build["StateObjects"]["Resource"] == ["arn:aws:s3:::shop-state/pulumi/*"]
    assert build["SecretsKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/shop-pulumi"]}}
    assert build["ReadSecrets"]["Resource"] == [
        "arn:aws:secretsmanager:us-east-1:111111111111:secret:shop/token",
        "arn:aws:secretsmanager:us-east-1:111111111111:secret:shop/token-??????"]
    pipeline = {s["Sid"]: s for s in json.loads(
        recording.one("aws:iam/rolePolicy:RolePolicy", "roles-pipeline").inputs["policy"])["Statement"]}
    assert pipeline["RunBuilds"]["Resource"] == [
        "arn:aws:codebuild:eu-west-1:111111111111:project/shop-release-prod",
        "arn:aws:codebuild:us-east-1:111111111111:project/shop-release-test"]
    assert pipeline["UseConnection"]["Resource"] == [recording.outputs["connectionArn"]]


def test_the_buildspec_installs_assumes_deploys_then_tests(cfg: Any) -> None:
    test, prod = pipelines.model(cfg, "release").stages
    spec = yaml.safe_load(test.buildspec)
    assert spec["phases"]["install"]["commands"] == ["pip install .", "ecsp install-pulumi"]
    assert spec["phases"]["build"]["commands"] == [
        'ecsp up -f ecsp.yaml --env test --progress plain --deploy-role "$ECSP_DEPLOY_ROLE"',
        "curl -fsS $(ecsp outputs --env test --app web url)"]
    assert spec["env"]["secrets-manager"] == {
        "DEPLOY_TOKEN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:shop/token"}
    # deploy: [web] limits the stage to web's stack (the environment stack is read, not deployed).
    assert yaml.safe_load(prod.buildspec)["phases"]["build"]["commands"] == [
        'ecsp up -f ecsp.yaml --env prod --app web --progress plain --deploy-role "$ECSP_DEPLOY_ROLE"']
    assert (prod.deploys_environment, prod.applications, prod.approval) == (False, ("web",), True)


def test_codecommit_single_region_pipeline() -> None:
    cfg = harness.config(CODECOMMIT)
    recording = harness.run_stack(cfg, "shop-pipeline/main")
    harness.assert_golden("pipeline-codecommit", harness.graph_document(recording))
    pipeline = recording.one("aws:codepipeline/pipeline:Pipeline").inputs
    # One region: one store, without a region (CodePipeline's rule for single-region pipelines).
    assert [set(s) for s in pipeline["artifactStores"]] == [{"type", "location", "encryptionKey"}]
    assert pipeline["stages"][0]["actions"][0]["configuration"]["PollForSourceChanges"] == "false"
    rule = recording.one("aws:cloudwatch/eventRule:EventRule")
    assert json.loads(rule.inputs["eventPattern"])["resources"] == ["arn:aws:codecommit:us-west-2:123456789012:shop"]
    problems = [p for name, doc in policy_documents(recording) for p in least_privilege_problems(name, doc)]
    assert problems == []
    # The home region had no environment before; with a pipeline it gets an artifact store, no repositories.
    project = harness.run_stack(cfg, "shop-project/global")
    assert set(project.outputs["regions"]) == {"us-west-2"}


def test_pipeline_stacks_run_only_when_asked(cfg: Any) -> None:
    graph = graphs.build(cfg)
    assert PIPELINE in graph.names()
    assert PIPELINE not in graphs.select(graph).names()
    assert graphs.select(graph, with_opt_in=True).names()[-1] == PIPELINE
    assert PIPELINE not in graphs.select(graph, environments=["test"]).names()
    with pytest.raises(UsageError, match="--with-pipeline takes the whole project"):
        graphs.select(graph, environments=["test"], with_opt_in=True)
    assert graph[PIPELINE].depends_on == ("shop-project/global",)
    assert kinds.identify("shop", PIPELINE) == (kinds.PIPELINE, kinds.Scope(instance="release"))


def test_pipeline_is_a_reserved_application_name() -> None:
    with pytest.raises(Exception, match="'pipeline' is reserved for ecsp's own stacks"):
        harness.config(CODECOMMIT.replace("  web:", "  pipeline:"))


def test_environments_no_pipeline_deploys_get_no_deploy_role() -> None:
    cfg = harness.config(CODECOMMIT.replace("environments:\n", "environments:\n  dev: {region: us-west-2}\n"))
    assert harness.run_stack(cfg, "shop-environment/dev").of_type("aws:iam/role:Role") == []
    assert len(harness.run_stack(cfg, "shop-environment/test").of_type("aws:iam/role:Role")) == 1


def test_a_build_writes_the_delegation_record_through_the_deploy_role(cfg: Any) -> None:
    # In CodeBuild there is no `shop-prod` profile: every provider of prod's stacks, the DNS
    # delegation one included, starts from the deploy role `ecsp up --deploy-role` names.
    from ecsp import mocks
    from ecsp.context import StackContext
    from stacks import environment

    role = "arn:aws:iam::222222222222:role/ecsp-pipeline/shop-prod-deploy"
    spec = graphs.build(cfg)["shop-environment/prod"]
    ctx = StackContext(cfg, spec, deploy_role=role)
    upstream = {"organization/shop-project/global": harness.run_stack(cfg, "shop-project/global").outputs}
    recording = mocks.run(lambda: environment.program(ctx),
                          mocks.AwsMocks(account="222222222222", region="eu-west-1", stack_outputs=upstream),
                          project=spec.pulumi_project, stack=spec.stack)
    for name in ("aws", "dns-delegation"):
        inputs = recording.one("pulumi:providers:aws", name).inputs
        assert "profile" not in inputs and role in inputs["assumeRoles"], (name, inputs)
    chain = json.loads(recording.one("pulumi:providers:aws", "dns-delegation").inputs["assumeRoles"])
    assert [step["roleArn"] for step in chain] == [role, "arn:aws:iam::111111111111:role/shop-dns-delegation"]


def test_plan_warns_that_addons_a_pipeline_deploys_get_only_the_deploy_roles_permissions() -> None:
    with_addons = harness.config(YAML.replace("  api: {image:", "  api: {addons: copilot/api/addons, image:"))
    warning = "addons through the deploy role (pipeline release)"
    assert any(warning in n for n in notes.data_notes(with_addons, "prod"))
    assert not any("deploy role" in n for n in notes.data_notes(harness.config(YAML), "prod"))
    alone = harness.config(YAML.split("pipelines:")[0].replace("  api: {image:", "  api: {addons: x, image:"))
    assert [n for n in notes.data_notes(alone, "prod") if "deploy role" in n] == []
