"""ecsp's deploy path with the real pulumi engine and a stand-in AWS provider (marked ``pulumi``).

These run ``python -m ecsp`` (the CLI a user runs) on copies of ``examples/hello`` and
``examples/multi`` with a file backend, against the real ``pulumi`` CLI (built by
``.ci/build-pulumi.sh``, or any on ``PATH``). They test ecsp with the real engine, **not
AWS**: the ``aws`` and ``docker-build`` provider plugins are the stand-in of
``tests/standin_provider``, which echoes inputs as outputs plus the ids, ARNs and DNS names
``ecsp.mocks`` computes, and calls nothing. What the engine does for real here: stack
creation and selection, config, StackReference reads, diffs, state and its secrets,
locks, cancellation, events, the exit codes.

Skipped, with the reason printed (``-ra``), when no pulumi CLI is found.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.paths import ROOT
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

PASSPHRASE = "ecsp-real-engine-test"


pytestmark = MARKS


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def records(self) -> list[dict[str, Any]]:
        """The JSON progress lines (``--progress json``)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]

    def result(self) -> dict[str, Any]:
        found = [r for r in self.records() if r["event"] == "result"]
        assert len(found) == 1, self
        return found[0]

    def stacks(self) -> dict[str, dict[str, Any]]:
        return {s["stack"]: s for s in self.result()["stacks"]}

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout[-6000:]}\n--- stderr\n{self.stderr[-6000:]}"


class Project:
    """A copy of an example project and the environment its ecsp commands run in."""

    def __init__(self, folder: Path, pulumi_home: Path, **knobs: str) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("PULUMI_", "AWS_", "ECSP_STANDIN_"))}
        self.env.update({"PULUMI_HOME": str(pulumi_home), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                         "PYTHONUNBUFFERED": "1", **knobs})
        if "ECSP_HOME" in os.environ:
            self.env["ECSP_HOME"] = os.environ["ECSP_HOME"]

    @property
    def file(self) -> Path:
        return self.folder / "ecsp.yaml"

    def argv(self, *args: str) -> list[str]:
        # The stand-in provider stands for AWS: there is no account to look taken names up in.
        skip = ["--skip-name-check"] if args and args[0] in ("up", "preview") else []
        return [sys.executable, "-m", "ecsp", *args, *skip, "-f", str(self.file)]

    def run(self, *args: str, timeout: float = 600, **knobs: str) -> Run:
        done = subprocess.run(self.argv(*args), cwd=self.folder, env={**self.env, **knobs}, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        return Run(done.returncode, done.stdout, done.stderr)

    def start(self, *args: str, **knobs: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(*args), cwd=self.folder, env={**self.env, **knobs},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)

    def state_text(self) -> str:
        """Every file of the state backend and of the workspaces, as text."""
        return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                         for p in sorted((self.folder / ".ecsp").rglob("*")) if p.is_file())

    def locks(self) -> list[Path]:
        return sorted(p for p in (self.folder / ".ecsp" / "state" / ".pulumi" / "locks").rglob("*.json"))


def copy_example(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, folder, ignore=shutil.ignore_patterns(".ecsp"))
    return folder


@pytest.fixture
def hello(tmp_path: Path, pulumi_home: Path) -> Iterator[Project]:
    yield Project(copy_example("hello", tmp_path), pulumi_home)


def steps(run: Run, stack: str, *, phase: str = "done") -> list[dict[str, Any]]:
    return [r for r in run.records()
            if r["event"] == "resource_step" and r["stack"] == stack and r["phase"] == phase]


HELLO = ("hello-project/global", "hello-environment/test", "hello-web/test")


def test_hello_up_again_preview_outputs_ls_destroy_with_the_real_engine(hello: Project) -> None:
    """The whole life of examples/hello with the real engine (stand-in provider, no AWS)."""
    up = hello.run("up", "--progress", "json")
    assert up.code == 0, up
    stacks = up.stacks()
    assert list(stacks) == list(HELLO)
    assert all(s["status"] == "succeeded" for s in stacks.values()), up
    # Progress fed by the engine's own events: each stack's resources, each created.
    created = steps(up, "hello-environment/test")
    assert {"aws:ec2/vpc:Vpc", "aws:lb/loadBalancer:LoadBalancer", "aws:ecs/cluster:Cluster"} <= {
        r["type"] for r in created if r["op"] == "create"}, up
    assert stacks["hello-environment/test"]["changes"].get("create", 0) >= len(created) - 1
    # The application found the load balancer through a StackReference the engine resolved:
    # its URL is the DNS name the stand-in gave the environment's ALB.
    env_outputs = stacks["hello-environment/test"]["outputs"]
    app_outputs = stacks["hello-web/test"]["outputs"]
    dns = next(v for k, v in env_outputs.items() if "dns" in k.lower())
    assert dns.endswith(".us-east-1.elb.amazonaws.com")
    assert dns in json.dumps(app_outputs), (env_outputs, app_outputs)

    again = hello.run("up", "--progress", "json")
    assert again.code == 0, again
    for stack in again.stacks().values():
        assert set(stack["changes"]) <= {"same"}, again
    assert not [r for r in again.records() if r["event"] == "resource_step" and r["op"] not in ("same", "read")]

    text = hello.file.read_text().replace("count: 1", "count: 2")
    hello.file.write_text(text)
    preview = hello.run("preview", "--progress", "json")
    assert preview.code == 0, preview
    changed = [r for r in steps(preview, "hello-web/test") if r["op"] not in ("same", "read")]
    assert [(r["type"], r["op"], r["diffs"]) for r in changed] == [
        ("aws:ecs/service:Service", "update", ["desiredCount"])], preview
    assert all(set(s["changes"]) <= {"same"} for name, s in preview.stacks().items() if name != "hello-web/test")

    outputs = hello.run("outputs", "--json")
    assert outputs.code == 0, outputs
    assert dns in outputs.stdout
    listed = hello.run("ls", "--json")
    assert listed.code == 0, listed
    rows = json.loads(listed.stdout)
    assert {r["stack"]: r["status"] for r in rows} == dict.fromkeys(HELLO, "deployed"), rows

    # refresh reads every resource back through the stand-in (which reports no drift);
    # the plain progress is the same engine events, rendered as lines.
    refresh = hello.run("refresh", "--progress", "plain")
    assert refresh.code == 0, refresh
    for stack in HELLO:
        assert f"{stack}: succeeded" in refresh.stdout + refresh.stderr, refresh
    assert "refreshing aws:ec2:Vpc vpc" in refresh.stdout + refresh.stderr, refresh

    gone = hello.run("destroy", "--yes", "--progress", "json")
    assert gone.code == 0, gone
    assert list(gone.stacks()) == list(reversed(HELLO))
    finished = [r["stack"] for r in gone.records() if r["event"] == "stack_status" and r["status"] == "succeeded"]
    assert finished == list(reversed(HELLO))
    assert all(r["op"] == "delete" for r in steps(gone, "hello-environment/test"))
    listed = hello.run("ls", "--json")
    assert all(r["status"] != "deployed" for r in json.loads(listed.stdout)), listed


def wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"ecsp ended (exit {process.returncode}) before {path.name}:\n{out}\n{err}")
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.2)


def test_ctrl_c_during_up_with_the_real_engine_exits_130_and_leaves_no_lock(hello: Project, tmp_path: Path) -> None:
    """SIGINT to `ecsp up` while the real engine creates the VPC (made slow by the stand-in)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    process = hello.start("up", "--progress", "json", ECSP_STANDIN_SLOW="vpc=120", ECSP_STANDIN_MARKS=str(marks))
    wait_for(marks / "vpc.started", process)
    assert hello.locks(), "the engine holds the environment stack's lock while it runs"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    run = Run(process.returncode, out, err)
    assert run.code == 130, run
    stacks = run.stacks()
    assert stacks["hello-project/global"]["status"] == "succeeded", run
    env = stacks["hello-environment/test"]
    assert env["status"] == "cancelled", run
    assert "pulumi cancelled it and saved the state" in (env["reason"] or ""), env
    assert stacks["hello-web/test"]["status"] in ("skipped", "cancelled"), run
    assert hello.locks() == [], "pulumi's graceful cancel released the lock"
    again = hello.run("up", "--progress", "json")
    assert again.code == 0, again


def test_a_failing_resource_with_the_real_engine_fails_its_stack_and_skips_dependents(hello: Project) -> None:
    """The stand-in fails Create of the VPC: the engine fails the environment stack, ecsp skips the app."""
    run = hello.run("up", "--progress", "json", ECSP_STANDIN_FAIL="vpc")
    assert run.code == 1, run
    stacks = run.stacks()
    assert stacks["hello-project/global"]["status"] == "succeeded", run
    env = stacks["hello-environment/test"]
    assert env["status"] == "failed", run
    assert "creating vpc fails, as the test asked" in json.dumps(env), env
    assert [r["name"] for r in env["failed"]] == ["vpc"], env
    app = stacks["hello-web/test"]
    assert app["status"] == "skipped", run
    assert "hello-environment/test" in (app["reason"] or ""), app
    assert "creating vpc fails" in run.stderr + run.stdout
    assert hello.locks() == []


def test_ls_outputs_and_cancel_on_a_stack_the_real_engine_left_locked(hello: Project, tmp_path: Path) -> None:
    """A killed run (SIGKILL, no chance to clean up) leaves the real lock; ls shows it, cancel releases it."""
    marks = tmp_path / "marks"
    marks.mkdir()
    process = hello.start("up", "--progress", "json", ECSP_STANDIN_SLOW="vpc=300", ECSP_STANDIN_MARKS=str(marks))
    wait_for(marks / "vpc.started", process)
    [lock] = hello.locks()
    owner = json.loads(lock.read_text())
    # pulumi runs in a session of its own: kill it, the stand-in plugin and ecsp, none cleaning up.
    for pid in (int(owner["pid"]), int((marks / "vpc.started").read_text()), process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert hello.locks() == [lock]

    listed = hello.run("ls", "--json")
    assert listed.code == 0, listed
    rows = {r["stack"]: r for r in json.loads(listed.stdout)}
    assert rows["hello-environment/test"]["status"] == "updating (or locked)", rows
    outputs = hello.run("outputs", "--json", "--stack", "hello-project/global")
    assert outputs.code == 0, outputs
    assert "hello-artifacts-us-east-1" in outputs.stdout
    locked = hello.run("up", "--progress", "json", "--env", "test")
    assert locked.code == 1, locked
    assert "locked" in json.dumps(locked.stacks()["hello-environment/test"]), locked

    cancel = hello.run("cancel", "--stack", "hello-environment/test", "--yes")
    assert cancel.code == 0, cancel
    assert "hello-environment/test: cancelled; no lock is left" in cancel.stdout, cancel
    assert hello.locks() == []
    nothing = hello.run("cancel", "--stack", "hello-environment/test", "--yes")
    assert "hello-environment/test: nothing was running" in nothing.stdout, nothing
    again = hello.run("up", "--progress", "json")
    assert again.code == 0, again


def test_multi_up_in_parallel_with_the_real_engine_keeps_secrets_encrypted(tmp_path: Path, pulumi_home: Path) -> None:
    """examples/multi: two environments and six application stacks at once, an image build, a secret."""
    project = Project(copy_example("multi", tmp_path), pulumi_home)
    up = project.run("up", "--progress", "json", "--parallel", "4")
    assert up.code == 0, up
    stacks = up.stacks()
    assert len(stacks) == 1 + 2 + 6 and all(s["status"] == "succeeded" for s in stacks.values()), up
    # Stacks ran at once: both environments were running before either finished.
    order = [(r["stack"], r["status"]) for r in up.records() if r["event"] == "stack_status"]
    first_done = next(i for i, (stack, status) in enumerate(order)
                      if "-environment/" in stack and status == "succeeded")
    assert {s for s, status in order[:first_done] if "-environment/" in s and status == "running"} == {
        "shop-environment/test", "shop-environment/prod"}, order
    # Each region's environment and application got its own provider configuration.
    assert "eu-west-1" in json.dumps(stacks["shop-frontend/prod"]["outputs"]), stacks["shop-frontend/prod"]
    # The ECR password the image push uses is a secret: encrypted in the state, never printed.
    state = project.state_text()
    assert "mock-ecr-password" not in state
    for app_env in ("test", "prod"):
        checkpoint = json.loads((project.folder / ".ecsp" / "state" / ".pulumi" / "stacks" / "shop-worker-ui"
                                 / f"{app_env}.json").read_text())
        [image] = [r for r in checkpoint["checkpoint"]["latest"]["resources"]
                   if r["type"] == "docker-build:index:Image"]
        for side in ("inputs", "outputs"):  # the engine re-marks the stand-in's echoed output secret
            assert set(image[side]["registries"]) == {"4dabf18193072939515e22adb298388d", "ciphertext"}, image
    assert "mock-ecr-password" not in up.stdout + up.stderr
    again = project.run("up", "--progress", "json", "--parallel", "4")
    assert again.code == 0, again
    assert all(set(s["changes"]) <= {"same"} for s in again.stacks().values()), again
