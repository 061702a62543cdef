"""Load ecsp.yaml: parse YAML keeping line numbers, validate, and explain every problem.

Every problem becomes a :class:`~ecsp.errors.ConfigProblem` with the file, the line,
the dotted field path and a fix, e.g.
``ecsp.yaml:14: applications.frontend.memory: 300 MiB is not valid with cpu 256; use 512, 1024 or 2048``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ecsp.config import FieldError, FieldErrors, ProjectConfig
from ecsp.errors import ConfigError, ConfigProblem

Loc = tuple[str | int, ...]
_UNION_TAGS = {"fixed", "range"}


class _Lines:
    """Maps a path in the YAML document to the line where it is written (1-based)."""

    def __init__(self) -> None:
        self.keys: dict[Loc, int] = {}

    def walk(self, node: yaml.Node, loc: Loc = ()) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                self.keys[(*loc, key)] = key_node.start_mark.line + 1
                self.walk(value_node, (*loc, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.keys[(*loc, i)] = item.start_mark.line + 1
                self.walk(item, (*loc, i))

    def line(self, loc: Loc) -> int | None:
        """The line of the deepest written prefix of ``loc`` (a missing key points at its parent)."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.keys:
                return self.keys[loc[:end]]
        return 1 if self.keys else None


def load(path: str | Path) -> ProjectConfig:
    """Read and validate ``path``; raises :class:`ConfigError` listing every problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), None, "", "file not found; create one with `ecsp init` "
                                         "or pass -f PATH")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError([ConfigProblem(str(path), None, "", f"cannot read the file: {e}")]) from None
    return loads(text, str(path))


def loads(text: str, filename: str = "ecsp.yaml") -> ProjectConfig:
    """Validate YAML text as a project; ``filename`` is used in messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise ConfigError([ConfigProblem(filename, line, "", f"invalid YAML: {what}; check the indentation "
                                         "and quoting on this line")]) from None
    except yaml.YAMLError as e:
        raise ConfigError([ConfigProblem(filename, None, "", f"invalid YAML: {e}")]) from None
    if data is None:
        raise ConfigError([ConfigProblem(filename, 1, "", "the file is empty; start from `ecsp init`")])
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(filename, 1, "", "the top level must be a mapping with project, "
                                         "environments and applications")])
    lines = _Lines()
    if node is not None:
        lines.walk(node)
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(problems(e, data, lines, filename)) from None


def problems(e: ValidationError, data: Any, lines: _Lines, filename: str) -> list[ConfigProblem]:
    out: list[ConfigProblem] = []
    for err in e.errors(include_url=False):
        inner = err.get("ctx", {}).get("error")
        inner_errors = inner.errors if isinstance(inner, FieldErrors) else [inner]
        for one in inner_errors:
            loc = _clean_loc(tuple(err["loc"]))
            if isinstance(one, FieldError):
                loc = loc + one.path
                message = one.message
            else:
                message = _message(err, loc, data)
            out.append(ConfigProblem(filename, lines.line(loc), _dotted(loc), message))
    # Stable order: by line, then path; drop duplicates (one cause seen by two validators).
    unique = {(p.line or 0, p.path, p.message): p for p in out}
    return [unique[k] for k in sorted(unique)]


def _clean_loc(loc: Loc) -> Loc:
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if part in _UNION_TAGS and i > 0 and loc[i - 1] == "count":
            continue
        out.append(part)
    return tuple(out)


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(err: Any, loc: Loc, data: Any) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        valid = _valid_keys(loc[:-1], data)
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(valid)}"
        return f"unknown key '{key}'; {hint}"
    if kind == "missing":
        return f"'{loc[-1]}' is required; add it"
    if kind == "string_pattern_mismatch":
        return f"'{value}' {_pattern_hint(loc)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"'{value}' is not allowed; use {expected}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{value} is out of range: {err['msg'].lower().replace('input should be', 'must be')}"
    if kind in ("string_too_long", "too_long"):
        return f"'{value}' is too long: {err['msg'].lower().replace('string should have', 'use')}"
    if kind in ("string_too_short", "too_short"):
        return f"must not be empty: {err['msg'].lower()}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"'{value}' is not a whole number"
    if kind in ("string_type",):
        return f"{value!r} must be a string (quote it)"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping (key: value), not {type(value).__name__}"
    if kind == "bool_parsing":
        return f"'{value}' is not true or false"
    return str(err["msg"])


_PATTERN_HINTS: dict[str, str] = {
    "name": "is not a valid name; use lowercase letters, digits and single hyphens, starting with a letter",
    "region": "is not an AWS region; use e.g. us-west-2",
    "account": "is not an AWS account id; use 12 digits in quotes, e.g. \"111111111111\"",
    "domain": "is not a domain name; use e.g. example.com (lowercase, no trailing dot)",
    "role_arn": "is not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME",
    "path": "is not a URL path; start it with '/', no trailing '/', no wildcards (e.g. /api)",
    "success_codes": "is not a list of HTTP codes; use e.g. 200 or 200-299,302",
}


def _pattern_hint(loc: Loc) -> str:
    return _PATTERN_HINTS.get(str(loc[-1]), "has the wrong format")


def _valid_keys(loc: Loc, data: Any) -> list[str]:
    """Field names of the model found at ``loc`` (walking the schema along the data)."""
    model: type[BaseModel] | None = ProjectConfig
    i = 0
    while model is not None and i < len(loc):
        part = loc[i]
        field = model.model_fields.get(str(part))
        if field is None:
            return sorted(model.model_fields)
        model, skip = _model_of(field.annotation)
        i += 1 + skip
    return sorted(model.model_fields) if model is not None else []


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, int]:
    """The model inside an annotation, and how many loc parts (dict keys) stand before it."""
    import typing

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
