"""What ecsp knows about an application's field besides its type, and the forms derived from one declaration.

An application is made of blocks, one per capability (:mod:`.task`, :mod:`.containers`,
:mod:`.http`, :mod:`.service`, :mod:`.messaging`, :mod:`.job`). Each field is declared once,
in its block, as the resolved application has it (type, range, default, description), with a
:class:`Setting` in its metadata: the capability it belongs to, how an environment's override
merges it, and the sentence that refuses it on a type without that capability. The kind check,
the merge, the provenance of a value and the salvage of a broken file read these settings; no
table elsewhere names a field.

The other forms are derived here, so a field cannot be declared differently in two places:

* :func:`written_form`: the application as written under ``applications.<app>``: every field
  that an environment may override becomes optional (unset: ``None``), so that resolution
  knows what was written and what is a default;
* :func:`override_form`: what ``environments.<env>`` may set: those fields only, and a model
  merged field by field (the load balancer health check) becomes partial, without the rules
  that only its merged whole can satisfy.

Validation that belongs to a value lives in its type (``Annotated[..., AfterValidator(...)]``),
so each derived form keeps it.
"""

from __future__ import annotations

import copy
import enum
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel, ConfigDict, create_model
from pydantic.fields import FieldInfo

from ecsp.config.base import Marker, Model


class Capability(enum.StrEnum):
    """What an application type can do; each block of fields belongs to one."""

    TASK = "task"  # runs the application's containers as Fargate tasks (every type)
    HTTP = "http"  # behind the environment's load balancer: a path, host names, a target group
    SERVICE = "service"  # ECS keeps its tasks running: a count, deployments, capacity, Service Connect
    SERVE = "serve"  # other applications call it at http://<name>:<port> through Service Connect
    PUBLISH = "publish"  # publishes SNS topics
    QUEUE = "queue"  # consumes its own SQS queue, subscribed to topics
    SCHEDULE = "schedule"  # runs to completion, on a schedule or with `ecsp run`


class Merge(enum.Enum):
    """How an environment's override of a field combines with the base value."""

    REPLACE = "replace"  # the override's value replaces the base's
    BY_NAME = "by name"  # a map: an override's entry replaces the base's entry of that name
    BY_FIELD = "by field"  # a model: the override sets some of its fields, the rest come from the base
    FIXED = "fixed"  # set once for every environment; an override cannot set it


# What salvage leaves where a field is unreadable, when dropping it could make a rule misfire.
Salvage = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Setting(Marker):
    """Field metadata of an application block (see the module docstring).

    ``why`` completes the refusal on a type without the capability: "{why}, and this is a
    worker; remove path, or set kind: web"; ``refusal`` replaces the whole sentence
    (``{called}`` names the type). ``stand_in`` is what salvage writes for an unreadable value
    (a callable gets the mapping it is written in), ``stand_in_overrides`` whether it does so in
    an override too (else the override's value is dropped and the base's stands);
    ``drops_with`` the fields salvage drops everywhere when this one is unreadable (checked together);
    ``unchecked_without``: without this field no rule can judge the application, so salvage leaves
    it out rather than guess (an unreadable ``kind:`` would otherwise be read as a web application).
    """

    capability: Capability
    merge: Merge = Merge.REPLACE
    why: str | None = None
    refusal: str | None = None
    stand_in: Any = None
    stand_in_overrides: bool = False
    drops_with: tuple[str, ...] = ()
    unchecked_without: bool = False


def setting_of(field: FieldInfo) -> Setting | None:
    """The :class:`Setting` in a field's metadata, or None for a field that is not an application setting."""
    return next((m for m in field.metadata if isinstance(m, Setting)), None)


def settings(model: type[BaseModel]) -> dict[str, Setting]:
    """Every application setting of ``model``, by field name, in declaration order."""
    return {name: s for name, field in model.model_fields.items() if (s := setting_of(field)) is not None}


def _optional(field: FieldInfo, annotation: Any = None) -> tuple[Any, FieldInfo]:
    """``field`` made optional (default None), keeping its validators, ranges, description and examples."""
    # Validators move inside the Optional (they must not see None); ranges, lengths and ecsp's markers stay
    # on the field, where pydantic applies the first to the value and the messages read them all.
    kept = [m for m in field.metadata if isinstance(m, annotated_types.BaseMetadata | Marker)]
    rest = [m for m in field.metadata if not isinstance(m, annotated_types.BaseMetadata | Marker)]
    inner: Any = annotation if annotation is not None else field.annotation
    if rest:
        inner = typing.Annotated[(inner, *rest)]
    info = copy.copy(field)
    info.metadata = kept
    info.default = None
    info.default_factory = None
    optional: Any = inner | None
    info.annotation = optional
    return optional, info


def _kept(field: FieldInfo) -> tuple[Any, FieldInfo]:
    return field.annotation, copy.copy(field)


def _derive(name: str, doc: str, fields: Mapping[str, tuple[Any, FieldInfo]]) -> type[Model]:
    config: ConfigDict = dict(Model.model_config)  # type: ignore[assignment]
    derived = create_model(name, __config__=config, __doc__=doc, __module__=__name__,
                           **fields)  # type: ignore[call-overload]
    return typing.cast(type[Model], derived)


def partial_form(model: type[BaseModel], name: str, doc: str) -> type[Model]:
    """``model`` with every field optional and none of its model rules (they hold for the merged whole only)."""
    return _derive(name, doc, {n: _optional(f) for n, f in model.model_fields.items()})


def model_of(field: FieldInfo) -> type[BaseModel]:
    """The model a field merged field by field holds (``X``, ``X | None``, ``Annotated[X, ...]``)."""
    candidates: list[Any] = [field.annotation]
    while candidates:
        candidate = candidates.pop(0)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        candidates += typing.get_args(candidate)
    raise TypeError(f"a field merged field by field must hold a model, not {field.annotation}")


_PARTIALS: dict[type[BaseModel], type[Model]] = {}


def partial_of(model: type[BaseModel]) -> type[Model]:
    """The partial form of a block model (one per model, named ``<Model>Override``)."""
    if model not in _PARTIALS:
        name = model.__name__.removesuffix("Config") + "Override"
        _PARTIALS[model] = partial_form(
            model, name, f"{model.__doc__ or model.__name__}\n\nAs an environment overrides it: any of its fields, "
            "merged into the base field by field; its rules apply to the merged result.")
    return _PARTIALS[model]


def written_form(model: type[BaseModel], name: str, doc: str) -> type[Model]:
    """The application as written: overridable fields optional (None: not written), the others as declared."""
    fields = {}
    for field_name, field in model.model_fields.items():
        setting = setting_of(field)
        if setting is None or setting.merge is Merge.FIXED or field.is_required():
            fields[field_name] = _kept(field)
        else:
            fields[field_name] = _optional(field)
    return _derive(name, doc, fields)


def override_form(model: type[BaseModel], name: str, doc: str) -> type[Model]:
    """What an environment may override: the overridable settings, optional; models merged by field, partial."""
    fields = {}
    for field_name, field in model.model_fields.items():
        setting = setting_of(field)
        if setting is None or setting.merge is Merge.FIXED:
            continue
        partial = partial_of(model_of(field)) if setting.merge is Merge.BY_FIELD else None
        fields[field_name] = _optional(field, partial)
    return _derive(name, doc, fields)
