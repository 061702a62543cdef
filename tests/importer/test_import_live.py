"""`ecsp import copilot --from-aws` against a live Copilot application in moto's server.

The application (tests/copilot_live.py) has Copilot's SSM parameters, an environment stack
with its managed VPC, outputs and exports, a load balancer with an HTTPS listener and its
certificate, and service stacks, one with an addon stack holding a table and a bucket. The
written ecsp.yaml runs beside it: in its VPC, with its certificates and host names, and the
report says what is reused, what is new and what stays Copilot's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ecsp
from ecsp.importer import import_copilot
from ecsp.importer.live import read_stacks
from tests import copilot_live
from tests.ops_support import moto_endpoint, reset
from tests.paths import ROOT

MANIFESTS = {
    ".workspace": "application: shop\n",
    "environments/test/manifest.yml": "name: test\ntype: Environment\nobservability:\n  container_insights: false\n",
    "api/manifest.yml": """\
name: api
type: Load Balanced Web Service
image:
  location: public.ecr.aws/docker/library/python:3.12-slim
  port: 8080
http:
  path: api
  alias: api.example.com
variables:
  TABLE: ${COPILOT_APPLICATION_NAME}-${COPILOT_ENVIRONMENT_NAME}-api-orders
""",
    "web/manifest.yml": """\
name: web
type: Load Balanced Web Service
image:
  location: public.ecr.aws/nginx/nginx:stable
  port: 80
http:
  path: /
""",
}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    found = moto_endpoint()
    reset(found)
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield found


def workspace(folder: Path) -> Path:
    for name, text in MANIFESTS.items():
        (folder / "copilot" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "copilot" / name).write_text(text)
    return folder


def test_the_stacks_are_read_with_their_outputs_exports_and_addons(endpoint: str) -> None:
    envs = copilot_live.create(endpoint)
    live = read_stacks("shop", {"us-west-2": None}, endpoint_url=endpoint)
    env = live.environment("test")
    assert env is not None and env.kind == "environment"
    assert env.outputs["VpcId"] == envs["test"].vpc and env.exports["shop-test-VpcId"] == envs["test"].vpc
    assert live.load_balancers["test"].certificates == (envs["test"].certificate,)
    api = live.workload("test", "api")
    assert api is not None and [s.kind for s in live.nested(api)] == ["addons"]
    addons = live.nested(api)[0]
    assert sorted((r.type, r.physical) for r in addons.data()) == [
        ("AWS::DynamoDB::Table", "shop-test-api-orders"), ("AWS::S3::Bucket", "shop-test-api-uploads")]
    assert addons.exports == {"shop-test-ordersTableName": "shop-test-api-orders"}
    assert live.nested(live.workload("test", "web")) == []  # type: ignore[arg-type]


def test_the_import_runs_beside_copilot_in_its_vpc_with_its_certificates_and_names(endpoint: str,
                                                                                  tmp_path: Path) -> None:
    envs = copilot_live.create(endpoint)
    result = import_copilot(workspace(tmp_path), from_aws=True, region="us-west-2", endpoint_url=endpoint)
    test = result.document["environments"]["test"]
    assert test["network"] == {"vpc": {"id": envs["test"].vpc, "public_subnets": envs["test"].public_subnets,
                                       "private_subnets": envs["test"].private_subnets}}
    assert test["certificates"] == [envs["test"].certificate]
    # Copilot's domain is not ecsp's (its zones would be Copilot's zones): its host names stay, as aliases.
    assert "domain" not in result.document["project"]
    apps = result.document["applications"]
    assert apps["api"]["aliases"] == ["api.test.shop.example.com", "api.example.com"]
    assert apps["web"]["aliases"] == ["web.test.shop.example.com"]
    assert result.complete, result.incomplete_because()
    report = "\n".join(result.report)
    assert f"test: VPC {envs['test'].vpc} and subnets" in report
    assert f"test: certificate {envs['test'].certificate}" in report
    assert "api in test: table shop-test-api-orders, bucket shop-test-api-uploads (addon stack shop-test-api-Add" \
           in report and "exports shop-test-ordersTableName" in report
    assert "stacks shop-test, shop-test-api, shop-test-web" in report
    # The file is one ecsp can plan: in Copilot's VPC, with no VPC of its own.
    (tmp_path / "ecsp.yaml").write_text(result.text)
    plan = ecsp.load(str(tmp_path / "ecsp.yaml")).plan()
    environment = plan.stack("shop-environment/test")
    assert not [r for r in environment.resources if r.type == "aws:ec2/vpc:Vpc"]


def test_without_the_environment_stack_the_manifest_decides(endpoint: str, tmp_path: Path) -> None:
    copilot_live.create(endpoint, environments={"prod": "us-west-2"})
    (tmp_path / "copilot" / "environments" / "test").mkdir(parents=True)
    result = import_copilot(workspace(tmp_path), from_aws=True, region="us-west-2", endpoint_url=endpoint,
                            environments=["test=us-west-2"])
    # test is in the workspace but was never deployed: ecsp creates its VPC, and Copilot has no names there.
    assert "network" not in result.document["environments"]["test"]
    assert "vpc" in result.document["environments"]["prod"]["network"]
    assert "aliases" not in result.document["applications"]["web"].get("environments", {}).get("test", {})


def test_storage_of_the_live_stacks_is_linked_not_created_again(endpoint: str, tmp_path: Path) -> None:
    # The api service's addons folder holds what `copilot storage init -t DynamoDB -n orders` wrote, and
    # Copilot's live addon stack holds that table: ecsp links it (existing:), so its data stays in use.
    copilot_live.create(endpoint)
    workspace(tmp_path)
    addons = tmp_path / "copilot" / "api" / "addons"
    addons.mkdir()
    fixture = ROOT / "tests" / "fixtures" / "copilot" / "storage" / "copilot" / "api" / "addons" / "orders.yml"
    (addons / "orders.yml").write_text(fixture.read_text())
    result = import_copilot(tmp_path, from_aws=True, region="us-west-2", endpoint_url=endpoint)
    assert result.document["data"] == {"orders": {"kind": "table", "copilot_name": "orders", "environments": {
        "test": {"existing": {"name": "shop-test-api-orders"}}}}}
    assert result.document["applications"]["api"]["link"] == ["orders"]
    assert any("Copilot's live resource in each environment" in n.message for n in result.notes)
    assert result.complete, result.incomplete_because()
    (tmp_path / "ecsp.yaml").write_text(result.text)
    project = ecsp.load(str(tmp_path / "ecsp.yaml"))
    assert not project.config.data_in("test")["orders"].managed
    plan = project.plan()
    storage = plan.stack("shop-storage/test")
    assert not [r for r in storage.resources if r.type == "aws:dynamodb/table:Table"]  # linked, never created
    # Without --from-aws the same folder is data ecsp creates anew (with a note saying so).
    offline = import_copilot(tmp_path, environments=["test=us-west-2:111111111111"], output=tmp_path / "o.yaml")
    assert offline.document["data"]["orders"]["partition_key"] == "id:S"
