"""Pydantic's errors about ecsp.yaml turned into ``FILE:LINE: field: fix`` sentences.

Each problem becomes a :class:`~ecsp.errors.ConfigProblem` with the file, the line, the
dotted field path and a fix, e.g.
``ecsp.yaml:14: applications.frontend.memory: 300 MiB is not valid with cpu 256; use 512, 1024 or 2048``.
The sentences are derived from the schema (descriptions, examples, ranges, valid keys), so a
new field needs no edit here.
"""

from __future__ import annotations

import difflib
import functools
import typing
from typing import Any

import annotated_types
from pydantic import BaseModel, Tag, ValidationError
from pydantic.fields import FieldInfo

from ecsp import hints
from ecsp.config.base import FieldError, FieldErrors, Hint, Indexed
from ecsp.config.root import ProjectConfig
from ecsp.config.salvage import partial_problems
from ecsp.config.types import UnquotedNumber
from ecsp.errors import ConfigProblem
from ecsp.yamlfile import Lines, Loc


@functools.cache
def _schema_facts() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """Read from the schema once: the tags of tagged unions by the field that holds them, and indexed lists.

    A tag is pydantic's name for a union member (``count``'s ``fixed`` or ``range``), not part of
    the path the user wrote; an indexed list's positions show as ``[i]`` (:data:`~.base.INDEXED`).
    """
    tags: dict[str, set[str]] = {}
    indexed: set[str] = set()
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [ProjectConfig]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            if any(isinstance(m, Indexed) for m in field.metadata):
                indexed.add(name)
            parts: list[Any] = [field.annotation, *field.metadata]
            while parts:
                part = parts.pop()
                if isinstance(part, Tag):
                    tags.setdefault(name, set()).add(part.tag)
                elif isinstance(part, type) and issubclass(part, BaseModel):
                    todo.append(part)
                else:
                    parts += typing.get_args(part)
    return {name: frozenset(found) for name, found in tags.items()}, frozenset(indexed)


def _hint(loc: Loc) -> Hint | None:
    info = _field_info(loc)
    return next((m for m in info.metadata if isinstance(m, Hint)), None) if info is not None else None


def problems(e: ValidationError, data: Any, lines: Lines, filename: str) -> list[ConfigProblem]:
    """Every problem in ``e``, plus the cross-field problems among the file's valid parts."""
    found: list[tuple[Loc, str]] = []
    raw = e.errors(include_url=False)
    typo_for = _typo_suggestions(raw, data)
    habits = hints.habits((_clean_loc(tuple(e["loc"])), e.get("input")) for e in raw if e["type"] == "extra_forbidden")
    for err in raw:
        loc = _clean_loc(tuple(err["loc"]))
        inner = err.get("ctx", {}).get("error")
        for one in inner.errors if isinstance(inner, FieldErrors) else [inner]:
            if isinstance(one, FieldError):
                found.append((loc + one.path, one.message))
            elif err["type"] == "missing" and loc in typo_for.values():
                continue  # `regoin: x` already says "did you mean 'region'?"; "region is required" is noise
            elif err["type"] == "missing" and loc[:-1] in {hinted[:-1] for hinted in habits}:
                continue  # `count: {range: 1-10}` is said in Copilot's words; "min is required" is noise
            elif loc in habits:
                found.append((loc, f"unknown key '{loc[-1]}'; {habits[loc]}"))
            else:
                found.append((loc, _message(err, loc, lines, typo_for.get(loc))))
    # A field a typo left unset ("prot: 80") is not reported again by a cross-field rule that needs it.
    found += [(one.path, one.message) for one in partial_problems(data) if one.path not in typo_for.values()]
    return sorted_problems([ConfigProblem(filename, lines.line(loc), dotted(loc), msg) for loc, msg in found])


def sorted_problems(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    # Stable order: by line, then path; drop duplicates (one cause seen by two checks).
    unique = {(p.line or 0, p.path, p.message): p for p in problems}
    return [unique[k] for k in sorted(unique)]


def _typo_suggestions(raw: list[Any], data: Any) -> dict[Loc, Loc]:
    """Unknown keys that are near misses of a valid key: unknown loc -> the loc it probably meant."""
    out: dict[Loc, Loc] = {}
    for err in raw:
        if err["type"] != "extra_forbidden":
            continue
        loc = _clean_loc(tuple(err["loc"]))
        key, valid = str(loc[-1]), _valid_keys(loc[:-1])
        # Prefixes count too: `cpu` under count means cpu_percentage, though difflib finds them far apart.
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.75) or [
            v for v in valid if len(key) >= 3 and (v.startswith(key) or key.startswith(v))][:1]
        if close:
            out[loc] = (*loc[:-1], close[0])
    return out


def _clean_loc(loc: Loc) -> Loc:
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if i > 0 and part in _schema_facts()[0].get(str(loc[i - 1]), ()):
            continue
        if part == "[key]":
            continue
        out.append(part)
    return tuple(out)


def dotted(loc: Loc) -> str:
    # Elsewhere an int in a location is a mapping key written as a number.
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int) and i > 0 and loc[i - 1] in _schema_facts()[1]:
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_WANTED = {
    "int_parsing": "a whole number", "int_type": "a whole number", "int_from_float": "a whole number",
    "string_type": "text", "bool_type": "true or false", "bool_parsing": "true or false",
    "dict_type": "a mapping (key: value)", "model_type": "a mapping (key: value)", "list_type": "a list",
    "model_attributes_type": "a mapping (key: value)",
}


def _message(err: Any, loc: Loc, lines: Lines, meant: Loc | None) -> str:
    error_type = err["type"]
    value = err.get("input")
    written = lines.source(loc)
    shown = written if written is not None and not isinstance(value, dict | list) else value
    key = str(loc[-1]) if loc else ""
    if error_type == "extra_forbidden":
        return _unknown_key(loc, meant)
    if error_type == "missing":
        return _missing(loc)
    if (isinstance(value, bool) and error_type not in ("bool_type", "bool_parsing") and written is not None
            and written.lower() not in ("true", "false")):
        # YAML 1.1 reads yes/no/on/off as booleans: say so, or `nat: yes` reads like nonsense.
        return f"YAML reads {written} as {str(value).lower()}; " + _expected(err, loc, key)
    if err["loc"] and err["loc"][-1] == "[key]":
        return f"the name {shown!r} must be text; quote it"
    if error_type == "literal_error":
        return f"'{shown}' is not allowed; use {err.get('ctx', {}).get('expected', '')}"
    if error_type in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{shown} is out of range; {_range(err, loc)}"
    if error_type in ("string_too_long", "too_long"):
        limit = err.get("ctx", {}).get("max_length")
        return f"'{shown}' is {len(str(value))} characters; use at most {limit}"
    if error_type in ("string_too_short", "too_short"):
        return "must not be empty; give it a value or remove the key"
    if error_type == "value_error":
        inner = err.get("ctx", {}).get("error")
        if isinstance(inner, UnquotedNumber) and written is not None:
            return inner.explain(written)
        return str(err["msg"]).removeprefix("Value error, ")
    if error_type in _WANTED:
        return _wrong_type(error_type, value, shown, loc, key, err)
    return str(err["msg"])


def _wrong_type(error_type: str, value: Any, shown: Any, loc: Loc, key: str, err: Any) -> str:
    """A value of the wrong type. Lists and mappings are described, never printed: they can be huge."""
    wanted = _WANTED[error_type]
    if value is None:
        if error_type == "string_type":
            return "has no value; give it one (write '' for an empty string)"
        return "is empty; " + _expected(err, loc, key)
    if isinstance(value, dict | list):
        return f"must be {wanted}, not {_described(value)}; " + _expected(err, loc, key)
    if error_type == "string_type":
        return f"{shown} is not text; quote it: \"{shown}\""
    if error_type in ("bool_type", "bool_parsing"):
        return f"{_show(shown)} is not true or false; use true or false (without quotes)"
    if wanted == "a whole number":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return f"'{value}' is quoted, so it is text; remove the quotes to make it a number"
        return f"{_show(shown)} is not a whole number; " + _expected(err, loc, key)
    hint = _hint(loc)
    if hint is not None and hint.given_text is not None and isinstance(value, str):
        return hint.given_text.format(value=value)
    return f"must be {wanted}, not {_described(value)}; " + _expected(err, loc, key)


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _described(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return {"str": "text", "list": "a list", "dict": "a mapping", "int": "a number", "float": "a number"}.get(
        type(value).__name__, type(value).__name__)


def _expected(err: Any, loc: Loc, key: str) -> str:
    """How to write the value at ``loc`` correctly: an example when the schema has one."""
    hint = _hint(loc)
    if hint is not None and hint.expected is not None:
        return hint.expected
    if err["type"] == "literal_error":
        return f"use {err.get('ctx', {}).get('expected', '')}"
    example = _example(loc)
    if example is not None:
        return f"use e.g. {key}: {_flow(example)}"
    info = _field_info(loc)
    if info is not None and info.description:
        text = info.description.rstrip(".")
        # Lower-case the first letter of a sentence, not of an acronym (AWS, IPv4, HTTP).
        return "expected: " + (text[0].lower() + text[1:] if text[1:2].islower() else text)
    parent = _field_info(loc[:-1])
    if parent is not None and parent.examples and isinstance(parent.examples[0], dict):
        # An entry of a map (a variable, a secret): show one entry of the map's example.
        name, value = next(iter(parent.examples[0].items()))
        return f"use e.g. {name}: {_flow(value)}"
    return _keys_hint(loc) or "check the value"


def _example(loc: Loc) -> Any:
    """An example value for ``loc``: the field's own, or one built from the required fields of its model."""
    info = _field_info(loc)
    if info is not None and info.examples:
        return info.examples[0]
    model, consumed = _model_at(loc)
    if model is None or consumed != len(loc):
        return None
    example = {name: field.examples[0] for name, field in model.model_fields.items()
               if field.is_required() and field.examples}
    return example or None


def _keys_hint(loc: Loc) -> str | None:
    model, consumed = _model_at(loc)
    if model is None or consumed != len(loc):
        return None
    return f"use a mapping with keys such as {', '.join(list(model.model_fields)[:4])}"


def _range(err: Any, loc: Loc) -> str:
    info = _field_info(loc)
    low = high = None
    for meta in info.metadata if info is not None else []:
        if isinstance(meta, annotated_types.Ge):
            low = meta.ge
        elif isinstance(meta, annotated_types.Le):
            high = meta.le
    if low is not None and high is not None:
        return f"use {low} to {high}"
    ctx = err.get("ctx", {})
    if "ge" in ctx:
        return f"use at least {ctx['ge']}"
    if "le" in ctx:
        return f"use at most {ctx['le']}"
    return str(err["msg"]).lower().replace("input should be", "it must be")


def _unknown_key(loc: Loc, meant: Loc | None) -> str:
    key = str(loc[-1])
    if meant is not None:
        return f"unknown key '{key}'; did you mean '{meant[-1]}'?"
    # A valid key one level too high (`cidr` next to `region` instead of under `network`).
    model, _ = _model_at(loc[:-1])
    if model is not None:
        for name, field in model.model_fields.items():
            inner, _ = _model_of(field.annotation)
            if inner is not None and key in inner.model_fields:
                return f"unknown key '{key}'; it belongs under '{name}' ({name}: {{{key}: ...}})"
    return f"unknown key '{key}'; valid keys: {', '.join(_valid_keys(loc[:-1]))}"


def _missing(loc: Loc) -> str:
    key = str(loc[-1])
    info = _field_info(loc)
    if info is not None and info.examples:
        return f"'{key}' is required; add it, e.g. {key}: {_flow(info.examples[0])}"
    return f"'{key}' is required; add it"


def _flow(value: Any) -> str:
    """A value as YAML flow text, the way a user would write it inline."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(_flow, value)) + "]"
    return str(value)


# --------------------------------------------------------------------------- schema walking


def _valid_keys(loc: Loc) -> list[str]:
    """Field names of the model found at ``loc`` (walking the schema along the path)."""
    model, _ = _model_at(loc)
    return sorted(model.model_fields) if model is not None else []


def _field_info(loc: Loc) -> FieldInfo | None:
    """The field at ``loc``, or None when ``loc`` is not a model field (a dict key, say)."""
    if not loc:
        return None
    model, consumed = _model_at(loc[:-1])
    if model is None or consumed != len(loc) - 1:
        return None
    return model.model_fields.get(str(loc[-1]))


def _model_at(loc: Loc) -> tuple[type[BaseModel] | None, int]:
    """The model that ``loc`` points into, and how many parts of ``loc`` were consumed."""
    model: type[BaseModel] | None = ProjectConfig
    i = 0
    while model is not None and i < len(loc):
        field = model.model_fields.get(str(loc[i]))
        if field is None:
            return model, i
        model, skip = _model_of(field.annotation)
        i += 1 + skip
    return model, i


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, int]:
    """The model inside an annotation, and how many loc parts (dict keys) stand before it."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, 0
    if origin is dict:
        model, skip = _model_of(args[1])
        return model, skip + 1
    for arg in args:
        model, skip = _model_of(arg)
        if model is not None:
            return model, skip
    return None, 0
