"""`ecsp rollback`: revisions from the stack's update history (fake engine), the task definitions from moto's ECS."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ecsp import api, cli, rollout
from ecsp.context import Hold, LocalEmulator, StackContext
from ecsp.engine.fake import FakeEngine
from ecsp.errors import UsageError
from ecsp.ops import rollback as ops
from tests import ops_support as aws

moto, project_file = aws.moto, aws.project_file  # fixtures

CONFIG = """\
project: {{name: shop, region: us-east-1}}
environments:
  test: {{region: us-east-1}}
applications:
  web:
    image: {{location: "registry.example.com/web:{n}"}}
    port: 80
    release: {{command: ./migrate}}
"""


def arn(n: int) -> str:
    return f"arn:aws:ecs:us-east-1:123456789012:task-definition/shop-test-web:{n}"


def program(ctx: StackContext, before: Mapping[str, Any]) -> dict[str, Any]:
    """The application program's contract: the image's number is the revision it registers (as moto numbered them)."""
    if ctx.stack.application is None:
        return dict(before) or {"stack": ctx.stack.name}
    image = ctx.config.application("test", "web").image.location or ""
    out: dict[str, Any] = {"taskDefinitionArn": arn(int(image.rsplit(":", 1)[1])), "serviceName": "web",
                           "logGroupName": "/ecsp/shop-test-web"}
    if ctx.hold is not None and ctx.hold.revision is not None:
        out["serviceTaskDefinitionArn"] = ctx.hold.revision
    return out


@pytest.fixture
def history(moto: str, project_file: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """web deployed three times (images 1, 2, 3), each a revision moto has, with a variable changed in 3."""
    ecs = aws.client(moto, "ecs")
    for n in (1, 2, 3):
        ecs.register_task_definition(family="shop-test-web", networkMode="awsvpc", cpu="256",
                                     memory="512" if n < 3 else "1024", requiresCompatibilities=["FARGATE"],
                                     containerDefinitions=[{"name": "web", "image": f"registry.example.com/web:{n}",
                                                            "environment": [{"name": "LOG_LEVEL",
                                                                             "value": "debug" if n == 3 else "info"}]}])
    engine = FakeEngine(program=program)
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    monkeypatch.setattr(rollout, "run_release", lambda run: None)  # the release passes
    for n in (1, 2, 3):
        project_file.write_text(CONFIG.format(n=n))
        api.load(project_file).run("up", env="test", progress=False)
    monkeypatch.setattr(rollout, "run_release", _no_release)
    return engine


def _no_release(run: rollout.ReleaseRun) -> None:
    raise AssertionError("a rollback runs no release command")


def local(moto: str) -> LocalEmulator:
    return LocalEmulator(moto)


def test_the_plan_goes_back_to_the_previous_revision_and_says_what_changes(history: FakeEngine, project_file: Path,
                                                                           moto: str) -> None:
    plan = api.load(project_file).rollback_plan("web", "test", local=local(moto))

    assert (plan.current.label, plan.target.label) == ("shop-test-web:3", "shop-test-web:2")
    assert [s.label for s in plan.history] == ["shop-test-web:2", "shop-test-web:1"]
    assert [(c.what, c.now, c.then) for c in plan.changes] == [
        ("memory", "1024", "512"),
        ("image of web", "registry.example.com/web:3", "registry.example.com/web:2"),
        ("variable LOG_LEVEL of web", "debug", "info")]


def test_rollback_holds_the_service_on_the_revision_and_runs_no_release(history: FakeEngine, project_file: Path,
                                                                         moto: str) -> None:
    project = api.load(project_file)
    plan = project.rollback_plan("web", "test", to="1", local=local(moto))

    result = project.rollback(plan, progress=False)

    assert not result.failed
    assert history.state["shop-web/test"]["serviceTaskDefinitionArn"] == arn(1)
    assert history.contexts[-1].hold == Hold(arn(1), "rollback")
    # The rollback is an update of the history too: from here, 3 is a revision it ran before.
    again = project.rollback_plan("web", "test", local=local(moto))
    assert again.current.label == "shop-test-web:1"
    assert [s.label for s in again.history] == ["shop-test-web:3", "shop-test-web:2"]


def test_an_unknown_revision(history: FakeEngine, project_file: Path, moto: str) -> None:
    with pytest.raises(UsageError) as raised:
        api.load(project_file).rollback_plan("web", "test", to="7", local=local(moto))
    assert raised.value.message == "web in test did not run revision '7' according to its stack's history"
    assert raised.value.fix == "use one of: shop-test-web:2, shop-test-web:1"


def test_a_first_release_phase_and_a_failed_update_are_not_revisions_it_ran() -> None:
    from datetime import UTC, datetime

    from ecsp.engine import StackUpdate

    at = datetime(2026, 6, 1, tzinfo=UTC)
    updates = [
        StackUpdate(5, "update", "succeeded", at, config={"ecsp:running": arn(2), "ecsp:hold": ""}),
        StackUpdate(4, "update", "succeeded", at, config={"ecsp:running": arn(2), "ecsp:hold": f"{arn(2)} (release)"}),
        StackUpdate(3, "update", "failed", at, config={"ecsp:running": arn(1), "ecsp:hold": ""}),
        StackUpdate(2, "update", "succeeded", at, config={"ecsp:running": arn(1), "ecsp:hold": ""}),
        StackUpdate(1, "update", "succeeded", at, config={"ecsp:running": "", "ecsp:hold": ""}),
    ]
    assert [(s.label, s.replaced_by) for s in ops.served(updates, arn(3))] == [
        ("shop-test-web:2", 5), ("shop-test-web:1", 2)]
    with pytest.raises(ops.RollbackError, match="has no earlier revision"):
        ops.choose([], None, "web in test")


def test_ecsp_rollback_dry_run_then_yes(history: FakeEngine, project_file: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rollback", "web", "--env", "test", "-f", str(project_file), "--local", "--dry-run"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "web in test runs shop-test-web:3; back to shop-test-web:2" in out
    assert "image of web: registry.example.com/web:3 -> registry.example.com/web:2" in out
    assert "what the update changes:" in out
    assert "serviceTaskDefinitionArn" not in history.state["shop-web/test"]  # nothing happened

    # Not on a terminal and no --yes: asks, cannot, changes nothing.
    assert cli.main(["rollback", "web", "--env", "test", "-f", str(project_file), "--local"]) == 2
    assert "pass --yes" in capsys.readouterr().err

    assert cli.main(["rollback", "web", "--env", "test", "-f", str(project_file), "--local", "--yes", "--json",
                     "--progress", "none"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["target"]["label"] == "shop-test-web:2"
    assert "web in test runs shop-test-web:2; the next `ecsp up` of it deploys ecsp.yaml again" in " ".join(err.split())
    assert history.state["shop-web/test"]["serviceTaskDefinitionArn"] == arn(2)


def test_rollback_of_an_app_never_deployed(project_file: Path, moto: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: FakeEngine())
    assert cli.main(["rollback", "web", "--env", "test", "-f", str(project_file), "--local", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "error: web in test is not deployed (shop-web/test has no state)" in err
    assert "fix: deploy it with `ecsp up --env test --app web`" in err

