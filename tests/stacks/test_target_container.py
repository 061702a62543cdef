"""``target_container``: the load balancer sends an application's requests to a sidecar (a proxy in front of
it, Copilot's ``http.target_container``), on that sidecar's port."""

from __future__ import annotations

import pytest

from ecsp.errors import ConfigError
from tests import harness
from tests.stacks.test_stack_application import run

CONFIG = """\
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
applications:
  web:
    image: {location: public.ecr.aws/docker/library/httpd:2.4}
    port: 8080
    target_container: envoy
    healthcheck: {path: /ready}
    sidecars:
      envoy: {image: public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod, port: 9901}
"""


def test_the_load_balancer_sends_requests_to_the_sidecars_port() -> None:
    recording, _ = run(harness.config(CONFIG), "test", "web")
    service = recording.one("aws:ecs/service:Service", "web")
    assert service.inputs["loadBalancers"] == [{
        "containerName": "envoy", "containerPort": 9901,
        "targetGroupArn": service.inputs["loadBalancers"][0]["targetGroupArn"]}]
    group = recording.of_type("aws:lb/targetGroup:TargetGroup")[0]
    assert group.inputs["port"] == 9901 and group.inputs["healthCheck"]["path"] == "/ready"


def test_without_it_the_application_itself_gets_the_requests() -> None:
    recording, _ = run(harness.config(CONFIG.replace("    target_container: envoy\n", "")), "test", "web")
    (balancer,) = recording.one("aws:ecs/service:Service", "web").inputs["loadBalancers"]
    assert (balancer["containerName"], balancer["containerPort"]) == ("web", 8080)
    assert recording.of_type("aws:lb/targetGroup:TargetGroup")[0].inputs["port"] == 8080


@pytest.mark.parametrize(("edit", "message"), [
    (("target_container: envoy", "target_container: envoi"),
     "applications.web.target_container: there is no sidecar 'envoi' to send requests to; did you mean 'envoy'?"),
    ((", port: 9901}", "}"), "sidecar 'envoy' has no port for the load balancer to send requests to; give it a port"),
    (("    port: 8080\n", "    kind: worker\n"), "target_container"),  # a worker has no load balancer
])
def test_a_target_that_cannot_take_requests_is_refused(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        harness.config(CONFIG.replace(*edit))
