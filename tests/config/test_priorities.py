"""Properties of the listener-rule priority function (ecsp.priorities)."""

from __future__ import annotations

import itertools
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsp import priorities as P
from ecsp.config import PATH_PATTERN

SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzAZ019._~-", min_size=1, max_size=6)
SHALLOW = st.lists(SEGMENT, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
# Depth 12 has a 40-slot band, so sets of these collide often and exercise the collision rule.
DEEP = st.lists(st.sampled_from("abcdefgh"), min_size=12, max_size=12).map(lambda s: "/" + "/".join(s))
PATH = st.one_of(st.just("/"), SHALLOW, DEEP)
PATHS = st.sets(PATH, max_size=30)


def _home_shared(path: str, paths: set[str]) -> bool:
    return any(q != path and P.home(q) == P.home(path) for q in paths)


@given(PATH)
def test_generated_paths_are_valid_config_paths(path: str) -> None:
    assert re.match(PATH_PATTERN, path)


@given(PATHS)
def test_unique_and_in_alb_range(paths: set[str]) -> None:
    result = P.priorities(paths)
    assert set(result) == paths
    assert len(set(result.values())) == len(paths)
    assert all(P.MIN_PRIORITY <= v <= P.ROOT_PRIORITY for v in result.values())


@given(PATHS)
def test_root_is_last(paths: set[str]) -> None:
    result = P.priorities(paths | {"/"})
    assert result["/"] == P.ROOT_PRIORITY == max(result.values())


@given(PATHS, st.data())
def test_more_specific_paths_are_evaluated_first(paths: set[str], data: st.DataObject) -> None:
    # Add extensions of existing paths, so nested pairs (the only pairs that overlap) occur.
    bases = sorted(p for p in paths if P.depth(p) < P.MAX_DEPTH - 4)
    if bases:
        for base in data.draw(st.lists(st.sampled_from(bases), max_size=5)):
            extra = data.draw(st.lists(SEGMENT, min_size=1, max_size=3))
            paths = paths | {base.rstrip("/") + "/" + "/".join(extra)}
    result = P.priorities(paths)
    for p, q in itertools.permutations(paths, 2):
        if q == "/" or p.startswith(q + "/"):  # q's rule also matches everything p's rule matches
            assert result[p] < result[q], (p, q)
        if P.depth(p) > P.depth(q):
            assert result[p] < result[q], (p, q)


@given(PATHS, PATH)
def test_adding_or_removing_an_application_moves_no_unshared_rule(paths: set[str], new: str) -> None:
    before = P.priorities(paths - {new})
    after = P.priorities(paths | {new})
    for p in paths - {new}:
        if not _home_shared(p, paths | {new}):
            assert before[p] == after[p] == P.home(p), p


@given(PATHS)
def test_colliding_paths_stay_in_their_band_and_spare_every_home(paths: set[str]) -> None:
    result = P.priorities(paths)
    homes = {P.home(p) for p in paths}
    for p, value in result.items():
        if p == "/":
            continue
        assert value in P.band(p)
        if value != P.home(p):
            assert value not in homes  # a displaced rule never takes another path's home
            assert _home_shared(p, paths)


@given(st.lists(PATH, max_size=20), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_order_or_duplicates(paths: list[str], rnd: random.Random) -> None:
    shuffled = paths * 2
    rnd.shuffle(shuffled)
    assert P.priorities(paths) == P.priorities(shuffled)
    for p in paths:
        assert P.priority(p, shuffled) == P.priorities(paths)[p]


def test_values_are_pinned() -> None:
    # Deployed rules carry these numbers: changing the hash or the bands moves every rule.
    assert P.priorities(["/", "/api", "/api/v2", "/worker"]) == {
        "/": 50000, "/api": 27611, "/api/v2": 22723, "/worker": 35471,
    }


def test_bands_are_ordered_and_fit() -> None:
    assert P.band("/a").stop <= P.ROOT_PRIORITY
    assert P.band("/" + "/".join("x" * P.MAX_DEPTH)).start == P.MIN_PRIORITY
    for d in range(1, P.MAX_DEPTH):
        deeper, shallower = P.band("/x" * (d + 1)), P.band("/x" * d)
        assert deeper.stop == shallower.start


def _collision(depth: int, count: int) -> list[str]:
    """``count`` distinct paths of ``depth`` segments sharing one home slot."""
    by_home: dict[int, list[str]] = {}
    for i in itertools.count():
        path = "/" + "/".join(["s"] * (depth - 1) + [f"p{i}"])
        group = by_home.setdefault(P.home(path), [])
        group.append(path)
        if len(group) == count:
            return group
    raise AssertionError("unreachable")


def test_collision_keeps_the_smallest_path_home_and_moves_only_the_others() -> None:
    a, b = sorted(_collision(1, 2))
    bystander = "/bystander"
    assert P.home(bystander) != P.home(a)
    alone = P.priorities([a, bystander])
    together = P.priorities([a, b, bystander])
    assert together[a] == alone[a] == P.home(a)
    assert together[b] != P.home(b) and together[b] in P.band(b)
    assert together[bystander] == alone[bystander]


def test_probe_skips_the_home_of_a_path_that_is_not_colliding() -> None:
    a, b = sorted(_collision(12, 2))
    slots = P.band(a)
    next_slot = slots.start + (P.home(a) - slots.start + 1) % len(slots)
    neighbour = next(p for p in (f"/n/n/n/n/n/n/n/n/n/n/n/q{i}" for i in itertools.count()) if P.home(p) == next_slot)
    result = P.priorities([a, b, neighbour])
    assert result[neighbour] == next_slot
    assert result[b] not in (P.home(a), next_slot)


def test_full_band_is_an_error_not_a_silent_overlap() -> None:
    crowded = [f"/x/x/x/x/x/x/x/x/x/x/x/p{i}" for i in range(len(P.band("/x" * 12)) + 1)]
    with pytest.raises(ValueError, match="no free priority"):
        P.priorities(crowded)


def test_rejects_what_is_not_a_path() -> None:
    with pytest.raises(ValueError, match="not a path"):
        P.priorities(["api"])
