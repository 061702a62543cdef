"""Cross-field problems of a file that failed validation, found in the parts that can be read."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ecsp import naming
from ecsp.config.application import ApplicationConfig
from ecsp.config.base import FieldError
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.project import ProjectSection, name_problem
from ecsp.config.rules import check_project

_M = TypeVar("_M", bound=BaseModel)


def partial_problems(data: Any) -> list[FieldError]:
    """Cross-field problems in a file that failed validation, found in the parts that can be read.

    Pydantic runs no model validator once a field fails, so one typo would hide every
    cross-field problem (two applications on '/', private placement without NAT). The loader
    calls this after a failed validation. Each environment and application is validated on
    its own; one with bad fields is *salvaged*: each bad field is dropped or replaced by a
    neutral placeholder, chosen so that no rule can fire because of it (a unique path, a NAT
    that exists, the default cpu/memory pair). The rules then run on what was read. So no
    false alarms, at the price of missing a problem that involves a bad field.
    """
    if not isinstance(data, dict):
        return []
    project = _valid(ProjectSection, data.get("project"))
    raw_envs = data.get("environments")
    raw_apps = data.get("applications")
    raw_envs = raw_envs if isinstance(raw_envs, dict) else {}
    raw_apps = raw_apps if isinstance(raw_apps, dict) else {}
    environments = {name: env for name, raw in raw_envs.items()
                    if isinstance(name, str) and not name_problem("environment", name, naming.MAX_ENVIRONMENT)
                    and (env := _salvage(EnvironmentConfig, raw, _repair_environment)) is not None}
    applications = {name: app for name, raw in raw_apps.items()
                    if isinstance(name, str) and not name_problem("application", name, naming.MAX_APPLICATION)
                    and (app := _salvage(ApplicationConfig, raw, _repair_application)) is not None}
    known = [name for name in raw_envs if isinstance(name, str)]
    # Name limits depend on every name; with some names unreadable the check would be incomplete anyway.
    complete = len(environments) == len(raw_envs) and len(applications) == len(raw_apps)
    _, errors = check_project(project if complete else None, environments, applications, known)
    return list(dict.fromkeys(errors))


def _valid(model: type[_M], raw: Any) -> _M | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


Repair = Callable[[dict[str, Any], tuple[str | int, ...]], None]
_SALVAGE_ROUNDS = 4


def _salvage(model: type[_M], raw: Any, repair: Repair) -> _M | None:
    """``raw`` validated as ``model`` after ``repair`` neutralised each bad field; None if that fails."""
    if not isinstance(raw, dict):
        return None
    data = copy.deepcopy(raw)
    for _ in range(_SALVAGE_ROUNDS):
        try:
            return model.model_validate(data)
        except ValidationError as e:
            for err in e.errors():
                if not err["loc"]:
                    return None
                repair(data, tuple(err["loc"]))
    return None


def _repair_environment(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    field = loc[0]
    network = data.get("network")
    if field == "region":
        data["region"] = "us-east-1"  # no rule reads the region
    elif field == "network" and isinstance(network, dict) and loc[1:2] == ("cidr",):
        network.pop("cidr", None)
    elif field == "network":
        # The NAT setting is unreadable: assume NAT exists, so private placement is not blamed for it.
        data["network"] = {"nat": "single"}
    else:
        data.pop(str(field), None)


def _repair_application(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    overrides = data.get("environments")
    if loc[0] == "environments":
        if len(loc) < 3 or not isinstance(overrides, dict) or not isinstance(overrides.get(loc[1]), dict):
            data.pop("environments", None)
            return
        target, field, required = overrides[loc[1]], str(loc[2]), False
    else:
        target, field, required = data, str(loc[0]), True
    if field in ("cpu", "memory"):
        # One unreadable half of the pair would make the other look wrong: fall back to the default pair.
        for place in [data, *(o for o in (overrides or {}).values() if isinstance(o, dict))]:
            place.pop("cpu", None)
            place.pop("memory", None)
    elif field == "path":
        target["path"] = f"/~unreadable-{id(target)}"  # unique: collides with no other application
    elif field == "schedule":
        target["schedule"] = "none"  # a job's schedule was written, just wrong: do not also call it missing
    elif required and field in _PLACEHOLDERS:
        data[field] = copy.deepcopy(_PLACEHOLDERS[field])
    else:
        target.pop(field, None)


# Required application fields that no cross-field rule reads.
_PLACEHOLDERS: dict[str, Any] = {"image": {"location": "unreadable"}, "port": 80}


