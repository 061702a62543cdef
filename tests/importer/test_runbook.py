"""The README's "Moving from Copilot", followed to the end against a live Copilot application in moto.

Its commands run as written; the runbook's AWS CLI commands run as printed (the real `aws`
CLI, pointed at moto's server), section by section, with the runbook read again between
them, as a person would. At the end every step is done, Copilot's stacks are gone, and the
data (the addon's table and bucket), the VPC ecsp runs in and the host names' zone are
still there, the names pointing at ecsp's load balancer.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecsp import api, cli, loader
from ecsp.engine.fake import FakeEngine
from ecsp.importer import runbook
from tests import copilot_live, ops_support
from tests.cli.test_readme import bash_blocks
from tests.importer.test_import_live import workspace
from tests.ops_support import client

REGION = "us-west-2"
AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or "aws"  # the virtualenv's (a dev dependency)

moto, aws_is_moto = ops_support.moto, ops_support.aws_is_moto  # fixtures


@pytest.fixture
def aws(aws_is_moto: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.chdir(tmp_path)
    return aws_is_moto


def ecsp_load_balancer(endpoint: str, env: copilot_live.Environment) -> dict[str, Any]:
    """What `ecsp up --env test` leaves that the runbook reads: a load balancer with ecsp's tags, in Copilot's VPC."""
    balancer = client(endpoint, "elbv2", REGION).create_load_balancer(
        Name="shop-test-0a1b2c3", Subnets=env.public_subnets, Tags=[
            {"Key": "ecsp:project", "Value": "shop"}, {"Key": "ecsp:environment", "Value": "test"}])
    return dict(balancer["LoadBalancers"][0])


def copilot_records(endpoint: str, env: copilot_live.Environment) -> None:
    """The alias records Copilot's services wrote for their names in the environment's zone."""
    route53 = client(endpoint, "route53", REGION)
    zone = next(z for z in route53.list_hosted_zones()["HostedZones"]
                if z["Name"].rstrip(".") == "test.shop.example.com")
    route53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"{svc}.test.shop.example.com", "Type": "A", "AliasTarget": {
            "HostedZoneId": env.load_balancer_zone, "DNSName": env.load_balancer_dns,
            "EvaluateTargetHealth": False}}} for svc in ("api", "web")]})


def guide() -> list[str]:
    """The commands of the README's "Moving from Copilot", in order."""
    return [command for block in bash_blocks("Moving from Copilot") for command in block]


def run_ecsp(command: str, repo: Path) -> int:
    """One of the guide's ecsp commands, as written (path/to/repo is the test's copy)."""
    argv = [repo.as_posix() + arg.removeprefix("path/to/repo") if arg.startswith("path/to/repo") else arg
            for arg in shlex.split(command)]
    assert argv[0] == "ecsp", command
    return cli.main(argv[1:])


def read_runbook(repo: Path, capsys: pytest.CaptureFixture[str]) -> runbook.Runbook:
    """What `ecsp import copilot path/to/repo --runbook` printed, as data (its text is checked too)."""
    command = next(c for c in guide() if "--runbook" in c)
    capsys.readouterr()
    assert run_ecsp(command, repo) == 0
    printed = capsys.readouterr().out
    book = runbook.for_project(loader.load(repo / "ecsp.yaml"), "shop", folder="copilot-retirement")
    assert printed.strip() == book.text().strip()
    return book


def run_commands(step: runbook.Step) -> None:
    for command in step.commands:
        assert command[0] == "aws", command
        done = subprocess.run([AWS, *command[1:]], capture_output=True, text=True, timeout=300, env=os.environ)
        assert done.returncode == 0, f"{shlex.join(command)}\n{done.stdout}\n{done.stderr}"


def test_the_migration_guide_moves_a_live_copilot_application_and_keeps_its_data(
        aws: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    envs = copilot_live.create(aws)
    copilot_records(aws, envs["test"])
    repo = workspace(tmp_path / "repo")
    monkeypatch.chdir(repo)  # where the commands are run: the templates are in copilot-retirement/ below
    commands = guide()
    assert [c.split()[:3] for c in commands] == [
        ["ecsp", "import", "copilot"], ["ecsp", "validate", "-f"], ["ecsp", "plan", "-f"], ["ecsp", "up", "-f"],
        ["ecsp", "import", "copilot"]]

    # 1. Import, 2. review: the file runs beside Copilot and is valid.
    assert run_ecsp(commands[0], repo) == 0
    assert "reused (ecsp links to it; it stays where it is):" in capsys.readouterr().err
    assert run_ecsp(commands[1], repo) == 0
    assert run_ecsp(commands[2], repo) == 0
    capsys.readouterr()

    # Before ecsp's environment is deployed, the switch waits for it, and the deletes for the switch.
    book = read_runbook(repo, capsys)
    titles = dict(book.sections)
    assert [s.done for s in titles["Side by side"]] == [False]
    assert all(s.waits_for == "ecsp up --env test"
               for s in titles["Cutover: point the host names at ecsp's load balancers"])

    # 3. Side by side: `up` looks up every name first, among Copilot's live resources, and goes ahead. No
    # pulumi aws plugin here: the fake engine runs the stacks, and ecsp's load balancer is made as they would.
    monkeypatch.setattr(api, "NAME_CHECK", api._check_names)
    fake = FakeEngine()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: fake)
    assert run_ecsp(commands[3], repo) == 0
    assert "shop-web/test" in fake.state
    balancer = ecsp_load_balancer(aws, envs["test"])

    book = read_runbook(repo, capsys)
    text = book.text()
    assert "[x] deploy ecsp's environment test beside Copilot's test" in text
    assert f"[ ] api.test.shop.example.com: point it at ecsp's load balancer ({balancer['DNSName']})" in text
    assert "[ ] shop-test-api: set DeletionPolicy Retain on AddonsStack" in text
    assert "[x] Copilot's load balancer in test served 0 requests in the last hour" in text
    assert "[-] delete environment stack shop-test (us-west-2) (after: the cutover (section 2))" in text

    # 4. Cutover and 5. retire: every command as printed, reading the runbook again after each section.
    for section in ("Cutover: point the host names at ecsp's load balancers",
                    "Keep the data (and what ecsp uses) when Copilot's stacks go",
                    "Retire Copilot's stacks, in this order"):
        book = read_runbook(repo, capsys)
        for step in dict(book.sections)[section]:
            assert not step.waits_for, step
            if step.done is False or (step.done is None and step.commands):
                run_commands(step)

    book = read_runbook(repo, capsys)
    assert [s.title for s in book.steps if s.done is False] == [], book.text()
    assert "[x] every stack of Copilot application shop is deleted" in book.text()
    cfn = client(aws, "cloudformation", REGION)
    left = {s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}
    assert not {"shop-test", "shop-test-api", "shop-test-web"} & left
    # What was not kept is gone (so what is there below is there because it was kept)...
    assert client(aws, "logs", REGION).describe_log_groups(logGroupNamePrefix="/copilot/")["logGroups"] == []
    # ... and kept: the addon's data (its stack, exports included), the VPC ecsp runs in, the host names' zone.
    assert client(aws, "dynamodb", REGION).describe_table(TableName="shop-test-api-orders")["Table"]
    client(aws, "s3", REGION).head_bucket(Bucket="shop-test-api-uploads")
    assert "shop-test-ordersTableName" in {e["Name"] for e in cfn.list_exports()["Exports"]}
    assert client(aws, "ec2", REGION).describe_vpcs(VpcIds=[envs["test"].vpc])["Vpcs"]
    route53 = client(aws, "route53", REGION)
    zone = next(z for z in route53.list_hosted_zones()["HostedZones"]
                if z["Name"].rstrip(".") == "test.shop.example.com")
    record = route53.list_resource_record_sets(HostedZoneId=zone["Id"], StartRecordName="api.test.shop.example.com",
                                               StartRecordType="A", MaxItems="1")["ResourceRecordSets"][0]
    assert record["AliasTarget"]["DNSName"].rstrip(".") == balancer["DNSName"]
    # Copilot's own records are gone; the secrets the applications read were never touched.
    assert client(aws, "ssm", REGION).get_parameters_by_path(Path="/copilot/applications/shop",
                                                             Recursive=True)["Parameters"] == []


def test_retain_is_added_to_the_resources_and_nothing_else_changes() -> None:
    template = copilot_live.WORKLOAD + "Outputs:\n  Log:\n    Value: !Ref LogGroup\n"
    edited = runbook.add_retain(template, ["AddonsStack", "LogGroup"])
    assert runbook.retained(edited, "AddonsStack") and runbook.retained(edited, "LogGroup")
    assert not runbook.retained(template, "AddonsStack")
    # Only the four lines are new; the tags (!Ref, !Join) and everything else are as they were.
    added = [line for line in edited.splitlines() if line not in template.splitlines()]
    assert sorted(set(added)) == ["    DeletionPolicy: Retain", "    UpdateReplacePolicy: Retain"]
    assert len(edited.splitlines()) == len(template.splitlines()) + 4
    # Idempotent, and an existing policy is replaced, not doubled.
    assert runbook.add_retain(edited, ["LogGroup"]).count("DeletionPolicy") == 2
    deleting = template.replace("    Type: AWS::Logs::LogGroup\n", "    Type: AWS::Logs::LogGroup\n"
                                "    DeletionPolicy: Delete\n")
    assert runbook.add_retain(deleting, ["LogGroup"]).count("DeletionPolicy: Delete") == 0
    with pytest.raises(ValueError, match="not written in block style"):
        runbook.add_retain("Resources:\n  Flow: {Type: AWS::SNS::Topic}\n", ["Flow"])
    assert '"DeletionPolicy": "Retain"' in runbook.add_retain('{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}',
                                                               ["T"])
