"""Backend, worker and job applications, topics and Service Connect, under Pulumi's mocks on whole graphs.

Every stack here runs after its real upstream programs (tests.harness.run_stack), so the
contracts between stacks are checked too: a worker's subscription names the ARN the
publisher's stack really creates, a Service Connect service the namespace the environment
really exports. Inputs AWS needs are checked against the Terraform AWS provider's argument
rules (required arguments, enums, ranges) and Copilot's templates.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ecsp import graph as graphs
from ecsp import loader
from ecsp.config import ProjectConfig
from ecsp.mocks import Recording
from stacks.application_schedule import definition
from tests import harness
from tests.paths import EXAMPLES

KINDS = EXAMPLES / "kinds" / "ecsp.yaml"
ACCOUNT = "123456789012"
REGION = "us-west-2"


@pytest.fixture(scope="module")
def kinds() -> ProjectConfig:
    return loader.load(KINDS)


@pytest.fixture(scope="module")
def stacks(kinds: ProjectConfig) -> dict[str, Recording]:
    return {app: harness.run_stack(kinds, f"kinds-{app}/test") for app in ("web", "api", "orders", "nightly")}


@pytest.fixture(scope="module")
def environment(kinds: ProjectConfig) -> Recording:
    return harness.run_stack(kinds, "kinds-environment/test")


def container(rec: Recording) -> dict[str, Any]:
    containers = json.loads(rec.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])
    assert len(containers) == 1
    return dict(containers[0])


def env_vars(rec: Recording) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(rec)["environment"]}


def policy(node_inputs: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    return dict(json.loads(node_inputs[key]))


# --------------------------------------------------------------------------- golden graphs


@pytest.mark.parametrize("app", ["web", "api", "orders", "nightly"])
def test_golden(stacks: dict[str, Recording], app: str) -> None:
    kind = {"web": "web-publisher", "api": "backend", "orders": "worker", "nightly": "job"}[app]
    harness.assert_golden(f"application-{kind}", harness.graph_document(stacks[app]))


def test_golden_environment_with_service_connect(environment: Recording) -> None:
    harness.assert_golden("environment-service-connect", harness.graph_document(environment))


# --------------------------------------------------------------------------- graph


def test_a_worker_deploys_after_the_applications_it_subscribes_to(kinds: ProjectConfig) -> None:
    graph = graphs.build(kinds)
    assert graph["kinds-orders/test"].depends_on == (
        "kinds-environment/test", "kinds-project/global", "kinds-web/test")
    order = [s.name for s in graph.order()]
    assert order.index("kinds-web/test") < order.index("kinds-orders/test")
    for app in ("web", "api", "nightly"):
        assert graph[f"kinds-{app}/test"].depends_on == ("kinds-environment/test", "kinds-project/global")
    # --app orders brings its publisher along (its topic must exist), as it does the environment.
    chosen = graphs.select(graph, applications=["orders"]).names()
    assert "kinds-web/test" in chosen and "kinds-api/test" not in chosen


# --------------------------------------------------------------------------- Service Connect


def test_the_environment_creates_and_exports_the_namespace(environment: Recording) -> None:
    namespace = environment.one("aws:servicediscovery/httpNamespace:HttpNamespace")
    assert namespace.inputs["name"] == "test.kinds.ecsp.local"
    cluster = environment.one("aws:ecs/cluster:Cluster")
    arn = environment.outputs["serviceConnectNamespaceArn"]
    assert arn.startswith(f"arn:aws:servicediscovery:{REGION}:{ACCOUNT}:namespace/ns-")
    assert cluster.inputs["serviceConnectDefaults"] == {"namespace": arn}
    assert environment.outputs["serviceConnectNamespace"] == "test.kinds.ecsp.local"


def test_servers_name_their_port_and_alias_it_as_app_and_port(stacks: dict[str, Recording],
                                                              environment: Recording) -> None:
    namespace = environment.outputs["serviceConnectNamespaceArn"]
    for app, port in (("api", 8080), ("web", 80)):
        rec = stacks[app]
        mapping = container(rec)["portMappings"]
        assert mapping == [{"containerPort": port, "protocol": "tcp", "name": app, "appProtocol": "http"}]
        connect = rec.one("aws:ecs/service:Service").inputs["serviceConnectConfiguration"]
        # Terraform: services[].port_name is required and must name a port mapping; client_alias.port required.
        assert connect == {"enabled": True, "namespace": namespace, "services": [{
            "portName": app, "discoveryName": app, "clientAlias": [{"port": port, "dnsName": app}]}]}
        assert rec.outputs["connectUrl"] == f"http://{app}:{port}"


def test_a_worker_with_connect_is_a_client_only(kinds: ProjectConfig) -> None:
    text = KINDS.read_text().replace("    subscribe:\n", "    connect: true\n    subscribe:\n")
    rec = harness.run_stack(loader.loads(text), "kinds-orders/test")
    connect = rec.one("aws:ecs/service:Service").inputs["serviceConnectConfiguration"]
    assert connect["enabled"] is True and "services" not in connect
    assert "portMappings" not in container(rec)


def test_a_discovery_name_replaces_the_application_name() -> None:
    text = KINDS.read_text().replace("    port: 8080\n    connect: true", "    port: 8080\n    connect: orders-api")
    rec = harness.run_stack(loader.loads(text), "kinds-api/test")
    service = rec.one("aws:ecs/service:Service").inputs["serviceConnectConfiguration"]["services"][0]
    assert service["discoveryName"] == "orders-api" and service["clientAlias"][0]["dnsName"] == "orders-api"
    assert rec.outputs["connectUrl"] == "http://orders-api:8080"


# --------------------------------------------------------------------------- backend


def test_a_backend_has_no_load_balancer(stacks: dict[str, Recording]) -> None:
    rec = stacks["api"]
    assert not rec.of_type("aws:lb/targetGroup:TargetGroup") and not rec.of_type("aws:lb/listenerRule:ListenerRule")
    service = rec.one("aws:ecs/service:Service").inputs
    # ECS refuses a health check grace period on a service without a load balancer.
    assert "loadBalancers" not in service and "healthCheckGracePeriodSeconds" not in service
    assert service["networkConfiguration"]["assignPublicIp"] is True  # public placement, no NAT needed
    assert "ECSP_URL" not in env_vars(rec)
    assert set(rec.outputs) == {"serviceName", "serviceArn", "taskDefinitionArn", "logGroupName", "connectUrl"}


# --------------------------------------------------------------------------- topics and the worker


def test_a_publisher_gets_its_topics_their_arns_and_only_their_publish_permission(
        stacks: dict[str, Recording]) -> None:
    rec = stacks["web"]
    topic = rec.one("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "ecsp_kinds-test-web-created"
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"  # encrypted at rest, as Copilot's
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:ecsp_kinds-test-web-created"
    assert json.loads(env_vars(rec)["ECSP_SNS_TOPIC_ARNS"]) == {"created": arn}
    assert rec.outputs["topicArns"] == {"created": arn}
    grant = rec.one("aws:iam/rolePolicy:RolePolicy", "web-publish")
    assert policy(grant.inputs)["Statement"] == [{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [arn]}]
    assert grant.inputs["role"].startswith("kinds-test-web-task-")  # the task role's id (its auto-name)
    # The web application keeps what it had: URL, target group, listener rule.
    assert env_vars(rec)["ECSP_URL"].startswith("http://")
    assert rec.of_type("aws:lb/listenerRule:ListenerRule")


def test_the_worker_queue_is_encrypted_with_a_dead_letter_queue(stacks: dict[str, Recording]) -> None:
    rec = stacks["orders"]
    queue = rec.one("aws:sqs/queue:Queue", "orders").inputs
    dead = rec.one("aws:sqs/queue:Queue", "orders-dead-letter").inputs
    assert queue["name"] == "kinds-test-orders" and dead["name"] == "kinds-test-orders-dlq"
    assert queue["sqsManagedSseEnabled"] is True and dead["sqsManagedSseEnabled"] is True
    # Terraform: message_retention_seconds 60..1209600, visibility_timeout_seconds 0..43200.
    assert queue["messageRetentionSeconds"] == 4 * 86400 and queue["visibilityTimeoutSeconds"] == 60
    assert dead["messageRetentionSeconds"] == 1209600
    assert json.loads(queue["redrivePolicy"]) == {
        "deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:kinds-test-orders-dlq", "maxReceiveCount": 5}
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/kinds-test-orders"
    assert env_vars(rec)["ECSP_QUEUE_URL"] == url and rec.outputs["queueUrl"] == url


def test_the_worker_subscribes_to_the_topic_the_publisher_really_creates(stacks: dict[str, Recording]) -> None:
    published = stacks["web"].outputs["topicArns"]["created"]
    rec = stacks["orders"]
    subscription = rec.one("aws:sns/topicSubscription:TopicSubscription").inputs
    # Terraform: topic, protocol (an enum: sqs here) and endpoint are required.
    assert subscription["topic"] == published and subscription["protocol"] == "sqs"
    assert subscription["endpoint"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:kinds-test-orders"
    assert "filterPolicy" not in subscription
    queue_policy = policy(rec.one("aws:sqs/queuePolicy:QueuePolicy").inputs)
    assert queue_policy["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:kinds-test-orders",
        "Condition": {"ArnEquals": {"aws:SourceArn": [published]}}}]
    subscription_node = rec.one("aws:sns/topicSubscription:TopicSubscription")
    assert rec.one("aws:sqs/queuePolicy:QueuePolicy").urn in subscription_node.depends_on


def test_a_filter_policy_reaches_the_subscription() -> None:
    text = KINDS.read_text().replace("{app: web, topic: created}", "{app: web, topic: created, filter: {store: [a]}}")
    rec = harness.run_stack(loader.loads(text), "kinds-orders/test")
    subscription = rec.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert json.loads(subscription["filterPolicy"]) == {"store": ["a"]}


def test_the_worker_may_consume_only_its_own_queue(stacks: dict[str, Recording]) -> None:
    rec = stacks["orders"]
    grants = rec.of_type("aws:iam/rolePolicy:RolePolicy")
    assert [g.name for g in grants] == ["orders-consume"]
    statements = policy(grants[0].inputs)["Statement"]
    assert statements == [{"Effect": "Allow", "Action": [
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
        "sqs:ReceiveMessage"], "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:kinds-test-orders"}]
    # The task definition waits for the grant (a first task must be able to read its queue).
    task = rec.one("aws:ecs/taskDefinition:TaskDefinition")
    assert rec.one("aws:iam/rolePolicy:RolePolicy", "orders-consume").urn in task.depends_on


def test_the_worker_scales_on_backlog_per_task(stacks: dict[str, Recording]) -> None:
    rec = stacks["orders"]
    policies = rec.of_type("aws:appautoscaling/policy:Policy")
    assert [p.name for p in policies] == ["orders-backlog"]  # no CPU policy beside it
    config = policies[0].inputs["targetTrackingScalingPolicyConfiguration"]
    assert config["targetValue"] == 2400  # 600s / 250ms, Copilot's acceptable backlog per task
    metrics = config["customizedMetricSpecification"]["metrics"]
    assert [m["id"] for m in metrics] == ["visible", "tasks", "backlog"]
    # Target tracking with metric math: exactly one expression returns data.
    assert [m["id"] for m in metrics if m["returnData"]] == ["backlog"]
    assert metrics[2]["expression"] == "visible / tasks"
    visible = metrics[0]["metricStat"]["metric"]
    assert (visible["namespace"], visible["metricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert visible["dimensions"] == [{"name": "QueueName", "value": "kinds-test-orders"}]
    tasks = metrics[1]["metricStat"]["metric"]
    assert (tasks["namespace"], tasks["metricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert {d["name"] for d in tasks["dimensions"]} == {"ClusterName", "ServiceName"}
    service = rec.one("aws:ecs/service:Service")
    assert "desiredCount" in service.ignore_changes


# --------------------------------------------------------------------------- job


def test_a_job_has_no_service_and_a_state_machine_that_waits_for_its_task(stacks: dict[str, Recording],
                                                                           environment: Recording) -> None:
    rec = stacks["nightly"]
    assert not rec.of_type("aws:ecs/service:Service")
    machine = rec.one("aws:sfn/stateMachine:StateMachine").inputs
    assert machine["name"] == "ecsp_kinds-test-nightly" and machine["type"] == "STANDARD"
    doc = json.loads(machine["definition"])
    assert doc["TimeoutSeconds"] == 3600
    state = doc["States"][doc["StartAt"]]
    assert state["Resource"] == "arn:aws:states:::ecs:runTask.sync"
    assert state["Retry"] == [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 2,
                               "BackoffRate": 1.5}]
    params = state["Parameters"]
    assert params["Cluster"] == environment.outputs["clusterArn"]
    assert params["TaskDefinition"] == rec.outputs["taskDefinitionArn"]
    vpc = params["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert vpc["Subnets"] == environment.outputs["publicSubnetIds"] and vpc["AssignPublicIp"] == "ENABLED"
    assert vpc["SecurityGroups"] == [environment.outputs["environmentSecurityGroupId"]]


def test_the_state_machine_may_run_only_this_task_in_this_cluster(stacks: dict[str, Recording],
                                                                  environment: Recording) -> None:
    rec = stacks["nightly"]
    statements = policy(rec.one("aws:iam/rolePolicy:RolePolicy", "nightly-run-task").inputs)["Statement"]
    by_action = {json.dumps(s["Action"]): s for s in statements}
    run = by_action['"ecs:RunTask"']
    assert run["Resource"] == rec.outputs["taskDefinitionArn"]
    assert run["Condition"] == {"ArnEquals": {"ecs:cluster": environment.outputs["clusterArn"]}}
    passed = by_action['"iam:PassRole"']["Resource"]
    assert len(passed) == 2
    for arn, role in zip(passed, ("exec", "task"), strict=True):
        assert re.fullmatch(rf"arn:aws:iam::{ACCOUNT}:role/kinds-test-nightly-{role}-[0-9a-f]{{7}}", arn), arn
    watch = by_action[json.dumps(["events:DescribeRule", "events:PutRule", "events:PutTargets"])]
    assert watch["Resource"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/StepFunctionsGetEventsForECSTaskRule"
    role = rec.one("aws:iam/role:Role", "kinds-test-nightly-sfn")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "states.amazonaws.com"}


def test_the_schedule_starts_the_state_machine(stacks: dict[str, Recording]) -> None:
    rec = stacks["nightly"]
    schedule = rec.one("aws:scheduler/schedule:Schedule").inputs
    # Terraform: flexible_time_window.mode (OFF | FLEXIBLE), schedule_expression, target.arn and
    # target.role_arn are required.
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    assert schedule["scheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["scheduleExpressionTimezone"] == "UTC" and schedule["state"] == "ENABLED"
    machine_arn = rec.outputs["stateMachineArn"]
    assert schedule["target"]["arn"] == machine_arn
    assert re.fullmatch(rf"arn:aws:iam::{ACCOUNT}:role/kinds-test-nightly-schedule-[0-9a-f]{{7}}",
                        schedule["target"]["roleArn"])
    start = policy(rec.one("aws:iam/rolePolicy:RolePolicy", "nightly-start").inputs)["Statement"]
    assert start == [{"Effect": "Allow", "Action": "states:StartExecution", "Resource": machine_arn}]
    trust = json.loads(rec.one("aws:iam/role:Role", "kinds-test-nightly-schedule").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert rec.outputs["scheduleName"] == "kinds-test-nightly"


def test_an_on_demand_job_has_a_state_machine_and_no_schedule() -> None:
    text = KINDS.read_text().replace('schedule: "cron(0 3 * * ? *)"', "schedule: none")
    rec = harness.run_stack(loader.loads(text), "kinds-nightly/test")
    assert rec.of_type("aws:sfn/stateMachine:StateMachine")
    assert not rec.of_type("aws:scheduler/schedule:Schedule")
    assert "scheduleName" not in rec.outputs  # exported only when there is a schedule


def test_a_definition_without_retries_or_timeout_has_neither(kinds: ProjectConfig) -> None:
    text = KINDS.read_text().replace("    timeout: 3600\n    retries: 2\n", "")
    settings = loader.loads(text).application("test", "nightly")
    doc = definition(settings=settings, container="nightly", cluster_arn="c", task_definition_arn="t",
                     subnet_ids=["s"], security_group_id="g", partition="aws")
    assert "TimeoutSeconds" not in doc and "Retry" not in doc["States"][doc["StartAt"]]


# --------------------------------------------------------------------------- web stays as it was


def test_an_existing_config_has_no_namespace_and_no_new_outputs() -> None:
    cfg = harness.config("""
        project: {name: shop, region: us-west-2}
        environments: {test: {region: us-west-2}}
        applications:
          web: {image: {location: nginx}, port: 80}
    """)
    env = harness.run_stack(cfg, "shop-environment/test")
    assert not env.of_type("aws:servicediscovery/httpNamespace:HttpNamespace")
    assert "serviceConnectNamespaceArn" not in env.outputs
    assert "serviceConnectDefaults" not in env.one("aws:ecs/cluster:Cluster").inputs
    web = harness.run_stack(cfg, "shop-web/test")
    assert set(web.outputs) == {"serviceName", "serviceArn", "taskDefinitionArn", "targetGroupArn",
                                "logGroupName", "url"}
