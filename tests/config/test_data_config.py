"""The ``data:`` section, links, exports, addons and image credentials as ecsp.yaml declares them.

Valid projects resolve as documented (defaults, overrides, only_in, the variables a link gives);
every bad input gets one FILE:LINE: FIELD: message saying how to fix it.
"""

# ruff: noqa: E501
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ecsp import graph as graphs
from ecsp import loader, naming
from ecsp.config.exports import FromCfn
from ecsp.config.links import injected_names
from ecsp.errors import ConfigError

# Lines: 1 project, 2 environments, 3 test, 4 prod, 5 data, 6.. the entries, then applications.
BASE = """\
project: {name: shop, region: us-west-2}
environments:
  test: {region: us-west-2}
  prod: {region: us-east-1}
"""


def load(text: str) -> object:
    return loader.loads(BASE + text, "ecsp.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(text)
    return [str(p) for p in caught.value.problems]


APP = """\
applications:
  web:
    image: {location: nginx}
    port: 80
"""


def test_every_kind_resolves_with_its_defaults_and_overrides() -> None:
    config = load(textwrap.dedent("""\
        data:
          orders: {kind: postgres, environments: {prod: {capacity: {min: 0.5, max: 16}}}}
          reports: {kind: mysql, instance: db.t4g.micro, version: "8.4"}
          sessions: {kind: redis}
          uploads: {kind: bucket}
          events: {kind: table, partition_key: "id:S", sort_key: "at:N", ttl: expires, stream: new_image}
          stripe: {kind: secret, existing: {arn: "arn:aws:secretsmanager:us-west-2:111111111111:secret:stripe-AbCdEf"}}
          scratch: {kind: bucket, only_in: [test]}
        """))
    test, prod = config.data_in("test"), config.data_in("prod")  # type: ignore[attr-defined]
    assert list(test) == ["orders", "reports", "sessions", "uploads", "events", "stripe", "scratch"]
    assert "scratch" not in prod
    assert test["orders"].aurora and test["orders"].engine_version == "16.6"
    assert (test["orders"].scaling.min, test["orders"].scaling.max) == (0, 4)
    assert (prod["orders"].scaling.min, prod["orders"].scaling.max) == (0.5, 16)
    assert not test["reports"].aurora and test["reports"].engine_version == "8.4.4"
    assert test["sessions"].cache_engine == "valkey" and test["sessions"].engine_version == "8"
    assert test["stripe"].managed is False
    assert config.has_storage("test") and config.has_storage("prod")  # type: ignore[attr-defined]


def test_an_override_may_link_an_existing_resource_in_one_environment() -> None:
    config = load(textwrap.dedent("""\
        data:
          uploads:
            kind: bucket
            environments:
              prod: {existing: {name: {from_cfn: shop-prod-uploadsBucketName}}}
        """))
    assert config.data_in("test")["uploads"].managed  # type: ignore[attr-defined]
    prod = config.data_in("prod")["uploads"]  # type: ignore[attr-defined]
    assert not prod.managed and prod.existing.name == FromCfn(from_cfn="shop-prod-uploadsBucketName")


@pytest.mark.parametrize(("name", "suffix", "variable"), [
    ("my-bucket", "Name", "MYBUCKET_NAME"),  # Copilot's code strips the hyphen; its docs say MY_BUCKET_NAME
    ("mycluster", "Secret", "MYCLUSTER_SECRET"),
    ("myTable", "Name", "MY_TABLE_NAME"),
    ("users.ddb", "Name", "USERSDDB_NAME"),
    ("MyDDBTable2", "Name", "MY_DDB_TABLE2_NAME"),
])
def test_copilot_variable_names_follow_its_code(name: str, suffix: str, variable: str) -> None:
    assert naming.copilot_variable(name, suffix) == variable


def test_copilot_snake_case_matches_its_own_tests() -> None:
    # internal/pkg/template/template_functions_test.go
    assert naming.copilot_snake("usersDdbTableName") == "USERS_DDB_TABLE_NAME"
    assert naming.copilot_snake("MyDDBTableWithLSI") == "MY_DDB_TABLE_WITH_LSI"
    assert naming.copilot_snake("myBucketName") == "MY_BUCKET_NAME"


def test_a_link_injects_native_and_copilot_names() -> None:
    config = load(textwrap.dedent("""\
        data:
          orders-db: {kind: postgres, copilot_name: mycluster}
          uploads: {kind: bucket, copilot_name: my-bucket}
          events: {kind: table, partition_key: "id:S", stream: keys_only}
          cache: {kind: redis}
        """) + APP + "    link: [orders-db, uploads, events, cache]\n")
    data = config.data_in("test")  # type: ignore[attr-defined]
    assert injected_names("orders-db", data["orders-db"]) == {
        "ORDERS_DB_HOST": "host", "ORDERS_DB_PORT": "port", "ORDERS_DB_DBNAME": "dbname",
        "ORDERS_DB_USERNAME": "username", "ORDERS_DB_PASSWORD": "password", "MYCLUSTER_SECRET": "copilot"}
    # A bucket or table: also what Copilot's access-policy addon injected for an environment's one.
    assert injected_names("uploads", data["uploads"]) == {"UPLOADS_BUCKET": "name", "MYBUCKET_NAME": "copilot",
                                                          "MYBUCKET_NAME_BUCKET_NAME": "copilot"}
    assert injected_names("events", data["events"]) == {"EVENTS_TABLE": "name", "EVENTS_STREAM_ARN": "stream_arn"}
    assert injected_names("cache", data["cache"]) == {"CACHE_HOST": "host", "CACHE_PORT": "port", "CACHE_URL": "url"}


def test_from_cfn_values_and_credentials_are_read() -> None:
    config = load(APP.replace("{location: nginx}", "{location: ghcr.io/acme/web:1, credentials: "
                              "\"arn:aws:secretsmanager:us-west-2:111111111111:secret:ghcr-AbCdEf\"}") + """\
    variables: {BUCKET: {from_cfn: shop-test-uploadsBucketName}, LEVEL: info}
    secrets: {DB: {from_cfn: shop-test-dbAuroraSecret}, KEY: /shop/key}
    security_groups: [sg-0123456789abcdef0, {from_cfn: shop-test-dbSecurityGroup}]
    managed_policies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
""")
    web = config.application("test", "web")  # type: ignore[attr-defined]
    assert web.variables == {"BUCKET": FromCfn(from_cfn="shop-test-uploadsBucketName"), "LEVEL": "info"}
    assert web.secrets["DB"] == FromCfn(from_cfn="shop-test-dbAuroraSecret")
    assert web.security_groups[1] == FromCfn(from_cfn="shop-test-dbSecurityGroup")
    assert web.image.credentials.endswith("secret:ghcr-AbCdEf")


def test_the_storage_stack_sits_between_the_environment_and_the_applications_that_read_it() -> None:
    config = load(textwrap.dedent("""\
        data:
          orders: {kind: postgres}
        applications:
          web: {image: {location: nginx}, port: 80, link: [orders]}
          api: {kind: backend, image: {location: nginx}}
        """))
    graph = graphs.build(config)  # type: ignore[arg-type]
    assert graph["shop-storage/test"].depends_on == ("shop-environment/test",)
    assert "shop-storage/test" in graph["shop-web/test"].depends_on
    assert "shop-storage/test" not in graph["shop-api/test"].depends_on
    assert [s.name for s in graph.order()].index("shop-storage/test") < \
        [s.name for s in graph.order()].index("shop-web/test")


def test_no_storage_stack_without_data_or_addons() -> None:
    config = loader.loads(BASE + APP, "ecsp.yaml")
    assert not any(s.kind == "storage" for s in graphs.build(config))


CASES = [
    ("data:\n  orders: {kind: postgress}\n",
     ["ecsp.yaml:6: data.orders.kind: 'postgress' is not a kind of data; use 'postgres', 'mysql', 'redis', 'bucket', 'table' or 'secret'"]),
    ("data:\n  orders: {kind: postgres, version: '12.1'}\n",
     ["ecsp.yaml:6: data.orders.version: '12.1' is not a PostgreSQL version ecsp runs; use 13, 14, 15, 16 or 17 or a minor of one, e.g. '16.6'"]),
    ("data:\n  orders: {kind: mysql, version: '8.4'}\n",
     ["ecsp.yaml:6: data.orders.version: '8.4' is not a MySQL version ecsp runs on Aurora; use '8.0' or '8.0.mysql_aurora.3.08.0'"]),
    ("data:\n  orders: {kind: postgres, capacity: {min: 0, max: 300}}\n",
     ["ecsp.yaml:6: data.orders.capacity.max: 300 is out of range; use 1 to 256"]),
    ("data:\n  orders: {kind: postgres, capacity: {min: 0.3, max: 4}}\n",
     ["ecsp.yaml:6: data.orders.capacity.min: 0.3 ACU is not a step of 0.5; use e.g. 0.5"]),
    ("data:\n  orders: {kind: postgres, capacity: {min: 8, max: 4}}\n",
     ["ecsp.yaml:6: data.orders.capacity.min: min 8 is above max 4; lower min or raise max"]),
    ("data:\n  orders: {kind: postgres, version: '14.4', capacity: {min: 0, max: 4}}\n",
     ["ecsp.yaml:6: data.orders.capacity.min: capacity.min 0 (pause when idle) needs aurora-postgresql 13.15, 14.12, 15.7, 16.3 or later, or aurora-mysql 3.08.0 or later, and this is 14.4; use min 0.5, or a newer version"]),
    ("data:\n  orders: {kind: postgres, instance: db.t4g.micro, capacity: {min: 1, max: 2}}\n",
     ["ecsp.yaml:6: data.orders.capacity: capacity applies to Aurora Serverless v2, and instance: db.t4g.micro asks for an RDS instance; remove one of them"]),
    ("data:\n  cache: {kind: redis, engine: redis, version: '8'}\n",
     ["ecsp.yaml:6: data.cache.version: '8' is not a redis version ElastiCache Serverless runs; use '7'"]),
    ("data:\n  files: {kind: bucket, partition_key: 'id:S'}\n",
     ["ecsp.yaml:6: data.files.partition_key: partition_key is a setting of table, and this is a bucket; remove it"]),
    ("data:\n  events: {kind: table}\n",
     ["ecsp.yaml:6: data.events: a table needs its partition key; add partition_key: ATTRIBUTE:TYPE, e.g. partition_key: id:S"]),
    ("data:\n  events: {kind: table, partition_key: id}\n",
     ["ecsp.yaml:6: data.events.partition_key: 'id' is not ATTRIBUTE:TYPE; write e.g. id:S (S string, N number, B binary)"]),
    ("data:\n  key: {kind: secret}\n",
     ["ecsp.yaml:6: data.key.existing: ecsp links a secret but never creates one; give it as existing: {arn: ...}"]),
    ("data:\n  old: {kind: bucket, existing: {secret: x}}\n",
     ["ecsp.yaml:6: data.old.existing: an existing bucket needs its name; add name: ... (or name: {from_cfn: EXPORT_NAME})",
      "ecsp.yaml:6: data.old.existing.secret: an existing bucket is linked by 'name'; remove secret"]),
    ("data:\n  old: {kind: bucket, versioning: false, existing: {name: old-bucket}}\n",
     ["ecsp.yaml:6: data.old.versioning: versioning applies to a bucket ecsp creates, and this one is existing (ecsp only links it); remove it, or remove existing"]),
    ("data:\n  old: {kind: table, existing: {name: {from_cfn: '${APP}-${ENV}-oldTableName'}}}\n",
     ["ecsp.yaml:6: data.old.existing.name: '${APP}-${ENV}-oldTableName' still holds a variable; write the export's name as it is in the environment (e.g. shop-test-ordersAuroraSecret)"]),
    ("data:\n  cache: {kind: redis, copilot_name: cache}\n",
     ["ecsp.yaml:6: data.cache.copilot_name: Copilot injected no variable for a redis; remove copilot_name"]),
    ("data:\n  Orders: {kind: postgres}\n",
     ["ecsp.yaml:6: data.Orders: 'Orders' is not a valid data name; use lowercase letters, digits and single hyphens, starting with a letter, e.g. 'orders'"]),
    ("data:\n  scratch: {kind: bucket, only_in: [tset]}\n",
     ["ecsp.yaml:6: data.scratch.only_in[0]: there is no environment 'tset' (environments: test, prod); did you mean 'test'?"]),
    ("data:\n  orders: {kind: postgres}\n" + APP + "    link: [ordres]\n",
     ["ecsp.yaml:11: applications.web.link[0]: there is no data 'ordres' (data: orders); did you mean 'orders'?"]),
    ("data:\n  scratch: {kind: bucket, only_in: [test]}\n" + APP + "    link: [scratch]\n",
     ["ecsp.yaml:11: applications.web.link[0]: 'scratch' is only in 'test', and 'web' links it in 'prod'; link it only there (an override of link under environments.prod), or add 'prod' to data.scratch.only_in"]),
    ("data:\n  uploads: {kind: bucket}\n" + APP + "    link: [uploads]\n    variables: {UPLOADS_BUCKET: mine}\n",
     ["ecsp.yaml:11: applications.web.link[0]: linking 'uploads' sets UPLOADS_BUCKET, which the application also sets under variables or secrets; rename that one"]),
    ("data:\n  a: {kind: bucket, copilot_name: my-bucket}\n  b: {kind: bucket, copilot_name: mybucket}\n" + APP
     + "    link: [a, b]\n",
     ["ecsp.yaml:12: applications.web.link[1]: linking 'b' sets MYBUCKET_NAME, and so does linking 'a'; rename one of them (or its copilot_name)",
      "ecsp.yaml:12: applications.web.link[1]: linking 'b' sets MYBUCKET_NAME_BUCKET_NAME, and so does linking 'a'; rename one of them (or its copilot_name)"]),
    ("data:\n  a: {kind: bucket}\n" + APP + "    link: [a, a]\n",
     ["ecsp.yaml:11: applications.web.link[1]: 'a' is linked twice; list it once"]),
    (APP + "    variables: {BUCKET: {from_cfn: 'bad name!'}}\n",
     ["ecsp.yaml:9: applications.web.variables.BUCKET: 'bad name!' cannot be a CloudFormation export's name (it has ' ' '!'); export names are letters, digits, colons and hyphens"]),
    (APP + "    secrets: {DB: {from_cfn: x, other: y}}\n",
     ["ecsp.yaml:9: applications.web.secrets.DB: a value read from a CloudFormation export is written {from_cfn: EXPORT_NAME} (found other); remove the other keys"]),
    (APP + "    security_groups: [sg-1]\n",
     ["ecsp.yaml:9: applications.web.security_groups[0]: 'sg-1' is not a security group id; use sg- and 8 or 17 hex digits, or {from_cfn: EXPORT_NAME}"]),
    (APP + "    managed_policies: [ReadOnlyAccess]\n",
     ["ecsp.yaml:9: applications.web.managed_policies[0]: 'ReadOnlyAccess' is not an IAM managed policy ARN; use e.g. arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess or arn:aws:iam::ACCOUNT:policy/NAME"]),
    (APP.replace("{location: nginx}", "{build: ., credentials: 'arn:aws:secretsmanager:us-west-2:111111111111:secret:x-AbCdEf'}"),
     ["ecsp.yaml:7: applications.web.image.credentials: an image ecsp builds goes to the project's ECR repository, which the execution role reads already; credentials are for an image location in a private registry: remove them"]),
    (APP.replace("{location: nginx}", "{location: nginx, credentials: hub}"),
     ["ecsp.yaml:7: applications.web.image.credentials: 'hub' is not a Secrets Manager secret ARN; use arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[f"case-{i}" for i in range(len(CASES))])
def test_bad_data_is_explained(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_an_application_may_not_be_called_storage() -> None:
    assert problems("applications:\n  storage: {image: {location: nginx}, port: 80}\n") == [
        "ecsp.yaml:6: applications.storage: 'storage' is reserved for ecsp's own stacks; choose another application name"]


# -------------------------------------------------------------------------------- addons

TEMPLATE = """\
Parameters:
  App: {Type: String}
  Env: {Type: String}
  Name: {Type: String}
Resources:
  table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub ${App}-${Env}-${Name}-table
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      BillingMode: PAY_PER_REQUEST
Outputs:
  tableName:
    Value: !Ref table
"""


def _addon_project(tmp_path: Path, template: str, parameters: str | None = None) -> Path:
    folder = tmp_path / "copilot" / "web" / "addons"
    folder.mkdir(parents=True)
    (folder / "table.yml").write_text(template, encoding="utf-8")
    if parameters is not None:
        (folder / "addons.parameters.yml").write_text(parameters, encoding="utf-8")
    path = tmp_path / "ecsp.yaml"
    path.write_text(BASE + APP + "    addons: copilot/web/addons\n", encoding="utf-8")
    return path


def _load_problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loader.load(path)
    return [str(p).replace(str(path.parent) + "/", "") for p in caught.value.problems]


def test_a_valid_addon_loads(tmp_path: Path) -> None:
    loader.load(_addon_project(tmp_path, TEMPLATE))


@pytest.mark.parametrize(("template", "parameters", "expected"), [
    (TEMPLATE.replace("Outputs:", "Outputs: [\n"), None,
     ["copilot/web/addons/table.yml:16: not CloudFormation YAML or JSON: expected ',' or ']', but got ':'; fix the template (listed at ecsp.yaml:9: applications.web.addons)"]),
    ("Parameters: {App: {Type: String}}\n", None,
     ["copilot/web/addons/table.yml:1: a CloudFormation template needs a Resources section with at least one resource (listed at ecsp.yaml:9: applications.web.addons)"]),
    (TEMPLATE.replace("    Type: AWS::DynamoDB::Table\n", ""), None,
     ["copilot/web/addons/table.yml:6: resource table has no Type (e.g. Type: AWS::S3::Bucket) (listed at ecsp.yaml:9: applications.web.addons)"]),
    (TEMPLATE.replace("  Name: {Type: String}\n", ""), None,
     ["copilot/web/addons/table.yml:1: the addon templates declare no parameter Name; Copilot's contract passes App, Env, Name: add Name: {Type: String} under Parameters (listed at ecsp.yaml:9: applications.web.addons)"]),
    (TEMPLATE.replace("  Name: {Type: String}\n", "  Name: {Type: String}\n  Size: {Type: Number}\n"), None,
     ["copilot/web/addons/table.yml:5: parameter Size has no Default and there is no addons.parameters.yml; give it a Default, or a value in addons.parameters.yml (listed at ecsp.yaml:9: applications.web.addons)"]),
    (TEMPLATE.replace("  Name: {Type: String}\n", "  Name: {Type: String}\n  Service: {Type: String}\n"),
     "Parameters:\n  Service: !GetAtt Service.Name\n",
     ["copilot/web/addons/addons.parameters.yml:2: parameter Service: ecsp passes literal values, !Ref, !Join and !Sub to addons; {\"Fn::GetAtt\": [\"Service\", \"Name\"]} is none of them: write the value itself (listed at ecsp.yaml:9: applications.web.addons)"]),
    (TEMPLATE.replace("  Name: {Type: String}\n", "  Name: {Type: String}\n  Service: {Type: String}\n"),
     "Parameters:\n  Service: !Ref DiscoveryService\n",
     ["copilot/web/addons/addons.parameters.yml:2: parameter Service: ecsp cannot give !Ref DiscoveryService to an addon (it can give App, Env, Name, VPC, VPCID, EnvironmentSecurityGroup, PublicSubnets, PrivateSubnets, Cluster and PublicSubnetN/PrivateSubnetN); write the value itself (listed at ecsp.yaml:9: applications.web.addons)"]),
    (TEMPLATE, "Parameters:\n  Name: web\n",
     ["copilot/web/addons/addons.parameters.yml:2: Name is one of the parameters ecsp passes itself (App, Env, Name); remove it (listed at ecsp.yaml:9: applications.web.addons)"]),
], ids=["bad-yaml", "no-resources", "no-type", "no-name-parameter", "no-default", "getatt", "unknown-ref", "reserved"])
def test_bad_addons_are_explained(tmp_path: Path, template: str, parameters: str | None,
                                  expected: list[str]) -> None:
    assert _load_problems(_addon_project(tmp_path, template, parameters)) == expected


def test_a_missing_addon_folder_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "ecsp.yaml"
    path.write_text(BASE + APP + "    addons: copilot/web/addons\n", encoding="utf-8")
    assert _load_problems(path) == [
        "copilot/web/addons: copilot/web/addons does not exist next to ecsp.yaml; fix the path (listed at ecsp.yaml:9: applications.web.addons)"]
