"""`import copilot` of a workspace with storage and addons, written from Copilot's docs and `storage init` templates.

tests/fixtures/copilot/storage holds, rendered as `copilot storage init` renders them: a workload
DynamoDB table with a local index, a workload S3 bucket with a hyphenated name, environment
storage (a bucket, a table with a camel-case name, an Aurora Serverless v2 cluster with its
parameters file) and a workload access-policy addon for the environment bucket; plus a
hand-written addon with a parameters file, one without, `from_cfn` in variables, secrets and
security groups, and a private registry's credentials. It imports with no refusal, validates
and plans, and the applications get the variables Copilot injected.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ecsp import api
from ecsp.importer import import_copilot
from tests.paths import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "copilot" / "storage"


def imported(tmp_path: Path) -> api.Project:
    shutil.copytree(FIXTURE, tmp_path / "ws")
    result = import_copilot(tmp_path / "ws", environments=["test=us-west-2:111111111111"])
    assert result.refused == [] and [n for n in result.notes if n.level == "refuse"] == []
    (tmp_path / "ws" / "ecsp.yaml").write_text(result.text)
    return api.load(tmp_path / "ws" / "ecsp.yaml")


def test_storage_init_templates_become_data_with_copilots_names(tmp_path: Path) -> None:
    project = imported(tmp_path)
    data = project.config.data
    assert {n: (d.kind, d.copilot_name) for n, d in data.items()} == {
        "assets": ("bucket", "assets"), "envdb": ("postgres", "envdb"), "usersessions": ("table", "userSessions"),
        "mybucket": ("bucket", "mybucket"), "orders": ("table", "orders")}
    orders = data["orders"]
    assert (orders.partition_key, orders.sort_key) == ("id:S", "created:N")
    assert orders.local_indexes is not None and orders.local_indexes["status"].sort_key == "status:S"
    api_app = project.config.application("test", "api")
    assert api_app.link == ["assets", "mybucket", "orders"]
    assert api_app.image.credentials is not None
    assert project.config.applications["worker"].addons == "copilot/worker/addons"
    assert project.config.applications["reports"].addons == "copilot/reports/addons"


def test_it_plans_and_the_applications_get_copilots_variables(tmp_path: Path) -> None:
    project = imported(tmp_path)
    plan = project.plan()
    names = [s.spec.name for s in plan.stacks]
    assert "shop-storage/test" in names
    storage = plan.stack("shop-storage/test")
    stacks = [r for r in storage.resources if r.type == "aws:cloudformation/stack:Stack"]
    assert sorted(r.inputs["name"] for r in stacks) == ["shop-test-reports-addons", "shop-test-worker-addons"]

    def container(stack: str) -> dict[str, dict[str, str]]:
        definition = next(r for r in plan.stack(stack).resources if r.type == "aws:ecs/taskDefinition:TaskDefinition")
        main = json.loads(definition.inputs["containerDefinitions"])[0]
        return {"env": {e["name"]: e["value"] for e in main["environment"]},
                "secrets": {s["name"]: s["valueFrom"] for s in main.get("secrets", [])}}

    api_container = container("shop-api/test")
    # What Copilot injected: <name>Name snake-cased, and the environment bucket's access-policy output.
    assert {"ORDERS_NAME", "MYBUCKET_NAME", "ASSETS_NAME_BUCKET_NAME", "SESSIONS_TABLE"} <= set(api_container["env"])
    assert "DB_SECRET" in api_container["secrets"]
    worker = container("shop-worker/test")
    assert "EVENTS_TOPIC_ARN" in worker["env"] and "SIGNING_KEY" in worker["secrets"]
    reports = container("shop-reports/test")
    assert {"REPORTS_QUEUE_URL", "REPORTS_BUCKET"} <= set(reports["env"])
