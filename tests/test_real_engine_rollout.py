"""A failing release with the real pulumi engine and the stand-in provider (marked ``pulumi``).

`ecsp up` runs as a person runs it (a subprocess); its release task goes to moto's server,
which has none of the stand-in's clusters, so the release cannot start: what the engine
must then have is a stack whose service still runs the old revision while the new one is
registered, and an update history that says so (what `ecsp rollback` reads). A rollback is
an update with the same kind of hold; its choice of revision is tested on the fake engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecsp import api
from ecsp.rollout import revision_label
from tests import ops_support
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)
from tests.test_real_engine import PASSPHRASE, Project, copy_example, pulumi_home  # noqa: F401 (a fixture)

pytestmark = MARKS

RELEASE = "\n    release: {command: [./migrate, --all]}\n"


@pytest.fixture
def hello(tmp_path: Path, pulumi_home: Path) -> Iterator[Project]:  # noqa: F811 (the fixture it uses)
    yield Project(copy_example("hello", tmp_path), pulumi_home)


def state(project: Project, stack: str = "test") -> list[dict[str, Any]]:
    path = project.folder / ".ecsp" / "state" / ".pulumi" / "stacks" / "hello-web" / f"{stack}.json"
    return list(json.loads(path.read_text())["checkpoint"]["latest"]["resources"])


def one(resources: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    [found] = [r for r in resources if r["type"] == type_]
    return found


def outputs(project: Project) -> dict[str, Any]:
    """The stack's outputs, as its checkpoint holds them (what `ecsp outputs` reads, without another process)."""
    return dict(one(state(project), "pulumi:pulumi:Stack")["outputs"])


def test_a_failed_release_keeps_the_old_revision_serving(
        hello: Project, pulumi_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first = hello.run("up", "--progress", "json")
    assert first.code == 0, first
    old = outputs(hello)["taskDefinitionArn"]

    text = hello.file.read_text().replace("variables: {LOG_LEVEL: info}", "variables: {LOG_LEVEL: debug}")
    hello.file.write_text(text.rstrip("\n") + RELEASE)
    moto = ops_support.moto_endpoint()
    failed = hello.run("up", "--app", "web", "--env", "test", "--progress", "json", AWS_ENDPOINT_URL=moto,
                       AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_EC2_METADATA_DISABLED="true")

    assert failed.code == 1, failed
    web = failed.stacks()["hello-web/test"]
    assert web["status"] == "failed", failed
    assert "release `./migrate --all` could not start" in web["reason"], web
    assert f"the service still runs {revision_label(old)}" in web["reason"], web
    now = outputs(hello)
    assert now["serviceTaskDefinitionArn"] == old and now["taskDefinitionArn"] != old
    resources = state(hello)
    assert one(resources, "aws:ecs/service:Service")["inputs"]["taskDefinition"] == old
    assert one(resources, "aws:ecs/taskDefinition:TaskDefinition")["outputs"]["arn"] == now["taskDefinitionArn"]

    # The history the engine keeps says what ran: the held update, with the revision it kept.
    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    project = api.load(hello.file)
    spec = project.stacks()["hello-web/test"]
    [held, *_] = project.engine().history(spec)
    assert held.config["ecsp:running"] == old and held.config["ecsp:hold"] == f"{old} (release)"
