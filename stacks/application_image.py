"""An application's container image: an existing URI as is, or a Dockerfile built and pushed to the project's ECR.

Builds use pulumi-docker-build (a custom resource, so the build shows in the graph with
its inputs). The image is pushed to the project's repository for the environment's
region, with credentials of the project account, which owns the repository (environment
accounts may only pull). The task definition uses the pushed ``ref``, which carries the
image digest, so every new build yields a new task definition revision.

The program reads no files, so two values come from the edge through the
:class:`~ecsp.context.StackContext`:

* ``image_tag``: the tag to push, a content hash of the build context
  (:func:`ecsp.images.build_tag`), so each build gets its own tag (required when the
  repository's tags are immutable). Without it (offline plans) the tag is a hash of the
  build settings, which is stable across content changes: fine for mutable tags, because
  the digest still changes the task definition.
* ``project_root``: the directory of ecsp.yaml, which ``image.build`` is relative to.
  Without it the context stays relative to the working directory of the Pulumi program.
"""

from __future__ import annotations

import hashlib
import json
import posixpath

import pulumi
import pulumi_aws as aws

from ecsp.config import ImageConfig
from ecsp.images import DOCKER_PLATFORMS


def build_tag(image: ImageConfig, platform: str, image_tag: str | None) -> str:
    """The tag a build is pushed with (see the module docstring)."""
    if image_tag:
        return image_tag
    # The target only when set: tags of builds without one stay what they were.
    settings = json.dumps({"build": image.build, "dockerfile": image.dockerfile, "args": image.args,
                           "platform": platform, **({"target": image.target} if image.target else {})},
                          sort_keys=True)
    return "ecsp-" + hashlib.sha256(settings.encode()).hexdigest()[:12]


def build_context(image: ImageConfig, project_root: str | None) -> tuple[str, str | None]:
    """The build context directory and the Dockerfile path (None: the context's Dockerfile)."""
    assert image.build is not None
    context = posixpath.normpath(posixpath.join(project_root or ".", image.build))
    dockerfile = posixpath.join(context, image.dockerfile) if image.dockerfile else None
    return context, dockerfile


class BuiltImage(pulumi.ComponentResource):
    """A Docker build pushed to the project's ECR repository."""

    image_uri: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        image: ImageConfig,
        platform: str,
        repository_url: pulumi.Input[str],
        registry_provider: aws.Provider,
        project_root: str | None,
        image_tag: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Imported here: only builds need the docker-build SDK.
        import pulumi_docker_build as docker_build

        super().__init__("ecsp:application:BuiltImage", name, None, opts)
        url = pulumi.Output.from_input(repository_url)
        registry = url.apply(lambda u: u.split("/", 1)[0] if u else u)
        # The registry id is the account in the host name (<account>.dkr.ecr.<region>.amazonaws.com).
        token = aws.ecr.get_authorization_token_output(
            registry_id=registry.apply(lambda r: r.split(".", 1)[0] if r else r),
            opts=pulumi.InvokeOutputOptions(provider=registry_provider, parent=self))
        context, dockerfile = build_context(image, project_root)
        tag = build_tag(image, platform, image_tag)
        built = docker_build.Image(
            name,
            context=docker_build.BuildContextArgs(location=context),
            dockerfile=docker_build.DockerfileArgs(location=dockerfile) if dockerfile else None,
            build_args=dict(image.args) or None,
            target=image.target,
            platforms=[docker_build.Platform(DOCKER_PLATFORMS[platform])],
            tags=[url.apply(lambda u: f"{u}:{tag}")],
            push=True,
            # The token is a credential: keep it out of the state in plain text.
            registries=[docker_build.RegistryArgs(address=registry, username=token.user_name,
                                                  password=pulumi.Output.secret(token.password))],
            # Previews stay fast and need no Docker daemon; `up` builds.
            build_on_preview=False,
            # Deleting an Image deletes the tags it pushed. The repository serves every environment
            # of its region, and they push the same content tag: destroying one environment's
            # application (or replacing its build) must not delete the image another one runs.
            # The repository's lifecycle policy prunes old images instead.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True))
        self.image_uri = built.ref
        self.register_outputs({"imageUri": self.image_uri})

