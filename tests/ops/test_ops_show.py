"""`ecsp show` against moto's server: config plus live state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecsp import api, cli
from tests import ops_support as aws

moto, project_file = aws.moto, aws.project_file  # fixtures


def test_show_json_environments_and_where_apps_run(moto: str, project_file: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")

    code = cli.main(["show", "-f", str(project_file), "--local", "--json"])

    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["project"], doc["region"], doc["domain"], doc["local"]) == ("shop", "us-east-1", None, True)
    envs = {e["name"]: e for e in doc["environments"]}
    # test: the account comes from STS (the emulator's), prod: from ecsp.yaml; prod has nothing deployed.
    assert envs["test"] == {"name": "test", "region": "us-east-1", "account": "123456789012",
                            "url_base": f"http://{env.alb_dns}", "deployed": True, "profile": None, "role_arn": None,
                            "vpc_id": None, "certificates": [], "access_logs": None, "flow_logs": None}
    assert envs["prod"]["account"] == "111111111111"
    assert envs["prod"]["deployed"] is False and envs["prod"]["url_base"] is None
    apps = {a["name"]: a for a in doc["applications"]}
    assert apps["web"]["deployed_in"] == ["test"]
    assert apps["api"]["deployed_in"] == []
    assert apps["api"]["path"] == "/api"
    web_test = next(p for p in apps["web"]["placements"] if p["environment"] == "test")
    assert web_test == {"environment": "test", "health": "healthy", "running": 1, "desired": 1,
                        "url": f"http://{env.alb_dns}/"}


def test_show_text(moto: str, project_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")

    assert cli.main(["show", "-f", str(project_file), "--local"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("project shop  home region us-east-1, no domain (plain HTTP)  "
                                   "(local emulator: nothing here is real)")
    test_row = next(line for line in out.splitlines() if line.startswith("│ test "))
    assert all(cell in test_row for cell in ("us-east-1", "123456789012", "default", "yes"))
    assert f"  test  http://{env.alb_dns}" in out.splitlines()  # below the table, whole
    web_row = next(line for line in out.splitlines() if line.startswith("│ web "))
    assert "healthy 1/1" in web_row and "not deployed" in web_row


def test_show_fits_80_columns(moto: str, project_file: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    # prod assumes a role in its own account: the row names the role, the account column the account.
    project_file.write_text(aws.CONFIG.replace('account: "111111111111"}', 'account: "111111111111", '
                                               'role_arn: "arn:aws:iam::111111111111:role/ecsp-deployer"}'))
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")

    assert cli.main(["show", "-f", str(project_file), "--local"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 80 for line in lines if line[:1] in "┏┃┡│└"), lines
    prod_row = next(line for line in lines if line.startswith("│ prod "))
    assert "│ 111111111111 │ role ecsp-deployer │ no " in prod_row
    assert f"  test  http://{env.alb_dns}" in lines


def test_show_with_a_domain_uses_the_environment_zone(moto: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECSP_LOCAL_ENDPOINT", moto)
    path = tmp_path / "ecsp.yaml"
    path.write_text(aws.CONFIG.replace("region: us-east-1}", "region: us-east-1, domain: example.com}", 1))
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")

    report = api.load(path).show(local=True)

    test = next(e for e in report.environments if e.name == "test")
    assert test.url_base == "https://test.shop.example.com"
    web = next(a for a in report.applications if a.name == "web")
    assert [p.url for p in web.placements if p.environment == "test"] == ["https://web.test.shop.example.com/"]


def test_show_reports_an_unreadable_environment_and_keeps_the_others(
        moto: str, project_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    aws.no_aws_credentials(monkeypatch, tmp_path)
    monkeypatch.delenv("ECSP_LOCAL_ENDPOINT")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    credentials = tmp_path / "credentials"
    credentials.write_text("[ops]\naws_access_key_id = AKIAOPSPROFILE000001\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    # test uses the 'ops' profile (which exists); prod has no credentials at all.
    project_file.write_text(aws.CONFIG.replace("test: {region: us-east-1}", "test: {region: us-east-1, profile: ops}"))

    code = cli.main(["show", "-f", str(project_file)])

    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines()[0] == "error: environment 'prod' (us-west-2): no AWS credentials found"
    test_row = next(line for line in out.splitlines() if line.startswith("│ test "))
    prod_row = next(line for line in out.splitlines() if line.startswith("│ prod "))
    assert "profile ops" in test_row and " no " in test_row
    assert "unknown" in prod_row


SETTINGS = """\
project: {name: shop, region: us-east-1}
environments:
  test:
    region: us-east-1
    network:
      vpc: {id: vpc-0123456789abcdef0, public_subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1],
            private_subnets: [subnet-0123456789abcdef2, subnet-0123456789abcdef3]}
      flow_logs: {retention: 30}
    certificates: [arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d]
    access_logs: true
  prod: {region: us-west-2, access_logs: {bucket: shop-audit, prefix: alb}}
applications:
  web: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 80, path: /}
"""


def test_show_reflects_the_vpc_certificates_and_logs(moto: str, project_file: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    project_file.write_text(SETTINGS)
    env = aws.deploy_environment(moto, "shop", "test")
    # ecsp's access-log bucket is auto-named: show reads the name from the load balancer.
    aws.client(moto, "s3", "us-east-1").create_bucket(Bucket="shop-test-access-logs-1a2b3c4")
    aws.client(moto, "elbv2", "us-east-1").modify_load_balancer_attributes(
        LoadBalancerArn=env.alb_arn, Attributes=[{"Key": "access_logs.s3.enabled", "Value": "true"},
                                                 {"Key": "access_logs.s3.bucket",
                                                  "Value": "shop-test-access-logs-1a2b3c4"}])

    assert cli.main(["show", "-f", str(project_file), "--local", "--json"]) == 0
    envs = {e["name"]: e for e in json.loads(capsys.readouterr().out)["environments"]}
    assert (envs["test"]["vpc_id"], envs["test"]["flow_logs"], envs["test"]["access_logs"]) == (
        "vpc-0123456789abcdef0", 30, "shop-test-access-logs-1a2b3c4")
    assert envs["test"]["certificates"] == [
        "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"]
    assert envs["test"]["url_base"] == f"https://{env.alb_dns}"  # HTTPS from the environment's certificate
    assert envs["prod"]["access_logs"] == "shop-audit" and envs["prod"]["vpc_id"] is None

    assert cli.main(["show", "-f", str(project_file), "--local"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert ("  test  existing VPC vpc-0123456789abcdef0; certificates arn:aws:acm:us-east-1:123456789012:"
            "certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d; access logs to s3://shop-test-access-logs-1a2b3c4; "
            "flow logs kept 30 days") in lines
    assert "  prod  access logs to s3://shop-audit" in lines


def test_show_says_each_applications_kind_and_settings(moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ECSP_LOCAL_ENDPOINT", moto)
    monkeypatch.setenv("COLUMNS", "120")
    path = tmp_path / "ecsp.yaml"
    path.write_text(aws.CONFIG + """\
  api2:
    kind: backend
    image: {location: nginx}
    port: 8081
    connect: true
    capacity: {spot: 2, base: 1}
    deployment: {rolling: recreate}
    sidecars: {agent: {image: busybox, essential: false}}
    storage: {volumes: {data: {path: /data, efs: true}}}
""")
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web")

    report = api.load(path).show(local=True)
    api2 = next(a for a in report.applications if a.name == "api2")
    assert api2.kind == "backend"
    assert api2.settings == ("Service Connect; sidecars agent; volumes data at /data (managed EFS); capacity "
                             "{spot: 2, base: 1} (capacity providers FARGATE and FARGATE_SPOT); deploys 0%..100%")
    assert next(a for a in report.applications if a.name == "web").settings == ""
    assert cli.main(["show", "-f", str(path), "--local"]) == 0
    out = capsys.readouterr().out
    assert "│ api2 " in out and "│ backend " in out
    assert f"  api2  {api2.settings}" in out
