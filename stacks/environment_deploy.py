"""The environment's deploy role: what a release pipeline's build assumes to deploy this environment's stacks.

Created only when a pipeline (``pipelines:`` in ecsp.yaml) has a stage for the environment,
so configs without pipelines get exactly the environment stack they had. The role lives at
the pipeline role path (:data:`ecsp.naming.PIPELINE_ROLE_PATH`) under a fixed name, so the
pipeline stack knows its ARN without reading this stack; its trust and permissions are the
pure documents of :mod:`stacks.pipeline_policies`. It carries the environment's permissions
boundary, and may create and change roles only with that boundary attached.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws, _iam
from stacks import pipeline_policies as policies


class DeployRole(pulumi.ComponentResource):
    """A role in the environment's account that only the deploying pipelines' build roles may assume."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, *, project: str, environment: str, region: str, pipelines: list[str],
                 partition: pulumi.Input[str], account: pulumi.Input[str], project_account: pulumi.Input[str],
                 zone: str | None, dns_delegation_role: pulumi.Input[str] | None, boundary: pulumi.Input[str],
                 provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:environment:DeployRole", name, None, opts)
        build_roles = [naming.PipelineNames(project, p).build_role for p in pipelines]
        trust = pulumi.Output.all(partition, project_account).apply(lambda a: json.dumps(policies.deploy_role_trust(
            a[0], a[1], [naming.role_arn(a[0], a[1], r, naming.PIPELINE_ROLE_PATH) for r in build_roles]),
            sort_keys=True))
        role = _iam.role(
            name, boundary=boundary, name=naming.deploy_role(project, environment), path=naming.PIPELINE_ROLE_PATH,
            assume_role_policy=trust,
            description=f"ecsp: pipelines {', '.join(pipelines)} deploy environment {environment} through this role",
            # `ecsp up` through this role runs for up to an hour; the default session is one hour too.
            max_session_duration=3600,
            opts=_aws.opts(provider, self))
        policy = pulumi.Output.all(partition, account, dns_delegation_role, boundary).apply(
            lambda a: json.dumps(policies.deploy_role_policy(
                partition=a[0], account=a[1], region=region, project=project, environment=environment,
                zone=zone, dns_delegation_role=a[2], boundary=a[3]), sort_keys=True))
        aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=_aws.opts(provider, self))
        self.arn = role.arn
        self.register_outputs({"arn": self.arn})
