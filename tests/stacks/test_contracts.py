"""Stack output contracts: each program exports exactly its contract, and readers fail by name."""

from __future__ import annotations

import dataclasses

import pulumi
import pytest

from ecsp import mocks
from stacks.contracts import ApplicationOutputs, EnvironmentOutputs, ProjectOutputs, camel
from tests import harness
from tests.paths import ROOT
from tests.stacks.test_stack_application import environment_outputs, project_outputs


@pytest.mark.parametrize("example", ["multi", "imported", "kinds"])
def test_every_program_exports_exactly_its_contract(example: str) -> None:
    from ecsp import api

    plan = api.load(ROOT / "examples" / example / "ecsp.yaml").plan()
    contracts = {"project": ProjectOutputs, "environment": EnvironmentOutputs, "application": ApplicationOutputs}
    for stack in plan.stacks:
        contract = contracts[stack.spec.kind]
        always = [camel(f.name) for f in dataclasses.fields(contract) if not f.metadata.get("when_set")]
        assert [key for key in stack.outputs if key in always] == always, stack.spec.name
        assert set(stack.outputs) <= set(contract.output_names().values()), stack.spec.name
    # Outputs only exported when configured are there when they are.
    if example == "imported":
        assert {"accessLogsBucket", "flowLogGroupName"} <= set(plan.stacks[1].outputs)


def test_the_application_tests_fake_upstream_outputs_in_the_contracts_shape() -> None:
    cfg = harness.config("""\
        project: {name: shop, region: us-west-2, domain: example.com}
        environments: {test: {region: us-west-2}}
        applications: {web: {image: {location: nginx}, port: 80}}
        """)
    assert set(environment_outputs(cfg, "test")) == {
        camel(f.name) for f in dataclasses.fields(EnvironmentOutputs) if not f.metadata.get("when_set")}
    assert set(project_outputs(cfg)) == {"regions"}  # the only output applications read


def test_names_are_camel_case() -> None:
    assert camel("load_balancer_dns_name") == "loadBalancerDnsName" and camel("url") == "url"


def test_a_missing_required_output_fails_naming_it() -> None:
    def program() -> None:
        upstream = EnvironmentOutputs.read(pulumi.StackReference("organization/shop-environment/test"))
        pulumi.export("vpc", upstream.vpc_id)

    others = {key: "x" for key in EnvironmentOutputs.output_names().values() if key != "vpcId"}
    with pytest.raises(KeyError, match="vpcId"):
        mocks.run(program, mocks.AwsMocks(stack_outputs={"organization/shop-environment/test": others}))


def test_optional_outputs_are_read_only_when_asked_for() -> None:
    seen: dict[str, object] = {}

    def program() -> None:
        ref = pulumi.StackReference("organization/shop-project/global")
        seen["plain"] = ProjectOutputs.read(ref).project_zone_id
        picked = ProjectOutputs.pick(ref, "project_zone_id")
        seen["regions"] = picked.regions
        picked.project_zone_id.apply(lambda zone: seen.__setitem__("zone", zone))

    mocks.run(program, mocks.AwsMocks(stack_outputs={"organization/shop-project/global": {
        "regions": {}, "projectZoneId": "Z1"}}))
    assert seen == {"plain": None, "regions": None, "zone": "Z1"}
    with pytest.raises(ValueError, match="has no output nope"):
        ProjectOutputs.pick(None, "nope")  # type: ignore[arg-type]
