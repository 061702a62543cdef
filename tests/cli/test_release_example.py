"""examples/release: its release command works as the example says, and `ecsp up` runs it before the service moves."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecsp import api, rollout
from ecsp.context import Hold, StackContext
from ecsp.engine.fake import FakeEngine
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "release"


def migrate(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    variables = {k: v for k, v in os.environ.items() if k not in ("DATABASE_HOST", "DATABASE_NAME", "DB_PASSWORD")}
    return subprocess.run([sys.executable, "migrate.py"], cwd=EXAMPLE / "web", capture_output=True, text=True,
                          env={**variables, "SCHEMA_FILE": str(tmp_path / "schema"), **env}, check=False, timeout=60)


def test_the_release_command_migrates_once_and_fails_without_its_secret(tmp_path: Path) -> None:
    settings = api.load(EXAMPLE / "ecsp.yaml").config.application("test", "web")
    assert settings.release is not None and settings.release.command == ["python", "migrate.py"]
    task_env = {**settings.variables, "DB_PASSWORD": "from-secrets-manager"}

    first = migrate(tmp_path, **task_env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "schema is at version 3 (3 applied)"
    again = migrate(tmp_path, **task_env)
    assert again.stdout.splitlines() == ["schema is at version 3 (0 applied)"]
    # Without the secret the task would get from `ecsp secret set`: a non-zero exit, which stops the deploy.
    unset = migrate(tmp_path, **settings.variables)
    assert unset.returncode == 2 and "DB_PASSWORD not set" in unset.stderr


def test_up_runs_the_example_release_before_the_service_moves(tmp_path: Path) -> None:
    runs: list[rollout.ReleaseRun] = []

    def program(ctx: StackContext, before: Mapping[str, Any]) -> dict[str, Any]:
        if ctx.stack.application is None:
            return {"clusterArn": "c", "publicSubnetIds": ["s"], "privateSubnetIds": ["p"],
                    "environmentSecurityGroupId": "sg"} if ctx.stack.kind == "environment" else {}
        out: dict[str, Any] = {"taskDefinitionArn": f"arn:aws:ecs:us-east-1:1:task-definition/orders-test-web:"
                                                    f"{ctx.image_tag}", "logGroupName": "/ecsp/orders-test-web"}
        if ctx.hold is None or ctx.hold.revision is not None:
            out["serviceName"] = "web"
        return out

    engine = FakeEngine(program=program)
    project = api.load(EXAMPLE / "ecsp.yaml")
    result = project.run("up", env="test", engine=rollout.RolloutEngine(engine, project.config,
                                                                        releaser=runs.append), progress=False)

    assert not result.failed
    [run] = runs
    assert run.release.command == ["python", "migrate.py"] and run.release.timeout == 600
    tag = project.context(project.stacks()["orders-web/test"]).image_tag
    assert run.task_definition.endswith(f":{tag}")  # the revision of the image just built
    assert [c.hold for c in engine.contexts if c.stack.name == "orders-web/test"] == [Hold(None, "release"), None]
