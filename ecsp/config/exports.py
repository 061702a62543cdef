"""Values read from a CloudFormation export at deploy time: ``{from_cfn: NAME}``, as Copilot's manifests write them.

Any stack in the environment's account and region may export the value, Copilot's own
included: ``variables``, ``secrets`` and ``security_groups`` of an application, and the
``existing`` settings of data, accept either a plain value or ``{from_cfn: NAME}``. The
stacks read the export with ``aws.cloudformation.get_export`` (:mod:`stacks.exports`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema

from ecsp.config.base import Model

# CloudFormation: an export's name has at most 255 letters, digits, colons and hyphens.
EXPORT_NAME_PATTERN = r"^[A-Za-z0-9:-]{1,255}$"


def export_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a CloudFormation export's name (None when it can)."""
    if re.fullmatch(EXPORT_NAME_PATTERN, name):
        return None
    if "${" in name:
        return (f"'{name}' still holds a variable; write the export's name as it is in the environment (e.g. "
                "shop-test-ordersAuroraSecret)")
    if len(name) > 255:
        return f"'{name[:40]}...' is {len(name)} characters; an export's name has at most 255"
    bad = sorted({c for c in name if not re.fullmatch(r"[A-Za-z0-9:-]", c)})
    shown = " ".join(repr(c) for c in bad) or "nothing"
    return (f"'{name}' cannot be a CloudFormation export's name (it has {shown}); export names are letters, digits, "
            "colons and hyphens")


class FromCfn(Model):
    """A value CloudFormation exports under ``from_cfn`` (read when the stack deploys)."""

    from_cfn: str = Field(description="The export's name, e.g. shop-test-ordersAuroraSecret.",
                          json_schema_extra={"pattern": EXPORT_NAME_PATTERN})


def _or_export(value: Any) -> str | FromCfn:
    if isinstance(value, FromCfn):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        keys = set(value)
        if keys != {"from_cfn"}:
            extra = ", ".join(sorted(str(k) for k in keys - {"from_cfn"})) or "nothing"
            raise ValueError(f"a value read from a CloudFormation export is written {{from_cfn: EXPORT_NAME}} "
                             f"(found {extra}); remove the other keys")
        name = value["from_cfn"]
        if not isinstance(name, str):
            raise ValueError("from_cfn takes the export's name as a string, e.g. from_cfn: shop-test-uploadsBucketName")
        problem = export_name_problem(name)
        if problem:
            raise ValueError(problem)
        return FromCfn(from_cfn=name)
    if value is None:
        raise ValueError("has no value; give it one (write '' for an empty string)")
    raise ValueError(f"expected a string or {{from_cfn: EXPORT_NAME}}, not {type(value).__name__}")


_SCHEMA = {"anyOf": [{"type": "string"}, {
    "type": "object", "additionalProperties": False, "required": ["from_cfn"],
    "properties": {"from_cfn": {"type": "string", "pattern": EXPORT_NAME_PATTERN,
                                "description": "A CloudFormation export's name, read at deploy time."}}}]}

# A plain string, or {from_cfn: NAME}; validated by hand so a mistake is reported at the key, not at a union branch.
def _dump(value: str | FromCfn) -> Any:
    return {"from_cfn": value.from_cfn} if isinstance(value, FromCfn) else value


TextOrExport = Annotated[str | FromCfn, PlainValidator(_or_export), PlainSerializer(_dump, return_type=Any),
                         WithJsonSchema(_SCHEMA)]


def literal(values: Mapping[str, str | FromCfn]) -> dict[str, str]:
    """The plain values of a mapping that may hold exports."""
    return {k: v for k, v in values.items() if isinstance(v, str)}


def exported(values: Mapping[str, str | FromCfn]) -> dict[str, str]:
    """The export names of a mapping's values read from CloudFormation, by key."""
    return {k: v.from_cfn for k, v in values.items() if isinstance(v, FromCfn)}
