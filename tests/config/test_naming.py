"""Name shortening and derived names: never over a limit, stable, distinct, untouched when they fit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsp import naming
from ecsp.config import NAME_PATTERN

ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789"
names = st.text(alphabet=ALPHANUMERIC + "-", min_size=1, max_size=120)
limits = st.integers(min_value=8, max_value=128)


@st.composite
def user_names(draw: st.DrawFn, max_size: int) -> str:
    """Names ecsp.yaml accepts (NAME_PATTERN), up to ``max_size`` characters, longest ones likely."""
    first = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    segments = draw(st.lists(st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=10), max_size=6))
    name = "-".join([first + (segments[0] if segments else ""), *segments[1:]])[:max_size].rstrip("-")
    assert re.match(NAME_PATTERN, name), name
    return name


@given(names, limits)
def test_never_longer_than_the_limit(name: str, limit: int) -> None:
    assert len(naming.shorten(name, limit)) <= limit


@given(names, limits)
def test_unchanged_when_it_fits(name: str, limit: int) -> None:
    if len(name) <= limit:
        assert naming.shorten(name, limit) == name
    else:
        assert naming.shorten(name, limit) != name


@given(names, limits)
def test_deterministic_and_keeps_a_readable_prefix(name: str, limit: int) -> None:
    short = naming.shorten(name, limit)
    assert short == naming.shorten(name, limit)
    if len(name) > limit:
        prefix = name[: limit - 7].rstrip("-")
        assert short.startswith(prefix)
        assert short[len(prefix)] == "-"


@given(names, names, limits)
def test_distinct_long_names_stay_distinct(a: str, b: str, limit: int) -> None:
    if a != b and len(a) > limit and len(b) > limit:
        assert naming.shorten(a, limit) != naming.shorten(b, limit)


def test_no_collisions_among_many_similar_names() -> None:
    # Names that share a long prefix differ only in the hash: the realistic worst case.
    long = [f"shop-production-{i:05d}-frontend" for i in range(20000)]
    assert len({naming.shorten(n, 24) for n in long}) == len(long)


@pytest.mark.parametrize("limit", [-1, 0, 7])
def test_a_limit_without_room_for_the_hash_is_refused(limit: int) -> None:
    with pytest.raises(ValueError):
        naming.shorten("anything-long-enough", limit)


@given(user_names(naming.MAX_PROJECT), user_names(naming.MAX_ENVIRONMENT), user_names(naming.MAX_APPLICATION))
def test_derived_aws_names_fit_their_limits(project: str, env: str, app: str) -> None:
    # Auto-named resources get 8 more characters from Pulumi: the base must leave room.
    suffix = naming.AUTONAME_SUFFIX
    app_names = naming.AppNames(project, env, app)
    env_names = naming.EnvNames(project, env)
    assert len(app_names.target_group) + suffix <= naming.TARGET_GROUP_NAME_LIMIT
    assert len(app_names.execution_role) + suffix <= naming.IAM_ROLE_NAME_LIMIT
    assert len(app_names.task_role) + suffix <= naming.IAM_ROLE_NAME_LIMIT
    assert len(env_names.load_balancer) + suffix <= naming.ALB_NAME_LIMIT
    assert len(env_names.default_target_group) + suffix <= naming.TARGET_GROUP_NAME_LIMIT
    assert len(naming.artifact_bucket(project, "ap-southeast-7")) + suffix <= naming.S3_BUCKET_NAME_LIMIT
    assert len(naming.dns_delegation_role(project)) <= naming.IAM_ROLE_NAME_LIMIT


def test_name_limit_problems_point_at_the_environment() -> None:
    domain = "a-rather-long-domain-name-for-a-certificate.example.com"
    problems = naming.name_limit_problems("shop", domain, ["test", "qa"], ["web"])
    assert problems == [(("environments", "test"),
                         f"the certificate name 'test.shop.{domain}' is 65 characters; ACM allows 64: shorten the "
                         "environment, project or domain name")]
    assert naming.name_limit_problems("shop", None, ["a" * 16], ["b" * 24]) == []


# --------------------------------------------------------------------------- beside Copilot

topics = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)
PULUMI_SUFFIX = "-0a1b2c3"  # what Pulumi's auto-naming appends to a logical name


def _every_name(project: str, env: str, app: str, topic: str, pipeline: str) -> dict[str, list[str]]:
    """Every physical name ecsp gives, by the label of its kind in naming.NAMED_KINDS."""
    names = naming.AppNames(project, env, app)
    envs = naming.EnvNames(project, env)
    pipe = naming.PipelineNames(project, pipeline)
    return {
        "ECR repository": [naming.ecr_repository(project, app)],
        "SNS topic": [names.topic(topic)],
        "SQS queue": [names.queue, names.dead_letter_queue],
        "Step Functions state machine": [names.state_machine],
        "CloudWatch log group": [names.log_group, naming.flow_log_group(project, env), pipe.log_group(env)],
        "ECS task definition family": [names.family],
        "ECS cluster": [envs.cluster],
        "IAM role": [naming.dns_delegation_role(project), naming.deploy_role(project, env), pipe.build_role,
                     pipe.pipeline_role, pipe.events_role,
                     *(logical + PULUMI_SUFFIX for logical in (names.execution_role, names.task_role,
                                                                names.state_machine_role, names.scheduler_role))],
        "Cloud Map namespace": [envs.service_connect_namespace],
        "Route 53 hosted zone": [naming.project_zone(project, "example.com"),
                                 naming.environment_zone(project, env, "example.com")],
        "EventBridge Scheduler schedule": [names.schedule],
        "KMS alias": [naming.kms_alias(project)],
        "CodePipeline pipeline": [pipe.pipeline_name],
        "CodeBuild project": [pipe.build_project(env)],
        "IAM managed policy": [naming.permissions_boundary(project), naming.permissions_boundary(project, env),
                               *(naming.permissions_boundary(project, env, w)
                                 for w in (naming.DEPLOYERS, naming.PREVIEWS, naming.PREVIEW_DEPLOYERS))],
        "CloudWatch alarm": [names.rollback_alarm("errors"), names.rollback_alarm("response-time")],
    }


def test_every_named_kind_has_names_to_check() -> None:
    assert set(_every_name("shop", "test", "api", "created", "release")) == {k.label for k in naming.NAMED_KINDS}


@given(user_names(naming.MAX_PROJECT), user_names(naming.MAX_ENVIRONMENT), user_names(naming.MAX_APPLICATION),
       topics, user_names(naming.MAX_PIPELINE))
def test_no_name_ecsp_gives_is_one_copilot_gives(project: str, env: str, app: str, topic: str,
                                                pipeline: str) -> None:
    kinds = {k.label: k for k in naming.NAMED_KINDS}
    for label, names in _every_name(project, env, app, topic, pipeline).items():
        kind = kinds[label]
        if kind.user_facing:
            continue  # host names: the same shape on purpose (checked in the account by `up`)
        for name in names:
            assert kind.copilot_pattern(name) is None, (label, name, kind.copilot_pattern(name))


@pytest.mark.parametrize(("label", "copilots"), [
    # What a Copilot application "shop" with environment "test" and service "api" names (read from
    # aws/copilot-cli's templates); the patterns must see them, or the property above proves nothing.
    ("ECR repository", ["shop/api", "copilot-migrate"]),
    ("SNS topic", ["shop-test-api-orders", "shop-test-api-Order_Events"]),
    ("SQS queue", ["shop-test-worker-EventsQueue-1ABC2DEF3GH4I"]),
    ("Step Functions state machine", ["shop-test-nightly"]),
    ("CloudWatch log group", ["/copilot/shop-test-api", "shop-test-FlowLogs"]),
    ("ECS task definition family", ["shop-test-api", "copilot-migrate"]),
    ("IAM role", ["shop-test-CFNExecutionRole", "shop-test-envmanagerrole", "shop-DNSDelegationRole",
                  "shop-test-api-TaskRole-1R2ZQ6H6LGY2V"]),
    ("Cloud Map namespace", ["test.shop.local", "shop.local"]),
    ("CodePipeline pipeline", ["pipeline-shop-release", "release"]),
    ("CodeBuild project", ["pipeline-shop-release-BuildProject"]),
])
def test_copilots_own_names_match_its_patterns(label: str, copilots: list[str]) -> None:
    kind = next(k for k in naming.NAMED_KINDS if k.label == label)
    assert [name for name in copilots if kind.copilot_pattern(name) is None] == []
    # ... and the ecsp names of the same application are not among them.
    ours = _every_name("shop", "test", "api", "orders", "release")[label]
    assert [name for name in ours if kind.copilot_pattern(name)] == []


PIPELINE_PROJECT = """\
project: {name: shop, region: us-east-1, account: "111111111111", domain: example.com}
environments:
  test: {region: us-east-1}
applications:
  web: {image: {location: nginx}, port: 80, publish: [created], connect: true}
  orders: {kind: worker, image: {location: busybox}, subscribe: [{app: web, topic: created}]}
  nightly: {kind: job, image: {location: busybox}, schedule: "rate(1 day)"}
state: {backend: "s3://shop-state/pulumi", secrets_provider: "awskms://alias/shop-pulumi?region=us-east-1"}
pipelines:
  release: {source: github, repository: acme/shop, connection: create, stages: [{environment: test}]}
"""
# Resources whose name input is scoped inside another resource ecsp owns (a record in its zone, a
# policy in its role, a service in its cluster), so no other tool's name can meet it.
SCOPED = {"aws:route53/record:Record", "aws:iam/rolePolicy:RolePolicy", "aws:ecs/service:Service",
          "pulumi:pulumi:StackReference", "pulumi:providers:aws",
          "aws:codestarconnections/connection:Connection"}  # connection names are not unique in AWS


def test_every_name_the_stacks_set_is_a_named_kind(tmp_path: Any) -> None:
    import ecsp

    (tmp_path / "ecsp.yaml").write_text(PIPELINE_PROJECT)
    plan = ecsp.load(str(tmp_path / "ecsp.yaml")).plan(with_pipeline=True)
    named = {(r.type, key) for s in plan.stacks for r in s.resources for key in ("name", "family")
             if isinstance(r.inputs.get(key), str) and r.type not in SCOPED}
    kinds = {(k.resource_type, k.name_input) for k in naming.NAMED_KINDS}
    assert named - kinds == set()
    assert {t for t, _ in named} >= {"aws:ecr/repository:Repository", "aws:sns/topic:Topic", "aws:sqs/queue:Queue",
                                    "aws:sfn/stateMachine:StateMachine", "aws:codepipeline/pipeline:Pipeline"}
