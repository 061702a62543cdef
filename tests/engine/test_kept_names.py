"""`plan` names what a stack deployed before ecsp marked its names keeps (read from a file backend's checkpoint).

The checkpoint here is written as `pulumi stack export` shapes it (version 3, resources with
their URN, type, inputs and outputs), holding the names the earlier ecsp gave; the upgrade
itself, with the real engine, is tests/engine/test_upgrade_names.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import ecsp
from ecsp import naming
from ecsp.kept_names import kept_name_notes
from ecsp.planner import PlannedResource, PlannedStack

CONFIG = """\
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
applications:
  web: {image: {build: .}, port: 80, publish: [created]}
"""


def checkpoint(root: Path, stack: str, resources: list[dict[str, object]]) -> None:
    path = root / ".ecsp" / "state" / ".pulumi" / "stacks" / f"{stack}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 3, "checkpoint": {"latest": {"resources": resources}}}))


def resource(project: str, stack: str, type_: str, logical: str, name: str) -> dict[str, object]:
    """A resource of the checkpoint, deployed with the physical ``name``."""
    return {"urn": f"urn:pulumi:{stack}::{project}::{type_}::{logical}", "type": type_, "inputs": {"name": name},
            "outputs": {"name": name}}


def test_plan_notes_the_names_deployed_stacks_keep(tmp_path: Path) -> None:
    (tmp_path / "ecsp.yaml").write_text(CONFIG)
    (tmp_path / "Dockerfile").write_text("FROM nginx\n")
    project = ecsp.load(str(tmp_path / "ecsp.yaml"))
    first = project.plan()
    repository = next(r for r in first.stack("shop-project/global").resources
                      if r.type == "aws:ecr/repository:Repository")
    topic = next(r for r in first.stack("shop-web/test").resources if r.type == "aws:sns/topic:Topic")
    # Nothing deployed: nothing kept (the project stack's other note says its roles wear a boundary).
    assert [n for n in first.stack("shop-project/global").notes if "keeps its name" in n] == []
    checkpoint(tmp_path, "shop-project/global", [resource("shop-project", "global", repository.type, repository.name,
                                                          "shop/web")])
    checkpoint(tmp_path, "shop-web/test", [resource("shop-web", "test", topic.type, topic.name,
                                                    "shop-test-web-created")])
    plan = project.plan()
    assert [n for n in plan.stack("shop-project/global").notes if "keeps its name" in n] == [
        "ECR repository shop/web keeps its name: it was deployed before ecsp marked its names, and renaming it "
        "would replace it; a new stack gets ecsp/shop/web"]
    notes = plan.stack("shop-web/test").notes
    assert any(n.startswith("SNS topic shop-test-web-created keeps its name") for n in notes)


def test_a_name_deployed_as_planned_or_of_a_kind_never_renamed_says_nothing() -> None:
    planned = PlannedStack(spec=None, resources=[  # type: ignore[arg-type]
        PlannedResource("aws:ecr/repository:Repository", "web", None, {"name": "ecsp/shop/web"}),
        PlannedResource("aws:cloudwatch/logGroup:LogGroup", "logs", None, {"name": "/ecsp/shop-test-web"})])
    deployed = [{"urn": "urn:pulumi:s::p::aws:ecr/repository:Repository::web", "type": "aws:ecr/repository:Repository",
                 "outputs": {"name": "ecsp/shop/web"}},
                {"urn": "urn:pulumi:s::p::aws:cloudwatch/logGroup:LogGroup::logs",
                 "type": "aws:cloudwatch/logGroup:LogGroup", "outputs": {"name": "/old/name"}}]
    assert kept_name_notes(planned, deployed) == []


DATA_CONFIG = """\
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
data:
  events: {kind: table, partition_key: "id:S"}
  ledger: {kind: postgres}
  legacy: {kind: mysql, instance: db.t4g.micro}
  sessions: {kind: redis}
applications:
  web: {image: {location: nginx}, port: 80, link: [events, ledger, legacy, sessions], addons: addons}
"""
ADDON = """\
Parameters: {App: {Type: String}, Env: {Type: String}, Name: {Type: String}}
Resources: {notesBucket: {Type: AWS::S3::Bucket}}
Outputs: {notesName: {Value: !Ref notesBucket}}
"""
# The storage stack as ecsp deployed it before its data kinds joined the name check: by (type, logical
# name), the physical name AWS holds. Written out, not computed, so a renaming ecsp fails here.
DEPLOYED_DATA = {
    ("aws:dynamodb/table:Table", "events"): "shop-test-events",
    ("aws:rds/cluster:Cluster", "ledger"): "shop-test-ledger",
    ("aws:rds/clusterInstance:ClusterInstance", "ledger"): "shop-test-ledger-1",
    ("aws:rds/subnetGroup:SubnetGroup", "ledger"): "shop-test-ledger",
    ("aws:rds/instance:Instance", "legacy"): "shop-test-legacy",
    ("aws:rds/subnetGroup:SubnetGroup", "legacy"): "shop-test-legacy",
    ("aws:elasticache/serverlessCache:ServerlessCache", "sessions"): "shop-test-sessions",
    ("aws:cloudformation/stack:Stack", "web-addons"): "shop-test-web-addons",
}


def test_deployed_data_keeps_its_name_so_nothing_replaces_it(tmp_path: Path) -> None:
    (tmp_path / "addons").mkdir()
    (tmp_path / "addons" / "notes.yml").write_text(ADDON)
    (tmp_path / "ecsp.yaml").write_text(DATA_CONFIG)
    deployed = []
    for (type_, logical), name in DEPLOYED_DATA.items():
        kind = naming.named_kind(type_)
        assert kind is not None and kind.holds_data and not kind.kept, type_
        deployed.append({"urn": f"urn:pulumi:test::shop-storage::{type_}::{logical}", "type": type_,
                         "inputs": {kind.name_input: name}, "outputs": {kind.name_input: name}})
    checkpoint(tmp_path, "shop-storage/test", deployed)
    stack = ecsp.load(str(tmp_path / "ecsp.yaml")).plan().stack("shop-storage/test")
    planned = {}
    for resource in stack.resources:
        kind = naming.named_kind(resource.type)
        if kind is not None and kind.holds_data:
            planned[(resource.type, resource.name)] = resource.inputs[kind.name_input]
    # Every data resource of the plan, under the name it was deployed with: Pulumi sees no change of
    # name, so it replaces none of them (a new name would create an empty table or database).
    assert planned == DEPLOYED_DATA
    assert [n for n in stack.notes if "keeps its name" in n] == []
    assert kept_name_notes(stack, deployed) == []
