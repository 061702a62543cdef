"""What linking an existing resource needs, from its ``existing`` settings (values or CloudFormation exports).

Nothing is created: the facts have the same shape as a managed entry's, so an application
links either alike (:mod:`stacks.application_links`).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp.config.data import DATA_KINDS, Data
from stacks import exports


def existing_facts(settings: Data, *, region: str, account: pulumi.Input[str], partition: pulumi.Input[str],
                   provider: aws.Provider) -> dict[str, pulumi.Input[Any]]:
    """The facts of an existing data entry in one environment."""
    existing = settings.existing
    assert existing is not None
    kind = settings.kind
    facts: dict[str, pulumi.Input[Any]] = {"kind": kind, "managed": False}

    def read(key: str) -> pulumi.Input[str] | None:
        written = getattr(existing, key)
        return exports.value(written, provider) if written is not None else None

    if kind in ("postgres", "mysql"):
        facts.update(secret_arn=_secret_arn(read("secret"), region, account, partition), endpoint_in_secret=True,
                     client_security_group_id=read("security_group"))
    elif kind == "redis":
        facts.update(host=read("host"), port=existing.port or DATA_KINDS[kind].port,
                     client_security_group_id=read("security_group"))
    elif kind == "bucket":
        name = pulumi.Output.from_input(read("name"))
        facts.update(name=name, arn=pulumi.Output.all(partition, name).apply(lambda v: f"arn:{v[0]}:s3:::{v[1]}"))
    elif kind == "table":
        name = pulumi.Output.from_input(read("name"))
        facts.update(name=name, arn=pulumi.Output.all(partition, account, name).apply(
            lambda v: f"arn:{v[0]}:dynamodb:{region}:{v[1]}:table/{v[2]}"))
    elif kind == "secret":
        facts.update(secret_arn=_secret_arn(read("arn"), region, account, partition))
    return facts


def _secret_arn(written: pulumi.Input[str] | None, region: str, account: pulumi.Input[str],
                partition: pulumi.Input[str]) -> pulumi.Output[str]:
    """A secret's ARN; a bare name becomes a partial ARN in the environment's account and region.

    ECS takes a partial ARN (no random suffix) in valueFrom, and IAM matches it with -??????
    (see stacks.application_iam.secret_refs).
    """
    def arn(v: list[Any]) -> str:
        return str(v[0]) if str(v[0]).startswith("arn:") else f"arn:{v[1]}:secretsmanager:{region}:{v[2]}:secret:{v[0]}"

    return pulumi.Output.all(written, partition, account).apply(arn)
