"""deployment: strategies, their settings and alarms as written in ecsp.yaml: what is accepted, what refused, how."""

from __future__ import annotations

import pytest

from ecsp import loader
from ecsp.config import CanaryConfig, LinearConfig, minutes
from ecsp.errors import ConfigError
from tests.config.test_config_errors import API, BASE, WORKER

# BASE's web application ends on line 15; a deployment block appended there starts on line 16.
WEB = "applications.web.deployment"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loader.loads(text, "ecsp.yaml")
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(("block", "expected"), [
    ("    deployment: {strategy: bluegreen}\n",
     f"ecsp.yaml:16: {WEB}.strategy: 'bluegreen' is not allowed; use 'rolling', 'blue-green', 'canary' or 'linear'"),
    ("    deployment: {canary: {percent: 10}}\n",
     f"ecsp.yaml:16: {WEB}.canary: canary settings apply to strategy: canary, and this is strategy: rolling; set "
     "strategy: canary, or remove canary"),
    ("    deployment: {strategy: canary, linear: {percent: 10}}\n",
     f"ecsp.yaml:16: {WEB}.linear: linear settings apply to strategy: linear, and this is strategy: canary; set "
     "strategy: linear, or remove linear"),
    ("    deployment: {bake_time: 10m}\n",
     f"ecsp.yaml:16: {WEB}.bake_time: bake_time needs traffic shifting, and strategy: rolling has none; set "
     "strategy: blue-green, canary or linear, or remove bake_time"),
    ("    deployment: {test_route: {header: X-Test}}\n",
     f"ecsp.yaml:16: {WEB}.test_route: test_route needs traffic shifting, and strategy: rolling has none; set "
     "strategy: blue-green, canary or linear, or remove test_route"),
    ("    deployment:\n      strategy: blue-green\n      rolling: recreate\n",
     f"ecsp.yaml:18: {WEB}.rolling: rolling belongs to strategy: rolling, and this is strategy: blue-green (which "
     "starts a whole new set of tasks); remove rolling"),
    ("    deployment: {strategy: blue-green, bake_time: 90s}\n",
     f"ecsp.yaml:16: {WEB}.bake_time: 90s is not a whole number of minutes, which ECS counts in; write e.g. 5m"),
    ("    deployment: {strategy: blue-green, bake_time: 2d}\n",
     f"ecsp.yaml:16: {WEB}.bake_time: 2d is outside what an ECS wait allows (0ms to 1d); pick a value in "
     "that range"),
    ("    deployment: {strategy: canary, canary: {percent: 0}}\n",
     f"ecsp.yaml:16: {WEB}.canary.percent: 0 is out of range; use 0.1 to 100"),
    ("    deployment: {strategy: linear, linear: {percent: 2}}\n",
     f"ecsp.yaml:16: {WEB}.linear.percent: 2 is out of range; use 3 to 100"),
    ("    deployment: {alarms: {}}\n",
     f"ecsp.yaml:16: {WEB}.alarms.names: no alarm given; list alarm names, or set errors or response_time"),
    ("    deployment: {strategy: blue-green, test_route: {header: 'X Test'}}\n",
     f"ecsp.yaml:16: {WEB}.test_route.header: "),
])
def test_impossible_deployments_are_refused_with_the_line_and_the_fix(block: str, expected: str) -> None:
    got = problems(BASE + block)
    assert len(got) == 1 and got[0].startswith(expected), got


def test_only_applications_with_traffic_to_shift_may_shift_it() -> None:
    worker = problems(BASE + WORKER + "    deployment: {strategy: linear, alarms: {errors: 5}}\n")
    assert sorted(worker) == [
        "ecsp.yaml:19: applications.orders.deployment.alarms.errors: errors is measured on the load balancer's target "
        "group, and a worker has none; name existing alarms in names, or remove errors",
        "ecsp.yaml:19: applications.orders.deployment.strategy: strategy: linear moves traffic from the old tasks to "
        "the new ones, and a worker receives none through the load balancer or Service Connect; use strategy: rolling"]
    backend = API.replace("  api:\n", "  api:\n    kind: backend\n")
    lonely = problems(BASE + backend + "    deployment: {strategy: blue-green, test_route: {header: X-Test}}\n")
    assert lonely == [
        "ecsp.yaml:20: applications.api.deployment.strategy: strategy: blue-green moves traffic from the old tasks to "
        "the new ones, and a backend without connect receives none through the load balancer or Service Connect; set "
        "connect: true (Service Connect shifts its callers' traffic), or use strategy: rolling",
        "ecsp.yaml:20: applications.api.deployment.test_route: a test route is a rule on the load balancer, and a "
        "backend is not behind it; remove test_route"]
    connected = loader.loads(BASE + backend + "    connect: true\n    deployment: {strategy: canary}\n")
    assert connected.application("test", "api").deployment.strategy == "canary"


def test_an_environment_overrides_the_whole_deployment_block() -> None:
    text = BASE + ("    deployment: {alarms: {names: [shop-errors]}}\n    environments:\n      prod:\n"
                   "        deployment: {strategy: canary, canary: {percent: 5, bake_time: 10m}, bake_time: 15m}\n")
    config = loader.loads(text)
    test, prod = config.application("test", "web").deployment, config.application("prod", "web").deployment
    assert (test.strategy, test.alarms is not None) == ("rolling", True)
    assert (prod.strategy, prod.alarms, prod.bake_time) == ("canary", None, "15m")
    assert prod.steps == CanaryConfig(percent=5, bake_time="10m")
    wrong = problems(BASE + "    environments:\n      prod:\n        deployment: {strategy: rolling, bake_time: 5m}\n")
    assert wrong == ["ecsp.yaml:18: applications.web.environments.prod.deployment.bake_time: bake_time needs traffic "
                     "shifting, and strategy: rolling has none; set strategy: blue-green, canary or linear, or remove "
                     "bake_time"]


def test_defaults_and_units() -> None:
    config = loader.loads(BASE + "    deployment: {strategy: linear, bake_time: 1h}\n")
    deployment = config.application("test", "web").deployment
    assert deployment.steps == LinearConfig() and minutes(deployment.steps.interval) == 1
    assert minutes(deployment.bake_time or 0) == 60
    assert loader.loads(BASE).application("test", "web").deployment.steps is None


def test_the_readme_example_is_valid_and_says_what_it_shows() -> None:
    import re

    from tests.cli.test_readme import README

    text = README.read_text().split("## Deployment strategies", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    head = "project: {name: shop, region: us-west-2}\nenvironments: {test: {region: us-west-2}, prod: " \
           "{region: us-west-2}}\n"
    # The snippet shows only the deployment settings; an image, a port and a path complete each application.
    body = "".join(line + ("\n    image: {location: nginx}\n    port: 80\n    path: /" + line.strip(" :") + "\n"
                           if re.fullmatch(r"  [a-z]+:", line) else "\n") for line in block.splitlines())
    config = loader.loads(head + body, "README.md")
    shop = config.application("prod", "shop").deployment
    assert (shop.strategy, minutes(shop.bake_time or 0), shop.test_route is not None) == ("blue-green", 15, True)
    assert shop.alarms is not None and shop.alarms.created == {"errors": 5, "response_time": 0.8}
    assert config.application("test", "search").deployment.strategy == "rolling"
    assert config.application("prod", "search").deployment.steps == CanaryConfig(percent=10, bake_time="5m")
    assert config.application("prod", "checkout").deployment.steps == LinearConfig(percent=25, interval="2m")


def test_traffic_moves_on_one_rule_so_host_names_must_fit_in_it() -> None:
    with_domain = BASE.replace("  region: us-west-2\nenvironments", "  region: us-west-2\n  domain: example.com\n"
                               "environments", 1)
    many = with_domain + ("    aliases: [a.example.com, b.example.com, c.example.com]\n"
                          "    deployment: {strategy: canary}\n")
    found = [p for p in problems(many) if ".deployment." in p]
    assert found == ["ecsp.yaml:18: applications.web.deployment.strategy: strategy: canary moves the traffic of one "
                     "listener rule, and 4 host names need 2 rules (at most 3 per rule); keep 2 aliases at most, or "
                     "use strategy: rolling"]
