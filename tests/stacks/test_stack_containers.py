"""Container-level settings under Pulumi's mocks: sidecars, FireLens, EFS volumes, deployment and capacity.

The stacks run with their real upstream programs (tests.harness.run_stack), so the managed
file system's id reaches the application through the environment stack's output. Expected
shapes follow ECS's container definition rules and the Terraform AWS provider's argument
rules (volumes' efs_volume_configuration, capacity_provider_strategy vs launch_type).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest

from ecsp import mocks, notes, planner
from ecsp.config import CapacitySpread, ProjectConfig, VolumeConfig
from ecsp.config.task_containers import dependency_cycle
from ecsp.mocks import Recording
from stacks import PROGRAMS
from stacks.application_service import capacity_strategy
from stacks.application_storage import efs_policy, posix_id, task_volumes
from tests import harness

SHOP = """
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
  prod: {region: us-west-2}
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    secrets: {DB_PASSWORD: /shop/db-password}
    depends_on: {init: success}
    sidecars:
      datadog:
        image: public.ecr.aws/datadog/agent:7
        port: 8126
        essential: false
        variables: {DD_SITE: datadoghq.eu}
        secrets: {DD_API_KEY: arn:aws:secretsmanager:us-west-2:111111111111:secret:shop/dd-AbCdEf}
        depends_on: {web: start}
        healthcheck: {command: [CMD-SHELL, "agent health"], interval: 15, start_period: 20}
        mount_points: {data: /var/dd}
      init:
        image: public.ecr.aws/docker/library/busybox:stable
        essential: false
        command: [sh, -c, "mkdir -p /data/cache"]
    storage:
      volumes:
        data: {path: /data, efs: true}
        shared: {path: /shared, read_only: true, efs: {id: fs-0123456789abcdef0, root_directory: /exports}}
        assets: {path: /assets, efs: {id: fs-0123456789abcdef0, access_point: fsap-0123456789abcdef0}}
    deployment: {rolling: recreate}
    capacity: {spot: 3, base: 1}
    environments:
      prod:
        capacity: spot
        deployment: {min_healthy_percent: 50, max_percent: 150}
        logging:
          firelens: {options: {Name: cloudwatch, region: us-west-2, log_group_name: /shop/web}}
        sidecars:
          init: {image: public.ecr.aws/docker/library/busybox:1.36, essential: false}
        storage:
          volumes:
            shared: {path: /shared, efs: {id: fs-0123456789abcdef0}}
  api:
    image: {location: public.ecr.aws/docker/library/httpd:2.4}
    port: 8080
    path: /api
"""


@pytest.fixture(scope="module")
def shop() -> ProjectConfig:
    return harness.config(SHOP)


@pytest.fixture(scope="module")
def web_test(shop: ProjectConfig) -> Recording:
    return harness.run_stack(shop, "shop-web/test")


@pytest.fixture(scope="module")
def web_prod(shop: ProjectConfig) -> Recording:
    return harness.run_stack(shop, "shop-web/prod")


@pytest.fixture(scope="module")
def env_test(shop: ProjectConfig) -> Recording:
    return harness.run_stack(shop, "shop-environment/test")


def containers(rec: Recording) -> dict[str, dict[str, Any]]:
    task = rec.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    return {c["name"]: c for c in json.loads(task["containerDefinitions"])}


def access_point(rec: Recording) -> dict[str, Any]:
    """The mocks' state of the application's access point (its id and ARN), as the program saw it."""
    node = rec.one("aws:efs/accessPoint:AccessPoint")
    return mocks.fake_state(node.type, node.name, node.inputs, "us-west-2", "111111111111")


def policy(rec: Recording, name: str) -> dict[str, Any]:
    return dict(json.loads(rec.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"]))


# --------------------------------------------------------------------------- sidecars


def test_task_has_the_application_and_its_sidecars(web_test: Recording) -> None:
    c = containers(web_test)
    assert list(c) == ["web", "datadog", "init"]  # the application first, then sidecars by name
    web, dd, init = c["web"], c["datadog"], c["init"]
    assert web["essential"] is True and dd["essential"] is False and init["essential"] is False
    assert dd["image"] == "public.ecr.aws/datadog/agent:7"
    assert dd["portMappings"] == [{"containerPort": 8126, "protocol": "tcp"}]
    assert "portMappings" not in init
    assert init["command"] == ["sh", "-c", "mkdir -p /data/cache"]
    # ECS wants the condition in upper case; the application waits for init to exit 0.
    assert web["dependsOn"] == [{"containerName": "init", "condition": "SUCCESS"}]
    assert dd["dependsOn"] == [{"containerName": "web", "condition": "START"}]
    assert dd["healthCheck"] == {"command": ["CMD-SHELL", "agent health"], "interval": 15, "retries": 2,
                                 "timeout": 5, "startPeriod": 20}
    assert "healthCheck" not in init and "dependsOn" not in init


def test_sidecars_get_ecsp_variables_their_own_and_nothing_of_the_application(web_test: Recording) -> None:
    env = {e["name"]: e["value"] for e in containers(web_test)["datadog"]["environment"]}
    assert env["DD_SITE"] == "datadoghq.eu"
    assert {env["ECSP_PROJECT"], env["ECSP_ENVIRONMENT"], env["ECSP_APPLICATION"]} == {"shop", "test", "web"}
    assert "DB_PASSWORD" not in env


def test_sidecars_log_to_the_application_log_group(web_test: Recording) -> None:
    for c in containers(web_test).values():
        # One group, one prefix: awslogs names streams <prefix>/<container>/<task>, so each container
        # has its own streams and `ecsp logs` tells them apart.
        assert c["logConfiguration"] == {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecsp/shop-test-web", "awslogs-region": "us-west-2", "awslogs-stream-prefix": "ecsp"}}


def test_execution_role_reads_exactly_the_application_and_sidecar_secrets(web_test: Recording) -> None:
    c = containers(web_test)
    assert c["web"]["secrets"] == [{"name": "DB_PASSWORD",
                                    "valueFrom": "arn:aws:ssm:us-west-2:111111111111:parameter/shop/db-password"}]
    dd_arn = "arn:aws:secretsmanager:us-west-2:111111111111:secret:shop/dd-AbCdEf"
    assert c["datadog"]["secrets"] == [{"name": "DD_API_KEY", "valueFrom": dd_arn}]
    assert "secrets" not in c["init"]
    statements = policy(web_test, "web-secrets")["Statement"]
    reads = {s["Action"][0]: s["Resource"] for s in statements if s["Action"] != ["kms:Decrypt"]}
    assert reads == {
        "ssm:GetParameters": ["arn:aws:ssm:us-west-2:111111111111:parameter/shop/db-password"],
        # Both ways: the ARN ends like a random suffix, and may also be a partial one.
        "secretsmanager:GetSecretValue": [dd_arn, f"{dd_arn}-??????"],
    }


def test_a_sidecar_alone_with_secrets_gets_a_secrets_policy() -> None:
    cfg = harness.config("""
        project: {name: shop, region: us-west-2}
        environments: {test: {region: us-west-2}}
        applications:
          web:
            image: {location: nginx}
            port: 80
            sidecars: {agent: {image: busybox, secrets: {KEY: /shop/key}}}
    """)
    rec = harness.run_stack(cfg, "shop-web/test")
    (read, _) = policy(rec, "web-secrets")["Statement"]
    assert read["Resource"] == ["arn:aws:ssm:us-west-2:123456789012:parameter/shop/key"]


def test_a_backend_container_health_check_that_a_sidecar_waits_for() -> None:
    cfg = harness.config("""
        project: {name: shop, region: us-west-2}
        environments: {test: {region: us-west-2}}
        applications:
          api:
            kind: backend
            image: {location: nginx}
            port: 8080
            container_healthcheck: {command: [CMD-SHELL, "curl -f http://localhost:8080/ || exit 1"], start_period: 30}
            sidecars: {proxy: {image: envoyproxy/envoy, depends_on: {api: healthy}}}
    """)
    task = containers(harness.run_stack(cfg, "shop-api/test"))
    assert task["api"]["healthCheck"] == {"command": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"],
                                          "interval": 10, "retries": 2, "timeout": 5, "startPeriod": 30}
    assert task["proxy"]["dependsOn"] == [{"containerName": "api", "condition": "HEALTHY"}]
    assert "healthCheck" not in task["proxy"]


def test_an_environment_sidecar_replaces_the_base_one_of_that_name(web_prod: Recording) -> None:
    c = containers(web_prod)
    assert c["init"]["image"] == "public.ecr.aws/docker/library/busybox:1.36"
    assert "command" not in c["init"]
    assert c["datadog"]["image"] == "public.ecr.aws/datadog/agent:7"  # kept from the base


# --------------------------------------------------------------------------- FireLens


def test_firelens_routes_every_container_through_the_log_router(web_prod: Recording) -> None:
    c = containers(web_prod)
    assert list(c) == ["web", "log_router", "datadog", "init"]
    router = c["log_router"]
    assert router["image"] == "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
    assert router["essential"] is True
    assert router["firelensConfiguration"] == {"type": "fluentbit", "options": {"enable-ecs-log-metadata": "true"}}
    # The router cannot route its own output: it writes to the application's log group.
    assert router["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecsp/shop-prod-web", "awslogs-region": "us-west-2", "awslogs-stream-prefix": "ecsp"}}
    for name in ("web", "datadog", "init"):
        assert c[name]["logConfiguration"] == {"logDriver": "awsfirelens", "options": {
            "Name": "cloudwatch", "log_group_name": "/shop/web", "region": "us-west-2"}}, name
        assert {"containerName": "log_router", "condition": "START"} in c[name]["dependsOn"], name
    assert "dependsOn" not in router


# --------------------------------------------------------------------------- EFS


def test_the_environment_creates_the_managed_file_system_when_an_application_asks(env_test: Recording) -> None:
    fs = env_test.one("aws:efs/fileSystem:FileSystem")
    assert fs.inputs["encrypted"] is True
    assert fs.inputs["lifecyclePolicies"] == [{"transitionToIa": "AFTER_30_DAYS"}]
    assert env_test.one("aws:efs/backupPolicy:BackupPolicy").inputs["backupPolicy"] == {"status": "ENABLED"}
    deny = json.loads(env_test.one("aws:efs/fileSystemPolicy:FileSystemPolicy").inputs["policy"])["Statement"]
    assert deny == [{"Sid": "DenyUnencryptedAccess", "Effect": "Deny", "Principal": {"AWS": "*"},
                     "Action": "elasticfilesystem:*", "Resource": deny[0]["Resource"],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]
    out = env_test.outputs
    targets = env_test.of_type("aws:efs/mountTarget:MountTarget")
    by_name = {t.name: t.inputs["subnetId"] for t in targets}
    assert [by_name["efs-0"], by_name["efs-1"]] == out["privateSubnetIds"]  # one per private subnet
    assert all(t.inputs["fileSystemId"] == out["fileSystemId"] for t in targets)
    assert all(t.inputs["securityGroups"] == [out["fileSystemSecurityGroupId"]] for t in targets)
    assert env_test.one("aws:ec2/securityGroup:SecurityGroup", "efs").inputs["vpcId"] == out["vpcId"]
    rule = env_test.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "efs-from-environment").inputs
    assert rule["securityGroupId"] == out["fileSystemSecurityGroupId"]
    assert rule["referencedSecurityGroupId"] == out["environmentSecurityGroupId"]
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 2049, 2049)
    assert out["fileSystemId"].startswith("fs-") and out["fileSystemSecurityGroupId"] != out[
        "environmentSecurityGroupId"]


def test_no_file_system_without_an_application_that_asks() -> None:
    cfg = harness.config("""
        project: {name: shop, region: us-west-2}
        environments: {test: {region: us-west-2}, prod: {region: us-west-2}}
        applications:
          web:
            image: {location: nginx}
            port: 80
            storage: {volumes: {shared: {path: /shared, efs: {id: fs-0123456789abcdef0}}}}
            environments:
              prod: {storage: {volumes: {data: {path: /data, efs: true}}}}
    """)
    test = harness.run_stack(cfg, "shop-environment/test")
    assert not test.of_type("aws:efs/fileSystem:FileSystem")
    assert "fileSystemId" not in test.outputs
    # The override asks in prod only (merged with the base's volumes).
    prod_app = harness.run_stack(cfg, "shop-web/prod")
    assert [v["name"] for v in prod_app.one("aws:ecs/taskDefinition:TaskDefinition").inputs["volumes"]] == [
        "data", "shared"]


def test_managed_volume_has_its_own_access_point(web_test: Recording, env_test: Recording) -> None:
    fs_id = env_test.outputs["fileSystemId"]
    point = web_test.one("aws:efs/accessPoint:AccessPoint")
    uid = zlib.crc32(b"web")  # as Copilot: CRC-32 (IEEE) of the name
    assert point.inputs["fileSystemId"] == fs_id
    assert point.inputs["posixUser"] == {"uid": uid, "gid": uid}
    assert point.inputs["rootDirectory"] == {"path": "/web", "creationInfo": {
        "ownerUid": uid, "ownerGid": uid, "permissions": "0755"}}


def test_task_volumes_mount_points_and_transit_encryption(web_test: Recording, env_test: Recording) -> None:
    volumes = {v["name"]: v["efsVolumeConfiguration"]
               for v in web_test.one("aws:ecs/taskDefinition:TaskDefinition").inputs["volumes"]}
    point = access_point(web_test)
    assert volumes == {
        # With an access point the provider wants no root directory (or "/"); IAM needs transit encryption.
        "data": {"fileSystemId": env_test.outputs["fileSystemId"], "transitEncryption": "ENABLED",
                 "authorizationConfig": {"accessPointId": point["id"], "iam": "ENABLED"}},
        "shared": {"fileSystemId": "fs-0123456789abcdef0", "rootDirectory": "/exports",
                   "transitEncryption": "ENABLED", "authorizationConfig": {"iam": "ENABLED"}},
        "assets": {"fileSystemId": "fs-0123456789abcdef0", "transitEncryption": "ENABLED",
                   "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0", "iam": "ENABLED"}},
    }
    c = containers(web_test)
    assert c["web"]["mountPoints"] == [
        {"sourceVolume": "assets", "containerPath": "/assets", "readOnly": False},
        {"sourceVolume": "data", "containerPath": "/data", "readOnly": False},
        {"sourceVolume": "shared", "containerPath": "/shared", "readOnly": True}]
    assert c["datadog"]["mountPoints"] == [{"sourceVolume": "data", "containerPath": "/var/dd", "readOnly": False}]
    assert "mountPoints" not in c["init"]
    assert web_test.one("aws:ecs/service:Service").inputs["platformVersion"] == "LATEST"  # 1.4.0+: EFS


def test_task_role_may_mount_each_volume_and_write_unless_read_only(
    web_test: Recording, env_test: Recording
) -> None:
    point = access_point(web_test)
    fs = f"arn:aws:elasticfilesystem:us-west-2:111111111111:file-system/{env_test.outputs['fileSystemId']}"
    existing = "arn:aws:elasticfilesystem:us-west-2:111111111111:file-system/fs-0123456789abcdef0"
    read_write = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert policy(web_test, "web-efs")["Statement"] == [
        {"Effect": "Allow", "Action": read_write, "Resource": existing, "Condition": {"ArnEquals": {
            "elasticfilesystem:AccessPointArn":
                "arn:aws:elasticfilesystem:us-west-2:111111111111:access-point/fsap-0123456789abcdef0"}}},
        {"Effect": "Allow", "Action": read_write, "Resource": fs,
         "Condition": {"ArnEquals": {"elasticfilesystem:AccessPointArn": point["arn"]}}},
        {"Effect": "Allow", "Action": ["elasticfilesystem:ClientMount"], "Resource": existing},
    ]
    # The task role's ARN reaches the task definition only after the grant exists.
    task = web_test.one("aws:ecs/taskDefinition:TaskDefinition")
    efs_grant = web_test.one("aws:iam/rolePolicy:RolePolicy", "web-efs")
    assert efs_grant.urn in task.depends_on


def test_posix_id_and_volumes_are_pure() -> None:
    assert posix_id("web") == zlib.crc32(b"web")
    vols = {"v": VolumeConfig.model_validate({"path": "/v", "efs": True})}
    with pytest.raises(ValueError, match="managed file system"):
        task_volumes(vols, managed_file_system_id=None, managed_access_point_id=None)
    ro = {"v": VolumeConfig.model_validate({"path": "/v", "read_only": True, "efs": True})}
    doc = efs_policy(ro, managed_file_system_id="fs-1", managed_access_point_arn="arn:ap", region="r",
                     account="1", partition="aws")
    assert doc is not None and doc["Statement"][0]["Action"] == ["elasticfilesystem:ClientMount"]
    assert efs_policy({}, managed_file_system_id=None, managed_access_point_arn=None, region="r", account="1",
                      partition="aws") is None


# --------------------------------------------------------------------------- deployment and capacity


def test_rolling_recreate_and_a_spot_spread(web_test: Recording) -> None:
    svc = web_test.one("aws:ecs/service:Service").inputs
    assert (svc["deploymentMinimumHealthyPercent"], svc["deploymentMaximumPercent"]) == (0, 100)
    # The provider refuses launch_type together with capacity_provider_strategy.
    assert "launchType" not in svc
    assert svc["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3}]
    # Without it the provider replaces the service on every strategy change.
    assert svc["forceNewDeployment"] is True


def test_custom_percentages_and_all_spot(web_prod: Recording) -> None:
    svc = web_prod.one("aws:ecs/service:Service").inputs
    assert (svc["deploymentMinimumHealthyPercent"], svc["deploymentMaximumPercent"]) == (50, 150)
    assert svc["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert "launchType" not in svc


def test_on_demand_stays_a_launch_type(shop: ProjectConfig) -> None:
    svc = harness.run_stack(shop, "shop-api/test").one("aws:ecs/service:Service").inputs
    assert svc["launchType"] == "FARGATE"
    assert "capacityProviderStrategies" not in svc and "forceNewDeployment" not in svc
    assert (svc["deploymentMinimumHealthyPercent"], svc["deploymentMaximumPercent"]) == (100, 200)


def test_capacity_strategy() -> None:
    assert capacity_strategy("on-demand") is None
    assert capacity_strategy("spot") == [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
    assert capacity_strategy(CapacitySpread(spot=2, base=0)) == [
        {"capacity_provider": "FARGATE", "weight": 1, "base": 0},
        {"capacity_provider": "FARGATE_SPOT", "weight": 2}]


def test_plan_notes_the_replacement_a_capacity_strategy_implies(shop: ProjectConfig) -> None:
    plan = planner.plan(shop, PROGRAMS)
    web = plan.stack("shop-web/test")
    assert web.notes == [notes.capacity_note(CapacitySpread(spot=3, base=1))]
    assert "is replaced by a new service" in web.notes[0]
    assert web.to_json()["notes"] == web.notes
    assert plan.stack("shop-api/test").notes == []
    assert "notes" not in plan.stack("shop-api/test").to_json()  # documents of other stacks are unchanged
    assert any("kept in AWS, with its files" in n for n in plan.stack("shop-environment/test").notes)


def test_cycle_finder() -> None:
    assert dependency_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert dependency_cycle({"a": ["b"], "b": ["a"]}) == ["a", "b", "a"]
    assert dependency_cycle({"x": ["a"], "a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]


def test_golden_containers(web_test: Recording, env_test: Recording) -> None:
    harness.assert_golden("application-containers", harness.graph_document(web_test))
    harness.assert_golden("environment-efs", harness.graph_document(env_test))
