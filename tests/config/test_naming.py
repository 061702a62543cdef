"""Name shortening and derived names: never over a limit, stable, distinct, untouched when they fit."""

from __future__ import annotations

import re

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
