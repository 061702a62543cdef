"""A managed DynamoDB table: on demand, point-in-time recovery, its keys, indexes, TTL and stream as declared.

Encrypted at rest (DynamoDB always is; with its own key). Kept when the entry leaves ecsp.yaml
or the stack is destroyed (``retain_on_delete``). Changing a key, or an index's keys, makes
DynamoDB replace the table: ``up`` refuses such a change (ecsp.data_safety).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config.data import Data
from ecsp.config.data_types import table_attributes
from stacks import _aws


def _name(key: str | None) -> str | None:
    return key.rpartition(":")[0] if key else None


def _key_schema(partition: str | None, sort: str | None) -> list[aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs]:
    keys = [aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=str(_name(partition)), key_type="HASH")]
    if sort is not None:
        keys.append(aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=str(_name(sort)),
                                                                        key_type="RANGE"))
    return keys


class Table(pulumi.ComponentResource):
    """One data entry of kind table."""

    facts: dict[str, pulumi.Input[Any]]

    def __init__(self, name: str, *, names: naming.DataNames, settings: Data, provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:storage:Table", name, None, opts)
        table = aws.dynamodb.Table(
            name, name=names.table, billing_mode="PAY_PER_REQUEST",
            hash_key=_name(settings.partition_key), range_key=_name(settings.sort_key),
            attributes=[aws.dynamodb.TableAttributeArgs(name=a, type=t) for a, t in table_attributes(settings).items()],
            local_secondary_indexes=[
                aws.dynamodb.TableLocalSecondaryIndexArgs(name=index, range_key=str(_name(spec.sort_key)),
                                                          projection_type="ALL")
                for index, spec in sorted((settings.local_indexes or {}).items())] or None,
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(name=index, key_schemas=_key_schema(spec.partition_key,
                                                                                               spec.sort_key),
                                                           projection_type="ALL")
                for index, spec in sorted((settings.global_indexes or {}).items())] or None,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=settings.ttl, enabled=True) if settings.ttl else None,
            stream_enabled=settings.stream is not None,
            stream_view_type=settings.stream.upper() if settings.stream else None,
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            tags={"Name": names.tag()},
            opts=_aws.opts(provider, self, retain_on_delete=True))
        self.facts = {"kind": "table", "managed": True, "name": table.name, "arn": table.arn,
                      "stream_arn": table.stream_arn if settings.stream else None}
        self.register_outputs({"tableName": table.name})
