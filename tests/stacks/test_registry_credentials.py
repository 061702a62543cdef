"""Images from a private registry: ``image.credentials`` and a sidecar's ``credentials`` (Copilot's
``image.credentials`` and ``credentialsParameter``) reach the container definition as ECS's
``repositoryCredentials``, and the execution role may read exactly those secrets."""

from __future__ import annotations

import json

import pytest

from ecsp.errors import ConfigError
from tests import harness
from tests.stacks.test_stack_application import run

LOGIN = "arn:aws:secretsmanager:us-west-2:111111111111:secret:dockerhub-acme-Ab12Cd"
SIDECAR_LOGIN = "arn:aws:secretsmanager:us-west-2:111111111111:secret:quay-robot-Zz99Yy"
CONFIG = f"""\
project: {{name: shop, region: us-west-2, account: "111111111111"}}
environments:
  test: {{region: us-west-2}}
applications:
  api:
    image:
      location: docker.io/acme/api:2.14.1
      credentials: {LOGIN}
    port: 8080
    secrets: {{TOKEN: /shop/token}}
    sidecars:
      agent: {{image: quay.io/acme/agent:1, credentials: {SIDECAR_LOGIN}}}
      proxy: {{image: public.ecr.aws/nginx/nginx:stable, port: 80}}
"""


def test_containers_log_in_to_their_registries_and_the_execution_role_may_read_the_logins() -> None:
    recording, _ = run(harness.config(CONFIG), "test", "api")
    task = recording.one("aws:ecs/taskDefinition:TaskDefinition", "api")
    containers = {c["name"]: c for c in json.loads(task.inputs["containerDefinitions"])}
    assert containers["api"]["repositoryCredentials"] == {"credentialsParameter": LOGIN}
    assert containers["agent"]["repositoryCredentials"] == {"credentialsParameter": SIDECAR_LOGIN}
    assert "repositoryCredentials" not in containers["proxy"]
    policy = json.loads(recording.one("aws:iam/rolePolicy:RolePolicy", "api-secrets").inputs["policy"])
    reads = next(s for s in policy["Statement"] if s["Action"] == ["secretsmanager:GetSecretValue"])
    # Full ARNs (with AWS's random suffix) are granted as written and as partial ARNs.
    assert reads["Resource"] == sorted([LOGIN, f"{LOGIN}-??????", SIDECAR_LOGIN, f"{SIDECAR_LOGIN}-??????"])
    ssm = next(s for s in policy["Statement"] if s["Action"] == ["ssm:GetParameters"])
    assert ssm["Resource"] == ["arn:aws:ssm:us-west-2:111111111111:parameter/shop/token"]


def test_a_login_alone_gives_the_execution_role_its_read() -> None:
    recording, _ = run(harness.config(CONFIG.replace("    secrets: {TOKEN: /shop/token}\n", "").replace(
        "      agent: {image: quay.io/acme/agent:1, credentials: " + SIDECAR_LOGIN + "}\n", "")), "test", "api")
    policy = json.loads(recording.one("aws:iam/rolePolicy:RolePolicy", "api-secrets").inputs["policy"])
    assert [s["Action"] for s in policy["Statement"]] == [["secretsmanager:GetSecretValue"], ["kms:Decrypt"]]


@pytest.mark.parametrize(("edit", "message"), [
    ((f"credentials: {LOGIN}", "credentials: dockerhub-acme"), "'dockerhub-acme' is not a Secrets Manager secret ARN"),
    ((f"credentials: {LOGIN}", "credentials: arn:aws:ssm:us-west-2:111111111111:parameter/login"),
     "is not a Secrets Manager secret ARN"),
    (("location: docker.io/acme/api:2.14.1", "build: ."), "an image ecsp builds goes to the project's ECR repository"),
])
def test_bad_logins_are_refused_with_the_fix(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        harness.config(CONFIG.replace(*edit))
