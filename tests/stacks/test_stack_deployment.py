"""Deployment strategies in the application program, under Pulumi's mocks on whole graphs (examples/deployments).

Rolling (the default) is every other golden file, unchanged. Here: blue-green with a test
route and ecsp's alarms (shop), canary in prod only (search), linear (checkout), and canary
on a Service Connect backend with an existing alarm (prices), each a golden graph, plus what
ECS needs of each checked one by one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecsp import loader, priorities
from ecsp.config import ProjectConfig
from ecsp.mocks import Node, Recording
from tests import harness, paths

EXAMPLE = paths.EXAMPLES / "deployments" / "ecsp.yaml"
APPS = ("shop", "search", "checkout", "prices")


@pytest.fixture(scope="module")
def project() -> ProjectConfig:
    return loader.load(EXAMPLE)


@pytest.fixture(scope="module")
def prod(project: ProjectConfig) -> dict[str, Recording]:
    return {app: harness.run_stack(project, f"deployments-{app}/prod") for app in APPS}


@pytest.mark.parametrize(("app", "golden"), [("shop", "application-web-blue-green"),
                                             ("search", "application-web-canary"),
                                             ("checkout", "application-web-linear"),
                                             ("prices", "application-backend-canary")])
def test_golden(prod: dict[str, Recording], app: str, golden: str) -> None:
    harness.assert_golden(golden, harness.graph_document(prod[app]))


def service(rec: Recording) -> dict[str, Any]:
    return rec.one("aws:ecs/service:Service").inputs


def rule(rec: Recording, name: str) -> Node:
    return rec.one("aws:lb/listenerRule:ListenerRule", name)


def test_blue_green_forwards_to_both_target_groups_and_leaves_the_weights_to_ecs(prod: dict[str, Recording]) -> None:
    shop = prod["shop"]
    groups = shop.of_type("aws:lb/targetGroup:TargetGroup")
    assert len(groups) == 2
    # Both groups alike: ECS registers the new tasks in whichever is not serving.
    assert groups[0].inputs == groups[1].inputs
    production = rule(shop, "shop-http")
    forward = production.inputs["actions"][0]["forward"]["targetGroups"]
    assert [g["weight"] for g in forward] == [100, 0]
    assert production.ignore_changes == ("actions[*].forward.targetGroups[*].weight",)
    config = service(shop)["deploymentConfiguration"]
    assert config == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15"}
    [balancer] = service(shop)["loadBalancers"]
    advanced = balancer["advancedConfiguration"]
    assert set(advanced) == {"alternateTargetGroupArn", "productionListenerRule", "testListenerRule", "roleArn"}
    assert ":role/deployments-prod-shop-deploy-" in advanced["roleArn"]
    assert "targetgroup/deployments-prod-cj3not-" in advanced["alternateTargetGroupArn"]  # the alternate group
    assert advanced["productionListenerRule"].split("/")[-2] == "shop-http"
    assert advanced["testListenerRule"].split("/")[-2] == "shop-test"
    # The circuit breaker stays on beside the alarms.
    assert service(shop)["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_the_test_route_is_evaluated_before_the_production_rule(project: ProjectConfig,
                                                                prod: dict[str, Recording]) -> None:
    test_rule, production = rule(prod["shop"], "shop-test"), rule(prod["shop"], "shop-http")
    assert test_rule.inputs["priority"] < production.inputs["priority"]
    assert test_rule.inputs["conditions"] == [
        {"pathPattern": {"values": ["/*"]}},
        {"httpHeader": {"httpHeaderName": "X-Shop-Test", "values": ["green"]}}]
    assert test_rule.inputs["actions"] == production.inputs["actions"]
    # Every rule of the listener keeps a priority of its own: the test rule's key is numbered with the paths.
    numbers = [rule(prod[app], f"{app}-{kind}").inputs["priority"]
               for app, kind in (("shop", "http"), ("shop", "test"), ("search", "http"), ("checkout", "http"))]
    assert len(set(numbers)) == 4
    assert priorities.test_rule_key("/") == "/@test" and priorities.test_rule_key("/api") == "/api/@test"


def test_the_root_test_rule_comes_after_every_path_and_before_the_root() -> None:
    keys = ["/", priorities.test_rule_key("/"), "/api", priorities.test_rule_key("/api"), "/a/b/c",
            priorities.root_key("shop.example.com")]
    numbers = priorities.priorities(keys)
    assert len(set(numbers.values())) == len(keys)
    assert numbers["/@test"] in priorities.ROOT_ROOM and numbers["/@test"] < numbers["/"]
    assert all(numbers["/@test"] > numbers[k] for k in ("/api", "/api/@test", "/a/b/c"))
    assert numbers["/api/@test"] < numbers["/api"]


def test_the_infrastructure_role_is_for_ecs_of_this_account_with_aws_s_policy(prod: dict[str, Recording]) -> None:
    shop = prod["shop"]
    role = shop.one("aws:iam/role:Role", "deployments-prod-shop-deploy")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                                   "Action": "sts:AssumeRole",
                                   "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]
    attachment = shop.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "shop-deploy-load-balancers")
    assert attachment.inputs["policyArn"] == \
        "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"


def test_ecsp_alarms_watch_both_target_groups_and_roll_back(prod: dict[str, Recording]) -> None:
    shop = prod["shop"]
    errors = shop.one("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-rollback-errors").inputs
    assert errors["threshold"] == 5 and errors["treatMissingData"] == "notBreaching"
    queries = {q["id"]: q for q in errors["metricQueries"]}
    assert queries["rate"]["expression"] == "100*(FILL(e0,0)+FILL(e1,0))/(FILL(r0,0)+FILL(r1,0))"
    groups = [queries[i]["metric"]["dimensions"]["TargetGroup"] for i in ("e0", "e1")]
    assert groups[0].startswith("targetgroup/deployments-prod-shop-")
    assert groups[1].startswith("targetgroup/deployments-prod-cj3not-")
    assert [queries[i]["metric"]["dimensions"]["TargetGroup"] for i in ("r0", "r1")] == groups
    assert queries["e0"]["metric"]["dimensions"]["LoadBalancer"].startswith("app/")
    slow = shop.one("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-rollback-response-time").inputs
    assert slow["threshold"] == 0.8
    assert {q["id"]: q.get("expression") for q in slow["metricQueries"]}["slowest"] == "MAX([FILL(t0,0),FILL(t1,0)])"
    alarms = service(shop)["alarms"]
    assert alarms["enable"] is True and alarms["rollback"] is True
    # Named in the environment's names, which the deploy role may manage (and no other alarm).
    assert alarms["alarmNames"] == ["deployments-prod-shop-rollback-errors",
                                    "deployments-prod-shop-rollback-response-time"]


def test_canary_in_prod_only_and_linear_steps(project: ProjectConfig, prod: dict[str, Recording]) -> None:
    assert service(prod["search"])["deploymentConfiguration"] == {
        "strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": "5"}}
    test_search = harness.run_stack(project, "deployments-search/test")
    assert "deploymentConfiguration" not in service(test_search)  # rolling in test: ECS's default
    assert len(test_search.of_type("aws:lb/targetGroup:TargetGroup")) == 1
    assert rule(test_search, "search-http").inputs["actions"][0]["type"] == "forward"
    assert "forward" not in rule(test_search, "search-http").inputs["actions"][0]
    assert service(prod["checkout"])["deploymentConfiguration"] == {
        "strategy": "LINEAR", "bakeTimeInMinutes": "5",
        "linearConfiguration": {"stepPercent": 25, "stepBakeTimeInMinutes": "2"}}
    assert not prod["checkout"].of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert "alarms" not in service(prod["checkout"])


def test_a_service_connect_backend_shifts_in_the_proxies_with_its_existing_alarm(prod: dict[str, Recording]) -> None:
    prices = prod["prices"]
    assert service(prices)["deploymentConfiguration"] == {
        "strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": "5"}}
    assert service(prices)["alarms"] == {"alarmNames": ["deployments-prices-latency"], "enable": True,
                                         "rollback": True}
    assert not prices.of_type("aws:lb/targetGroup:TargetGroup")
    assert [r.name for r in prices.of_type("aws:iam/role:Role")] == ["deployments-prod-prices-exec",
                                                                      "deployments-prod-prices-task"]


def test_the_offline_check_sends_the_strategy_and_the_alarms_as_aws_would_receive_them() -> None:
    from ecsp.check import documents, shapes
    from ecsp.check.documents import Resource

    graph = list(documents.from_golden(paths.GOLDEN / "application-web-blue-green.json"))
    service_ = next(r for r in graph if r.type == "aws:ecs/service:Service")
    [request] = shapes.ecs_service(service_)
    deployment = request.params["deploymentConfiguration"]
    assert (deployment["strategy"], deployment["bakeTimeInMinutes"], deployment["maximumPercent"]) == (
        "BLUE_GREEN", 15, 200)
    assert deployment["alarms"]["rollback"] is True
    assert shapes.check(graph) == []
    wrong = dict(service_.inputs, deploymentConfiguration={"strategy": "PURPLE"})
    found = [f.message for f in shapes.check([Resource(service_.source, service_.type, service_.name, wrong)])]
    assert any("PURPLE" in message for message in found), found
    alarm = next(r for r in graph if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm")
    [put] = shapes.metric_alarm(alarm)
    assert put.operation == "PutMetricAlarm" and put.params["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"][0][
        "Name"] == "LoadBalancer"
    bad = dict(alarm.inputs, comparisonOperator="Bigger")
    assert shapes.check([Resource(alarm.source, alarm.type, alarm.name, bad)]), "an enum AWS refuses is a finding"
