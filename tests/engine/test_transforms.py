"""User resource transforms (``transforms:`` in ecsp.yaml, ``ecsp.load(..., transforms=)``) under Pulumi's mocks.

The real engine runs them too: ``tests/test_native_real_engine.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pulumi
import pytest

import ecsp
from ecsp.cli import main
from ecsp.errors import ConfigError
from ecsp.transforms import TransformArgs, TransformError
from tests.paths import ROOT

TWEAKS = '''\
"""Transforms of a test project."""

import json


def cost_center(resource):
    """A tag on every AWS resource: the AWS providers' default tags (the README's recipe)."""
    if resource.type == "pulumi:providers:aws":
        default = json.loads(resource.props.get("defaultTags") or "{}")
        default.setdefault("tags", {})["cost-center"] = f"cc-{resource.environment or 'shared'}"
        resource.props["defaultTags"] = json.dumps(default)


def two_tasks(resource):
    """A property ecsp.yaml has no field for, returned instead of changed in place."""
    if resource.type == "aws:ecs/service:Service":
        return {**resource.props, "desiredCount": 2}
    return None


def broken(resource):
    if resource.type == "aws:ecs/service:Service":
        raise KeyError("no such setting")
'''


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    """A copy of examples/hello with a tweaks.py beside its ecsp.yaml."""
    folder = tmp_path / "hello"
    shutil.copytree(ROOT / "examples" / "hello", folder, ignore=shutil.ignore_patterns(".ecsp"))
    (folder / "tweaks.py").write_text(TWEAKS, encoding="utf-8")
    yield folder
    sys.modules.pop("tweaks", None)  # each test's tweaks.py is its own


def with_transforms(folder: Path, *refs: str) -> Path:
    file = folder / "ecsp.yaml"
    file.write_text(file.read_text(encoding="utf-8") + "transforms:\n" + "".join(f"  - {r}\n" for r in refs),
                    encoding="utf-8")
    return file


def resources(project: ecsp.api.Project, stack: str, type_: str) -> list[dict[str, Any]]:
    return [r.inputs for r in project.plan(cache=False).stack(stack).resources if r.type == type_]


def test_transforms_of_ecsp_yaml_change_every_stacks_resources_in_the_plan(hello: Path) -> None:
    project = ecsp.load(with_transforms(hello, "tweaks:cost_center", "tweaks:two_tasks"))
    plan = project.plan(cache=False)
    tags = {stack.spec.name: [json.loads(r.inputs["defaultTags"])["tags"] for r in stack.resources
                              if r.type == "pulumi:providers:aws"] for stack in plan.stacks}
    assert tags["hello-environment/test"] == [{"ecsp:project": "hello", "ecsp:environment": "test",
                                               "cost-center": "cc-test"}]
    # The project stack has no environment: the transform sees None.
    assert tags["hello-project/global"] and all(t["cost-center"] == "cc-shared" for t in tags["hello-project/global"])
    [service] = [r.inputs for r in plan.stack("hello-web/test").resources if r.type == "aws:ecs/service:Service"]
    assert service["desiredCount"] == 2


def test_a_transform_of_the_python_api_sees_each_resource_with_its_stack(hello: Path) -> None:
    seen: list[TransformArgs] = []

    def record(resource: TransformArgs) -> None:
        seen.append(resource)

    project = ecsp.load(hello / "ecsp.yaml", transforms=[record])
    project.plan(cache=False)
    service = next(r for r in seen if r.type == "aws:ecs/service:Service")
    assert (service.kind, service.environment, service.application, service.stack, service.project) == (
        "application", "test", "web", "hello-web/test", "hello")
    assert service.custom and service.props["desiredCount"] == 1
    assert isinstance(service.opts, pulumi.ResourceOptions)
    component = next(r for r in seen if r.type.startswith("ecsp:"))
    assert not component.custom
    assert {r.kind for r in seen} == {"project", "environment", "application"}


def test_ecsp_yaml_transforms_run_before_the_apis(hello: Path) -> None:
    counts: list[int] = []

    def after(resource: TransformArgs) -> None:
        if resource.type == "aws:ecs/service:Service":
            counts.append(resource.props["desiredCount"])
            resource.props["desiredCount"] = 3

    project = ecsp.load(with_transforms(hello, "tweaks:two_tasks"), transforms=[after])
    [service] = resources(project, "hello-web/test", "aws:ecs/service:Service")
    assert counts == [2] and service["desiredCount"] == 3


def test_a_transform_that_raises_fails_with_its_name_the_resource_and_the_error(
        hello: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = with_transforms(hello, "tweaks:broken")
    with pytest.raises(TransformError) as raised:
        ecsp.load(file).plan(cache=False)
    assert raised.value.message == ("transform tweaks:broken failed on aws:ecs/service:Service 'web' in "
                                    "hello-web/test: KeyError: 'no such setting'")
    assert main(["plan", "-f", str(file), "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "error: transform tweaks:broken failed on aws:ecs/service:Service 'web'" in err
    assert "Traceback" not in err


def test_a_transform_returning_something_else_is_told_what_to_return(hello: Path) -> None:
    project = ecsp.load(hello / "ecsp.yaml", transforms=[lambda resource: 42])
    with pytest.raises(TransformError, match=r"returned a int for .* in hello-project/global") as raised:
        project.plan(cache=False)
    assert "pulumi.ResourceTransformResult" in (raised.value.fix or "")


def test_options_come_back_through_a_resource_transform_result(hello: Path) -> None:
    def protect(resource: TransformArgs) -> pulumi.ResourceTransformResult:
        return pulumi.ResourceTransformResult(props={**resource.props, "touched": True},
                                              opts=pulumi.ResourceOptions(protect=True))

    project = ecsp.load(hello / "ecsp.yaml", transforms=[protect])
    [vpc] = resources(project, "hello-environment/test", "aws:ec2/vpc:Vpc")
    assert vpc["touched"] is True


@pytest.mark.parametrize(("ref", "source", "message"), [
    ("tweaks:nothing", TWEAKS, "transforms.0: tweaks (tweaks.py) has no function nothing; it defines broken, "
     "cost_center, two_tasks"),
    ("missing:fn", TWEAKS, "transforms.0: no missing.py (nor a package missing/) next to ecsp.yaml"),
    ("tweaks:fn", "def fn(resource:\n", "transforms.0: importing tweaks failed: SyntaxError: "),
    ("tweaks:fn", "raise RuntimeError('needs a setting')\n", "importing tweaks failed: RuntimeError: needs a setting"),
])
def test_a_transform_that_cannot_be_found_points_at_its_line(hello: Path, ref: str, source: str, message: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (hello / "tweaks.py").write_text(source, encoding="utf-8")
    file = with_transforms(hello, ref)
    line = file.read_text(encoding="utf-8").splitlines().index(f"  - {ref}") + 1
    with pytest.raises(ConfigError) as raised:
        ecsp.load(file).plan()
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (str(file), line)
    assert message in str(problem)
    assert main(["plan", "-f", str(file)]) == 2
    assert f"{file}:{line}: transforms.0:" in capsys.readouterr().err


def test_a_module_of_the_same_name_elsewhere_is_never_used(hello: Path) -> None:
    (hello / "json.py").write_text("def fn(resource):\n    pass\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a module named json is already loaded from .*; rename json\.py"):
        ecsp.load(with_transforms(hello, "json:fn")).plan()


def test_a_bad_reference_is_a_validation_error(hello: Path) -> None:
    with pytest.raises(ConfigError, match=r"transforms.0: 'tweaks.cost_center' is not module:function"):
        ecsp.load(with_transforms(hello, "tweaks.cost_center"))


def test_a_transform_in_a_package_next_to_ecsp_yaml(hello: Path) -> None:
    package = hello / "infra"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "patches.py").write_text(textwrap.dedent('''\
        def grace(resource):
            if resource.type == "aws:ecs/service:Service":
                resource.props["healthCheckGracePeriodSeconds"] = 300
        '''), encoding="utf-8")
    try:
        project = ecsp.load(with_transforms(hello, "infra.patches:grace"))
        [service] = resources(project, "hello-web/test", "aws:ecs/service:Service")
    finally:
        for name in ("infra", "infra.patches"):
            sys.modules.pop(name, None)
    assert service["healthCheckGracePeriodSeconds"] == 300


def test_the_plan_cache_replans_when_a_transform_changes(hello: Path) -> None:
    file = with_transforms(hello, "tweaks:two_tasks")
    first = ecsp.load(file).plan()
    assert not any(s.cached for s in first.stacks)
    again = ecsp.load(file).plan()
    assert all(s.cached for s in again.stacks)
    (hello / "tweaks.py").write_text(TWEAKS.replace('"desiredCount": 2', '"desiredCount": 5'), encoding="utf-8")
    sys.modules.pop("tweaks", None)  # a new process would import the edited file
    edited = ecsp.load(file).plan()
    assert not any(s.cached for s in edited.stacks)
    [service] = [r.inputs for r in edited.stack("hello-web/test").resources if r.type == "aws:ecs/service:Service"]
    assert service["desiredCount"] == 5


def test_import_copilot_writes_a_transform_stub_for_taskdef_overrides(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The refusal points at the stub; the stub names each override and refuses to run until ported."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "copilot" / "refusals", tmp_path / "ws")
    args = ["import", "copilot", str(tmp_path / "ws"), "--env", "test=us-west-2", "--region", "us-west-2"]
    assert main(args) == 1  # services are refused (worker2 among them) until their overrides are ported
    err = capsys.readouterr().err
    stub = tmp_path / "ws" / "copilot_transforms.py"
    assert f"wrote {stub}" in err
    assert "refuse: taskdef_overrides patches Copilot's task definition by CloudFormation path; ecsp has no such " \
           "patches: port them to the transform stub written to copilot_transforms.py" in err
    text = stub.read_text(encoding="utf-8")
    assert '#   ContainerDefinitions[0].Ulimits[-] = {"Name": "nofile"}' in text
    assert "  - copilot_transforms:worker2_taskdef" in text
    namespace: dict[str, Any] = {}
    exec(compile(text, str(stub), "exec"), namespace)
    worker2 = namespace["worker2_taskdef"]

    def resource(type_: str, application: str) -> TransformArgs:
        return TransformArgs(type=type_, name="task", props={"containerDefinitions": "[]"},
                             opts=pulumi.ResourceOptions(), custom=True, project="shop", kind="application",
                             environment="test", application=application, stack=f"shop-{application}/test")

    assert worker2(resource("aws:ecs/service:Service", "worker2")) is None
    assert worker2(resource("aws:ecs/taskDefinition:TaskDefinition", "other")) is None
    with pytest.raises(NotImplementedError, match="port Copilot's taskdef_overrides of worker2"):
        worker2(resource("aws:ecs/taskDefinition:TaskDefinition", "worker2"))
    # A second import keeps the stub a person may have started porting.
    stub.write_text(text + "# ported\n", encoding="utf-8")
    assert main([*args, "-o", str(tmp_path / "ws" / "again.yaml")]) == 1
    assert f"kept {stub} (exists; --force replaces it)" in capsys.readouterr().err
    assert stub.read_text(encoding="utf-8").endswith("# ported\n")


def readme_recipes() -> tuple[str, str]:
    """The README's Transforms section: its transforms: list and its tweaks.py."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Transforms\n", 1)[1].split("\n## ", 1)[0]
    [listed] = re.findall(r"```yaml\n(.*?)```", section, re.S)
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)
    return listed, code


def test_the_readme_recipes_do_what_they_say(hello: Path) -> None:
    listed, code = readme_recipes()
    (hello / "tweaks.py").write_text(code, encoding="utf-8")
    file = hello / "ecsp.yaml"
    prod = "  prod:\n    region: us-east-1\n    network: {cidr: 10.1.0.0/16, nat: none}\n"
    text = file.read_text(encoding="utf-8").replace("environments:\n", "environments:\n" + prod)
    file.write_text(text + listed, encoding="utf-8")
    plan = ecsp.load(file).plan(cache=False)

    def one(stack: str, type_: str) -> dict[str, Any]:
        [found] = [r.inputs for r in plan.stack(stack).resources if r.type == type_]
        return found

    assert json.loads(one("hello-environment/prod", "pulumi:providers:aws")["defaultTags"])["tags"][
        "cost-center"] == "cc-prod"
    assert one("hello-web/prod", "aws:ecs/service:Service")["availabilityZoneRebalancing"] == "ENABLED"
    assert "availabilityZoneRebalancing" not in one("hello-web/test", "aws:ecs/service:Service")
    [container] = json.loads(one("hello-web/test", "aws:ecs/taskDefinition:TaskDefinition")["containerDefinitions"])
    assert container["name"] == "web"
    assert container["ulimits"] == [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}]
