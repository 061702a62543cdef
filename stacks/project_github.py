"""The project account's side of GitHub Actions deploys: the OIDC provider and the roles GitHub's jobs assume.

The GitHub OIDC provider is one per account: the project stack creates it, or, with
``ci.github.oidc_provider: existing``, looks the account's up at deploy time. Each environment a
push deploys gets a role that only GitHub's tokens for that job's subject may assume (from
:func:`ecsp.ci.model`), and pull request jobs one more. Their permissions are a pipeline build's
(:func:`stacks.ci_policies.github_role_policy`): push images, use the state, assume the deploy
roles the environment stacks create (:mod:`stacks.environment_deploy`).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from ecsp import ci, naming
from ecsp.config import ProjectConfig
from stacks import _aws, _iam
from stacks import ci_policies as policies


def _repositories(config: ProjectConfig, partition: str, account: str, environments: list[str]) -> list[str]:
    """The ECR repositories the jobs deploying ``environments`` push to (applications built from a Dockerfile)."""
    return sorted({
        f"arn:{partition}:ecr:{config.environments[env].region}:{account}:repository/"
        f"{naming.ecr_repository(config.project.name, app)}"
        for env in environments for app in config.applications
        if config.application(env, app).image.build is not None})


class GithubAccess(pulumi.ComponentResource):
    """The account's GitHub OIDC provider (created or found) and a role per GitHub job subject."""

    provider_arn: pulumi.Output[str]
    role_arns: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, *, config: ProjectConfig, partition: pulumi.Output[str], boundary: pulumi.Input[str],
                 provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        """``boundary``: the project account's permissions boundary, which every role here carries."""
        super().__init__("ecsp:project:GithubAccess", name, None, opts)
        github = config.ci.github
        assert github is not None
        url = f"https://{naming.GITHUB_OIDC_HOST}"
        if github.oidc_provider == "create":
            # No thumbprints: AWS trusts GitHub's issuer through its own certificate authorities.
            self.provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc", url=url, client_id_lists=[naming.GITHUB_OIDC_AUDIENCE],
                opts=_aws.opts(provider, self)).arn
        else:
            self.provider_arn = aws.iam.get_open_id_connect_provider_output(
                url=url, opts=pulumi.InvokeOutputOptions(provider=provider, parent=self)).arn
        state = config.state
        arns: dict[str, pulumi.Output[str]] = {}

        def role(logical: str, role_name: str, subject: str, environments: list[str], description: str) -> None:
            model = partition.apply(lambda p: ci.model(config, p))
            trust = pulumi.Output.all(self.provider_arn).apply(
                lambda a: json.dumps(policies.github_trust(a[0], subject), sort_keys=True))
            created = _iam.role(
                logical, boundary=boundary, name=role_name, path=naming.PIPELINE_ROLE_PATH, assume_role_policy=trust,
                description=description, max_session_duration=3600, opts=_aws.opts(provider, self))
            policy = model.apply(lambda m: json.dumps(policies.github_role_policy(
                partition=m.partition, account=m.project_account,
                repositories=_repositories(config, m.partition, m.project_account, environments),
                deploy_roles=m.deploy_roles_of(role_name),
                backend=state.backend or "", secrets_provider=state.secrets_provider), sort_keys=True))
            aws.iam.RolePolicy(logical, role=created.id, policy=policy, opts=_aws.opts(provider, self))
            arns[role_name] = created.arn

        shape = ci.model(config)  # names and subjects do not depend on the partition
        for deploy in shape.deploys:
            previews = [shape.previews.like] if shape.previews and deploy is shape.deploys[0] else []
            role(f"{name}-{deploy.environment}", deploy.role, deploy.subject, [deploy.environment, *previews],
                 f"ecsp: GitHub Actions ({shape.repository}) deploy environment {deploy.environment}")
        first = shape.deploys[0].environment
        role(f"{name}-pull-requests", shape.pull_request_role, shape.pull_request_subject,
             [first, *([shape.previews.like] if shape.previews else [])],
             f"ecsp: GitHub Actions ({shape.repository}) pull requests: preview {first}"
             + (f", preview environments like {shape.previews.like}" if shape.previews else ""))
        self.role_arns = pulumi.Output.all(**arns).apply(lambda a: dict(a))
        self.register_outputs({"providerArn": self.provider_arn, "roleArns": self.role_arns})
