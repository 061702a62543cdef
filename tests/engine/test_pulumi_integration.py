"""Real ``pulumi`` CLI runs (marked ``pulumi``): up, preview, outputs, ls and destroy of tiny stacks.

Skipped, with the reason printed (``-ra``), when no pulumi CLI is found. For a user who has
one they run the whole real path: the Automation API, the interruptible command runner,
a file backend in a temporary project folder, passphrase secrets, and StackReference
between stacks named the way ecsp names them. The programs create no cloud resources
(stack outputs and StackReferences only), so no AWS account and no provider plugin are
needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecsp import api, kinds
from ecsp.context import StackContext
from ecsp.engine.automation import AutomationEngine
from ecsp.events import Status
from ecsp.programs import Programs
from tests.deploy_support import Recorder, write_project
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS


def tiny(ctx: StackContext) -> None:
    """The project stack exports 21; every downstream stack doubles what its upstream exports."""
    import pulumi

    spec = ctx.stack
    if spec.kind == "project":
        pulumi.export("answer", 21)
        return
    upstream = "project" if spec.kind == "environment" else "environment"
    reference = pulumi.StackReference(ctx.upstream_name(upstream, spec.environment))
    pulumi.export("answer", reference.require_output("answer").apply(lambda v: int(v) * 2))
    pulumi.export("upstream", reference.name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> api.Project:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "ecsp-integration-test")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    project = api.load(write_project(tmp_path, "itest", environments=1, applications=1))

    def engine(p: api.Project, **kwargs: object) -> AutomationEngine:
        return AutomationEngine(p.root, p.config, Programs({kind: tiny for kind in kinds.KINDS}))

    monkeypatch.setattr(api, "ENGINE_FACTORY", engine)
    return project


def test_up_preview_outputs_ls_destroy_on_a_file_backend(project: api.Project) -> None:
    recorder = Recorder()
    result = project.up(listener=recorder, parallel=2)
    assert result.ok, str(result)
    assert (project.root / ".ecsp" / "state" / ".pulumi").is_dir()
    assert (project.root / ".ecsp" / "workspaces" / "itest-environment" / "Pulumi.e0.yaml").is_file()
    app = result["itest-a0/e0"]
    assert app.outputs["answer"] == 84  # 21 -> 42 -> 84 through two StackReferences
    assert app.outputs["upstream"] == "organization/itest-environment/e0"
    assert [s for s, _ in recorder.statuses() if _ == "succeeded"] == [s.stack for s in result.stacks]

    outputs = project.outputs(env="e0")
    assert outputs["itest-environment/e0"]["answer"] == 42
    listed = {row.stack: row for row in project.ls()}
    assert all(row.status == "deployed" for row in listed.values()), listed

    again = project.preview()
    assert again.ok and all(not s.change_summary for s in again.stacks)

    gone = project.destroy(parallel=2)
    assert gone.ok
    assert [s.stack for s in gone.stacks] == ["itest-a0/e0", "itest-environment/e0", "itest-project/global"]
    assert all(row.status in ("empty", "not deployed") for row in project.ls())


def test_app_alone_reads_deployed_upstream_and_destroy_of_nothing_is_fine(project: api.Project) -> None:
    first = project.up(app="a0")  # upstream never deployed: pulled in
    assert [s.stack for s in first.stacks] == ["itest-project/global", "itest-environment/e0", "itest-a0/e0"]
    second = project.up(app="a0")  # upstream deployed: only the application runs
    assert [s.stack for s in second.stacks] == ["itest-a0/e0"]
    assert second["itest-a0/e0"].status is Status.SUCCEEDED
    project.destroy()
    assert project.destroy().ok  # nothing left: every stack is a no-op
