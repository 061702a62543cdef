"""The config model on valid input: defaults, per-environment overrides, queries, and the public interface."""

from __future__ import annotations

import re
import textwrap

import pytest
from pydantic import ValidationError

from ecsp import loader
from ecsp.config import (
    Application,
    ApplicationConfig,
    AutoscalingConfig,
    EnvironmentConfig,
    HealthCheckConfig,
    ImageConfig,
    NetworkConfig,
    ProjectConfig,
    ProjectSection,
    StateConfig,
    partial_problems,
    secret_kind,
)
from tests.paths import EXAMPLE_FILES

SHOP = textwrap.dedent("""\
    project:
      name: shop
      region: us-west-2
      account: "111111111111"
    environments:
      test:
        region: us-west-2
      prod:
        region: eu-west-1
        account: "222222222222"
        network: {cidr: 10.1.0.0/16, nat: single}
    applications:
      api:
        image: {location: httpd}
        port: 8080
        path: /api
        cpu: 512
        memory: 1024
        count: {min: 1, max: 4}
        healthcheck: {path: /health, interval: 30}
        variables: {LOG_LEVEL: info, MODE: web}
        secrets: {DB_PASSWORD: /shop/db}
        environments:
          prod:
            cpu: 1024
            memory: 4096
            count: 3
            placement: private
            healthcheck: {timeout: 10}
            variables: {LOG_LEVEL: warning}
            image: {build: ./api}
""")


@pytest.fixture
def shop() -> ProjectConfig:
    return loader.loads(SHOP)


def test_defaults_fill_what_the_file_leaves_out() -> None:
    config = loader.loads("project: {name: a, region: us-east-1}\nenvironments: {test: {region: us-east-1}}\n"
                          "applications: {web: {image: {location: nginx}, port: 80}}\n")
    web = config.application("test", "web")
    assert (web.path, web.cpu, web.memory, web.count, web.placement) == ("/", 256, 512, 1, "public")
    assert web.healthcheck == HealthCheckConfig()
    assert web.autoscaling is None and web.desired_count == 1
    assert config.environments["test"].network == NetworkConfig(cidr="10.0.0.0/16", nat="none")
    assert config.state == StateConfig()
    assert config.project.ecr.keep_images == 50


def test_base_settings_apply_where_nothing_is_overridden(shop: ProjectConfig) -> None:
    api = shop.application("test", "api")
    assert (api.cpu, api.memory, api.placement, api.image.location) == (512, 1024, "public", "httpd")
    assert api.autoscaling == AutoscalingConfig(min=1, max=4)
    assert api.desired_count == 1
    assert api.healthcheck.path == "/health" and api.healthcheck.interval == 30


def test_overrides_replace_scalars_and_images_and_extend_maps(shop: ProjectConfig) -> None:
    api = shop.application("prod", "api")
    assert (api.cpu, api.memory, api.count, api.placement) == (1024, 4096, 3, "private")
    assert api.autoscaling is None and api.desired_count == 3
    assert api.image == ImageConfig(build="./api")
    # maps: the override's keys win, the base's other keys stay
    assert api.variables == {"LOG_LEVEL": "warning", "MODE": "web"}
    assert api.secrets == {"DB_PASSWORD": "/shop/db"}
    # the health check merges field by field
    assert (api.healthcheck.path, api.healthcheck.interval, api.healthcheck.timeout) == ("/health", 30, 10)


def test_queries(shop: ProjectConfig) -> None:
    assert shop.account_of("test") == "111111111111"  # the project's account
    assert shop.account_of("prod") == "222222222222"
    assert shop.regions() == ["us-west-2", "eu-west-1"]
    assert list(shop.deployments()) == [("test", "api"), ("prod", "api")]


def test_yaml_scalars_become_strings_in_variables_and_build_args() -> None:
    config = loader.loads("project: {name: a, region: us-east-1}\nenvironments: {test: {region: us-east-1}}\n"
                          "applications:\n  web:\n    image: {build: ., args: {VERSION: 1.5, DEBUG: true}}\n"
                          "    port: 80\n    variables: {PORT: 80, DEBUG: false, RATIO: 0.5}\n")
    web = config.application("test", "web")
    assert web.variables == {"PORT": "80", "DEBUG": "false", "RATIO": "0.5"}
    assert web.image.args == {"VERSION": "1.5", "DEBUG": "true"}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.parent.name)
def test_examples_round_trip_through_plain_data(path: object) -> None:
    config = loader.load(str(path))
    again = ProjectConfig.model_validate(config.model_dump(exclude_unset=True))
    assert again == config
    assert [again.application(e, a) for e, a in again.deployments()] == [
        config.application(e, a) for e, a in config.deployments()]


def test_models_are_frozen(shop: ProjectConfig) -> None:
    with pytest.raises(ValidationError):
        shop.project.name = "other"  # type: ignore[misc]


def test_numbers_are_not_booleans() -> None:
    # Strict models: YAML's `yes` must not become port 1.
    with pytest.raises(ValidationError):
        ApplicationConfig.model_validate({"image": {"location": "x"}, "port": True})


def test_public_models_validate_on_their_own() -> None:
    assert ProjectSection(name="shop", region="us-west-2").ecr.immutable_tags is False
    assert EnvironmentConfig(region="eu-west-1").container_insights is False
    with pytest.raises(ValidationError, match="is not valid with cpu 256"):
        Application(image=ImageConfig(location="x"), port=80, memory=4096)
    assert AutoscalingConfig(min=1, max=2).targets == {"cpu": 70}
    assert AutoscalingConfig(min=1, max=2, memory_percentage=60, requests=100).targets == {
        "memory": 60, "requests": 100}


@pytest.mark.parametrize(("ref", "kind"), [
    ("/shop/db-password", "ssm"),
    ("shop-db-password", "ssm"),
    ("arn:aws:ssm:us-west-2:111111111111:parameter/shop/db", "ssm"),
    ("arn:aws:secretsmanager:us-west-2:111111111111:secret:shop/api-AbCdEf", "secretsmanager"),
    ("arn:aws-us-gov:secretsmanager:us-gov-west-1:111111111111:secret:x", "secretsmanager"),
    ("arn:aws:s3:::bucket/key", None),
    ("has spaces", None),
    ("arn:aws:ssm:us-west-2:111111111111:document/x", None),
    ("", None),
])
def test_secret_kind(ref: str, kind: str | None) -> None:
    assert secret_kind(ref) == kind


@pytest.mark.parametrize("region", ["us-west-2", "us-gov-west-1", "eusc-de-east-1", "ap-southeast-7", "mx-central-1"])
def test_regions_botocore_knows_are_accepted(region: str) -> None:
    assert EnvironmentConfig(region=region).region == region


@pytest.mark.parametrize(("region", "said"), [
    ("eu-west-9", "'eu-west-9' is not an AWS region (this botocore knows eu-west-1, eu-west-2, eu-west-3); if AWS "
                  "opened it after this release, `pip install -U boto3` brings it"),
    ("us-wset-2", "'us-wset-2' is not an AWS region; did you mean us-west-2?"),
])
def test_regions_botocore_does_not_know_are_refused(region: str, said: str) -> None:
    with pytest.raises(ValueError, match=re.escape(said)):
        EnvironmentConfig(region=region)


def test_partial_problems_on_unreadable_documents_report_nothing() -> None:
    assert partial_problems(None) == []
    assert partial_problems(["a"]) == []
    assert partial_problems({"environments": "x", "applications": [1]}) == []


def test_partial_problems_find_cross_field_problems_next_to_a_broken_environment() -> None:
    data = {
        "project": {"name": "shop", "region": "us-west-2"},
        "environments": {"test": {"region": "nowhere-1"}},
        "applications": {"a": {"image": {"location": "x"}, "port": 80},
                         "b": {"image": {"location": "y"}, "port": 81, "path": "/"}},
    }
    problems = partial_problems(data)
    assert [(p.path, p.message) for p in problems] == [(
        ("applications", "b", "path"),
        "only one application without host names may use the root path '/', and 'a' already does; give 'b' its own "
        "path, e.g. /b, or aliases (the host names that reach it)",
    )]
