"""`ecsp status` and `ecsp show` list the data with its state and endpoint, read live (moto's server).

Moto has no ElastiCache Serverless, so a managed cache's reader is tested with botocore's
Stubber on the same client calls; everything else goes through moto's server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from ecsp import api, cli, loader, naming
from ecsp.ops import data as data_ops
from ecsp.ops import open_sessions
from tests import ops_support as aws

moto = aws.moto  # fixture

CONFIG = """\
project: {name: shop, region: us-east-1}
environments:
  test: {region: us-east-1}
data:
  orders: {kind: postgres}
  legacy: {kind: mysql, instance: db.t4g.micro}
  uploads: {kind: bucket}
  events: {kind: table, partition_key: "id:S"}
  assets: {kind: bucket, existing: {name: {from_cfn: shop-test-assetsBucketName}}}
  sessions: {kind: redis, existing: {host: sessions.abc.cache.amazonaws.com}}
  stripe: {kind: secret, existing: {arn: stripe-key}}
  audit: {kind: table, partition_key: "id:S"}
applications:
  web: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 80, path: /, link: [orders, uploads]}
  api: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 8080, path: /api, link: [events]}
"""
# An export of Copilot's environment addon, as `copilot storage init -l environment` made it.
EXPORTING = """\
Resources:
  assets:
    Type: AWS::S3::Bucket
    Properties: {BucketName: shop-test-assets-copilot}
Outputs:
  assetsName:
    Value: !Ref assets
    Export: {Name: shop-test-assetsBucketName}
"""


@pytest.fixture
def project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: str) -> Path:
    path = tmp_path / "ecsp.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("ECSP_LOCAL_ENDPOINT", moto)
    monkeypatch.setenv("COLUMNS", "250")
    return path


def deploy_data(endpoint: str) -> None:
    """What the storage stack creates (all but `audit`), and what Copilot left: an export and a secret."""
    names = {n: naming.DataNames("shop", "test", n) for n in ("orders", "legacy", "uploads", "events")}
    rds = aws.client(endpoint, "rds")
    rds.create_db_cluster(DBClusterIdentifier=names["orders"].database, Engine="aurora-postgresql",
                          MasterUsername="postgres", MasterUserPassword="not-a-real-one", Port=5432)
    rds.create_db_instance(DBInstanceIdentifier=names["legacy"].database, Engine="mysql",
                           DBInstanceClass="db.t4g.micro", MasterUsername="admin", MasterUserPassword="not-real-1",
                           AllocatedStorage=20)
    aws.client(endpoint, "s3").create_bucket(Bucket=f"{names['uploads'].bucket}-0a1b2c3")
    aws.client(endpoint, "dynamodb").create_table(
        TableName=names["events"].table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    aws.client(endpoint, "cloudformation").create_stack(StackName="shop-test-AddonsStack", TemplateBody=EXPORTING)
    aws.client(endpoint, "secretsmanager").create_secret(Name="stripe-key", SecretString="sk_test")


def test_status_json_lists_each_data_entry_with_its_state_and_endpoint(
        moto: str, project_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deploy_data(moto)
    assert cli.main(["status", "-f", str(project_file), "--local", "--json"]) == 0
    found = {d["name"]: d for d in json.loads(capsys.readouterr().out)["data"]}
    assert list(found) == ["orders", "legacy", "uploads", "events", "assets", "sessions", "stripe", "audit"]
    orders = found["orders"]
    assert (orders["kind"], orders["managed"], orders["state"], orders["resource"]) == (
        "postgres", True, "available", "shop-test-orders")
    assert orders["endpoint"].endswith(":5432") and "shop-test-orders" in orders["endpoint"]
    assert found["legacy"]["state"] == "available" and found["legacy"]["endpoint"].endswith(":3306")
    assert found["uploads"]["resource"] == "shop-test-uploads-0a1b2c3"
    assert found["uploads"]["endpoint"] == "s3://shop-test-uploads-0a1b2c3"
    assert found["events"]["state"] == "active" and found["events"]["endpoint"].startswith("arn:aws:dynamodb:")
    # Existing data: found by what ecsp.yaml names, an export read through its value.
    assert (found["assets"]["state"], found["assets"]["resource"]) == ("existing", "shop-test-assets-copilot")
    assert found["sessions"]["endpoint"] == "sessions.abc.cache.amazonaws.com:6379"
    assert found["stripe"]["state"] == "existing" and found["stripe"]["resource"].startswith(
        "arn:aws:secretsmanager:us-east-1:")
    assert found["audit"]["state"] == "not deployed" and found["audit"]["hint"] == "run `ecsp up --local --env test`"


def test_status_of_one_application_lists_the_data_it_links(moto: str, project_file: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    deploy_data(moto)
    assert cli.main(["status", "-f", str(project_file), "--local", "--json", "--app", "web"]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)["data"]] == ["orders", "uploads"]


def test_show_has_a_data_table_and_whole_endpoints(moto: str, project_file: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    deploy_data(moto)
    assert cli.main(["show", "-f", str(project_file), "--local"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "data")
    rows = {line.split("│")[2].strip(): line for line in lines[start:] if line.startswith("│ test ")}
    assert "available" in rows["orders"] and "postgres" in rows["orders"]
    assert "bucket (existing)" in rows["assets"] and "existing" in rows["assets"]
    assert "not deployed" in rows["audit"]
    assert "  test/uploads  s3://shop-test-uploads-0a1b2c3" in lines
    assert "  test/audit  hint: run `ecsp up --local --env test`" in lines


def test_an_existing_entry_aws_does_not_know_says_so(moto: str, project_file: Path) -> None:
    # Nothing deployed: the export is not there, nor the secret.
    project = api.load(project_file)
    with open_sessions(project.config, project.root, local=True) as sessions:
        states = {s.name: s for s in data_ops.data_states(project.config, sessions)}
    assert states["assets"].state == "not deployed" and "check existing:" in (states["assets"].hint or "")
    assert states["stripe"].state == "not deployed"
    assert states["orders"].hint == "run `ecsp up --local --env test`"


class _StubbedSessions:
    """Sessions whose ElastiCache client is stubbed (moto has no ElastiCache Serverless)."""

    local = None

    def __init__(self, client: Any) -> None:
        self._client = client

    def client(self, env: str, service: str) -> Any:
        assert service == "elasticache"
        return self._client

    def where(self, env: str) -> Any:
        from ecsp.aws import Where

        return Where(env, "us-east-1")


def test_a_managed_cache_shows_its_serverless_state_and_endpoint() -> None:
    config = loader.loads("project: {name: shop, region: us-east-1}\nenvironments:\n  test: {region: us-east-1}\n"
                          "data:\n  sessions: {kind: redis}\n", "ecsp.yaml")
    client = boto3.client("elasticache", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("describe_serverless_caches", {"ServerlessCaches": [{
        "ServerlessCacheName": "shop-test-sessions", "Status": "available",
        "Endpoint": {"Address": "shop-test-sessions-abc.serverless.use1.cache.amazonaws.com", "Port": 6379}}]},
        {"ServerlessCacheName": "shop-test-sessions"})
    stub.add_client_error("describe_serverless_caches", "ServerlessCacheNotFoundFault", http_status_code=404)
    with stub:
        first = data_ops.data_states(config, _StubbedSessions(client))  # type: ignore[arg-type]
        gone = data_ops.data_states(config, _StubbedSessions(client))  # type: ignore[arg-type]
    assert (first[0].state, first[0].endpoint) == (
        "available", "shop-test-sessions-abc.serverless.use1.cache.amazonaws.com:6379")
    assert gone[0].state == "not deployed"
