"""End to end: `up --local` on examples/hello against moto, then status/show, a second session, destroy.

Needs the real pulumi CLI and the aws provider plugin, so it is marked ``pulumi`` and
skipped (with the reason printed under -ra) when ``pulumi`` is not on PATH.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ecsp
from ecsp import local
from ecsp.ops.status import Health

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.pulumi


@pytest.fixture
def hello(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("pulumi") is None:
        pytest.skip("end-to-end `up --local` needs the pulumi CLI (and the aws plugin); pulumi is not on PATH")
    monkeypatch.delenv(local.ENDPOINT_VARIABLE, raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "ecsp-local-test")
    shutil.copy(ROOT / "examples" / "hello" / "ecsp.yaml", tmp_path / "ecsp.yaml")
    return tmp_path / "ecsp.yaml"


def test_up_local_then_status_show_and_destroy(hello: Path) -> None:
    project = ecsp.load(str(hello))

    with local.emulator(project.root, running_tasks=1) as emulator:
        result = project.up(local=emulator)
        assert result.ok
        (web,) = project.status(local=emulator).applications
        assert (web.environment, web.application) == ("test", "web")
        assert web.health is Health.HEALTHY, web
        assert (web.running, web.desired) == (1, 1)
        assert web.url is not None and web.url.startswith("http://") and web.url.endswith("/")

    # Another command, another emulator process: the recording under .ecsp/local is replayed.
    shown = project.show(local=True)
    (test,) = shown.environments
    assert test.deployed is True and test.url_base is not None
    assert [a.deployed_in for a in shown.applications] == [["test"]]

    with local.emulator(project.root) as emulator:
        project.destroy(local=emulator)
        (web,) = project.status(local=emulator).applications
        assert web.health is Health.NOT_DEPLOYED
