"""Read where a Copilot application's environments live from Copilot's SSM parameters (boto3).

Copilot keeps them outside the manifests (aws/copilot-cli internal/pkg/config/store.go): the
JSON parameter ``/copilot/applications/<app>`` (``account``, ``domain``) and one
``/copilot/applications/<app>/environments/<env>`` per environment (``region``,
``accountID``), all in the region where ``copilot app init`` ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ecsp.errors import AwsError


@dataclass(frozen=True)
class CopilotApp:
    """What Copilot's SSM parameters say about an application."""

    name: str
    region: str  # where the parameters are, i.e. the application's home region
    account: str | None = None
    domain: str | None = None
    environments: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # env -> (region, account)


def read_app(app: str, *, region: str | None = None, profile: str | None = None,
             endpoint_url: str | None = None) -> CopilotApp:
    """The application's account, domain and environments, from SSM in ``region`` (or the profile's region)."""
    import boto3  # type: ignore[import-untyped]
    import botocore.exceptions  # type: ignore[import-untyped]

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        where = session.region_name
        if not where:
            raise AwsError("no AWS region to read Copilot's parameters from",
                           fix="pass --region with the region where `copilot app init` ran")
        ssm = session.client("ssm", endpoint_url=endpoint_url)
        path = f"/copilot/applications/{app}"
        try:
            value = ssm.get_parameter(Name=path)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            raise AwsError(f"there is no Copilot application '{app}' in SSM in {where} (no parameter {path})",
                           fix="pass --region with the region where `copilot app init` ran, or --profile for "
                           "its account") from None
        info = _json(value, path)
        environments: dict[str, tuple[str | None, str | None]] = {}
        pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{path}/environments/", Recursive=False)
        for page in pages:
            for parameter in page["Parameters"]:
                env = _json(parameter["Value"], parameter["Name"])
                name = env.get("name") or parameter["Name"].rsplit("/", 1)[-1]
                environments[str(name)] = (env.get("region") or None, env.get("accountID") or None)
    except botocore.exceptions.NoCredentialsError:
        raise AwsError("no AWS credentials to read Copilot's parameters",
                       fix="set AWS_PROFILE or pass --profile, or give each environment with --env") from None
    except botocore.exceptions.ProfileNotFound as e:
        raise AwsError(str(e), fix="pass a profile from ~/.aws/config") from None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise AwsError(f"cannot read Copilot's parameters: {e}",
                       fix="check the credentials (ssm:GetParameter, ssm:GetParametersByPath), or give each "
                       "environment with --env instead of --from-aws") from None
    return CopilotApp(app, where, info.get("account") or None, info.get("domain") or None,
                      dict(sorted(environments.items())))


def _json(value: str, name: str) -> dict[str, Any]:
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        raise AwsError(f"{name} is not the JSON Copilot writes", fix="check that the parameter was written by "
                       "Copilot, or give the environments with --env") from None
    return data if isinstance(data, dict) else {}
