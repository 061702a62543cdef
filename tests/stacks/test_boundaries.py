"""Roles that cannot escalate: the permissions boundaries, proven over every example and golden graph.

Every graph ecsp plans (each example, pipelines too) and every golden graph is walked: every
role carries its environment's (or the project account's) boundary; every grant ecsp writes
lies inside that boundary, so the cap takes nothing a role needs; the deploy role writes roles
only with its boundary, cannot touch the boundary or itself, and changes DNS records only under
its environment's names; ARN conditions use the ARN operators. Then the escalation a build
could attempt through the deploy role is played, call by call, against the documents
(:mod:`tests.iam_evaluator` says what that evaluator does not model).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from ecsp import api, naming
from ecsp import graph as stack_graph
from ecsp.check import documents, iam
from ecsp.check.documents import Resource
from ecsp.kinds import PROJECT_TAG
from ecsp.previews import Preview, with_previews
from stacks import boundary_policies
from stacks.application_iam import EXECUTION_POLICY_ACTIONS
from tests import harness
from tests.cli import test_ci_github
from tests.iam_evaluator import Request, allowed, matches, statements, within
from tests.paths import EXAMPLE_FILES as EXAMPLES
from tests.paths import GOLDEN as GOLDEN_DIR
from tests.paths import ROOT
from tests.stacks import test_stack_pipeline, test_stack_storage

GOLDEN = sorted(GOLDEN_DIR.glob("*.json"))
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
MANAGED_EXECUTION_POLICY = {"Statement": [{"Effect": "Allow", "Action": list(EXECUTION_POLICY_ACTIONS),
                                           "Resource": "*"}]}
# A mock physical name: the logical name and a 7-hex-digit suffix.
_AUTONAME = re.compile(r"-[0-9a-f]{7}$")


@dataclass(frozen=True)
class Graph:
    """One example's plan (every stack) or one golden graph: its resources and the stacks' outputs."""

    name: str
    resources: list[Resource]
    outputs: list[dict[str, Any]]


def _graphs() -> list[Graph]:
    found = []
    for path in EXAMPLES:
        plan = api.load(path).plan(with_pipeline=True)
        found.append(Graph(f"example {path.parent.name}", list(documents.from_plan(plan)),
                           [s.outputs for s in plan.stacks]))
    for path in GOLDEN:
        outputs = json.loads(path.read_text())["outputs"]
        found.append(Graph(f"golden {path.stem}", list(documents.from_golden(path)), [outputs]))
    # No example has a pipeline: the environments of the pipeline tests' project (one in the
    # project's account, one in another account and region) bring their deploy roles.
    cfg = harness.config(test_stack_pipeline.YAML)
    for environment in cfg.environments:
        name = f"shop-environment/{environment}"
        recording = harness.run_stack(cfg, name)
        found.append(Graph(f"pipeline tests {name}", [Resource(name, n.type, n.name, n.inputs)
                                                       for n in recording.nodes], [recording.outputs]))
    return found


@pytest.fixture(scope="module")
def graphs() -> list[Graph]:
    return _graphs()


@dataclass(frozen=True)
class Role:
    """A role of a graph with its boundary's ARN and document and every identity policy it carries."""

    graph: str
    name: str
    path: str
    boundary_arn: str
    boundary: dict[str, Any]
    inline: list[dict[str, Any]]
    managed: list[str]
    own_managed: list[dict[str, Any]]  # the documents of the managed policies its graph creates for it

    @property
    def grants(self) -> list[dict[str, Any]]:
        return [*self.inline, *self.own_managed]

    @property
    def arn(self) -> str:
        account = self.boundary_arn.split(":")[4]
        return f"arn:aws:iam::{account}:role{self.path}{self.name}"

    @property
    def creates_with(self) -> str:
        """A deploy role's: the applications' boundary every role it creates must carry."""
        return applications_boundary_of(self.boundary_arn)


def applications_boundary_of(deployers_boundary: str) -> str:
    """The applications' boundary paired with a deployers' boundary (by name, as the environment stack makes them)."""
    for deployers, applications in ((f".{naming.PREVIEW_DEPLOYERS}-boundary", f".{naming.PREVIEWS}-boundary"),
                                    (f".{naming.DEPLOYERS}-boundary", "-boundary")):
        if deployers_boundary.endswith(deployers):
            return deployers_boundary.removesuffix(deployers) + applications
    raise AssertionError(f"{deployers_boundary} is no deployers' boundary")


def _boundary_documents(graph: Graph) -> dict[str, dict[str, Any]]:
    """The boundaries a graph creates, by path and name."""
    return {f"{r.inputs['path']}{r.inputs['name']}": json.loads(r.inputs["policy"])
            for r in graph.resources if r.type == POLICY and r.inputs.get("path") == naming.BOUNDARY_PATH}


# The configs the application goldens with linked data were recorded from (their buckets and tables
# are in the environment's applications' boundary, which the environment stack builds from config).
# An existing entry named by a CloudFormation export: the environment stack resolves it; here, the
# name the storage golden recorded from the same mocks.
def _golden_configs() -> dict[str, str]:
    return {"application-linked": test_stack_storage.LINKED, "application-linked-existing": test_stack_storage.EXISTING}


def _golden_data_names(golden: str, environment: str) -> tuple[list[str], list[str]]:
    text = _golden_configs().get(golden)
    if text is None:
        return [], []
    config = test_stack_storage.config(text)
    buckets, tables = boundary_policies.data_names(config, environment)
    recorded = json.loads((GOLDEN_DIR / "storage-existing.json").read_text())["outputs"]["data"]
    for entry, data in config.data_in(environment).items():
        if data.existing is not None and data.kind in ("bucket", "table") and not isinstance(data.existing.name, str):
            (buckets if data.kind == "bucket" else tables).append(recorded[entry]["name"])
    return buckets, tables


def _rebuilt_boundary(graph: Graph, arn: str) -> dict[str, Any]:
    """The boundary a graph's roles carry when another stack creates it (an application's, a pipeline's).

    Rebuilt by the function that stack uses: the environment's applications' boundary, for the
    project, environment and region an application's task definition names; else the project
    account's.
    """
    name = arn.rpartition("/")[2]
    for r in graph.resources:
        if r.type == "aws:ecs/taskDefinition:TaskDefinition":
            container = json.loads(r.inputs["containerDefinitions"])[0]
            env = {e["name"]: e["value"] for e in container.get("environment", [])}
            project, environment = env["ECSP_PROJECT"], env["ECSP_ENVIRONMENT"]
            assert name == naming.permissions_boundary(project, environment)
            buckets, tables = _golden_data_names(graph.name.removeprefix("golden "), environment)
            return boundary_policies.application_boundary(
                partition="aws", account=arn.split(":")[4], project=project, environment=environment,
                region=next(o["taskDefinitionArn"] for o in graph.outputs).split(":")[3],
                buckets=buckets, tables=tables)
    return boundary_policies.project_boundary(partition="aws", account=arn.split(":")[4],
                                              project=name.removesuffix("-boundary"))


def roles(graph: Graph) -> Iterator[Role]:
    boundaries = _boundary_documents(graph)
    for r in graph.resources:
        if r.type != ROLE:
            continue
        name = r.inputs.get("name") or r.name

        def own(policy: Resource, logical: str = r.name, physical: str = name) -> bool:
            target = policy.inputs["role"]
            return target in (physical, logical) or _AUTONAME.sub("", target) == logical

        arn = r.inputs.get("permissionsBoundary", "")
        key = arn.split(":policy", 1)[-1]
        boundary = boundaries.get(key) or (_rebuilt_boundary(graph, arn) if arn else {})
        attached = [p.inputs["policyArn"] for p in graph.resources if p.type == ATTACHMENT and own(p)]
        yield Role(graph.name, name, r.inputs.get("path") or "/", arn, boundary,
                   [json.loads(p.inputs["policy"]) for p in graph.resources if p.type == ROLE_POLICY and own(p)],
                   attached, [json.loads(p.inputs["policy"]) for p in graph.resources
                              if p.type == POLICY and any(a.endswith(f"/{p.inputs['name']}") for a in attached)])


def every_role(graphs: list[Graph]) -> list[Role]:
    return [role for graph in graphs for role in roles(graph)]


def deploy_roles(graphs: list[Graph]) -> list[Role]:
    found = [r for r in every_role(graphs) if r.path == naming.PIPELINE_ROLE_PATH and r.name.endswith("-deploy")]
    return [r for r in found if r.inline]


# --------------------------------------------------------------------------- every role, every grant


def test_the_walk_sees_every_kind_of_role(graphs: list[Graph]) -> None:
    names = {r.name for r in every_role(graphs)}
    kinds = ("-exec", "-task", "-sfn", "-schedule", "-flow-logs", "-deploy", "-build", "-pipeline", "dns-delegation")
    assert {k for k in kinds if any(k in n for n in names)} == set(kinds), sorted(names)
    assert len(deploy_roles(graphs)) >= 3


def test_every_role_carries_its_environments_or_its_projects_boundary(graphs: list[Graph]) -> None:
    problems = []
    for role in every_role(graphs):
        boundary = role.boundary_arn.rpartition("/")[2]
        owner = boundary.removesuffix("-boundary")
        if not role.boundary_arn.startswith("arn:") or f":policy{naming.BOUNDARY_PATH}" not in role.boundary_arn:
            problems.append(f"{role.graph}: {role.name} has no ecsp boundary ({role.boundary_arn!r})")
        elif owner.endswith(f".{naming.PREVIEWS}"):  # a GitHub preview's roles: <project>-pr-<n>-*
            if f"-{naming.PREVIEW_PREFIX}" not in role.name:
                problems.append(f"{role.graph}: {role.name} carries the previews' {boundary}, and is no preview's")
        elif not role.name.startswith(f"{owner}-") and role.path != naming.PIPELINE_ROLE_PATH:
            problems.append(f"{role.graph}: {role.name} carries {boundary}, not its own")
    assert problems == []


def test_an_environments_roles_carry_the_environments_boundary_not_the_projects(graphs: list[Graph]) -> None:
    by_graph = {g.name: _boundary_documents(g) for g in graphs}
    for role in every_role(graphs):
        created = [key.rpartition("/")[2].removesuffix("-boundary") for key in by_graph[role.graph]]
        owners = [o for o in created if role.name.startswith(f"{o}-")]
        if not owners:
            continue
        # The longest owner is the narrowest: the environment's rather than the project's; its
        # deploy roles wear the deployers' boundary rather than the applications'.
        owner = max(owners, key=len)
        wearers = (naming.PREVIEW_DEPLOYERS if role.name.endswith("-preview-deploy") else naming.DEPLOYERS
                   if role in deploy_roles([g for g in graphs if g.name == role.graph]) else None)
        expected = naming.permissions_boundary(owner, None) if wearers is None else f"{owner}.{wearers}-boundary"
        assert role.boundary_arn.endswith(f"/{expected}"), (role.graph, role.name)


def test_only_the_role_constructor_creates_roles() -> None:
    # So no role can be created without a boundary: stacks/_iam.role requires one.
    constructors = {p.name for p in (ROOT / "stacks").glob("*.py") if "aws.iam.Role(" in p.read_text()}
    assert constructors == {"_iam.py"}


def test_every_grant_ecsp_writes_lies_within_its_roles_boundary(graphs: list[Graph]) -> None:
    outside = []
    for role in every_role(graphs):
        for document in role.grants:
            for statement in statements(document):
                if statement["Effect"] == "Allow":
                    outside += [f"{role.graph}: {role.name}: {x}" for x in within(statement, role.boundary)]
    assert outside == []


def test_the_execution_roles_managed_policy_still_pulls_and_logs_under_the_boundary(graphs: list[Graph]) -> None:
    # The AWS managed policy grants its actions on *; the boundary must leave what a task uses.
    checked = 0
    for graph in graphs:
        groups = [r.inputs["name"] for r in graph.resources if r.type == "aws:cloudwatch/logGroup:LogGroup"]
        for role in roles(graph):
            if not any(arn.endswith("AmazonECSTaskExecutionRolePolicy") for arn in role.managed):
                continue
            group = f"/ecsp/{role.name.removesuffix('-exec')}"
            assert group in groups, (graph.name, role.name)
            logs = next(s["Resource"] for s in statements(role.boundary) if s.get("Sid") == "WriteLogs")[0]
            region, account = logs.split(":")[3:5]
            stream = f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:web/web/0123"
            requests = [Request("ecr:GetAuthorizationToken", "*"),
                        Request("ecr:BatchGetImage", f"arn:aws:ecr:{region}:111111111111:repository/shop/web"),
                        Request("logs:CreateLogStream", stream), Request("logs:PutLogEvents", stream)]
            refused = [r for r in requests if not allowed(r, [MANAGED_EXECUTION_POLICY, *role.inline], role.boundary)]
            assert refused == [], (graph.name, role.name)
            checked += 1
    assert checked >= 10


def test_the_infrastructure_roles_managed_policy_still_moves_traffic_under_the_boundary(graphs: list[Graph]) -> None:
    # ECS edits the listener rules and target groups of a traffic-shifting deployment with AWS's
    # managed policy (its actions on the load balancer's resources); the boundary must leave them
    # on the project's load balancer, and only there.
    managed = {"Statement": [
        {"Effect": "Allow", "Action": ["elasticloadbalancing:Describe*"], "Resource": "*"},
        {"Effect": "Allow", "Action": list(boundary_policies.TRAFFIC_SHIFT_ACTIONS),
         "Resource": "arn:aws:elasticloadbalancing:*:*:*"}]}
    checked = 0
    for graph in graphs:
        for role in roles(graph):
            if not any(arn.endswith("AmazonECSInfrastructureRolePolicyForLoadBalancers") for arn in role.managed):
                continue
            project = role.boundary_arn.rpartition("/")[2].split("-")[0]
            rule = "arn:aws:elasticloadbalancing:us-west-2:123456789012:listener-rule/app/lb/1/2/3"
            ours = {f"aws:ResourceTag/{PROJECT_TAG}": project}
            for action in (*boundary_policies.TRAFFIC_SHIFT_ACTIONS, "elasticloadbalancing:DescribeRules"):
                assert allowed(Request(action, rule, ours), [managed], role.boundary), (role.name, action)
            theirs = {f"aws:ResourceTag/{PROJECT_TAG}": "another"}
            assert not allowed(Request("elasticloadbalancing:ModifyRule", rule, theirs), [managed], role.boundary)
            checked += 1
    assert checked >= 3


# --------------------------------------------------------------------------- the deploy role


def test_every_iam_write_of_the_deploy_role_carries_its_boundary(graphs: list[Graph]) -> None:
    for role in deploy_roles(graphs):
        for statement in statements(role.inline[0]):
            writes = [w for w in boundary_policies.BOUNDED_ROLE_WRITES
                      if any(matches(a, w, case_sensitive=False) for a in statement["Action"])]
            if writes and statement["Effect"] == "Allow":
                condition = statement.get("Condition", {}).get("ArnEquals", {})
                assert condition.get("iam:PermissionsBoundary") == role.creates_with, (role.graph, statement["Sid"])


def _application_role(deploy: Role) -> str:
    """A role the deploy role may change: its role pattern, with each ``*`` a name."""
    bounded = next(s for s in statements(deploy.inline[0]) if s.get("Sid") == "BoundedRoles")
    return str(bounded["Resource"][0]).replace("*", "web")


def test_the_deploy_role_cannot_touch_either_boundary_or_itself(graphs: list[Graph]) -> None:
    for role in deploy_roles(graphs):
        bounded = {"iam:PermissionsBoundary": role.creates_with}
        for boundary in (role.boundary_arn, role.creates_with):
            for action in (*boundary_policies.POLICY_WRITES, "iam:CreatePolicy"):
                assert not allowed(Request(action, boundary, bounded), role.inline, role.boundary), action
        for action in boundary_policies.ROLE_WRITES:
            for context in (bounded, {"iam:PermissionsBoundary": role.boundary_arn}):
                assert not allowed(Request(action, role.arn, context), role.inline, role.boundary), action
        # Nor can it take the boundary off a role it may otherwise change.
        application_role = _application_role(role)
        assert allowed(Request("iam:UpdateRoleDescription", application_role), role.inline, role.boundary)
        assert allowed(Request("iam:PutRolePolicy", application_role, bounded), role.inline, role.boundary)
        # Nor create one with its own, wider boundary.
        assert not allowed(Request("iam:CreateRole", application_role, {"iam:PermissionsBoundary": role.boundary_arn}),
                           role.inline, role.boundary)
        assert not allowed(Request("iam:DeleteRolePermissionsBoundary", application_role, bounded), role.inline,
                           role.boundary)


def test_the_deploy_role_deploys_its_environments_data_and_no_one_elses(graphs: list[Graph]) -> None:
    """The storage stack's resources, created, changed and deleted through the deploy role: the
    environment's own (by name, or by the ``ecsp:project`` tag where AWS or Pulumi names them), and
    nothing of another environment or project, nothing untagged, no object of a bucket read."""
    graph = next(g for g in graphs if g.name == "golden environment-deployed")
    deploy = next(r for r in deploy_roles([graph]))
    assert len(deploy.own_managed) == 2, "the walk must see the deploy role's managed policies"
    tables = next(s for d in deploy.own_managed for s in statements(d) if s["Sid"] == "Tables")
    _, _, _, region, account, _ = str(tables["Resource"][0]).split(":", 5)
    rds, efs = f"arn:aws:rds:{region}:{account}", f"arn:aws:elasticfilesystem:{region}:{account}"
    stacks = f"arn:aws:cloudformation:{region}:{account}:stack"
    caches = f"arn:aws:elasticache:{region}:{account}:serverlesscache"
    ours, theirs = {"aws:RequestTag/ecsp:project": "shop"}, {"aws:RequestTag/ecsp:project": "other"}
    tagged, tagged_other = {"aws:ResourceTag/ecsp:project": "shop"}, {"aws:ResourceTag/ecsp:project": "other"}

    def may(action: str, resource: str, context: dict[str, str] | None = None) -> bool:
        return allowed(Request(action, resource, context or {}), deploy.grants, deploy.boundary)

    for action, resource, context in [
        ("dynamodb:CreateTable", f"arn:aws:dynamodb:{region}:{account}:table/shop-prod-orders", {}),
        ("dynamodb:DeleteTable", f"arn:aws:dynamodb:{region}:{account}:table/shop-prod-orders", {}),
        ("rds:CreateDBCluster", f"{rds}:cluster:shop-prod-db", ours),
        ("rds:CreateDBCluster", f"{rds}:cluster-pg:db-1a2b3c4", ours),
        ("rds:ModifyDBCluster", f"{rds}:cluster:shop-prod-db", {}),
        ("rds:CreateDBClusterSnapshot", f"{rds}:cluster-snapshot:shop-prod-db-final", {}),
        ("rds:DeleteDBClusterParameterGroup", f"{rds}:cluster-pg:db-1a2b3c4", tagged),
        ("elasticache:CreateServerlessCache", f"{caches}:shop-prod-c", {}),
        ("s3:CreateBucket", "arn:aws:s3:::shop-prod-uploads-1a2b3c4d", {}),
        ("s3:PutBucketPolicy", "arn:aws:s3:::shop-prod-uploads-1a2b3c4d", {}),
        ("s3:DeleteObjectVersion", "arn:aws:s3:::shop-prod-uploads-1a2b3c4d/a.txt", {}),
        ("secretsmanager:CreateSecret", f"arn:aws:secretsmanager:{region}:{account}:secret:ecsp/shop-prod-db-x-AbCdEf",
         {}),
        ("elasticfilesystem:CreateFileSystem", f"{efs}:file-system/fs-1", ours),
        ("elasticfilesystem:DeleteFileSystem", f"{efs}:file-system/fs-1", tagged),
        ("cloudformation:CreateStack", f"{stacks}/shop-prod-addons/1", {}),
        ("cloudformation:UpdateStack", f"{stacks}/shop-prod-api-addons/1", {}),
    ]:
        assert may(action, resource, context), (action, resource)
    for action, resource, context in [
        # Another environment's, another project's.
        ("dynamodb:DeleteTable", f"arn:aws:dynamodb:{region}:{account}:table/shop-test-orders", {}),
        ("dynamodb:DeleteTable", f"arn:aws:dynamodb:{region}:{account}:table/other-prod-orders", {}),
        ("rds:DeleteDBCluster", f"{rds}:cluster:shop-test-db", {}),
        ("rds:CreateDBCluster", f"{rds}:cluster:shop-prod-db", theirs),
        ("rds:DeleteDBClusterParameterGroup", f"{rds}:cluster-pg:db-1a2b3c4", tagged_other),
        ("s3:DeleteBucket", "arn:aws:s3:::other-prod-uploads-1a2b3c4d", {}),
        ("s3:PutBucketPolicy", "arn:aws:s3:::shop-test-uploads-1a2b3c4d", {}),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{region}:{account}:secret:ecsp/shop-test-db-AbCdEf",
         {}),
        ("elasticache:DeleteServerlessCache", f"{caches}:shop-test-c", {}),
        ("cloudformation:DeleteStack", f"{stacks}/shop-test-addons/1", {}),
        ("cloudformation:DeleteStack", f"{stacks}/payroll/1", {}),
        # Anything untagged, or created without the tag.
        ("rds:DeleteDBClusterParameterGroup", f"{rds}:cluster-pg:db-1a2b3c4", {}),
        ("rds:ModifyDBParameterGroup", f"{rds}:pg:db-1a2b3c4", {}),
        ("elasticfilesystem:DeleteFileSystem", f"{efs}:file-system/fs-1", {}),
        ("elasticfilesystem:PutFileSystemPolicy", f"{efs}:file-system/fs-1", tagged_other),
        ("elasticfilesystem:CreateFileSystem", f"{efs}:file-system/fs-1", {}),
        # An addon stack run with a service role of the caller's choosing.
        ("cloudformation:CreateStack", f"{stacks}/shop-prod-addons/1",
         {"cloudformation:RoleArn": f"arn:aws:iam::{account}:role/admin"}),
        # The data itself.
        ("s3:GetObject", "arn:aws:s3:::shop-prod-uploads-1a2b3c4d/a.txt", {}),
        ("dynamodb:Scan", f"arn:aws:dynamodb:{region}:{account}:table/shop-prod-orders", {}),
    ]:
        assert not may(action, resource, context), (action, resource, context)


def _zones(graph: Graph) -> set[str]:
    return {o["subdomain"].lower() for o in graph.outputs if o.get("subdomain")}


def test_record_changes_stay_under_the_environments_names(graphs: list[Graph]) -> None:
    checked = 0
    for graph in graphs:
        for role in roles(graph):
            if role not in deploy_roles([graph]):
                continue
            if not _zones(graph):  # no domain: no record changes at all
                anywhere = Request("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0THER",
                                   {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ("example.com",)})
                assert not allowed(anywhere, role.inline, role.boundary), role.name
                continue
            if role.name.endswith("-preview-deploy"):  # the previews' zones: pr-*.<project>.<domain>
                like = role.name.removesuffix("-preview-deploy").split("-")[-1]
                template = next(z for z in _zones(graph) if z.startswith(f"{like}."))
                environment_zone = f"{naming.PREVIEW_PREFIX}*{template.removeprefix(like)}"
            else:
                environment_zone = next(z for z in _zones(graph) if z.startswith(role.name.split("-")[-2] + "."))
            for statement in statements(role.inline[0]):
                if any(matches(a, "route53:ChangeResourceRecordSets", case_sensitive=False)
                       for a in statement["Action"]):
                    names = statement["Condition"]["ForAllValues:StringLike"][
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames"]
                    assert sorted(names) == sorted([environment_zone, f"*.{environment_zone}"])
                    assert statement["Condition"]["Null"] == {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": "false"}
                    checked += 1

            def change(*names: str) -> Request:
                context = {"route53:ChangeResourceRecordSetsNormalizedRecordNames": names} if names else {}
                return Request("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0THER", context)

            assert allowed(change(f"web.{environment_zone}", environment_zone), role.inline, role.boundary)
            for refused in (change("www.example.org"), change(f"web.{environment_zone}", "mail.example.org"),
                            change(f"evil{environment_zone}"), change()):
                assert not allowed(refused, role.inline, role.boundary), refused
    assert checked >= 1


# --------------------------------------------------------------------------- the escalation, played


def test_the_escalation_a_build_could_attempt_through_the_deploy_role_is_refused(graphs: list[Graph]) -> None:
    """A build (a pull request to the deployed branch, a compromised dependency) holds the deploy role's session.

    Before boundaries it could create ``<project>-<env>-admin`` with an inline ``*:*`` policy that
    trusts itself, assume it, and own the account. Each step is tried as the request AWS would
    evaluate; what still works (creating a role with the boundary) gives no more than the boundary.
    """
    graph = next(g for g in graphs if g.name == "golden environment-deployed")
    deploy = next(r for r in deploy_roles([graph]))
    policy, boundary = deploy.inline, deploy.boundary
    # What a role it creates is capped by: the environment's applications' boundary.
    cap = _boundary_documents(graph)[f"{naming.BOUNDARY_PATH}{deploy.creates_with.rpartition('/')[2]}"]
    account = deploy.arn.split(":")[4]
    admin = f"arn:aws:iam::{account}:role/shop-prod-admin"
    other_boundary = f"arn:aws:iam::{account}:policy/attacker-boundary"

    def as_deploy(action: str, resource: str, **context: str) -> bool:
        return allowed(Request(action, resource, context), policy, boundary)

    # The role without a boundary, or with one of its own choosing: refused.
    assert not as_deploy("iam:CreateRole", admin)
    assert not as_deploy("iam:CreateRole", admin, **{"iam:PermissionsBoundary": other_boundary})
    # The deployers' own boundary, which it wears and which would let a role write IAM: refused.
    assert not as_deploy("iam:CreateRole", admin, **{"iam:PermissionsBoundary": deploy.boundary_arn})
    # Widening either boundary, or replacing it, or removing it: refused.
    for either in (deploy.boundary_arn, deploy.creates_with):
        assert not as_deploy("iam:CreatePolicyVersion", either)
        assert not as_deploy("iam:SetDefaultPolicyVersion", either)
    assert not as_deploy("iam:PutRolePermissionsBoundary", admin, **{"iam:PermissionsBoundary": other_boundary})
    assert not as_deploy("iam:DeleteRolePermissionsBoundary", admin, **{"iam:PermissionsBoundary": deploy.creates_with})
    # AWS's own administrator policy: refused (only the ECS execution policy may be attached).
    assert not as_deploy("iam:AttachRolePolicy", admin, **{
        "iam:PermissionsBoundary": deploy.creates_with, "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"})
    # Changing itself (a wider policy, a wider trust): refused.
    assert not as_deploy("iam:PutRolePolicy", deploy.arn, **{"iam:PermissionsBoundary": deploy.boundary_arn})
    assert not as_deploy("iam:PutRolePolicy", deploy.arn, **{"iam:PermissionsBoundary": deploy.creates_with})
    assert not as_deploy("iam:UpdateAssumeRolePolicy", deploy.arn)
    # Handing a role to a compute service that would run the attacker's code with it: only ECS tasks.
    assert not as_deploy("iam:PassRole", admin, **{"iam:PassedToService": "lambda.amazonaws.com"})
    assert not as_deploy("iam:PassRole", admin, **{"iam:PassedToService": "ec2.amazonaws.com"})
    assert not as_deploy("sts:AssumeRole", f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole")

    # What remains: the role with this boundary, an inline *:* policy, and a trust of the build.
    with_boundary = {"iam:PermissionsBoundary": deploy.creates_with}
    assert as_deploy("iam:CreateRole", admin, **with_boundary)
    assert as_deploy("iam:PutRolePolicy", admin, **with_boundary)
    assert as_deploy("iam:UpdateAssumeRolePolicy", admin)
    # Assumed, that role is capped by the boundary: nothing beyond what ecsp's roles of the
    # environment may do, and none of the IAM that would widen it.
    star = [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
    for action, resource, context in [
        ("iam:CreateUser", f"arn:aws:iam::{account}:user/attacker", {}),
        ("iam:CreateAccessKey", f"arn:aws:iam::{account}:user/admin", {}),
        ("iam:AttachRolePolicy", f"arn:aws:iam::{account}:role/shop-prod-admin",
         {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        ("iam:CreateRole", f"arn:aws:iam::{account}:role/shop-prod-admin2", {}),
        ("iam:DeleteRolePermissionsBoundary", f"arn:aws:iam::{account}:role/shop-prod-admin",
         {"iam:PermissionsBoundary": deploy.creates_with}),
        ("iam:CreatePolicyVersion", deploy.creates_with, {}),
        ("iam:PutRolePolicy", f"arn:aws:iam::{account}:role/shop-prod-web-task",
         {"iam:PermissionsBoundary": deploy.creates_with}),
        ("iam:PassRole", f"arn:aws:iam::{account}:role/shop-prod-admin",
         {"iam:PassedToService": "lambda.amazonaws.com"}),
        ("organizations:LeaveOrganization", "*", {}),
        ("s3:GetObject", "arn:aws:s3:::payroll/2026.csv", {}),
        ("secretsmanager:DeleteSecret", f"arn:aws:secretsmanager:eu-west-1:{account}:secret:db", {}),
        ("ec2:RunInstances", f"arn:aws:ec2:eu-west-1:{account}:instance/*", {}),
        ("lambda:CreateFunction", f"arn:aws:lambda:eu-west-1:{account}:function:miner", {}),
        ("kms:ScheduleKeyDeletion", f"arn:aws:kms:eu-west-1:{account}:key/1234", {}),
        ("cloudtrail:StopLogging", f"arn:aws:cloudtrail:eu-west-1:{account}:trail/org", {}),
        ("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/ZROOT",
         {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ("example.com",)}),
    ]:
        assert not allowed(Request(action, resource, context), star, cap), action


def test_the_evaluator_can_say_yes_and_no() -> None:
    # The proofs above only mean something if the evaluator tells an allowed request from a refused one.
    policy = [{"Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*",
         "Condition": {"ArnEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret"}]}]
    assert allowed(Request("s3:GetObject", "arn:aws:s3:::b/x"), policy)
    assert not allowed(Request("s3:GetObject", "arn:aws:s3:::b/secret"), policy)
    assert not allowed(Request("s3:PutObject", "arn:aws:s3:::b/x"), policy)
    assert allowed(Request("iam:CreateRole", "r", {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}), policy)
    assert not allowed(Request("iam:CreateRole", "r"), policy)
    cap = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/public/*"}]}
    assert not allowed(Request("s3:GetObject", "arn:aws:s3:::b/x"), policy, cap)
    assert allowed(Request("s3:GetObject", "arn:aws:s3:::b/public/x"), policy, cap)
    assert within({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/public/a*"}, cap) == []
    assert within({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, cap) != []
    with pytest.raises(ValueError, match="DateGreaterThan"):
        allowed(Request("s3:GetObject", "x"), [{"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"DateGreaterThan": {"k": "v"}}}]}])


# --------------------------------------------------------------------------- conditions, parliament


_STRING_KEYS_WITH_ARN_VALUES = ("kms:encryptioncontext:",)  # string-typed keys whose values happen to be ARNs


def test_arn_conditions_use_the_arn_operators(graphs: list[Graph]) -> None:
    problems = []
    for graph in graphs:
        for resource, document in iam.documents(graph.resources):
            for statement in statements(document):
                for operator, block in statement.get("Condition", {}).items():
                    for key, values in block.items():
                        arns = [v for v in (values if isinstance(values, list) else [values])
                                if isinstance(v, str) and v.startswith("arn:")]
                        if arns and "Arn" not in operator and not key.lower().startswith(
                                _STRING_KEYS_WITH_ARN_VALUES):
                            problems.append(f"{resource.where}: {operator} {key}")
    assert problems == []



# --------------------------------------------------------------------------- existing projects


def test_plan_notes_that_roles_deployed_before_get_their_boundary_in_place() -> None:
    plan = api.load(next(p for p in EXAMPLES if p.parent.name == "hello")).plan()
    notes = {stack.spec.name: stack.notes for stack in plan.stacks}
    assert notes["hello-project/global"] == [
        "every role of the project account carries the permissions boundary hello-boundary; roles deployed before "
        "ecsp added boundaries get it in place (no role is replaced)"]
    assert any("permissions boundary hello-test-boundary" in n for n in notes["hello-environment/test"])
    assert all(not stack.notes for stack in plan.stacks if stack.spec.application)


# --------------------------------------------------------------------------- IAM's size quotas


MANAGED_POLICY_LIMIT = 6144  # characters without whitespace (IAM quotas; not adjustable)
INLINE_POLICIES_PER_ROLE_LIMIT = 10240  # all of a role's inline policies together, likewise


def _size(document: dict[str, Any]) -> int:
    return len(re.sub(r"\s", "", json.dumps(document)))


def test_every_boundary_and_every_roles_inline_policies_fit_iams_quotas(graphs: list[Graph]) -> None:
    # AWS refuses a larger managed policy (LimitExceeded) however valid its statements are.
    too_big = [f"{g.name}: {path} {_size(doc)} > {MANAGED_POLICY_LIMIT}"
               for g in graphs for path, doc in _boundary_documents(g).items() if _size(doc) > MANAGED_POLICY_LIMIT]
    too_big += [f"{g.name}: {r.name} {_size(json.loads(r.inputs['policy']))} > {MANAGED_POLICY_LIMIT}"
                for g in graphs for r in g.resources
                if r.type == POLICY and _size(json.loads(r.inputs["policy"])) > MANAGED_POLICY_LIMIT]
    too_big += [f"{r.graph}: {r.name} inline {sum(map(_size, r.inline))} > {INLINE_POLICIES_PER_ROLE_LIMIT}"
                for r in every_role(graphs) if sum(map(_size, r.inline)) > INLINE_POLICIES_PER_ROLE_LIMIT]
    assert too_big == []


# --------------------------------------------------------------------------- GitHub previews


def _preview_environment(name: str, like: str) -> tuple[list[Resource], dict[str, Any]]:
    """The environment stack of preview ``name`` as ``ecsp up --env name --like like`` plans it (its stack's tags)."""
    preview = Preview(name, like, datetime(2026, 12, 5, tzinfo=UTC))
    cfg = with_previews(harness.config(test_ci_github.YAML), [preview])
    spec = stack_graph.build(cfg, {name: preview.tags()})[f"shop-environment/{name}"]
    recording, _ = harness.plan_stack(cfg, spec)
    return [Resource(spec.name, n.type, n.name, n.inputs) for n in recording.nodes], recording.outputs


def test_a_github_preview_wears_the_previews_boundary_of_its_templates_stack_and_creates_none() -> None:
    # The preview deploy role may create no managed policy: the template's stack made the previews' boundary.
    resources, outputs = _preview_environment("pr-7", "test")
    assert [r for r in resources if r.type == POLICY] == []
    boundary = outputs["permissionsBoundaryArn"]
    assert boundary == f"arn:aws:iam::111111111111:policy{naming.BOUNDARY_PATH}shop-test.previews-boundary"
    # A preview made by hand, not named like GitHub's (pr-*), creates its own like any environment.
    resources, outputs = _preview_environment("feature", "test")
    assert [r.inputs["name"] for r in resources if r.type == POLICY] == ["shop-feature-boundary"]
