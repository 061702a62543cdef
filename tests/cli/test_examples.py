"""Every example validates and plans; the plan has the documented JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecsp import api, loader
from ecsp.cli import main
from tests.paths import EXAMPLE_FILES, ROOT


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.parent.name)
def test_example_validates_and_plans(path: Path) -> None:
    project = api.load(path)
    plan = project.plan()
    names = [s.spec.name for s in plan.stacks]
    assert names[0] == f"{project.name}-project/global"
    config = project.config
    storage = sum(config.has_storage(env) for env in config.environments)
    expected = 1 + len(config.environments) * (1 + len(config.applications)) + storage
    assert len(names) == expected
    for stack in plan.stacks:
        assert stack.resources, stack.spec.name


def test_plan_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    hello = next(p for p in EXAMPLE_FILES if p.parent.name == "hello")
    assert main(["plan", "-f", str(hello), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["project"] == "hello"
    kinds = [s["kind"] for s in doc["stacks"]]
    assert kinds == ["project", "environment", "application"]
    app = doc["stacks"][2]
    assert app["environment"] == "test" and app["application"] == "web"
    assert app["depends_on"] == ["hello-environment/test", "hello-project/global"]
    for stack in doc["stacks"]:
        # "cached": when the plan cache (.ecsp/plans) had it from an earlier run of the same code;
        # "notes": what the plan says about the stack beyond its resources (ecsp.notes).
        assert set(stack) - {"cached", "notes"} == {"name", "kind", "environment", "application", "depends_on",
                                                    "resources", "outputs"}
        for r in stack["resources"]:
            assert set(r) == {"type", "name", "parent", "inputs"}


def test_the_readme_kinds_example_is_valid() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Application kinds", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    head = ("project: {name: shop, region: us-west-2}\n"
            "environments:\n  test: {region: us-west-2, container_insights: true}\n")
    config = loader.loads(head + block)
    assert [config.applications[a].kind for a in config.applications] == ["web", "backend", "worker", "job"]
