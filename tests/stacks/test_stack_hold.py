"""The application program with a hold (ecsp.rollout): the service on another revision, or not yet created."""

from __future__ import annotations

from ecsp import graph as graphs
from ecsp import mocks
from ecsp.context import Hold, StackContext
from ecsp.mocks import Recording
from stacks import PROGRAMS
from tests import harness
from tests.stacks.test_stack_application import environment_outputs, project_outputs

CONFIG = """
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    count: {min: 1, max: 3, cpu_percentage: 60}
    release: {command: [python, manage.py, migrate]}
"""
OLD = "arn:aws:ecs:us-west-2:111111111111:task-definition/shop-test-web:41"


def run(hold: Hold | None) -> Recording:
    cfg = harness.config(CONFIG)
    spec = graphs.build(cfg)["shop-web/test"]
    ctx = StackContext(config=cfg, stack=spec, hold=hold, running=OLD)
    aws = mocks.AwsMocks(account="111111111111", region="us-west-2", stack_outputs={
        ctx.upstream_name("environment", "test"): environment_outputs(cfg, "test"),
        ctx.upstream_name("project"): project_outputs(cfg)})
    return mocks.run(PROGRAMS.program_for(ctx), aws, project=spec.pulumi_project, stack=spec.stack)


def test_without_a_hold_the_service_runs_the_registered_revision() -> None:
    rec = run(None)
    registered = rec.outputs["taskDefinitionArn"]
    assert rec.one("aws:ecs/service:Service").inputs["taskDefinition"] == registered
    assert "serviceTaskDefinitionArn" not in rec.outputs
    # Replaced revisions stay registered, so a service can be held on (or moved back to) them.
    assert rec.one("aws:ecs/taskDefinition:TaskDefinition").inputs["skipDestroy"] is True


def test_a_hold_keeps_the_service_on_its_revision_and_says_so() -> None:
    rec = run(Hold(OLD, "release"))
    assert rec.one("aws:ecs/service:Service").inputs["taskDefinition"] == OLD
    assert rec.outputs["serviceTaskDefinitionArn"] == OLD
    assert rec.outputs["taskDefinitionArn"] != OLD  # the new revision is registered all the same
    assert rec.of_type("aws:appautoscaling/target:Target")  # the rest of the stack is as without a hold


def test_a_first_release_leaves_the_service_out() -> None:
    rec = run(Hold(None, "release"))
    assert not rec.of_type("aws:ecs/service:Service")
    assert not rec.of_type("aws:appautoscaling/target:Target")
    assert rec.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert rec.of_type("aws:lb/targetGroup:TargetGroup")  # routing is ready for the service that follows
    assert set(rec.outputs) == {"taskDefinitionArn", "logGroupName"}
