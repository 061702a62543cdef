"""Write the imported project as commented YAML text.

PyYAML cannot write comments, and the comments are the point of an import (where each
application came from, what was dropped and why), so this is a small block-style emitter of
its own. Scalars are written plain only when YAML reads them back as the same string (so
account ids, ``yes``, ``1e3``, ``*nginx`` and ``a: b`` are quoted); quoted scalars use JSON's
double-quoted form, which is valid YAML.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

# Characters that never start or end YAML syntax inside a block mapping's plain scalar. Anything
# else (spaces, '#', ':', quotes, brackets, '*', '&', '!', '%', '@' first...) is quoted.
_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./:@+=-]*")
_RESOLVER = yaml.resolver.Resolver()
WIDTH = 110  # of a comment line, indent included (a name or URL longer than that stays whole)
_STR_TAG = "tag:yaml.org,2002:str"


def scalar(value: Any) -> str:
    """``value`` (str, int, float, bool or None) as a YAML scalar that reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    # The resolver is what YAML itself uses to type a plain scalar: "111111111111" would be an int,
    # "on" a bool, "2024-01-01" a date. A trailing ':' would start a mapping.
    if (_PLAIN.fullmatch(text) and not text.endswith(":")
            and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG):
        return text
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Commented:
    """A value with comment lines written above its key, and an optional comment after it."""

    value: Any
    above: list[str] = field(default_factory=list)
    after: str | None = None


@dataclass
class Comments:
    """Comment lines in a mapping where an entry could be (a refused application, say), after an
    optional blank line; the key it is stored under is not written."""

    lines: list[str] = field(default_factory=list)
    blank: bool = False


def _flow(value: Any) -> str | None:
    """Short lists of scalars and empty collections stay on one line: `[a, b]`, `{}`."""
    if isinstance(value, Mapping) and not value:
        return "{}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            return "[]"
        if all(isinstance(v, str | int | float | bool) for v in value):
            text = "[" + ", ".join(_flow_scalar(v) for v in value) + "]"
            if len(text) <= 80:
                return text
    return None


def _flow_scalar(value: Any) -> str:
    text = scalar(value)
    # Inside [...] a plain ',' or ']' would end the item; scalar() never leaves those plain anyway,
    # but '{' / '[' / ',' are safe only quoted.
    return text if not re.search(r"[,\[\]{}]", text) else json.dumps(str(value))


def _comment_lines(lines: Sequence[str], indent: str) -> list[str]:
    """Comment lines, each wrapped at :data:`WIDTH` (continuations indented under the first)."""
    out = []
    # A newline inside a note would end the comment: each line of the text is a comment of its own.
    for line in (line for text in lines for line in text.splitlines()):
        if not line:
            out.append(f"{indent}#")
            continue
        lead = " " * (len(line) - len(line.lstrip()))
        wrapped = textwrap.wrap(line.strip(), width=max(WIDTH - len(indent) - 2 - len(lead), 40),
                                subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)
        out.extend(f"{indent}# {lead}{part}".rstrip() for part in wrapped)
    return out


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Comments):
                if item.blank:
                    out.append("")
                out.extend(_comment_lines(item.lines, pad))
                continue
            above: list[str] = []
            after = None
            if isinstance(item, Commented):
                above, after, item = item.above, item.after, item.value
            out.extend(_comment_lines(above, pad))
            tail = f"  # {after}" if after else ""
            head = f"{pad}{scalar(key)}:"
            inline = _inline(item)
            if inline is not None:
                out.append(f"{head} {inline}{tail}")
            else:
                out.append(head + tail)
                _emit(item, indent + 2, out)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            inline = _inline(item)
            if inline is not None:
                out.append(f"{pad}- {inline}")
                continue
            nested: list[str] = []
            _emit(item, indent + 2, nested)
            # The first line of the item goes after the dash ("- key: value").
            out.append(f"{pad}- {nested[0].lstrip()}")
            out.extend(nested[1:])
    else:
        raise TypeError(f"cannot emit {type(value).__name__} as a block")


def _inline(value: Any) -> str | None:
    if isinstance(value, Mapping | list | tuple):
        return _flow(value)
    return scalar(value)


def dump(document: Mapping[str, Any], header: Sequence[str] = ()) -> str:
    """The YAML text of ``document``, after the ``header`` comment lines."""
    out = _comment_lines(header, "")
    _emit(document, 0, out)
    return "\n".join(out) + "\n"
