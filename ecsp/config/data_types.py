"""The vocabulary of the ``data:`` section: the table of data kinds, engine versions, capacity, keys, existing ones.

:data:`DATA_KINDS` is the one table of kinds: which settings each takes, which engine versions,
which variables a linked application gets, whether it lives in the VPC. Code asks a kind's
record, never its name. The entries themselves are in :mod:`.data`.
"""


from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ecsp.config.base import FieldError, Model, or_list, raise_all
from ecsp.config.exports import FromCfn, TextOrExport

Engine = Literal["postgres", "mysql"]

# Engine versions ecsp knows: a major version (or, for MySQL, a release line) and the oldest
# minor that lets Aurora Serverless v2 pause at 0 ACU (AWS: aurora-postgresql 13.15, 14.12,
# 15.7, 16.3 and later; aurora-mysql 3.08.0 and later).
POSTGRES_MAJORS = ("13", "14", "15", "16", "17")
_PAUSABLE_POSTGRES = {"13": 15, "14": 12, "15": 7, "16": 3, "17": 0}
MYSQL_LINES = ("8.0", "8.4")
# What a major version alone means: a recent minor of it (all pause at 0 ACU on Aurora).
POSTGRES_MINORS = {"13": "13.18", "14": "14.15", "15": "15.10", "16": "16.6", "17": "17.4"}
MYSQL_84 = "8.4.4"
DEFAULT_VERSIONS = {("postgres", "aurora"): "16.6", ("postgres", "rds"): "16.6",
                    ("mysql", "aurora"): "8.0.mysql_aurora.3.08.0", ("mysql", "rds"): "8.0.40"}
REDIS_ENGINES = {"valkey": ("7", "8"), "redis": ("7",)}
DEFAULT_REDIS_VERSIONS = {"valkey": "8", "redis": "7"}
MAX_ACU = 256
STREAM_VIEWS = ("new_image", "old_image", "new_and_old_images", "keys_only")
KEY_PATTERN = r"^[A-Za-z0-9_.-]{1,255}:[SNB]$"
INSTANCE_CLASS_PATTERN = r"^db\.[a-z0-9]+\.[a-z0-9]+$"
SECURITY_GROUP_PATTERN = r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$"


@dataclass(frozen=True)
class DataKind:
    """One kind of data: what it is, which settings it takes, and how linked applications reach it.

    ``settings`` are the managed settings the kind accepts; ``existing`` the keys of an
    existing one (``required`` among them). ``copilot_suffix`` is what Copilot appended to the
    storage name for the variable it injected (``Name``: the bucket or table name; ``Secret``:
    the database's JSON secret), None where Copilot had no such storage. ``in_vpc``: it lives
    in the environment's private subnets behind a security group of its own.
    """

    name: str
    summary: str
    settings: frozenset[str]
    existing: tuple[str, ...]
    required: tuple[str, ...]
    managed: bool = True
    in_vpc: bool = False
    port: int | None = None
    copilot_suffix: str | None = None
    # The settings' defaults, as ecsp applies them (documentation and `show`).
    defaults: dict[str, Any] = field(default_factory=dict)


_DATABASE = frozenset({"version", "instance", "capacity", "pause_after", "storage", "database", "backup_retention"})
DATA_KINDS: dict[str, DataKind] = {k.name: k for k in (
    DataKind("postgres", "PostgreSQL: Aurora Serverless v2 (default) or one RDS instance (instance: db.t4g.micro)",
             _DATABASE, ("secret", "security_group"), ("secret",), in_vpc=True, port=5432, copilot_suffix="Secret",
             defaults={"capacity": {"min": 0, "max": 4}, "backup_retention": 7, "storage": 20}),
    DataKind("mysql", "MySQL: Aurora Serverless v2 (default) or one RDS instance (instance: db.t4g.micro)",
             _DATABASE, ("secret", "security_group"), ("secret",), in_vpc=True, port=3306, copilot_suffix="Secret",
             defaults={"capacity": {"min": 0, "max": 4}, "backup_retention": 7, "storage": 20}),
    DataKind("redis", "an ElastiCache Serverless cache (Valkey by default, or Redis OSS), TLS only",
             frozenset({"engine", "version", "max_storage"}), ("host", "port", "security_group"), ("host",),
             in_vpc=True, port=6379, defaults={"engine": "valkey"}),
    DataKind("bucket", "an S3 bucket: versioned, encrypted, private, TLS only",
             frozenset({"versioning"}), ("name",), ("name",), copilot_suffix="Name", defaults={"versioning": True}),
    DataKind("table", "a DynamoDB table: on-demand, point-in-time recovery, keys and indexes as declared",
             frozenset({"partition_key", "sort_key", "local_indexes", "global_indexes", "ttl", "stream"}),
             ("name",), ("name",), copilot_suffix="Name"),
    DataKind("secret", "an existing Secrets Manager secret (ecsp never creates one)", frozenset(), ("arn",),
             ("arn",), managed=False),
)}


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


class CapacityConfig(Model):
    """Aurora Serverless v2 capacity in ACUs (1 ACU: about 2 GiB of memory), in steps of 0.5."""

    min: float = Field(0, ge=0, le=MAX_ACU, description="Lowest capacity: 0 pauses the database when idle (no "
                       "compute charge; the first connection waits about 15 seconds), else 0.5 or more.")
    max: float = Field(4, ge=1, le=MAX_ACU, description=f"Highest capacity, 1 to {MAX_ACU}.")

    @field_validator("min", "max", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> Any:
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _steps(self) -> CapacityConfig:
        errors = []
        for key in ("min", "max"):
            value = getattr(self, key)
            if _decimal(value) % Decimal("0.5"):
                errors.append(FieldError((key,), f"{value} ACU is not a step of 0.5; use e.g. "
                                                 f"{float(round(value * 2) / 2)}"))
        if not errors and self.min > self.max:
            errors.append(FieldError(("min",), f"min {self.min:g} is above max {self.max:g}; lower min or raise max"))
        raise_all(errors)
        return self


class IndexConfig(Model):
    """A secondary index of a table: a local one takes a sort key only, a global one its own partition key."""

    partition_key: str | None = Field(None, description="Global indexes: ATTRIBUTE:TYPE (S, N or B).",
                                      json_schema_extra={"pattern": KEY_PATTERN})
    sort_key: str | None = Field(None, description="ATTRIBUTE:TYPE (S, N or B).",
                                 json_schema_extra={"pattern": KEY_PATTERN})

    @field_validator("partition_key", "sort_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return check_key(v)


def check_key(v: str | None) -> str | None:
    if v is not None and not re.fullmatch(KEY_PATTERN, v):
        raise ValueError(f"'{v}' is not ATTRIBUTE:TYPE; write e.g. id:S (S string, N number, B binary)")
    return v


class ExistingData(Model):
    """A resource ecsp links without managing it (each value may be {from_cfn: EXPORT_NAME})."""

    secret: TextOrExport | None = Field(
        None, description="Databases: the Secrets Manager secret (ARN or name) holding host, port, dbname, username "
        "and password, as RDS proxies, Copilot's Aurora addons and ecsp write them.")
    security_group: TextOrExport | None = Field(
        None, description="Databases and caches: a security group the resource lets in; linked applications' "
        "tasks join it (Copilot's '<name>SecurityGroup' output).")
    host: TextOrExport | None = Field(None, description="Caches: the endpoint's host name.")
    port: int | None = Field(None, ge=1, le=65535, description="Caches: the endpoint's port (default 6379).")
    name: TextOrExport | None = Field(None, description="Buckets and tables: the bucket's or table's name.")
    arn: TextOrExport | None = Field(None, description="Secrets: the secret's ARN or name.")

    @field_validator("security_group")
    @classmethod
    def _group(cls, v: str | FromCfn | None) -> str | FromCfn | None:
        if isinstance(v, str) and not re.fullmatch(SECURITY_GROUP_PATTERN, v):
            raise ValueError(f"'{v}' is not a security group id; use sg- and 8 or 17 hex digits, or "
                             "{from_cfn: EXPORT_NAME}")
        return v


def version_problem(kind: str, version: str, *, aurora: bool) -> str | None:
    """Why ``version`` is not an engine version ecsp can run for ``kind`` (None when it can)."""
    if kind == "postgres":
        major = version.split(".")[0]
        if major not in POSTGRES_MAJORS or not re.fullmatch(r"\d+(\.\d+)?", version):
            return (f"'{version}' is not a PostgreSQL version ecsp runs; use {or_list(list(POSTGRES_MAJORS))} "
                    "or a minor of one, e.g. '16.6'")
        return None
    if kind == "mysql":
        if version == "8.0" or (version in MYSQL_LINES and not aurora):
            return None
        if aurora and re.fullmatch(r"8\.0\.mysql_aurora\.3\.\d{2}\.\d+", version):
            return None
        if not aurora and re.fullmatch(r"8\.(0|4)\.\d+", version):
            return None
        example = "'8.0' or '8.0.mysql_aurora.3.08.0'" if aurora else "'8.0', '8.4' or a release such as '8.0.40'"
        return f"'{version}' is not a MySQL version ecsp runs {'on Aurora' if aurora else 'on RDS'}; use {example}"
    return None


def pausable(kind: str, version: str) -> bool:
    """Whether Aurora Serverless v2 may scale this engine version to 0 ACU."""
    if kind == "postgres":
        major, _, minor = version.partition(".")
        return int(minor or 0) >= _PAUSABLE_POSTGRES.get(major, 99)
    found = re.fullmatch(r"8\.0\.mysql_aurora\.3\.(\d{2})\.\d+", version)
    return found is not None and int(found.group(1)) >= 8


class DataSettings(Model):
    """The settings of a data entry that an environment may override (unset: None, the kind's default applies)."""

    existing: ExistingData | None = Field(
        None, description="Link an existing resource instead of creating one (in every environment, or in those "
        "whose override sets it).", examples=[{"name": {"from_cfn": "shop-test-uploadsBucketName"}}])
    version: str | None = Field(
        None, description="Engine version: postgres 13-17 (e.g. '16.6'), mysql '8.0' or a full version "
        "(Aurora '8.0.mysql_aurora.3.08.0', RDS '8.0.40'); redis: valkey 7 or 8, redis 7.", examples=["16.6"])
    instance: str | None = Field(
        None, description="Databases: an RDS instance class (e.g. db.t4g.micro) for one plain RDS instance instead "
        "of Aurora Serverless v2.", examples=["db.t4g.micro"])
    capacity: CapacityConfig | None = Field(
        None, description="Aurora Serverless v2 capacity in ACUs (default min 0: pause when idle, max 4).",
        examples=[{"min": 0.5, "max": 16}])
    pause_after: int | None = Field(
        None, ge=300, le=86400, description="Aurora with capacity.min 0: idle seconds before it pauses (300 to "
        "86400; default 300).")
    storage: int | None = Field(None, ge=20, le=65536, description="RDS instances: allocated storage in GiB "
                                "(default 20; grows automatically up to ten times that).")
    database: str | None = Field(
        None, description="Databases: the database created at first (default: the entry's name, - as _).",
        examples=["orders"])
    backup_retention: int | None = Field(None, ge=1, le=35, description="Databases: days of automated backups "
                                         "(default 7).")
    engine: Literal["valkey", "redis"] | None = Field(None, description="Caches: valkey (default) or redis.")
    max_storage: int | None = Field(None, ge=1, le=5000, description="Caches: the most data the cache may hold, "
                                    "in GB (default: no limit but ElastiCache's own).")
    versioning: bool | None = Field(None, description="Buckets: keep every version of each object (default true; "
                                    "old versions expire after 30 days).")
    partition_key: str | None = Field(None, description="Tables: the partition key, ATTRIBUTE:TYPE (S, N or B).",
                                      examples=["id:S"], json_schema_extra={"pattern": KEY_PATTERN})
    sort_key: str | None = Field(None, description="Tables: the sort key, ATTRIBUTE:TYPE.", examples=["created:N"],
                                 json_schema_extra={"pattern": KEY_PATTERN})
    local_indexes: dict[str, IndexConfig] | None = Field(
        None, description="Tables: local secondary indexes by name, each {sort_key: ATTRIBUTE:TYPE} (the table's "
        "partition key; needs the table's sort_key).", examples=[{"by-status": {"sort_key": "status:S"}}])
    global_indexes: dict[str, IndexConfig] | None = Field(
        None, description="Tables: global secondary indexes by name, each {partition_key, sort_key}.",
        examples=[{"by-customer": {"partition_key": "customer:S", "sort_key": "created:N"}}])
    ttl: str | None = Field(None, description="Tables: the attribute holding each item's expiry (epoch seconds).",
                            examples=["expires"])
    stream: Literal["new_image", "old_image", "new_and_old_images", "keys_only"] | None = Field(
        None, description="Tables: a DynamoDB stream with this view of each change.")

    @field_validator("partition_key", "sort_key")
    @classmethod
    def _keys(cls, v: str | None) -> str | None:
        return check_key(v)

    @field_validator("instance")
    @classmethod
    def _instance(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(INSTANCE_CLASS_PATTERN, v):
            raise ValueError(f"'{v}' is not an RDS instance class; use e.g. db.t4g.micro or db.r6g.large")
        return v

    @field_validator("database")
    @classmethod
    def _database(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"^[A-Za-z][A-Za-z0-9_]{0,62}$", v):
            raise ValueError(f"'{v}' is not a database name; use a letter, then up to 62 letters, digits and _")
        return v

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        # `version: 16` or `version: 8.0` in YAML is a number; an engine version is text.
        return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


def table_problems(data: DataSettings) -> list[FieldError]:
    errors = []
    if data.partition_key is None:
        errors.append(FieldError((), "a table needs its partition key; add partition_key: ATTRIBUTE:TYPE, e.g. "
                                     "partition_key: id:S"))
    if data.local_indexes and data.sort_key is None:
        errors.append(FieldError(("local_indexes",), "a local index sorts the table's partitions another way, so the "
                                                     "table needs a sort_key; add one, or use global_indexes"))
    for name, index in (data.local_indexes or {}).items():
        if index.partition_key is not None:
            errors.append(FieldError(("local_indexes", name, "partition_key"), "a local index shares the table's "
                                                                               "partition key; remove it (or make "
                                                                               "it a global index)"))
        if index.sort_key is None:
            errors.append(FieldError(("local_indexes", name), "a local index needs its sort_key: ATTRIBUTE:TYPE"))
    for name, index in (data.global_indexes or {}).items():
        if index.partition_key is None:
            errors.append(FieldError(("global_indexes", name), "a global index needs its own partition_key: "
                                                               "ATTRIBUTE:TYPE"))
    for section in ("local_indexes", "global_indexes"):
        for name in getattr(data, section) or {}:
            if not re.fullmatch(r"^[A-Za-z0-9_.-]{3,255}$", name):
                errors.append(FieldError((section, name), f"'{name}' is not an index name; use 3 to 255 letters, "
                                                          "digits, _, - and ."))
    errors += _attribute_types(data)
    return errors


def _attribute_types(data: DataSettings) -> list[FieldError]:
    """DynamoDB declares each key attribute once: every key naming it must give it the same type."""
    seen: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    errors = []
    keys: list[tuple[tuple[str | int, ...], str | None]] = [(("partition_key",), data.partition_key),
                                                            (("sort_key",), data.sort_key)]
    for section in ("local_indexes", "global_indexes"):
        for name, index in (getattr(data, section) or {}).items():
            keys += [((section, name, "partition_key"), index.partition_key),
                     ((section, name, "sort_key"), index.sort_key)]
    for where, key in keys:
        if key is None:
            continue
        attribute, _, type_ = key.rpartition(":")
        if attribute in seen and seen[attribute][0] != type_:
            errors.append(FieldError(where, f"'{attribute}' is type {seen[attribute][0]} in "
                                            f"{'.'.join(map(str, seen[attribute][1]))}; give it one type"))
        seen.setdefault(attribute, (type_, where))
    return errors


def table_attributes(data: DataSettings) -> dict[str, str]:
    """Every key attribute of a table and its type, as DynamoDB declares them."""
    out: dict[str, str] = {}
    keys = [data.partition_key, data.sort_key]
    for index in [*(data.local_indexes or {}).values(), *(data.global_indexes or {}).values()]:
        keys += [index.partition_key, index.sort_key]
    for key in keys:
        if key is not None:
            attribute, _, type_ = key.rpartition(":")
            out.setdefault(attribute, type_)
    return dict(sorted(out.items()))
