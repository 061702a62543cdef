"""The live state of a project's data (databases, caches, buckets, tables, secrets), for ``show`` and ``status``.

One reader per kind of data (:data:`READERS`), each asking the AWS API that describes it:
RDS for databases (the Aurora cluster, or the plain instance), ElastiCache for caches,
S3 for buckets, DynamoDB for tables, Secrets Manager for secrets. Managed data is found by
the names ecsp gave it (:class:`ecsp.naming.DataNames`); existing data by what ecsp.yaml
names, a value read from a CloudFormation export through the export's value (ListExports).

Nothing here reads a secret's value: a database's endpoint comes from RDS, not from its
credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import botocore.exceptions  # type: ignore[import-untyped]
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ecsp import naming
from ecsp.aws import Sessions, aws_errors
from ecsp.config import ProjectConfig
from ecsp.config.data import Data
from ecsp.config.exports import FromCfn

NOT_DEPLOYED = "not deployed"
# The states of data that is there and serving (anything else is shown as a warning).
READY = frozenset({"available", "active", "existing"})


@dataclass(frozen=True)
class DataState:
    """One data entry in one environment, as AWS sees it now."""

    environment: str
    name: str
    kind: str  # postgres, mysql, redis, bucket, table, secret
    managed: bool  # False: existing, linked by ecsp.yaml, not created by ecsp
    state: str  # AWS's word (available, creating, paused...; active for tables), or "not deployed"
    resource: str | None = None  # the cluster, instance, cache, bucket, table or secret
    endpoint: str | None = None  # host:port, s3://bucket, or the table's ARN
    hint: str | None = None


class _Missing(Exception):
    """The resource is not there (yet)."""


def _value(sessions: Sessions, env: str, value: str | FromCfn | None) -> str | None:
    """A setting's value; one read from a CloudFormation export is looked up (None if nothing exports it)."""
    if not isinstance(value, FromCfn):
        return value
    pages = sessions.client(env, "cloudformation").get_paginator("list_exports").paginate()
    return next((e["Value"] for page in pages for e in page.get("Exports", []) if e["Name"] == value.from_cfn), None)


def _missing(error: botocore.exceptions.ClientError, *codes: str) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code in codes or code.endswith("NotFound") or code.endswith("NotFoundFault")


def _database(sessions: Sessions, env: str, names: naming.DataNames, data: Data) -> tuple[str, str, str | None]:
    rds = sessions.client(env, "rds")
    if data.existing is not None:  # its credentials' secret is what ecsp.yaml names
        return _secret(sessions, env, names, data)
    try:
        if data.aurora:
            cluster = rds.describe_db_clusters(DBClusterIdentifier=names.database)["DBClusters"][0]
            endpoint = f"{cluster['Endpoint']}:{cluster['Port']}" if cluster.get("Endpoint") else None
            return str(cluster.get("Status", "unknown")), names.database, endpoint
        instance = rds.describe_db_instances(DBInstanceIdentifier=names.database)["DBInstances"][0]
    except botocore.exceptions.ClientError as e:
        if _missing(e):
            raise _Missing from e
        raise
    address = (instance.get("Endpoint") or {}).get("Address")
    endpoint = f"{address}:{instance['Endpoint'].get('Port')}" if address else None
    return str(instance.get("DBInstanceStatus", "unknown")), names.database, endpoint


def _cache(sessions: Sessions, env: str, names: naming.DataNames, data: Data) -> tuple[str, str, str | None]:
    if data.existing is not None:
        host = _value(sessions, env, data.existing.host)
        if host is None:
            raise _Missing
        return "existing", host, f"{host}:{data.existing.port or 6379}"
    try:
        found = sessions.client(env, "elasticache").describe_serverless_caches(
            ServerlessCacheName=names.cache)["ServerlessCaches"]
    except botocore.exceptions.ClientError as e:
        if _missing(e, "ServerlessCacheNotFoundFault"):
            raise _Missing from e
        raise
    if not found:
        raise _Missing
    cache = found[0]
    address = (cache.get("Endpoint") or {}).get("Address")
    endpoint = f"{address}:{cache['Endpoint'].get('Port')}" if address else None
    return str(cache.get("Status", "unknown")).lower(), names.cache, endpoint


def _bucket(sessions: Sessions, env: str, names: naming.DataNames, data: Data) -> tuple[str, str, str | None]:
    s3 = sessions.client(env, "s3")
    if data.existing is not None:
        name = _value(sessions, env, data.existing.name)
        if name is None:
            raise _Missing
        try:
            s3.head_bucket(Bucket=name)
        except botocore.exceptions.ClientError as e:
            if _missing(e, "404", "NoSuchBucket"):
                raise _Missing from e
            raise
        return "existing", name, f"s3://{name}"
    # S3 names are global, so Pulumi added a suffix to the prefix ecsp chose: the one bucket with it.
    prefix = f"{names.bucket}-"
    found = [b["Name"] for b in s3.list_buckets().get("Buckets", []) if b["Name"].startswith(prefix)]
    if not found:
        raise _Missing
    return "available", found[0], f"s3://{found[0]}"


def _table(sessions: Sessions, env: str, names: naming.DataNames, data: Data) -> tuple[str, str, str | None]:
    name = _value(sessions, env, data.existing.name) if data.existing is not None else names.table
    if name is None:
        raise _Missing
    try:
        table = sessions.client(env, "dynamodb").describe_table(TableName=name)["Table"]
    except botocore.exceptions.ClientError as e:
        if _missing(e, "ResourceNotFoundException"):
            raise _Missing from e
        raise
    state = "existing" if data.existing is not None else str(table.get("TableStatus", "unknown")).lower()
    return state, name, table.get("TableArn")


def _secret(sessions: Sessions, env: str, names: naming.DataNames, data: Data) -> tuple[str, str, str | None]:
    existing = data.existing
    reference = _value(sessions, env, (existing.arn or existing.secret) if existing is not None else None)
    if reference is None:
        raise _Missing
    try:
        secret = sessions.client(env, "secretsmanager").describe_secret(SecretId=reference)
    except botocore.exceptions.ClientError as e:
        if _missing(e, "ResourceNotFoundException"):
            raise _Missing from e
        raise
    state = "scheduled for deletion" if secret.get("DeletedDate") else "existing"
    return state, str(secret.get("ARN", reference)), None


Reader = Callable[[Sessions, str, naming.DataNames, Data], tuple[str, str, str | None]]
# The reader of each kind of data: (state, resource, endpoint), or _Missing.
READERS: dict[str, Reader] = {
    "postgres": _database, "mysql": _database, "redis": _cache, "bucket": _bucket, "table": _table,
    "secret": _secret,
}


def data_states(config: ProjectConfig, sessions: Sessions, environments: Sequence[str] = ()) -> list[DataState]:
    """The state of every data entry of ``environments`` (default all), in ecsp.yaml's order.

    An environment that cannot be read raises :class:`ecsp.errors.AwsError` (callers turn it
    into the environment's problem, as for applications).
    """
    flag = " --local" if sessions.local is not None else ""
    states = []
    for env in environments or config.environments:
        with aws_errors(sessions.where(env)):
            for name, data in config.data_in(env).items():
                names = naming.DataNames(config.project.name, env, name)
                try:
                    state, resource, endpoint = READERS[data.kind](sessions, env, names, data)
                except _Missing:
                    hint = (f"run `ecsp up{flag} --env {env}`" if data.managed else
                            "ecsp.yaml names an existing resource AWS does not know: check existing: of this entry")
                    states.append(DataState(env, name, data.kind, data.managed, NOT_DEPLOYED, hint=hint))
                    continue
                states.append(DataState(env, name, data.kind, data.managed, state, resource, endpoint))
    return states





def render(states: Sequence[DataState], out: Console) -> None:
    """A table of the data (environment, name, kind, state), then each endpoint on a line of its own, whole."""
    if not states:
        return
    table = Table(title="data", title_justify="left")
    for column in ("env", "name", "kind", "state"):
        table.add_column(column, no_wrap=True)
    for s in states:
        kind = s.kind if s.managed else f"{s.kind} (existing)"
        style = "green" if s.state in READY else "dim" if s.state == NOT_DEPLOYED else "yellow"
        table.add_row(s.environment, s.name, kind, Text(s.state, style=style))
    out.print(table)
    # Endpoints and hints below the table, whole: a host name folded inside a cell cannot be copied.
    for s in states:
        if s.endpoint or s.hint:
            line = Text(f"  {s.environment}/{s.name}  ")
            line.append(s.endpoint or f"hint: {s.hint}", style="" if s.endpoint else "cyan")
            out.print(line, soft_wrap=True)


__all__ = ["NOT_DEPLOYED", "READERS", "READY", "DataState", "data_states", "render"]
