"""The ``data:`` section: databases, caches, buckets, tables and secrets that applications link to.

Each entry is declared once and placed in every environment (or those of ``only_in``), managed
(ecsp creates it in the environment's storage stack) or ``existing`` (ecsp only links it: a
resource Copilot or someone else created, by name, ARN or CloudFormation export). What each kind
takes is in :mod:`.data_types`.

The section is named ``data`` (not ``storage``) because ``applications.<app>.storage`` already
holds a task's volumes, and because what it declares is the data that must outlive any change
of config (see the README's "Data" section).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from ecsp.config.base import INDEXED, FieldError, or_list, quoted_list, raise_all
from ecsp.config.data_types import (
    DATA_KINDS,
    DEFAULT_REDIS_VERSIONS,
    DEFAULT_VERSIONS,
    MYSQL_84,
    MYSQL_LINES,
    POSTGRES_MINORS,
    REDIS_ENGINES,
    CapacityConfig,
    DataKind,
    DataSettings,
    ExistingData,
    pausable,
    table_problems,
    version_problem,
)


class DataOverride(DataSettings):
    """Per-environment settings of a data entry: any setting, replacing the base one in that environment."""


class Data(DataSettings):
    """One data entry in one environment: its kind, and its settings with the environment's override merged."""

    kind: str = Field(description="; ".join(f"{k.name}: {k.summary}" for k in DATA_KINDS.values()) + ".",
                      json_schema_extra={"enum": list(DATA_KINDS)})
    copilot_name: str | None = Field(
        None, description="The name `copilot storage init -n` gave it: linked applications also get the variable "
        "Copilot injected (MYBUCKET_NAME for my-bucket, MYCLUSTER_SECRET for a database mycluster).",
        examples=["my-bucket"])

    only_in: Annotated[list[str] | None, INDEXED] = Field(
        None, description="The environments that have it (default: every environment); linking it elsewhere is an "
        "error.", examples=[["test"]])

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in DATA_KINDS:
            names = [f"'{k}'" for k in DATA_KINDS]
            raise ValueError(f"'{v}' is not a kind of data; use {or_list(names)}")
        return v

    @field_validator("copilot_name")
    @classmethod
    def _copilot_name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", v):
            raise ValueError(f"'{v}' is not a Copilot storage name; it is the name given to `copilot storage init -n` "
                             "(letters, digits, -, _ and .)")
        return v

    @model_validator(mode="after")
    def _suits_the_kind(self) -> Data:
        raise_all(data_problems(self))
        return self

    @property
    def record(self) -> DataKind:
        return DATA_KINDS[self.kind]

    @property
    def managed(self) -> bool:
        """Whether ecsp creates it (in this environment), rather than linking an existing one."""
        return self.existing is None

    @property
    def aurora(self) -> bool:
        """A database on Aurora Serverless v2 (no instance class given)."""
        return self.kind in ("postgres", "mysql") and self.instance is None

    @property
    def engine_version(self) -> str:
        """The engine version to run (the default of the kind and flavour when unset)."""
        if self.kind == "redis":
            return self.version or DEFAULT_REDIS_VERSIONS[self.cache_engine]
        default = DEFAULT_VERSIONS[(self.kind, "aurora" if self.aurora else "rds")]
        if self.version is None:
            return default
        if self.kind == "postgres" and "." not in self.version:
            return POSTGRES_MINORS[self.version]
        if self.kind == "mysql" and self.version in MYSQL_LINES:
            return default if self.version == "8.0" else MYSQL_84
        return self.version

    @property
    def cache_engine(self) -> str:
        return self.engine or "valkey"

    @property
    def scaling(self) -> CapacityConfig:
        return self.capacity or CapacityConfig()

    def database_name(self, entry: str) -> str:
        """The database created at first: ``database``, else the entry's name with - as _."""
        return self.database or entry.replace("-", "_")


def data_problems(data: Data) -> list[FieldError]:
    """Settings that do not suit the entry's kind, or that an existing entry cannot take, each with the fix."""
    if data.kind not in DATA_KINDS:
        return []
    kind = DATA_KINDS[data.kind]
    errors: list[FieldError] = []
    written = [k for k in DataSettings.model_fields if k != "existing" and getattr(data, k) is not None]
    for key in written:
        if key not in kind.settings:
            takers = [k.name for k in DATA_KINDS.values() if key in k.settings]
            errors.append(FieldError((key,), f"{key} is a setting of {or_list(takers)}, and this is a {kind.name}; "
                                             "remove it"))
        elif data.existing is not None:
            errors.append(FieldError((key,), f"{key} applies to a {kind.name} ecsp creates, and this one is existing "
                                             "(ecsp only links it); remove it, or remove existing"))
    if not kind.managed and data.existing is None:
        errors.append(FieldError(("existing",), f"ecsp links a {kind.name} but never creates one; give it as existing: "
                                                f"{{{kind.required[0]}: ...}}"))
    if data.copilot_name is not None and kind.copilot_suffix is None:
        errors.append(FieldError(("copilot_name",), f"Copilot injected no variable for a {kind.name}; remove "
                                                    "copilot_name"))
    if data.existing is not None:
        errors += _existing_problems(kind, data.existing)
        return errors
    if errors:
        return errors
    if kind.name in ("postgres", "mysql"):
        errors += _database_problems(data)
    elif kind.name == "redis":
        errors += _cache_problems(data)
    elif kind.name == "table":
        errors += table_problems(data)
    return errors


def _existing_problems(kind: DataKind, existing: ExistingData) -> list[FieldError]:
    errors = []
    given = [k for k in ExistingData.model_fields if getattr(existing, k) is not None]
    for key in given:
        if key not in kind.existing:
            errors.append(FieldError(("existing", key), f"an existing {kind.name} is linked by "
                                                        f"{quoted_list(list(kind.existing))}; remove {key}"))
    for key in kind.required:
        if getattr(existing, key) is None:
            errors.append(FieldError(("existing",), f"an existing {kind.name} needs its {key}; add {key}: ... (or "
                                                    f"{key}: {{from_cfn: EXPORT_NAME}})"))
    return errors


def _database_problems(data: Data) -> list[FieldError]:
    errors = []
    if data.aurora and data.storage is not None:
        errors.append(FieldError(("storage",), "Aurora grows its storage by itself; storage applies to an RDS "
                                               "instance (instance: db.t4g.micro): remove it"))
    if not data.aurora:
        for key in ("capacity", "pause_after"):
            if getattr(data, key) is not None:
                errors.append(FieldError((key,), f"{key} applies to Aurora Serverless v2, and instance: "
                                                 f"{data.instance} asks for an RDS instance; remove one of them"))
    version = data.version
    if version is not None:
        problem = version_problem(data.kind, version, aurora=data.aurora)
        if problem:
            errors.append(FieldError(("version",), problem))
            return errors
    if data.aurora:
        scaling = data.scaling
        if scaling.min == 0 and not pausable(data.kind, data.engine_version):
            where = ("capacity", "min") if data.capacity is not None else ("version",)
            errors.append(FieldError(where, f"capacity.min 0 (pause when idle) needs aurora-postgresql 13.15, "
                                            f"14.12, 15.7, 16.3 or later, or aurora-mysql 3.08.0 or later, and "
                                            f"this is {data.engine_version}; use min 0.5, or a newer version"))
        if data.pause_after is not None and scaling.min != 0:
            errors.append(FieldError(("pause_after",), f"pause_after applies when capacity.min is 0, and it is "
                                                       f"{scaling.min:g}; remove pause_after, or set min 0"))
    return errors


def _cache_problems(data: Data) -> list[FieldError]:
    if data.version is None:
        return []
    versions = REDIS_ENGINES[data.cache_engine]
    if data.version.split(".")[0] not in versions:
        return [FieldError(("version",), f"'{data.version}' is not a {data.cache_engine} version ElastiCache "
                                         f"Serverless runs; use {or_list([repr(v) for v in versions])}")]
    return []


class DataConfig(Data):
    """A data entry as written under ``data.<name>``: its kind, settings, and per-environment overrides."""

    environments: dict[str, DataOverride] = Field(
        default_factory=dict, description="Per-environment overrides: an environment's name, then the settings to "
        "use there (e.g. a bigger capacity, or existing: to link what is already there).",
        examples=[{"prod": {"capacity": {"min": 0.5, "max": 16}}}])

    @model_validator(mode="after")
    def _suits_the_kind(self) -> DataConfig:
        # The base alone may be incomplete when every environment's override completes it (existing
        # everywhere): the kind's rules run on each environment's merged settings instead.
        return self

    def resolved(self, environment: str) -> Data:
        """The entry's settings in ``environment`` (raises pydantic's ValidationError when they are wrong)."""
        data = self.model_dump(exclude={"environments"}, exclude_unset=True, exclude_none=True)
        override = self.environments.get(environment)
        if override is not None:
            data.update(override.model_dump(exclude_unset=True, exclude_none=True))
        return Data.model_validate(data)
