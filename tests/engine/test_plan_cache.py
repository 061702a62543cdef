"""The plan cache (ecsp.plancache) is safe: a plan read back equals a fresh one, and each input of a
stack's key (a setting it reads, an upstream output it reads, the code) replans exactly the stacks it
reaches. Also what `ecsp plan` says about it, `--no-cache`, and `plan --app` showing only what was asked.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ecsp import api, loader, plancache, planner
from ecsp.cli import main
from ecsp.plancache import PlanCache
from ecsp.planner import Plan

# Two environments (the second in another account and region) and an application of each sort of
# reading: two web applications that number their listener rules together (one serving through Service
# Connect and publishing a topic), and a worker subscribed to that topic.
YAML = """\
project:
  name: cache
  region: us-west-2
  domain: example.com
environments:
  test:
    region: us-west-2
    network: {cidr: 10.0.0.0/16, nat: none}
  prod:
    region: eu-west-1
    account: "222222222222"
    network: {cidr: 10.1.0.0/16, nat: single}
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    path: /
    connect: true
    publish: [created]
  shop:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    path: /shop
    cpu: 256
    memory: 512
  orders:
    kind: worker
    image: {location: public.ecr.aws/docker/library/busybox:stable}
    subscribe:
      - {app: web, topic: created}
"""
APPS = ("web", "shop", "orders")
ENVS = ("test", "prod")
EVERY_APP = {f"cache-{app}/{env}" for app in APPS for env in ENVS}
EVERYTHING = {"cache-project/global", "cache-environment/test", "cache-environment/prod", *EVERY_APP}


def plan_of(root: Path, text: str, **cache: Any) -> Plan:
    """Plan ``text`` as ``root``/ecsp.yaml would be, through the cache in ``root``/.ecsp/plans."""
    from stacks import PROGRAMS

    config = loader.loads(text, "ecsp.yaml")
    return planner.plan(config, PROGRAMS, cache=PlanCache(root, **cache))


def documents(plan: Plan) -> list[Any]:
    """Each stack's plan, all of it (every field of every resource), without the mark of where it came from."""
    return [(dataclasses.replace(stack, cached=False), stack.references) for stack in plan.stacks]


def planned(plan: Plan) -> set[str]:
    return {stack.spec.name for stack in plan.stacks if not stack.cached}


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Plan]:
    """A cache filled by planning YAML once, and that fresh plan."""
    root = tmp_path_factory.mktemp("warm")
    return root, plan_of(root, YAML)


def copy_of(warm: tuple[Path, Plan], tmp_path: Path) -> Path:
    shutil.copytree(warm[0] / ".ecsp", tmp_path / ".ecsp")
    return tmp_path


def test_a_plan_read_back_equals_the_fresh_one(warm: tuple[Path, Plan], tmp_path: Path) -> None:
    root, fresh = warm
    again = plan_of(root, YAML)
    assert planned(fresh) == EVERYTHING and planned(again) == set()
    assert documents(again) == documents(fresh)
    assert json.dumps(again.to_json()).replace(', "cached": true', "") == json.dumps(fresh.to_json())


EDITS = {
    # A setting only the application's own program reads.
    "a setting": (("    cpu: 256\n    memory: 512\n", "    cpu: 512\n    memory: 1024\n"),
                  {"cache-shop/test", "cache-shop/prod"}),
    # A setting every application stack reads: the listener rules all of them number together.
    "a setting others read": (("    path: /shop\n", "    path: /store\n"), EVERY_APP),
    # A topic more: the worker subscribed to web reads its topics' ARNs from web's outputs, which gain one.
    "a setting of a publisher": (("    publish: [created]\n", "    publish: [created, shipped]\n"),
                                 {"cache-web/test", "cache-web/prod", "cache-orders/test", "cache-orders/prod"}),
    # An upstream output: shop's volume makes each environment create a file system and export its id,
    # so every application stack, which reads its environment's outputs, is planned again; web's and
    # orders' own settings did not change.
    "an upstream output": (("    memory: 512\n", "    memory: 512\n    storage:\n      volumes:\n"
                            "        data: {path: /data, efs: true}\n"),
                           {"cache-environment/test", "cache-environment/prod", *EVERY_APP}),
    # An environment's setting: that environment's stacks.
    "an environment setting": (("    network: {cidr: 10.1.0.0/16, nat: single}\n",
                                "    network: {cidr: 10.1.0.0/16, nat: single}\n    container_insights: true\n"),
                               {"cache-environment/prod", *(f"cache-{app}/prod" for app in APPS)}),
    # The project's settings: everything.
    "the project": (("  domain: example.com\n", "  domain: example.org\n"), EVERYTHING),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_each_input_of_the_key_replans_exactly_the_stacks_it_reaches(edit: str, warm: tuple[Path, Plan],
                                                                     tmp_path: Path) -> None:
    (old, new), reached = EDITS[edit]
    assert old in YAML
    changed = YAML.replace(old, new)
    root = copy_of(warm, tmp_path)
    cached = plan_of(root, changed)
    assert planned(cached) == reached
    # The stacks read back are what a fresh plan makes of the changed file.
    if reached != EVERYTHING:
        assert documents(cached) == documents(plan_of(tmp_path / "fresh", changed))


def test_the_code_is_in_the_key(warm: tuple[Path, Plan], tmp_path: Path) -> None:
    root = copy_of(warm, tmp_path)
    assert planned(plan_of(root, YAML, code="other code")) == EVERYTHING
    assert planned(plan_of(root, YAML, code="other code")) == set()


def test_the_code_digest_follows_every_source_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "programs_under_test"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "kind.py").write_text("RESOURCES = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plancache, "PACKAGES", ("programs_under_test",))
    plancache.code_digest.cache_clear()
    try:
        before = plancache.code_digest()
        (package / "sub" / "kind.py").write_text("RESOURCES = 2\n")
        plancache.code_digest.cache_clear()
        edited = plancache.code_digest()
        (package / "sub" / "new.py").write_text("")
        plancache.code_digest.cache_clear()
        added = plancache.code_digest()
    finally:
        plancache.code_digest.cache_clear()
    assert len({before, edited, added}) == 3


def test_no_cache_plans_everything_and_keeps_the_fresh_plans(warm: tuple[Path, Plan], tmp_path: Path) -> None:
    root = copy_of(warm, tmp_path)
    for stored in (root / ".ecsp" / "plans").rglob("*.json"):
        stored.write_text(stored.read_text().replace('"format":2', '"format":2,"stale":true'))
    assert planned(plan_of(root, YAML, read=False)) == EVERYTHING
    assert not any('"stale"' in p.read_text() for p in (root / ".ecsp" / "plans").rglob("*.json"))
    assert planned(plan_of(root, YAML)) == set()


def test_a_damaged_cache_file_is_planned_afresh(warm: tuple[Path, Plan], tmp_path: Path) -> None:
    root = copy_of(warm, tmp_path)
    (root / ".ecsp" / "plans" / "cache-shop" / "test.json").write_text('{"format": 2, "base": ')
    (root / ".ecsp" / "plans" / "cache-orders" / "prod.json").unlink()
    again = plan_of(root, YAML)
    assert planned(again) == {"cache-shop/test", "cache-orders/prod"}
    assert documents(again) == documents(warm[1])


def test_the_cache_lives_in_a_folder_git_ignores(warm: tuple[Path, Plan]) -> None:
    root, _ = warm
    assert (root / ".ecsp" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (root / ".ecsp" / "plans" / "cache-web" / "prod.json").is_file()


# --------------------------------------------------------------------------- the command


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    file = tmp_path / "ecsp.yaml"
    file.write_text(YAML)
    return file


def test_plan_says_which_stacks_came_from_the_cache(project_file: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["plan", "-f", str(project_file), "--json"]) == 0
    assert not any(s.get("cached") for s in json.loads(capsys.readouterr().out)["stacks"])
    project_file.write_text(YAML.replace("    cpu: 256\n", "    cpu: 512\n    memory: 1024\n").replace(
        "    memory: 512\n", ""))
    assert main(["plan", "-f", str(project_file)]) == 0
    out = capsys.readouterr().out
    assert "7 of 9 read back from .ecsp/plans: unchanged since planned (--no-cache replans)" in out
    assert "cache-environment/prod  (environment, " in out
    headings = [line for line in out.splitlines() if line.startswith("cache-")]
    assert [line for line in headings if not line.endswith("from the cache")] == [
        line for line in headings if line.startswith(("cache-shop/test  ", "cache-shop/prod  "))]
    assert main(["plan", "-f", str(project_file), "--no-cache", "--json"]) == 0
    assert not any(s.get("cached") for s in json.loads(capsys.readouterr().out)["stacks"])


def test_plan_of_one_application_shows_it_and_its_upstream_stacks_as_a_line_each(
        project_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["plan", "-f", str(project_file), "--env", "prod", "--app", "orders"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["Plan for project cache: 1 stack, in dependency order (offline, under mocks)",
                         "and 3 upstream stacks, planned for their outputs (one line each)"]
    upstream = [line for line in lines if line.endswith("  upstream")]
    assert [line.split("  (")[0] for line in upstream] == [
        "cache-project/global", "cache-environment/prod", "cache-web/prod"]
    # Only the application's own tree: no resource of an upstream stack is listed.
    assert lines[2:5] == upstream and not any("ecsp:environment:" in line for line in lines)
    assert any("aws:sqs:Queue" in line for line in lines)
    total = next(line for line in lines if line.startswith("total: "))
    assert "application resources" in total and "project" not in total  # what was asked for only
    assert lines[-1].startswith("estimated monthly cost: $")  # of that too

    # The document has every stack in full, the upstream ones marked.
    assert main(["plan", "-f", str(project_file), "--env", "prod", "--app", "orders", "--json"]) == 0
    stacks = json.loads(capsys.readouterr().out)["stacks"]
    assert [(s["name"], s.get("upstream", False)) for s in stacks] == [
        ("cache-project/global", True), ("cache-environment/prod", True), ("cache-web/prod", True),
        ("cache-orders/prod", False)]
    assert all(s["resources"] for s in stacks)


def test_the_api_plans_with_the_cache_and_can_do_without(project_file: Path) -> None:
    project = api.load(project_file)
    first = project.plan(app="shop")
    assert not any(s.cached for s in first.stacks)
    assert all(s.cached for s in project.plan(app="shop").stacks)
    assert not any(s.cached for s in project.plan(app="shop", cache=False).stacks)
    assert [s.spec.name for s in first.stacks if not s.upstream] == ["cache-shop/test", "cache-shop/prod"]


# Data and an addon: the storage stack reads the environment's data, an application the data it links,
# and the addons' templates are files, not settings, so they are keyed beside them.
DATA_YAML = """\
project: {name: kept, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
data:
  orders: {kind: postgres}
  uploads: {kind: bucket}
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    link: [orders]
    addons: addons/web
  shop:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    path: /shop
"""
ADDON = """\
Parameters:
  App: {Type: String}
  Env: {Type: String}
  Name: {Type: String}
Resources:
  cache:
    Type: AWS::S3::Bucket
Outputs:
  cacheName: {Value: !Ref cache}
"""


def data_project(root: Path, text: str, addon: str) -> api.Project:
    (root / "addons" / "web").mkdir(parents=True, exist_ok=True)
    (root / "addons" / "web" / "cache.yml").write_text(addon)
    (root / "ecsp.yaml").write_text(text)
    return api.load(root / "ecsp.yaml")


def test_data_and_addons_are_in_the_key(tmp_path: Path) -> None:
    root, fresh = tmp_path / "cached", tmp_path / "fresh"
    assert not any(s.cached for s in data_project(root, DATA_YAML, ADDON).plan().stacks)
    assert all(s.cached for s in data_project(root, DATA_YAML, ADDON).plan().stacks)
    # Data an application does not link: the storage stack only.
    edited = DATA_YAML.replace("  uploads: {kind: bucket}\n", "  uploads: {kind: bucket, versioning: false}\n")
    assert edited != DATA_YAML
    assert planned(data_project(root, edited, ADDON).plan()) == {"kept-storage/test"}
    # Data it links: the storage stack and that application.
    edited = edited.replace("  orders: {kind: postgres}\n", "  orders: {kind: postgres, version: \"16.6\"}\n")
    assert planned(data_project(root, edited, ADDON).plan()) == {"kept-storage/test", "kept-web/test"}
    # An addon's template: at least the storage stack that deploys it and the application it serves.
    changed = ADDON.replace("  cacheName: {Value: !Ref cache}\n",
                            "  cacheName: {Value: !Ref cache}\n  cacheArn: {Value: !GetAtt cache.Arn}\n")
    cached = data_project(root, edited, changed).plan()
    assert {"kept-storage/test", "kept-web/test"} <= planned(cached)
    assert documents(cached) == documents(data_project(fresh, edited, changed).plan(cache=False))
