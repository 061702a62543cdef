"""The deploy role can deploy every deployment strategy: each create and update call its resources need, allowed.

The golden graph of each strategy (examples/deployments: blue-green, canary, linear on the shared
load balancer, canary behind Service Connect) is walked resource by resource; each resource
type names the API calls Pulumi's AWS provider makes to create, read, update, tag and delete
it, as requests with the condition keys AWS evaluates; the environment's deploy role (its
policy and the deployers' boundary, from the functions the environment stack uses) must allow
every one, and the roles it creates must carry the applications' boundary. The evaluator
(tests/iam_evaluator.py) says what it does not model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ecsp import naming
from ecsp.kinds import PROJECT_TAG
from stacks import boundary_policies, pipeline_policies
from tests.iam_evaluator import Request, allowed
from tests.paths import GOLDEN

STRATEGIES = {"application-web-blue-green": "BLUE_GREEN", "application-web-canary": "CANARY",
              "application-web-linear": "LINEAR", "application-backend-canary": "CANARY"}
PROJECT, ENVIRONMENT = "deployments", "prod"


def _graph(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / f"{name}.json").read_text())


def _placement(graph: dict[str, Any]) -> tuple[str, str]:
    """The region and account of a recorded application graph (from its task definition's ARN)."""
    region, account = graph["outputs"]["taskDefinitionArn"].split(":")[3:5]
    return region, account


def _deploy_role(region: str, account: str) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """The environment's deploy role: its policy, its boundary, and the boundary the roles it creates carry."""
    applications = naming.policy_arn("aws", account, naming.permissions_boundary(PROJECT, ENVIRONMENT),
                                     naming.BOUNDARY_PATH)
    policy = pipeline_policies.deploy_role_policy(partition="aws", account=account, region=region, project=PROJECT,
                                                  environment=ENVIRONMENT, zone=None, boundary=applications)
    boundary = boundary_policies.deployer_boundary(partition="aws", account=account, region=region, project=PROJECT,
                                                   environment=ENVIRONMENT, zone=None,
                                                   applications_boundary=applications)
    return [policy], boundary, applications


def _physical(role: dict[str, Any], resources: list[dict[str, Any]]) -> str:
    """A role's physical name: the one its policies and attachments name (the mocks' auto-name)."""
    named = [r["inputs"]["role"] for r in resources
             if r["type"] in ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy")]
    return next((n for n in named if n.startswith(f"{role['name']}-")), f"{role['name']}-0000000")


def _requests(graph: dict[str, Any], region: str, account: str) -> Iterator[tuple[str, Request]]:
    """Every call creating, reading, updating, tagging and deleting the graph's deployment resources needs."""
    created = {"aws:RequestTag/" + PROJECT_TAG: PROJECT}
    tagged = {"aws:ResourceTag/" + PROJECT_TAG: PROJECT}
    resources = graph["resources"]
    service = next(r for r in resources if r["type"] == "aws:ecs/service:Service")
    cluster = service["inputs"]["cluster"].rpartition("/")[2]
    for r in resources:
        kind, inputs = r["type"], r.get("inputs", {})
        if kind == "aws:cloudwatch/metricAlarm:MetricAlarm":
            alarm = f"arn:aws:cloudwatch:{region}:{account}:alarm:{inputs['name']}"
            for action in ("PutMetricAlarm", "DescribeAlarms", "ListTagsForResource", "TagResource", "UntagResource",
                           "DeleteAlarms"):
                yield r["name"], Request(f"cloudwatch:{action}", alarm)
        elif kind == "aws:iam/role:Role":
            if not inputs.get("permissionsBoundary"):
                continue
            role = f"arn:aws:iam::{account}:role/{_physical(r, resources)}"
            bounded = {"iam:PermissionsBoundary": inputs["permissionsBoundary"]}
            yield r["name"], Request("iam:CreateRole", role, bounded)
            for action in ("GetRole", "TagRole", "UntagRole", "UpdateAssumeRolePolicy", "ListAttachedRolePolicies",
                           "ListRolePolicies", "ListInstanceProfilesForRole", "DeleteRole"):
                yield r["name"], Request(f"iam:{action}", role)
            yield r["name"], Request("iam:PutRolePermissionsBoundary", role, bounded)
        elif kind == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            role_resource = next(x for x in resources if x["type"] == "aws:iam/role:Role"
                                 and inputs["role"].startswith(x["name"] + "-"))
            context = {"iam:PolicyARN": inputs["policyArn"],
                       "iam:PermissionsBoundary": role_resource["inputs"]["permissionsBoundary"]}
            role = f"arn:aws:iam::{account}:role/{inputs['role']}"
            yield r["name"], Request("iam:AttachRolePolicy", role, context)
            yield r["name"], Request("iam:DetachRolePolicy", role, context)
        elif kind == "aws:ecs/service:Service":
            arn = f"arn:aws:ecs:{region}:{account}:service/{cluster}/{graph['outputs']['serviceName']}"
            for action in ("CreateService", "DescribeServices", "UpdateService", "TagResource", "DeleteService",
                           "ListServiceDeployments"):
                yield r["name"], Request(f"ecs:{action}", arn)
            deployment = (f"arn:aws:ecs:{region}:{account}:service-deployment/{cluster}/"
                          f"{graph['outputs']['serviceName']}/0123456789abcdef")
            yield r["name"], Request("ecs:DescribeServiceDeployments", deployment)
            for balancer in inputs.get("loadBalancers", []):
                advanced = balancer.get("advancedConfiguration")
                if advanced:  # the role ECS moves the traffic with, handed to ECS with the service
                    yield r["name"], Request("iam:PassRole", advanced["roleArn"],
                                             {"iam:PassedToService": "ecs.amazonaws.com"})
        elif kind in ("aws:lb/targetGroup:TargetGroup", "aws:lb/listenerRule:ListenerRule"):
            group = "target" in kind
            path = "targetgroup" if group else "listener-rule/app"
            some = f"arn:aws:elasticloadbalancing:{region}:{account}:{path}/x/1"
            create, change = ("CreateTargetGroup", "ModifyTargetGroup") if group else ("CreateRule", "ModifyRule")
            yield r["name"], Request(f"elasticloadbalancing:{create}", some, created)
            yield r["name"], Request("elasticloadbalancing:AddTags", some, created)
            yield r["name"], Request(f"elasticloadbalancing:{change}", some, tagged)
            yield r["name"], Request(f"elasticloadbalancing:Delete{create.removeprefix('Create')}", some, tagged)


@pytest.mark.parametrize("golden", sorted(STRATEGIES))
def test_the_deploy_role_may_make_every_call_a_strategys_resources_need(golden: str) -> None:
    graph = _graph(golden)
    service = next(r for r in graph["resources"] if r["type"] == "aws:ecs/service:Service")
    assert service["inputs"]["deploymentConfiguration"]["strategy"] == STRATEGIES[golden]
    region, account = _placement(graph)
    policy, boundary, applications = _deploy_role(region, account)
    requests = list(_requests(graph, region, account))
    refused = [f"{name}: {r.action} on {r.resource}" for name, r in requests if not allowed(r, policy, boundary)]
    assert refused == []
    # The roles carry the applications' boundary (what the deploy role may create them with).
    assert {r.context["iam:PermissionsBoundary"] for _, r in requests if r.action == "iam:CreateRole"} == {applications}
    # The walk saw what a shifting strategy brings, where the graph has it.
    actions = {r.action for _, r in requests}
    assert {"ecs:CreateService", "ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments"} <= actions
    if "web" in golden:  # the infrastructure role, attached and passed
        assert {"iam:PassRole", "iam:AttachRolePolicy", "elasticloadbalancing:ModifyRule"} <= actions
    if any(r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm" for r in graph["resources"]):
        assert "cloudwatch:PutMetricAlarm" in actions


def test_the_deploy_role_passes_the_infrastructure_role_to_ecs_only_and_attaches_only_its_policy() -> None:
    graph = _graph("application-web-blue-green")
    region, account = _placement(graph)
    policy, boundary, applications = _deploy_role(region, account)
    role = f"arn:aws:iam::{account}:role/{PROJECT}-{ENVIRONMENT}-shop-deploy-a637dd6"
    assert allowed(Request("iam:PassRole", role, {"iam:PassedToService": "ecs.amazonaws.com"}), policy, boundary)
    for service in ("lambda.amazonaws.com", "ec2.amazonaws.com", "codebuild.amazonaws.com"):
        assert not allowed(Request("iam:PassRole", role, {"iam:PassedToService": service}), policy, boundary)
    for managed in ("AdministratorAccess", "AmazonECS_FullAccess", "AmazonECSInfrastructureRolePolicyForVolumes"):
        context = {"iam:PolicyARN": f"arn:aws:iam::aws:policy/{managed}", "iam:PermissionsBoundary": applications}
        assert not allowed(Request("iam:AttachRolePolicy", role, context), policy, boundary), managed
    infrastructure = {"iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}
    assert not allowed(Request("iam:AttachRolePolicy", role, infrastructure), policy, boundary)  # without the boundary
    assert allowed(Request("iam:AttachRolePolicy", role, {**infrastructure, "iam:PermissionsBoundary": applications}),
                   policy, boundary)
    # Alarms: the environment's, never another's.
    other = f"arn:aws:cloudwatch:{region}:{account}:alarm:payments-prod-errors"
    assert not allowed(Request("cloudwatch:DeleteAlarms", other), policy, boundary)
    assert not allowed(Request("cloudwatch:PutMetricAlarm", other), policy, boundary)
