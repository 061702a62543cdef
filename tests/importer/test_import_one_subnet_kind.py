"""An imported VPC with one kind of subnet, as Copilot allowed (``network.vpc.subnets`` with only public or
only private): public only imports and plans (every application public, data linked rather than created),
private only is refused with the fix (ecsp's load balancer is internet-facing)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ecsp
from ecsp.errors import ConfigError
from ecsp.importer import import_copilot
from tests import harness
from tests.importer.test_import_copilot import _workspace

VPC = "vpc-0123456789abcdef0"
PUBLIC = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
PRIVATE = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
WEB = "name: web\ntype: Load Balanced Web Service\nimage:\n  location: nginx\n  port: 80\nhttp:\n  path: /\n"


def environment(side: str, ids: list[str]) -> str:
    listed = "".join(f"        - id: {i}\n" for i in ids)
    return f"name: test\ntype: Environment\nnetwork:\n  vpc:\n    id: {VPC}\n    subnets:\n      {side}:\n{listed}"


def test_public_subnets_only_import_and_plan(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"web": WEB, "environments/test": environment("public", PUBLIC)})
    result = import_copilot(ws, environments=["test=us-west-2:111111111111"])
    assert result.document["environments"]["test"]["network"] == {"vpc": {"id": VPC, "public_subnets": PUBLIC}}
    assert any("has public subnets only: ecsp runs every application with placement: public" in n.message
               for n in result.notes)
    assert result.complete, result.incomplete_because()
    (ws / "ecsp.yaml").write_text(result.text)
    plan = ecsp.load(str(ws / "ecsp.yaml")).plan()
    assert not [r for r in plan.stack("shop-environment/test").resources if r.type == "aws:ec2/subnet:Subnet"]


def test_private_subnets_only_are_refused_with_the_fix(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"web": WEB, "environments/test": environment("private", PRIVATE)})
    result = import_copilot(ws, environments=["test=us-west-2:111111111111"])
    [refusal] = result.refusals
    assert refusal.where.endswith("environments/test/manifest.yml:5")
    assert f"network.vpc {VPC} has private subnets only ({', '.join(PRIVATE)})" in refusal.message
    assert "needs public subnets in two availability zones" in refusal.message
    assert not result.complete and "network" not in result.document["environments"]["test"]


CONFIG = f"""\
project: {{name: shop, region: us-west-2, account: "111111111111"}}
environments:
  test:
    region: us-west-2
    network: {{vpc: {{id: {VPC}, public_subnets: [{PUBLIC[0]}, {PUBLIC[1]}]}}}}
applications:
  web: {{image: {{location: nginx}}, port: 80}}
"""


@pytest.mark.parametrize(("edit", "message"), [
    (("port: 80}", "port: 80, placement: private}"),
     "applications.web.placement: private placement needs private subnets, and the VPC of environment 'test' "
     "(network.vpc) lists public subnets only; add its private_subnets"),
    (("applications:\n", "data:\n  orders: {kind: postgres}\napplications:\n"),
     "data.orders: a postgres ecsp creates needs private subnets"),
])
def test_what_needs_private_subnets_is_refused_in_a_public_only_vpc(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        harness.config(CONFIG.replace(*edit))


def test_existing_data_is_linked_in_a_public_only_vpc() -> None:
    config = harness.config(CONFIG.replace(
        "applications:\n", "data:\n  orders: {kind: postgres, existing: {secret: orders-db}}\napplications:\n"))
    assert not config.data_in("test")["orders"].managed
