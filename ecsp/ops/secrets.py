"""``ecsp secret set|ls|rm``: an environment's secrets in SSM Parameter Store (SecureString) or Secrets Manager.

A secret ``NAME`` of environment ``E`` is the parameter ``/ecsp/<project>/<E>/NAME`` or the
secret ``ecsp/<project>/<E>/NAME``, in the environment's account and region, tagged
``ecsp:project`` and ``ecsp:environment``. An application uses it by reference in
``ecsp.yaml`` (``secrets: {DB_PASSWORD: /ecsp/shop/test/DB_PASSWORD}``, or the secret's
ARN), and its task execution role may read exactly the references it lists
(:mod:`stacks.application_iam`). A Secrets Manager secret also gets a resource policy that
denies reading its value to any principal not tagged with this project and environment,
which ecsp's roles are (their provider's default tags): so only this project's roles of
this environment can read it, whatever their identity policies say.

The value is passed to AWS and nowhere else: never printed, never kept, and redacted
from log records (botocore logs request bodies at DEBUG level) while it is being sent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from ecsp.aws import Sessions, aws_errors, error_code
from ecsp.config import ProjectConfig
from ecsp.config.exports import literal
from ecsp.errors import EcspError, UsageError
from ecsp.ops import check_names
from ecsp.ops.find import ENVIRONMENT_TAG, PROJECT_TAG

Store = Literal["ssm", "secretsmanager"]
NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
SSM_STANDARD_LIMIT = 4096  # bytes in a standard-tier parameter; larger values need Secrets Manager
SECRETS_MANAGER_LIMIT = 65536
RECOVERY_DAYS = 7  # Secrets Manager keeps a deleted secret this long (its minimum), so rm can be undone
# Loggers that may write request bodies: the value is redacted from their records while it is sent.
LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


class SecretInUseError(EcspError):
    """The secret is referenced by an application in ecsp.yaml (removing it would break its next task start)."""


@dataclass(frozen=True)
class Secret:
    """One secret of an environment, as AWS describes it (never its value)."""

    name: str
    environment: str
    store: Store
    reference: str  # what an application lists under secrets: the parameter name, or the secret's ARN
    version: str | None = None
    modified: datetime | None = None
    used_by: tuple[str, ...] = ()  # applications (and variable names) whose secrets reference it
    created: bool = False  # set: this call created it; else it changed an existing one

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "environment": self.environment, "store": self.store, "reference": self.reference,
                "version": self.version, "modified": self.modified.isoformat() if self.modified else None,
                "used_by": list(self.used_by)}


@dataclass(frozen=True)
class SecretNames:
    """Where the secret ``name`` of an environment lives in each store."""

    project: str
    environment: str
    name: str = field(default="")

    @property
    def path(self) -> str:
        return f"/ecsp/{self.project}/{self.environment}"

    @property
    def parameter(self) -> str:
        return f"{self.path}/{self.name}"

    @property
    def secret(self) -> str:
        return f"ecsp/{self.project}/{self.environment}/{self.name}"

    def tags(self) -> dict[str, str]:
        return {PROJECT_TAG: self.project, ENVIRONMENT_TAG: self.environment}


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise UsageError(f"'{name}' is not a secret name ecsp can use",
                         fix="use up to 128 letters, digits, '_', '.' and '-', e.g. DB_PASSWORD")
    return name


def read_only_policy(names: SecretNames) -> str:
    """Secrets Manager resource policy: deny reading the value to principals not tagged for this project and env."""
    statements = [{
        "Sid": f"OnlyEcsp{key.split(':')[1].capitalize()}",
        "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        # One statement per tag: a principal missing either tag, or with another value, is denied.
        "Condition": {"StringNotEquals": {f"aws:PrincipalTag/{key}": value}},
    } for key, value in names.tags().items()]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


@contextlib.contextmanager
def redacted(value: str) -> Iterator[None]:
    """While the block runs, log records of the AWS SDK's loggers show ``[secret]`` where ``value`` would be."""
    names = [n for n in list(logging.Logger.manager.loggerDict) if n.split(".")[0] in LOGGERS]
    loggers = [logging.getLogger(n) for n in {*LOGGERS, *names}]
    hidden = _Redact(value)
    for logger in loggers:
        logger.addFilter(hidden)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(hidden)


class _Redact(logging.Filter):
    """Replaces the value in a record's message, as sent (JSON) and as logged (the repr of a body), line by line too."""

    def __init__(self, value: str) -> None:
        super().__init__()
        pieces = [value, *value.splitlines()]
        forms = {f for p in pieces for f in (p, json.dumps(p)[1:-1], repr(json.dumps(p)[1:-1])[1:-1], repr(p)[1:-1])}
        # Longest first, so a line is not half-replaced by a shorter form inside it.
        self.forms = sorted(forms - {""}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(form in text for form in self.forms):
            for form in self.forms:
                text = text.replace(form, "[secret]")
            record.msg, record.args = text, None
        return True


def references(config: ProjectConfig, env: str) -> dict[str, list[str]]:
    """Secret reference -> ``app.VARIABLE`` of every application in ``env`` that lists it (sidecars too)."""
    found: dict[str, list[str]] = {}
    for app in config.applications:
        settings = config.application(env, app)
        # A secret read from a CloudFormation export (from_cfn) has no reference before the stack deploys.
        containers: dict[str, dict[str, str]] = {
            app: literal(settings.secrets),
            **{f"{app}/{name}": dict(sidecar.secrets) for name, sidecar in settings.sidecars.items()}}
        for owner, secrets in containers.items():
            for variable, ref in secrets.items():
                found.setdefault(_base(ref), []).append(f"{owner}.{variable}")
    return found


def _base(reference: str) -> str:
    """A reference as the store names the secret: a parameter's name, or a secret's ARN without ECS's suffixes."""
    if reference.startswith("arn:") and ":ssm:" in reference:
        return "/" + reference.split(":parameter/", 1)[1]
    if reference.startswith("arn:"):
        return ":".join(reference.split(":")[:7])
    return "/" + reference.removeprefix("/")


def _used_by(found: dict[str, list[str]], reference: str) -> tuple[str, ...]:
    key = _base(reference)
    # A Secrets Manager ARN may be written without its random suffix (a partial ARN).
    matches = [v for ref, uses in found.items() for v in uses if ref == key or key.startswith(ref + "-")]
    return tuple(sorted(matches))


# --------------------------------------------------------------------------- set


def put(config: ProjectConfig, sessions: Sessions, env: str, name: str, value: str, *,
        store: Store = "ssm") -> Secret:
    """Create or update secret ``name`` of ``env`` with ``value``; what AWS says about it (never the value)."""
    check_names(config, [env])
    check_name(name)
    if not value:
        raise UsageError(f"the value of {name} is empty", fix="pass the value on stdin or with --from-file")
    names = SecretNames(config.project.name, env, name)
    size = len(value.encode())
    if store == "ssm" and size > SSM_STANDARD_LIMIT:
        raise UsageError(f"the value of {name} is {size} bytes; an SSM parameter holds up to {SSM_STANDARD_LIMIT}",
                         fix="store it in Secrets Manager with --secretsmanager (up to 64 KiB)")
    if size > SECRETS_MANAGER_LIMIT:
        raise UsageError(f"the value of {name} is {size} bytes; Secrets Manager holds up to {SECRETS_MANAGER_LIMIT}",
                         fix="keep large files in S3 and put their location in a variable")
    with aws_errors(sessions.where(env)), redacted(value):
        if store == "ssm":
            secret = _put_parameter(sessions.client(env, "ssm"), names, value)
        else:
            secret = _put_secret(sessions.client(env, "secretsmanager"), names, value)
    return dataclasses.replace(secret, used_by=_used_by(references(config, env), secret.reference))


def _put_parameter(ssm: Any, names: SecretNames, value: str) -> Secret:
    tags = [{"Key": k, "Value": v} for k, v in names.tags().items()]
    description = f"ecsp secret {names.name} of {names.project}/{names.environment}"
    try:
        result = ssm.put_parameter(Name=names.parameter, Value=value, Type="SecureString", Tags=tags,
                                   Description=description)
        created = True
    except ClientError as e:
        if error_code(e) != "ParameterAlreadyExists":
            raise
        # SSM takes no tags together with Overwrite: write, then tag.
        result = ssm.put_parameter(Name=names.parameter, Value=value, Type="SecureString", Overwrite=True,
                                   Description=description)
        ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=names.parameter, Tags=tags)
        created = False
    return Secret(names.name, names.environment, "ssm", names.parameter, str(result.get("Version")), created=created)


def _put_secret(sm: Any, names: SecretNames, value: str) -> Secret:
    tags = [{"Key": k, "Value": v} for k, v in names.tags().items()]
    try:
        result = sm.create_secret(Name=names.secret, SecretString=value, Tags=tags,
                                  Description=f"ecsp secret {names.name} of {names.project}/{names.environment}")
        created = True
    except ClientError as e:
        if error_code(e) != "ResourceExistsException":
            raise
        result = sm.put_secret_value(SecretId=names.secret, SecretString=value)
        sm.tag_resource(SecretId=names.secret, Tags=tags)
        created = False
    sm.put_resource_policy(SecretId=result["ARN"], ResourcePolicy=read_only_policy(names), BlockPublicPolicy=True)
    return Secret(names.name, names.environment, "secretsmanager", str(result["ARN"]), str(result.get("VersionId")),
                  created=created)


# --------------------------------------------------------------------------- ls


def listing(config: ProjectConfig, sessions: Sessions, environments: Sequence[str] = ()) -> list[Secret]:
    """Every ecsp secret of the environments (all by default), with the applications that use each."""
    check_names(config, environments)
    out: list[Secret] = []
    for env in environments or list(config.environments):
        names = SecretNames(config.project.name, env)
        found = references(config, env)
        with aws_errors(sessions.where(env)):
            for parameter in _parameters(sessions.client(env, "ssm"), names):
                name = str(parameter["Name"])
                out.append(Secret(name.rsplit("/", 1)[-1], env, "ssm", name, str(parameter.get("Version")),
                                  parameter.get("LastModifiedDate"), _used_by(found, name)))
            for secret in _secrets(sessions.client(env, "secretsmanager"), names):
                out.append(Secret(str(secret["Name"]).rsplit("/", 1)[-1], env, "secretsmanager", str(secret["ARN"]),
                                  None, secret.get("LastChangedDate") or secret.get("CreatedDate"),
                                  _used_by(found, str(secret["ARN"]))))
    return sorted(out, key=lambda s: (s.environment, s.name, s.store))


def _parameters(ssm: Any, names: SecretNames) -> Iterator[dict[str, Any]]:
    filters = [{"Key": "Path", "Option": "OneLevel", "Values": [names.path]}]
    for listing_page in ssm.get_paginator("describe_parameters").paginate(ParameterFilters=filters):
        yield from listing_page.get("Parameters", [])


def _secrets(sm: Any, names: SecretNames) -> Iterator[dict[str, Any]]:
    prefix = names.secret
    for listing_page in sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [prefix]}]):
        for secret in listing_page.get("SecretList", []):
            if str(secret.get("Name", "")).startswith(prefix) and "/" not in str(secret["Name"])[len(prefix):]:
                yield secret


# --------------------------------------------------------------------------- rm


def find_secret(config: ProjectConfig, sessions: Sessions, env: str, name: str) -> list[Secret]:
    """The secret ``name`` of ``env`` in each store that has it."""
    check_name(name)
    return [s for s in listing(config, sessions, [env]) if s.name == name]


def remove(config: ProjectConfig, sessions: Sessions, env: str, name: str, *, force: bool = False,
           confirm: Callable[[list[Secret]], None] | None = None) -> list[Secret]:
    """Delete secret ``name`` of ``env`` from every store that has it; what was deleted.

    Refuses (:class:`SecretInUseError`) while an application lists it, unless ``force``;
    ``confirm`` is called with what would be deleted, last, and may raise to stop. A
    Secrets Manager secret is recoverable for :data:`RECOVERY_DAYS` days.
    """
    found = find_secret(config, sessions, env, name)
    if not found:
        raise UsageError(f"environment '{env}' has no secret '{name}'",
                         fix=f"`ecsp secret ls --env {env}` lists them")
    users = sorted({u for s in found for u in s.used_by})
    if users and not force:
        raise SecretInUseError(f"{', '.join(users)} use{'s' if len(users) == 1 else ''} secret '{name}' in '{env}': "
                               "their tasks could not start without it",
                               fix="remove it from their secrets in ecsp.yaml and run `ecsp up` first, or pass --force")
    if confirm is not None:
        confirm(found)
    with aws_errors(sessions.where(env)):
        for secret in found:
            if secret.store == "ssm":
                sessions.client(env, "ssm").delete_parameter(Name=secret.reference)
            else:
                sessions.client(env, "secretsmanager").delete_secret(SecretId=secret.reference,
                                                                     RecoveryWindowInDays=RECOVERY_DAYS)
    return found


__all__ = ["Secret", "SecretInUseError", "SecretNames", "check_name", "find_secret", "listing",
           "put", "read_only_policy", "redacted", "references", "remove"]
