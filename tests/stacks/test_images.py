"""Build tags: a content hash of the build context, and how the API hands it to programs."""

from __future__ import annotations

from pathlib import Path

from ecsp import api, images
from tests.harness import config

YAML = """
project: {name: shop, region: us-west-2}
environments:
  test: {region: us-west-2}
applications:
  web:
    image: {build: ./web}
    port: 80
  site:
    image: {location: nginx:stable}
    port: 80
    path: /site
"""


def _project(tmp_path: Path) -> api.Project:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "web" / "app.txt").write_text("v1\n")
    (tmp_path / "ecsp.yaml").write_text(YAML)
    return api.load(tmp_path / "ecsp.yaml")


def test_tag_follows_the_context_content(tmp_path: Path) -> None:
    project = _project(tmp_path)
    app = project.config.application("test", "web")
    first = images.build_tag(project.root, app)
    assert first is not None and first.startswith("ecsp-") and len(first) == 17
    assert images.build_tag(project.root, app) == first  # deterministic
    (tmp_path / "web" / "app.txt").write_text("v2\n")
    second = images.build_tag(project.root, app)
    assert second != first
    (tmp_path / "web" / "app.txt").write_text("v1\n")
    assert images.build_tag(project.root, app) == first


def test_dockerignored_files_do_not_change_the_tag(tmp_path: Path) -> None:
    project = _project(tmp_path)
    app = project.config.application("test", "web")
    (tmp_path / "web" / ".dockerignore").write_text("# local only\nlogs\n*.tmp\n")
    before = images.build_tag(project.root, app)
    (tmp_path / "web" / "logs").mkdir()
    (tmp_path / "web" / "logs" / "today.log").write_text("noise")
    (tmp_path / "web" / "scratch.tmp").write_text("noise")
    assert images.build_tag(project.root, app) == before
    (tmp_path / "web" / "new.py").write_text("print()")
    assert images.build_tag(project.root, app) != before


def test_platform_changes_the_tag(tmp_path: Path) -> None:
    project = _project(tmp_path)
    x86 = project.config.application("test", "web")
    arm = config(YAML.replace("port: 80\n  site", "port: 80\n    platform: linux/arm64\n  site")).application(
        "test", "web")
    assert images.build_tag(project.root, x86) != images.build_tag(project.root, arm)


def test_api_context_carries_root_and_tag(tmp_path: Path) -> None:
    project = _project(tmp_path)
    graph = project.stacks()
    web = project.context(graph["shop-web/test"])
    assert web.project_root == str(tmp_path.resolve())
    assert web.image_tag == images.build_tag(project.root, project.config.application("test", "web"))
    assert project.context(graph["shop-site/test"]).image_tag is None
    assert project.context(graph["shop-environment/test"]).image_tag is None
