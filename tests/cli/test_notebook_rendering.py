"""Every result the Python API returns, as a notebook shows it: through its HTML (and its one-line repr).

A cell that ends in a result shows ``_repr_html_``; these check what a person sees there:
the same words as the terminal, links that open on a click, long parts folded, never a
dataclass's every field.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ecsp
from ecsp.events import Secret, Status
from ecsp.ops.pipeline import ActionState, PipelineStatus, StageState
from ecsp.ops.show import ApplicationView, EnvironmentView, Placement, ShowReport
from ecsp.ops.status import AppStatus, Health, StatusReport
from ecsp.results import RunResult, StackResult
from tests.paths import ROOT

URL = "http://shop-test-alb-123.us-west-2.elb.amazonaws.com/"
DATACLASS_REPR = re.compile(r"\w+\((?:\w+=)")  # PlannedStack(spec=..., Plan(project=...


def links(html: str) -> list[str]:
    return re.findall(r"<a href=['\"]([^'\"]+)['\"]", html)


def shows_no_dataclass(result: object) -> None:
    html = result._repr_html_()  # type: ignore[attr-defined]
    assert not DATACLASS_REPR.search(re.sub(r"<[^>]+>", "", html)), html[:2000]
    assert len(repr(result)) < 120 and repr(result).startswith("<"), repr(result)


@pytest.fixture(scope="module")
def plan() -> object:
    return ecsp.load(ROOT / "examples" / "hello" / "ecsp.yaml").plan()


def test_a_plan_is_a_table_of_stacks_with_each_stacks_resources_folded(plan: object) -> None:
    html = plan._repr_html_()  # type: ignore[attr-defined]
    shows_no_dataclass(plan)
    assert repr(plan) == "<Plan for hello: 3 stacks, 59 resources>", "providers aside, as the display counts"
    for stack in ("hello-project/global", "hello-environment/test", "hello-web/test"):
        assert f"<summary>{stack}: " in html
    # Types as the CLI shows them, the same words `ecsp plan` uses.
    assert "aws:ecs:TaskDefinition" in html and "aws:ecs/taskDefinition:TaskDefinition" not in html


def test_the_api_finds_resources_by_the_type_the_cli_shows(plan: object) -> None:
    web = plan.stack("hello-web/test")  # type: ignore[attr-defined]
    assert [r.name for r in web.of_type("aws:ecs:TaskDefinition")] == ["web"]
    assert web.of_type("aws:ecs:TaskDefinition") == web.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert web.of_type("aws:ecs:TaskDefinition")[0].short_type == "aws:ecs:TaskDefinition"


def run_result() -> RunResult:
    return RunResult("up", [
        StackResult("shop-web/test", "application", "test", "web", Status.SUCCEEDED, started=0, ended=42,
                    changes={"create": 12}, outputs={"url": URL, "dbPassword": Secret("hunter2"),
                                                     "taskDefinition": {"family": "shop-test-web", "revision": 3}}),
        StackResult("shop-api/test", "application", "test", "api", Status.FAILED, "1 resource failed",
                    started=0, ended=5),
    ])


def test_a_run_result_has_clickable_urls_and_folded_outputs() -> None:
    result = run_result()
    html = result._repr_html_()
    shows_no_dataclass(result)
    assert links(html) == [URL, URL], "the url column, and the url among the outputs"
    assert "<details><summary>3 outputs</summary>" in html
    assert "hunter2" not in html and "[secret]" in html
    assert "&quot;family&quot;: &quot;shop-test-web&quot;" in html  # structures as indented JSON
    assert repr(result) == "<up: 1 succeeded, 1 failed in 42.0s>"


def test_status_and_show_reports_render_as_the_cli_prints_them_with_links() -> None:
    status = StatusReport("shop", applications=(
        AppStatus("test", "web", "us-west-2", Health.HEALTHY, url=URL, running=2, desired=2),
        AppStatus("test", "worker", "us-west-2", Health.NOT_DEPLOYED, kind="worker")))
    html = status._repr_html_()
    shows_no_dataclass(status)
    assert links(html) == [URL]
    assert "shop: application status" in html and "healthy" in html
    show = ShowReport("shop", "us-west-2", None, None,
                      (EnvironmentView("test", "us-west-2", "111111111111", URL, True),),
                      (ApplicationView("web", "/", (Placement("test", Health.HEALTHY, 1, 1, URL),)),
                       ApplicationView("worker", "", (Placement("test", Health.HEALTHY, 1, 1, None),), "worker")))
    html = show._repr_html_()
    shows_no_dataclass(show)
    assert links(html) == [URL]
    assert "environments" in html and "applications" in html


def test_pipelines_render_too() -> None:
    project = ecsp.load(ROOT / "examples" / "multi" / "ecsp.yaml")
    for model in project.pipelines():
        shows_no_dataclass(model)
        assert "buildspec:" in model._repr_html_()
    state = PipelineStatus("release", "shop-release", "us-west-2", True, 1, [
        StageState("test", "Succeeded", "e-1", [ActionState("deploy", "Succeeded")])])
    shows_no_dataclass(state)


def test_errors_import_from_where_the_readme_says() -> None:
    from ecsp.errors import EcspError, Interrupted, RunFailed
    from ecsp.results import RunFailed as FromResults

    assert RunFailed is FromResults and issubclass(RunFailed, EcspError) and issubclass(Interrupted, EcspError)
    assert RunFailed(run_result()).result.failed[0].stack == "shop-api/test"


def test_the_readme_names_only_errors_that_exist() -> None:
    import ecsp.errors

    text = (ROOT / "README.md").read_text()
    for name in re.findall(r"`(\w+)` and `(\w+)` carry the result", text)[0]:
        assert hasattr(ecsp.errors, name), name
    assert Path(ecsp.errors.__file__).name == "errors.py"


def test_the_stacks_ls_lists_render_as_the_table_the_cli_prints(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from ecsp import api
    from ecsp.engine.fake import FakeEngine
    from tests.deploy_support import write_project

    project = api.load(write_project(tmp_path, "shop", environments=1, applications=1))
    engine = FakeEngine(deployed=["shop-project/global", "shop-environment/e0"])
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    rows = project.ls()
    assert [row.stack for row in rows] == ["shop-project/global", "shop-environment/e0", "shop-a0/e0"]  # a list
    assert repr(rows) == "<stacks of shop: 3, 2 deployed>"
    shows_no_dataclass(rows)
    html = rows._repr_html_()
    assert "stacks of shop" in html and "not deployed" in html and html.count("deployed") == 3
