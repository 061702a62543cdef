"""`ecsp import copilot`: golden files of the ecsp.yaml written for small Copilot workspaces (every
mapped field, each warning and refusal), the written files validate and plan, and bad input is
reported with the file and line.

The workspaces under tests/fixtures/copilot/ are written from Copilot's manifest documentation
(aws/copilot-cli site/content/docs/manifest/*.en.md). Regenerate the golden files after an
intended change with ``pytest --update-golden``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import ecsp
from ecsp import cli
from ecsp.config import ProjectConfig
from ecsp.errors import ConfigError, UsageError
from ecsp.importer import import_copilot, parse_env
from ecsp.importer.writer import scalar
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "copilot"
GOLDEN = ROOT / "tests" / "golden" / "import"

# The flags each workspace is imported with (Copilot keeps regions and accounts outside the files).
WORKSPACES: dict[str, dict[str, Any]] = {
    "basic": {"environments": ["test=us-west-2:111111111111", "prod=us-east-1:222222222222:prod"],
              "region": "us-west-2"},
    "services": {"environments": ["test=us-west-2:111111111111", "prod=us-west-2:111111111111"],
                 "region": "us-west-2"},
    "environments": {"environments": ["test=us-west-2", "prod=us-west-2:111111111111"], "region": "us-west-2"},
    "refusals": {"environments": ["test=us-west-2"], "region": "us-west-2"},
    "warnings": {"environments": ["test=us-west-2:111111111111"], "variables": {"API_HOST": "api.example.com"}},
    # Two web services on the root path, told apart by their aliases (served with the imported certificate).
    "hosts": {"environments": ["prod=us-east-1:222222222222"]},
    # No .workspace, names over ecsp's limits, every environment overriding, shell variables, an empty manifest.
    "renamed": {"environments": ["staging-environment-eu=eu-west-1", "production=eu-west-1:222222222222"],
                "region": "eu-west-1", "name": "shop",
                "renames": ["staging-environment-eu=staging", "customer-notifications-service=notifications"]},
    # Workspaces shaped like real teams' (tests/importer/test_import_realistic.py measures how many services import).
    "realistic/ecsdemo": {"environments": ["test=us-west-2:123456789012"], "region": "us-west-2"},
    "realistic/rails": {"environments": ["staging=us-east-1:123456789012", "production=us-east-1:210987654321"],
                        "region": "us-east-1"},
    "realistic/platform": {"environments": ["dev=eu-west-1:444455556666", "prod=eu-west-1:444455556666"],
                           "region": "eu-west-1"},
}



def imported(name: str, tmp_path: Path | None = None) -> Any:
    source = FIXTURES / name
    if tmp_path is not None:
        shutil.copytree(source, tmp_path / name)
        source = tmp_path / name
    return import_copilot(source, **WORKSPACES[name])


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_golden_import(name: str, request: pytest.FixtureRequest) -> None:
    result = imported(name)
    printed = "\n".join(str(n) for n in result.notes) + "\n"
    golden = GOLDEN / f"{name}.yaml"
    notes = GOLDEN / f"{name}.notes.txt"
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.text, encoding="utf-8")
        notes.write_text(printed, encoding="utf-8")
    assert result.text == golden.read_text(encoding="utf-8")
    assert printed == notes.read_text(encoding="utf-8")
    # The comments are comments: YAML reads back exactly the document the importer built.
    assert yaml.safe_load(result.text) == result.document


def _unknown_fields(data: Any, model: Any, loc: str = "") -> set[str]:
    """Dotted paths in ``data`` that ``model`` (this branch's pydantic models) has no field for."""
    import typing

    from pydantic import BaseModel

    def models(annotation: Any) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in typing.get_args(annotation) for m in models(arg)]

    def is_dict(annotation: Any) -> bool:
        return typing.get_origin(annotation) is dict or any(is_dict(a) for a in typing.get_args(annotation))

    out: set[str] = set()
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        field = model.model_fields.get(key)
        path = f"{loc}.{key}" if loc else str(key)
        if field is None:
            out.add(path)
            continue
        inner = models(field.annotation)
        if is_dict(field.annotation) and inner and isinstance(value, dict):
            for name, item in value.items():
                out |= _unknown_fields(item, inner[0], f"{path}.{name}")
        elif inner and isinstance(value, dict):
            out |= _unknown_fields(value, inner[0], path)
    return out


def test_the_importer_writes_only_fields_ecsp_knows() -> None:
    assert {name: _unknown_fields(imported(name).document, ProjectConfig) for name in WORKSPACES} == {
        name: set() for name in WORKSPACES}


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_imported_file_validates_and_plans(name: str, tmp_path: Path) -> None:
    result = imported(name, tmp_path)
    target = tmp_path / name / "ecsp.yaml"
    target.write_text(result.text, encoding="utf-8")
    project = ecsp.load(str(target))  # validates, build contexts included
    plan = project.plan()
    # The project, and per environment its stack, one per application and the storage stack of its data.
    storage = sum(project.config.has_storage(env) for env in result.environments)
    assert len(plan.stacks) == 1 + len(result.environments) * (1 + len(result.applications)) + storage


# --------------------------------------------------------------------------- conversions


def test_scalars_that_yaml_would_misread_are_quoted() -> None:
    for value in ("111111111111", "yes", "on", "null", "1e3", "0755", "2024-01-01", "*nginx", "a: b", "x #y",
                  "", " lead", "true", "@daily", "cron(0 3 * * ? *)", "-", "[a]", "1_000", "12:30"):
        assert yaml.safe_load(f"k: {scalar(value)}")["k"] == value, value
    assert scalar("public.ecr.aws/nginx/nginx:stable") == "public.ecr.aws/nginx/nginx:stable"
    assert scalar("111111111111") == '"111111111111"'


def test_parse_env_forms() -> None:
    assert parse_env("test=us-west-2").region == "us-west-2"
    spec = parse_env("prod=eu-west-1:222222222222:prod")
    assert (spec.account, spec.profile) == ("222222222222", "prod")
    assert parse_env("dev=us-east-1::dev").profile == "dev"
    for bad in ("test", "test=", "test=us-west-2:12:x", "a=b:c:d:e"):
        with pytest.raises(UsageError):
            parse_env(bad)


def test_durations_schedules_and_counts() -> None:
    from ecsp.importer import convert

    assert convert.seconds("1m30s") == 90 and convert.seconds("250ms") == 0.25 and convert.seconds("2h") == 7200
    assert convert.whole_seconds("1.5s") == (2, True)
    with pytest.raises(convert.Unconvertible):
        convert.seconds(10)  # Copilot itself needs a unit
    assert convert.schedule("@every 2h") == "rate(2 hours)"
    assert convert.schedule("*/5 * * * *") == "cron(*/5 * * * ? *)"
    assert convert.schedule("0 3 * * 0,6") == "cron(0 3 ? * 1,7 *)"
    assert convert.schedule("rate(1 day)") == "rate(1 day)"
    with pytest.raises(convert.Unconvertible):
        convert.schedule("0 3 1 * 1")
    assert convert.count_range("1-10") == (1, 10, None)
    assert convert.count_range({"min": 2, "max": 5, "spot_from": 3}) == (2, 5, 3)
    assert convert.platform({"osfamily": "linux", "architecture": "arm64"}) == "linux/arm64"


# --------------------------------------------------------------------------- bad input


def _workspace(tmp_path: Path, manifests: dict[str, str]) -> Path:
    (tmp_path / "copilot").mkdir()
    (tmp_path / "copilot" / ".workspace").write_text("application: shop\n")
    for name, text in manifests.items():
        (tmp_path / "copilot" / name).mkdir(parents=True)
        (tmp_path / "copilot" / name / "manifest.yml").write_text(text)
    return tmp_path


def test_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a Copilot workspace"):
        import_copilot(tmp_path, environments=["test=us-west-2"])


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    _workspace(tmp_path, {"web": "name: web\ntype: Load Balanced Web Service\nimage: {location: nginx\nport: 80\n"})
    with pytest.raises(ConfigError) as e:
        import_copilot(tmp_path, environments=["test=us-west-2"])
    assert str(e.value.problems[0]).startswith("copilot/web/manifest.yml:3: invalid YAML")


def test_misspelled_fields_are_warned_with_line_and_did_you_mean(tmp_path: Path) -> None:
    _workspace(tmp_path, {"web": "name: web\ntype: Load Balanced Web Service\nimage:\n  location: nginx\n"
                                 "  prot: 80\nhttp:\n  path: /\nmemroy: 1024\n"})
    notes = [str(n) for n in import_copilot(tmp_path, environments=["test=us-west-2"]).notes]
    assert "copilot/web/manifest.yml:5: warn: image.prot is not a Copilot field (did you mean 'port'? Copilot " \
           "ignored it, and so does ecsp)" in notes
    assert any(n.startswith("copilot/web/manifest.yml:8: warn: memroy") and "'memory'" in n for n in notes)


def test_environments_need_a_region(tmp_path: Path) -> None:
    _workspace(tmp_path, {"environments/test": "name: test\ntype: Environment\n"})
    with pytest.raises(UsageError, match="none is known for test") as e:
        import_copilot(tmp_path)
    assert "--env test=REGION" in (e.value.fix or "")


def test_build_paths_are_relative_to_the_written_file(tmp_path: Path) -> None:
    _workspace(tmp_path, {"api": "name: api\ntype: Load Balanced Web Service\nimage:\n  build: api/Dockerfile\n"
                                 "  port: 80\nhttp:\n  path: /\n"})
    result = import_copilot(tmp_path, environments=["test=us-west-2"], output=tmp_path / "infra" / "ecsp.yaml")
    assert result.document["applications"]["api"]["image"] == {"build": "../api"}


# --------------------------------------------------------------------------- the command


def test_cli_writes_refuses_to_overwrite_and_dry_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(FIXTURES / "refusals", tmp_path / "ws")
    args = ["import", "copilot", str(tmp_path / "ws"), "--env", "test=us-west-2", "--region", "us-west-2"]
    # Refused services: the file is written (what could be imported), and the exit status says it is not all.
    assert cli.main(args) == 1
    written = (tmp_path / "ws" / "ecsp.yaml").read_text()
    assert written == (GOLDEN / "refusals.yaml").read_text()
    err = capsys.readouterr().err
    assert "copilot/runner/manifest.yml:2: refuse: type Request-Driven Web Service" in err
    assert err.splitlines()[-1] == ("not complete: refused addonapp, cmd, patched, runner, site, tagged, typo, "
                                    "win, worker2")
    assert cli.main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main([*args, "--dry-run"]) == 1
    assert capsys.readouterr().out == written
    assert cli.main([*args, "--force", "-o", str(tmp_path / "out.yaml")]) == 1
    assert cli.main(["validate", "-f", str(tmp_path / "ws" / "ecsp.yaml")]) == 0


def test_cli_exits_0_with_warnings_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(FIXTURES / "warnings", tmp_path / "ws")
    args = ["import", "copilot", str(tmp_path / "ws"), "--env", "test=us-west-2:111111111111", "--var",
            "API_HOST=api.example.com"]
    assert cli.main(args) == 0
    err = capsys.readouterr().err
    assert " warn: " in err and " refuse: " not in err
    assert err.splitlines()[-1].startswith("next: review the warn: comments")


def test_a_file_that_would_not_validate_is_reported_and_fails(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # The Dockerfile's folder is not in the checkout: the import maps the field, ecsp's loader refuses it.
    _workspace(tmp_path, {"api": "name: api\ntype: Load Balanced Web Service\nimage:\n  build: api/Dockerfile\n"
                                 "  port: 80\nhttp:\n  path: /\n"})
    result = import_copilot(tmp_path, environments=["test=us-west-2"])
    assert not result.complete and not result.refusals
    assert "directory api does not exist" in str(result.problems[0])
    assert cli.main(["import", "copilot", str(tmp_path), "--env", "test=us-west-2"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert any("ecsp.yaml:" in line and "directory api does not exist" in line for line in err)
    assert err[-1] == "not complete: the written file does not validate (1 problem)"


def test_renames_take_services_and_environments_over_the_limits(tmp_path: Path) -> None:
    long_env = "integration-testing"  # 19 characters; ecsp allows 16
    _workspace(tmp_path, {f"environments/{long_env}": f"name: {long_env}\ntype: Environment\n",
                          "environments/prod": "name: prod\ntype: Environment\n",
                          "web": "name: web\ntype: Load Balanced Web Service\nimage: {location: nginx, port: 80}\n"
                                 "http: {path: /}\nvariables: {STAGE: '${COPILOT_ENVIRONMENT_NAME}'}\n"
                                 f"environments:\n  {long_env}:\n    count: 2\n"})
    # Without a rename the environment is refused, the rest imported, and the fix named.
    result = import_copilot(tmp_path, region="us-west-2")
    assert result.environments == ["prod"] and result.refused_environments == [long_env]
    assert any(n.level == "refuse" and f"--rename {long_env}=integration" in n.message for n in result.notes)
    assert result.incomplete_because() == f"refused environment {long_env}"
    result = import_copilot(tmp_path, region="us-west-2", renames=[f"{long_env}=integration"])
    assert result.complete and result.environments == ["integration", "prod"]
    web = result.document["applications"]["web"]
    # The override follows the rename; ${COPILOT_ENVIRONMENT_NAME} is what Copilot gave: the old name.
    assert web["environments"]["integration"] == {"count": 2, "variables": {"STAGE": long_env}}
    with pytest.raises(UsageError, match="no service or environment nope"):
        import_copilot(tmp_path, region="us-west-2", renames={"nope": "x"})
    with pytest.raises(UsageError, match="is 25 characters; environment names are at most 16"):
        import_copilot(tmp_path, region="us-west-2", renames={long_env: "still-far-too-long-a-name"})


def test_without_workspace_file_the_name_is_the_application(tmp_path: Path) -> None:
    _workspace(tmp_path, {"web": "name: web\ntype: Load Balanced Web Service\nimage: {location: nginx, port: 80}\n"
                                 "http: {path: /}\nsecrets: {DB: '/copilot/${COPILOT_APPLICATION_NAME}/db'}\n"})
    (tmp_path / "copilot" / ".workspace").unlink()
    with pytest.raises(UsageError, match=r"has manifests but no \.workspace") as e:
        import_copilot(tmp_path, environments=["test=us-west-2"])
    assert "--name" in (e.value.fix or "")
    result = import_copilot(tmp_path, environments=["test=us-west-2"], name="shop")
    assert result.document["project"]["name"] == "shop"
    assert result.document["applications"]["web"]["secrets"] == {"DB": "/copilot/shop/db"}


def test_a_different_project_name_keeps_copilots_in_expanded_values(tmp_path: Path) -> None:
    _workspace(tmp_path, {"web": "name: web\ntype: Load Balanced Web Service\nimage: {location: nginx, port: 80}\n"
                                 "http: {path: /}\nsecrets: {DB: '/copilot/${COPILOT_APPLICATION_NAME}/db'}\n"})
    result = import_copilot(tmp_path, environments=["test=us-west-2"], name="shop2")
    # The parameter lives where Copilot put it, under the Copilot application's name.
    assert result.document["applications"]["web"]["secrets"] == {"DB": "/copilot/shop/db"}


def test_cli_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["import", "copilot", "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "--from-aws" in out and "--env" in out


def test_from_aws_reads_copilots_ssm_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from tests.ops_support import client, moto_endpoint, reset

    endpoint = moto_endpoint()
    reset(endpoint)
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(key, value)
    # The profile given for test reads test's stacks.
    (tmp_path / "aws-config").write_text("[profile test-profile]\naws_access_key_id = test\n"
                                         "aws_secret_access_key = test\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    ssm = client(endpoint, "ssm", "us-west-2")
    # The layout of aws/copilot-cli internal/pkg/config (store.go, app.go, env.go).
    ssm.put_parameter(Name="/copilot/applications/shop", Type="String", Value=json.dumps(
        {"name": "shop", "account": "111111111111", "domain": "example.com", "version": "1.0"}))
    for env, region, account in (("test", "us-west-2", "111111111111"), ("prod", "us-east-1", "222222222222")):
        ssm.put_parameter(Name=f"/copilot/applications/shop/environments/{env}", Type="String", Value=json.dumps(
            {"app": "shop", "name": env, "region": region, "accountID": account}))
    _workspace(tmp_path, {"web": "name: web\ntype: Load Balanced Web Service\nimage:\n  location: nginx\n"
                                 "  port: 80\nhttp:\n  path: /\nsecrets:\n  KEY:\n    secretsmanager: shop/key\n"})
    result = import_copilot(tmp_path, from_aws=True, region="us-west-2", endpoint_url=endpoint,
                            environments=["test=us-west-2::test-profile"])
    document = result.document
    # Copilot's domain stays Copilot's (ecsp's zones would be its zones): not written, said in a note.
    assert document["project"] == {"name": "shop", "region": "us-west-2", "account": "111111111111"}
    assert any(n.field == "project.domain" for n in result.notes)
    assert document["environments"] == {
        "test": {"region": "us-west-2", "account": "111111111111", "profile": "test-profile"},
        "prod": {"region": "us-east-1", "account": "222222222222"}}
    secrets = document["applications"]["web"]
    assert secrets["secrets"]["KEY"] == "arn:aws:secretsmanager:us-west-2:111111111111:secret:shop/key"
    assert secrets["environments"]["prod"]["secrets"]["KEY"] == \
        "arn:aws:secretsmanager:us-east-1:222222222222:secret:shop/key"
    from ecsp.errors import AwsError

    with pytest.raises(AwsError, match="no Copilot application 'other'"):
        from ecsp.importer.aws import read_app

        read_app("other", region="us-west-2", endpoint_url=endpoint)


def test_aliases_are_kept_only_where_ecsp_can_serve_them() -> None:
    from ecsp.importer.fields import Env, Mapper
    from ecsp.importer.http import servable as keep

    def servable(env: Env) -> tuple[list[str], list[str]]:
        m = Mapper({}, lambda loc: "manifest.yml", set())
        kept = keep(m, env, ["api.test.shop.example.com", "www.example.com"])
        return kept, [n.message for n in m.out.notes]

    zoned = Env("test", "us-west-2", zone="test.shop.example.com")
    assert servable(zoned)[0] == ["api.test.shop.example.com"]
    assert "www.example.com is outside test.shop.example.com" in servable(zoned)[1][0]
    assert servable(Env("test", "us-west-2", certificates=True))[0] == ["api.test.shop.example.com",
                                                                        "www.example.com"]
    assert servable(Env("test", "us-west-2"))[0] == []


def test_a_worker_scaling_on_queue_delay_from_zero_keeps_one_task(tmp_path: Path) -> None:
    _workspace(tmp_path, {"orders": """\
name: orders
type: Worker Service
image: {location: busybox}
count:
  range: 0-5
  queue_delay: {acceptable_latency: 10m, msg_processing_time: 250ms}
"""})
    result = import_copilot(tmp_path, environments=["test=us-west-2"])
    count = result.document["applications"]["orders"]["count"]
    assert (count["min"], count["max"]) == (1, 5)
    assert any("ecsp keeps one task running" in n.message for n in result.notes)
    (tmp_path / "ecsp.yaml").write_text(result.text)
    ecsp.load(str(tmp_path / "ecsp.yaml")).plan()  # valid, and the environment got Container Insights
