"""The task's containers beyond their image: commands, registry logins, sidecars, FireLens, health checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecsp import shellwords
from ecsp.config import FLUENT_BIT_IMAGE, LOG_RETENTION_DAYS, secret_kind
from ecsp.importer import variables as variable_section
from ecsp.importer.fields import Loc, Mapper, WorkloadContext, as_string, flag


def command(m: Mapper, loc: Loc, value: Any) -> list[str] | None:
    """A Copilot ``command`` or ``entrypoint`` as ecsp's list of words, or None (noted) when there is none.

    Copilot takes a list as it is and splits a string with shell rules (github.com/google/shlex),
    which :mod:`ecsp.shellwords` follows, so the container runs the same words.
    """
    if isinstance(value, list):
        words = [as_string(w) for w in value]
    else:
        try:
            words = shellwords.split(as_string(value))
        except ValueError as e:
            m.refuse(loc, f"{value!r} cannot be split into words ({e}); Copilot could not deploy it either: fix it "
                          "and import again")
            return None
    if not words:
        m.note("note", loc, "is empty, so the image's own runs; ecsp leaves it out")
        return None
    return [variable_section.runtime_names(m, loc, w) for w in words]


def registry_login(m: Mapper, loc: Loc, value: Any) -> str | None:
    """A private registry's login as ecsp takes it (a Secrets Manager secret ARN), or None (refused)."""
    text = as_string(value)
    if text.startswith("arn:") and secret_kind(text) == "secretsmanager":
        return text
    m.refuse(loc, f"{text!r} is not a Secrets Manager secret ARN, which ECS needs to log in to the private "
                  "registry; give the secret's ARN")
    return None


def container_health(m: Mapper, loc: Loc, health: Any) -> dict[str, Any]:
    if not isinstance(health, Mapping):
        return {}
    check: dict[str, Any] = {}
    command = health.get("command")
    if command is not None:
        check["command"] = [str(c) for c in command] if isinstance(command, list) else ["CMD-SHELL", str(command)]
    for key in ("interval", "timeout", "start_period"):
        if health.get(key) is not None:
            value = m.seconds((*loc, key), health[key])
            if value is not None:
                check[key] = value
    if health.get("retries") is not None:
        check["retries"] = health["retries"]
    return check


def sidecars(m: Mapper, ctx: WorkloadContext) -> None:
    sidecars = m.f.get("sidecars")
    if not isinstance(sidecars, Mapping) or not sidecars:
        return
    out: dict[str, Any] = {}
    for name, sidecar in sidecars.items():
        loc: Loc = ("sidecars", name)
        if not isinstance(sidecar, Mapping):
            continue
        mapped: dict[str, Any] = {}
        image = sidecar.get("image")
        if isinstance(image, Mapping):
            if image.get("build") is not None:
                m.refuse((*loc, "image", "build"), "builds the sidecar's image; ecsp sidecars take an image URI, "
                                                   "so build and push it yourself and set image")
            image = image.get("location")
        if image is not None:
            mapped["image"] = image
        port = sidecar.get("port")
        if port is not None:
            number, _, protocol = str(port).partition("/")
            if protocol and protocol.lower() != "tcp":
                m.warn((*loc, "port"), f"{port}: ecsp exposes sidecar ports as TCP")
            mapped["port"] = int(number)
        if flag(sidecar.get("essential")) is not None:
            mapped["essential"] = flag(sidecar["essential"])
        variables = variable_section.variables(m, ctx, (*loc, "variables"), sidecar.get("variables"))
        if variables:
            mapped["variables"] = variables
        secrets = variable_section.secrets(m, ctx, (*loc, "secrets"), sidecar.get("secrets"))
        if secrets:
            mapped["secrets"] = secrets
        if sidecar.get("depends_on"):
            mapped["depends_on"] = dict(sidecar["depends_on"])
        check = container_health(m, (*loc, "healthcheck"), sidecar.get("healthcheck"))
        if check:
            mapped["healthcheck"] = check
        for key in ("entrypoint", "command"):
            if sidecar.get(key) is not None and (words := command(m, (*loc, key), sidecar[key])) is not None:
                mapped[key] = words
        if sidecar.get("mount_points"):
            m.refuse((*loc, "mount_points"), "mounts the service's volumes into the sidecar; ecsp mounts volumes "
                                             "into the main container only, so the sidecar would write elsewhere")
        if sidecar.get("credentialsParameter") is not None:
            login = registry_login(m, (*loc, "credentialsParameter"), sidecar["credentialsParameter"])
            if login is not None:
                mapped["credentials"] = login
        if sidecar.get("labels"):
            m.warn((*loc, "labels"), "set Docker labels; ecsp sets none")
        if sidecar.get("env_file") is not None:
            m.warn((*loc, "env_file"), "ecsp has no env files: add its variables under the sidecar's variables")
        out[str(name)] = mapped
    m.out.fields["sidecars"] = out


def logging(m: Mapper, ctx: WorkloadContext) -> None:
    logging = m.f.get("logging")
    if not isinstance(logging, Mapping):
        return
    retention = logging.get("retention")
    if retention is not None:
        # Round up, so logs are never kept for less time than they were.
        allowed = [d for d in LOG_RETENTION_DAYS if d >= retention]
        days = allowed[0] if allowed else LOG_RETENTION_DAYS[-1]
        if days != retention:
            m.note("note", ("logging", "retention"), f"logging.retention {retention} days is not a CloudWatch "
                                                     f"retention; ecsp keeps logs {days} days")
        m.out.fields["log_retention"] = days
    if logging.get("image") is not None or logging.get("destination"):
        options = {str(k): as_string(v) for k, v in (logging.get("destination") or {}).items()}
        m.out.fields["logging"] = {"firelens": {"image": logging.get("image") or FLUENT_BIT_IMAGE, "options": options}}
    for key, what in (("enableMetadata", "chose whether ECS metadata is added to log records"),
                      ("secretOptions", "passed secrets to the log router"),
                      ("configFilePath", "pointed Fluent Bit at a config file in its image"),
                      ("variables", "set variables on the log router"), ("secrets", "set secrets on the log router"),
                      ("env_file", "gave the log router an env file")):
        if logging.get(key) not in (None, {}):
            m.warn(("logging", key), f"{what}; ecsp's FireLens router takes only image and options")
