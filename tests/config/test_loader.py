"""The loader: lines for every field, YAML pitfalls (duplicates, anchors, tabs), file problems, and no tracebacks."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecsp import loader
from ecsp.errors import ConfigError
from tests.paths import EXAMPLE_FILES

MULTI = next(p for p in EXAMPLE_FILES if p.parent.name == "multi")


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loader.loads(textwrap.dedent(text))
    return [str(p) for p in caught.value.problems]


def test_an_empty_mapping_document_is_explained_at_line_1() -> None:
    assert problems_of("{}\n") == [
        "ecsp.yaml:1: environments: 'environments' is required; add it, e.g. environments: {test: {region: us-west-2}}",
        "ecsp.yaml:1: project: 'project' is required; add it, e.g. project: {name: shop, region: us-west-2}",
    ]


def test_a_problem_inside_a_flow_mapping_points_at_its_key() -> None:
    assert problems_of("""\
        project: {name: shop, region: us-west-2}
        environments:
          test: {region: us-west-2, network: {cidr: 10.0.0.0/8}}
        """) == ["ecsp.yaml:3: environments.test.network.cidr: '10.0.0.0/8' is larger than AWS allows for a VPC "
                 "(/16 at most); use e.g. 10.0.0.0/16"]


def test_a_missing_key_points_at_its_parent() -> None:
    assert problems_of("""\
        project: {name: shop, region: us-west-2}
        environments:

          test:
            account: "111111111111"
        """) == ["ecsp.yaml:4: environments.test.region: 'region' is required; add it, e.g. region: us-west-2"]


def test_every_duplicate_is_reported_with_both_lines() -> None:
    assert problems_of("""\
        project:
          name: shop
          region: us-west-2
          name: shop2
        environments:
          test: {region: us-west-2}
          test: {region: us-east-1}
        """) == [
        "ecsp.yaml:4: project.name: duplicate key 'name' (first on line 2); YAML keeps only the last one, so remove "
        "one of them",
        "ecsp.yaml:7: environments.test: duplicate key 'test' (first on line 6); YAML keeps only the last one, so "
        "remove one of them",
    ]


def test_duplicates_are_listed_with_other_problems_in_line_order() -> None:
    assert problems_of("""\
        project: {name: shop, region: us-west-2, region: us-west-2}
        environments:
          test: {region: nowhere}
        """) == [
        "ecsp.yaml:1: project.region: duplicate key 'region' (first on line 1); YAML keeps only the last one, so "
        "remove one of them",
        "ecsp.yaml:3: environments.test.region: 'nowhere' is not an AWS region; use e.g. us-west-2",
    ]


def test_merge_keys_are_not_duplicates_and_merged_keys_point_at_the_anchor() -> None:
    text = """\
        project: {name: shop, region: us-west-2}
        environments:
          test: &env
            region: us-west-2
            network: {nat: sideways}
          prod:
            <<: *env
            region: eu-west-1
        """
    # Both environments inherit the bad NAT value; prod's copy is written on the anchor's line.
    assert problems_of(text) == [
        "ecsp.yaml:5: environments.prod.network.nat: 'sideways' is not allowed; use 'none', 'single' or 'per-az'",
        "ecsp.yaml:5: environments.test.network.nat: 'sideways' is not allowed; use 'none', 'single' or 'per-az'",
    ]
    fixed = loader.loads(textwrap.dedent(text).replace("sideways", "single"))
    assert fixed.environments["prod"].region == "eu-west-1"
    assert fixed.environments["prod"].network.nat == "single"


def test_recursive_aliases_do_not_hang() -> None:
    assert problems_of("project: &p {name: shop, region: us-west-2, me: *p}\nenvironments: {}\n") == [
        "ecsp.yaml:1: project.me: unknown key 'me'; valid keys: account, domain, ecr, esc, name, region",
        "ecsp.yaml:2: environments: define at least one environment, e.g. test: {region: us-west-2}",
    ]


def test_one_problem_is_one_line_even_for_values_with_newlines() -> None:
    assert problems_of("""\
        project:
          name: shop
          region: |
            us-west-2
        environments: {test: {region: us-west-2}}
        """) == ["ecsp.yaml:3: project.region: 'us-west-2\\n' is not an AWS region; did you mean us-west-2?"]


def test_deeply_nested_documents_are_refused_cleanly() -> None:
    text = "project: " + "[" * 1200 + "]" * 1200 + "\n"
    assert problems_of(text) == ["ecsp.yaml: the document is nested too deeply to be a project file"]


@pytest.mark.parametrize(("content", "message"), [
    (None, ": file not found; create one with `ecsp init` or pass -f PATH"),
    (b"\xff\xfe not utf-8", ":1: not UTF-8 text (byte 0xff); save the file as UTF-8"),
    (b"project:\n  name: caf\xe9\n", ":2: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
])
def test_file_problems(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "ecsp.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        loader.load(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}{message}"]


def test_a_directory_is_not_a_project_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        loader.load(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory; pass the YAML file, e.g. -f {tmp_path / 'ecsp.yaml'}"


BUILT = """\
project: {name: shop, region: us-west-2}
environments:
  test: {region: us-west-2}
  prod: {region: us-west-2}
applications:
  web:
    image: {build: ./web}
    port: 80
    environments:
      prod:
        image: {build: ./web, dockerfile: Dockerfile.prod}
"""


def test_build_contexts_must_exist_next_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ecsp.yaml"
    path.write_text(BUILT, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        loader.load(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:7: applications.web.image.build: directory ./web does not exist next to {path}; create it or fix "
        "the path",
        f"{path}:11: applications.web.environments.prod.image.build: directory ./web does not exist next to {path}; "
        "create it or fix the path",
    ]
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(ConfigError) as caught:
        loader.load(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:11: applications.web.environments.prod.image.dockerfile: ./web has no Dockerfile.prod; add one",
    ]
    (tmp_path / "web" / "Dockerfile.prod").write_text("FROM scratch\n")
    assert loader.load(path).application("prod", "web").image.dockerfile == "Dockerfile.prod"


@pytest.mark.parametrize(("build", "use"), [
    ("./Dockerfile", "build: ."),
    ("./web/Dockerfile", "build: ./web"),
    ("web/Dockerfile.prod", "build: web with dockerfile: Dockerfile.prod"),
])
def test_a_build_that_names_the_dockerfile_says_to_name_its_directory(tmp_path: Path, build: str, use: str) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / build).write_text("FROM scratch\n")
    path = tmp_path / "ecsp.yaml"
    path.write_text(BUILT.replace("image: {build: ./web}", f"image: {{build: {build}}}").split("    environments:")[0])
    with pytest.raises(ConfigError) as caught:
        loader.load(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:7: applications.web.image.build: {build} is a file; build takes the directory that holds the "
        f"Dockerfile: use {use}",
    ]


# --------------------------------------------------------------------------- no tracebacks, ever

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths_of(value, (*prefix, key))
    return out


@st.composite
def mutated_examples(draw: st.DrawFn) -> Any:
    """The multi example with a few of its values replaced, deleted or joined by an unknown key."""
    data = copy.deepcopy(yaml.safe_load(MULTI.read_text()))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths_of(data)))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent.get(path[-1]), dict):
            parent[path[-1]][draw(st.text(min_size=1, max_size=8))] = draw(json_values)
        if not paths_of(data):
            break
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_examples())
def test_any_damage_is_explained_with_a_line_and_a_field(data: Any) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        loader.loads(text)
    except ConfigError as e:
        assert e.problems
        for problem in e.problems:
            assert problem.line is not None and 1 <= problem.line <= text.count("\n") + 1, problem
            assert problem.message and "Traceback" not in problem.message
            assert "\n" not in str(problem), problem  # one problem, one line
            assert "Input should be" not in problem.message, problem  # pydantic's wording, not ours


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_text_either_loads_or_is_explained(text: str) -> None:
    try:
        loader.loads(text)
    except ConfigError as e:
        assert all(p.message for p in e.problems)
        assert all("\n" not in str(p) for p in e.problems)
