"""The application stack program under Pulumi mocks: what it creates for each kind of setting.

Most tests pin the upstream stacks' outputs to hand-made values in the documented
contract shape (environment: vpcId, subnets, cluster, load balancer, listeners, ...;
project: regions.<region>.repositories.<app>), so the graph and the golden files change
only when this program does. One test runs the real project and environment programs
first (tests.harness.run_stack) to check the contract between the stacks.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from ecsp import graph as graphs
from ecsp import mocks, priorities
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator, StackContext
from ecsp.mocks import Recording
from stacks import PROGRAMS
from stacks._iam import boundary_arn
from stacks.application import repository_url
from stacks.application_iam import SecretRef, secret_refs, secrets_policy
from stacks.application_image import build_context, build_tag
from stacks.application_routing import path_patterns
from stacks.application_service import load_balancer_arn_suffix
from tests import harness

BASIC = """
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
  prod: {region: eu-west-1, account: "222222222222", network: {nat: single}}
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    count: 2
    variables: {LOG_LEVEL: info}
    secrets:
      DB_PASSWORD: /shop/db-password
      API_TOKEN: arn:aws:secretsmanager:us-west-2:111111111111:secret:shop/api-token-AbCdEf
    environments:
      prod:
        count: 3
        cpu: 512
        memory: 2048
        placement: private
        log_retention: 90
        variables: {LOG_LEVEL: warning}
        secrets: {EXTRA: /shop/prod/extra}
        healthcheck: {path: /healthz}
  api:
    image: {location: public.ecr.aws/docker/library/httpd:2.4}
    port: 8080
    path: /api
"""

FULL = """
project: {name: shop, region: us-west-2, account: "111111111111", domain: example.com}
environments:
  test: {region: us-west-2, account: "333333333333", network: {nat: single}}
applications:
  api:
    image: {build: ./api, dockerfile: Dockerfile.prod, args: {VERSION: "1"}}
    port: 8080
    path: /api
    placement: private
    platform: linux/arm64
    exec: true
    deregistration_delay: 30
    healthcheck:
      path: /api/health
      interval: 15
      timeout: 5
      healthy_threshold: 3
      unhealthy_threshold: 4
      success_codes: "200-299"
      grace_period: 90
    count: {min: 2, max: 8, cpu_percentage: 60, memory_percentage: 75, requests: 500, cooldown_in: 300,
            cooldown_out: 30}
  web:
    image: {location: nginx}
    port: 80
"""

EXPORTS = {"serviceName", "serviceArn", "taskDefinitionArn", "targetGroupArn", "logGroupName", "url"}
ECSP_TAGS = {"ecsp:project", "ecsp:environment", "ecsp:application"}


def environment_outputs(cfg: ProjectConfig, env: str) -> dict[str, Any]:
    """An environment stack's outputs in the contract shape, derived from the environment's settings."""
    region = cfg.environments[env].region
    account = cfg.account_of(env) or mocks.DEFAULT_ACCOUNT
    elb = f"arn:aws:elasticloadbalancing:{region}:{account}"
    domain = cfg.project.domain
    return {
        "vpcId": f"vpc-{env}", "publicSubnetIds": [f"subnet-{env}-pub0", f"subnet-{env}-pub1"],
        "privateSubnetIds": [f"subnet-{env}-priv0", f"subnet-{env}-priv1"],
        "clusterName": f"shop-{env}", "clusterArn": f"arn:aws:ecs:{region}:{account}:cluster/shop-{env}",
        "loadBalancerArn": f"{elb}:loadbalancer/app/shop-{env}-lb/50dc6c495c0c9188",
        "loadBalancerDnsName": f"shop-{env}-lb-123456789.{region}.elb.amazonaws.com",
        "loadBalancerZoneId": "Z1H1FL5HABSF5",
        "httpListenerArn": f"{elb}:listener/app/shop-{env}-lb/50dc6c495c0c9188/0000000000000080",
        "httpsListenerArn": f"{elb}:listener/app/shop-{env}-lb/50dc6c495c0c9188/0000000000000443"
        if domain or cfg.environments[env].certificates else None,
        "loadBalancerSecurityGroupId": f"sg-{env}-lb", "environmentSecurityGroupId": f"sg-{env}-env",
        "hostedZoneId": f"Z{env.upper()}ZONE" if domain else None,
        "subdomain": f"{env}.shop.{domain}" if domain else None,
        "region": region,
        "permissionsBoundaryArn": boundary_arn("aws", account, "shop", env),
    }


def project_outputs(cfg: ProjectConfig) -> dict[str, Any]:
    account = cfg.project.account or mocks.DEFAULT_ACCOUNT
    return {"regions": {region: {
        "repositories": {app: f"{account}.dkr.ecr.{region}.amazonaws.com/ecsp/shop/{app}" for app in cfg.applications},
        "kmsKeyArn": f"arn:aws:kms:{region}:{account}:key/1234", "bucketName": f"shop-artifacts-{region}",
    } for region in cfg.regions()}}


def run(
    cfg: ProjectConfig,
    env: str,
    app: str,
    *,
    image_tag: str | None = None,
    local: LocalEmulator | None = None,
) -> tuple[Recording, mocks.AwsMocks]:
    """Run one application stack with pinned upstream outputs; also return the mocks (for invokes)."""
    spec = graphs.build(cfg)[f"shop-{app}/{env}"]
    ctx = StackContext(config=cfg, stack=spec, local=local, image_tag=image_tag)
    aws = mocks.AwsMocks(
        account=cfg.account_of(env) or mocks.DEFAULT_ACCOUNT, region=cfg.environments[env].region,
        stack_outputs={ctx.upstream_name("environment", env): environment_outputs(cfg, env),
                       ctx.upstream_name("project"): project_outputs(cfg)})
    return mocks.run(PROGRAMS.program_for(ctx), aws, project=spec.pulumi_project, stack=spec.stack), aws


@pytest.fixture(scope="module")
def basic() -> ProjectConfig:
    return harness.config(BASIC)


@pytest.fixture(scope="module")
def full() -> ProjectConfig:
    return harness.config(FULL)


@pytest.fixture(scope="module")
def web_test(basic: ProjectConfig) -> Recording:
    return run(basic, "test", "web")[0]


@pytest.fixture(scope="module")
def web_prod(basic: ProjectConfig) -> Recording:
    return run(basic, "prod", "web")[0]


@pytest.fixture(scope="module")
def api_full(full: ProjectConfig) -> tuple[Recording, mocks.AwsMocks]:
    return run(full, "test", "api")


def container(rec: Recording) -> dict[str, Any]:
    (definition,) = json.loads(rec.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])
    return dict(definition)


def env_vars(rec: Recording) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(rec)["environment"]}


def policy_of(rec: Recording, name: str) -> dict[str, Any]:
    return dict(json.loads(rec.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"]))


# --------------------------------------------------------------------------- outputs and structure


def test_exports_exactly_the_contract_without_a_domain(web_test: Recording, basic: ProjectConfig) -> None:
    out = web_test.outputs
    assert set(out) == EXPORTS
    dns = environment_outputs(basic, "test")["loadBalancerDnsName"]
    assert out["url"] == f"http://{dns}/"
    assert out["logGroupName"] == "/ecsp/shop-test-web"
    assert out["serviceName"] == web_test.one("aws:ecs/service:Service").inputs.get("name", out["serviceName"])
    assert out["serviceArn"].startswith("arn:aws:ecs:us-west-2:111111111111:service/")
    assert out["taskDefinitionArn"].startswith("arn:aws:ecs:us-west-2:111111111111:task-definition/ecsp_shop-test-web:")
    assert out["targetGroupArn"].startswith("arn:aws:elasticloadbalancing:us-west-2:111111111111:targetgroup/")


def test_exports_an_https_url_with_a_domain(api_full: tuple[Recording, mocks.AwsMocks]) -> None:
    rec, _ = api_full
    assert set(rec.outputs) == EXPORTS
    assert rec.outputs["url"] == "https://api.test.shop.example.com/api"


def test_every_resource_is_tagged_and_parented_to_a_component(api_full: tuple[Recording, mocks.AwsMocks]) -> None:
    rec, _ = api_full
    provider = rec.one("pulumi:providers:aws", "aws")
    assert set(json.loads(provider.inputs["defaultTags"])["tags"].items()) == {
        ("ecsp:project", "shop"), ("ecsp:environment", "test"), ("ecsp:application", "api")}
    components = {n.urn: n for n in rec.nodes if n.type.startswith("ecsp:application:")}
    assert {n.type for n in components.values()} == {
        "ecsp:application:BuiltImage", "ecsp:application:TaskRoles", "ecsp:application:TaskDefinition",
        "ecsp:application:Routing", "ecsp:application:Service", "ecsp:application:Autoscaling"}
    for n in rec.nodes:
        if n.custom and not n.read and not n.type.startswith("pulumi:providers:"):
            assert n.parent in components, f"{n.type} {n.name} is not inside a component"
        if n.type.startswith("aws:"):  # the default tags come with the application's provider
            assert n.provider.startswith(provider.urn), f"{n.type} {n.name}"


# --------------------------------------------------------------------------- logs and task definition


def test_log_group_name_and_retention(web_test: Recording, web_prod: Recording) -> None:
    assert web_test.one("aws:cloudwatch/logGroup:LogGroup").inputs == {
        "name": "/ecsp/shop-test-web", "retentionInDays": 30}
    assert web_prod.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 90


def test_task_definition(web_test: Recording) -> None:
    task = web_test.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert task["family"] == "ecsp_shop-test-web"
    assert task["networkMode"] == "awsvpc" and task["requiresCompatibilities"] == ["FARGATE"]
    assert (task["cpu"], task["memory"]) == ("256", "512")
    assert task["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}
    assert task["executionRoleArn"].startswith("arn:aws:iam::111111111111:role/shop-test-web-exec-")
    assert task["taskRoleArn"].startswith("arn:aws:iam::111111111111:role/shop-test-web-task-")
    c = container(web_test)
    assert c["name"] == "web" and c["essential"] is True
    assert c["image"] == "public.ecr.aws/nginx/nginx:stable"
    assert c["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}]
    assert c["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecsp/shop-test-web", "awslogs-region": "us-west-2", "awslogs-stream-prefix": "ecsp"}}
    assert "linuxParameters" not in c  # no ECS Exec


def test_environment_variables_include_ecsp_context_and_url(web_test: Recording) -> None:
    assert env_vars(web_test) == {
        "LOG_LEVEL": "info", "ECSP_PROJECT": "shop", "ECSP_ENVIRONMENT": "test", "ECSP_APPLICATION": "web",
        "ECSP_URL": web_test.outputs["url"]}


def test_arm64_and_exec(api_full: tuple[Recording, mocks.AwsMocks]) -> None:
    rec, _ = api_full
    task = rec.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert task["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    assert container(rec)["linuxParameters"] == {"initProcessEnabled": True}
    assert rec.one("aws:ecs/service:Service").inputs["enableExecuteCommand"] is True
    exec_policy = policy_of(rec, "api-exec")
    assert exec_policy["Statement"][0]["Action"] == [
        "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
    # The cluster logs sessions the DEFAULT way (to the container's awslogs group, with the task
    # role's credentials): without these the agent cannot write them, as Copilot's ExecuteCommand allows.
    group = "arn:aws:logs:us-west-2:333333333333:log-group:/ecsp/shop-test-api"
    assert exec_policy["Statement"][1:] == [
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
         "Resource": [group, f"{group}:*"]},
        {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": "*"}]
    assert rec.outputs["logGroupName"] == group.split(":log-group:")[1]
    assert rec.one("aws:iam/rolePolicy:RolePolicy", "api-exec").inputs["role"].startswith("shop-test-api-task-")


# --------------------------------------------------------------------------- secrets and IAM


def test_secrets_from_ssm_and_secrets_manager(web_test: Recording) -> None:
    assert container(web_test)["secrets"] == [
        {"name": "API_TOKEN",
         "valueFrom": "arn:aws:secretsmanager:us-west-2:111111111111:secret:shop/api-token-AbCdEf"},
        {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-west-2:111111111111:parameter/shop/db-password"},
    ]
    assert "secrets" not in json.dumps(container(web_test)["environment"])  # never as plain variables
    statements = policy_of(web_test, "web-secrets")["Statement"]
    grants = {s["Action"][0]: s for s in statements if s["Action"] != ["kms:Decrypt"]}
    assert grants["ssm:GetParameters"]["Resource"] == [
        "arn:aws:ssm:us-west-2:111111111111:parameter/shop/db-password"]
    # "shop/api-token-AbCdEf" may be a full ARN or a partial one of a secret named so: both are granted.
    token = "arn:aws:secretsmanager:us-west-2:111111111111:secret:shop/api-token-AbCdEf"
    assert grants["secretsmanager:GetSecretValue"]["Resource"] == [token, f"{token}-??????"]
    decrypts = [s for s in statements if s["Action"] == ["kms:Decrypt"]]
    assert sorted(json.dumps(s["Condition"], sort_keys=True) for s in decrypts) == sorted([
        json.dumps({"StringEquals": {"kms:ViaService": ["secretsmanager.us-west-2.amazonaws.com"]},
                    "StringLike": {"kms:EncryptionContext:SecretARN": [token, f"{token}-??????"]}},
                   sort_keys=True),
        json.dumps({"StringEquals": {"kms:ViaService": ["ssm.us-west-2.amazonaws.com"]},
                    "StringLike": {"kms:EncryptionContext:PARAMETER_ARN": [
                        "arn:aws:ssm:us-west-2:111111111111:parameter/shop/db-password"]}}, sort_keys=True),
    ])
    assert {s["Effect"] for s in statements} == {"Allow"}


def test_execution_role_has_the_managed_policy_and_the_task_role_has_nothing(web_test: Recording) -> None:
    (attachment,) = web_test.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    assert attachment.inputs["role"].startswith("shop-test-web-exec")
    for role in web_test.of_type("aws:iam/role:Role"):
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust["Statement"] == [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                       "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]
    # The only inline policy is the secrets policy, on the execution role; the task role has none.
    (inline,) = web_test.of_type("aws:iam/rolePolicy:RolePolicy")
    assert inline.name == "web-secrets" and inline.inputs["role"].startswith("shop-test-web-exec")


def test_task_definition_waits_for_the_role_policies(
    web_test: Recording, api_full: tuple[Recording, mocks.AwsMocks]
) -> None:
    # A task started before its execution role may read its secrets fails; exec needs the task role's policy.
    for rec, grants in ((web_test, {"web-execution", "web-secrets"}), (api_full[0], {"api-execution", "api-exec"})):
        task = rec.one("aws:ecs/taskDefinition:TaskDefinition")
        urns = {n.urn for n in rec.nodes if n.name in grants}
        assert len(urns) == len(grants) and urns <= set(task.depends_on)


def test_no_secrets_no_secrets_policy(basic: ProjectConfig) -> None:
    rec, _ = run(basic, "test", "api")
    assert rec.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert "secrets" not in container(rec)


def test_secret_refs_resolve_names_and_keep_arns() -> None:
    refs = secret_refs({
        "A": "/app/a",
        "B": "arn:aws:ssm:eu-west-1:999999999999:parameter/app/b",
        "C": "arn:aws:secretsmanager:us-east-1:999999999999:secret:app/c-Zx9Yw8:password::",
        "D": "arn:aws:secretsmanager:us-west-2:999999999999:secret:app/d",
        "E": "arn:aws:secretsmanager:us-west-2:999999999999:secret:app/db-secret",
    }, region="us-west-2", account="123456789012", partition="aws")
    sm = "arn:aws:secretsmanager"
    assert refs == [
        SecretRef("A", "ssm", "arn:aws:ssm:us-west-2:123456789012:parameter/app/a",
                  ("arn:aws:ssm:us-west-2:123456789012:parameter/app/a",), "us-west-2"),
        SecretRef("B", "ssm", "arn:aws:ssm:eu-west-1:999999999999:parameter/app/b",
                  ("arn:aws:ssm:eu-west-1:999999999999:parameter/app/b",), "eu-west-1"),
        # ECS's json-key suffix stays in valueFrom, but IAM names the secret itself. It ends like a
        # random suffix, yet could be the partial ARN of a secret named "app/c-Zx9Yw8": both match.
        SecretRef("C", "secretsmanager", f"{sm}:us-east-1:999999999999:secret:app/c-Zx9Yw8:password::",
                  (f"{sm}:us-east-1:999999999999:secret:app/c-Zx9Yw8",
                   f"{sm}:us-east-1:999999999999:secret:app/c-Zx9Yw8-??????"), "us-east-1"),
        # A partial ARN (no random suffix) matches the secret's full ARN only with the wildcard.
        SecretRef("D", "secretsmanager", f"{sm}:us-west-2:999999999999:secret:app/d",
                  (f"{sm}:us-west-2:999999999999:secret:app/d-??????",), "us-west-2"),
        # A partial ARN whose name ends like a random suffix: IAM sees the full ARN
        # (".../app/db-secret-AbC123"), so granting the ARN as written alone would deny it at task start.
        SecretRef("E", "secretsmanager", f"{sm}:us-west-2:999999999999:secret:app/db-secret",
                  (f"{sm}:us-west-2:999999999999:secret:app/db-secret",
                   f"{sm}:us-west-2:999999999999:secret:app/db-secret-??????"), "us-west-2"),
    ]
    full_arn_of_e = f"{sm}:us-west-2:999999999999:secret:app/db-secret-AbC123"
    assert any(fnmatch.fnmatchcase(full_arn_of_e, r) for r in refs[4].resources)
    policy = secrets_policy(refs)
    assert policy is not None
    kms = [s for s in policy["Statement"] if s["Action"] == ["kms:Decrypt"]]
    assert [s["Condition"]["StringEquals"]["kms:ViaService"] for s in kms] == [
        ["ssm.eu-west-1.amazonaws.com", "ssm.us-west-2.amazonaws.com"],
        ["secretsmanager.us-east-1.amazonaws.com", "secretsmanager.us-west-2.amazonaws.com"]]
    assert secrets_policy([]) is None


# --------------------------------------------------------------------------- routing


def test_target_group_from_config(api_full: tuple[Recording, mocks.AwsMocks], web_test: Recording) -> None:
    rec, _ = api_full
    tg = rec.one("aws:lb/targetGroup:TargetGroup", "shop-test-api").inputs
    assert (tg["targetType"], tg["protocol"], tg["port"], tg["vpcId"]) == ("ip", "HTTP", 8080, "vpc-test")
    assert tg["deregistrationDelay"] == 30
    assert tg["healthCheck"] == {"enabled": True, "protocol": "HTTP", "port": "traffic-port", "path": "/api/health",
                                 "interval": 15, "timeout": 5, "healthyThreshold": 3, "unhealthyThreshold": 4,
                                 "matcher": "200-299"}
    defaults = web_test.one("aws:lb/targetGroup:TargetGroup").inputs
    assert defaults["deregistrationDelay"] == 60
    assert defaults["healthCheck"]["path"] == "/" and defaults["healthCheck"]["matcher"] == "200"


def test_root_path_rule_without_a_domain(web_test: Recording, basic: ProjectConfig) -> None:
    (rule,) = web_test.of_type("aws:lb/listenerRule:ListenerRule")
    tg = web_test.one("aws:lb/targetGroup:TargetGroup")
    assert rule.inputs["listenerArn"] == environment_outputs(basic, "test")["httpListenerArn"]
    assert rule.inputs["priority"] == priorities.ROOT_PRIORITY
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": web_test.outputs["targetGroupArn"]}]
    assert rule.parent == tg.parent
    assert web_test.of_type("aws:route53/record:Record") == []


def test_path_rule_priority_comes_from_the_environment_paths(basic: ProjectConfig) -> None:
    rec, _ = run(basic, "test", "api")
    (rule,) = rec.of_type("aws:lb/listenerRule:ListenerRule")
    assert rule.inputs["priority"] == priorities.priorities(["/", "/api"])["/api"] == priorities.home("/api")
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/api", "/api/*"]}}]
    assert rec.outputs["url"].endswith(".elb.amazonaws.com/api")


def test_domain_rules_redirect_and_alias(api_full: tuple[Recording, mocks.AwsMocks], full: ProjectConfig) -> None:
    rec, _ = api_full
    upstream = environment_outputs(full, "test")
    rules = {n.name: n.inputs for n in rec.of_type("aws:lb/listenerRule:ListenerRule")}
    assert set(rules) == {"api-https", "api-http"}
    conditions = [{"pathPattern": {"values": ["/api", "/api/*"]}},
                  {"hostHeader": {"values": ["api.test.shop.example.com"]}}]
    https, redirect = rules["api-https"], rules["api-http"]
    assert https["listenerArn"] == upstream["httpsListenerArn"]
    assert https["conditions"] == conditions
    assert https["actions"] == [{"type": "forward", "targetGroupArn": rec.outputs["targetGroupArn"]}]
    assert redirect["listenerArn"] == upstream["httpListenerArn"]
    assert redirect["conditions"] == conditions
    assert redirect["actions"] == [{"type": "redirect", "redirect": {
        "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
    assert https["priority"] == redirect["priority"] == priorities.priority("/api", ["/", "/api"])
    record = rec.one("aws:route53/record:Record").inputs
    assert record == {"zoneId": upstream["hostedZoneId"], "name": "api.test.shop.example.com", "type": "A",
                      "aliases": [{"name": upstream["loadBalancerDnsName"], "zoneId": upstream["loadBalancerZoneId"],
                                   "evaluateTargetHealth": True}]}
    assert env_vars(rec)["ECSP_URL"] == "https://api.test.shop.example.com/api"


def test_the_http_listener_rule_keeps_its_name_when_a_domain_is_added(
    api_full: tuple[Recording, mocks.AwsMocks], basic: ProjectConfig, full: ProjectConfig
) -> None:
    # Same URN, so adding the domain updates the rule in place. A new name would make Pulumi create
    # the redirect rule while the old forwarding rule still holds its priority: ALB refuses that.
    plain, _ = run(basic, "test", "api")
    with_domain, _ = api_full
    http = {environment_outputs(basic, "test")["httpListenerArn"], environment_outputs(full, "test")["httpListenerArn"]}
    before = [n.urn for n in plain.of_type("aws:lb/listenerRule:ListenerRule") if n.inputs["listenerArn"] in http]
    after = [n.urn for n in with_domain.of_type("aws:lb/listenerRule:ListenerRule")
             if n.inputs["listenerArn"] in http]
    assert len(before) == len(after) == 1 and before == after


def test_path_patterns() -> None:
    assert path_patterns("/") == ["/*"]
    assert path_patterns("/api/v2") == ["/api/v2", "/api/v2/*"]


# --------------------------------------------------------------------------- service and scaling


def test_public_service_with_a_fixed_count(web_test: Recording, basic: ProjectConfig) -> None:
    upstream = environment_outputs(basic, "test")
    node = web_test.one("aws:ecs/service:Service")
    svc = node.inputs
    assert svc["cluster"] == upstream["clusterArn"]
    assert svc["launchType"] == "FARGATE" and svc["desiredCount"] == 2
    assert (svc["deploymentMinimumHealthyPercent"], svc["deploymentMaximumPercent"]) == (100, 200)
    assert svc["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert svc["healthCheckGracePeriodSeconds"] == 60
    assert svc["networkConfiguration"] == {"subnets": upstream["publicSubnetIds"], "assignPublicIp": True,
                                           "securityGroups": [upstream["environmentSecurityGroupId"]]}
    assert svc["loadBalancers"] == [{"targetGroupArn": web_test.outputs["targetGroupArn"], "containerName": "web",
                                     "containerPort": 80}]
    assert svc["taskDefinition"] == web_test.outputs["taskDefinitionArn"]
    assert svc["waitForSteadyState"] is True and svc["enableExecuteCommand"] is False
    rules = {r.urn for r in web_test.of_type("aws:lb/listenerRule:ListenerRule")}
    assert rules and rules <= set(node.depends_on)
    assert node.ignore_changes == ()
    assert web_test.of_type("aws:appautoscaling/target:Target") == []
    assert web_test.of_type("aws:appautoscaling/policy:Policy") == []


def test_private_service_with_autoscaling(api_full: tuple[Recording, mocks.AwsMocks], full: ProjectConfig) -> None:
    rec, _ = api_full
    upstream = environment_outputs(full, "test")
    node = rec.one("aws:ecs/service:Service")
    assert node.inputs["networkConfiguration"]["subnets"] == upstream["privateSubnetIds"]
    assert node.inputs["networkConfiguration"]["assignPublicIp"] is False
    assert node.inputs["desiredCount"] == 2 and node.inputs["healthCheckGracePeriodSeconds"] == 90
    assert node.ignore_changes == ("desiredCount",)  # the scaler owns the count after creation
    assert {r.urn for r in rec.of_type("aws:lb/listenerRule:ListenerRule")} <= set(node.depends_on)
    target = rec.one("aws:appautoscaling/target:Target").inputs
    assert target == {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
                      "resourceId": f"service/shop-test/{rec.outputs['serviceName']}",
                      "minCapacity": 2, "maxCapacity": 8}
    policies = {n.name: n.inputs for n in rec.of_type("aws:appautoscaling/policy:Policy")}
    assert set(policies) == {"api-cpu", "api-memory", "api-requests"}
    tg_suffix = rec.outputs["targetGroupArn"].split(":", 5)[5]
    expected = {
        "api-cpu": (60, {"predefinedMetricType": "ECSServiceAverageCPUUtilization"}),
        "api-memory": (75, {"predefinedMetricType": "ECSServiceAverageMemoryUtilization"}),
        "api-requests": (500, {"predefinedMetricType": "ALBRequestCountPerTarget",
                               "resourceLabel": f"app/shop-test-lb/50dc6c495c0c9188/{tg_suffix}"}),
    }
    for name, (value, metric) in expected.items():
        p = policies[name]
        assert p["policyType"] == "TargetTrackingScaling" and p["resourceId"] == target["resourceId"]
        assert p["targetTrackingScalingPolicyConfiguration"] == {
            "targetValue": value, "scaleInCooldown": 300, "scaleOutCooldown": 30,
            "predefinedMetricSpecification": metric}


def test_local_emulator_does_not_wait_for_steady_state(basic: ProjectConfig) -> None:
    rec, _ = run(basic, "test", "api", local=LocalEmulator("http://127.0.0.1:5000"))
    assert rec.one("aws:ecs/service:Service").inputs["waitForSteadyState"] is False


def test_load_balancer_arn_suffix() -> None:
    arn = "arn:aws:elasticloadbalancing:us-west-2:1:loadbalancer/app/shop-test/50dc6c495c0c9188"
    assert load_balancer_arn_suffix(arn) == "app/shop-test/50dc6c495c0c9188"
    with pytest.raises(ValueError, match="not a load balancer ARN"):
        load_balancer_arn_suffix("arn:aws:elasticloadbalancing:us-west-2:1:targetgroup/x/y")


# --------------------------------------------------------------------------- images


def test_location_image_builds_nothing(web_test: Recording) -> None:
    assert not [n for n in web_test.nodes if n.type.startswith("docker-build:")]
    refs = {n.name for n in web_test.of_type("pulumi:pulumi:StackReference")}
    assert refs == {"organization/shop-environment/test"}  # the project stack is only read for builds


def test_build_pushes_to_the_project_repository(
    api_full: tuple[Recording, mocks.AwsMocks], full: ProjectConfig
) -> None:
    rec, aws = api_full
    repo = project_outputs(full)["regions"]["us-west-2"]["repositories"]["api"]
    assert repo.startswith("111111111111.dkr.ecr.us-west-2.amazonaws.com/")  # the project account's registry
    image = rec.one("docker-build:index:Image").inputs
    tag = build_tag(full.application("test", "api").image, "linux/arm64", None)
    assert image["tags"] == [f"{repo}:{tag}"]
    assert image["push"] is True and image["platforms"] == ["linux/arm64"]
    assert image["context"] == {"location": "api"} and image["dockerfile"] == {"location": "api/Dockerfile.prod"}
    assert image["buildArgs"] == {"VERSION": "1"}
    # The registry token is a credential, so the whole registries input is kept secret.
    assert image["registries"] == {"secret": [{"address": "111111111111.dkr.ecr.us-west-2.amazonaws.com",
                                               "username": "AWS", "password": "mock-ecr-password"}]}
    # The push token comes from the project account (which owns the repository), not the environment's.
    (token,) = [c for c in aws.calls if c.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken"]
    project_provider = rec.one("pulumi:providers:aws", "project")
    assert token.provider.startswith(project_provider.urn)
    assert json.loads(project_provider.inputs["allowedAccountIds"]) == ["111111111111"]
    assert token.args["registryId"] == "111111111111"
    # The task runs the pushed ref, digest included, so each build is a new task definition revision.
    assert container(rec)["image"].startswith(f"{repo}:{tag}@sha256:")
    # Deleting an Image deletes its pushed tags, and every environment of the region pushes the same
    # tag to this repository: one environment's destroy must not delete what the others run.
    assert rec.one("docker-build:index:Image").retain_on_delete is True


def test_missing_repository_is_a_clear_error() -> None:
    regions = {"us-west-2": {"repositories": {"api": "1.dkr.ecr.us-west-2.amazonaws.com/shop/api"}}}
    assert repository_url(regions, "us-west-2", "api") == "1.dkr.ecr.us-west-2.amazonaws.com/shop/api"
    with pytest.raises(ValueError, match="no ECR repository for 'web' in us-west-2"):
        repository_url(regions, "us-west-2", "web")
    with pytest.raises(ValueError, match="no ECR repository for 'api' in eu-west-1"):
        repository_url(regions, "eu-west-1", "api")


def test_new_build_tag_gives_a_new_task_definition(full: ProjectConfig) -> None:
    one, _ = run(full, "test", "api", image_tag="c0ffee")
    two, _ = run(full, "test", "api", image_tag="d00d1e")
    assert one.one("docker-build:index:Image").inputs["tags"][0].endswith(":c0ffee")
    assert container(one)["image"] != container(two)["image"]
    assert one.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"] != \
        two.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"]


def test_build_context_relative_to_the_project_root(full: ProjectConfig) -> None:
    image = full.application("test", "api").image
    assert build_context(image, None) == ("api", "api/Dockerfile.prod")
    assert build_context(image, "/home/me/shop") == (
        "/home/me/shop/api", "/home/me/shop/api/Dockerfile.prod")


# --------------------------------------------------------------------------- overrides


def test_per_environment_overrides_apply(web_test: Recording, web_prod: Recording, basic: ProjectConfig) -> None:
    prod = web_prod.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert (prod["cpu"], prod["memory"]) == ("512", "2048")
    assert env_vars(web_prod)["LOG_LEVEL"] == "warning" and env_vars(web_test)["LOG_LEVEL"] == "info"
    assert env_vars(web_prod)["ECSP_ENVIRONMENT"] == "prod"
    svc = web_prod.one("aws:ecs/service:Service").inputs
    assert svc["desiredCount"] == 3
    assert svc["networkConfiguration"]["subnets"] == environment_outputs(basic, "prod")["privateSubnetIds"]
    assert web_prod.one("aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]["path"] == "/healthz"
    # Secrets maps merge: prod keeps the base secrets and adds its own, in its own account and region.
    assert [s["valueFrom"] for s in container(web_prod)["secrets"]] == [
        "arn:aws:secretsmanager:us-west-2:111111111111:secret:shop/api-token-AbCdEf",
        "arn:aws:ssm:eu-west-1:222222222222:parameter/shop/db-password",
        "arn:aws:ssm:eu-west-1:222222222222:parameter/shop/prod/extra",
    ]
    assert json.loads(web_prod.one("pulumi:providers:aws", "aws").inputs["allowedAccountIds"]) == ["222222222222"]


# --------------------------------------------------------------------------- golden graphs


def test_golden_basic(web_prod: Recording) -> None:
    harness.assert_golden("application-basic", harness.graph_document(web_prod))


def test_golden_full(api_full: tuple[Recording, mocks.AwsMocks]) -> None:
    harness.assert_golden("application-full", harness.graph_document(api_full[0]))


# --------------------------------------------------------------------------- with the real upstream stacks


def test_real_upstream_outputs_satisfy_the_program() -> None:
    cfg = harness.config(FULL)
    rec = harness.run_stack(cfg, "shop-api/test")
    assert set(rec.outputs) == EXPORTS and all(rec.outputs.values())
    svc = rec.one("aws:ecs/service:Service").inputs
    assert svc["cluster"] and svc["networkConfiguration"]["subnets"] and svc["networkConfiguration"]["securityGroups"]
    for rule in rec.of_type("aws:lb/listenerRule:ListenerRule"):
        assert rule.inputs["listenerArn"].startswith("arn:aws:elasticloadbalancing:us-west-2:333333333333:listener/")
    assert rec.one("aws:route53/record:Record").inputs["zoneId"]
    assert rec.one("docker-build:index:Image").inputs["tags"][0].startswith(
        "111111111111.dkr.ecr.us-west-2.amazonaws.com/ecsp/shop/api:")
    label = rec.one("aws:appautoscaling/policy:Policy", "api-requests").inputs[
        "targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]["resourceLabel"]
    assert label.startswith("app/") and "/targetgroup/" in label


ROOTS = """\
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test:
    region: us-west-2
    certificates: ["arn:aws:acm:us-west-2:111111111111:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"]
applications:
  shop: {image: {location: nginx}, port: 80, aliases: [shop.example.com, www.shop.example.com]}
  blog: {image: {location: nginx}, port: 80, aliases: [blog.example.com]}
  fallback: {image: {location: nginx}, port: 80}
  api: {image: {location: nginx}, port: 8080, path: /api}
"""


def test_root_applications_told_apart_by_host_names_each_get_their_rule() -> None:
    # Copilot's two web services on '/' with their own aliases (and one without, the catch-all).
    cfg = harness.config(ROOTS)
    rules = {app: run(cfg, "test", app)[0].of_type("aws:lb/listenerRule:ListenerRule") for app in cfg.applications}
    https = {app: next(r for r in found if "https" in r.name) for app, found in rules.items()}
    numbers = {app: rule.inputs["priority"] for app, rule in https.items()}
    assert len(set(numbers.values())) == 4
    assert numbers["fallback"] == priorities.ROOT_PRIORITY  # no host names: last
    for app in ("shop", "blog"):
        assert numbers[app] in priorities.ROOT_ROOM and numbers[app] > numbers["api"]
    hosts = {app: [c["hostHeader"]["values"] for c in rule.inputs["conditions"] if "hostHeader" in c]
             for app, rule in https.items()}
    assert hosts == {"shop": [["shop.example.com", "www.shop.example.com"]], "blog": [["blog.example.com"]],
                     "fallback": [], "api": []}
    with pytest.raises(Exception, match=r"it gets the root path ./., which .blog. already uses"):
        harness.config(ROOTS.replace("aliases: [blog.example.com]", "cpu: 256"))
