"""Cross-field problems of a file that failed validation, found in the parts that can be read."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ecsp import naming
from ecsp.config.application import ApplicationSpec, ResolvedApplication
from ecsp.config.base import FieldError
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.fields import setting_of
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
                    and (app := _salvage(ApplicationSpec, raw, _repair_application)) is not None}
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


# Neutralises one bad field in place; False: the whole part cannot be checked.
Repair = Callable[[dict[str, Any], tuple[str | int, ...]], bool]
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
                if not err["loc"] or not repair(data, tuple(err["loc"])):
                    return None
    return None


def _repair_environment(data: dict[str, Any], loc: tuple[str | int, ...]) -> bool:
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
    return True


def _repair_application(data: dict[str, Any], loc: tuple[str | int, ...]) -> bool:
    """Neutralise the unreadable field at ``loc`` as its :class:`~ecsp.config.fields.Setting` says."""
    overrides = data.get("environments")
    if loc[0] == "environments":
        if len(loc) < 3 or not isinstance(overrides, dict) or not isinstance(overrides.get(loc[1]), dict):
            data.pop("environments", None)
            return True
        target, field, in_base = overrides[loc[1]], str(loc[2]), False
    else:
        target, field, in_base = data, str(loc[0]), True
    declared = ResolvedApplication.model_fields.get(field)
    setting = setting_of(declared) if declared is not None else None
    if setting is not None and setting.unchecked_without:
        return False
    if setting is not None and setting.drops_with:
        for place in [data, *(o for o in (overrides or {}).values() if isinstance(o, dict))]:
            for name in setting.drops_with:
                place.pop(name, None)
    elif setting is not None and setting.stand_in is not None and (in_base or setting.stand_in_overrides):
        stand_in = setting.stand_in
        target[field] = stand_in(target) if callable(stand_in) else copy.deepcopy(stand_in)
    else:
        target.pop(field, None)
    return True
