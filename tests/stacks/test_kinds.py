"""The stack kinds table: a toy fourth kind, added as one record and one program, works everywhere.

Nothing outside this file changes for it but its label, which :mod:`ecsp.naming` owns (the
test below keeps the two honest): the graph builds, orders and selects its stacks,
the planner runs its program where its kind places it (with its StackReference resolved),
the engine writes its stack config and tags, application names may not take its label, the
destroy check protects what it depends on, and its backend stacks are recognised by name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from ecsp import api, kinds, naming, planner
from ecsp import graph as graphs
from ecsp.context import StackContext
from ecsp.engine.fake import FakeEngine
from ecsp.engine.workspace import stack_config
from ecsp.errors import UsageError
from ecsp.kinds import Scope, StackKind
from ecsp.programs import Programs
from stacks import PROGRAMS, _aws
from tests import harness

# One stack per environment, after it, that only a whole-project run selects.
MONITOR = StackKind(
    "monitor", "monitor", per_environment=True,
    instances=lambda config: [Scope(env) for env in config.environments],
    upstream=lambda config, scope: [("environment", Scope(scope.environment))],
    placement=kinds.environment_placement,
    selected=lambda targets, scope: False,
)

YAML = """\
project: {name: shop, region: us-east-1, account: "111111111111"}
environments:
  test: {region: eu-west-1, account: "222222222222", profile: shop-test}
applications:
  web: {image: {location: nginx}, port: 80}
"""


def monitor_program(ctx: StackContext) -> None:
    environment = pulumi.StackReference(ctx.upstream_name("environment", ctx.stack.environment))
    provider = _aws.stack_provider(ctx)
    aws.cloudwatch.LogGroup("monitor", name=f"/monitor/{ctx.stack.environment}", opts=_aws.opts(provider))
    pulumi.export("cluster", environment.require_output("clusterName"))


WITH_MONITOR = Programs({**PROGRAMS.by_kind, "monitor": monitor_program}, PROGRAMS.plugins, PROGRAMS.aws_modules)


@pytest.fixture(autouse=True)
def monitor_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(kinds.KINDS, "monitor", MONITOR)
    monkeypatch.setattr(naming, "KIND_LABELS", naming.KIND_LABELS | {"monitor"})


def test_naming_owns_exactly_the_labels_the_kinds_use() -> None:
    assert {k.label for k in kinds.KINDS.values() if k.label} == naming.KIND_LABELS


def test_the_graph_has_its_stacks_after_what_they_depend_on() -> None:
    graph = graphs.build(harness.config(YAML))
    assert graph.names() == ["shop-project/global", "shop-environment/test", "shop-web/test", "shop-monitor/test"]
    monitor = graph["shop-monitor/test"]
    assert (monitor.pulumi_project, monitor.stack, monitor.depends_on) == (
        "shop-monitor", "test", ("shop-environment/test",))
    ordered = [s.name for s in graph.order()]
    assert ordered.index("shop-monitor/test") > ordered.index("shop-environment/test")
    assert [s.name for s in graph.downstream("shop-environment/test")] == ["shop-web/test", "shop-monitor/test"]
    # Its kind says targets never select it: --env test takes the environment and its applications only.
    assert graphs.select(graph, environments=["test"], include_upstream=False).names() == [
        "shop-environment/test", "shop-web/test"]


def test_the_planner_runs_its_program_where_its_kind_places_it() -> None:
    cfg = harness.config(YAML)
    plan = planner.plan(cfg, WITH_MONITOR)
    monitor = plan.stack("shop-monitor/test")
    provider = next(r for r in monitor.resources if r.type == "pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-west-1" and provider.inputs["profile"] == "shop-test"
    assert '"222222222222"' in provider.inputs["allowedAccountIds"]
    assert json.loads(provider.inputs["defaultTags"]) == {"tags": {"ecsp:project": "shop", "ecsp:environment": "test"}}
    # The StackReference resolved to what the environment program exported under the same mocks.
    assert monitor.outputs["cluster"] == plan.stack("shop-environment/test").outputs["clusterName"]


def test_the_engine_writes_its_config_and_tags() -> None:
    cfg = harness.config(YAML)
    spec = graphs.build(cfg)["shop-monitor/test"]
    values = stack_config(StackContext(cfg, spec))
    assert values == {"ecsp:project": "shop", "ecsp:kind": "monitor", "ecsp:stack": "shop-monitor/test",
                      "ecsp:environment": "test", "aws:region": "eu-west-1", "aws:profile": "shop-test"}
    assert spec.tags() == {"ecsp:project": "shop", "ecsp:environment": "test"}


def test_no_application_may_take_its_label() -> None:
    with pytest.raises(Exception, match="'monitor' is reserved for ecsp's own stacks"):
        harness.config(YAML.replace("  web:", "  monitor:"))


def test_destroy_protects_what_its_stacks_depend_on(tmp_path: Path) -> None:
    (tmp_path / "ecsp.yaml").write_text(YAML)
    project = api.load(tmp_path / "ecsp.yaml")
    engine = FakeEngine(deployed=project.stacks().names())
    with pytest.raises(UsageError) as caught:
        project.destroy(env="test", engine=engine, progress=False)
    assert caught.value.message == ("refusing to destroy shop-environment/test: shop-monitor/test still depends "
                                    "on it")
    assert engine.calls == []


def test_its_backend_stacks_are_recognised_by_name() -> None:
    found = kinds.identify("shop", "shop-monitor/test")
    assert found == (MONITOR, Scope(environment="test"))
    assert kinds.identify("shop", "shop-old/test") == (kinds.APPLICATION, Scope("test", "old"))
    assert kinds.identify("shop", "shop-project/global") == (kinds.PROJECT, Scope())
    assert kinds.identify("shop", "other-web/test") is None
