"""`import copilot` of a workspace with the variety real teams have, written from Copilot's docs and templates.

tests/fixtures/copilot/storage-variety (application market) holds: environment addons mixing a
`storage init` bucket with a hand-written queue (so deployed as they are, exports included), an
environment override, no manifest for prod; a web service whose addons are a workload Aurora
Serverless v2 MySQL cluster, the access policy of the environment bucket and a README; a service
with a hyphenated name holding an Aurora Serverless v1 cluster and a table named like another
service's (`events`, in a .yaml file); a job with a hand-written addon, a parameters file and a
stray .json Copilot never read; a service with an empty addons folder and security groups from
an export. It imports with no refusal, validates and plans, with Copilot's variables.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from ecsp import api
from ecsp.importer import ImportResult, import_copilot
from tests.paths import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "copilot" / "storage-variety"
ENVIRONMENTS = ["test=us-west-2:111111111111", "prod=us-east-1:222222222222"]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportResult, api.Project]:
    root = tmp_path_factory.mktemp("variety") / "ws"
    shutil.copytree(FIXTURE, root)
    result = import_copilot(root, environments=ENVIRONMENTS)
    (root / "ecsp.yaml").write_text(result.text)
    return result, api.load(root / "ecsp.yaml")


def messages(result: ImportResult, level: str) -> list[str]:
    return [n.message for n in result.notes if n.level == level]


def test_it_imports_with_no_refusal(imported: tuple[ImportResult, api.Project]) -> None:
    result, _ = imported
    assert result.refused == [] and messages(result, "refuse") == []
    # The environment override is only worth a look: ecsp builds environments its own way. The other
    # warnings say what changes at run time, one per workload (Copilot's variables and .local names).
    runtime = [n for n in result.notes if n.field == "runtime" and n.level == "warn"]
    assert [n.message for n in result.notes if n.level == "warn" and n not in runtime] == [
        "copilot/environments/overrides/cfn.patches.yml patched every environment's template; ecsp builds its "
        "environments its own way: check what it changed"]
    assert len({n.where for n in runtime}) == len(result.applications)


def test_storage_named_alike_in_two_services_becomes_two_entries(imported: tuple[ImportResult, api.Project]) -> None:
    result, project = imported
    data = project.config.data
    assert {n: (d.kind, d.copilot_name) for n, d in data.items()} == {
        "events": ("table", "events"), "orders-api-events": ("table", "events"), "ordersdb": ("postgres", "ordersdb")}
    assert (data["events"].partition_key, data["events"].sort_key) == ("id:S", "created:N")
    assert (data["orders-api-events"].partition_key, data["orders-api-events"].sort_key) == ("id:S", None)
    assert project.config.application("test", "billing").link == ["events"]
    assert project.config.application("test", "orders-api").link == ["orders-api-events", "ordersdb"]
    # Aurora Serverless v1: the database and its initial name come along, on Serverless v2.
    assert data["ordersdb"].database == "orders" and data["ordersdb"].aurora
    assert any("Aurora Serverless v1 cluster, which AWS retired" in m for m in messages(result, "note"))


def test_a_folder_mixing_storage_and_hand_written_templates_is_deployed_as_it_is(
        imported: tuple[ImportResult, api.Project]) -> None:
    result, project = imported
    assert project.config.addons == "copilot/environments/addons"
    exports = next(m for m in messages(result, "note") if "exports ${App}-${Env}-" in m)
    assert exports.startswith("copilot/environments/addons exports ${App}-${Env}-jobsQueueUrl, "
                              "${App}-${Env}-jobsQueueArn, ${App}-${Env}-mediaBucketName, "
                              "${App}-${Env}-mediaBucketARN, which Copilot's stack exports too")
    # The access policy of environment storage deployed as it is imports that stack's exports: so the
    # catalog's folder goes as it is too, its Aurora cluster with it (no link to data that is not there).
    catalog = project.config.application("test", "catalog")
    assert catalog.addons == "copilot/catalog/addons" and catalog.link == []


def test_it_plans_with_copilots_routing(imported: tuple[ImportResult, api.Project]) -> None:
    _, project = imported
    plan = project.plan(cache=False)
    stacks = {r.inputs["name"]: r.inputs for r in plan.stack("market-storage/test").resources
              if r.type == "aws:cloudformation/stack:Stack"}
    assert sorted(stacks) == ["market-test-addons", "market-test-catalog-addons", "market-test-nightly-addons"]
    catalog_stack = stacks["market-test-catalog-addons"]
    body = json.loads(catalog_stack["templateBody"])
    # Copilot's environment exports the Aurora template imported are ecsp's own environment here.
    assert catalog_stack["parameters"]["EcspEnvironmentVpcId"].startswith("vpc-")
    assert "-VpcId" not in json.dumps(body) and "-PrivateSubnets" not in json.dumps(body)
    assert "${App}-${Env}-mediaBucketName" in json.dumps(body)  # the environment addon's export stays an import
    assert stacks["market-test-nightly-addons"]["parameters"]["ExportBucket"] == "market-exports"
    nightly_body = json.loads(stacks["market-test-nightly-addons"]["templateBody"])
    assert list(nightly_body["Resources"]) == ["ExportWriterPolicy"]  # not the stray .json's topic

    def container(stack: str) -> dict[str, Any]:
        definition = next(r for r in plan.stack(stack).resources if r.type == "aws:ecs/taskDefinition:TaskDefinition")
        main = json.loads(definition.inputs["containerDefinitions"])[0]
        return {"env": {e["name"] for e in main["environment"]},
                "secrets": {s["name"] for s in main.get("secrets", [])}}

    assert {"EVENTS_NAME"} <= container("market-billing/test")["env"]
    orders = container("market-orders-api/test")
    assert "EVENTS_NAME" in orders["env"] and "ORDERSDB_SECRET" in orders["secrets"]
    catalog = container("market-catalog/test")
    assert "CATALOGDB_SECRET" in catalog["secrets"] and {"MEDIA_NAME_BUCKET_NAME", "JOBS_QUEUE_URL"} <= catalog["env"]
    attached = [r for r in plan.stack("market-nightly/test").resources
                if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and "ExportWriterPolicy" in r.name]
    assert len(attached) == 1
    search = next(r for r in plan.stack("market-search/test").resources if r.type == "aws:ecs/service:Service")
    assert "sg-0123456789abcdef0" in search.inputs["networkConfiguration"]["securityGroups"]
