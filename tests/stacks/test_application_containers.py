"""One container spec list per task, rendered by one function: command and entrypoint, and a toy setting.

The application's container is the first of :func:`ecsp.config.task_containers`' list, then the
log router, then the sidecars; :mod:`stacks.application_containers` renders each the same way.
A container setting is one declaration (:class:`ecsp.config.ContainerSettings`, which the
application and every sidecar inherit) plus one line of :data:`SETTINGS`: the toy setting below
reaches both through that line alone.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pydantic import Field

from ecsp import naming
from ecsp.config import (
    LOG_ROUTER,
    ContainerSettings,
    ProjectConfig,
    ResolvedApplication,
    SidecarConfig,
    task_containers,
)
from ecsp.mocks import Recording
from ecsp.ops.show import _application_settings
from stacks import application_containers
from stacks.application_containers import LOG_STREAM_PREFIX, SETTINGS, container_definitions, ecsp_environment
from tests import harness

SHOP = """\
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
  prod: {region: us-west-2}
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    entrypoint: /docker-entrypoint.sh
    command: nginx -g "daemon off;"
    logging:
      firelens: {options: {Name: cloudwatch, region: us-west-2, log_group_name: /shop/web}}
    sidecars:
      proxy:
        image: public.ecr.aws/envoyproxy/envoy:v1.31
        entrypoint: [/usr/local/bin/envoy]
        command: [-c, /etc/envoy/envoy.yaml, --log-level, info]
    environments:
      prod:
        command: [nginx, -g, "daemon off; worker_processes 4;"]
"""


@pytest.fixture(scope="module")
def shop() -> ProjectConfig:
    return harness.config(SHOP)


@pytest.fixture(scope="module")
def web_test(shop: ProjectConfig) -> Recording:
    return harness.run_stack(shop, "shop-web/test")


def definitions(rec: Recording) -> dict[str, dict[str, Any]]:
    task = rec.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    return {c["name"]: c for c in json.loads(task["containerDefinitions"])}


def test_golden_command_and_entrypoint(web_test: Recording) -> None:
    harness.assert_golden("application-command", harness.graph_document(web_test))


def test_the_list_has_the_application_then_the_log_router_then_the_sidecars(shop: ProjectConfig) -> None:
    containers = task_containers(shop.application("test", "web"), "web")
    assert [(c.name, c.at) for c in containers] == [
        ("web", ()), (LOG_ROUTER, ("logging", "firelens")), ("proxy", ("sidecars", "proxy"))]
    web, router, proxy = containers
    assert web.image is None and router.variables is None and proxy.image == "public.ecr.aws/envoyproxy/envoy:v1.31"


def test_command_and_entrypoint_reach_the_application_and_its_sidecar(web_test: Recording) -> None:
    c = definitions(web_test)
    assert c["web"]["entryPoint"] == ["/docker-entrypoint.sh"]
    assert c["web"]["command"] == ["nginx", "-g", "daemon off;"]
    assert c["proxy"]["entryPoint"] == ["/usr/local/bin/envoy"]
    assert c["proxy"]["command"] == ["-c", "/etc/envoy/envoy.yaml", "--log-level", "info"]
    assert "command" not in c[LOG_ROUTER] and "entryPoint" not in c[LOG_ROUTER]


def test_an_environment_overrides_the_command(shop: ProjectConfig) -> None:
    prod = definitions(harness.run_stack(shop, "shop-web/prod"))
    assert prod["web"]["command"] == ["nginx", "-g", "daemon off; worker_processes 4;"]
    assert prod["web"]["entryPoint"] == ["/docker-entrypoint.sh"]  # not overridden: the base's


def test_show_prints_them_as_a_shell_would_read_them(shop: ProjectConfig) -> None:
    line = _application_settings(shop.application("test", "web"))
    assert line.startswith("entrypoint /docker-entrypoint.sh; command nginx -g 'daemon off;'; ")


def test_every_awslogs_stream_has_the_one_prefix(web_test: Recording) -> None:
    router = definitions(web_test)[LOG_ROUTER]
    assert router["logConfiguration"]["options"]["awslogs-stream-prefix"] == LOG_STREAM_PREFIX
    assert application_containers.awslogs("/g", "us-west-2")["options"]["awslogs-stream-prefix"] == LOG_STREAM_PREFIX


# --------------------------------------------------------------------------- one declaration, one line


def test_every_container_setting_has_its_line_and_reaches_every_container() -> None:
    declared = set(ContainerSettings.model_fields)
    assert declared == set(SETTINGS)
    # Inherited, not re-declared: the application and its sidecars have the very same fields.
    for model in (ResolvedApplication, SidecarConfig):
        assert all(repr(model.model_fields[name]) == repr(ContainerSettings.model_fields[name]) for name in declared)
    examples = {name: field.examples[0] for name, field in ContainerSettings.model_fields.items() if field.examples}
    assert set(examples) == declared, "each container setting needs an example for this test"
    text = SHOP.split("    logging:", 1)[0].replace("    entrypoint: /docker-entrypoint.sh\n", "").replace(
        '    command: nginx -g "daemon off;"\n', "")
    written = "".join(f"    {name}: {json.dumps(value)}\n" for name, value in examples.items())
    car = ", ".join(f"{name}: {json.dumps(value)}" for name, value in examples.items())
    config = harness.config(text + written + f"    sidecars:\n      car: {{image: busybox, {car}}}\n")
    rendered = _render(task_containers(config.application("test", "web"), "web"))
    for name, value in examples.items():
        (key,) = SETTINGS[name](value)
        assert rendered["web"][key] == rendered["car"][key] == SETTINGS[name](value)[key], name


class ToySettings(ContainerSettings):
    """The container settings plus a toy one, as a new setting would be declared."""

    stop_timeout: int | None = Field(None, ge=1, le=120, description="Seconds ECS waits before killing it.")


def test_a_toy_setting_reaches_the_application_and_its_sidecars_through_one_renderer_line(
        shop: ProjectConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SETTINGS, "stop_timeout", lambda seconds: {"stopTimeout": seconds})
    # The toy declaration holds a value for the application and its sidecar (the router sets none).
    containers = [c if c.router is not None else
                  dataclasses.replace(c, settings=ToySettings(**c.settings.model_dump(), stop_timeout=30))
                  for c in task_containers(shop.application("test", "web"), "web")]
    rendered = _render(containers)
    assert rendered["web"]["stopTimeout"] == rendered["proxy"]["stopTimeout"] == 30
    assert "stopTimeout" not in rendered[LOG_ROUTER]


def _render(containers: list[Any]) -> dict[str, dict[str, Any]]:
    names = naming.AppNames("shop", "test", "web")
    out = container_definitions(containers, image="nginx", environment=ecsp_environment(names, None), secrets={},
                                log_group="/ecsp/shop-test-web", region="us-west-2")
    return {c["name"]: c for c in out}
