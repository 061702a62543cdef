"""Release and rollback with the real pulumi engine and the stand-in provider (marked ``pulumi``).

A failing release: `ecsp up` runs as a person runs it (a subprocess); its release task goes
to moto's server, which has none of the stand-in's clusters, so the release cannot start:
what the engine must then have is a stack whose service still runs the old revision while
the new one is registered, and an update history that says so (what `ecsp rollback` reads).

A release that succeeds, then a rollback, then a fix: the same updates through the Python
API in this process, the release task replaced by a function that looks at the state the
engine left between the two phases (the stand-in runs no task; the task code itself is
tested against moto in tests/ops/test_ops_tasks.py), and the rollback's choice made from the
history the real engine kept. How the two task definitions differ is read from ECS, which
the stand-in's are not in: that part is tested against moto in tests/ops/test_ops_rollback.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecsp import api
from ecsp.ops import rollback
from ecsp.rollout import ReleaseRun, RolloutEngine, revision_label, running_revision
from tests import ops_support
from tests.engine.test_real_engine import PASSPHRASE, Project, copy_example
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS

RELEASE = "\n    release: {command: [./migrate, --all]}\n"


@pytest.fixture
def hello(tmp_path: Path, pulumi_home: Path) -> Iterator[Project]:
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
        hello: Project, pulumi_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_a_release_then_a_rollback_then_the_next_up_with_the_real_engine(
        hello: Project, pulumi_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert hello.run("up", "--progress", "none").code == 0
    first = outputs(hello)["taskDefinitionArn"]
    text = hello.file.read_text().replace("variables: {LOG_LEVEL: info}", "variables: {LOG_LEVEL: debug}")
    hello.file.write_text(text.rstrip("\n") + RELEASE)

    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    project = api.load(hello.file)
    spec = project.stacks()["hello-web/test"]
    seen: list[tuple[ReleaseRun, dict[str, Any], str]] = []

    def release(run: ReleaseRun) -> None:
        # Between the two phases: the new revision registered, the service still on the old one.
        seen.append((run, outputs(hello), one(state(hello), "aws:ecs/service:Service")["inputs"]["taskDefinition"]))

    engine = RolloutEngine(project.engine(), project.config, releaser=release)
    released = project.run("up", "test", "web", progress=False, engine=engine)
    assert released.ok, released
    [(run, between, service_between)] = seen
    second = outputs(hello)["taskDefinitionArn"]
    assert second != first and run.task_definition == second and run.ctx.running == first
    assert run.release.command == ["./migrate", "--all"]
    assert between["serviceTaskDefinitionArn"] == first and service_between == first
    assert run.environment["clusterArn"] and run.environment["publicSubnetIds"]  # what a release task runs in
    assert "serviceTaskDefinitionArn" not in outputs(hello)  # the service runs the revision the stack registered
    assert running_revision(outputs(hello)) == second
    assert one(state(hello), "aws:ecs/service:Service")["inputs"]["taskDefinition"] == second
    # The history: the held first phase, then the update that moved the service (and replaced the first).
    moved, held, *_ = project.engine().history(spec)
    assert held.config["ecsp:hold"] == f"{first} (release)" and held.config["ecsp:running"] == first
    assert moved.config["ecsp:hold"] == "" and moved.config["ecsp:running"] == first
    assert [s.revision for s in rollback.served(project.engine().history(spec), second)] == [first]

    # Back to the first revision: what `ecsp rollback web --env test` does once it has chosen.
    target = rollback.choose(rollback.served(project.engine().history(spec), second), None, "web in test")
    plan = rollback.RollbackPlan(spec.name, "web", "test", rollback.Served(second), target, [target])
    back = project.rollback(plan, progress=False)
    assert back.ok, back
    now = outputs(hello)
    assert now["serviceTaskDefinitionArn"] == first and now["taskDefinitionArn"] == second  # second stays registered
    assert one(state(hello), "aws:ecs/service:Service")["inputs"]["taskDefinition"] == first
    [rolled, *_] = project.engine().history(spec)
    assert rolled.config["ecsp:hold"] == f"{first} (rollback)" and rolled.config["ecsp:running"] == second
    assert len(seen) == 1  # a rollback runs no release
    # From there the revision rolled away from is one to go back to.
    assert [s.revision for s in rollback.served(project.engine().history(spec), first)] == [second]

    # The next up deploys ecsp.yaml again: the service moves to the second revision, so its release runs again.
    again = project.run("up", "test", "web", progress=False, engine=engine)
    assert again.ok, again
    assert [(r.task_definition, r.ctx.running) for r, *_ in seen] == [(second, first), (second, first)]
    # And an up with nothing new runs none.
    assert project.run("up", "test", "web", progress=False, engine=engine).ok
    assert len(seen) == 2
    assert running_revision(outputs(hello)) == second and "serviceTaskDefinitionArn" not in outputs(hello)
    assert one(state(hello), "aws:ecs/service:Service")["inputs"]["taskDefinition"] == second
