"""Pulumi-native features with the real engine and the stand-in provider (marked ``pulumi``): transforms.

Same set-up as ``tests/test_real_engine.py`` (its project copies, runs and stand-in plugins):
the real ``pulumi`` CLI, a file backend, no AWS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)
from tests.test_real_engine import Project, copy_example, pulumi_home  # noqa: F401 (the fixture)
from tests.test_transforms import TWEAKS, readme_recipes, with_transforms

pytestmark = MARKS


def checkpoint(project: Project, pulumi_project: str, stack: str) -> list[dict[str, Any]]:
    """The resources the state backend holds for one stack."""
    path = project.folder / ".ecsp" / "state" / ".pulumi" / "stacks" / pulumi_project / f"{stack}.json"
    return list(json.loads(path.read_text(encoding="utf-8"))["checkpoint"]["latest"]["resources"])


def hello_with_tweaks(tmp_path: Path, pulumi_home: Path, *refs: str) -> Project:  # noqa: F811
    folder = copy_example("hello", tmp_path)
    (folder / "tweaks.py").write_text(TWEAKS, encoding="utf-8")
    with_transforms(folder, *refs)
    return Project(folder, pulumi_home)


def test_transforms_of_ecsp_yaml_run_in_the_real_engine(tmp_path: Path, pulumi_home: Path) -> None:  # noqa: F811
    """The engine runs the transforms on every registration: their properties are what it deploys."""
    hello = hello_with_tweaks(tmp_path, pulumi_home, "readme:cost_center", "readme:nofile_limit", "tweaks:two_tasks")
    (hello.folder / "readme.py").write_text(readme_recipes()[1], encoding="utf-8")
    up = hello.run("up", "--progress", "json")
    assert up.code == 0, up
    resources = checkpoint(hello, "hello-web", "test")
    [service] = [r for r in resources if r["type"] == "aws:ecs/service:Service"]
    assert service["inputs"]["desiredCount"] == 2, service
    [task] = [r for r in resources if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"]
    assert json.loads(task["inputs"]["containerDefinitions"])[0]["ulimits"] == [
        {"name": "nofile", "softLimit": 65536, "hardLimit": 65536}], task
    providers = [r for r in checkpoint(hello, "hello-environment", "test") if r["type"] == "pulumi:providers:aws"]
    assert providers and all(json.loads(p["inputs"]["defaultTags"])["tags"]["cost-center"] == "cc-test"
                             for p in providers), providers

    # A transform that raises fails its stack with the function's name and the resource; the others run.
    file = hello.file
    file.write_text(file.read_text().replace("tweaks:two_tasks", "tweaks:broken"))
    # (the README's recipes stay listed: a failing transform does not stop the others' stacks)
    failed = hello.run("preview", "--progress", "json")
    assert failed.code == 1, failed
    stacks = failed.stacks()
    assert stacks["hello-web/test"]["status"] == "failed", failed
    text = json.dumps(stacks["hello-web/test"])
    assert "transform tweaks:broken failed on aws:ecs/service:Service 'web' in hello-web/test: KeyError" in text, text
    assert stacks["hello-environment/test"]["status"] == "succeeded", failed
