"""An application's IAM roles: the task execution role (image pull, logs, exactly its own secrets) and the task role.

The policy documents are pure functions of plain values so their exact resources can be
read and tested without Pulumi; the component resolves account and partition (Outputs)
and calls them inside ``apply``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import secret_kind
from stacks import _aws, _iam
from stacks._iam import VERSION, service_trust

EXECUTION_POLICY = "policy/service-role/AmazonECSTaskExecutionRolePolicy"
# What that AWS managed policy grants, on "*" (its version 1, unchanged since 2017).
EXECUTION_POLICY_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetAuthorizationToken",
    "ecr:GetDownloadUrlForLayer",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
)
# Reading a secret from each store ECS reads them from.
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue", "ssm:GetParameters")
# What the SSM agent inside a task needs for `aws ecs execute-command`.
EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
# The cluster logs exec sessions the DEFAULT way: the agent writes them, with the task role's
# credentials, to the container's awslogs group (Copilot grants the same, on every group).
EXEC_LOG_ACTIONS = (
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)
# A full Secrets Manager ARN ends with "-" and six random characters. A partial one (the name
# only) may end the same way ("db-secret", "app-apikey"): such an ARN is ambiguous.
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


@dataclass(frozen=True)
class SecretRef:
    """One secret environment variable: where ECS reads it and what IAM must allow."""

    name: str
    store: Literal["ssm", "secretsmanager"]
    value_from: str  # what the container definition's `valueFrom` says
    resources: tuple[str, ...]  # IAM resources (and KMS encryption-context patterns) matching the secret
    region: str


def secret_refs(secrets: Mapping[str, str], *, region: str, account: str, partition: str) -> list[SecretRef]:
    """The application's secrets, sorted by variable name, with full ARNs.

    SSM parameter names become parameter ARNs in the environment's account and region
    (ECS accepts either, IAM needs the ARN). ARNs are used as they are; a Secrets
    Manager ARN may carry ECS's ``:json-key:version-stage:version-id`` suffix, which IAM
    does not know, and may be partial (no random suffix), which IAM matches with ``-??????``.
    IAM evaluates the secret's full ARN, so an ARN that may be either (it ends like a random
    suffix) is granted both ways; granting it only as full would deny a partial one at task start.
    """
    refs = []
    for name in sorted(secrets):
        ref = secrets[name]
        store = secret_kind(ref)
        if store is None:
            raise ValueError(f"secret {name}: '{ref}' is neither an SSM parameter nor a Secrets Manager secret")
        if store == "ssm":
            arn = ref if ref.startswith("arn:") else \
                f"arn:{partition}:ssm:{region}:{account}:parameter/{ref.removeprefix('/')}"
            refs.append(SecretRef(name, store, arn, (arn,), arn.split(":")[3]))
        else:
            secret_arn = ":".join(ref.split(":")[:7])
            partial = f"{secret_arn}-??????"
            resources = (secret_arn, partial) if _SECRET_SUFFIX.search(secret_arn) else (partial,)
            refs.append(SecretRef(name, store, ref, resources, ref.split(":")[3]))
    return refs


def assume_role_policy() -> str:
    return json.dumps(service_trust("ecs-tasks.amazonaws.com"), sort_keys=True)


def key_arns(refs: Sequence[SecretRef], partition: str) -> list[str]:
    """The KMS keys that may protect ``refs``: any key of each secret's own account and region.

    Which key encrypts a secret is the user's choice and unknown here; SSM and Secrets Manager
    call KMS in the secret's region, and a secret's key lives in its account (a Secrets Manager
    secret encrypted with a third account's key needs that key granted by hand).
    """
    return sorted({f"arn:{partition}:kms:{r.region}:{r.resources[0].split(':')[4]}:key/*" for r in refs})


def secrets_policy(refs: Sequence[SecretRef]) -> dict[str, Any] | None:
    """Read access to exactly ``refs``, and kms:Decrypt only as those stores decrypt them; None without secrets.

    kms:Decrypt is scoped to the keys of the secrets' accounts and regions (:func:`key_arns`),
    and only for calls made through SSM or Secrets Manager in those regions (``kms:ViaService``)
    for exactly these secrets (their ARN is the KMS encryption context those services send).
    """
    statements: list[dict[str, Any]] = []
    for store, action, context_key in (
        ("ssm", "ssm:GetParameters", "kms:EncryptionContext:PARAMETER_ARN"),
        ("secretsmanager", "secretsmanager:GetSecretValue", "kms:EncryptionContext:SecretARN"),
    ):
        chosen = [r for r in refs if r.store == store]
        if not chosen:
            continue
        resources = sorted({resource for r in chosen for resource in r.resources})
        services = sorted({f"{store}.{r.region}.amazonaws.com" for r in chosen})
        partition = chosen[0].resources[0].split(":")[1]
        statements.append({"Effect": "Allow", "Action": [action], "Resource": resources})
        statements.append({
            "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": key_arns(chosen, partition),
            "Condition": {"StringEquals": {"kms:ViaService": services}, "StringLike": {context_key: resources}},
        })
    return {"Version": VERSION, "Statement": statements} if statements else None


def log_group_arn(log_group: str, *, region: str, account: str, partition: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}"


def exec_policy(log_group_arn: str) -> str:
    """ECS Exec: the SSM agent's channels, and writing the session logs to the application's log group."""
    return json.dumps({"Version": VERSION, "Statement": [
        {"Effect": "Allow", "Action": list(EXEC_ACTIONS), "Resource": "*"},
        {"Effect": "Allow", "Action": list(EXEC_LOG_ACTIONS), "Resource": [log_group_arn, f"{log_group_arn}:*"]},
        # The agent checks the group's encryption before it streams; DescribeLogGroups lists, so "*".
        {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": "*"},
    ]}, sort_keys=True)


class TaskRoles(pulumi.ComponentResource):
    """The task execution role and the task role of one application.

    ``execution_role_arn`` and ``task_role_arn`` resolve only once the roles' policies
    exist, so a task definition using them cannot start tasks that lack their permissions
    (a first task that cannot read its secrets fails, and the circuit breaker may roll back).
    """

    execution_role: aws.iam.Role
    task_role: aws.iam.Role
    execution_role_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    secrets: pulumi.Output[dict[str, list[SecretRef]]]

    def __init__(
        self,
        name: str,
        *,
        names: naming.AppNames,
        secrets: Mapping[str, Mapping[str, str]],
        exec_enabled: bool,
        region: str,
        account: pulumi.Input[str],
        partition: pulumi.Input[str],
        boundary: pulumi.Input[str],
        provider: aws.Provider,
        storage_policy: pulumi.Input[str] | None = None,
        registry_credentials: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:TaskRoles", name, None, opts)
        # One map per container (variable -> reference); the execution role reads exactly their union.
        by_container = {container: dict(refs) for container, refs in secrets.items() if refs}
        self.secrets = pulumi.Output.all(account, partition).apply(
            lambda ap: {container: secret_refs(refs, region=region, account=ap[0], partition=ap[1])
                        for container, refs in by_container.items()})
        self.execution_role = _iam.role(
            names.execution_role, boundary=boundary, assume_role_policy=assume_role_policy(),
            description=f"ECS task execution role of {names.base}: pulls the image, writes logs, reads its secrets",
            opts=_aws.opts(provider, self))
        execution_grants: list[pulumi.CustomResource] = [aws.iam.RolePolicyAttachment(
            f"{name}-execution", role=self.execution_role.name,
            policy_arn=pulumi.Output.from_input(partition).apply(lambda p: f"arn:{p}:iam::aws:{EXECUTION_POLICY}"),
            opts=_aws.opts(provider, self))]
        # The private registries' logins are read like Secrets Manager secrets, by ECS before the image is pulled.
        logins = {f"registry {i}": arn for i, arn in enumerate(sorted(set(registry_credentials)))}
        if by_container or logins:
            policy = pulumi.Output.all(self.secrets, account, partition).apply(
                lambda v: json.dumps(secrets_policy([r for each in v[0].values() for r in each] + secret_refs(
                    logins, region=region, account=v[1], partition=v[2])), sort_keys=True))
            execution_grants.append(aws.iam.RolePolicy(
                f"{name}-secrets", role=self.execution_role.id, policy=policy, opts=_aws.opts(provider, self)))
        # The task role carries the application's own AWS permissions: none by default.
        self.task_role = _iam.role(
            names.task_role, boundary=boundary, assume_role_policy=assume_role_policy(),
            description=f"ECS task role of {names.base}",
            opts=_aws.opts(provider, self))
        task_grants: list[pulumi.CustomResource] = []
        if exec_enabled:
            policy = pulumi.Output.all(account, partition).apply(lambda ap: exec_policy(
                log_group_arn(names.log_group, region=region, account=ap[0], partition=ap[1])))
            task_grants.append(aws.iam.RolePolicy(
                f"{name}-exec", role=self.task_role.id, policy=policy, opts=_aws.opts(provider, self)))
        if storage_policy is not None:
            task_grants.append(aws.iam.RolePolicy(
                f"{name}-efs", role=self.task_role.id, policy=storage_policy, opts=_aws.opts(provider, self)))
        self.execution_role_arn = after(self.execution_role.arn, execution_grants)
        self.task_role_arn = after(self.task_role.arn, task_grants)
        self.register_outputs({"executionRoleArn": self.execution_role_arn, "taskRoleArn": self.task_role_arn})


def after(value: pulumi.Output[str], resources: Sequence[pulumi.CustomResource]) -> pulumi.Output[str]:
    """``value``, carrying a dependency on ``resources`` to whatever consumes it."""
    return pulumi.Output.all(value, *(r.id for r in resources)).apply(lambda v: str(v[0]))
