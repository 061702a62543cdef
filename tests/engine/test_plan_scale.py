"""Planning scales with the stack: big projects plan, and the call stack does not grow with them (issue 15)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from ecsp import loader, mocks, planner
from ecsp.config import ProjectConfig
from stacks import PROGRAMS

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def project(environments: int, applications: int) -> ProjectConfig:
    envs = "".join(f"  e{i}:\n    region: {REGIONS[i % len(REGIONS)]}\n"
                   f"    network: {{cidr: 10.{i}.0.0/16, nat: none}}\n" for i in range(environments))
    apps = "".join(f"  a{i}:\n    image: {{location: public.ecr.aws/nginx/nginx:stable}}\n    port: 80\n"
                   f"    path: {'/' if i == 0 else f'/a{i}'}\n    healthcheck: {{path: /}}\n    count: 1\n"
                   for i in range(applications))
    text = f"project:\n  name: big\n  region: us-east-1\n\nenvironments:\n{envs}\napplications:\n{apps}"
    return loader.loads(text, "ecsp.yaml")


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


@pytest.fixture
def max_depth(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The deepest Python stack seen when the mocks answer a registration or an invoke."""
    seen = [0]
    new_resource, call = mocks.AwsMocks.new_resource, mocks.AwsMocks.call

    def deep_new_resource(self: mocks.AwsMocks, args: Any) -> Any:
        seen[0] = max(seen[0], _depth())
        return new_resource(self, args)

    def deep_call(self: mocks.AwsMocks, args: Any) -> Any:
        seen[0] = max(seen[0], _depth())
        return call(self, args)

    monkeypatch.setattr(mocks.AwsMocks, "new_resource", deep_new_resource)
    monkeypatch.setattr(mocks.AwsMocks, "call", deep_call)
    yield seen


def test_three_regions_by_thirty_applications_plan_at_the_depth_of_one_by_one(max_depth: list[int]) -> None:
    small = planner.plan(project(1, 1), PROGRAMS)
    small_depth, max_depth[0] = max_depth[0], 0

    big = planner.plan(project(3, 30), PROGRAMS)

    assert len(big.stacks) == 1 + 3 + 3 * 30
    assert all(stack.resources for stack in big.stacks)
    global_stack = big.stack("big-project/global")
    regions = {r.inputs.get("region") for r in global_stack.resources if r.type == "pulumi:providers:aws"}
    assert set(REGIONS) <= regions
    assert len(global_stack.resources) > 3 * len(small.stack("big-project/global").resources)
    # Before the fix every registration nested inside the previous one (RecursionError at ~1000 frames).
    assert max_depth[0] <= small_depth


def _buckets(count: int) -> Callable[[], None]:
    def program() -> None:
        previous = aws.s3.Bucket("b0")
        for i in range(1, count):  # a chain: each bucket waits for the previous one's id
            previous = aws.s3.Bucket(f"b{i}", tags={"previous": previous.id})
        # and a fan-out created inside an apply, as the stacks' programs do
        previous.id.apply(lambda _: [aws.s3.Bucket(f"c{i}") for i in range(count)])

    return program


def test_registration_depth_does_not_grow_with_the_number_of_resources(max_depth: list[int]) -> None:
    mocks.run(_buckets(5), mocks.AwsMocks())
    small, max_depth[0] = max_depth[0], 0

    recording = mocks.run(_buckets(300), mocks.AwsMocks())

    assert len(recording.of_type("aws:s3/bucket:Bucket")) == 600
    assert max_depth[0] <= small


def test_a_resource_object_passed_as_an_input_still_reaches_the_mocks() -> None:
    # Why the executor runs jobs inline: on a worker thread this raises "attached to a different loop".
    seen: list[Any] = []

    class Seeing(mocks.AwsMocks):
        def new_resource(self, args: Any) -> Any:
            seen.append(args.inputs.get("targetGroup"))
            return super().new_resource(args)

    def program() -> None:
        group = aws.lb.TargetGroup("tg", port=80, protocol="HTTP")
        pulumi.CustomResource("test:index:Thing", "thing", {"targetGroup": group})
        pulumi.export("arn", group.arn)

    recording = mocks.run(program, Seeing())

    assert any(isinstance(value, aws.lb.TargetGroup) for value in seen)
    assert recording.one("test:index:Thing").inputs == {"targetGroup": "<resource TargetGroup>"}
    assert recording.outputs["arn"].startswith("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/")
