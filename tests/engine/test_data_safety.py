"""Data is never lost by accident (ecsp.data_safety), through the API and the CLI, on the fake engine.

The fake engine reports a storage stack's retained resources the way the real engine does
(replace and delete steps carrying ``retain_on_delete``; ``tests/engine/test_data_safety_real_engine.py``
checks the real engine itself): a change replacing data is refused in ``up`` and ``preview``,
data whose entry left ecsp.yaml and data of a destroyed stack are kept and listed, and
``--delete-data`` deletes them only once the project's name was typed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ecsp import api, planner
from ecsp.cli import main
from ecsp.data_safety import confirm_delete_data
from ecsp.engine.fake import FakeEngine
from ecsp.errors import UsageError
from ecsp.results import RunFailed
from stacks import PROGRAMS

STORAGE, ENV, WEB = "shop-storage/test", "shop-environment/test", "shop-web/test"
PROJECT = "shop-project/global"
TEXT = """\
project: {name: shop, region: us-west-2}
environments: {test: {region: us-west-2}}
data:
  events: {kind: table, partition_key: "id:S"}
  uploads: {kind: bucket}
applications:
  web: {image: {location: nginx}, port: 80, link: [events, uploads]}
"""


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "ecsp.yaml"
    path.write_text(TEXT)
    return path


def deployed(**data: object) -> FakeEngine:
    """A fake engine with the project deployed and the storage stack holding its two data resources."""
    return FakeEngine(deployed=[PROJECT, ENV, STORAGE, WEB], data={STORAGE: ["events", "uploads"]}, **data)


def run(file: Path, engine: FakeEngine, operation: str, **kwargs: object) -> object:
    project = api.load(file)
    return project.run(operation, env="test", progress=False, engine=engine, check=False, **kwargs)  # type: ignore[arg-type]


def test_a_replacing_change_is_refused_by_up_before_anything_changes(file: Path) -> None:
    engine = deployed(replacing={STORAGE: ["events"]})
    result = run(file, engine, "up")
    storage = result[STORAGE]  # type: ignore[index]
    assert storage.status.value == "failed"
    assert "refusing to replace data: Data events (because key changed)" in storage.reason
    assert "--delete-data" in storage.error.fix
    assert [(c.operation, c.stack) for c in engine.calls if c.stack == STORAGE] == [("preview", STORAGE)]
    assert result[WEB].status.value == "skipped"  # type: ignore[index]
    assert engine.deleted == [] and engine.releases == []


def test_a_replacing_change_is_refused_by_preview_too(file: Path) -> None:
    result = run(file, deployed(replacing={STORAGE: ["events"]}), "preview")
    assert result[STORAGE].status.value == "failed"  # type: ignore[index]
    assert "refusing to replace data" in result[STORAGE].reason  # type: ignore[index]


def test_delete_data_replaces_and_deletes_the_old_data(file: Path) -> None:
    engine = deployed(replacing={STORAGE: ["events"]})
    result = run(file, engine, "up", delete_data="shop")
    assert result[STORAGE].status.value == "succeeded"  # type: ignore[index]
    assert engine.releases == [(STORAGE, ["urn:pulumi:test::shop-storage::fake:index:Data::events"])]
    assert engine.deleted == [(STORAGE, "events")]


def test_delete_data_must_name_the_project(file: Path) -> None:
    with pytest.raises(UsageError, match="not this project's name"):
        run(file, deployed(), "destroy", delete_data="shp")


def test_data_whose_entry_left_the_config_is_kept_and_listed(file: Path) -> None:
    engine = deployed(removing={STORAGE: ["uploads"]})
    result = run(file, engine, "up")
    assert result[STORAGE].status.value == "succeeded"  # type: ignore[index]
    assert engine.deleted == []
    assert [(stack, step.name) for stack, step in result.kept()] == [(STORAGE, "uploads")]  # type: ignore[attr-defined]


def test_destroy_keeps_data_unless_asked(file: Path) -> None:
    engine = deployed()
    result = run(file, engine, "destroy")
    assert STORAGE not in engine.state and engine.deleted == []
    assert sorted(step.name for _, step in result.kept()) == ["events", "uploads"]  # type: ignore[attr-defined]
    engine = deployed()
    result = run(file, engine, "destroy", delete_data="shop")
    assert engine.releases == [(STORAGE, None)]
    assert sorted(engine.deleted) == [(STORAGE, "events"), (STORAGE, "uploads")]
    assert result.kept() == []  # type: ignore[attr-defined]


def test_stacks_without_data_run_as_before(file: Path) -> None:
    engine = deployed(replacing={STORAGE: ["events"]})
    project = api.load(file)
    project.run("up", env="test", app="web", progress=False, engine=engine, check=False)
    assert [(c.operation, c.stack) for c in engine.calls] == [("up", WEB)]


def test_a_first_deploy_needs_no_preview(file: Path) -> None:
    engine = FakeEngine()
    run(file, engine, "up")
    assert [c.operation for c in engine.calls if c.stack == STORAGE] == ["up"]


def test_the_summary_lists_what_was_kept(file: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    engine = deployed()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    assert main(["destroy", "-f", str(file), "--yes", "--progress", "plain"]) == 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Kept in AWS" in text and "events" in text and "uploads" in text


def test_up_refusal_exits_1_with_the_reason(file: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    engine = deployed(replacing={STORAGE: ["events"]})
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    assert main(["up", "-f", str(file), "--progress", "plain"]) == 1
    assert "refusing to replace data" in capsys.readouterr().err


# ------------------------------------------------------------------------------ typed confirmation


def test_delete_data_asks_for_the_project_name_in_a_terminal(file: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    engine = deployed()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "nope")
    assert main(["destroy", "-f", str(file), "--delete-data", "--progress", "none"]) == 2
    err = capsys.readouterr().err
    assert "This deletes data, which cannot be undone" in err
    assert "shop-storage/test: events, a table" in err and "uploads, a bucket and every object in it" in err
    assert asked == ["Type the project's name (shop) to delete it: "]
    assert engine.calls == [] and engine.releases == []

    monkeypatch.setattr("builtins.input", lambda prompt: "shop")
    assert main(["destroy", "-f", str(file), "--delete-data", "--progress", "none"]) == 0
    assert sorted(engine.deleted) == [(STORAGE, "events"), (STORAGE, "uploads")]


def test_delete_data_without_a_terminal_refuses_unless_named(file: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    engine = deployed()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["destroy", "-f", str(file), "--delete-data", "--yes", "--progress", "none"]) == 2
    err = capsys.readouterr().err
    assert "there is no terminal to ask" in err and "--delete-data shop" in err
    assert engine.calls == []
    assert main(["destroy", "-f", str(file), "--delete-data", "shp", "--progress", "none"]) == 2
    assert "not this project's name" in capsys.readouterr().err
    assert main(["destroy", "-f", str(file), "--delete-data", "shop", "--progress", "none"]) == 0
    assert sorted(engine.deleted) == [(STORAGE, "events"), (STORAGE, "uploads")]


def test_confirmation_reads_eof_as_no() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def eof(prompt: str) -> str:
        raise EOFError

    with pytest.raises(UsageError, match="nothing was deleted"):
        confirm_delete_data("shop", ["x"], typed=None, stdin=Terminal(), stderr=io.StringIO(), ask=eof)


def test_an_environment_keeping_a_database_in_its_vpc_is_not_destroyed(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ecsp.yaml"
    path.write_text(TEXT.replace("uploads: {kind: bucket}", "orders: {kind: postgres}")
                    .replace("link: [events, uploads]", "link: [events, orders]"))
    engine = FakeEngine(deployed=[PROJECT, ENV, STORAGE, WEB], data={STORAGE: ["events", "orders"]})
    project = api.load(path)
    with pytest.raises(UsageError, match=r"its VPC holds orders \(postgres\), which destroy keeps"):
        project.destroy(env="test", progress=False, engine=engine)
    assert engine.calls == []
    project.destroy(env="test", app="web", progress=False, engine=engine)  # the applications alone may go
    result = project.destroy(env="test", progress=False, engine=engine, delete_data="shop")
    assert result.ok and ("shop-storage/test", "orders") in engine.deleted


def test_plan_notes_what_the_storage_stack_keeps(file: Path) -> None:
    plan = planner.plan(api.load(file).config, PROGRAMS)
    notes = plan.stack(STORAGE).notes
    assert notes[0].startswith("data kept: events (table), uploads (bucket) stay in AWS")
    assert "refused by `up` and `preview`" in notes[1]


def test_run_failed_carries_the_refusal(file: Path) -> None:
    project = api.load(file)
    with pytest.raises(RunFailed) as caught:
        project.up(env="test", progress=False, engine=deployed(replacing={STORAGE: ["events"]}))
    assert "refusing to replace data" in str(caught.value.result[STORAGE].reason)
