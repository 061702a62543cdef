"""The storage stack (one per environment with data) and what linking it gives an application, under Pulumi's mocks.

Golden graphs for each kind of data, managed and existing, for addons, and for applications
that link them; an IAM walker proves every grant is scoped (no `*` action, no resource beyond
the linked data); `from_cfn` values are read through the mocks' `get_export`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ecsp import addons as addon_sets
from ecsp import loader, mocks
from ecsp.config import ProjectConfig
from tests import harness

HEAD = """\
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
"""
WEB = """\
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
"""


def config(text: str) -> ProjectConfig:
    return loader.loads(HEAD + textwrap.dedent(text), "ecsp.yaml")


def storage(text: str, **kwargs: Any) -> mocks.Recording:
    return harness.run_stack(config(text), "shop-storage/test", **kwargs)


def inputs(recording: mocks.Recording, type_: str, name: str | None = None) -> dict[str, Any]:
    return recording.one(type_, name).inputs


KINDS = {
    "postgres-aurora": """\
        data:
          orders: {kind: postgres, version: "16.6", capacity: {min: 0, max: 8}, pause_after: 600}
        """,
    "mysql-rds-copilot": """\
        data:
          legacy: {kind: mysql, instance: db.t4g.micro, storage: 50, copilot_name: legacy, database: shop}
        """,
    "redis": """\
        data:
          sessions: {kind: redis, engine: redis, version: "7", max_storage: 5}
        """,
    "bucket": """\
        data:
          uploads: {kind: bucket}
        """,
    "table": """\
        data:
          events:
            kind: table
            partition_key: "id:S"
            sort_key: "at:N"
            local_indexes: {by-status: {sort_key: "status:S"}}
            global_indexes: {by-user: {partition_key: "user:S", sort_key: "at:N"}}
            ttl: expires
            stream: new_and_old_images
        """,
    "existing": """\
        data:
          orders: {kind: postgres, existing: {secret: {from_cfn: shop-test-ordersAuroraSecret},
                                              security_group: {from_cfn: shop-test-ordersSecurityGroup}}}
          sessions: {kind: redis, existing: {host: sessions.abc.cache.amazonaws.com,
                                             security_group: sg-0123456789abcdef0}}
          uploads: {kind: bucket, existing: {name: {from_cfn: shop-test-uploadsBucketName}}}
          events: {kind: table, existing: {name: shop-test-events}}
          stripe: {kind: secret, existing: {arn: stripe-key}}
        """,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_storage_golden(kind: str) -> None:
    harness.assert_golden(f"storage-{kind}", harness.graph_document(storage(KINDS[kind])))


def test_every_managed_data_resource_is_kept_on_delete() -> None:
    recording = storage("""\
        data:
          orders: {kind: postgres}
          legacy: {kind: mysql, instance: db.t4g.micro, copilot_name: legacy}
          sessions: {kind: redis}
          uploads: {kind: bucket}
          events: {kind: table, partition_key: "id:S"}
        """)
    kept = [n for n in recording.nodes if n.custom and not n.type.startswith("pulumi:")]
    assert kept and all(n.retain_on_delete for n in kept), [n.name for n in kept if not n.retain_on_delete]


def test_aurora_is_private_encrypted_backed_up_and_tls_only() -> None:
    recording = storage(KINDS["postgres-aurora"])
    cluster = inputs(recording, "aws:rds/cluster:Cluster")
    assert cluster["engine"] == "aurora-postgresql" and cluster["engineVersion"] == "16.6"
    assert cluster["storageEncrypted"] is True and cluster["manageMasterUserPassword"] is True
    assert "masterPassword" not in cluster  # RDS generates it into Secrets Manager
    assert cluster["skipFinalSnapshot"] is False and cluster["finalSnapshotIdentifier"] == "shop-test-orders-final"
    assert cluster["serverlessv2ScalingConfiguration"] == {"minCapacity": 0, "maxCapacity": 8,
                                                          "secondsUntilAutoPause": 600}
    assert inputs(recording, "aws:rds/clusterInstance:ClusterInstance")["publiclyAccessible"] is False
    group = inputs(recording, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert group["family"] == "aurora-postgresql16"
    assert group["parameters"] == [{"applyMethod": "immediate", "name": "rds.force_ssl", "value": "1"}]
    assert not recording.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")  # no one yet


def test_a_copilot_database_gets_its_json_secret_and_no_plain_password() -> None:
    recording = storage(KINDS["mysql-rds-copilot"])
    instance = inputs(recording, "aws:rds/instance:Instance")
    assert instance["engine"] == "mysql" and "manageMasterUserPassword" not in instance
    assert set(instance["password"]) == {"secret"}  # marked secret: Pulumi keeps it encrypted
    version = inputs(recording, "aws:secretsmanager/secretVersion:SecretVersion")
    secret = json.loads(version["secretString"]["secret"])
    assert set(secret) == {"username", "password", "engine", "host", "port", "dbname", "dbClusterIdentifier"}
    assert secret["password"] == instance["password"]["secret"] and secret["engine"] == "mysql"
    assert secret["port"] == 3306 and secret["dbname"] == "shop"
    node = recording.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert node.ignore_changes == ("secretString",)
    assert recording.one("aws:rds/instance:Instance").ignore_changes == ("password",)


def test_storage_outputs_are_what_links_need() -> None:
    recording = storage(KINDS["existing"])
    data = recording.outputs["data"]
    assert data["orders"]["secret_arn"].startswith("arn:aws:secretsmanager:us-west-2:111111111111:secret:shop-test-")
    assert data["orders"]["client_security_group_id"].startswith("sg-")
    assert data["stripe"]["secret_arn"] == "arn:aws:secretsmanager:us-west-2:111111111111:secret:stripe-key"
    assert data["events"]["arn"] == "arn:aws:dynamodb:us-west-2:111111111111:table/shop-test-events"
    assert data["uploads"]["arn"] == f"arn:aws:s3:::{data['uploads']['name']}"
    assert not [n for n in recording.nodes if n.custom and not n.type.startswith("pulumi:")]  # nothing created


# ------------------------------------------------------------------------------ applications


LINKED = """\
data:
  orders: {kind: postgres}
  legacy: {kind: mysql, copilot_name: legacy-db}
  sessions: {kind: redis}
  uploads: {kind: bucket, copilot_name: my-bucket}
  events: {kind: table, partition_key: "id:S", stream: keys_only}
  stripe: {kind: secret, existing: {arn: "arn:aws:secretsmanager:us-west-2:111111111111:secret:stripe-AbCdEf"}}
""" + WEB + "    link: [orders, legacy, sessions, uploads, events, stripe]\n"

EXISTING = textwrap.dedent(KINDS["existing"]) + WEB + "    link: [orders, sessions, uploads, events, stripe]\n"


def application(text: str, **kwargs: Any) -> mocks.Recording:
    return harness.run_stack(config(text), "shop-web/test", **kwargs)


def container(recording: mocks.Recording) -> dict[str, Any]:
    definitions = json.loads(inputs(recording, "aws:ecs/taskDefinition:TaskDefinition")["containerDefinitions"])
    return next(c for c in definitions if c["name"] == "web")


def test_linked_application_golden() -> None:
    harness.assert_golden("application-linked", harness.graph_document(application(LINKED)))


def test_existing_linked_application_golden() -> None:
    harness.assert_golden("application-linked-existing", harness.graph_document(application(EXISTING)))


def test_a_link_injects_its_variables_and_secrets() -> None:
    main = container(application(LINKED))
    env = {e["name"]: e["value"] for e in main["environment"]}
    secrets = {s["name"]: s["valueFrom"] for s in main["secrets"]}
    assert env["ORDERS_HOST"].endswith(".rds.amazonaws.com") and env["ORDERS_PORT"] == "5432"
    assert env["ORDERS_DBNAME"] == "orders"
    assert secrets["ORDERS_PASSWORD"].endswith(":password::") and secrets["ORDERS_USERNAME"].endswith(":username::")
    # A Copilot database: its JSON secret as Copilot's name, and the native names read from it.
    # (Copilot's name for a database legacy-db drops the hyphen: LEGACYDB_SECRET.)
    assert secrets["LEGACYDB_SECRET"].startswith("arn:aws:secretsmanager:") and "LEGACY_HOST" not in env
    assert secrets["LEGACY_HOST"].endswith(":host::") and secrets["LEGACY_PORT"].endswith(":port::")
    assert env["SESSIONS_URL"] == f"rediss://{env['SESSIONS_HOST']}:6379"
    assert env["UPLOADS_BUCKET"] == env["MYBUCKET_NAME"] and env["EVENTS_TABLE"] == "shop-test-events"
    assert env["EVENTS_STREAM_ARN"].startswith("arn:aws:dynamodb:")
    assert secrets["STRIPE_SECRET"] == "arn:aws:secretsmanager:us-west-2:111111111111:secret:stripe-AbCdEf"


def test_an_application_reaches_only_the_databases_and_caches_it_links() -> None:
    recording = application(LINKED)
    recording.one("aws:ec2/securityGroup:SecurityGroup", "web-data")
    rules = recording.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted((r.name, r.inputs["fromPort"], r.inputs["toPort"]) for r in rules) == [
        ("web-to-legacy", 3306, 3306), ("web-to-orders", 5432, 5432), ("web-to-sessions", 6379, 6379)]
    own = {r.inputs["referencedSecurityGroupId"] for r in rules}
    assert len(own) == 1
    network = inputs(recording, "aws:ecs/service:Service")["networkConfiguration"]
    assert network["securityGroups"][1:] == sorted(own)  # the environment's, then its own
    data = harness.run_stack(config(LINKED), "shop-storage/test").outputs["data"]
    assert sorted(r.inputs["securityGroupId"] for r in rules) == sorted(
        data[n]["security_group_id"] for n in ("legacy", "orders", "sessions"))


# The IAM walker: every statement of every policy an application's roles get.

def _statements(recording: mocks.Recording) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for node in recording.of_type("aws:iam/rolePolicy:RolePolicy"):
        document = json.loads(node.inputs["policy"])
        found += [(node.name, statement) for statement in document["Statement"]]
    return found


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_every_grant_is_scoped() -> None:
    for text in (LINKED, EXISTING):
        recording = application(text)
        storage_outputs = harness.run_stack(config(text), "shop-storage/test").outputs["data"]
        arns = {f["arn"] for f in storage_outputs.values() if "arn" in f}
        secrets = {f["secret_arn"] for f in storage_outputs.values() if f.get("secret_arn")}
        for policy, statement in _statements(recording):
            actions = _as_list(statement["Action"])
            assert all("*" not in a for a in actions), (policy, actions)
            for resource in _as_list(statement["Resource"]):
                if actions == ["kms:Decrypt"]:
                    # Only the secrets' account's keys, only through Secrets Manager, for exactly these secrets.
                    assert resource == "arn:aws:kms:us-west-2:111111111111:key/*"
                    assert "kms:ViaService" in statement["Condition"]["StringEquals"]
                    assert statement["Condition"]["StringLike"]["kms:EncryptionContext:SecretARN"]
                    continue
                base = resource
                for suffix in ("/index/*", "/stream/*", "/*", "-??????"):
                    base = base.removesuffix(suffix)
                assert base in arns | secrets, (policy, resource)


def test_bucket_and_table_grants_name_their_actions() -> None:
    recording = application(LINKED)
    statements = {s["Sid"]: s for name, s in _statements(recording) if name == "web-data"}
    assert statements["UploadsObjects"]["Action"] == [
        "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectTagging",
        "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging"]
    assert statements["EventsStream"]["Resource"].endswith("table/shop-test-events/stream/*")
    assert "EventsIndexes" in statements


# ------------------------------------------------------------------------------ exports, policies, credentials


FROM_CFN = WEB.replace("{location: public.ecr.aws/nginx/nginx:stable}",
                       "{location: ghcr.io/acme/web:1, credentials: "
                       "\"arn:aws:secretsmanager:us-west-2:111111111111:secret:ghcr-AbCdEf\"}") + """\
    variables: {BUCKET_NAME: {from_cfn: shop-test-uploadsBucketName}, LEVEL: info}
    secrets: {DB_SECRET: {from_cfn: shop-test-ordersAuroraSecret}, KEY: /shop/key}
    security_groups: [sg-0123456789abcdef0, {from_cfn: shop-test-ordersSecurityGroup}]
    managed_policies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
"""


def test_from_cfn_values_are_read_at_deploy_time() -> None:
    recording = application(FROM_CFN)
    main = container(recording)
    env = {e["name"]: e["value"] for e in main["environment"]}
    secrets = {s["name"]: s["valueFrom"] for s in main["secrets"]}
    assert env["BUCKET_NAME"] == mocks.export_value("shop-test-uploadsBucketName", "us-west-2", "111111111111")
    assert env["LEVEL"] == "info"
    assert secrets["DB_SECRET"] == mocks.export_value("shop-test-ordersAuroraSecret", "us-west-2", "111111111111")
    assert secrets["KEY"] == "arn:aws:ssm:us-west-2:111111111111:parameter/shop/key"
    groups = inputs(recording, "aws:ecs/service:Service")["networkConfiguration"]["securityGroups"]
    assert groups[1:] == ["sg-0123456789abcdef0",
                          mocks.export_value("shop-test-ordersSecurityGroup", "us-west-2", "111111111111")]
    assert main["repositoryCredentials"] == {
        "credentialsParameter": "arn:aws:secretsmanager:us-west-2:111111111111:secret:ghcr-AbCdEf"}
    linked = json.loads(inputs(recording, "aws:iam/rolePolicy:RolePolicy", "web-linked-secrets")["policy"])
    granted = {r for s in linked["Statement"] if s["Action"] == ["secretsmanager:GetSecretValue"]
               for r in s["Resource"]}
    assert secrets["DB_SECRET"] in granted
    # The registry's login is read by the execution role's own policy, with the container's secrets.
    own = json.loads(inputs(recording, "aws:iam/rolePolicy:RolePolicy", "web-secrets")["policy"])
    assert "arn:aws:secretsmanager:us-west-2:111111111111:secret:ghcr-AbCdEf" in {
        r for s in own["Statement"] if s["Action"] == ["secretsmanager:GetSecretValue"] for r in s["Resource"]}
    attached = inputs(recording, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "web-policy-0")
    assert attached["policyArn"] == "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_what_links_resolve_reaches_the_application_container_only() -> None:
    # A sidecar keeps its own variables and secrets and what ecsp tells every container; the database's
    # connection details and the exports are the application's (Copilot injected them into the main one).
    text = LINKED.replace("    link: [", """\
    sidecars:
      proxy:
        image: public.ecr.aws/envoy:v1
        variables: {MODE: edge}
        secrets: {TOKEN: /shop/token}
    variables: {LEVEL: info, BUCKET_NAME: {from_cfn: shop-test-uploadsBucketName}}
    link: [""")
    definitions = json.loads(inputs(application(text), "aws:ecs/taskDefinition:TaskDefinition")["containerDefinitions"])
    by_name = {c["name"]: c for c in definitions}
    web = {e["name"] for e in by_name["web"]["environment"]} | {s["name"] for s in by_name["web"]["secrets"]}
    assert {"LEVEL", "BUCKET_NAME", "ORDERS_HOST", "ORDERS_PASSWORD", "LEGACYDB_SECRET", "STRIPE_SECRET"} <= web
    proxy = by_name["proxy"]
    names = {e["name"] for e in proxy["environment"]}
    assert {"ECSP_PROJECT", "ECSP_APPLICATION"} <= names and {n for n in names if not n.startswith("ECSP_")} == {"MODE"}
    assert [s["name"] for s in proxy["secrets"]] == ["TOKEN"]
    assert "repositoryCredentials" not in proxy


def test_from_cfn_needs_no_storage_stack() -> None:
    cfg = config(FROM_CFN)
    assert not cfg.has_storage("test")
    harness.run_stack(cfg, "shop-web/test")  # reads the exports itself


# ------------------------------------------------------------------------------ addons


ADDON = """\
Parameters:
  App: {Type: String}
  Env: {Type: String}
  Name: {Type: String}
  VpcId: {Type: String}
  Subnets: {Type: String}
Resources:
  ordersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub ${App}-${Env}-${Name}-orders
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  ordersAccessPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: 2012-10-17
        Statement: [{Effect: Allow, Action: ["dynamodb:GetItem"], Resource: !GetAtt ordersTable.Arn}]
  apiKey:
    Type: AWS::SecretsManager::Secret
    Properties: {GenerateSecretString: {PasswordLength: 32}}
  clientGroup:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: clients, VpcId: !Ref VpcId}
Outputs:
  ordersTableName: {Value: !Ref ordersTable}
  ordersAccessPolicy: {Value: !Ref ordersAccessPolicy}
  apiKeySecret: {Value: !Ref apiKey}
  clientSecurityGroup: {Value: !Ref clientGroup}
"""
PARAMETERS = """\
Parameters:
  VpcId: !Ref VPC
  Subnets: !Join [',', [!Ref PrivateSubnet1, !Ref PrivateSubnet2]]
"""


def addon_project(tmp_path: Path) -> tuple[ProjectConfig, addon_sets.Addons]:
    folder = tmp_path / "copilot" / "web" / "addons"
    folder.mkdir(parents=True)
    (folder / "orders.yml").write_text(ADDON)
    (folder / "addons.parameters.yml").write_text(PARAMETERS)
    (tmp_path / "ecsp.yaml").write_text(HEAD + WEB + "    addons: copilot/web/addons\n")
    cfg = loader.load(tmp_path / "ecsp.yaml")
    return cfg, addon_sets.load(cfg, tmp_path)


def test_addon_storage_golden(tmp_path: Path) -> None:
    cfg, found = addon_project(tmp_path)
    recording = harness.run_stack(cfg, "shop-storage/test", addons=found)
    harness.assert_golden("storage-addons", harness.graph_document(recording))
    stack = inputs(recording, "aws:cloudformation/stack:Stack")
    assert stack["name"] == "shop-test-web-addons"
    parameters = stack["parameters"]
    assert (parameters["App"], parameters["Env"], parameters["Name"]) == ("shop", "test", "web")
    assert parameters["VpcId"].startswith("vpc-") and parameters["Subnets"].count("subnet-") == 2
    assert recording.one("aws:cloudformation/stack:Stack").retain_on_delete


def test_addon_outputs_reach_the_application_as_copilot_routed_them(tmp_path: Path) -> None:
    cfg, found = addon_project(tmp_path)
    recording = harness.run_stack(cfg, "shop-web/test", addons=found)
    main = container(recording)
    env = {e["name"]: e["value"] for e in main["environment"]}
    secrets = {s["name"]: s["valueFrom"] for s in main["secrets"]}
    assert env["ORDERS_TABLE_NAME"].startswith("shop-test-web-addons-orderstablename")
    assert secrets["API_KEY_SECRET"].startswith("arn:aws:secretsmanager:us-west-2:111111111111:secret:apiKey-")
    attached = inputs(recording, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "web-ordersAccessPolicy")
    assert attached["policyArn"].startswith("arn:aws:iam::111111111111:policy/shop-test-web-addons-ordersAccessPolicy")
    groups = inputs(recording, "aws:ecs/service:Service")["networkConfiguration"]["securityGroups"]
    assert len(groups) == 2 and groups[1].startswith("sg-")
    harness.assert_golden("application-addons", harness.graph_document(recording))


COPILOT_IMPORTS = """\
Parameters:
  App: {Type: String}
  Env: {Type: String}
  Name: {Type: String}
Resources:
  dbSubnetGroup:
    Type: AWS::RDS::DBSubnetGroup
    Properties:
      DBSubnetGroupDescription: private subnets
      SubnetIds: !Split [',', { 'Fn::ImportValue': !Sub '${App}-${Env}-PrivateSubnets' }]
  clientGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: clients
      VpcId:
        Fn::ImportValue:
          !Sub '${App}-${Env}-VpcId'
  mediaPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: {Fn::ImportValue: {Fn::Sub: "${App}-${Env}-mediaBucketARN"}}
Outputs:
  clientSecurityGroup: {Value: !Ref clientGroup}
"""


def test_imports_of_copilots_environment_become_ecsps_own(tmp_path: Path) -> None:
    # An addon reads Copilot's environment through its exports; under ecsp it gets ecsp's environment
    # instead (Copilot's, while it exists, is another VPC). Other exports (an addon's) stay imports.
    folder = tmp_path / "copilot" / "web" / "addons"
    folder.mkdir(parents=True)
    (folder / "db.yml").write_text(COPILOT_IMPORTS)
    (tmp_path / "ecsp.yaml").write_text(HEAD + WEB + "    addons: copilot/web/addons\n")
    cfg = loader.load(tmp_path / "ecsp.yaml")
    found = addon_sets.load(cfg, tmp_path)
    body = json.loads(found["web"].body)
    assert body["Resources"]["clientGroup"]["Properties"]["VpcId"] == {"Ref": "EcspEnvironmentVpcId"}
    assert body["Resources"]["dbSubnetGroup"]["Properties"]["SubnetIds"] == {
        "Fn::Split": [",", {"Ref": "EcspEnvironmentPrivateSubnets"}]}
    assert "Fn::ImportValue" in json.dumps(body["Resources"]["mediaPolicy"])
    assert body["Parameters"]["EcspEnvironmentVpcId"]["Type"] == "String"
    stack = inputs(harness.run_stack(cfg, "shop-storage/test", addons=found), "aws:cloudformation/stack:Stack")
    assert stack["parameters"]["EcspEnvironmentVpcId"].startswith("vpc-")
    assert stack["parameters"]["EcspEnvironmentPrivateSubnets"].count("subnet-") == 2


def test_an_import_of_copilots_environment_ecsp_cannot_give_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "addons"
    folder.mkdir()
    (folder / "rule.yml").write_text(COPILOT_IMPORTS.replace("${App}-${Env}-VpcId", "${App}-${Env}-HTTPListenerArn"))
    (tmp_path / "ecsp.yaml").write_text(HEAD + WEB + "    addons: addons\n")
    _, problems = addon_sets.read(tmp_path, "addons", "web")
    assert [(Path(p.file).name, p.line) for p in problems] == [("rule.yml", 17)]
    assert "HTTPListenerArn, an export of Copilot's environment stack" in problems[0].message


def test_templates_add_keys_to_one_mapping_as_copilot_merged_them(tmp_path: Path) -> None:
    folder = tmp_path / "addons"
    folder.mkdir()
    head = "Parameters:\n  App: {Type: String}\n  Env: {Type: String}\n  Name: {Type: String}\n"
    (folder / "a.yml").write_text(head + "Mappings:\n  Sizes:\n    test: {Min: 1}\nResources:\n"
                                  "  A: {Type: AWS::SNS::Topic}\n")
    (folder / "b.yml").write_text(head + "Mappings:\n  Sizes:\n    prod: {Min: 2}\nResources:\n"
                                  "  B: {Type: AWS::SNS::Topic}\n")
    (folder / "c.yml").write_text(head + "Mappings:\n  Sizes:\n    prod: {Min: 3}\nResources:\n"
                                  "  C: {Type: AWS::SNS::Topic}\n")
    _, problems = addon_sets.read(tmp_path, "addons", "web")
    # Two templates may each add a key to a mapping; giving one key two values is what Copilot refused too.
    assert [(Path(p.file).name, p.message.split(";")[0]) for p in problems] == [
        ("c.yml", "Mappings.Sizes is also defined, differently, in a.yml")]
    (folder / "c.yml").unlink()
    stack, problems = addon_sets.read(tmp_path, "addons", "web")
    assert problems == [] and stack is not None
    assert json.loads(stack.body)["Mappings"]["Sizes"] == {"test": {"Min": 1}, "prod": {"Min": 2}}
