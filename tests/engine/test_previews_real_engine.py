"""A preview environment's whole life with the real pulumi engine and the stand-in provider (marked ``pulumi``).

``python -m ecsp`` on a copy of ``examples/hello`` with a file backend: create a preview like
``test``, see it in ``ls`` with its expiry (read back from the stacks' tags, which the real CLI
keeps in the file backend), let it expire, ``destroy --expired``; and a second one destroyed by
name. What the engine does for real: stack creation with tags, tag reads, StackReference to the
project stack, destroy. The AWS side is the stand-in's (see ``tests/engine/test_real_engine.py``).
Marked ``slow``: it runs in CI (``.ci/run`` sets ``ECSP_RUN_SLOW=1``).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stacks import PROGRAMS
from tests import standin_provider
from tests.engine.test_real_engine import Project, copy_example
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

# Six runs of the real engine (minutes on a busy machine): in CI, and locally with ECSP_RUN_SLOW=1.
pytestmark = [*MARKS, pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("ECSP_RUN_SLOW") != "1",
                                 reason="six real-engine runs (minutes): ECSP_RUN_SLOW=1 runs it, as .ci/run does")]
PREVIEW = ["hello-environment/pr-1", "hello-web/pr-1"]
SECOND = ["hello-environment/pr-2", "hello-web/pr-2"]


@pytest.fixture
def hello(tmp_path: Path) -> Project:
    home = tmp_path / "pulumi-home"
    standin_provider.install(home, PROGRAMS.plugin_versions())
    return Project(copy_example("hello", tmp_path), home)


def test_preview_create_list_expire_destroy_with_the_real_engine(hello: Project) -> None:
    # pr-1 lives one second, so it has expired by the time its deploy is done; pr-2 lives three days.
    up = hello.run("up", "--env", "pr-1", "--like", "test", "--ttl", "1s", "--progress", "json")
    assert up.code == 0, up
    assert {name: s["status"] for name, s in up.stacks().items()} == {
        "hello-project/global": "succeeded", **{name: "succeeded" for name in PREVIEW}}
    assert "hello-environment/test" not in up.stacks()  # the template is read from ecsp.yaml, never deployed
    second = hello.run("up", "--env", "pr-2", "--like", "test", "--progress", "json")
    assert second.code == 0, second
    assert sorted(second.stacks()) == ["hello-environment/pr-2", "hello-web/pr-2"]  # the project stack is read

    listed = hello.run("ls", "--json")
    assert listed.code == 0, listed
    rows = {row["stack"]: row for row in json.loads(listed.stdout)}
    assert [rows[name]["status"] for name in [*PREVIEW, *SECOND]] == ["deployed"] * 4
    first, other = rows["hello-environment/pr-1"]["preview"], rows["hello-environment/pr-2"]["preview"]
    assert (first["like"], first["expired"], other["like"], other["expired"]) == ("test", True, "test", False)
    left = datetime.fromisoformat(other["expires"]) - datetime.now(UTC)
    assert timedelta(days=3) - timedelta(minutes=10) < left <= timedelta(days=3)
    table = hello.run("ls")
    assert "preview environments" in table.stdout and "(expired)" in table.stdout, table

    expired = hello.run("destroy", "--expired", "--yes", "--progress", "json")
    assert expired.code == 0, expired
    assert sorted(expired.stacks()) == sorted(PREVIEW)  # pr-2 has not expired
    rows = {row["stack"]: row for row in json.loads(hello.run("ls", "--json").stdout)}
    assert [rows[name]["status"] for name in [*PREVIEW, *SECOND]] == ["empty", "empty", "deployed", "deployed"]
    assert rows["hello-project/global"]["status"] == "deployed"  # upstream stacks are never touched
    again = hello.run("destroy", "--expired", "--yes")
    assert again.code == 0 and "no preview environment has expired" in again.stderr, again

    # pr-2 by name: ecsp.yaml never names it, the backend's tags do.
    gone = hello.run("destroy", "--env", "pr-2", "--yes", "--progress", "json")
    assert gone.code == 0, gone
    assert sorted(gone.stacks()) == sorted(SECOND)
    unknown = hello.run("destroy", "--env", "pr-3", "--yes")
    assert unknown.code == 2 and "nor a preview environment of that name" in unknown.stderr, unknown
