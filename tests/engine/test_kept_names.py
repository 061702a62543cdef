"""`plan` names what a stack deployed before ecsp marked its names keeps (read from a file backend's checkpoint).

The checkpoint here is written as `pulumi stack export` shapes it (version 3, resources with
their URN, type, inputs and outputs), holding the names the earlier ecsp gave; the upgrade
itself, with the real engine, is tests/engine/test_upgrade_names.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import ecsp
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
