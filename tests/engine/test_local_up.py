"""End to end: `up --local` on examples/hello against moto, then status/show, a second session, destroy.

Needs the real pulumi CLI and the real aws provider plugin (moto must receive real AWS calls;
the stand-in of tests/engine/test_real_engine.py makes none), so it is marked ``pulumi`` and skipped,
with the reason printed under -ra, when either is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import ecsp
from ecsp import local
from ecsp.engine.pulumi_cli import find_pulumi
from ecsp.errors import PulumiMissingError
from ecsp.ops.status import Health
from stacks import PROGRAMS
from tests.paths import ROOT

pytestmark = pytest.mark.pulumi


def _missing() -> str | None:
    try:
        find_pulumi()
    except PulumiMissingError:
        return "no pulumi CLI (ecsp install-pulumi)"
    home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    version = dict(PROGRAMS.plugin_versions())["aws"]
    if not (home / "plugins" / f"resource-aws-{version}").is_dir():
        return f"no aws plugin {version} in {home / 'plugins'} (pulumi plugin install resource aws {version})"
    return None


@pytest.fixture
def hello(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    missing = _missing()
    if missing:
        pytest.skip(f"end-to-end `up --local` needs the pulumi CLI and the real aws provider plugin: {missing}")
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
