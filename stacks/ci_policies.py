"""The GitHub Actions roles' IAM documents, as pure functions of plain values (ARNs, names, claims).

A job proves who it is with GitHub's OIDC token: its ``aud`` claim is ``sts.amazonaws.com`` and its
``sub`` claim names the repository and what the job runs for: ``repo:OWNER/NAME:ref:refs/heads/BRANCH``
for a job on a branch push without a GitHub environment, ``repo:OWNER/NAME:environment:ENV`` for a
job behind the GitHub environment ENV (whose required reviewers approved it), and
``repo:OWNER/NAME:pull_request`` for a pull request's job. Each role trusts exactly one subject,
with both claims pinned (``StringEquals``, no wildcards). Its permissions are those of a
pipeline's build in the project account (:func:`stacks.pipeline_policies.deployer_statements`):
the environment's own stacks are deployed through the environment's deploy role, whose policy is
the pipelines' :func:`stacks.pipeline_policies.deploy_role_policy`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ecsp import naming
from stacks._iam import VERSION
from stacks.pipeline_policies import Document, deployer_statements


def oidc_provider_arn(partition: str, account: str) -> str:
    """The ARN of the account's GitHub OIDC provider (IAM names it after the issuer's host)."""
    return f"arn:{partition}:iam::{account}:oidc-provider/{naming.GITHUB_OIDC_HOST}"


def github_trust(provider_arn: str, subject: str) -> Document:
    """Only GitHub's tokens for ``subject``, meant for AWS STS, may assume the role (web identity)."""
    host = naming.GITHUB_OIDC_HOST
    return {"Version": VERSION, "Statement": [
        {"Sid": "GithubActions", "Effect": "Allow", "Principal": {"Federated": provider_arn},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {f"{host}:aud": naming.GITHUB_OIDC_AUDIENCE, f"{host}:sub": subject}}}]}


def github_role_policy(*, partition: str, account: str, repositories: Sequence[str], deploy_roles: Sequence[str],
                       backend: str, secrets_provider: str) -> Document:
    """What a job's ``ecsp up --env E --deploy-role ARN`` needs from the project account."""
    return {"Version": VERSION, "Statement": deployer_statements(
        partition=partition, repositories=repositories, deploy_roles=deploy_roles, backend=backend,
        secrets_provider=secrets_provider, account=account)}
