"""AWSGuard's policy pack judging the examples under the real engine (marked ``pulumi``).

The examples of :data:`JUDGED`, which together plan every resource type any example plans
(``tests/check/test_check.py`` proves it), are deployed with the real ``pulumi`` CLI onto the
stand-in provider (see ``tests/engine/test_real_engine.py``: nothing is created anywhere) while
AWSGuard runs as an analyzer (:mod:`ecsp.check.guard`). Every violation must be one
:data:`ecsp.check.guard.ACCEPTED` explains; a known-bad program (an unencrypted file system, a
key that never rotates) must draw violations that nothing accepts. Needs the npm tools (``ecsp
check --install-tools``); marked ``slow`` and skipped unless ``ECSP_RUN_SLOW=1`` (``.ci/run``
sets it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pulumi_aws as aws
import pytest

from ecsp import api
from ecsp.check import guard
from ecsp.context import StackContext
from ecsp.programs import Programs
from stacks import PROGRAMS
from tests import standin_provider
from tests.check.test_check import needs_tools
from tests.paths import EXAMPLES, ROOT
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = [*MARKS, needs_tools, pytest.mark.slow]  # deploys the examples with AWSGuard

# AWSGuard's policies each judge one resource type: these examples plan every type the others
# do (hello's and release's types are all among them), at a third less CI time than all eight.
JUDGED = ("kinds", "multi", "data", "sidecars", "deployments", "imported")


@pytest.fixture(scope="module")
def environ(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The engine's environment: a PULUMI_HOME whose aws and docker-build plugins are the stand-in."""
    home = tmp_path_factory.mktemp("pulumi-home")
    standin_provider.install(home, PROGRAMS.plugin_versions())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "AWS_", "ECSP_STANDIN_"))}
    env.update({"PULUMI_HOME": str(home), "PULUMI_CONFIG_PASSPHRASE": "ecsp-awsguard-test", "PYTHONUNBUFFERED": "1"})
    return env


def _copy(example: Path, tmp_path: Path) -> api.Project:
    folder = tmp_path / example.parent.name
    shutil.copytree(example.parent, folder, ignore=shutil.ignore_patterns(".ecsp"))
    return api.load(folder / "ecsp.yaml")


def _run(project: api.Project, environ: dict[str, str], programs: Programs | None = None) -> list[guard.Violation]:
    result, violations = guard.run(project, backend=f"file://{project.root}/.ecsp/awsguard-state", environ=environ,
                                   programs=programs)
    assert [(s.stack, s.status.value, str(s.error)) for s in result.stacks if s.status.value != "succeeded"] == []
    return violations


@pytest.mark.parametrize("example", [EXAMPLES / name / "ecsp.yaml" for name in JUDGED], ids=list(JUDGED))
def test_every_violation_awsguard_finds_in_an_example_is_accepted_with_its_reason(
        example: Path, tmp_path: Path, environ: dict[str, str]) -> None:
    project = _copy(example, tmp_path)
    violations = _run(project, environ)
    # Every example has a load balancer and an artifact bucket: AWSGuard looked at them.
    assert {v.policy for v in violations} >= {"s3-bucket-logging-enabled", "elb-deletion-protection-enabled"}
    assert [str(v.finding()) for v in violations if not v.finding().accepted] == []


def _with_bad_resources(project_program: Callable[[StackContext], None]) -> Programs:
    """ecsp's project program plus what AWSGuard must refuse; the other stacks create nothing."""

    def project(ctx: StackContext) -> None:
        project_program(ctx)
        aws.efs.FileSystem("unencrypted", encrypted=False)
        aws.kms.Key("never-rotated", enable_key_rotation=False)

    nothing: Callable[[StackContext], None] = lambda ctx: None  # noqa: E731
    return Programs({kind: project if kind == "project" else nothing for kind in PROGRAMS.by_kind},
                    PROGRAMS.plugins, PROGRAMS.aws_modules)


def test_an_unencrypted_file_system_and_a_key_that_never_rotates_are_violations_nothing_accepts(
        tmp_path: Path, environ: dict[str, str]) -> None:
    project = _copy(ROOT / "examples" / "hello" / "ecsp.yaml", tmp_path)
    violations = _run(project, environ, _with_bad_resources(PROGRAMS.by_kind["project"]))
    refused = sorted((v.policy, v.name) for v in violations if not v.finding().accepted)
    assert refused == [("cmk-backing-key-rotation-enabled", "never-rotated"), ("efs-encrypted", "unencrypted")]
