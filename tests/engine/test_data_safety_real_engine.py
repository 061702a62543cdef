"""Data survives with the real pulumi engine: what ecsp.data_safety relies on, checked end to end.

The real CLI runs with the stand-in provider (``tests/standin_provider``), which writes a mark
for every resource it is asked to delete (``ECSP_STANDIN_DELETED``) and answers a change of
``hashKey`` with a replacement (``ECSP_STANDIN_REPLACE``), as AWS's provider does for a
table's key. So "not deleted" below means the engine never asked the provider to delete it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecsp import api, kinds
from ecsp.context import StackContext
from ecsp.engine.automation import AutomationEngine
from ecsp.programs import Plugin, Programs
from tests.deploy_support import write_project
from tests.engine.test_real_engine import Project
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS

STORAGE = "shop-storage/test"
TEXT = """\
project: {name: shop, region: us-east-1}
environments: {test: {region: us-east-1}}
data:
  events: {kind: table, partition_key: "id:S"}
  uploads: {kind: bucket}
"""


def deleted(marks: Path) -> list[str]:
    return sorted(p.name.removesuffix(".deleted") for p in marks.glob("*.deleted")) if marks.exists() else []


def retained_bucket(ctx: StackContext) -> None:
    """One bucket, kept on delete, in the project stack only."""
    import pulumi
    import pulumi_aws as aws

    if ctx.stack.kind == "project":
        aws.s3.Bucket("kept", opts=pulumi.ResourceOptions(retain_on_delete=True))


def test_release_data_lets_the_engine_delete_what_it_kept(tmp_path: Path, pulumi_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    marks = tmp_path / "deleted"
    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "ecsp-data-safety")
    monkeypatch.setenv("ECSP_STANDIN_DELETED", str(marks))
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    project = api.load(write_project(tmp_path, "keep", environments=1, applications=1))
    programs = Programs({kind: retained_bucket for kind in kinds.KINDS}, plugins=(Plugin("aws", "pulumi-aws"),))
    engine = AutomationEngine(project.root, project.config, programs)
    spec = project.stacks().order()[0]

    project.up(progress=False, engine=engine)
    gone = project.destroy(progress=False, engine=engine)
    assert deleted(marks) == []  # kept: the engine forgot it without a Delete
    assert [step.name for _, step in gone.kept()] == ["kept"]

    project.up(progress=False, engine=engine)
    assert engine.release_data(spec, None) == ["urn:pulumi:global::keep-project::aws:s3/bucket:Bucket::kept"]
    assert engine.release_data(spec, None) == []  # nothing left to release
    gone = project.destroy(progress=False, engine=engine)
    assert deleted(marks) == ["aws:s3_bucket:Bucket.kept"] and gone.kept() == []


def test_data_survives_a_removed_entry_a_replacement_and_a_destroy(tmp_path: Path, pulumi_home: Path) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    marks = tmp_path / "deleted"
    project = Project(folder, pulumi_home, ECSP_STANDIN_DELETED=str(marks), ECSP_STANDIN_REPLACE="hashKey")
    project.file.write_text(TEXT)
    assert project.run("up", "--progress", "plain").code == 0

    # The bucket's entry leaves ecsp.yaml: its resources leave the state, and stay in AWS.
    project.file.write_text(TEXT.replace("  uploads: {kind: bucket}\n", ""))
    removed = project.run("up", "--env", "test", "--progress", "plain")
    assert removed.code == 0, removed
    assert deleted(marks) == []
    assert "Kept in AWS" in removed.stdout and "aws:s3:Bucket shop-test-uploads" in removed.stdout

    # A change that replaces the table: refused, before anything is created or deleted.
    project.file.write_text(TEXT.replace('"id:S"', '"pk:S"').replace("  uploads: {kind: bucket}\n", ""))
    refused = project.run("up", "--env", "test", "--progress", "json")
    assert refused.code == 1, refused
    storage = refused.stacks()[STORAGE]
    assert storage["status"] == "failed", refused
    assert "refusing to replace data: Table events (because hashKey changed)" in storage["reason"]
    assert not [r for r in refused.records() if r["event"] == "resource_step" and r["stack"] == STORAGE
                and r["op"] != "same" and not r["preview"]]
    assert deleted(marks) == []

    # Destroy: the environment goes, the table stays.
    project.file.write_text(TEXT.replace("  uploads: {kind: bucket}\n", ""))
    destroyed = project.run("destroy", "--env", "test", "--yes", "--progress", "plain")
    assert destroyed.code == 0, destroyed
    gone = deleted(marks)
    assert not [name for name in gone if "dynamodb" in name]
    assert any(name.startswith("aws:ec2_vpc:Vpc") for name in gone)
    assert "Kept in AWS" in destroyed.stdout and "aws:dynamodb:Table events" in destroyed.stdout
