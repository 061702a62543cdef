"""The notebook API's deploy verbs on the fake engine: selection rules, refusals, results and renderings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ecsp import api
from ecsp.context import LocalEmulator
from ecsp.engine.fake import FakeEngine
from ecsp.errors import StackLockedError, StackNotFoundError, UsageError
from ecsp.events import Secret, StackStatus, Status
from ecsp.results import Interrupted, RunFailed
from tests.deploy_support import Recorder, write_project

PROJECT, E0, E1 = "shop-project/global", "shop-environment/e0", "shop-environment/e1"


@pytest.fixture
def project(tmp_path: Path) -> api.Project:
    return api.load(write_project(tmp_path, "shop", environments=2, applications=2))


def everything(project: api.Project) -> list[str]:
    return project.stacks().names()


def test_up_everything_returns_a_result(project: api.Project) -> None:
    engine = FakeEngine()
    recorder = Recorder()
    result = project.up(engine=engine, listener=recorder)
    assert result.ok and result.operation == "up"
    assert [s.stack for s in result.stacks] == everything(project)
    assert set(engine.state) == set(everything(project))
    assert result["shop-a1/e1"].outputs == {"stack": "shop-a1/e1"}
    assert recorder.statuses(PROJECT) == [(PROJECT, "pending"), (PROJECT, "running"), (PROJECT, "succeeded")]


def test_up_shows_progress_by_default_and_not_when_asked(project: api.Project,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    project.up(engine=FakeEngine(), progress="plain")
    shown = capsys.readouterr().out
    assert "shop-a1/e1: succeeded" in shown  # a plain line per stack step...
    assert "up: 7 succeeded" in shown  # ...and the summary at the end
    project.up(engine=FakeEngine(), progress=False)
    assert capsys.readouterr().out == ""
    project.up(engine=FakeEngine(), listener=Recorder())  # your own listener replaces the display
    assert capsys.readouterr().out == ""
    with pytest.raises(UsageError, match="unknown progress mode 'fancy'"):
        project.up(engine=FakeEngine(), progress="fancy")


def test_run_takes_the_operation_and_a_reporter_of_your_own(project: api.Project) -> None:
    from io import StringIO

    from ecsp import progress

    out = StringIO()
    reporter = progress.reporter("plain", operation="up", console=Console(file=out, width=100))
    recorder = Recorder()
    engine = FakeEngine()
    result = project.run("up", env="e0", engine=engine, reporter=reporter, listener=recorder)
    assert result.ok and result.operation == "up" and engine.order() == [PROJECT, E0, "shop-a0/e0", "shop-a1/e0"]
    assert "up: 4 succeeded" in out.getvalue()  # the run entered, fed and finished your reporter...
    assert (PROJECT, "succeeded") in recorder.statuses(PROJECT)  # ...and your listener heard every event too
    project.run("destroy", env="e0", app="a1", engine=engine, progress=False)
    assert "shop-a1/e0" not in engine.state


def test_run_says_pulumi_is_missing_before_any_display(project: api.Project) -> None:
    from io import StringIO

    from ecsp import progress
    from ecsp.errors import PulumiMissingError

    engine = FakeEngine()

    def missing() -> None:
        raise PulumiMissingError("no pulumi", fix="install it")

    engine.check = missing  # type: ignore[method-assign]
    out = StringIO()
    reporter = progress.reporter("plain", operation="up", console=Console(file=out))
    with pytest.raises(PulumiMissingError):
        project.run("up", engine=engine, reporter=reporter)
    assert out.getvalue() == "" and engine.calls == []


def test_up_app_pulls_in_only_upstream_stacks_never_deployed(project: api.Project) -> None:
    # Nothing deployed yet: the application needs its environment and the project stack.
    engine = FakeEngine()
    project.up(app="a1", env="e0", engine=engine)
    assert engine.order() == [PROJECT, E0, "shop-a1/e0"]

    # The project stack and e0 exist now: they are read as they are; e1 was never deployed.
    engine.calls.clear()
    project.up(app="a1", engine=engine)
    assert sorted(engine.order()) == sorted([E1, "shop-a1/e0", "shop-a1/e1"])  # e1 was never deployed
    assert engine.order().index(E1) < engine.order().index("shop-a1/e1")

    # Everything upstream deployed: only the application's stacks run.
    engine.calls.clear()
    project.up(app="a1", engine=engine)
    assert sorted(engine.order()) == ["shop-a1/e0", "shop-a1/e1"]

    # with_upstream re-runs what the application depends on.
    engine.calls.clear()
    project.up(app="a1", env="e1", engine=engine, with_upstream=True)
    assert engine.order() == [PROJECT, E1, "shop-a1/e1"]


def test_preview_skips_stacks_whose_upstream_is_not_deployed(project: api.Project) -> None:
    engine = FakeEngine()
    result = project.preview(engine=engine)  # does not raise: skipping is not failing
    assert result[PROJECT].status is Status.SUCCEEDED
    assert result[E0].status is Status.SKIPPED
    assert result[E0].reason == (f"{PROJECT} is not deployed yet, and this stack's program reads its outputs; "
                                 "`ecsp up` deploys it, `ecsp plan` shows this stack offline")
    assert result["shop-a0/e1"].status is Status.SKIPPED
    assert engine.order() == [PROJECT]
    assert engine.state == {}  # preview changes nothing

    engine = FakeEngine(deployed=[PROJECT, E0])
    result = project.preview(engine=engine)
    assert sorted(engine.order()) == sorted([PROJECT, E0, E1, "shop-a0/e0", "shop-a1/e0"])
    assert result["shop-a0/e1"].reason is not None and result["shop-a0/e1"].reason.startswith(E1)
    steps = result["shop-a0/e0"].steps
    assert [(s.op, s.phase, s.preview) for s in steps] == [("create", "done", True)]
    # The per-resource summary: what would change, with the properties that differ.
    console = Console(width=120, record=True, color_system=None)
    console.print(result.changes_view())
    text = console.export_text()
    assert text.splitlines()[0] == "Would change"
    assert "  shop-environment/e0\n    ~  update   fake:index:Thing thing  (image)\n" in text
    assert "  shop-a0/e0\n    +  create   fake:index:Thing thing\n" in text


def test_refresh_runs_the_selection_only(project: api.Project) -> None:
    engine = FakeEngine(deployed=everything(project))
    project.refresh(env="e1", app="a0", engine=engine)
    assert engine.order("refresh") == ["shop-a0/e1"]


def test_destroy_is_reverse_and_never_touches_upstream(project: api.Project) -> None:
    engine = FakeEngine(deployed=everything(project))
    project.destroy(env="e0", engine=engine)
    order = engine.order("destroy")
    assert set(order) == {E0, "shop-a0/e0", "shop-a1/e0"} and order[-1] == E0
    assert PROJECT in engine.state and E1 in engine.state

    project.destroy(app="a1", engine=engine)
    assert "shop-a1/e1" not in engine.state and E1 in engine.state


def test_destroy_refuses_an_environment_that_still_has_applications(project: api.Project,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # shop-old is an application removed from ecsp.yaml whose stack still runs in e0.
    engine = FakeEngine(deployed=[*everything(project), "shop-old/e0"])
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    with pytest.raises(UsageError) as caught:
        project.destroy(env="e0")
    assert caught.value.message == f"refusing to destroy {E0}: shop-old/e0 still depends on it"
    assert caught.value.fix is not None and "--app old" in caught.value.fix
    with pytest.raises(UsageError):
        project.destroy_targets(env="e0")
    assert engine.calls == []  # nothing was destroyed
    # e1 has no stray application: fine, and the targets list the deployed stacks dependents first.
    assert project.destroy_targets(env="e1") == ["shop-a1/e1", "shop-a0/e1", E1]
    with pytest.raises(UsageError) as caught:
        project.destroy()
    assert "shop-old/e0" in caught.value.message


def test_failures_raise_one_error_with_the_result(project: api.Project) -> None:
    locked = StackLockedError(f"{E1} is locked", fix=f"ecsp cancel --stack {E1}")
    engine = FakeEngine(fail={E1: locked})
    with pytest.raises(RunFailed) as caught:
        project.up(engine=engine)
    error = caught.value
    assert error.exit_code == 1
    assert error.message == f"up: 1 of 7 stacks failed: {E1} ({E1} is locked); 2 dependent stack(s) skipped"
    assert error.fix == f"ecsp cancel --stack {E1}"  # the one failure's own fix
    assert error.result[E1].error is locked
    # check=False hands the result back instead.
    result = project.up(engine=FakeEngine(fail={E1: "boom"}), check=False)
    assert [s.stack for s in result.failed] == [E1]


def test_interrupt_raises_interrupted_with_the_result(project: api.Project) -> None:
    import _thread

    def press_ctrl_c(name: str) -> None:
        if name == E0:
            _thread.interrupt_main()

    engine = FakeEngine(delay={PROJECT: 0.0, E0: 5.0, E1: 5.0}, on_start=press_ctrl_c)
    with pytest.raises(Interrupted) as caught:
        project.up(engine=engine, parallel=1)
    assert caught.value.exit_code == 130
    assert caught.value.message == f"up interrupted; cut short: {E0}"
    assert caught.value.result[E1].status is Status.CANCELLED


def test_local_emulator_reaches_the_engine_and_every_program(project: api.Project,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine()
    seen: dict[str, Any] = {}

    def factory(p: api.Project, **kwargs: Any) -> FakeEngine:
        seen.update(kwargs, project=p)
        return engine

    monkeypatch.setattr(api, "ENGINE_FACTORY", factory)
    emulator = LocalEmulator(endpoint="http://127.0.0.1:5000")
    project.up(env="e0", local=emulator, backend="s3://bucket")
    assert seen == {"local": emulator, "backend": "s3://bucket", "project": project}
    assert {ctx.local for ctx in engine.contexts} == {emulator}
    assert {ctx.organization for ctx in engine.contexts} == {None}


def test_outputs_ls_and_cancel(project: api.Project, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(deployed={PROJECT: {"repositories": {}}, E0: {"vpcId": "vpc-1", "token": Secret("t")},
                                  "shop-gone/e0": {}}, locked=[E0])
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    assert project.outputs() == {PROJECT: {"repositories": {}}, E0: {"vpcId": "vpc-1", "token": Secret("t")}}
    assert project.outputs(stack=E0)["shop-environment/e0"]["vpcId"] == "vpc-1"
    with pytest.raises(UsageError):
        project.outputs(stack="shop-nope/e0")
    with pytest.raises(StackNotFoundError):
        project.outputs(env="e1")

    rows = {row.stack: row for row in project.ls()}
    assert rows[PROJECT].status == "deployed" and rows[PROJECT].info is not None
    assert rows[E0].status == "updating (or locked)"
    assert rows["shop-a0/e1"].status == "not deployed" and rows["shop-a0/e1"].info is None
    assert rows["shop-gone/e0"].status == "deployed, not in ecsp.yaml" and not rows["shop-gone/e0"].in_config
    assert list(rows)[: len(everything(project))] == everything(project)

    assert project.cancel() == {PROJECT: False, E0: True}  # only stacks the backend has
    assert project.cancel(stack=E0) == {E0: False}


def test_results_render_in_rich_jupyter_and_text(project: api.Project) -> None:
    result = project.up(engine=FakeEngine(fail={"shop-a1/e1": "the <ALB> is gone"}), check=False)
    console = Console(width=160, record=True, color_system=None)
    console.print(result)
    text = console.export_text()
    assert "up: 6 succeeded, 1 failed" in text
    for stack in everything(project):
        assert stack in text
    assert "shop-a1/e1: the <ALB> is gone" in text

    page = result._repr_html_()
    assert all(page.count(f"<tr><td><code>{s.stack}</code></td>") == 1 for s in result.stacks)
    assert "the &lt;ALB&gt; is gone" in page and "<ALB>" not in page
    assert "color:red'>failed</td>" in page

    plain = str(result)
    assert plain.splitlines()[0].startswith("up: 6 succeeded, 1 failed in ")
    assert f"  {PROJECT}  succeeded" in plain


def test_status_events_carry_outputs(project: api.Project) -> None:
    recorder = Recorder()
    project.up(env="e0", app="a0", engine=FakeEngine(), listener=recorder)
    done = [e for e in recorder.events if isinstance(e, StackStatus) and e.status is Status.SUCCEEDED]
    assert {e.stack: e.outputs for e in done} == {s: {"stack": s} for s in (PROJECT, E0, "shop-a0/e0")}


def test_destroy_refuses_a_publisher_while_its_subscribed_worker_is_deployed() -> None:
    from tests.paths import ROOT

    kinds = api.load(ROOT / "examples" / "kinds" / "ecsp.yaml")
    engine = FakeEngine(deployed=kinds.stacks().names())
    with pytest.raises(UsageError) as caught:
        kinds.destroy(app="web", engine=engine, progress=False)
    # The worker's queue subscribes to web's topic: its stack depends on web's (the kinds table's edge).
    assert caught.value.message == "refusing to destroy kinds-web/test: kinds-orders/test still depends on it"
    assert caught.value.fix is not None
    assert caught.value.fix.startswith("destroy them first or together: add --app orders")
    assert engine.calls == []
    kinds.destroy(app=["web", "orders"], engine=engine, progress=False)
    assert engine.order("destroy") == ["kinds-orders/test", "kinds-web/test"]
