"""Application types as sets of capabilities: the table's rules, and a toy type made of existing capabilities.

The toy type is one row added to :data:`ecsp.config.APPLICATION_TYPES` and nothing else: the
config accepts it and refuses the fields of the capabilities it lacks, the application
program builds exactly the components of the capabilities it has, and ``show`` describes it.
"""

from __future__ import annotations

import pytest

from ecsp import planner
from ecsp.config import (
    APPLICATION_TYPES,
    ApplicationSpec,
    ApplicationType,
    Capability,
    ResolvedApplication,
)
from ecsp.config.fields import settings
from ecsp.errors import ConfigError
from ecsp.ops.show import _application_settings
from stacks import PROGRAMS
from tests import harness

TASK, SERVICE = Capability.TASK, Capability.SERVICE
DAEMON = ApplicationType("daemon", frozenset({TASK, SERVICE}), "a service nobody calls, publishing nothing")

YAML = """\
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
applications:
  web: {image: {location: nginx}, port: 80}
  sweeper:
    kind: daemon
    image: {location: busybox}
    count: 2
"""


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(APPLICATION_TYPES, "daemon", DAEMON)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        harness.config(text)
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


# --------------------------------------------------------------------------- the table


def test_every_type_runs_tasks_either_kept_running_or_to_completion() -> None:
    for app_type in APPLICATION_TYPES.values():
        assert app_type.has(Capability.TASK), app_type.name
        assert app_type.has(Capability.SERVICE) != app_type.has(Capability.SCHEDULE), app_type.name


def test_every_capability_is_some_types_and_every_field_says_its_capability() -> None:
    used = {c for t in APPLICATION_TYPES.values() for c in t.capabilities}
    assert used == set(Capability)
    declared = settings(ResolvedApplication)
    assert set(declared) == set(ResolvedApplication.model_fields)
    # The written form holds every field; an environment overrides all but those set once.
    assert set(ApplicationSpec.model_fields) == {*declared, "environments"}


def test_the_kind_field_lists_the_types() -> None:
    description = ResolvedApplication.model_fields["kind"].description or ""
    assert all(f"{name}: " in description for name in APPLICATION_TYPES)
    assert problems(YAML.replace("kind: daemon", "kind: deamon")) == [
        "applications.sweeper.kind: 'deamon' is not allowed; use 'web', 'backend', 'worker' or 'job'"]


# --------------------------------------------------------------------------- a toy type


def test_a_toy_type_is_accepted_and_asked_for_its_capabilities(daemon: None) -> None:
    config = harness.config(YAML)
    sweeper = config.application("test", "sweeper")
    assert config.type_of("sweeper") is DAEMON and sweeper.type is DAEMON
    assert sweeper.has(SERVICE) and not sweeper.has(Capability.HTTP) and not sweeper.has(Capability.PUBLISH)
    assert sweeper.desired_count == 2 and sweeper.discovery_name("sweeper") is None


def test_a_toy_type_refuses_the_fields_of_what_it_lacks(daemon: None) -> None:
    text = YAML + "    path: /sweep\n    publish: [swept]\n    queue: {visibility_timeout: 60}\n    connect: sweeper\n"
    assert problems(text) == [
        "applications.sweeper.path: the load balancer routes a path only to web applications, and this is a daemon; "
        "remove path, or set kind: web",
        "applications.sweeper.publish: publish does not apply to a daemon; remove publish, or set kind: web",
        "applications.sweeper.queue: only a worker has a queue, and this is a daemon; remove queue, or set kind: "
        "worker",
        "applications.sweeper.connect: a daemon only calls other applications (it serves no port), so it has no "
        "discovery name; write connect: true",
    ]


def test_the_program_builds_the_components_of_its_capabilities(daemon: None) -> None:
    config = harness.config(YAML)
    plan = planner.plan(config, PROGRAMS)
    types = {r.type for r in plan.stack("shop-sweeper/test").resources}
    assert "aws:ecs/service:Service" in types and "aws:ecs/taskDefinition:TaskDefinition" in types
    # No load balancer rule, queue, topic or state machine: the capabilities it lacks build nothing.
    for absent in ("aws:lb/targetGroup:TargetGroup", "aws:lb/listenerRule:ListenerRule", "aws:sqs/queue:Queue",
                   "aws:sns/topic:Topic", "aws:sfn/stateMachine:StateMachine"):
        assert absent not in types
    web = {r.type for r in plan.stack("shop-web/test").resources}
    assert "aws:lb/targetGroup:TargetGroup" in web  # the control: the same check sees what a web has


def test_show_describes_it_by_capability(daemon: None) -> None:
    config = harness.config(YAML.replace("count: 2", "count: 2\n    connect: true"))
    assert _application_settings(config.application("test", "sweeper")) == "Service Connect"
