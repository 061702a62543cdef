"""An application's image built from its Dockerfile on this machine and pushed to the project's ECR, for one task.

``ecsp task run --build`` runs a command in an image of the working tree before it is
deployed (a migration being written, a check of a fix). A deploy builds with
pulumi-docker-build inside the application stack (:mod:`stacks.application_image`); a
one-off task must not touch the stack, so this builds with the local ``docker`` CLI:

* the tag is the deploy's content hash of the build context (:func:`ecsp.images.build_tag`),
  so the same content is the same tag, and an image already in the repository (deployed, or
  built before) is used without building again;
* the repository is the project's for the environment's region (``ecsp/<project>/<app>``, or
  ``<project>/<app>`` with the project's tag for a project deployed before ecsp marked its
  names), read from ECR with the project account's credentials (the project stack's: boto3's
  default), which alone may push;
* the push authenticates with a ``config.json`` of its own (``docker --config DIR push``)
  holding the ECR token, so the token is never in a process's arguments and the user's
  Docker configuration is not changed; the build uses the user's own configuration
  (builders, contexts).

Functions take boto3 clients and raise ecsp errors.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from ecsp import images, naming
from ecsp.aws import NotDeployedError, Where, aws_errors, client_config, error_code, session_for
from ecsp.config import ProjectConfig, ResolvedApplication
from ecsp.errors import EcspError, ToolMissingError, UsageError
from ecsp.kinds import PROJECT_TAG
from ecsp.ops.find import tag_dict

DOCKER = "docker"
STDERR = 2
INSTALL_DOCKER = "install Docker (https://docs.docker.com/get-docker/) and start it, or run an image that exists " \
                 "with --image URI"


class BuildError(EcspError):
    """``docker build`` or ``docker push`` failed: no task was started."""


@dataclass(frozen=True)
class BuiltImage:
    """The image a one-off task runs: its URI (``<repository>:<tag>``), and whether this run built it."""

    uri: str
    built: bool


def _docker(argv: Sequence[str]) -> int:
    # Docker's own progress goes to stderr (stdout may be --json's): a build can take minutes.
    return subprocess.run(list(argv), stdout=STDERR, check=False).returncode


def docker_command() -> str:
    """The ``docker`` executable (ToolMissingError saying how to install it)."""
    found = shutil.which(DOCKER)
    if found is None:
        raise ToolMissingError("--build needs the docker CLI, which is not on PATH", fix=INSTALL_DOCKER)
    return found


def build_arguments(root: Path, app: ResolvedApplication, uri: str) -> list[str]:
    """``docker build`` of the application's image settings (context, Dockerfile, args, target, platform)."""
    image = app.image
    assert image.build is not None
    context = (root / image.build).resolve()
    argv = ["build", "--platform", images.DOCKER_PLATFORMS[app.platform], "--tag", uri]
    if image.dockerfile:
        argv += ["--file", str(context / image.dockerfile)]
    for key in sorted(image.args):
        argv += ["--build-arg", f"{key}={image.args[key]}"]
    if image.target:
        argv += ["--target", image.target]
    return [*argv, str(context)]


@dataclass(frozen=True)
class Repository:
    """The project's ECR repository of one application: its name and its URI."""

    name: str
    uri: str


def _described(ecr: Any, name: str) -> dict[str, Any] | None:
    try:
        found = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    except ClientError as e:
        if error_code(e) != "RepositoryNotFoundException":
            raise
        return None
    return dict(found[0]) if found else None


def project_repository(ecr: Any, project: str, application: str, where: str) -> Repository:
    """The application's repository in the project stack (NotDeployedError when the stack has not made it).

    A project deployed before ecsp marked its names keeps ``<project>/<app>``; Copilot's repositories
    have that shape too, so only one carrying the project's tag is taken for the project's.
    """
    name = naming.ecr_repository(project, application)
    found = _described(ecr, name)
    if found is None:
        earlier = _described(ecr, naming.earlier_ecr_repository(project, application))
        tags = {} if earlier is None else tag_dict(
            ecr.list_tags_for_resource(resourceArn=earlier["repositoryArn"]).get("tags"))
        if earlier is None or tags.get(PROJECT_TAG) != project:
            raise NotDeployedError(f"the ECR repository {name} does not exist in {where}",
                                   fix="deploy the project stack first (`ecsp up`), which creates it")
        found = earlier
    return Repository(str(found["repositoryName"]), str(found["repositoryUri"]))


def pushed(ecr: Any, repository: str, tag: str) -> bool:
    """Whether ``repository`` has an image tagged ``tag``."""
    try:
        return bool(ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"])
    except ClientError as e:
        if error_code(e) == "ImageNotFoundException":
            return False
        raise


def registry_auth(ecr: Any, registry: str) -> dict[str, Any]:
    """A Docker ``config.json`` document letting ``docker push`` reach ``registry`` with an ECR token."""
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    base64.b64decode(token, validate=True)  # "AWS:<password>", as Docker keeps it: refuse anything else early
    return {"auths": {registry: {"auth": token}}}


def check_buildable(app: ResolvedApplication, application: str) -> None:
    """UsageError unless the application's image is built from a Dockerfile."""
    if app.image.build is None:
        raise UsageError(f"'{application}' runs the image {app.image.location}: there is nothing to build",
                         fix="run another image with --image URI, or set image.build in ecsp.yaml")


def build_and_push(root: Path, app: ResolvedApplication, application: str, ecr: Any, repository: Repository, *,
                   say: Callable[[str], None] = lambda _: None) -> BuiltImage:
    """The image of the working tree of a buildable application (:func:`check_buildable`) in the project's
    repository: pushed now, or found there."""
    tag = images.build_tag(root, app)
    assert tag is not None
    uri = f"{repository.uri}:{tag}"
    if pushed(ecr, repository.name, tag):
        say(f"{uri} is in ECR already (the same build context): not building it again")
        return BuiltImage(uri, built=False)
    docker = docker_command()
    say(f"building {uri}")
    status = _docker([docker, *build_arguments(root, app, uri)])
    if status != 0:
        raise BuildError(f"docker build of {application} failed (exit status {status}); no task was started",
                         fix="its output is above; fix the build and run the command again")
    with tempfile.TemporaryDirectory(prefix="ecsp-push-") as folder:
        config = Path(folder) / "config.json"
        config.touch(mode=0o600)
        config.write_text(json.dumps(registry_auth(ecr, uri.split("/", 1)[0])), encoding="utf-8")
        say(f"pushing {uri}")
        status = _docker([docker, "--config", folder, "push", uri])
    if status != 0:
        raise BuildError(f"docker push of {uri} failed (exit status {status}); no task was started",
                         fix="its output is above; the project account's credentials (boto3's default) must be "
                             "allowed to push to the repository")
    return BuiltImage(uri, built=True)


def for_task(config: ProjectConfig, root: Path, env: str, application: str,
             say: Callable[[str], None] = lambda _: None) -> BuiltImage:
    """``task run --build``: the application's image of the working tree, in the repository of ``env``'s region.

    The repository belongs to the project account; its credentials are the project stack's
    (boto3's default), whichever profile the environment uses.
    """
    app = config.application(env, application)
    check_buildable(app, application)
    region = config.environments[env].region
    where = Where(config.project.name, region, kind="project")
    with aws_errors(where):
        ecr = session_for(region).client("ecr", config=client_config())
        repository = project_repository(ecr, config.project.name, application, f"{region} (the project account)")
        return build_and_push(root, app, application, ecr, repository, say=say)


__all__ = ["BuildError", "BuiltImage", "Repository", "build_and_push", "build_arguments", "check_buildable",
           "docker_command", "for_task", "project_repository", "pushed", "registry_auth"]
