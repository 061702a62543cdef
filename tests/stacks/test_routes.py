"""``routes``: more paths or host names of one web application (Copilot's ``http.additional_rules``), each
with its own target group and listener rules, to the application's container or a sidecar."""

from __future__ import annotations

import pytest

from ecsp.errors import ConfigError
from stacks.application import listener_rule_keys
from tests import harness
from tests.stacks.test_stack_application import run

CONFIG = """\
project: {name: shop, region: us-west-2, account: "111111111111", domain: example.com}
environments:
  test: {region: us-west-2}
applications:
  web:
    image: {location: public.ecr.aws/docker/library/httpd:2.4}
    port: 8080
    path: /app
    routes:
      - path: /admin
        target_container: admin
        healthcheck: {path: /admin/ready}
      - path: /
        aliases: [legacy.test.shop.example.com]
    sidecars:
      admin: {image: public.ecr.aws/acme/admin:3, port: 9000}
  api:
    image: {location: public.ecr.aws/acme/api:1}
    port: 80
    path: /api
"""


def test_each_route_has_its_target_group_rules_and_service_entry() -> None:
    config = harness.config(CONFIG)
    recording, _ = run(config, "test", "web")
    groups = {g.name: g.inputs for g in recording.of_type("aws:lb/targetGroup:TargetGroup")}
    assert len(groups) == 3  # the application's and one per route
    admin = next(g for g in groups.values() if g["port"] == 9000)
    assert admin["healthCheck"]["path"] == "/admin/ready"
    legacy = next(g for name, g in groups.items() if name.endswith("-r2") or "-r2-" in name)
    assert legacy["port"] == 8080 and legacy["healthCheck"]["path"] == "/"  # the application's check
    balancers = recording.one("aws:ecs/service:Service", "web").inputs["loadBalancers"]
    assert [(b["containerName"], b["containerPort"]) for b in balancers] == [("web", 8080), ("admin", 9000),
                                                                             ("web", 8080)]
    rules = {r.name: r.inputs for r in recording.of_type("aws:lb/listenerRule:ListenerRule")}
    conditions = rules["web-route1-https"]["conditions"]
    assert {"pathPattern": {"values": ["/admin", "/admin/*"]}} in conditions
    assert {"hostHeader": {"values": ["web.test.shop.example.com"]}} in conditions  # the application's host
    legacy_hosts = [c for c in rules["web-route2-https"]["conditions"] if "hostHeader" in c]
    assert legacy_hosts == [{"hostHeader": {"values": ["legacy.test.shop.example.com"]}}]
    assert rules["web-route2-http"]["actions"][0]["type"] == "redirect"
    # Every rule of the listener has its own priority, the routes' included.
    keys = listener_rule_keys(config, "test")
    assert len(keys) == len(set(keys)) == 4
    priorities = [r["priority"] for name, r in rules.items() if name.endswith("https")]
    assert len(priorities) == len(set(priorities))


@pytest.mark.parametrize(("edit", "message"), [
    (("      - path: /admin\n", "      - path: /api\n"),
     "applications.api.path: '/api' is already the path of application 'web'; give 'api' its own path"),
    (("      - path: /admin\n", "      - path: /app\n"), "'/app' is already routed to application 'web'"),
    (("        target_container: admin\n", "        target_container: admim\n"),
     r"applications.web.routes.0.target_container: there is no sidecar 'admim' to send requests to; did you "
     "mean 'admin'"),
    (("    path: /app\n", "    path: /app\n    deployment: {strategy: blue-green}\n"),
     "moves the traffic of one target group, and routes give the application 2 more"),
])
def test_a_route_that_cannot_work_is_refused(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        harness.config(CONFIG.replace(*edit))


def test_a_root_route_without_host_names_is_refused() -> None:
    text = CONFIG.replace("domain: example.com", "").replace("        aliases: [legacy.test.shop.example.com]\n", "")
    with pytest.raises(ConfigError, match=r"routes.1.path: a route on the root path '/' needs host names"):
        harness.config(text)
