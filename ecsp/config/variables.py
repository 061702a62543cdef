"""Environment variables and secrets of a container: names, secret references, the two kept apart."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator

from ecsp.config.base import FieldError, raise_all
from ecsp.config.exports import TextOrExport

ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SSM_NAME_PATTERN = r"^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"
SSM_ARN_PATTERN = r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_./-]+$"
# `!` only in the names services give the secrets they manage (RDS: rds!cluster-...).
SECRETSMANAGER_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@:!-]+$"

RESERVED_PREFIX = "ECSP_"


def stringify(v: Any) -> Any:
    # YAML turns `DEBUG: true` and `PORT: 80` into bool/int; environment values and build args are strings.
    if isinstance(v, dict):
        return {k: (str(x).lower() if isinstance(x, bool) else str(x)) if isinstance(x, int | float) else x
                for k, x in v.items()}
    return v


def secret_errors(values: Mapping[str, Any]) -> list[FieldError]:
    errors = env_name_errors(values)
    errors += [
        FieldError(
            (name,),
            f"'{ref}' is not an SSM parameter name or an SSM/Secrets Manager ARN; "
            "use e.g. /shop/db-password or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
        )
        for name, ref in values.items()
        if isinstance(ref, str) and secret_kind(ref) is None
    ]
    return errors


def both_ways(variables: Mapping[str, Any], secrets: Mapping[str, Any],
               at: tuple[str | int, ...] = ()) -> list[FieldError]:
    # ECS refuses a task definition that sets one name both ways.
    return [FieldError((*at, "secrets", name), f"'{name}' is also in variables; a container gets each name "
                                               "once: keep it in variables or in secrets, not both")
            for name in secrets if name in variables]


def env_name_errors(values: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    for name in values:
        if not re.fullmatch(ENV_VAR_PATTERN, name):
            errors.append(FieldError((name,), f"'{name}' is not a valid environment variable name; use letters, "
                                              "digits and _, not starting with a digit"))
        elif name.upper().startswith(RESERVED_PREFIX):
            errors.append(FieldError((name,), f"names starting with {RESERVED_PREFIX} are reserved for the "
                                              "variables ecsp sets; rename it"))
    return errors


def secret_kind(ref: str) -> Literal["ssm", "secretsmanager"] | None:
    """Which store a secret reference points at, or None when it is neither."""
    if re.fullmatch(SECRETSMANAGER_ARN_PATTERN, ref):
        return "secretsmanager"
    if re.fullmatch(SSM_ARN_PATTERN, ref) or (not ref.startswith("arn:") and re.fullmatch(SSM_NAME_PATTERN, ref)):
        return "ssm"
    return None


def _names_valid(values: dict[str, Any]) -> dict[str, Any]:
    raise_all(env_name_errors(values))
    return values


def _references_valid(values: dict[str, Any]) -> dict[str, Any]:
    raise_all(secret_errors(values))
    return values


def _registry_credentials(ref: str) -> str:
    if not re.fullmatch(SECRETSMANAGER_ARN_PATTERN, ref):
        raise ValueError(f"'{ref}' is not a Secrets Manager secret ARN; use "
                         "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME")
    return ref


# The secret ECS logs in to a private registry with (its username and password), to pull an image.
RegistryCredentials = Annotated[str, AfterValidator(_registry_credentials)]
# Environment variables and secrets by name; YAML's numbers and booleans are written as text first.
Variables = Annotated[dict[str, str], BeforeValidator(stringify), AfterValidator(_names_valid)]
Secrets = Annotated[dict[str, str], BeforeValidator(stringify), AfterValidator(_references_valid)]
# The application's own container may also read a value from a CloudFormation export at deploy time:
# {from_cfn: NAME} (ecsp.config.exports); its sidecars take plain values.
TaskVariables = Annotated[dict[str, TextOrExport], BeforeValidator(stringify), AfterValidator(_names_valid)]
TaskSecrets = Annotated[dict[str, TextOrExport], BeforeValidator(stringify), AfterValidator(_references_valid)]
