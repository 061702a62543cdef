"""Application types as sets of capabilities, and one application as resolved, written and overridden.

:data:`APPLICATION_TYPES` is the one table of types, as :mod:`ecsp.kinds` is for stack kinds:
a type is a set of :class:`~ecsp.config.fields.Capability`, and each capability is a block of
fields (:mod:`.task`, :mod:`.containers`, :mod:`.http`, :mod:`.service`, :mod:`.messaging`,
:mod:`.job`). Code asks an application what it can do (:meth:`ResolvedApplication.has`), never
which type it is; a new type made of existing capabilities is one row here.

:class:`ResolvedApplication` is every block together: one application's effective settings
in one environment. :class:`ApplicationSpec` (under ``applications.<app>``) and
:class:`ApplicationOverride` (under its ``environments.<env>``) are derived from it
(:mod:`.fields`), so each field is declared once. The YAML key is ``kind:``; in code, an
application has a *type*, and "kind" means a stack kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from ecsp import fargate
from ecsp.config.base import FieldError, Model, or_list, raise_all
from ecsp.config.containers import ContainerBlock
from ecsp.config.fields import Capability, Merge, Setting, override_form, settings, written_form
from ecsp.config.http import HttpBlock
from ecsp.config.job import ScheduleBlock
from ecsp.config.links import LinksBlock
from ecsp.config.messaging import PublishBlock, QueueBlock
from ecsp.config.needs import Need
from ecsp.config.service import ServiceBlock
from ecsp.config.task import TaskBlock, pair_message
from ecsp.config.variables import both_ways

TASK, HTTP, SERVICE, SERVE = Capability.TASK, Capability.HTTP, Capability.SERVICE, Capability.SERVE
PUBLISH, QUEUE, SCHEDULE = Capability.PUBLISH, Capability.QUEUE, Capability.SCHEDULE


@dataclass(frozen=True)
class ApplicationType:
    """One type of application: what it can do, and how ``kind:``'s description and the messages name it."""

    name: str
    capabilities: frozenset[Capability]
    summary: str
    called: str = ""  # "a web application"; default: the name

    def __post_init__(self) -> None:
        if not self.called:
            object.__setattr__(self, "called", self.name)

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities


APPLICATION_TYPES: dict[str, ApplicationType] = {t.name: t for t in (
    ApplicationType("web", frozenset({TASK, HTTP, SERVICE, SERVE, PUBLISH}), "behind the load balancer",
                    called="web application"),
    ApplicationType("backend", frozenset({TASK, SERVICE, SERVE, PUBLISH}),
                    "a service reached only by other applications"),
    ApplicationType("worker", frozenset({TASK, SERVICE, QUEUE, PUBLISH}), "a service consuming its SQS queue"),
    ApplicationType("job", frozenset({TASK, SCHEDULE, PUBLISH}), "a task run on a schedule or with `ecsp run`"),
)}


# The type of an application that writes no kind:.
DEFAULT_TYPE = "web"


def type_with(capability: Capability) -> ApplicationType:
    """The first type in the table that has ``capability`` (what a message suggests switching to)."""
    return next(t for t in APPLICATION_TYPES.values() if t.has(capability))


def _known_type(value: Any) -> Any:
    # Read at validation time, not frozen into a Literal: a type added to the table is accepted at once.
    if value not in APPLICATION_TYPES:
        names = [f"'{name}'" for name in APPLICATION_TYPES]
        raise ValueError(f"'{value}' is not allowed; use {or_list(names)}")
    return value


# Blocks in the order their fields are listed: pydantic lists the fields of the last base first.
class ResolvedApplication(ScheduleBlock, QueueBlock, PublishBlock, ServiceBlock, HttpBlock, LinksBlock, ContainerBlock,
                          TaskBlock):
    """One application's effective settings in one environment (defaults applied, overrides merged)."""

    kind: Annotated[str, BeforeValidator(_known_type), Setting(TASK, Merge.FIXED, unchecked_without=True)] = Field(
        DEFAULT_TYPE, description="; ".join(f"{t.name}: {t.summary}" for t in APPLICATION_TYPES.values()) + ".",
        json_schema_extra={"enum": list(APPLICATION_TYPES)})

    @model_validator(mode="after")
    def _cpu_memory_pair(self) -> ResolvedApplication:
        if not fargate.is_valid(self.cpu, self.memory):
            raise FieldError(("memory",), pair_message(self.cpu, self.memory))
        return self

    @model_validator(mode="after")
    def _variable_and_secret_names_differ(self) -> ResolvedApplication:
        raise_all(both_ways(self.variables, self.secrets))
        return self

    @model_validator(mode="after")
    def _fields_suit_the_type(self) -> ResolvedApplication:
        raise_all(type_problems(self))
        return self

    @property
    def type(self) -> ApplicationType:
        return APPLICATION_TYPES[self.kind]

    def has(self, capability: Capability) -> bool:
        """Whether this application's type has ``capability``."""
        return self.type.has(capability)

    def discovery_name(self, application: str) -> str | None:
        """The Service Connect name others call, or None when it serves none (no connect, or not a server)."""
        if not self.connect or not self.has(SERVE):
            return None
        return self.connect if isinstance(self.connect, str) else application

    def environment_needs(self) -> list[Need]:
        """What this application needs from its environment, as each block declares it."""
        return [*TaskBlock.environment_needs(self), *ContainerBlock.environment_needs(self),
                *ServiceBlock.environment_needs(self)]


def _unset(value: Any) -> bool:
    return value is None or value is False or value == []


def type_problems(app: ResolvedApplication) -> list[FieldError]:
    """Fields that do not suit the application's type, or that its capabilities need, each with the fix."""
    app_type = app.type
    called = app_type.called
    errors: list[FieldError] = []
    for name, setting in settings(type(app)).items():
        if app_type.has(setting.capability) or name not in app.model_fields_set or _unset(getattr(app, name)):
            continue
        suggested = type_with(setting.capability).name
        if setting.refusal:
            message = setting.refusal.format(called=called)
        elif setting.why:
            message = f"{setting.why}, and this is a {called}; remove {name}, or set kind: {suggested}"
        else:
            message = f"{name} does not apply to a {called}; remove {name}, or set kind: {suggested}"
        errors.append(FieldError((name,), message))
    if app_type.has(HTTP) and app.port is None:
        errors.append(FieldError(("port",), f"'port' is required for a {called} (the load balancer forwards to it); "
                                            "add it, e.g. port: 80"))
    elif app_type.has(SERVE) and app.connect and app.port is None:
        errors.append(FieldError(("port",), f"a {called} with connect needs the port other applications call; add "
                                            "it, e.g. port: 8080"))
    if app_type.has(SERVICE) and not app_type.has(SERVE) and isinstance(app.connect, str):
        errors.append(FieldError(("connect",), f"a {called} only calls other applications (it serves no port), so it "
                                               "has no discovery name; write connect: true"))
    if app_type.has(SCHEDULE) and app.schedule is None:
        errors.append(FieldError(("schedule",), f"a {called} needs a schedule; add e.g. schedule: \"rate(1 day)\", "
                                                "schedule: \"cron(0 3 * * ? *)\" or schedule: none (run it with "
                                                "`ecsp run`)"))
    errors.extend(deployment_problems(app))
    scaling = app.autoscaling
    if scaling is not None and not app_type.has(HTTP) and scaling.requests is not None:
        errors.append(FieldError(("count", "requests"), f"a {called} is not behind the load balancer, so there are no "
                                                        "requests to count; scale on cpu_percentage or "
                                                        "memory_percentage" + (", or queue_delay" if app_type.has(QUEUE)
                                                                               else "")))
    if scaling is not None and not app_type.has(QUEUE) and scaling.queue_delay is not None:
        queued = type_with(QUEUE)
        errors.append(FieldError(("count", "queue_delay"), f"only a {queued.called} has a queue to scale on, and this "
                                                           f"is a {called}; remove queue_delay, or set kind: "
                                                           f"{queued.name}"))
    return errors


def deployment_problems(app: ResolvedApplication) -> list[FieldError]:
    """Deployment settings that need what this application lacks: traffic to shift, a load balancer to measure."""
    if not app.has(SERVICE):
        return []
    called, deployment, errors = app.type.called, app.deployment, []
    balanced = app.has(HTTP)
    if deployment.shifts_traffic and not balanced and not (app.has(SERVE) and app.connect):
        serves = app.has(SERVE)
        how = "set connect: true (Service Connect shifts its callers' traffic), or " if serves else ""
        errors.append(FieldError(("deployment", "strategy"), f"strategy: {deployment.strategy} moves traffic from the "
                                 f"old tasks to the new ones, and a {called}{' without connect' if serves else ''} "
                                 f"receives none through the load balancer or Service Connect; {how}use strategy: "
                                 "rolling"))
    if deployment.test_route is not None and not balanced:
        errors.append(FieldError(("deployment", "test_route"), f"a test route is a rule on the load balancer, and a "
                                 f"{called} is not behind it; remove test_route"))
    alarms = deployment.alarms
    if alarms is not None and not balanced:
        for key in ("errors", "response_time"):
            if getattr(alarms, key) is not None:
                errors.append(FieldError(("deployment", "alarms", key), f"{key} is measured on the load balancer's "
                                         f"target group, and a {called} has none; name existing alarms in names, or "
                                         f"remove {key}"))
    return errors


if TYPE_CHECKING:
    class _WrittenFields(Model):
        """For the type checker: a derived form's fields are read generically (resolution, provenance)."""

        def __getattr__(self, name: str) -> Any: ...

    class _OverrideFields(_WrittenFields):
        """For the type checker, as above."""
else:
    _WrittenFields = written_form(
        ResolvedApplication, "ApplicationFields", "Every field of an application, as written: unset is None.")
    _OverrideFields = override_form(
        ResolvedApplication, "ApplicationOverrideFields", "The fields an environment may override.")


class ApplicationOverride(_OverrideFields):
    """Per-environment overrides: any application field, replacing (maps: extending) the base value."""


class ApplicationSpec(_WrittenFields):
    """An application as written in ecsp.yaml: base settings plus per-environment overrides."""

    environments: dict[str, ApplicationOverride] = Field(
        default_factory=dict, description="Per-environment overrides: an environment's name, then any of the "
        "application's fields with the value to use there.", examples=[{"prod": {"count": 3, "memory": 1024}}],
    )
