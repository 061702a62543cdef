"""`ecsp diagram`: the nodes and edges drawn for the examples (not pixels), valid SVG/PNG files, Mermaid
without Graphviz, and the README's diagrams, which this test writes (``pytest --update-golden``) and
fails on when they are stale."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from ecsp import diagram
from ecsp.cli import main
from ecsp.errors import ToolMissingError
from ecsp.graph import StackSpec
from ecsp.planner import Plan, PlannedResource, PlannedStack
from tests import harness
from tests.paths import ROOT
from tests.plans import example

HAVE_DOT = shutil.which("dot") is not None
# CI installs Graphviz (.ci/install-graphviz.sh): there a missing `dot` fails these tests instead of skipping.
needs_dot = pytest.mark.skipif(not HAVE_DOT and not os.environ.get("CI"),
                               reason="Graphviz's dot is not installed (bash .ci/install-graphviz.sh)")


def draw(name: str, env: str | None) -> diagram.Diagram:
    project, plan = example(name)
    return diagram.draw(project.config, plan, env)


def edges(d: diagram.Diagram) -> set[tuple[str, str, str]]:
    """Edges by the first line of each end's label, as a person reads them."""
    labels = {k: v.split("\n")[0] for k, v in d.labels().items()}
    return {(labels[a], labels[b], text) for a, b, text in d.edge_set()}


def test_kinds_environment() -> None:
    d = draw("kinds", "test")
    labels = d.labels()
    assert labels["app_web"] == "web\nservice, 1 task\n0.25 vCPU / 0.5 GB\npublic IP"
    assert labels["app_orders"] == "orders\nservice, 1-10 tasks\n0.25 vCPU / 0.5 GB\npublic IP"
    assert labels["app_nightly"] == "nightly\ntask per run\n0.25 vCPU / 0.5 GB"
    assert labels["topic_web-created"] == "SNS topic\necsp_kinds-test-web-created"
    assert labels["queue_orders"] == "SQS queue\nkinds-test-orders"  # the dead-letter queue is not drawn
    assert sorted(n.label for n in d.nodes if n.kind == "subnet") == [
        "private subnet\n10.0.2.0/24", "private subnet\n10.0.3.0/24",
        "public subnet\n10.0.0.0/24", "public subnet\n10.0.1.0/24"]
    assert {g.label for g in d.groups} == {"VPC 10.0.0.0/16", "us-west-2a", "us-west-2b", "ECS cluster (Fargate)"}
    assert edges(d) == {
        ("internet", "Application Load Balancer", ""),
        ("Application Load Balancer", "web", "/*"),
        ("schedule", "nightly", "starts (Step Functions)"),
        ("web", "SNS topic", "publishes"),
        ("SNS topic", "SQS queue", "subscription"),
        ("SQS queue", "orders", "consumes"),
        ("web", "Service Connect", "calls"),
        ("Service Connect", "web", "http://web:80"),
        ("api", "Service Connect", "calls"),
        ("Service Connect", "api", "http://api:8080"),
    }
    assert labels["schedule_nightly"] == "schedule\ncron(0 3 * * ? *)"


def test_multi_environment_with_nat_domain_and_hosts() -> None:
    d = draw("multi", "prod")
    assert d.title == "shop / prod (eu-west-1)"
    nats = [n for n in d.nodes if n.kind == "nat"]
    assert sorted(n.group or "" for n in nats) == ["az_eu-west-1a", "az_eu-west-1b"]  # per-az
    assert d.labels()["load_balancer"] == "Application Load Balancer\ninternet-facing, HTTP:80, HTTPS:443"
    found = edges(d)
    assert ("Application Load Balancer", "frontend", "/* frontend.prod.shop.example.com") in found
    assert ("Application Load Balancer", "api", "/api api.prod.shop.example.com") in found
    assert ("Application Load Balancer", "worker-ui", "/worker worker-ui.prod.shop.example.com") in found
    assert ("hosted zone", "Application Load Balancer", "alias records") in found
    # the private api reaches out through both NAT gateways; the public applications do not
    assert sum(1 for e in found if e[0] == "api" and e[1] == "NAT gateway") == 1  # labels collapse the two
    assert len([e for e in d.edges if e.source == "app_api" and e.label == "outbound"]) == 2
    assert not [e for e in d.edges if e.source == "app_frontend" and e.label == "outbound"]
    assert d.labels()["app_api"] == "api\nservice, 3 tasks\n1 vCPU / 4 GB\nprivate subnets"
    assert d.labels()["app_frontend"].startswith("frontend\nservice, 2-6 tasks")
    assert "ARM" in d.labels()["app_worker-ui"]


def test_imported_environment_draws_the_existing_vpc_and_access_logs() -> None:
    d = draw("imported", "prod")
    assert {g.label for g in d.groups} == {"existing VPC", "ECS cluster (Fargate)"}
    assert not [n for n in d.nodes if n.kind in ("subnet", "nat")]  # none are ecsp's
    found = edges(d)
    assert ("Application Load Balancer", "S3 bucket", "access logs") in found
    assert ("Application Load Balancer", "web", "/* www.shop.example.org") in found


def test_sidecars_environment_links_storage_to_who_uses_it() -> None:
    d = draw("sidecars", "test")
    assert d.labels()["storage_efs"] == "EFS file system\nnotes-test-efs"
    assert ("web", "EFS file system", "uses") in edges(d)
    assert ("queue-reader", "EFS file system", "uses") not in edges(d)
    assert d.labels()["app_queue-reader"] == "queue-reader\nservice, 1 task (Spot)\n0.25 vCPU / 0.5 GB\npublic IP"


def test_project_view() -> None:
    d = draw("multi", None)
    assert d.title == "shop (project)"
    assert {g.label for g in d.groups} == {"us-west-2", "eu-west-1"}
    for region in ("us-west-2", "eu-west-1"):
        inside = sorted(n.label for n in d.nodes if n.group == f"region_{region}")
        assert inside == sorted(["ECR repository\necsp/shop/frontend", "ECR repository\necsp/shop/api",
                                 "ECR repository\necsp/shop/worker-ui", "KMS key", "artifact bucket",
                                 "environment test\naccount 111111111111" if region == "us-west-2" else
                                 "environment prod\naccount 222222222222"])
    found = edges(d)
    assert ("KMS key", "artifact bucket", "encrypts") in found
    assert ("ECR repository", "environment prod", "pull") in found
    assert ("hosted zone", "environment test", "delegates") in found
    # an environment pulls from the repositories of its own region only
    assert not [e for e in d.edges if e.source == "repo_frontend-us-west-2" and e.target == "env_prod"]


PIPELINE = """\
project: {name: shop, region: us-east-1, account: "111111111111"}
environments:
  test: {region: us-east-1}
  prod: {region: eu-west-1, account: "222222222222"}
applications:
  web: {image: {location: nginx}, port: 80}
state: {backend: "s3://shop-state/ecsp", secrets_provider: "awskms://alias/shop?region=us-east-1"}
pipelines:
  release:
    source: codecommit
    repository: shop
    stages: [{environment: test}, {environment: prod, approval: manual}]
"""


def test_project_view_draws_pipelines_and_their_stages(tmp_path: Path) -> None:
    from ecsp import api

    (tmp_path / "ecsp.yaml").write_text(PIPELINE)
    d = api.load(tmp_path / "ecsp.yaml").diagram()
    assert d.labels()["pipeline_release"] == "pipeline release\nCodePipeline V2"
    found = edges(d)
    assert ("pipeline release", "environment test", "stage 1") in found
    assert ("pipeline release", "environment prod", "stage 2 (approval)") in found


def test_storage_of_any_type_is_drawn_with_who_refers_to_it() -> None:
    """Storage another program will create: drawn from its planned type, linked by the handles in inputs."""
    table = PlannedResource("aws:dynamodb/table:Table", "orders", None, {"name": "shop-test-orders"}, "us-east-1",
                            ("shop-test-orders", "arn:aws:dynamodb:us-east-1:1:table/shop-test-orders"))
    env = PlannedStack(StackSpec("environment", "shop", "test"), [
        PlannedResource("aws:ec2/vpc:Vpc", "vpc", None, {"cidrBlock": "10.0.0.0/16"}, "us-east-1", ("vpc-1",)),
        table])
    policy = PlannedResource("aws:iam/rolePolicy:RolePolicy", "api-task", None, {
        "policy": '{"Statement": [{"Resource": "arn:aws:dynamodb:us-east-1:1:table/shop-test-orders"}]}'},
        "us-east-1", ("p-1",))
    api_stack = PlannedStack(StackSpec("application", "shop", "test", "api"), [
        PlannedResource("aws:ecs/taskDefinition:TaskDefinition", "api", None, {"cpu": "256", "memory": "512"},
                        "us-east-1", ("td-1",)),
        PlannedResource("aws:ecs/service:Service", "api", None, {"desiredCount": 2}, "us-east-1", ("svc-1",)),
        policy])
    other = PlannedStack(StackSpec("application", "shop", "test", "web"), [
        PlannedResource("aws:ecs/taskDefinition:TaskDefinition", "web", None, {}, "us-east-1", ("td-2",)),
        PlannedResource("aws:ecs/service:Service", "web", None, {"desiredCount": 1}, "us-east-1", ("svc-2",))])
    d = diagram.environment(Plan("shop", [env, api_stack, other]), "test")
    assert d.labels()["storage_orders"] == "DynamoDB table\nshop-test-orders"
    assert ("app_api", "storage_orders", "uses") in d.edge_set()
    assert not [e for e in d.edges if e.source == "app_web" and e.target == "storage_orders"]


def test_unknown_environment_is_a_usage_error(capsys: Any) -> None:
    project, _ = example("hello")
    assert main(["diagram", "-f", str(project.path), "--env", "nope", "--format", "mermaid"]) == 2
    assert "error:" in capsys.readouterr().err


# -- rendering -------------------------------------------------------------------------------------

@needs_dot
def test_svg_and_png_are_valid_files(tmp_path: Path, capsys: Any) -> None:
    project, _ = example("kinds")
    svg_path, png_path = tmp_path / "kinds.svg", tmp_path / "kinds.png"
    assert main(["diagram", "-f", str(project.path), "--env", "test", "-o", str(svg_path)]) == 0
    assert f"wrote {svg_path}" in capsys.readouterr().out
    root = ET.fromstring(svg_path.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = {t.text for t in root.iter("{http://www.w3.org/2000/svg}title")}
    d = draw("kinds", "test")
    assert {n.id for n in d.nodes} <= titles  # every node is drawn
    assert main(["diagram", "-f", str(project.path), "--env", "test", "--format", "png", "-o", str(png_path)]) == 0
    data = png_path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 500 and height > 200


def test_mermaid_needs_no_program_and_svg_says_how_to_install_dot(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    d = draw("kinds", "test")
    text = d.mermaid()
    assert text.startswith("flowchart LR\n")
    assert 'n_topic_web_created -->|"subscription"| n_queue_orders' in text
    assert 'subgraph n_vpc["VPC 10.0.0.0/16"]' in text
    with pytest.raises(ToolMissingError, match="Graphviz") as raised:
        d.render("svg")
    assert "--format mermaid" in str(raised.value.fix)
    project, _ = example("kinds")
    assert main(["diagram", "-f", str(project.path), "--env", "test", "--format", "mermaid"]) == 0
    assert capsys.readouterr().out == text
    assert main(["diagram", "-f", str(project.path), "--env", "test", "-o", "-"]) == 3
    assert "apt-get install graphviz" in capsys.readouterr().err
    bundle = d._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and bundle["text/markdown"].startswith("```mermaid\nflowchart LR")


@needs_dot
def test_notebook_shows_svg() -> None:
    bundle = draw("hello", "test")._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_rich_view_lists_groups_nodes_and_links() -> None:
    from rich.console import Console

    console = Console(width=100, record=True)
    console.print(draw("kinds", "test"))
    text = console.export_text()
    assert "VPC 10.0.0.0/16" in text and "SNS topic -> SQS queue (subscription)" in text


# -- the README's diagrams -------------------------------------------------------------------------

README_DIAGRAMS = {  # file under docs/diagrams/ -> (example, environment or None for the project view)
    "hello-test.svg": ("hello", "test"),
    "kinds-test.svg": ("kinds", "test"),
    "multi-prod.svg": ("multi", "prod"),
    "multi-project.svg": ("multi", None),
    "imported-prod.svg": ("imported", "prod"),
    "sidecars-test.svg": ("sidecars", "test"),
}
DIAGRAMS = ROOT / "docs" / "diagrams"
MARK = "<!-- ecsp diagram of DOT source sha256:{} -->"


def source_hash(d: diagram.Diagram) -> str:
    return hashlib.sha256(d.source.encode()).hexdigest()


@pytest.mark.parametrize("file", sorted(README_DIAGRAMS))
def test_readme_diagrams_are_current(file: str) -> None:
    """The committed SVG was drawn from the DOT source ecsp makes today (rewrite: pytest --update-golden)."""
    name, env = README_DIAGRAMS[file]
    d = draw(name, env)
    path = DIAGRAMS / file
    mark = MARK.format(source_hash(d))
    if harness.UPDATE_GOLDEN:
        diagram.require_dot()
        svg = d.svg()
        first, rest = svg.split("\n", 1)
        DIAGRAMS.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{first}\n{mark}\n{rest}")
    assert path.exists(), f"{path} is missing; run pytest --update-golden"
    text = path.read_text()
    assert mark in text, f"{path} is stale (drawn from another DOT source); run pytest --update-golden"
    ET.fromstring(text.encode())  # a well-formed SVG
    assert f"(docs/diagrams/{file})" in (ROOT / "README.md").read_text(), f"README does not show {file}"


def test_readme_shows_only_current_diagrams() -> None:
    shown = set(re.findall(r"\(docs/diagrams/([^)]+)\)", (ROOT / "README.md").read_text()))
    assert shown == set(README_DIAGRAMS)
    assert {p.name for p in DIAGRAMS.glob("*.svg")} == set(README_DIAGRAMS)
