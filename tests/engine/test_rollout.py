"""Release commands and recorded revisions (ecsp.rollout) through the orchestrator, on the fake engine.

The fake engine's ``program`` stands in for the application program's contract (tested
under Pulumi's mocks in tests/stacks/test_stack_application.py): a new image registers a new
revision; a hold keeps the service on the held revision, or leaves it out.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from ecsp import api, cli, orchestrator, rollout
from ecsp import aws as ecsp_aws
from ecsp.context import Hold, LocalEmulator, StackContext
from ecsp.engine.fake import FakeEngine
from ecsp.errors import Cancelled
from ecsp.events import Diagnostic, OutputLine, ResourceStep, Status
from ecsp.ops import tasks
from ecsp.results import RunFailed
from stacks.contracts import ApplicationOutputs, EnvironmentOutputs
from tests import ops_support as aws
from tests.deploy_support import Recorder

moto, aws_is_moto = aws.moto, aws.aws_is_moto  # fixtures

REVISION = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-test-{app}:{n}"
ENVIRONMENT = {"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/shop-test-1a2b3c4",
               "publicSubnetIds": ["subnet-a", "subnet-b"], "privateSubnetIds": ["subnet-c", "subnet-d"],
               "environmentSecurityGroupId": "sg-env"}
CONFIG = """\
project: {{name: shop, region: us-east-1}}
environments:
  test: {{region: us-east-1}}
applications:
  web:
    image: {{location: "registry.example.com/web:{web}"}}
    port: 80
    release: {{command: [python, manage.py, migrate], timeout: 300}}
  api:
    image: {{location: "registry.example.com/api:{api}"}}
    port: 8080
    path: /api
"""


def revision(app: str, n: int | str) -> str:
    return REVISION.format(app=app, n=n)


def program(ctx: StackContext, before: Mapping[str, Any]) -> dict[str, Any]:
    """The application program's outputs, as its contract says; other stacks keep what they had."""
    spec = ctx.stack
    if spec.application is None or spec.environment is None:
        return dict(before) or {"stack": spec.name}
    image = ctx.config.application(spec.environment, spec.application).image.location or ""
    out: dict[str, Any] = {"taskDefinitionArn": revision(spec.application, image.rsplit(":", 1)[1]),
                           "logGroupName": f"/ecsp/shop-test-{spec.application}"}
    if ctx.hold is not None and ctx.hold.revision is None:
        return out  # a first release: no service yet
    out["serviceName"] = spec.application
    if ctx.hold is not None:
        out["serviceTaskDefinitionArn"] = ctx.hold.revision
    return out


def write(tmp_path: Path, web: int = 2, api_version: int = 2) -> Path:
    path = tmp_path / "ecsp.yaml"
    path.write_text(CONFIG.format(web=web, api=api_version))
    return path


def deployed(web: int | None = 1, api_version: int = 1) -> FakeEngine:
    state: dict[str, dict[str, Any]] = {"shop-project/global": {"regions": {}}, "shop-environment/test": ENVIRONMENT,
                                        "shop-api/test": {"serviceName": "api", "taskDefinitionArn":
                                                          revision("api", api_version)}}
    if web is not None:
        state["shop-web/test"] = {"serviceName": "web", "taskDefinitionArn": revision("web", web)}
    return FakeEngine(deployed=state, program=program)


class Releases:
    """A release runner that records what it was asked to run, and fails when told to."""

    def __init__(self, fail: str | None = None, *, wait: threading.Event | None = None) -> None:
        self.fail, self.wait = fail, wait
        self.runs: list[rollout.ReleaseRun] = []

    def __call__(self, run: rollout.ReleaseRun) -> None:
        self.runs.append(run)
        run.on_event(OutputLine(run.ctx.stack.name, "release | Applying migrations..."))
        if self.wait is not None:
            while not run.stop.is_set():
                time.sleep(0.01)
            raise Cancelled(f"{run.ctx.stack.name}: interrupted while the release ran")
        if self.fail:
            raise rollout.ReleaseFailed(f"{run.ctx.stack.name}: release `python manage.py migrate` {self.fail}; "
                                        f"the service still runs {rollout.revision_label(run.ctx.running)}")


def up(path: Path, engine: FakeEngine, releases: Releases, **kwargs: Any) -> Any:
    project = api.load(path)
    return project.run("up", env="test", engine=rollout.RolloutEngine(engine, project.config, releaser=releases),
                       progress=False, check=False, **kwargs)


def contexts(engine: FakeEngine, stack: str) -> list[StackContext]:
    return [c for c in engine.contexts if c.stack.name == stack]


def test_the_output_names_are_the_contracts() -> None:
    app, env = set(ApplicationOutputs.output_names().values()), set(EnvironmentOutputs.output_names().values())
    assert {rollout.SERVICE_NAME, rollout.TASK_DEFINITION, rollout.SERVICE_TASK_DEFINITION, rollout.LOG_GROUP} <= app
    assert {rollout.CLUSTER, rollout.SECURITY_GROUP, *rollout.SUBNETS.values()} <= env


def test_a_release_runs_with_the_new_revision_before_the_service_moves(tmp_path: Path) -> None:
    engine, releases = deployed(), Releases()

    result = up(write(tmp_path), engine, releases)

    assert not result.failed
    [run] = releases.runs
    assert run.task_definition == revision("web", 2) and run.ctx.running == revision("web", 1)
    assert run.release.command == ["python", "manage.py", "migrate"] and run.release.timeout == 300
    assert run.environment == ENVIRONMENT and run.log_group == "/ecsp/shop-test-web"
    # Two updates of the one stack: held on the old revision, then without the hold.
    holds = [c.hold for c in contexts(engine, "shop-web/test")]
    assert holds == [Hold(revision("web", 1), "release"), None]
    assert engine.state["shop-web/test"] == {"serviceName": "web", "taskDefinitionArn": revision("web", 2),
                                            "logGroupName": "/ecsp/shop-test-web"}
    # Only the application with a release is deployed twice.
    assert [c.hold for c in contexts(engine, "shop-api/test")] == [None]


def test_a_failing_release_leaves_the_old_version_serving_and_the_others_going(tmp_path: Path) -> None:
    engine, releases = deployed(), Releases(fail="exited 3 (Essential container in task exited)")
    recorder = Recorder()
    project = api.load(write(tmp_path))

    with pytest.raises(RunFailed) as raised:
        project.run("up", env="test", engine=rollout.RolloutEngine(engine, project.config, releaser=releases),
                    listener=recorder)

    result = raised.value.result
    status = {s.stack: s for s in result.stacks}
    assert status["shop-web/test"].status is Status.FAILED
    assert status["shop-web/test"].reason == ("shop-web/test: release `python manage.py migrate` exited 3 (Essential "
                                              "container in task exited); the service still runs shop-test-web:1")
    assert status["shop-api/test"].status is Status.SUCCEEDED  # the other application went on
    # The service stayed on the old revision; the new one is registered.
    assert engine.state["shop-web/test"]["serviceTaskDefinitionArn"] == revision("web", 1)
    assert engine.state["shop-web/test"]["taskDefinitionArn"] == revision("web", 2)
    assert [c.operation for c in engine.calls if c.stack == "shop-web/test"] == ["up"]  # no second phase
    assert ("shop-web/test", "failed") in recorder.statuses("shop-web/test")
    assert any(isinstance(e, OutputLine) and "Applying migrations" in e.text for e in recorder.events)
    # The release is a step of the stack in the progress: it ran, and failed.
    assert [(e.type, e.name, e.op, e.phase) for e in recorder.events if isinstance(e, ResourceStep)
            and e.stack == "shop-web/test" and e.op == "run"] == [
        ("ecsp:release:Command", "release", "run", "start"), ("ecsp:release:Command", "release", "run", "failed")]

    # The next deploy holds the service on what it really runs (not the registered revision), and tries again.
    again = Releases()
    assert not up(write(tmp_path), engine, again).failed
    assert again.runs[0].ctx.running == revision("web", 1)
    assert engine.state["shop-web/test"].get("serviceTaskDefinitionArn") is None


def test_the_summary_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    engine = deployed()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: engine)
    monkeypatch.setattr(rollout, "run_release", Releases(fail="ran longer than its timeout (300 s) and was stopped"))
    monkeypatch.setenv("COLUMNS", "250")

    code = cli.main(["up", "--env", "test", "-f", str(write(tmp_path)), "--progress", "plain"])

    out, err = capsys.readouterr()
    assert code == 1
    text = " ".join((out + err).split())
    assert "shop-web/test" in text
    assert ("release `python manage.py migrate` ran longer than its timeout (300 s) and was stopped; the service "
            "still runs shop-test-web:1") in text
    assert "shop-web/test: running ecsp:release:Command release" in text
    assert "shop-web/test: failed to run ecsp:release:Command release" in text


def test_a_first_deploy_creates_the_service_only_after_its_release(tmp_path: Path) -> None:
    engine, releases = deployed(web=None), Releases(fail="exited 1")

    result = up(write(tmp_path), engine, releases)

    assert result.failed
    assert [c.hold for c in contexts(engine, "shop-web/test")] == [Hold(None, "release")]
    assert "serviceName" not in engine.state["shop-web/test"]  # nothing serves the version whose release failed
    assert releases.runs[0].ctx.running is None

    assert not up(write(tmp_path), engine, Releases()).failed
    assert engine.state["shop-web/test"]["serviceName"] == "web"


def test_no_release_when_the_service_already_runs_the_revision(tmp_path: Path) -> None:
    engine, releases = deployed(web=2), Releases(fail="should not run")
    recorder = Recorder()
    project = api.load(write(tmp_path))

    project.run("up", env="test", engine=rollout.RolloutEngine(engine, project.config, releaser=releases),
                listener=recorder)

    assert releases.runs == []
    assert Diagnostic("shop-web/test", "info", "release: not run, the service already runs shop-test-web:2") in \
        recorder.events


def test_each_update_records_what_the_service_ran_before(tmp_path: Path) -> None:
    engine = deployed()
    up(write(tmp_path), engine, Releases())

    history = engine.history(api.load(write(tmp_path)).stacks()["shop-api/test"])
    assert history[0].config["ecsp:running"] == revision("api", 1) and history[0].config["ecsp:hold"] == ""
    web = engine.history(api.load(write(tmp_path)).stacks()["shop-web/test"])
    assert [(u.config["ecsp:running"], u.config["ecsp:hold"]) for u in web] == [
        (revision("web", 1), ""), (revision("web", 1), f"{revision('web', 1)} (release)")]


def test_an_interrupted_release_stops_its_task_and_the_service_stays(tmp_path: Path) -> None:
    engine, releases = deployed(), Releases(wait=threading.Event())
    project = api.load(write(tmp_path))
    wrapped = rollout.RolloutEngine(engine, project.config, releaser=releases)
    graph = project.stacks(env="test", app="web", include_upstream=False)
    box: dict[str, Any] = {}

    def run() -> None:
        box["result"] = orchestrator.run(graph, "up", wrapped, lambda spec: project.context(spec))

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while not releases.runs and time.monotonic() < deadline:
        time.sleep(0.01)
    wrapped.interrupt(graph["shop-web/test"])
    worker.join(10)

    [web] = box["result"].stacks
    assert web.status is Status.FAILED and "interrupted while the release ran" in (web.reason or "")
    assert engine.state["shop-web/test"]["serviceTaskDefinitionArn"] == revision("web", 1)


# --------------------------------------------------------------------------- the release task, on moto's server


@pytest.fixture
def on_moto(moto: str, aws_is_moto: str, monkeypatch: pytest.MonkeyPatch) -> tuple[aws.Environment, str]:
    """web's environment and a revision moto can run; no waiting between polls."""
    env = aws.deploy_environment(moto, "shop", "test")
    deployed_web = aws.deploy_application(moto, env, "web", runnable=True)
    monkeypatch.setattr(tasks, "_sleep", lambda seconds: None)
    return env, str(deployed_web["service"]["taskDefinition"])


def release_run(path: Path, env: aws.Environment, new: str, events: list[Any]) -> rollout.ReleaseRun:
    project = api.load(path)
    ctx = project.context(project.stacks()["shop-web/test"])
    ctx = dataclasses.replace(ctx, running=revision("web", 1))
    outputs = {"clusterArn": env.cluster_arn, "publicSubnetIds": env.subnets, "privateSubnetIds": env.subnets,
               "environmentSecurityGroupId": env.security_group}
    release = project.config.application("test", "web").release
    assert release is not None
    return rollout.ReleaseRun(ctx, release, new, "/ecsp/shop-test-web", outputs, events.append, threading.Event())


def test_the_release_runs_in_a_task_of_the_new_revision(on_moto: tuple[aws.Environment, str], tmp_path: Path,
                                                        moto: str) -> None:
    env, new = on_moto
    events: list[Any] = []

    rollout.run_release(release_run(write(tmp_path), env, new, events))

    ecs = aws.client(moto, "ecs")
    [arn] = ecs.list_tasks(cluster=env.cluster_arn)["taskArns"] or ecs.list_tasks(
        cluster=env.cluster_arn, desiredStatus="STOPPED")["taskArns"]
    [task] = ecs.describe_tasks(cluster=env.cluster_arn, tasks=[arn])["tasks"]
    assert task["taskDefinitionArn"] == new and task["group"] == "ecsp-release:web"
    assert task["overrides"]["containerOverrides"] == [{"name": "web", "command": ["python", "manage.py", "migrate"]}]
    messages = [e.message for e in events if isinstance(e, Diagnostic)]
    assert messages[0] == (f"release: task {arn.rsplit('/', 1)[-1]} of ecsp_shop-test-web:1 runs "
                           "`python manage.py migrate`")
    assert messages[-1].startswith("release: `python manage.py migrate` exited 0 after ")


def test_a_release_that_exits_non_zero(on_moto: tuple[aws.Environment, str], tmp_path: Path, moto: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    env, new = on_moto
    ecs = aws.client(moto, "ecs")
    # moto reports every container's exit code as 0: DescribeTasks is a Stubber's, RunTask and logs moto's.
    stubbed = boto3.client("ecs", region_name="us-east-1", **aws.FAKE)
    stub = Stubber(stubbed)
    real_run_task = ecs.run_task

    def run_task(**kwargs: Any) -> Any:
        started = real_run_task(**kwargs)
        task = started["tasks"][0]
        stopped = {**task, "lastStatus": "STOPPED", "stoppedReason": "Essential container in task exited",
                   "containers": [{"name": "web", "lastStatus": "STOPPED", "exitCode": 2}]}
        for key in ("attachments", "overrides", "tags"):
            stopped.pop(key, None)
        stub.add_response("describe_tasks", {"tasks": [stopped]})
        aws.put_logs(moto, env, "web", task["taskArn"].rsplit("/", 1)[-1], ["django.db.utils.OperationalError: "
                                                                            "no such table: shop_order"])
        return started

    ecs.run_task, ecs.describe_tasks = run_task, stubbed.describe_tasks
    real_session_for = ecsp_aws.session_for

    class Session:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def client(self, service: str, **kwargs: Any) -> Any:
            return ecs if service == "ecs" else self.inner.client(service, **kwargs)

    monkeypatch.setattr(ecsp_aws, "session_for", lambda *a, **k: Session(real_session_for(*a, **k)))
    events: list[Any] = []

    with stub, pytest.raises(rollout.ReleaseFailed) as failed:
        rollout.run_release(release_run(write(tmp_path), env, new, events))

    assert failed.value.message == ("shop-web/test: release `python manage.py migrate` exited 2 (Essential container "
                                    "in task exited); the service still runs shop-test-web:1 (ecsp_shop-test-web:1 is "
                                    "registered, not serving)")
    assert "ecsp logs web --env test --task" in (failed.value.fix or "")
    [lines] = [e.message for e in events if isinstance(e, Diagnostic) and e.severity == "error"]
    assert lines.endswith("no such table: shop_order")


def test_a_release_that_cannot_start(on_moto: tuple[aws.Environment, str], tmp_path: Path) -> None:
    env, _ = on_moto
    missing = revision("web", 99)  # not registered: RunTask refuses

    with pytest.raises(rollout.ReleaseFailed, match=r"release `python manage.py migrate` could not start: .*"
                                                    r"the service still runs shop-test-web:1"):
        rollout.run_release(release_run(write(tmp_path), env, missing, []))


def test_local_mode_skips_the_release(tmp_path: Path) -> None:
    events: list[Any] = []
    run = release_run(write(tmp_path), aws.Environment("shop", "test", "us-east-1", "c", "v", [], "sg", "", "", ""),
                      revision("web", 2), events)
    run = dataclasses.replace(run, ctx=dataclasses.replace(run.ctx, local=LocalEmulator("http://127.0.0.1:1")))
    rollout.run_release(run)
    assert [e.severity for e in events] == ["warning"] and "local emulator runs no containers" in events[0].message


def test_a_pipeline_deploy_role_may_run_releases_in_its_environment_only() -> None:
    from stacks.pipeline_policies import deploy_role_policy

    policy = deploy_role_policy(partition="aws", account="222222222222", region="eu-west-1", project="shop",
                                environment="prod", zone=None,
                                boundary="arn:aws:iam::222222222222:policy/ecsp-boundary/shop-prod-boundary")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["Releases"]["Action"] == ["ecs:RunTask"]
    assert by_sid["Releases"]["Resource"] == ["arn:aws:ecs:eu-west-1:222222222222:task-definition/ecsp_shop-prod-*:*"]
    # The cluster's name is Pulumi's auto-name of shop-prod.
    assert by_sid["Releases"]["Condition"] == {
        "ArnLike": {"ecs:cluster": "arn:aws:ecs:eu-west-1:222222222222:cluster/shop-prod-*"}}
    assert by_sid["ReleaseTasks"]["Resource"] == ["arn:aws:ecs:eu-west-1:222222222222:task/shop-prod-*/*"]
    assert by_sid["ReleaseLogs"]["Resource"] == ["arn:aws:logs:eu-west-1:222222222222:log-group:/ecsp/shop-prod-*"]
