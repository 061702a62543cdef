"""What an application takes from outside its stack: linked data, addon outputs, exports, policies.

One component, :class:`Links`, turns the application's ``link``, its addons' outputs (routed as
Copilot did), its ``from_cfn`` variables, secrets and security groups and its ``managed_policies``
into:

* least-privilege grants on the task role: exactly the actions each linked bucket or table needs,
  on its ARN (and its objects, indexes or stream), never ``*``; managed policies attached;
* read access on the execution role to exactly the secrets the container gets;
* a security group of the application's own, let into each linked database or cache on its port
  alone (an ingress rule per link, in this stack: removing the link closes it), plus the groups
  an existing resource, an addon or ``security_groups`` name;
* the variables and secrets the container gets (:func:`ecsp.config.links.injected_names`).

The documents are pure functions of plain values (:func:`data_policy`), so the IAM walker in the
tests reads them without Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.addons import AddonStack
from ecsp.config import ResolvedApplication
from ecsp.config.data import DATA_KINDS, Data
from ecsp.config.exports import FromCfn
from ecsp.config.links import injected_names
from stacks import _aws, exports
from stacks._iam import VERSION
from stacks.application_iam import SecretRef, secret_refs, secrets_policy

ANYWHERE = "0.0.0.0/0"
BUCKET_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectTagging",
                         "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging")
BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads")
TABLE_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
                 "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                 "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem")
INDEX_ACTIONS = ("dynamodb:Query", "dynamodb:Scan")
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
# Variables read from a database's secret when the secret holds them (the JSON key of each).
_SECRET_KEYS = {"host": "host", "port": "port", "dbname": "dbname", "username": "username", "password": "password"}


def data_policy(grants: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """The task role's access to linked buckets and tables, by entry name (its facts: kind, arn, stream_arn)."""
    statements: list[dict[str, Any]] = []
    for name in sorted(grants):
        facts = grants[name]
        sid = "".join(part.capitalize() for part in name.split("-"))
        arn = facts["arn"]
        if facts["kind"] == "bucket":
            statements.append({"Sid": f"{sid}Objects", "Effect": "Allow", "Action": list(BUCKET_OBJECT_ACTIONS),
                               "Resource": f"{arn}/*"})
            statements.append({"Sid": f"{sid}Bucket", "Effect": "Allow", "Action": list(BUCKET_ACTIONS),
                               "Resource": arn})
        elif facts["kind"] == "table":
            statements.append({"Sid": f"{sid}Items", "Effect": "Allow", "Action": list(TABLE_ACTIONS),
                               "Resource": arn})
            statements.append({"Sid": f"{sid}Indexes", "Effect": "Allow", "Action": list(INDEX_ACTIONS),
                               "Resource": f"{arn}/index/*"})
            if facts.get("stream_arn"):
                statements.append({"Sid": f"{sid}Stream", "Effect": "Allow", "Action": list(STREAM_ACTIONS),
                                   "Resource": f"{arn}/stream/*"})
    return {"Version": VERSION, "Statement": statements} if statements else None


def _text(value: Any) -> str:
    # Numbers come back from a stack's outputs as floats (5432.0): a port is written 5432.
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def linked_values(name: str, data: Data, facts: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The variables and the secrets (name -> ECS valueFrom) a link to ``name`` gives the container."""
    variables: dict[str, str] = {}
    secrets: dict[str, str] = {}
    endpoint_in_secret = data.existing is not None or data.copilot_name is not None
    for variable, role in injected_names(name, data).items():
        if data.kind in ("postgres", "mysql"):
            if role == "copilot":
                secrets[variable] = facts["secret_arn"]
            elif role in ("username", "password") or endpoint_in_secret:
                secrets[variable] = f"{facts['secret_arn']}:{_SECRET_KEYS[role]}::"
            else:
                variables[variable] = _text(facts[role])
        elif role == "secret":
            secrets[variable] = facts["secret_arn"]
        elif role == "url":
            variables[variable] = f"rediss://{facts['host']}:{_text(facts['port'])}"
        elif role == "copilot":
            variables[variable] = _text(facts["name"])
        else:
            variables[variable] = _text(facts[role])
    return variables, secrets


class Links(pulumi.ComponentResource):
    """Everything the application takes from outside its stack (see the module docstring)."""

    environment: pulumi.Output[dict[str, str]]
    secrets: pulumi.Output[list[SecretRef]]
    security_group_ids: list[pulumi.Input[str]]
    task_grants: list[pulumi.CustomResource]
    execution_grants: list[pulumi.CustomResource]

    def __init__(
        self,
        name: str,
        *,
        names: naming.AppNames,
        settings: ResolvedApplication,
        data: Mapping[str, Data],
        storage: pulumi.Input[Mapping[str, Any]] | None,
        addon: AddonStack | None,
        addon_outputs: pulumi.Input[Mapping[str, Any]] | None,
        vpc_id: pulumi.Input[str],
        task_role: aws.iam.Role,
        execution_role: aws.iam.Role,
        region: str,
        account: pulumi.Input[str],
        partition: pulumi.Input[str],
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ecsp:application:Links", name, None, opts)

        def child(**kwargs: Any) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, **kwargs)

        linked = {n: data[n] for n in settings.link}
        facts = pulumi.Output.from_input(storage or {})
        outputs = pulumi.Output.from_input(addon_outputs or {})
        self.task_grants = []
        self.execution_grants = []

        # Variables and secrets: from links, from the addon's outputs, from exports.
        def values(v: list[Any]) -> tuple[dict[str, str], dict[str, str]]:
            stored, produced = v[0], v[1]
            variables: dict[str, str] = {}
            secrets: dict[str, str] = {}
            for entry, settings_ in linked.items():
                more_variables, more_secrets = linked_values(entry, settings_, stored[entry])
                variables.update(more_variables)
                secrets.update(more_secrets)
            for output in addon.outputs if addon else ():
                if output.route == "variable":
                    variables[output.variable] = _text(produced[output.name])
                elif output.route == "secret":
                    secrets[output.variable] = str(produced[output.name])
            return variables, secrets

        computed = pulumi.Output.all(facts, outputs).apply(values)
        exported_variables = {k: exports.export(v.from_cfn, provider) for k, v in settings.variables.items()
                              if isinstance(v, FromCfn)}
        exported_secrets = {k: exports.export(v.from_cfn, provider) for k, v in settings.secrets.items()
                            if isinstance(v, FromCfn)}
        self.environment = pulumi.Output.all(computed, _mapping(exported_variables)).apply(
            lambda v: {**v[0][0], **v[1]})
        self.secrets = pulumi.Output.all(computed, _mapping(exported_secrets), account, partition).apply(
            lambda v: secret_refs({**v[0][1], **v[1]}, region=region, account=v[2], partition=v[3]))

        # The execution role reads exactly those secrets (a private registry's login: stacks.application_iam).
        secret_kinds = [d for d in linked.values() if d.kind in ("postgres", "mysql", "secret")]
        if secret_kinds or exported_secrets or (addon is not None and addon.routed("secret")):
            policy = self.secrets.apply(lambda refs: json.dumps(secrets_policy(refs), sort_keys=True))
            self.execution_grants.append(aws.iam.RolePolicy(f"{name}-linked-secrets", role=execution_role.id,
                                                            policy=policy, opts=child()))

        # The task role: the linked buckets' and tables' actions, managed policies, addon policies.
        granted = [n for n, d in linked.items() if d.kind in ("bucket", "table")]
        if granted:
            document = facts.apply(lambda f: json.dumps(data_policy({n: f[n] for n in granted}), sort_keys=True))
            self.task_grants.append(aws.iam.RolePolicy(f"{name}-data", role=task_role.id, policy=document,
                                                       opts=child()))
        for i, arn in enumerate(settings.managed_policies):
            self.task_grants.append(aws.iam.RolePolicyAttachment(f"{name}-policy-{i}", role=task_role.name,
                                                                 policy_arn=arn, opts=child()))
        for output in addon.routed("policy") if addon else []:
            self.task_grants.append(aws.iam.RolePolicyAttachment(
                f"{name}-{output.name}", role=task_role.name,
                policy_arn=_pick(outputs, output.name), opts=child()))

        # Security groups: the application's own (let into each linked database or cache), and the others.
        self.security_group_ids = []
        reached = [n for n, d in linked.items() if DATA_KINDS[d.kind].in_vpc and d.managed]
        if reached:
            group = aws.ec2.SecurityGroup(
                f"{name}-data", vpc_id=vpc_id, description=f"{names.base} tasks: let into the data it links",
                tags={"Name": f"{names.base}-data"}, opts=child())
            aws.vpc.SecurityGroupEgressRule(f"{name}-data-egress", security_group_id=group.id, cidr_ipv4=ANYWHERE,
                                            ip_protocol="-1", description="All outbound traffic", opts=child())
            for entry in reached:
                port = DATA_KINDS[linked[entry].kind].port
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-to-{entry}",
                    security_group_id=_pick(facts, entry, "security_group_id"),
                    referenced_security_group_id=group.id, ip_protocol="tcp", from_port=port, to_port=port,
                    description=f"{names.application} of {names.environment} (link)", opts=child())
            self.security_group_ids.append(group.id)
        for entry, settings_ in linked.items():
            if not settings_.managed and settings_.existing and settings_.existing.security_group is not None:
                self.security_group_ids.append(_pick(facts, entry, "client_security_group_id"))
        for output in addon.routed("security_group") if addon else []:
            self.security_group_ids.append(_pick(outputs, output.name))
        self.security_group_ids += [exports.value(g, provider) for g in settings.security_groups]
        self.register_outputs({"environment": self.environment})


def _mapping(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[dict[str, str]]:
    # Output.all() of nothing is an empty list, not a mapping.
    return pulumi.Output.all(**values) if values else pulumi.Output.from_input({})


def _pick(values: pulumi.Output[Any], *path: str) -> pulumi.Output[str]:
    """The value at ``path`` in a mapping output (a stack output's entry)."""
    def walk(found: Any) -> str:
        for key in path:
            found = found[key]
        return str(found)

    return values.apply(walk)
