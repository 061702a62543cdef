"""ecsp.aws: sessions per environment (region, profile, role, local endpoint), retries, error translation."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.endpoint  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import pytest
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]

from ecsp import cli, loader
from ecsp.aws import (
    MAX_ATTEMPTS,
    AccessDeniedError,
    ExpiredCredentialsError,
    NoCredentialsError,
    Sessions,
    ThrottledError,
    Where,
    aws_errors,
    translate,
)
from ecsp.context import LocalEmulator
from ecsp.errors import AwsError
from ecsp.ops import status as ops
from tests import ops_support as aws

moto, project_file = aws.moto, aws.project_file  # fixtures

WHERE = Where("prod", "eu-west-1", profile="ops")


def client_error(code: str, message: str = "", operation: str = "DescribeServices", *, http: int = 400,
                 attempts: int = 0) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message},
         "ResponseMetadata": {"HTTPStatusCode": http, "RetryAttempts": attempts}}, operation)


def real_aws(monkeypatch: pytest.MonkeyPatch, endpoint: str, tmp_path: Path) -> None:
    """Non-local mode, but every AWS call lands on moto (AWS_ENDPOINT_URL), with no credentials around."""
    aws.no_aws_credentials(monkeypatch, tmp_path)
    monkeypatch.delenv("ECSP_LOCAL_ENDPOINT", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)


# --------------------------------------------------------------------------- translation


@pytest.mark.parametrize(("exc", "kind", "message", "fix"), [
    (botocore.exceptions.NoCredentialsError(), NoCredentialsError,
     "environment 'prod' (eu-west-1, profile ops): no AWS credentials found",
     "run `aws sso login --profile ops` or `aws configure --profile ops`, set AWS_PROFILE, or add --local"),
    (botocore.exceptions.ProfileNotFound(profile="ops"), NoCredentialsError,
     "AWS profile 'ops' is not in your AWS config", "environments.prod.profile in ecsp.yaml"),
    (client_error("ExpiredTokenException", "The security token included in the request is expired"),
     ExpiredCredentialsError, "the AWS credentials have expired (ExpiredTokenException)",
     "aws sso login --profile ops"),
    (client_error("AccessDeniedException", "User: x is not authorized to perform: ecs:DescribeServices"),
     AccessDeniedError, "access denied to DescribeServices: User: x is not authorized", "ecs:Describe*"),
    (client_error("UnrecognizedClientException", "The security token included in the request is invalid."),
     NoCredentialsError, "AWS rejected the credentials (UnrecognizedClientException)", "AWS_ACCESS_KEY_ID"),
    (client_error("ThrottlingException", "Rate exceeded", attempts=7), ThrottledError,
     "AWS throttled DescribeServices and still did after 8 attempts", "wait a minute"),
    (client_error("403", '<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>'
                  "User: r is not authorized to perform: logs:FilterLogEvents</Message></Error></Errors>"
                  "</ErrorResponse>", "FilterLogEvents", http=403),
     AccessDeniedError, "access denied to FilterLogEvents: User: r is not authorized to perform: logs:FilterLogEvents",
     "logs:FilterLogEvents"),
    (botocore.exceptions.EndpointConnectionError(endpoint_url="https://ecs.eu-west-1.amazonaws.com/"), AwsError,
     "cannot reach AWS at https://ecs.eu-west-1.amazonaws.com/", "network"),
])
def test_translate_gives_one_line_and_a_fix(exc: BaseException, kind: type[AwsError], message: str,
                                            fix: str) -> None:
    error = translate(exc, WHERE)
    assert type(error) is kind
    assert message in error.message
    assert "\n" not in error.message
    assert error.fix is not None and fix in error.fix


def test_aws_errors_maps_not_found_and_passes_other_errors() -> None:
    with pytest.raises(AwsError, match="gone"), aws_errors(WHERE, not_found=lambda _: AwsError("gone")):
        raise client_error("ResourceNotFoundException", "The specified log group does not exist.")
    with pytest.raises(ValueError), aws_errors(WHERE):
        raise ValueError("not an AWS error: left alone")


# --------------------------------------------------------------------------- sessions


def test_local_sessions_use_the_emulator_and_fake_keys_even_with_a_profile(moto: str, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    aws.no_aws_credentials(monkeypatch, tmp_path)
    config = loader.loads(aws.CONFIG.replace("region: us-west-2,", "region: us-west-2, profile: nowhere,"),
                          "ecsp.yaml")
    sessions = Sessions(config, local=LocalEmulator(moto))
    ecs = sessions.client("prod", "ecs")
    assert ecs.meta.endpoint_url == moto
    assert ecs.meta.region_name == "us-west-2"
    assert ecs.list_clusters()["clusterArns"] == []  # reached moto, with the fake keys, no profile lookup
    assert sessions.client("prod", "ecs") is ecs  # cached


def test_missing_profile_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aws.no_aws_credentials(monkeypatch, tmp_path)
    config = loader.loads(aws.CONFIG.replace("region: us-west-2,", "region: us-west-2, profile: nowhere,"),
                          "ecsp.yaml")
    with pytest.raises(NoCredentialsError, match="AWS profile 'nowhere' is not in your AWS config"):
        Sessions(config).client("prod", "ecs")


def test_profile_credentials_are_used(moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_aws(monkeypatch, moto, tmp_path)
    credentials = tmp_path / "credentials"
    credentials.write_text("[ops]\naws_access_key_id = AKIAOPSPROFILE000001\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    config = loader.loads(aws.CONFIG.replace("region: us-west-2,", "region: us-west-2, profile: ops,"), "ecsp.yaml")
    session = Sessions(config).session("prod")
    assert session.get_credentials().access_key == "AKIAOPSPROFILE000001"
    assert session.region_name == "us-west-2"


def test_role_arn_is_assumed_with_refreshing_credentials(moto: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real_aws(monkeypatch, moto, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIABASEIDENTITY0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "base")
    role = "arn:aws:iam::111111111111:role/ecsp-reader"
    config = loader.loads(aws.CONFIG.replace("region: us-west-2,", f"region: us-west-2, role_arn: '{role}',"),
                          "ecsp.yaml")
    sessions = Sessions(config)

    identity = sessions.client("prod", "sts").get_caller_identity()

    assert identity["Arn"].startswith("arn:aws:sts::111111111111:assumed-role/ecsp-reader/ecsp")
    credentials = sessions.session("prod").get_credentials()
    assert credentials.method == "assume-role"
    assert credentials.access_key != "AKIABASEIDENTITY0001"
    # The environment without a role still uses the base identity.
    assert sessions.session("test").get_credentials().access_key == "AKIABASEIDENTITY0001"


# --------------------------------------------------------------------------- error paths end to end


def test_no_credentials_one_line_per_environment(moto: str, project_file: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    real_aws(monkeypatch, moto, tmp_path)

    code = cli.main(["status", "-f", str(project_file)])

    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == [
        "error: environment 'test' (us-east-1): no AWS credentials found",
        "  fix: run `aws sso login` or `aws configure`, set AWS_PROFILE, or add --local to use the local emulator",
        "error: environment 'prod' (us-west-2): no AWS credentials found",
        "  fix: run `aws sso login` or `aws configure`, set AWS_PROFILE, or add --local to use the local emulator",
    ]
    assert "Traceback" not in out + err


def test_access_denied_from_moto_iam(moto: str, project_file: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    iam = aws.client(moto, "iam")
    iam.create_user(UserName="reader")  # no policies: may call nothing
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    real_aws(monkeypatch, moto, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    aws.set_auth(moto, True)
    try:
        code = cli.main(["status", "-f", str(project_file), "--env", "test", "--json"])
    finally:
        aws.set_auth(moto, False)

    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    (problem,) = doc["problems"]
    assert problem["environment"] == "test"
    assert problem["message"] == ("environment 'test' (us-east-1): access denied to DescribeClusters: User: "
                                  "arn:aws:iam::123456789012:user/reader is not authorized to perform: "
                                  "ecs:DescribeClusters")
    assert "ecs:Describe*" in problem["fix"]


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def _throttle(client: Any, operation: str, times: int) -> list[int]:
    """Answer the first ``times`` calls of ``operation`` with a throttling error (no request sent)."""
    calls: list[int] = []

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        calls.append(len(calls) + 1)
        if len(calls) > times:
            return None  # send it for real
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Body(body))

    client.meta.events.register(f"before-send.ecs.{operation}", before_send)
    return calls


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The sleeps botocore's retry loop asks for, recorded instead of slept (keeps the tests fast)."""
    slept: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=slept.append))
    return slept


def test_throttling_is_retried_with_backoff(moto: str, project_file: Path, backoffs: list[float]) -> None:
    aws.deploy_environment(moto, "shop", "test", suffix="")  # the cluster has its exact name: one call finds it
    config = loader.load(project_file)
    sessions = Sessions(config, local=LocalEmulator(moto))
    calls = _throttle(sessions.client("test", "ecs"), "DescribeClusters", times=2)

    report = ops.status(config, sessions, environments=["test"])

    assert report.problems == ()
    assert [a.application for a in report.applications] == ["web", "api"]
    assert len(calls) == 3  # two throttled, the third sent
    assert len(backoffs) == 2 and all(0 < b <= 20 for b in backoffs)


def test_throttling_that_does_not_stop_is_one_clear_error(moto: str, project_file: Path,
                                                         backoffs: list[float]) -> None:
    config = loader.load(project_file)
    sessions = Sessions(config, local=LocalEmulator(moto))
    calls = _throttle(sessions.client("test", "ecs"), "DescribeClusters", times=99)

    report = ops.status(config, sessions, environments=["test"])

    assert len(calls) == MAX_ATTEMPTS
    assert len(backoffs) == MAX_ATTEMPTS - 1
    (problem,) = report.problems
    assert problem.message == "environment 'test' (us-east-1, local emulator): AWS throttled DescribeClusters " \
                              f"and still did after {MAX_ATTEMPTS} attempts"
    with pytest.raises(AwsError, match="throttled"):
        report.raise_for_problems()
