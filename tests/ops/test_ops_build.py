"""`ecsp task run --build`: the working tree's image built with docker, pushed to the project's ECR, then run.

ECR (repositories, images, the authorization token) and ECS are moto's server. There is no
Docker daemon here: ``docker`` is a fake executable first on PATH that records each call's
arguments and, for a push, the ``config.json`` it was given, and fails when told to.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from ecsp import api, cli, images, loader
from ecsp.aws import NotDeployedError
from ecsp.errors import ToolMissingError, UsageError
from ecsp.ops import build, tasks
from tests import ops_support as aws

moto, aws_is_moto = aws.moto, aws.aws_is_moto  # fixtures

CONFIG = """\
project: {name: shop, region: us-east-1}
environments:
  test: {region: us-east-1}
applications:
  web:
    image: {build: web, dockerfile: Dockerfile.run, args: {PYTHON: "3.12"}, target: app}
    port: 80
    path: /
    platform: linux/arm64
  api: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 8080, path: /api}
"""

FAKE_DOCKER = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
record = {{"args": args}}
if args[:1] == ["--config"]:
    record["config"] = json.load(open(os.path.join(args[1], "config.json")))
    record["mode"] = oct(os.stat(os.path.join(args[1], "config.json")).st_mode & 0o777)
with open(os.environ["FAKE_DOCKER_CALLS"], "a") as calls:
    calls.write(json.dumps(record) + "\\n")
verb = args[2] if args[:1] == ["--config"] else args[0]
print(f"fake docker {{verb}} output")
sys.exit(int(os.environ.get("FAKE_DOCKER_FAIL_" + verb.upper(), "0")))
"""


@pytest.fixture
def docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fake docker on PATH; returns the file its calls are written to."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "docker"
    fake.write_text(FAKE_DOCKER.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / "docker-calls.jsonl"
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_DOCKER_CALLS", str(calls))
    return calls


def docker_calls(calls: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "shop"
    (folder / "web").mkdir(parents=True)
    (folder / "web" / "Dockerfile.run").write_text("FROM python:3.12-slim AS app\nCOPY . /app\n")
    (folder / "web" / "migrate.py").write_text("print('migrated')\n")
    (folder / "ecsp.yaml").write_text(CONFIG)
    monkeypatch.setenv("COLUMNS", "250")
    return folder / "ecsp.yaml"


@pytest.fixture
def deployed(moto: str) -> aws.Environment:
    """The environment and the web service (moto), and the project's ECR repository of web."""
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web", runnable=True)
    aws.client(moto, "ecr").create_repository(repositoryName="ecsp/shop/web")
    return env


def repository_uri(moto: str) -> str:
    return str(aws.client(moto, "ecr").describe_repositories(repositoryNames=["ecsp/shop/web"])["repositories"][0]
               ["repositoryUri"])


def started_images(moto: str) -> list[str]:
    ecs = aws.client(moto, "ecs")
    arns = ecs.list_tasks(cluster="shop-test-1a2b3c4")["taskArns"] + \
        ecs.list_tasks(cluster="shop-test-1a2b3c4", desiredStatus="STOPPED")["taskArns"]
    found = ecs.describe_tasks(cluster="shop-test-1a2b3c4", tasks=arns)["tasks"] if arns else []
    return [ecs.describe_task_definition(taskDefinition=t["taskDefinitionArn"])["taskDefinition"]
            ["containerDefinitions"][0]["image"] for t in found]


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "_sleep", lambda _: None)


def test_build_pushes_the_working_tree_then_runs_it(deployed: aws.Environment, aws_is_moto: str, project: Path,
                                                      docker: Path, fast: None,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["task", "run", "web", "--env", "test", "--build", "-f", str(project), "--",
                     "python", "migrate.py"])

    out, err = capfd.readouterr()
    assert code == 0, err
    config = loader.load(project)
    tag = images.build_tag(project.parent, config.application("test", "web"))
    uri = f"{repository_uri(aws_is_moto)}:{tag}"
    context = str((project.parent / "web").resolve())
    built, pushed = docker_calls(docker)
    # The application's build settings, as a deploy's build uses them.
    assert built["args"] == ["build", "--platform", "linux/arm64", "--tag", uri, "--file",
                             f"{context}/Dockerfile.run", "--build-arg", "PYTHON=3.12", "--target", "app", context]
    assert pushed["args"][0] == "--config" and pushed["args"][2:] == ["push", uri]
    # The token reaches docker in a file only it reads, not in any process's arguments.
    registry = uri.split("/", 1)[0]
    token = pushed["config"]["auths"][registry]["auth"]
    assert base64.b64decode(token).decode().startswith("AWS:") and pushed["mode"] == "0o600"
    assert not any(token in " ".join(c["args"]) for c in docker_calls(docker))
    assert not Path(pushed["args"][1]).exists()  # the folder with the token is gone
    assert f"built and pushed {uri}" in err and "fake docker build output" in err
    assert "fake docker" not in out  # stdout is the task's: docker's output goes to stderr
    assert started_images(aws_is_moto) == [uri]


def test_an_image_already_in_ecr_is_not_built_again(deployed: aws.Environment, aws_is_moto: str, project: Path,
                                                     docker: Path, fast: None) -> None:
    config = loader.load(project)
    tag = images.build_tag(project.parent, config.application("test", "web"))
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + "1" * 64, "size": 1, "mediaType": "x"}, "layers": []})
    aws.client(aws_is_moto, "ecr").put_image(repositoryName="ecsp/shop/web", imageManifest=manifest, imageTag=tag)

    items = list(api.load(project).run_task("web", "test", ["./check"], build=True))

    assert docker_calls(docker) == []
    first = items[0]
    assert isinstance(first, build.BuiltImage) and not first.built
    assert first.uri == f"{repository_uri(aws_is_moto)}:{tag}"
    assert started_images(aws_is_moto) == [first.uri]
    # Any change to the context is another tag: built again.
    (project.parent / "web" / "migrate.py").write_text("print('migrated twice')\n")
    items = list(api.load(project).run_task("web", "test", ["./check"], build=True, follow=False))
    assert isinstance(items[0], build.BuiltImage) and items[0].built and items[0].uri != first.uri
    assert [c["args"][0] for c in docker_calls(docker)] == ["build", "--config"]


@pytest.mark.parametrize("step", ["build", "push"])
def test_a_failed_build_or_push_starts_no_task(deployed: aws.Environment, aws_is_moto: str, project: Path,
                                                docker: Path, step: str, monkeypatch: pytest.MonkeyPatch,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(f"FAKE_DOCKER_FAIL_{step.upper()}", "7")

    code = cli.main(["task", "run", "web", "--env", "test", "--build", "-f", str(project), "--", "./check"])

    _, err = capfd.readouterr()
    assert code == 1
    assert f"docker {step} " in err and "failed (exit status 7); no task was started" in err
    assert started_images(aws_is_moto) == []


def test_without_the_project_stack_there_is_no_repository(moto: str, aws_is_moto: str, project: Path,
                                                           docker: Path) -> None:
    aws.deploy_environment(moto, "shop", "test")
    with pytest.raises(NotDeployedError, match=r"the ECR repository ecsp/shop/web does not exist in us-east-1") as e:
        list(api.load(project).run_task("web", "test", ["./check"], build=True))
    assert "ecsp up" in str(e.value.fix)
    assert docker_calls(docker) == []


def test_a_project_deployed_before_ecsp_marked_its_names_pushes_to_its_earlier_repository(
        moto: str, aws_is_moto: str, project: Path, docker: Path, fast: None) -> None:
    env = aws.deploy_environment(moto, "shop", "test")
    aws.deploy_application(moto, env, "web", runnable=True)
    ecr = aws.client(moto, "ecr")
    earlier = ecr.create_repository(repositoryName="shop/web", tags=[{"Key": "ecsp:project", "Value": "shop"}])

    items = list(api.load(project).run_task("web", "test", ["./check"], build=True, follow=False))

    built = items[0]
    assert isinstance(built, build.BuiltImage) and built.built
    assert built.uri.startswith(earlier["repository"]["repositoryUri"] + ":")
    assert started_images(aws_is_moto) == [built.uri]


def test_copilot_s_repository_of_the_same_name_is_not_the_project_s(moto: str, aws_is_moto: str, project: Path,
                                                                     docker: Path) -> None:
    aws.deploy_environment(moto, "shop", "test")
    aws.client(moto, "ecr").create_repository(repositoryName="shop/web",
                                               tags=[{"Key": "copilot-application", "Value": "shop"}])
    with pytest.raises(NotDeployedError, match=r"the ECR repository ecsp/shop/web does not exist"):
        list(api.load(project).run_task("web", "test", ["./check"], build=True))
    assert docker_calls(docker) == []


def test_build_needs_a_dockerfile_and_not_image_too(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError, match=r"'api' runs the image public\.ecr\.aws/nginx/nginx:stable: there is nothing"):
        api.load(project).run_task("api", "test", ["./check"], build=True)
    with pytest.raises(UsageError, match="not both"):
        api.load(project).run_task("web", "test", ["./check"], build=True, image="busybox")
    assert cli.main(["task", "run", "web", "--env", "test", "--build", "--image", "x", "-f", str(project), "--",
                     "./check"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_no_docker_says_how_to_get_it(deployed: aws.Environment, aws_is_moto: str, project: Path,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(project.parent))  # no docker there

    code = cli.main(["task", "run", "web", "--env", "test", "--build", "-f", str(project), "--", "./check"])

    assert code == ToolMissingError.exit_code
    err = capsys.readouterr().err
    assert "--build needs the docker CLI" in err and "--image URI" in err
