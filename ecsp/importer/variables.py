"""variables, env_file and secrets, and the COPILOT_* names a container reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ecsp.config import secret_kind
from ecsp.config.exports import export_name_problem
from ecsp.importer.fields import Loc, Mapper, WorkloadContext, as_string

# Environment variables Copilot set in every container, and what ecsp sets instead.
RUNTIME_NAMES = {
    "COPILOT_APPLICATION_NAME": "ECSP_PROJECT", "COPILOT_ENVIRONMENT_NAME": "ECSP_ENVIRONMENT",
    "COPILOT_SERVICE_NAME": "ECSP_APPLICATION", "COPILOT_SNS_TOPIC_ARNS": "ECSP_SNS_TOPIC_ARNS",
    "COPILOT_QUEUE_URI": "ECSP_QUEUE_URL",
}


_RUNTIME_REF = re.compile(r"\$(\{)?(COPILOT_[A-Z0-9_]+)(?(1)\})")


def runtime_names(m: Mapper, loc: Loc, value: str) -> str:
    """``$COPILOT_X`` references (read by a shell in the container) renamed to ecsp's variables."""
    def rename(match: re.Match[str]) -> str:
        name = match.group(2)
        new = RUNTIME_NAMES.get(name)
        if new is None:
            m.warn(loc, f"reads ${name}, which Copilot set in the container and ecsp does not")
            return match.group(0)
        return match.group(0).replace(name, new)

    return _RUNTIME_REF.sub(rename, value)


def from_cfn(m: Mapper, loc: Loc, value: Mapping[str, Any]) -> dict[str, str] | None:
    """``{from_cfn: NAME}`` as ecsp writes it (ecsp reads the export when it deploys), or None (refused)."""
    name = str(value.get("from_cfn"))
    problem = export_name_problem(name)
    if problem:
        m.refuse(loc, f"takes its value from the CloudFormation export {name}, and {problem}")
        return None
    return {"from_cfn": name}


def variables(m: Mapper, ctx: WorkloadContext, loc: Loc, variables: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (variables or {}).items():
        if isinstance(value, Mapping):
            if "from_cfn" in value and (found := from_cfn(m, (*loc, name), value)) is not None:
                out[str(name)] = found
            continue
        if value is None:
            continue
        out[str(name)] = runtime_names(m, (*loc, name), as_string(value))
    return out


def env_file(m: Mapper, ctx: WorkloadContext, loc: Loc, path: Any) -> dict[str, str]:
    file = ctx.root / str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError:
        m.warn(loc, f"{path} is not in the workspace; ecsp has no env files: add its variables under variables")
        return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        # The ECS env-file format: NAME=VALUE per line, '#' comments, no quoting.
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value
    m.note("note", loc, f"env_file {path}: its {len(values)} variable(s) are written under variables (ecsp has no "
                        "env files); keep them in sync or move them here")
    return values


def secrets(m: Mapper, ctx: WorkloadContext, loc: Loc, secrets: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    env = ctx.env
    for name, value in (secrets or {}).items():
        here = (*loc, name)
        if isinstance(value, Mapping) and "from_cfn" in value:
            if (found := from_cfn(m, here, value)) is not None:
                out[str(name)] = found
            continue
        if isinstance(value, Mapping) and value.get("secretsmanager"):
            reference = str(value["secretsmanager"])
            if reference.startswith("arn:"):
                out[str(name)] = reference
            elif env.region and env.account:
                # What Copilot's template did: the secret's name in the environment's own account and region.
                out[str(name)] = f"arn:{env.partition}:secretsmanager:{env.region}:{env.account}:secret:{reference}"
            else:
                # Without the secret the service would start without a value it needs: not a warning.
                m.refuse(here, f"names the Secrets Manager secret '{reference}', and ecsp needs its ARN, which "
                               f"takes environment {env.name}'s account: pass --env {env.copilot_name}=REGION:ACCOUNT "
                               "(or --from-aws)")
            continue
        if not isinstance(value, str) or secret_kind(value) is None:
            m.refuse(here, f"{value!r} is not an SSM parameter name or ARN ecsp can read, and the service needs "
                           "the secret")
            continue
        out[str(name)] = value
    return out
