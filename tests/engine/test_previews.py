"""Preview environments on the fake engine: create (like an environment, cheaper), list with expiry, expire, destroy;
the config a preview gets, and the errors for names, templates and flags that cannot work.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecsp import api, previews
from ecsp.cli import main
from ecsp.engine.fake import FakeEngine
from ecsp.errors import UsageError
from ecsp.previews import Preview

YAML = """\
project: {name: shop, region: us-east-1, domain: example.com}
environments:
  test:
    region: us-east-1
    network: {nat: single}
  prod: {region: us-west-2, account: "222222222222", network: {nat: per-az}}
applications:
  web:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 80
    count: {min: 2, max: 6, cpu_percentage: 70}
    aliases: [www.test.shop.example.com]
    environments:
      prod: {count: 3, aliases: [www.prod.shop.example.com]}
  api:
    image: {location: public.ecr.aws/nginx/nginx:stable}
    port: 8080
    path: /api
    environments:
      test: {count: 2, memory: 1024}
"""
PREVIEW = ["shop-environment/pr-42", "shop-web/pr-42", "shop-api/pr-42"]


@pytest.fixture
def file(tmp_path: Path) -> str:
    path = tmp_path / "ecsp.yaml"
    path.write_text(YAML)
    return str(path)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine(deployed=["shop-project/global", "shop-environment/test"])
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: fake)
    return fake


def test_a_preview_is_made_like_its_template_but_cheaper(file: str) -> None:
    project = api.load(file)
    preview = project.with_previews([Preview("pr-42", "test", datetime(2030, 1, 1, tzinfo=UTC))])
    config = preview.config
    env = config.environments["pr-42"]
    assert (env.region, env.network.nat) == ("us-east-1", "none")  # test's region, without its NAT
    web, app = config.application("pr-42", "web"), config.application("pr-42", "api")
    assert web.desired_count == 1 and web.autoscaling is None  # test's 2..6 autoscaling becomes one task
    assert web.aliases == []  # www.test.shop.example.com stays test's
    assert (app.desired_count, app.memory) == (2, 1024)  # test's override sets a count: kept
    # ecsp.yaml's own environments are untouched; the stacks carry the preview's record as tags.
    assert config.application("test", "web").aliases == ["www.test.shop.example.com"]
    env_stack = preview.stacks("pr-42")["shop-environment/pr-42"]
    assert env_stack.tags() == {"ecsp:project": "shop", "ecsp:environment": "pr-42", "ecsp:preview-of": "test",
                                "ecsp:expires": "2030-01-01T00:00:00+00:00"}
    assert "ecsp:preview-of" not in preview.stacks("test")["shop-environment/test"].tags()
    # AWS resources keep the kind's tags: a renewed expiry must not update every resource.
    assert env_stack.resource_tags() == {"ecsp:project": "shop", "ecsp:environment": "pr-42"}


def test_like_an_environment_in_another_account(file: str) -> None:
    config = api.load(file).with_previews([Preview("pr-7", "prod", datetime(2030, 1, 1, tzinfo=UTC))]).config
    assert config.account_of("pr-7") == "222222222222" and config.environments["pr-7"].network.nat == "none"
    assert config.application("pr-7", "web").desired_count == 3  # prod's override sets the count


def test_private_placement_keeps_the_nat_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "ecsp.yaml"
    path.write_text(YAML.replace("    path: /api\n", "    path: /api\n    placement: private\n"))
    config = api.load(path).with_previews([Preview("pr-1", "test", datetime(2030, 1, 1, tzinfo=UTC))]).config
    assert config.environments["pr-1"].network.nat == "single"


def test_lifecycle_create_list_expire_destroy(file: str, engine: FakeEngine,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # create: its own stacks, the project stack read as it is
    assert main(["up", "-f", file, "--env", "pr-42", "--like", "test", "--ttl", "2h", "--progress", "none"]) == 0
    assert engine.order("up") == PREVIEW
    made = engine.contexts[0].config
    assert made.environments["pr-42"].network.nat == "none"
    expires = datetime.fromisoformat(engine.tags["shop-environment/pr-42"]["ecsp:expires"])
    assert timedelta(hours=2) - timedelta(minutes=1) < expires - datetime.now(UTC) <= timedelta(hours=2)
    assert main(["up", "-f", file, "--env", "pr-7", "--like", "test", "--ttl", "3d", "--progress", "none"]) == 0

    # list: ls shows both previews with what they are like and when they expire (no AWS: the backend's tags)
    capsys.readouterr()
    assert main(["ls", "-f", file, "--json"]) == 0
    rows = {row["stack"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["shop-environment/pr-42"]["preview"]["like"] == "test"
    assert rows["shop-environment/pr-42"]["preview"]["expired"] is False
    assert rows["shop-web/pr-42"]["status"] == "deployed" and rows["shop-web/pr-42"]["environment"] == "pr-42"
    assert rows["shop-environment/test"]["preview"] is None
    assert main(["ls", "-f", file]) == 0
    table = capsys.readouterr().out
    assert "preview environments" in table and "pr-42 " in table and " test " in table

    # expire: three hours on, pr-42 has expired and pr-7 has not
    project = api.load(file)
    later = datetime.now(UTC) + timedelta(hours=3)
    assert [p.name for p in project.expired_previews(now=later)] == ["pr-42"]
    engine.calls.clear()
    result = project.destroy(expired=True, now=later, progress=False)
    assert result.ok and engine.order("destroy") == ["shop-api/pr-42", "shop-web/pr-42", "shop-environment/pr-42"]
    assert "shop-environment/pr-7" in engine.state and "shop-environment/test" in engine.state
    assert project.expired_previews(now=later) == []
    assert project.destroy(expired=True, now=later, progress=False).stacks == []  # nothing left to expire

    # destroy by name: the preview is found in the backend; ecsp.yaml never named it
    engine.calls.clear()
    assert main(["destroy", "-f", file, "--env", "pr-7", "--yes", "--progress", "none"]) == 0
    assert engine.order("destroy") == ["shop-api/pr-7", "shop-web/pr-7", "shop-environment/pr-7"]
    assert set(engine.state) == {"shop-project/global", "shop-environment/test"}


def test_destroy_expired_from_the_cli_asks_first_and_says_when_there_is_nothing(
        file: str, engine: FakeEngine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["destroy", "-f", file, "--expired", "--yes"]) == 0
    assert "nothing to destroy: no preview environment has expired" in capsys.readouterr().err
    project = api.load(file)
    past = Preview("pr-3", "test", datetime.now(UTC) - timedelta(minutes=5))
    project.with_previews([past]).up(env="pr-3", engine=engine, progress=False)
    assert main(["destroy", "-f", file, "--expired", "--progress", "none"]) == 2  # no terminal: --yes is needed
    assert "shop-environment/pr-3" in engine.state
    assert main(["destroy", "-f", file, "--expired", "--yes", "--progress", "none"]) == 0
    assert "shop-environment/pr-3" not in engine.state
    assert main(["destroy", "-f", file, "--expired", "--env", "pr-3", "--yes"]) == 2
    assert "--expired selects the expired preview environments" in capsys.readouterr().err


def test_up_again_renews_the_expiry_and_keeps_the_template(file: str, engine: FakeEngine) -> None:
    project = api.load(file)
    project.up(env="pr-42", like="test", ttl="1h", progress=False)
    first = engine.tags["shop-environment/pr-42"]["ecsp:expires"]
    project.up(env="pr-42", ttl="5d", progress=False)  # an existing preview, by name: a new expiry
    renewed = datetime.fromisoformat(engine.tags["shop-environment/pr-42"]["ecsp:expires"])
    assert renewed - datetime.fromisoformat(first) > timedelta(days=4)
    assert engine.tags["shop-environment/pr-42"]["ecsp:preview-of"] == "test"
    with pytest.raises(UsageError, match="preview pr-42 exists, like environment 'test', not 'prod'"):
        project.up(env="pr-42", like="prod", progress=False)


@pytest.mark.parametrize(("argv", "message"), [
    (["--env", "pr-42", "--like", "tset"], "--like tset: ecsp.yaml has no environment 'tset' (environments: test, "
                                           "prod)\n  fix: did you mean --like test?"),
    (["--env", "prod", "--like", "test"], "--env prod: 'prod' is an environment of ecsp.yaml; a preview needs a name "
                                          "of its own, e.g. pr-42"),
    (["--env", "PR_42", "--like", "test"], "--env PR_42: 'PR_42' is not a valid environment name; use lowercase "
                                           "letters, digits and single hyphens, starting with a letter, e.g. 'pr-42'"),
    (["--env", "pr-42-a-very-long-name", "--like", "test"], "'pr-42-a-very-long-name' is 22 characters; environment "
                                                            "names are at most 16"),
    (["--env", "pr-1", "--env", "pr-2", "--like", "test"], "--like makes one preview environment; give exactly one "
                                                           "--env"),
    (["--env", "pr-9"], "no environment named 'pr-9' in ecsp.yaml, nor a preview environment of that name in the "
                        "state backend\n  fix: use one of: test, prod; or create a preview: ecsp up --env pr-9 --like "
                        "test"),
    (["--env", "test", "--ttl", "3d"], "--ttl sets a preview environment's expiry; the environments named are "
                                       "ecsp.yaml's"),
    (["--env", "pr-42", "--like", "test", "--ttl", "3w"], "argument --ttl: --ttl 3w: '3w' is not a duration"),
    (["--env", "pr-42", "--like", "test", "--ttl", "91d"], "--ttl 91d is outside what a preview may live"),
])
def test_bad_preview_requests_are_usage_errors_before_anything_runs(
        argv: list[str], message: str, file: str, engine: FakeEngine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "-f", file, *argv, "--progress", "none"]) == 2
    assert message in capsys.readouterr().err
    assert engine.calls == []


def test_a_preview_whose_template_left_ecsp_yaml_says_so(file: str, engine: FakeEngine, tmp_path: Path) -> None:
    api.load(file).up(env="pr-42", like="prod", progress=False)
    without_prod = (YAML.replace('  prod: {region: us-west-2, account: "222222222222", network: {nat: per-az}}\n', "")
                    .replace("    environments:\n      prod: {count: 3, aliases: [www.prod.shop.example.com]}\n", ""))
    Path(file).write_text(without_prod)
    with pytest.raises(UsageError, match=r"preview pr-42 is like environment 'prod', which ecsp\.yaml no longer has"):
        api.load(file).destroy(env="pr-42", progress=False)


def test_ttl_and_tags_round_trip() -> None:
    assert previews.ttl("3d") == timedelta(days=3) and previews.ttl(None) == timedelta(days=3)
    record = Preview("pr-1", "test", datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC))
    assert Preview.from_tags("pr-1", record.tags()) == record
    assert Preview.from_tags("pr-1", {"ecsp:preview-of": "test", "ecsp:expires": "soon"}) is None
    assert Preview.from_tags("e0", {"ecsp:project": "shop"}) is None
