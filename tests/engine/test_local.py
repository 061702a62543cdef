"""ecsp.local: the moto server behind --local (loopback only, state kept across sessions in .ecsp/local)."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecsp import local
from tests import ops_support as aws


def test_emulator_keeps_state_across_sessions_and_reports_running_services(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(local.ENDPOINT_VARIABLE, raising=False)
    said: list[str] = []

    with local.emulator(tmp_path, running_tasks=2, say=said.append) as first:
        assert first.endpoint.startswith("http://127.0.0.1:")
        ec2, ecs = aws.client(first.endpoint, "ec2"), aws.client(first.endpoint, "ecs")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        cluster = ecs.create_cluster(clusterName="shop-test")["cluster"]["clusterArn"]
        group = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        task = ecs.register_task_definition(family="f",
                                            containerDefinitions=[{"name": "c", "image": "i", "memory": 512}])
        ecs.create_service(cluster=cluster, serviceName="web", desiredCount=2,
                           taskDefinition=task["taskDefinition"]["taskDefinitionArn"],
                           networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet],
                                                                         "securityGroups": [group]}})

    assert said[0].startswith(f"local mode: AWS emulator (moto) at {first.endpoint}")
    assert said[-1].startswith("local mode: nothing real was created")
    recording = tmp_path / ".ecsp" / "local" / "recording.jsonl"
    size = recording.stat().st_size
    assert size > 0

    before = len(said)
    with local.emulator(tmp_path, say=said.append, record=False) as second:  # as status/logs/show do
        # A read says so once, before its own output: not from AWS, and where the emulator is.
        assert said[before:] == [f"{local.READ_NOTICE}: {second.endpoint}, data in {tmp_path / '.ecsp' / 'local'}"]
        assert second.endpoint != first.endpoint  # a new server, a new port
        ec2, ecs = aws.client(second.endpoint, "ec2"), aws.client(second.endpoint, "ecs")
        # Same ids as before: Pulumi state recorded them and must find them again.
        assert vpc in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
        (service,) = ecs.describe_services(cluster=cluster, services=["web"])["services"]
        # running_tasks=2 when the service was created: moto reports it running, the rollout completed.
        assert (service["runningCount"], service["desiredCount"]) == (2, 2)
        assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert recording.stat().st_size == size  # reads were not recorded
    assert len(said) == before + 1  # and nothing more is said after the read's output


def test_emulator_uses_a_running_one_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = aws.moto_endpoint()
    monkeypatch.setenv(local.ENDPOINT_VARIABLE, endpoint + "/")
    said: list[str] = []

    with local.emulator(tmp_path, say=said.append) as emulator:
        assert emulator.endpoint == endpoint
        assert aws.client(emulator.endpoint, "sts").get_caller_identity()["Account"] == "123456789012"

    assert said == [f"local mode: using the AWS emulator at {endpoint} (ECSP_LOCAL_ENDPOINT)", local.NOTICE]
    assert not (tmp_path / ".ecsp").exists()  # someone else's emulator keeps its own data


def test_unreachable_emulator_endpoint_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(local.ENDPOINT_VARIABLE, f"http://127.0.0.1:{local.free_port()}")
    with pytest.raises(local.LocalEmulatorError, match=r"no AWS emulator answers at http://127\.0\.0\.1:") as caught, \
            local.emulator(tmp_path, start_timeout=0.3, say=lambda _: None):
        pass
    assert caught.value.fix is not None and "ECSP_LOCAL_ENDPOINT" in caught.value.fix


def test_a_second_session_on_the_same_project_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(local.ENDPOINT_VARIABLE, raising=False)
    folder = local.data_dir(tmp_path)
    folder.mkdir(parents=True)
    with open(folder / "lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another ecsp --local command
        with pytest.raises(local.LocalEmulatorError, match="another ecsp --local command is using"), \
                local.emulator(tmp_path, say=lambda _: None):
            pass


def test_running_tasks_covers_the_largest_desired_count() -> None:
    assert local.running_tasks([]) == 1
    assert local.running_tasks([1, 3, 2]) == 3
    assert local.running_tasks([0]) == 1


def test_the_emulator_does_not_outlive_a_killed_ecsp(tmp_path: Path) -> None:
    # ecsp (here: a child python) starts the emulator, then dies without cleaning up.
    script = ("import sys; from pathlib import Path; from ecsp import local\n"
              "with local.emulator(Path(sys.argv[1]), say=lambda _: None) as e:\n"
              "    print(e.endpoint, flush=True); sys.stdin.read()\n")
    env = {k: v for k, v in os.environ.items() if k != local.ENDPOINT_VARIABLE}
    ecsp = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    assert ecsp.stdout is not None
    endpoint = ecsp.stdout.readline().strip()
    host, port = endpoint.removeprefix("http://").split(":")
    socket.create_connection((host, int(port)), timeout=2).close()  # it is up

    ecsp.kill()
    ecsp.wait()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            return  # gone
        time.sleep(0.2)
    pytest.fail(f"the emulator at {endpoint} is still running after ecsp was killed")


def test_a_recording_that_cannot_be_replayed_is_a_clear_error(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(local.ENDPOINT_VARIABLE, raising=False)
    folder = local.data_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / "recording.jsonl").write_text("this is not a recording\n")
    with pytest.raises(local.LocalEmulatorError) as caught, local.emulator(tmp_path, say=lambda _: None):
        pass
    assert "could not restore the earlier sessions' resources" in caught.value.message
    assert caught.value.fix is not None and f"delete {folder}" in caught.value.fix
