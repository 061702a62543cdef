"""An environment's deploy role: what a release pipeline's build or a GitHub Actions job assumes to deploy it.

Created only when a pipeline (``pipelines:``) or a GitHub workflow (``ci.github``) deploys the
environment, so other configs get exactly the environment stack they had; with
``ci.github.previews``, the template environment's stack also has the preview deploy role, scoped
to the preview environments' names (``pr-*``). The roles live at the pipeline role path
(:data:`ecsp.naming.PIPELINE_ROLE_PATH`) under fixed names, so their deployers know their ARNs
without reading this stack. Trust and permissions are the pure documents of
:mod:`stacks.pipeline_policies`: every deploy role has the one least-privilege inline policy,
:func:`~stacks.pipeline_policies.deploy_role_policy`, and the two managed ones of its environment's
data (:func:`~stacks.pipeline_policies.deploy_role_storage_policies`; one role's inline policies hold
only 10,240 characters). It carries the environment's
deployers' boundary (:func:`stacks.boundary_policies.deployer_boundary`), and may create and change roles
only with the applications' boundary attached.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws, _iam
from stacks import pipeline_policies as policies


class DeployRole(pulumi.ComponentResource):
    """A role in the environment's account that only its deployers, roles in the project account, may assume."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, *, role_name: str, description: str, deployers: list[str], project: str,
                 environment: str, region: str, partition: pulumi.Input[str], account: pulumi.Input[str],
                 project_account: pulumi.Input[str], zone: str | None, dns_delegation_role: pulumi.Input[str] | None,
                 boundary: pulumi.Input[str], applications_boundary: pulumi.Input[str], provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """``deployers``: role names at the pipeline role path; ``environment``: the name (or ``pr-*``) it deploys;
        ``boundary``: the deployers' permissions boundary it carries; ``applications_boundary``: the one
        every role it creates must carry."""
        super().__init__("ecsp:environment:DeployRole", name, None, opts)
        trust = pulumi.Output.all(partition, project_account).apply(lambda a: json.dumps(policies.deploy_role_trust(
            a[0], a[1], [naming.role_arn(a[0], a[1], r, naming.PIPELINE_ROLE_PATH) for r in deployers]),
            sort_keys=True))
        role = _iam.role(
            name, boundary=boundary, name=role_name, path=naming.PIPELINE_ROLE_PATH, assume_role_policy=trust,
            description=description,
            # `ecsp up` through this role runs for up to an hour; the default session is one hour too.
            max_session_duration=3600,
            opts=_aws.opts(provider, self))
        policy = pulumi.Output.all(partition, account, dns_delegation_role, applications_boundary).apply(
            lambda a: json.dumps(policies.deploy_role_policy(
                partition=a[0], account=a[1], region=region, project=project, environment=environment,
                zone=zone, dns_delegation_role=a[2], boundary=a[3]), sort_keys=True))
        aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=_aws.opts(provider, self))
        storage = pulumi.Output.all(partition, account).apply(lambda a: policies.deploy_role_storage_policies(
            partition=a[0], account=a[1], region=region, project=project, environment=environment))
        for part in ("databases", "data"):
            managed = aws.iam.Policy(
                f"{name}-{part}", name=f"{role_name}-{part}", path=naming.PIPELINE_ROLE_PATH,
                description=f"ecsp: what {role_name} may do with the {part} of {project}-{environment}",
                policy=storage.apply(functools.partial(_document, part)), opts=_aws.opts(provider, self))
            aws.iam.RolePolicyAttachment(f"{name}-{part}", role=role.name, policy_arn=managed.arn,
                                         opts=_aws.opts(provider, self))
        self.arn = role.arn
        self.register_outputs({"arn": self.arn})


def _document(part: str, documents: dict[str, Any]) -> str:
    return json.dumps(documents[part], sort_keys=True)
