"""The CLI around pipelines: `init --pipeline`, `--with-pipeline` and its rule, `--deploy-role`, destroy's check."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecsp import api, loader
from ecsp.cli import main
from ecsp.engine.fake import FakeEngine

YAML = """\
project: {name: shop, region: us-east-1, account: "111111111111"}
environments:
  test: {region: us-east-1, profile: shop-test}
applications:
  web: {image: {location: nginx}, port: 80}
state: {backend: "s3://shop-state", secrets_provider: "awskms://alias/shop?region=us-east-1"}
pipelines:
  release:
    source: codecommit
    repository: shop
    stages: [{environment: test}]
"""


@pytest.fixture
def file(tmp_path: Path) -> str:
    path = tmp_path / "ecsp.yaml"
    path.write_text(YAML)
    return str(path)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: fake)
    return fake


def test_init_pipeline_writes_a_valid_starter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ecsp.yaml"
    assert main(["init", "--name", "shop", "--env", "test", "--env", "prod:eu-west-1", "--pipeline",
                 "-f", str(target)]) == 0
    config = loader.load(target)
    release = config.pipelines["release"]
    assert [(s.environment, s.approval) for s in release.stages] == [("test", None), ("prod", "manual")]
    assert config.state.backend == "s3://shop-pulumi-state/ecsp" and release.connection == "create"
    assert "PENDING" in target.read_text()


def test_up_leaves_pipelines_out_unless_asked(file: str, engine: FakeEngine) -> None:
    assert main(["up", "-f", file, "--progress", "none"]) == 0
    assert "shop-pipeline/release" not in engine.state
    assert main(["up", "-f", file, "--progress", "none", "--with-pipeline"]) == 0
    assert "shop-pipeline/release" in engine.state


def test_with_pipeline_and_targets_is_a_usage_error(file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "-f", file, "--env", "test", "--with-pipeline"]) == 2
    assert "--with-pipeline takes the whole project" in capsys.readouterr().err


def test_deploy_role_replaces_the_environments_profile(file: str, engine: FakeEngine) -> None:
    role = "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-test-deploy"
    assert main(["up", "-f", file, "--env", "test", "--progress", "none", "--deploy-role", role]) == 0
    placements = {ctx.stack.name: ctx.placement for ctx in engine.contexts}
    assert placements["shop-environment/test"].role_arn == role
    assert placements["shop-environment/test"].profile is None
    assert placements["shop-web/test"].role_arn == role
    # The project stack runs in the project account with the default credentials, as before.
    assert placements["shop-project/global"].role_arn is None


def test_destroy_refuses_the_project_while_a_pipeline_is_deployed(file: str, engine: FakeEngine,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "-f", file, "--progress", "none", "--with-pipeline"]) == 0
    assert main(["destroy", "-f", file, "--yes", "--progress", "none"]) == 2
    err = capsys.readouterr().err
    assert "shop-pipeline/release still depends on it" in err and "ecsp destroy --with-pipeline" in err
    assert main(["destroy", "-f", file, "--yes", "--progress", "none", "--with-pipeline"]) == 0
    assert engine.state == {}


def test_validate_names_the_pipelines(file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-f", file]) == 0
    assert "pipelines: release (test); `ecsp plan --with-pipeline` shows them" in capsys.readouterr().out
