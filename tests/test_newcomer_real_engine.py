"""A newcomer's first hour with the real pulumi engine (stand-in provider, no AWS; marked ``pulumi``).

Each test starts from the command a new user types: ``ecsp up`` with no passphrase set, in
CI and in a terminal, and Ctrl-C during an ``up``.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

from tests.engine.test_real_engine import Project, Run, copy_example, wait_for
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS


def without_passphrase(project: Project) -> Project:
    project.env.pop("PULUMI_CONFIG_PASSPHRASE", None)
    return project


def stack_files(project: Project) -> list[Path]:
    return sorted((project.folder / ".ecsp" / "state" / ".pulumi" / "stacks").rglob("*.json"))


def test_up_with_no_passphrase_refuses_until_allowed_then_says_to_keep_it(tmp_path: Path, pulumi_home: Path) -> None:
    hello = without_passphrase(Project(copy_example("hello", tmp_path), pulumi_home))
    refused = hello.run("up")
    assert refused.code == 2, refused
    assert refused.stderr.startswith(
        "error: PULUMI_CONFIG_PASSPHRASE is not set: 3 new stack(s) (hello-project/global, hello-environment/test, "
        "hello-web/test) would encrypt"), refused
    assert "--allow-empty-passphrase" in refused.stderr and "Traceback" not in refused.stderr
    assert stack_files(hello) == [], "nothing was created"

    allowed = hello.run("up", "--allow-empty-passphrase", "--progress", "plain")
    assert allowed.code == 0, allowed
    said = allowed.stdout + allowed.stderr
    assert "use the empty passphrase for their secrets: keep it unset for them" in said, allowed
    # The first up on the default backend says where the state went and how to share it.
    assert f"the Pulumi state of these stacks is kept in {hello.folder.resolve()}/.ecsp/state" in said
    assert "s3://BUCKET/PREFIX (or https://api.pulumi.com for Pulumi Cloud)" in said

    again = hello.run("up", "--progress", "plain")
    assert again.code == 0, again
    assert "keep it unset for them" in again.stdout + again.stderr
    assert "the Pulumi state of these stacks" not in again.stdout + again.stderr, "said once, by the first up"

    # What used to happen to people who followed the old warning's "set it": now the message says why.
    broken = hello.run("up", "--progress", "plain", PULUMI_CONFIG_PASSPHRASE="set-too-late")
    assert broken.code == 1, broken
    assert "the secrets passphrase is wrong or missing" in broken.stderr, broken
    assert "unset it for stacks created without one" in broken.stderr


def read_until(fd: int, wanted: str, seconds: float = 120) -> str:
    seen = ""
    deadline = time.monotonic() + seconds
    while wanted not in seen:
        assert time.monotonic() < deadline, f"never saw {wanted!r}:\n{seen}"
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                seen += os.read(fd, 4096).decode(errors="replace")
            except OSError:
                break
    return seen


def test_up_in_a_terminal_asks_for_the_passphrase(tmp_path: Path, pulumi_home: Path) -> None:
    hello = without_passphrase(Project(copy_example("hello", tmp_path), pulumi_home))
    main, child = pty.openpty()
    process = subprocess.Popen(hello.argv("up", "--progress", "plain"), cwd=hello.folder, env=hello.env,
                               stdin=child, stdout=child, stderr=child, start_new_session=True)
    os.close(child)
    try:
        asked = read_until(main, "passphrase: ")
        assert "Choose a passphrase for their secrets, and keep it" in asked
        os.write(main, b"horse battery\n")
        read_until(main, "passphrase again: ")
        os.write(main, b"horse battery\n")
        rest = read_until(main, "succeeded", seconds=300)
        assert process.wait(timeout=300) == 0, rest
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert "horse battery" not in rest, "a passphrase is never echoed"
    later = hello.run("up", "--progress", "plain", PULUMI_CONFIG_PASSPHRASE="horse battery")
    assert later.code == 0, later
    assert "passphrase" not in later.stdout + later.stderr


def test_ctrl_c_ends_without_a_raw_engine_diagnostic(tmp_path: Path, pulumi_home: Path) -> None:
    hello = Project(copy_example("hello", tmp_path), pulumi_home)
    marks = tmp_path / "marks"
    marks.mkdir()
    process = hello.start("up", "--progress", "plain", ECSP_STANDIN_SLOW="vpc=120", ECSP_STANDIN_MARKS=str(marks))
    wait_for(marks / "vpc.started", process)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    run = Run(process.returncode, out, err)
    if os.environ.get("ECSP_DUMP"):
        Path(os.environ["ECSP_DUMP"]).write_text(out + "\n---stderr\n" + err)
    assert run.code == 130, run
    assert "context canceled" not in out + err, run
    assert "\nDiagnostics" not in out, "nothing but the echo of Ctrl-C to say"
    assert "hello-environment/test: interrupted creating aws:ec2:Vpc vpc" in out, run


def test_plan_the_display_and_the_result_count_each_stacks_resources_alike(tmp_path: Path, pulumi_home: Path) -> None:
    hello = Project(copy_example("hello", tmp_path), pulumi_home)
    planned = hello.run("plan", "--json")
    assert planned.code == 0, planned
    # Providers (and the root stack) are bookkeeping: no report shows or counts them.
    counts = {s["name"]: sum(1 for r in s["resources"] if not r["type"].startswith("pulumi:providers:"))
              for s in json.loads(planned.stdout)["stacks"]}
    # The project's boundary and the environment's two (applications', deployers') are in the counts.
    assert counts == {"hello-project/global": 15, "hello-environment/test": 31, "hello-web/test": 13}
    for run in ("first", "again"):  # created (and the StackReference read), then unchanged
        up = hello.run("up", "--progress", "json")
        assert up.code == 0, up
        said = {name: sum(stack["changes"].values()) for name, stack in up.stacks().items()}
        assert said == counts, (run, {name: stack["changes"] for name, stack in up.stacks().items()})
        rows: dict[str, set[str]] = {}  # what the display counted: one row per resource it was told of
        for record in up.records():
            if record["event"] == "resource_step":
                rows.setdefault(record["stack"], set()).add(record["urn"])
        assert {name: len(urns) for name, urns in rows.items()} == counts, run
