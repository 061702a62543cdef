"""Load ecsp.yaml: parse YAML keeping line numbers, validate, and explain every problem.

Every problem becomes a :class:`~ecsp.errors.ConfigProblem` with the file, the line,
the dotted field path and a fix, e.g.
``ecsp.yaml:14: applications.frontend.memory: 300 MiB is not valid with cpu 256; use 512, 1024 or 2048``.
The rules themselves live in :mod:`ecsp.config`; this module turns pydantic's errors into
those sentences and finds the line each one belongs to.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path, PurePosixPath
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ecsp.config import FieldError, FieldErrors, ProjectConfig, UnquotedNumber, partial_problems
from ecsp.errors import ConfigError, ConfigProblem

Loc = tuple[str | int, ...]
# Tags of tagged unions, by the field that holds them: not part of the path the user wrote.
_UNION_TAGS = {"count": ("fixed", "range"), "flow_logs": ("flag", "settings"), "access_logs": ("flag", "settings"),
               "capacity": ("kind", "spread"), "efs": ("managed", "existing")}
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Lines:
    """Maps a path in the YAML document to the line where it is written (1-based).

    Also keeps each scalar's source text (to quote what the user wrote, not what YAML made
    of it: ``yes`` rather than ``True``) and the duplicate keys, which YAML silently drops.
    """

    def __init__(self) -> None:
        self.keys: dict[Loc, int] = {}
        self.text: dict[Loc, str] = {}
        self.duplicates: list[tuple[Loc, int, int]] = []  # (loc, line, first line)
        self._seen: set[int] = set()

    def walk(self, node: yaml.Node, loc: Loc = ()) -> None:
        # Anchors make a graph, not a tree: visit each node once (no loops, no blow-up).
        if id(node) in self._seen:
            return
        self._seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            self.text[loc] = node.value
        elif isinstance(node, yaml.MappingNode):
            merged: list[yaml.Node] = []
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    merged.append(value_node)
                    continue
                key: str | int = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
                line = key_node.start_mark.line + 1
                if (*loc, key) in self.keys:
                    self.duplicates.append(((*loc, key), line, self.keys[(*loc, key)]))
                    continue
                self.keys[(*loc, key)] = line
                self.walk(value_node, (*loc, key))
            # After the explicit keys: a merge (<<: *anchor) only fills in keys the mapping lacks.
            for value_node in merged:
                self._merge(value_node, loc)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.keys[(*loc, i)] = item.start_mark.line + 1
                self.walk(item, (*loc, i))

    def _merge(self, node: yaml.Node, loc: Loc) -> None:
        """Keys a ``<<: *anchor`` merge brings in: lines only where the mapping does not set them itself."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                continue
            for key_node, _ in source.value:
                if isinstance(key_node, yaml.ScalarNode) and (*loc, key_node.value) not in self.keys:
                    self.keys[(*loc, key_node.value)] = key_node.start_mark.line + 1

    def line(self, loc: Loc) -> int | None:
        """The line of the deepest written prefix of ``loc`` (a missing key points at its parent)."""
        for end in range(len(loc), 0, -1):
            found = self._get(self.keys, loc[:end])
            if found is not None:
                return found
        return 1  # nothing of it is written (an empty `{}` document): the problem is the document's

    def source(self, loc: Loc) -> str | None:
        return self._get(self.text, loc)

    @staticmethod
    def _get(table: dict[Loc, Any], loc: Loc) -> Any:
        # YAML keys are recorded as written; pydantic reports a key `1:` as the int 1.
        return table.get(loc, table.get(tuple(str(p) for p in loc)))


def load(path: str | Path) -> ProjectConfig:
    """Read and validate ``path``; raises :class:`ConfigError` listing every problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), None, "", "file not found; create one with `ecsp init` "
                                         "or pass -f PATH")]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigProblem(str(path), None, "", "is a directory; pass the YAML file, e.g. "
                                         f"-f {Path(path) / 'ecsp.yaml'}")]) from None
    except UnicodeDecodeError as e:
        line = e.object[: e.start].count(b"\n") + 1
        raise ConfigError([ConfigProblem(str(path), line, "", f"not UTF-8 text (byte 0x{e.object[e.start]:02x}); "
                                         "save the file as UTF-8")]) from None
    except OSError as e:
        raise ConfigError([ConfigProblem(str(path), None, "", f"cannot read the file: {e.strerror or e}")]) from None
    config, lines = _validate(text, str(path))
    missing = _missing_build_contexts(config, file.parent, lines, str(path))
    if missing:
        raise ConfigError(missing)
    return config


def loads(text: str, filename: str = "ecsp.yaml") -> ProjectConfig:
    """Validate YAML text as a project; ``filename`` is used in messages."""
    return _validate(text, filename)[0]


def _missing_build_contexts(config: ProjectConfig, root: Path, lines: _Lines, filename: str) -> list[ConfigProblem]:
    """Build directories and Dockerfiles that do not exist (found now, not halfway through a deploy)."""
    out = []
    for env, app in config.deployments():
        image = config.application(env, app).image
        if image.build is None:
            continue
        override = config.applications[app].environments.get(env)
        base: Loc = ("applications", app, "environments", env) if override and override.image else ("applications", app)
        context = root / image.build
        dockerfile = context / (image.dockerfile or "Dockerfile")
        if context.is_file():
            # `build: ./Dockerfile`: the Dockerfile itself where its directory belongs.
            folder = str(PurePosixPath(image.build).parent)
            folder = f"./{folder}" if image.build.startswith("./") and folder != "." else folder
            name = PurePosixPath(image.build).name
            use = f"build: {folder}" + ("" if name == "Dockerfile" else f" with dockerfile: {name}")
            loc, message = (*base, "image", "build"), (f"{image.build} is a file; build takes the directory that "
                                                        f"holds the Dockerfile: use {use}")
        elif not context.is_dir():
            loc, message = (*base, "image", "build"), (f"directory {image.build} does not exist next to {filename}; "
                                                        "create it or fix the path")
        elif not dockerfile.is_file():
            field = "dockerfile" if image.dockerfile else "build"
            loc, message = (*base, "image", field), (f"{image.build} has no {image.dockerfile or 'Dockerfile'}; "
                                                     "add one" + ("" if image.dockerfile else
                                                                  " or set image.dockerfile"))
        else:
            continue
        out.append(ConfigProblem(filename, lines.line(loc), _dotted(loc), message))
    return _sorted(out)


def _validate(text: str, filename: str) -> tuple[ProjectConfig, _Lines]:
    lines, data = parse(text, filename)
    if data is None:
        raise ConfigError([ConfigProblem(filename, 1, "", "the file is empty; start from `ecsp init`")])
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(filename, 1, "", "the top level must be a mapping with project, "
                                         "environments and applications")])
    try:
        config = ProjectConfig.model_validate(data)
    except RecursionError:
        raise ConfigError([ConfigProblem(filename, 1, "", "the document is nested too deeply to be a project "
                                         "file")]) from None
    except ValidationError as e:
        raise ConfigError(_sorted(_duplicates(lines, filename) + problems(e, data, lines, filename))) from None
    if lines.duplicates:
        raise ConfigError(_duplicates(lines, filename))
    return config, lines


def _duplicates(lines: _Lines, filename: str) -> list[ConfigProblem]:
    return [
        ConfigProblem(filename, line, _dotted(loc), f"duplicate key '{loc[-1]}' (first on line {first}); YAML "
                      "keeps only the last one, so remove one of them")
        for loc, line, first in lines.duplicates
    ]


def parse(text: str, filename: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> tuple[_Lines, Any]:
    """The document's lines and its data, parsed once (``loader``: e.g. one that reads YAML 1.2 booleans).

    Invalid YAML is a :class:`ConfigError` naming the line to fix.
    """
    lines = _Lines()
    try:
        parser = loader(text)
    except yaml.reader.ReaderError as e:  # checked up front, before any parsing
        line = text[: e.position].count("\n") + 1
        raise ConfigError([ConfigProblem(filename, line, "", f"invalid YAML: the control character "
                                         f"U+{e.character:04X} is not allowed; remove it")]) from None
    try:
        node = parser.get_single_node()
        if node is None:
            return lines, None
        # Walk before constructing: construction flattens merge keys (<<) into the mapping in place.
        lines.walk(node)
        data = parser.construct_document(node)
    except yaml.MarkedYAMLError as e:
        # An unclosed bracket is found at the end of the file or lines later; the line to fix is where it opened.
        unclosed = _unclosed(e)
        mark = (e.context_mark if unclosed else None) or e.problem_mark or e.context_mark
        raise ConfigError([ConfigProblem(filename, mark.line + 1 if mark else None, "", _yaml_message(e))]) from None
    except RecursionError:
        raise ConfigError([ConfigProblem(filename, None, "", "the document is nested too deeply to be a project "
                                         "file")]) from None
    except yaml.YAMLError as e:
        raise ConfigError([ConfigProblem(filename, None, "", f"invalid YAML: {e}")]) from None
    finally:
        parser.dispose()
    return lines, data


def _unclosed(e: yaml.MarkedYAMLError) -> bool:
    """A '{' or '[' still open when the file (or its line) ended: `{cidr: x, nat: none` without the '}'."""
    if "flow" not in (e.context or "") or not e.context_mark:
        return False
    problem = e.problem or ""
    later = e.problem_mark is not None and e.problem_mark.line > e.context_mark.line
    return "<stream end>" in problem or (problem.startswith("expected ','") and later)


def _yaml_message(e: yaml.MarkedYAMLError) -> str:
    problem = e.problem or ""
    column = f" (column {e.problem_mark.column + 1})" if e.problem_mark else ""
    if _unclosed(e) and "<stream end>" not in problem and e.context_mark and e.problem_mark:
        opened = "{" if "mapping" in (e.context or "") else "["
        closing = "}" if opened == "{" else "]"
        return (f"invalid YAML (column {e.context_mark.column + 1}): this '{opened}' is not closed on its line "
                f"(YAML read on to line {e.problem_mark.line + 1}); add the matching '{closing}'")
    if "<stream end>" in problem and "flow" in (e.context or "") and e.context_mark:
        opened = "{" if "mapping" in (e.context or "") else "["
        closing = "}" if opened == "{" else "]"
        return (f"invalid YAML (column {e.context_mark.column + 1}): this '{opened}' is never closed; add the "
                f"matching '{closing}'")
    if problem.startswith("expected ','") and problem.endswith(("got '}'", "got ']'")) and e.context_mark:
        opened, closing = ("{", "}") if "mapping" in (e.context or "") else ("[", "]")
        return (f"invalid YAML{column}: '{problem[-2]}' closes the '{opened}' of column {e.context_mark.column + 1}; "
                f"use '{closing}' (or close the inner bracket first)")
    if problem.startswith("expected ','") and "flow" in (e.context or ""):
        return (f"invalid YAML{column}: a ',' is missing between two entries of a {{...}} or [...]; write "
                "{a: 1, b: 2}")
    if "'\\t'" in problem:
        return f"invalid YAML{column}: a tab; YAML indents with spaces only, so replace the tab with spaces"
    if "mapping values are not allowed" in problem:
        return (f"invalid YAML{column}: a ':' where no key may start; fix the indentation, or quote a value "
                "that contains ': '")
    if "expected <block end>" in problem:
        if e.problem_mark and e.context_mark and "mapping" in (e.context or ""):
            # The line YAML stops at can be fine and the culprit a line above it: name the mapping's indent.
            here, keys = e.problem_mark.column, e.context_mark.column
            return (f"invalid YAML{column}: this line is indented {here} spaces, but the mapping it is in (from "
                    f"line {e.context_mark.line + 1}) indents its keys {keys}; indent keys of the same mapping "
                    "equally, here or on the lines above")
        return (f"invalid YAML{column}: this line's indentation does not match the lines above; indent keys "
                "of the same mapping equally")
    if "could not find expected ':'" in problem:
        return f"invalid YAML{column}: a key without ':' (or an unclosed quote above); write key: value"
    if "found undefined alias" in problem or "found undefined tag" in problem:
        return f"invalid YAML{column}: {problem}; define the anchor (&name) before using it (*name)"
    what = " ".join(x for x in (e.context, problem) if x)
    return f"invalid YAML{column}: {what}; check the indentation, brackets and quoting here and on the line above"


# --------------------------------------------------------------------------- messages


def problems(e: ValidationError, data: Any, lines: _Lines, filename: str) -> list[ConfigProblem]:
    """Every problem in ``e``, plus the cross-field problems among the file's valid parts."""
    found: list[tuple[Loc, str]] = []
    raw = e.errors(include_url=False)
    typo_for = _typo_suggestions(raw, data)
    for err in raw:
        loc = _clean_loc(tuple(err["loc"]))
        inner = err.get("ctx", {}).get("error")
        for one in inner.errors if isinstance(inner, FieldErrors) else [inner]:
            if isinstance(one, FieldError):
                found.append((loc + one.path, one.message))
            elif err["type"] == "missing" and loc in typo_for.values():
                continue  # `regoin: x` already says "did you mean 'region'?"; "region is required" is noise
            else:
                found.append((loc, _message(err, loc, lines, typo_for.get(loc))))
    # A field a typo left unset ("prot: 80") is not reported again by a cross-field rule that needs it.
    found += [(one.path, one.message) for one in partial_problems(data) if one.path not in typo_for.values()]
    return _sorted([ConfigProblem(filename, lines.line(loc), _dotted(loc), msg) for loc, msg in found])


def _sorted(problems: list[ConfigProblem]) -> list[ConfigProblem]:
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
        if i > 0 and part in _UNION_TAGS.get(str(loc[i - 1]), ()):
            continue
        if part == "[key]":
            continue
        out.append(part)
    return tuple(out)


# The schema's list fields: an int after one of them is a position, shown as [i].
_LIST_FIELDS = frozenset({"stages", "deploy", "test_commands"})


def _dotted(loc: Loc) -> str:
    # Elsewhere an int in a location is a mapping key written as a number.
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int) and i > 0 and loc[i - 1] in _LIST_FIELDS:
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_WANTED = {
    "int_parsing": "a whole number", "int_type": "a whole number", "int_from_float": "a whole number",
    "string_type": "text", "bool_type": "true or false", "bool_parsing": "true or false",
    "dict_type": "a mapping (key: value)", "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}


def _message(err: Any, loc: Loc, lines: _Lines, meant: Loc | None) -> str:
    kind = err["type"]
    value = err.get("input")
    written = lines.source(loc)
    shown = written if written is not None and not isinstance(value, dict | list) else value
    key = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        return _unknown_key(loc, meant)
    if kind == "missing":
        return _missing(loc)
    if (isinstance(value, bool) and kind not in ("bool_type", "bool_parsing") and written is not None
            and written.lower() not in ("true", "false")):
        # YAML 1.1 reads yes/no/on/off as booleans: say so, or `nat: yes` reads like nonsense.
        return f"YAML reads {written} as {str(value).lower()}; " + _expected(err, loc, key)
    if err["loc"] and err["loc"][-1] == "[key]":
        return f"the name {shown!r} must be text; quote it"
    if kind == "literal_error":
        return f"'{shown}' is not allowed; use {err.get('ctx', {}).get('expected', '')}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{shown} is out of range; {_range(err, loc)}"
    if kind in ("string_too_long", "too_long"):
        limit = err.get("ctx", {}).get("max_length")
        return f"'{shown}' is {len(str(value))} characters; use at most {limit}"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty; give it a value or remove the key"
    if kind == "value_error":
        inner = err.get("ctx", {}).get("error")
        if isinstance(inner, UnquotedNumber) and written is not None:
            return inner.explain(written)
        return str(err["msg"]).removeprefix("Value error, ")
    if kind in _WANTED:
        return _wrong_type(kind, value, shown, loc, key, err)
    return str(err["msg"])


def _wrong_type(kind: str, value: Any, shown: Any, loc: Loc, key: str, err: Any) -> str:
    """A value of the wrong kind. Lists and mappings are described, never printed: they can be huge."""
    wanted = _WANTED[kind]
    if value is None:
        if kind == "string_type":
            return "has no value; give it one (write '' for an empty string)"
        return "is empty; " + _expected(err, loc, key)
    if isinstance(value, dict | list):
        return f"must be {wanted}, not {_kind_of(value)}; " + _expected(err, loc, key)
    if kind == "string_type":
        return f"{shown} is not text; quote it: \"{shown}\""
    if kind in ("bool_type", "bool_parsing"):
        return f"{_show(shown)} is not true or false; use true or false (without quotes)"
    if wanted == "a whole number":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return f"'{value}' is quoted, so it is text; remove the quotes to make it a number"
        return f"{_show(shown)} is not a whole number; " + _expected(err, loc, key)
    if key == "image" and isinstance(value, str):
        return f"must be a mapping; for an existing image write image: {{location: {value}}}"
    return f"must be {wanted}, not {_kind_of(value)}; " + _expected(err, loc, key)


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return {"str": "text", "list": "a list", "dict": "a mapping", "int": "a number", "float": "a number"}.get(
        type(value).__name__, type(value).__name__)


def _expected(err: Any, loc: Loc, key: str) -> str:
    """How to write the value at ``loc`` correctly: an example when the schema has one."""
    if key == "count":
        return "use a number of tasks, or {min: 1, max: 4} to autoscale"
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
