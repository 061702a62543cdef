"""Pulumi ESC environments (``esc:`` of the project and of each environment) at the adapter, with the fake CLI.

Through the real ``pulumi.automation`` code (``Stack.add_environments``/``remove_environment``);
only ``PulumiCommand.run`` is fake (tests/fake_pulumi.py), as in tests/test_engine_automation.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecsp import graph as graphs
from ecsp import loader
from ecsp.context import StackContext
from ecsp.errors import UsageError
from tests.deploy_support import Recorder, synthetic_yaml
from tests.engine.test_engine_automation import PASSPHRASE, engine_for, fake  # noqa: F401 (the fixture)
from tests.fake_pulumi import FakePulumiCommand
from tests.paths import ROOT

CLOUD = "state:\n  backend: https://api.pulumi.com\n"


def config_with(esc_project: list[str], esc_e0: list[str], state: str = CLOUD) -> Any:
    text = synthetic_yaml("shop", 1, 1).replace("  region: us-east-1\n", "  region: us-east-1\n"
                                                f"  esc: {esc_project}\n", 1)
    data = yaml.safe_load(text)
    data["environments"]["e0"]["esc"] = esc_e0
    return loader.loads(yaml.safe_dump(data) + textwrap.dedent(state), "ecsp.yaml")


def env_calls(fake: FakePulumiCommand) -> list[list[str]]:  # noqa: F811
    return [[w for w in call if w not in ("--non-interactive", "--yes")] for call in fake.calls
            if call[:2] == ["config", "env"]]


def stack_file(root: Path, pulumi_project: str, stack: str) -> dict[str, Any]:
    data = yaml.safe_load((root / ".ecsp" / "workspaces" / pulumi_project / f"Pulumi.{stack}.yaml").read_text())
    return dict(data)


def run_up(root: Path, fake: FakePulumiCommand, config: Any) -> None:  # noqa: F811
    engine = engine_for(root, fake, config=config, environ=PASSPHRASE)
    stacks = graphs.build(config).order()
    engine.prepare(stacks, "up")
    for spec in stacks:
        engine.run("up", StackContext(config=config, stack=spec, organization=engine.organization), Recorder())


def test_each_stack_imports_the_projects_then_its_environments_esc_environments(
        tmp_path: Path, fake: FakePulumiCommand) -> None:  # noqa: F811
    config = config_with(["aws/shop-creds"], ["shop/e0-secrets", "shop/e0-config"])
    run_up(tmp_path, fake, config)
    assert env_calls(fake) == [
        ["config", "env", "add", "aws/shop-creds", "--stack", "acme/shop-project/global"],
        ["config", "env", "add", "aws/shop-creds", "shop/e0-secrets", "shop/e0-config", "--stack",
         "acme/shop-environment/e0"],
        ["config", "env", "add", "aws/shop-creds", "shop/e0-secrets", "shop/e0-config", "--stack", "acme/shop-a0/e0"],
    ]
    assert stack_file(tmp_path, "shop-a0", "e0")["environment"] == ["aws/shop-creds", "shop/e0-secrets",
                                                                      "shop/e0-config"]
    # Unchanged: no CLI call for them on the next run.
    fake.calls.clear()
    run_up(tmp_path, fake, config)
    assert env_calls(fake) == []

    # One more at the end is added alone; a new order is rebuilt whole (ESC merges in order).
    run_up(tmp_path, fake, config_with(["aws/shop-creds"], ["shop/e0-secrets", "shop/e0-config", "shop/extra"]))
    assert env_calls(fake)[-1] == ["config", "env", "add", "shop/extra", "--stack", "acme/shop-a0/e0"]
    fake.calls.clear()
    run_up(tmp_path, fake, config_with(["aws/shop-creds"], ["shop/e0-config", "shop/e0-secrets"]))
    assert [c for c in env_calls(fake) if c[-1] == "acme/shop-environment/e0"] == [
        ["config", "env", "rm", name, "--stack", "acme/shop-environment/e0"]
        for name in ("aws/shop-creds", "shop/e0-secrets", "shop/e0-config", "shop/extra")] + [
        ["config", "env", "add", "aws/shop-creds", "shop/e0-config", "shop/e0-secrets", "--stack",
         "acme/shop-environment/e0"]]
    assert stack_file(tmp_path, "shop-environment", "e0")["environment"] == [
        "aws/shop-creds", "shop/e0-config", "shop/e0-secrets"]


def test_environments_added_by_hand_stay_when_ecsp_yaml_names_none(tmp_path: Path,
                                                                    fake: FakePulumiCommand) -> None:  # noqa: F811
    config = config_with([], [])
    run_up(tmp_path, fake, config)
    path = tmp_path / ".ecsp" / "workspaces" / "shop-a0" / "Pulumi.e0.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), "environment": ["mine/by-hand"]}))
    fake.calls.clear()
    run_up(tmp_path, fake, config)
    assert env_calls(fake) == []
    assert stack_file(tmp_path, "shop-a0", "e0")["environment"] == ["mine/by-hand"]


def test_esc_on_a_backend_that_is_not_pulumi_cloud_stops_before_anything_runs(
        tmp_path: Path, fake: FakePulumiCommand) -> None:  # noqa: F811
    config = config_with([], ["shop/e0-secrets"], state="")
    engine = engine_for(tmp_path, fake, config=config, environ=PASSPHRASE)
    with pytest.raises(UsageError) as raised:
        engine.prepare(graphs.build(config).order(), "up")
    assert raised.value.message == (
        "esc: in ecsp.yaml names Pulumi ESC environments for shop-environment/e0, shop-a0/e0, and ESC needs a "
        f"Pulumi Cloud backend; this project's backend is file://{(tmp_path / '.ecsp' / 'state').resolve()}")
    assert "state.backend: https://api.pulumi.com" in (raised.value.fix or "")
    assert not [c for c in fake.calls if c[:1] == ["up"]]
    # The project stack imports none: it alone may still run on the file backend.
    engine.prepare([graphs.build(config).order()[0]], "up")


def test_a_bad_esc_name_is_a_config_error() -> None:
    with pytest.raises(Exception, match=r"project.esc.0: 'not a name' is not an ESC environment name"):
        config_with(["not a name"], [])


def test_the_readme_esc_example_is_valid() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Pulumi Cloud: what you see, ESC\n", 1)[1].split("\n## ", 1)[0]
    [block] = [b.split("```", 1)[0] for b in section.split("```yaml\n")[1:]]
    config = loader.loads(block, "README.md")
    from ecsp.engine.workspace import stack_environments

    assert stack_environments(config, "prod") == ["aws/shop-deployer", "shop/prod-secrets"]
    assert stack_environments(config, None) == ["aws/shop-deployer"]
    assert config.state.backend == "https://api.pulumi.com"
