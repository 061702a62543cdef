"""Pulumi.yaml: the plain `pulumi` CLI runs the same stack programs as ecsp (stacks/__main__.py)."""

from __future__ import annotations

import runpy

import pulumi
import pytest
import yaml

from ecsp import api, mocks
from tests import harness
from tests.paths import ROOT

HELLO = ROOT / "examples" / "hello" / "ecsp.yaml"


def upstream_outputs(project: api.Project, stack: str) -> dict[str, dict[str, object]]:
    """The mocked outputs of the stacks deployed before ``stack``, by fully qualified name."""
    upstream: dict[str, dict[str, object]] = {}
    for spec in project.stacks().order():
        if spec.name == stack:
            break
        upstream[spec.fully_qualified(None)] = harness.plan_stack(project.config, spec, upstream)[1].outputs
    return upstream


def run_entry_point(stack: str) -> mocks.Recording:
    """Run stacks/__main__.py as the pulumi CLI would, under mocks, with ecsp:file and ecsp:stack set."""
    upstream = upstream_outputs(api.load(HELLO), stack)
    return mocks.run(lambda: runpy.run_path(str(ROOT / "stacks" / "__main__.py"), run_name="__main__"),
                     mocks.AwsMocks(region="us-east-1", stack_outputs=upstream),
                     config={"ecsp:file": str(HELLO), "ecsp:stack": stack})


def test_pulumi_yaml_runs_the_stacks_package() -> None:
    settings = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert settings["runtime"]["name"] == "python"
    assert settings["main"] == "stacks/"
    assert (ROOT / "stacks" / "__main__.py").is_file()


@pytest.mark.parametrize("stack", ["hello-project/global", "hello-environment/test", "hello-web/test"])
def test_entry_point_registers_what_ecsp_plans(stack: str) -> None:
    recording = run_entry_point(stack)
    project = api.load(HELLO)
    planned, _ = harness.plan_stack(project.config, project.stacks()[stack], upstream_outputs(project, stack))
    assert sorted((n.type, n.name) for n in recording.nodes) == sorted((n.type, n.name) for n in planned.nodes)
    assert recording.outputs.keys() == planned.outputs.keys()


def test_entry_point_names_the_stacks_when_ecsp_stack_is_wrong() -> None:
    with pytest.raises(pulumi.RunError, match=r"(?s)ecsp:stack 'hello-nope/test' is not a stack of project 'hello'.*"
                       r"hello-environment/test"):
        run_entry_point("hello-nope/test")
