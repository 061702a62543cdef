"""An addon stack and `from_cfn` with the real pulumi engine and the stand-in provider (marked ``pulumi``).

Under Pulumi's mocks (tests/stacks/test_stack_storage.py) the programs are checked resource by resource;
here the real engine runs them: the storage stack creates the addon's CloudFormation stack, the
application reads its outputs through a StackReference and a CloudFormation export through the
provider's ``getExport`` invoke, and both reach the task definition in the state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ecsp import mocks
from tests.engine.test_real_engine import Project
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS

TEXT = """\
project: {name: shop, region: us-east-1}
environments: {test: {region: us-east-1}}
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    variables: {BUCKET_NAME: {from_cfn: shop-test-uploadsBucketName}, LEVEL: info}
    addons: addons/web
"""
ADDON = """\
Parameters:
  App: {Type: String}
  Env: {Type: String}
  Name: {Type: String}
Resources:
  ordersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub ${App}-${Env}-${Name}-orders
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  apiKey:
    Type: AWS::SecretsManager::Secret
    Properties: {GenerateSecretString: {PasswordLength: 32}}
Outputs:
  ordersTableName: {Value: !Ref ordersTable}
  apiKeySecret: {Value: !Ref apiKey}
"""


def resources(folder: Path, stack: str) -> list[dict[str, Any]]:
    project, name = stack.split("/")
    checkpoint = json.loads((folder / ".ecsp" / "state" / ".pulumi" / "stacks" / project / f"{name}.json").read_text())
    return list(checkpoint["checkpoint"]["latest"]["resources"])


def test_an_addon_stack_and_an_export_reach_the_task_definition(tmp_path: Path, pulumi_home: Path) -> None:
    folder = tmp_path / "shop"
    (folder / "addons" / "web").mkdir(parents=True)
    (folder / "addons" / "web" / "orders.yml").write_text(ADDON)
    project = Project(folder, pulumi_home)
    project.file.write_text(TEXT)

    run = project.run("up", "--progress", "json")
    assert run.code == 0, run
    assert {s["stack"]: s["status"] for s in run.result()["stacks"]}["shop-storage/test"] == "succeeded", run

    stack = next(r for r in resources(folder, "shop-storage/test") if r["type"] == "aws:cloudformation/stack:Stack")
    assert stack["inputs"]["name"] == "shop-test-web-addons" and stack.get("retainOnDelete") is True
    assert stack["inputs"]["parameters"] == {"App": "shop", "Env": "test", "Name": "web"}

    task = next(r for r in resources(folder, "shop-web/test") if r["type"] == "aws:ecs/taskDefinition:TaskDefinition")
    container = json.loads(task["inputs"]["containerDefinitions"])[0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert env["BUCKET_NAME"] == mocks.export_value("shop-test-uploadsBucketName", "us-east-1", mocks.DEFAULT_ACCOUNT)
    assert env["LEVEL"] == "info"
    assert env["ORDERS_TABLE_NAME"] == stack["outputs"]["outputs"]["ordersTableName"]
    assert secrets["API_KEY_SECRET"] == stack["outputs"]["outputs"]["apiKeySecret"]
