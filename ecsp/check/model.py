"""AWS's service models, as botocore ships them, and request validation against them.

botocore's own ``ParamValidator`` checks required members, unknown members, types and
minimums (it leaves the rest to the service, for forward compatibility). Offline there is
no service to ask, so :class:`ModelValidator` also checks what the same model says about
maximums, enums and patterns. Every constraint comes from the model; none is written here.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session  # type: ignore[import-untyped]
import regex  # type: ignore[import-untyped]
from botocore.model import OperationModel, ServiceModel, Shape  # type: ignore[import-untyped]
from botocore.validate import ParamValidator, ValidationErrors  # type: ignore[import-untyped]


@functools.cache
def service(name: str) -> ServiceModel:
    """The model of one AWS service (``ecs``, ``elbv2``, ...), loaded once."""
    return _session().get_service_model(name)


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def operation(service_name: str, operation_name: str) -> OperationModel:
    return service(service_name).operation_model(operation_name)


def validate(service_name: str, operation_name: str, params: dict[str, Any]) -> list[str]:
    """Every way ``params`` breaks ``service_name``'s ``operation_name`` request shape (empty: none)."""
    shape = operation(service_name, operation_name).input_shape
    if shape is None:
        return [f"{operation_name} takes no input"] if params else []
    errors = ModelValidator().validate(params, shape)
    report = errors.generate_report()
    return [line for line in report.splitlines() if line]


@functools.cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    """A model pattern (Java syntax) compiled with ``regex``, which knows ``\\p{L}`` and friends.

    Java writes characters above U+FFFF as UTF-16 surrogate pairs; Python strings hold them
    whole, so the pair range becomes a plain code point range.
    """
    python = pattern.replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
    return regex.compile(python)


class _Errors(ValidationErrors):
    """botocore's report, plus the maximum, enum and pattern errors :class:`ModelValidator` adds."""

    def _format_error(self, error: tuple[str, str, dict[str, Any]]) -> str:
        kind, name, extra = error
        where = self._get_name(name)
        if kind == "above max":
            what = "length" if extra["length"] else "value"
            return f"Invalid {what} for parameter {where}, value: {extra['param']}, valid max {what}: {extra['max']}"
        if kind == "not in enum":
            return f"Invalid value for parameter {where}, value: {extra['param']}, valid values: " \
                   + ", ".join(extra["enum"])
        if kind == "pattern":
            return f"Invalid value for parameter {where}, value: {extra['param']}, must match: {extra['pattern']}"
        return str(super()._format_error(error))


class ModelValidator(ParamValidator):
    """botocore's validator with the model's ``max``, ``enum`` and ``pattern`` checked as well.

    Patterns are searched, not anchored: the Smithy specification the models follow says a
    pattern is not implicitly anchored (most anchor themselves with ``^...$``).
    """

    VALIDATED_METADATA_ATTRS = ParamValidator.VALIDATED_METADATA_ATTRS | {"max", "enum", "pattern"}

    def validate(self, params: Any, shape: Shape) -> _Errors:
        errors = _Errors()
        self._validate(params, shape, errors, name="")
        return errors

    def _validate_string(self, param: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        super()._validate_string(param, shape, errors, name)
        if not isinstance(param, str):
            return
        _check_max(len(param), param, shape, errors, name, length=True)
        enum = shape.metadata.get("enum")
        if enum and param not in enum:
            errors.report(name, "not in enum", param=param, enum=list(enum))
        pattern = shape.metadata.get("pattern")
        if pattern and _compiled(pattern).search(param) is None:
            errors.report(name, "pattern", param=param, pattern=pattern)

    def _validate_list(self, param: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        super()._validate_list(param, shape, errors, name)
        if isinstance(param, list | tuple):
            _check_max(len(param), f"{len(param)} items", shape, errors, name, length=True)

    def _validate_map(self, param: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        super()._validate_map(param, shape, errors, name)
        if isinstance(param, dict):
            _check_max(len(param), f"{len(param)} entries", shape, errors, name, length=True)

    def _validate_integer(self, param: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        super()._validate_integer(param, shape, errors, name)
        if isinstance(param, int) and not isinstance(param, bool):
            _check_max(param, param, shape, errors, name, length=False)

    _validate_long = _validate_integer

    def _validate_double(self, param: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        super()._validate_double(param, shape, errors, name)
        if isinstance(param, int | float) and not isinstance(param, bool):
            _check_max(param, param, shape, errors, name, length=False)

    _validate_float = _validate_double


def _check_max(value: float, shown: Any, shape: Shape, errors: ValidationErrors, name: str, *, length: bool) -> None:
    maximum = shape.metadata.get("max")
    if maximum is not None and value > maximum:
        errors.report(name, "above max", param=shown, max=maximum, length=length)
