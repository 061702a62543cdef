"""Validation plumbing shared by every section: the model base, field errors, pattern validators, field markers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class FieldError(ValueError):
    """A cross-field problem, with the path (relative to the model) of the field to fix.

    Pydantic keeps the original exception in the error's ``ctx``; the loader reads
    ``path`` from there and appends it to the location.
    """

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldError) and (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __repr__(self) -> str:
        return f"FieldError({self.path!r}, {self.message!r})"


class FieldErrors(ValueError):
    """Several :class:`FieldError` found by one validator (all are reported, not just the first)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class Model(BaseModel):
    """The base of every model of ecsp.yaml: frozen, no unknown keys, no type coercion."""

    # strict: YAML already yields native types, and lax mode would turn `port: yes` into 1.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, strict=True, defer_build=True)


def raise_all(errors: list[FieldError]) -> None:
    """Raise every distinct error at once (one cause seen from several environments is reported once)."""
    unique = list(dict.fromkeys(errors))
    if len(unique) == 1:
        raise unique[0]
    if unique:
        raise FieldErrors(unique)


def matches(pattern: str, problem: Callable[[str], str]) -> AfterValidator:
    """A validator that checks ``pattern`` and explains a mismatch with ``problem(value)``.

    Used instead of ``Field(pattern=...)``, whose message cannot say how to fix the value; the
    pattern still reaches the JSON Schema (:func:`schema_pattern`) so editors flag bad values.
    """

    def check(value: str) -> str:
        # fullmatch: `$` alone would accept a trailing newline (a YAML block scalar's).
        if not re.fullmatch(pattern, value):
            raise ValueError(problem(value))
        return value

    return AfterValidator(check)


def schema_pattern(pattern: str) -> Any:
    return Field(json_schema_extra={"pattern": pattern})


def fail(message: str) -> Any:
    raise ValueError(message)


def quoted_list(items: list[str]) -> str:
    quoted = [f"'{i}'" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


def or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" or {items[-1]}"


class Marker:
    """Field metadata that ecsp reads (pydantic ignores it): put in ``Annotated[...]`` next to the type."""


@dataclass(frozen=True)
class Indexed(Marker):
    """A list whose items messages name by position, ``stages[1]``, rather than as a key, ``aliases.1``."""


INDEXED = Indexed()


@dataclass(frozen=True)
class Hint(Marker):
    """How a message tells the user to write the field, where its example and description do not say it.

    ``expected`` replaces "use e.g. ..."; ``given_text`` is the whole message when text stands where
    a mapping belongs (``{value}`` is the text).
    """

    expected: str | None = None
    given_text: str | None = None
