"""The offline AWS checks (``ecsp check --aws-models``) over every example and golden graph, and each
check failing on a known-bad document of its kind.

Shapes: each planned resource's API request against botocore's service models and the
documented rules. IAM: every policy with parliament, findings fixed or accepted with a
reason. Step Functions: every definition with asl-validator (needs the npm tools:
``ecsp check --install-tools``; ``.ci/run`` installs them and sets ``ECSP_REQUIRE_NODE_TOOLS=1``,
so there a missing install fails instead of skipping).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from ecsp import api, cli
from ecsp.check import asl as asl_check
from ecsp.check import aws_models, documents, iam, iam_allowed, node, shapes
from ecsp.check.documents import Resource
from ecsp.errors import ToolMissingError
from tests.paths import EXAMPLE_FILES, ROOT
from tests.plans import example

GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.json"))


def _tools_missing() -> str | None:
    try:
        node.installed()
    except ToolMissingError as e:
        return f"{e.message} ({e.fix})"
    return None


TOOLS_MISSING = _tools_missing()
needs_tools = pytest.mark.skipif(TOOLS_MISSING is not None and os.environ.get("ECSP_REQUIRE_NODE_TOOLS") != "1",
                                 reason=TOOLS_MISSING or "")


@pytest.fixture(scope="module")
def planned() -> dict[str, list[Resource]]:
    """Every example's planned resources (pipelines too) and every golden graph's, by name."""
    found = {f"example {p.parent.name}": list(documents.from_plan(api.load(p).plan(with_pipeline=True)))
             for p in EXAMPLE_FILES}
    found.update({f"golden {p.stem}": list(documents.from_golden(p)) for p in GOLDEN})
    return found


def _everything(planned: dict[str, list[Resource]]) -> list[Resource]:
    return [r for resources in planned.values() for r in resources]


def _one(name: str, type_: str) -> Resource:
    """A real resource of ``type_`` from a golden graph, to break on purpose."""
    return next(r for r in documents.from_golden(ROOT / "tests" / "golden" / f"{name}.json") if r.type == type_)


def _with(resource: Resource, **inputs: Any) -> Resource:
    return Resource(resource.source, resource.type, resource.name, {**resource.inputs, **inputs})


# --------------------------------------------------------------------------- every example and golden graph


@needs_tools
def test_every_example_and_golden_graph_passes_every_check(planned: dict[str, list[Resource]]) -> None:
    problems = {name: [str(f) for f in aws_models(resources) if not f.accepted]
                for name, resources in planned.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_checks_see_every_graph_and_each_resource_type_ecsp_creates(planned: dict[str, list[Resource]]) -> None:
    assert len(planned) == len(EXAMPLE_FILES) + len(GOLDEN) and len(EXAMPLE_FILES) >= 5 and len(GOLDEN) >= 15
    created = {r.type for r in _everything(planned) if r.type.startswith("aws:")}
    assert created <= set(shapes.TABLE) | set(shapes.NO_REQUEST)
    # The pipeline, job, worker and storage resources are all among them (golden graphs).
    assert {"aws:codepipeline/pipeline:Pipeline", "aws:sfn/stateMachine:StateMachine", "aws:sqs/queue:Queue",
            "aws:efs/accessPoint:AccessPoint", "aws:scheduler/schedule:Schedule"} <= created


def _is_enum(module: str, name: str) -> bool:
    """``aws.<module>.<name>`` is one of the provider's enums (e.g. ``aws.rds.EngineType``), not a resource."""
    import enum
    import importlib

    found = getattr(importlib.import_module(f"pulumi_aws.{module}"), name, None)
    return isinstance(found, type) and issubclass(found, enum.Enum)


def test_the_table_translates_every_aws_resource_the_programs_construct() -> None:
    constructed = set()
    for source in (ROOT / "stacks").glob("*.py"):
        for module, name in re.findall(r"\baws\.([a-z0-9_]+)\.([A-Z][A-Za-z0-9]+)\(", source.read_text()):
            if not name.endswith("Args") and not name.startswith("Get") and not _is_enum(module, name):
                constructed.add((module.replace("_", ""), name.lower()))
    known = {(t.split(":")[1].split("/")[0], t.rsplit(":", 1)[1].lower()) for t in [*shapes.TABLE, *shapes.NO_REQUEST]}
    assert constructed - known == set()


def test_every_iam_finding_is_accepted_and_every_accepted_one_still_found(planned: dict[str, list[Resource]]) -> None:
    """parliament finds nothing the allow-list does not justify (without the Node tools too); an
    allow-list entry nothing matches any more is stale: remove it."""
    pairs = [(r, item) for r, document in iam.documents(_everything(planned))
             for item in iam.lint(document, trust=iam.POLICIES[r.type].trust)]
    unaccepted = [f"{r.where}: {item.issue}" for r, item in pairs
                  if not any(iam.accepts(entry, r, item) for entry in iam_allowed.ALLOWED)]
    assert unaccepted == []
    stale = [entry for entry in iam_allowed.ALLOWED if not any(iam.accepts(entry, r, item) for r, item in pairs)]
    assert stale == []


# --------------------------------------------------------------------------- shapes: known-bad requests


def test_a_misspelled_container_field_is_refused_as_ecs_would_not_silently_drop_it() -> None:
    task = _one("application-basic", "aws:ecs/taskDefinition:TaskDefinition")
    containers = json.loads(task.inputs["containerDefinitions"])
    containers[0]["portMapping"] = containers[0].pop("portMappings")
    found = [f.message for f in shapes.check([_with(task, containerDefinitions=json.dumps(containers))])]
    assert len(found) == 1 and 'Unknown parameter in containerDefinitions[0]: "portMapping"' in found[0]


@pytest.mark.parametrize(("golden", "type_", "inputs", "expected"), [
    ("application-basic", "aws:ecs/taskDefinition:TaskDefinition", {"memory": "8192"},
     "Fargate has no task size cpu 512 with memory 8192"),
    ("application-basic", "aws:ecs/taskDefinition:TaskDefinition", {"networkMode": "awsvpc2"},
     "Invalid value for parameter networkMode, value: awsvpc2, valid values: bridge, host, awsvpc, none"),
    ("application-basic", "aws:ecs/service:Service", {"launchType": "FARGATE_SPOTX"},
     "Invalid value for parameter launchType"),
    ("application-basic", "aws:ecs/service:Service",
     {"capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]},
     "launchType and capacityProviderStrategy exclude each other"),
    ("application-basic", "aws:lb/targetGroup:TargetGroup",
     {"healthCheck": {"path": "/", "interval": 5, "timeout": 5}}, "health check timeout 5 s must be less than"),
    ("application-basic", "aws:lb/listenerRule:ListenerRule", {"priority": 50001},
     "Invalid value for parameter Priority, value: 50001, valid max value: 50000"),
    ("application-basic", "aws:lb/listenerRule:ListenerRule",
     {"conditions": [{"hostHeader": {"values": ["a.example.com", "b.example.com", "c.example.com"]}},
                     {"pathPattern": {"values": ["/a", "/a/*", "/b"]}}]}, "the rule has 6 match evaluations"),
    ("application-basic", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 10},
     "retention 10 days is not one CloudWatch Logs offers"),
    ("application-worker", "aws:sqs/queue:Queue", {"visibilityTimeoutSeconds": 50000},
     "VisibilityTimeout 50000 is outside 0-43200"),
    ("application-job", "aws:scheduler/schedule:Schedule", {"scheduleExpression": "cron(0 3 * * *)"},
     "is not at(...), rate(N unit) or a six-field cron"),
    ("application-job", "aws:scheduler/schedule:Schedule", {"flexibleTimeWindow": {"mode": "SOMETIMES"}},
     "FlexibleTimeWindow.Mode, value: SOMETIMES"),
    ("pipeline-codecommit", "aws:codebuild/project:Project", {"buildTimeout": 4000},
     "timeoutInMinutes, value: 4000, valid max value: 2160"),
    ("project-single", "aws:kms/alias:Alias", {"name": "alias/aws/shop"}, "alias/aws/ is reserved"),
    ("environment-none-no-domain", "aws:ec2/securityGroup:SecurityGroup", {"description": "apps <-> load balancer"},
     "has characters or a length EC2 refuses"),
    ("storage-postgres-aurora", "aws:rds/cluster:Cluster",
     {"serverlessv2ScalingConfiguration": {"minCapacity": 0.3, "maxCapacity": 8}},
     "MinCapacity 0.3 is not 0-256 ACUs in steps of 0.5"),
    ("storage-postgres-aurora", "aws:rds/cluster:Cluster", {"clusterIdentifier": "shop-" + "x" * 60},
     "DBClusterIdentifier 'shop-xxx"),
    ("storage-postgres-aurora", "aws:rds/cluster:Cluster", {"finalSnapshotIdentifier": "shop-test-orders-"},
     "FinalDBSnapshotIdentifier 'shop-test-orders-' breaks RDS's naming rules"),
    ("storage-mysql-rds-copilot", "aws:rds/instance:Instance", {"identifier": "shop--legacy"},
     "DBInstanceIdentifier 'shop--legacy' breaks RDS's naming rules"),
    ("storage-table", "aws:dynamodb/table:Table", {"streamViewType": "EVERYTHING"},
     "StreamSpecification.StreamViewType, value: EVERYTHING"),
    ("storage-redis", "aws:elasticache/serverlessCache:ServerlessCache",
     {"cacheUsageLimits": {"dataStorage": {"maximum": 5, "unit": "TB"}}}, "Unit, value: TB"),
    ("storage-bucket", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
     {"rules": [{"id": "abort", "status": "On", "filter": {}}]}, "Status, value: On"),
    ("storage-addons", "aws:cloudformation/stack:Stack", {"capabilities": ["CAPABILITY_EVERYTHING"]},
     "Capabilities[0], value: CAPABILITY_EVERYTHING"),
])
def test_a_request_aws_would_refuse_is_a_finding(golden: str, type_: str, inputs: dict[str, Any],
                                                 expected: str) -> None:
    resource = _one(golden, type_)
    assert shapes.check([resource]) == []
    found = [f.message for f in shapes.check([_with(resource, **inputs)])]
    assert any(expected in message for message in found), found


def test_a_pipeline_aws_would_refuse_is_a_finding() -> None:
    pipeline = _one("pipeline-codecommit", "aws:codepipeline/pipeline:Pipeline")
    assert shapes.check([pipeline]) == []
    _source, *deploys = pipeline.inputs["stages"]
    build = {**deploys[0]["actions"][0], "configuration": {}, "inputArtifacts": ["sources"]}
    found = [f.message for f in shapes.check([_with(pipeline, stages=[{**deploys[0], "actions": [build]}])])]
    where = f"CreatePipeline: stage {deploys[0]['name']}, action Deploy"
    assert found == ["CreatePipeline: a pipeline needs at least 2 stages, not 1",
                     f"{where}: source actions belong in the first stage, and only there",
                     f"{where}: configuration needs ProjectName",
                     f"{where}: input artifact sources is produced by no earlier action"]


def test_an_input_the_table_does_not_know_is_a_finding_not_silence() -> None:
    service = _one("application-basic", "aws:ecs/service:Service")
    found = [f.message for f in shapes.check([_with(service, availabilityZoneRebalance="ENABLED")])]
    assert found and "no member for input 'availabilityZoneRebalance'" in found[0]


def test_an_aws_type_missing_from_the_table_is_a_finding() -> None:
    found = shapes.check([Resource("test", "aws:lambda/function:Function", "f", {})])
    assert [f.message for f in found] == ["no translation for aws:lambda/function:Function: add one to "
                                          "ecsp/check/shapes.py (or to NO_REQUEST, saying why)"]


# --------------------------------------------------------------------------- IAM: known-bad policies


def test_an_unknown_iam_action_is_a_finding() -> None:
    grant = next(r for r in documents.from_golden(ROOT / "tests" / "golden" / "application-containers.json")
                 if r.type == "aws:iam/rolePolicy:RolePolicy" and r.name == "web-efs")
    assert iam.check([grant]) == []
    document = json.loads(grant.inputs["policy"])
    document["Statement"][0]["Action"] = ["elasticfilesystem:ClientMounts"]
    found = iam.check([_with(grant, policy=json.dumps(document))])
    assert [(f.message, f.accepted) for f in found] == [
        ("UNKNOWN_ACTION: Unknown action elasticfilesystem:ClientMounts {'string': 'elasticfilesystem:ClientMounts'}",
         False)]


def test_a_trust_policy_is_linted_against_the_role_it_belongs_to() -> None:
    role = _one("application-basic", "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert iam.check([role]) == []
    trust["Statement"][0]["Action"] = "sts:AssumeRoles"
    trust["Statement"][0]["Condition"] = {"StringEquals": {"ecs:cluster": "x"}}
    found = [f.message for f in iam.check([_with(role, assumeRolePolicy=json.dumps(trust))])]
    assert found and found[0].startswith("UNKNOWN_ACTION: Unknown action sts:AssumeRoles")


def test_an_accepted_finding_fails_the_command_once_its_reason_is_withdrawn(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(iam_allowed, "ALLOWED", ())
    assert cli.main(["check", "--aws-models", "-f", str(ROOT / "examples" / "hello" / "ecsp.yaml")]) == 1
    out = capsys.readouterr().out
    assert "iam: hello-project/global: Key artifacts-us-east-1: RESOURCE_STAR" in out
    assert out.rstrip().endswith("3 stacks, 59 resources: 7 problems, 0 accepted findings")


# --------------------------------------------------------------------------- Step Functions


@needs_tools
def test_an_invalid_state_machine_is_a_finding() -> None:
    machine = _one("application-job", "aws:sfn/stateMachine:StateMachine")
    assert asl_check.check([machine]) == []
    definition = json.loads(machine.inputs["definition"])
    state = definition["States"]["Run the task"]
    state["Type"] = "Tusk"
    found = [f.message for f in asl_check.check([_with(machine, definition=json.dumps(definition))])]
    assert found and any("/States/Run the task/Type" in m for m in found), found
    definition["States"]["Run the task"] = {**{k: v for k, v in state.items() if k != "End"}, "Type": "Task",
                                            "Next": "Nowhere"}
    found = [f.message for f in asl_check.check([_with(machine, definition=json.dumps(definition))])]
    assert any("Nowhere" in m for m in found), found


# --------------------------------------------------------------------------- the command


def test_ecsp_check_aws_models_on_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--aws-models", "--accepted", "-f", str(ROOT / "examples" / "hello" / "ecsp.yaml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 stacks, 59 resources: 0 problems, 7 accepted findings"
    assert all(" (accepted: " in line for line in out[:-1]) and len(out) == 8


def test_ecsp_check_without_a_mode_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "-f", str(ROOT / "examples" / "hello" / "ecsp.yaml")]) == 2
    assert "error: say what to do: --aws-models" in capsys.readouterr().err


def test_missing_node_tools_stop_with_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ECSP_HOME", str(tmp_path))
    assert cli.main(["check", "--aws-models", "-f", str(ROOT / "examples" / "kinds" / "ecsp.yaml")]) == 3
    err = capsys.readouterr().err
    assert "error: the AWS check tools (asl-validator, AWSGuard) are not installed" in err
    assert "ecsp check --install-tools" in err


# --------------------------------------------------------------------------- the README


def test_readme_says_what_is_verified_offline_and_its_commands_work(capsys: pytest.CaptureFixture[str]) -> None:
    from ecsp.check import guard
    from tests.cli.test_readme import README, bash_blocks

    install, check = bash_blocks("What is verified offline")[0]
    assert install == "bash .ci/ecsp check --install-tools"
    assert check == "bash .ci/ecsp check --aws-models -f examples/hello/ecsp.yaml"
    assert cli.main([*check.split()[2:-1], str(ROOT / "examples" / "hello" / "ecsp.yaml")]) == 0
    assert capsys.readouterr().out.endswith("0 problems, 7 accepted findings\n")
    text = README.read_text()
    assert all(f"`{accepted.policy}`" in text for accepted in guard.ACCEPTED)
    assert install in (ROOT / ".ci" / "run").read_text()


def test_the_examples_awsguard_judges_plan_every_resource_type_any_example_plans() -> None:
    from tests.check.test_check_awsguard import JUDGED

    def types(name: str) -> set[str]:
        return {r.type for stack in example(name)[1].stacks for r in stack.resources}

    judged = set().union(*(types(name) for name in JUDGED))
    missing = {name: sorted(types(name) - judged) for name in (p.parent.name for p in EXAMPLE_FILES)}
    assert {name: left for name, left in missing.items() if left} == {}
