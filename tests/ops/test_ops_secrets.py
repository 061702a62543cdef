"""`ecsp secret set|ls|rm` against moto's SSM and Secrets Manager; the value never in output or a log record."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from ecsp import api, cli
from ecsp.errors import UsageError
from ecsp.ops import secrets as ops
from tests import ops_support as aws

moto, project_file = aws.moto, aws.project_file  # fixtures

VALUE = "hunter2-Sup3r/S3cret+value"


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Standard input holding the value as `echo` writes it (with a newline), not a terminal."""
    piped = io.StringIO(VALUE + "\n")
    monkeypatch.setattr("sys.stdin", piped)
    return piped


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG, botocore's request bodies included."""
    caplog.set_level(logging.DEBUG)
    return caplog


def test_botocore_would_log_the_value(moto: str, logged: pytest.LogCaptureFixture) -> None:
    # Why the redaction exists: a plain call writes the value into botocore's DEBUG records.
    aws.client(moto, "ssm").put_parameter(Name="/plain", Value=VALUE, Type="SecureString")
    assert any(VALUE in r.getMessage() for r in logged.records)


def test_secret_set_from_stdin_stores_a_tagged_secure_string(project_file: Path, stdin: io.StringIO, moto: str,
                                                             logged: pytest.LogCaptureFixture,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["secret", "set", "DB_PASSWORD", "--env", "test", "-f", str(project_file), "--local"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert VALUE not in out + err
    assert not [r for r in logged.records if VALUE in r.getMessage()]
    assert any("[secret]" in r.getMessage() for r in logged.records)  # botocore's record was there, redacted
    ssm = aws.client(moto, "ssm")
    parameter = ssm.get_parameter(Name="/ecsp/shop/test/DB_PASSWORD", WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString" and parameter["Value"] == VALUE  # the newline dropped
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/ecsp/shop/test/DB_PASSWORD")["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"ecsp:project": "shop", "ecsp:environment": "test"}
    assert "stored DB_PASSWORD of test as the SSM SecureString /ecsp/shop/test/DB_PASSWORD" in err
    assert "secrets: {DB_PASSWORD: /ecsp/shop/test/DB_PASSWORD}" in err


def test_secret_set_again_is_a_new_version_and_says_who_uses_it(project_file: Path, moto: str,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    project_file.write_text(project_file.read_text().replace(
        "port: 80, path: /}", "port: 80, path: /, secrets: {DB_PASSWORD: /ecsp/shop/test/DB_PASSWORD}}"))
    project = api.load(project_file)
    first = project.set_secret("DB_PASSWORD", "test", "one", local=True)
    second = project.set_secret("DB_PASSWORD", "test", "two", local=True)

    assert first.created and not second.created and (first.version, second.version) == ("1", "2")
    assert second.used_by == ("web.DB_PASSWORD",)
    ssm = aws.client(moto, "ssm")
    assert ssm.get_parameter(Name="/ecsp/shop/test/DB_PASSWORD", WithDecryption=True)["Parameter"]["Value"] == "two"
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/ecsp/shop/test/DB_PASSWORD")["TagList"]
    assert len(tags) == 2


def test_secretsmanager_from_a_file_with_a_policy_for_the_project_roles(project_file: Path, moto: str,
                                                                       tmp_path: Path, logged: pytest.LogCaptureFixture,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "key.pem"
    key.write_text(f"-----BEGIN KEY-----\n{VALUE}\n-----END KEY-----\n")

    code = cli.main(["secret", "set", "TLS_KEY", "--env", "test", "-f", str(project_file), "--local", "--from-file",
                     str(key), "--secretsmanager", "--json"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert VALUE not in out + err
    assert not [r for r in logged.records if VALUE in r.getMessage()]
    stored = json.loads(out)
    assert stored["store"] == "secretsmanager" and stored["reference"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecsp/shop/test/TLS_KEY-")
    sm = aws.client(moto, "secretsmanager")
    assert sm.get_secret_value(SecretId="ecsp/shop/test/TLS_KEY")["SecretString"] == key.read_text()[:-1]
    described = sm.describe_secret(SecretId="ecsp/shop/test/TLS_KEY")
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"ecsp:project": "shop", "ecsp:environment": "test"}
    policy = json.loads(sm.get_resource_policy(SecretId="ecsp/shop/test/TLS_KEY")["ResourcePolicy"])
    assert [s["Condition"] for s in policy["Statement"]] == [
        {"StringNotEquals": {"aws:PrincipalTag/ecsp:project": "shop"}},
        {"StringNotEquals": {"aws:PrincipalTag/ecsp:environment": "test"}}]
    assert all(s["Effect"] == "Deny" and s["Action"] == "secretsmanager:GetSecretValue" for s in policy["Statement"])


def test_secret_ls(project_file: Path, moto: str, capsys: pytest.CaptureFixture[str]) -> None:
    project_file.write_text(project_file.read_text().replace(
        "port: 8080, path: /api}", "port: 8080, path: /api, secrets: {TOKEN: /ecsp/shop/test/API_TOKEN}}"))
    project = api.load(project_file)
    project.set_secret("API_TOKEN", "test", "t", local=True)
    project.set_secret("UNUSED", "test", "u", secretsmanager=True, local=True)
    aws.client(moto, "ssm", "us-west-2").put_parameter(Name="/ecsp/shop/prod/OTHER", Value="x", Type="SecureString")
    aws.client(moto, "ssm").put_parameter(Name="/ecsp/shop/test/nested/NOT_OURS", Value="x", Type="String")
    aws.client(moto, "ssm").put_parameter(Name="/someone/else", Value="x", Type="SecureString")

    assert cli.main(["secret", "ls", "-f", str(project_file), "--local", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["environment"], s["name"], s["store"], s["used_by"]) for s in listed] == [
        ("prod", "OTHER", "ssm", []),
        ("test", "API_TOKEN", "ssm", ["api.TOKEN"]),
        ("test", "UNUSED", "secretsmanager", []),
    ]
    assert cli.main(["secret", "ls", "--env", "test", "-f", str(project_file), "--local"]) == 0
    out = capsys.readouterr().out
    assert "API_TOKEN" in out and "api.TOKEN" in out and "OTHER" not in out


def test_secret_rm_refuses_a_secret_in_use_and_asks(project_file: Path, moto: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    project_file.write_text(project_file.read_text().replace(
        "port: 80, path: /}", "port: 80, path: /, secrets: {DB_PASSWORD: /ecsp/shop/test/DB_PASSWORD}}"))
    project = api.load(project_file)
    project.set_secret("DB_PASSWORD", "test", "p", local=True)
    project.set_secret("OLD", "test", "o", secretsmanager=True, local=True)

    assert cli.main(["secret", "rm", "DB_PASSWORD", "--env", "test", "-f", str(project_file), "--local", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "error: web.DB_PASSWORD uses secret 'DB_PASSWORD' in 'test'" in err
    assert "pass --force" in err
    # Not on a terminal, and no --yes: nothing is deleted.
    assert cli.main(["secret", "rm", "OLD", "--env", "test", "-f", str(project_file), "--local"]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert cli.main(["secret", "rm", "OLD", "--env", "test", "-f", str(project_file), "--local", "--yes"]) == 0
    assert "(restorable for 7 days)" in capsys.readouterr().err
    project.set_secret("OLD", "test", "o2", local=True)
    assert cli.main(["secret", "rm", "OLD", "--env", "test", "-f", str(project_file), "--local", "--yes",
                     "--json"]) == 0
    out = capsys.readouterr().out
    [removed] = json.loads(out)
    assert removed["reference"] == "/ecsp/shop/test/OLD" and removed["store"] == "ssm" and "o2" not in out
    assert [s.name for s in project.secrets("test", local=True)] == ["DB_PASSWORD"]
    assert cli.main(["secret", "rm", "DB_PASSWORD", "--env", "test", "-f", str(project_file), "--local", "--yes",
                     "--force"]) == 0
    assert project.secrets("test", local=True) == []
    assert cli.main(["secret", "rm", "GONE", "--env", "test", "-f", str(project_file), "--local", "--yes"]) == 2
    assert "environment 'test' has no secret 'GONE'" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "value", "flag", "message"), [
    ("DB PASSWORD", "topsecret-1", [], "'DB PASSWORD' is not a secret name"),
    ("EMPTY", "", [], "the value of EMPTY is empty"),
    ("BIG", "x" * 5000, [], "an SSM parameter holds up to 4096"),
])
def test_bad_secrets_are_usage_errors(project_file: Path, moto: str, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], name: str, value: str, flag: list[str],
                                      message: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(value))
    assert cli.main(["secret", "set", name, "--env", "test", "-f", str(project_file), "--local", *flag]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert not value or value not in err


def test_a_missing_file_is_a_usage_error(project_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["secret", "set", "X", "--env", "test", "-f", str(project_file), "--from-file", "nope.pem"]) == 2
    assert "cannot read nope.pem" in capsys.readouterr().err


def test_the_redaction_is_undone_after_the_call(moto: str, logged: pytest.LogCaptureFixture) -> None:
    with ops.redacted(VALUE):
        logging.getLogger("botocore.endpoint").debug("body %s", VALUE)
    logging.getLogger("botocore.endpoint").debug("body %s", VALUE)
    assert [r.getMessage() for r in logged.records if r.name == "botocore.endpoint"] == [
        "body [secret]", f"body {VALUE}"]
    with pytest.raises(UsageError):
        ops.check_name("a/b")


def test_the_execution_role_may_read_what_secret_set_stores(tmp_path: Path) -> None:
    # The application stack, offline: its execution role reads exactly the parameter `secret set` names, and
    # carries (its provider's default tags) the tags a Secrets Manager secret's policy asks of a reader.
    path = tmp_path / "ecsp.yaml"
    names = ops.SecretNames("shop", "test", "DB_PASSWORD")
    path.write_text("project: {name: shop, region: us-east-1}\n"
                    "environments:\n  test: {region: us-east-1, account: '123456789012'}\n"
                    "applications:\n  web: {image: {location: nginx}, port: 80, secrets: {DB_PASSWORD: "
                    f"{names.parameter}}}}}\n")
    stack = api.load(path).plan(env="test", app="web").stack("shop-web/test")
    by_type = {(r.type, r.name): r.inputs for r in stack.resources}
    policy = json.loads(by_type[("aws:iam/rolePolicy:RolePolicy", "web-secrets")]["policy"])
    assert policy["Statement"][0]["Resource"] == [f"arn:aws:ssm:us-east-1:123456789012:parameter{names.parameter}"]
    tags = json.loads(by_type[("pulumi:providers:aws", "aws")]["defaultTags"])["tags"]
    conditions = [s["Condition"]["StringNotEquals"] for s in json.loads(ops.read_only_policy(names))["Statement"]]
    assert all(tags[key.removeprefix("aws:PrincipalTag/")] == value for c in conditions for key, value in c.items())
