"""Old -> new values of a resource's changed properties, from the engine's old and new inputs, and their text.

The engine says *which* properties of a resource change (``desiredCount``,
``containerDefinitions``); a person wants to see *what* changed: ``desiredCount: 1 -> 2``,
and inside the JSON string of an ECS task's container definitions, the one variable:
``containerDefinitions[web].environment.LOG_LEVEL: "info" -> "debug"``. This module walks
both values down to the leaves that differ:

* a string holding JSON (container definitions, policies) is parsed and walked;
* a list whose items all have a distinct ``name`` is matched by name (containers, their
  variables and secrets), so an insertion does not show every later item as changed; a
  ``{name, value}`` item is shown as ``.NAME``;
* a secret is shown as changed, never its value: Pulumi's ``[secret]`` mask, its secret
  marker, and every entry of a container's ``secrets`` (the reference of a secret says where
  a team keeps it, which is no one else's business either).

Pure: no Pulumi, no rich; the engine adapter computes the changes, reporters print
:func:`lines`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

# Pulumi's mask of a secret in engine events, and its marker of a secret value in serialised properties.
SECRET_MASK = "[secret]"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# Names of JSON lists whose entries hold references to secrets (ECS container definitions).
SECRET_LISTS = frozenset({"secrets"})
# A value longer than this is cut in the middle: a whole policy on one line helps nobody.
VALUE_LIMIT = 120
# The changes one resource shows at most; the rest are counted.
CHANGES_LIMIT = 40

ChangeKind = Literal["update", "add", "delete"]


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class PropertyChange:
    """One leaf that differs: where (``containerDefinitions[web].cpu``), and its values as text (None: absent
    or secret)."""

    path: str
    kind: ChangeKind
    old: str | None = None
    new: str | None = None
    secret: bool = False  # the values are not shown, only that it changed

    def line(self) -> str:
        """``path: old -> new``, ``path: + new``, ``path: - old``, or ``path: changed (secret)``."""
        if self.secret:
            verb = {"update": "changed", "add": "added", "delete": "removed"}[self.kind]
            return f"{self.path}: {verb} (secret)"
        if self.kind == "add":
            return f"{self.path}: + {self.new}"
        if self.kind == "delete":
            return f"{self.path}: - {self.old}"
        return f"{self.path}: {self.old} -> {self.new}"


def shown(value: Any) -> str:
    """A value as one short line of text: strings quoted, the rest as compact JSON."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False, default=str)
    if len(text) > VALUE_LIMIT:
        half = (VALUE_LIMIT - 3) // 2
        text = f"{text[:half]}...{text[-half:]}"
    return text


def is_secret(value: Any) -> bool:
    """Pulumi's mask of a secret, or its serialised secret marker."""
    if isinstance(value, str):
        return value == SECRET_MASK
    return isinstance(value, Mapping) and value.get(_SIG_KEY) == _SECRET_SIG


def _json(value: Any) -> Any:
    """The parsed JSON of a string that holds an object or a list; ABSENT for any other value."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return ABSENT
    try:
        return json.loads(value)
    except ValueError:
        return ABSENT


def _by_name(items: Any) -> dict[str, Any] | None:
    """A list of objects with distinct string names, keyed by them (None for any other list)."""
    if not isinstance(items, list) or not items:
        return None
    names = [item.get("name") if isinstance(item, Mapping) else None for item in items]
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    return dict(zip(names, items, strict=True))  # type: ignore[arg-type]


def _named_lists(old: Any, new: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Both lists keyed by their items' names (an empty list beside a named one counts), else None."""
    if not isinstance(old, list) or not isinstance(new, list):
        return None
    named_old, named_new = _by_name(old), _by_name(new)
    if (named_old is None and old) or (named_new is None and new) or (named_old is None and named_new is None):
        return None
    return named_old or {}, named_new or {}


def _named_value(item: Any) -> tuple[bool, Any]:
    """A ``{name, value}`` item (a container's variable) stands for its value."""
    if isinstance(item, Mapping) and set(item) == {"name", "value"}:
        return True, item["value"]
    return False, item


def _keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys([*new, *old]))


def _walk(path: str, old: Any, new: Any, hidden: bool) -> Iterator[PropertyChange]:
    if old == new:
        return
    named = _named_lists(old, new)
    if hidden and named is not None:
        # Which secret was added, removed or changed is worth knowing; its reference is not shown.
        for name in _keys(*named):
            yield from _walk(f"{path}.{name}", named[0].get(name, ABSENT), named[1].get(name, ABSENT), True)
        return
    if hidden or is_secret(old) or is_secret(new):
        kind: ChangeKind = "add" if old is ABSENT else "delete" if new is ABSENT else "update"
        yield PropertyChange(path, kind, secret=True)
        return
    if old is ABSENT:
        yield PropertyChange(path, "add", new=shown(new))
        return
    if new is ABSENT:
        yield PropertyChange(path, "delete", old=shown(old))
        return
    parsed_old, parsed_new = _json(old), _json(new)
    if parsed_old is not ABSENT and parsed_new is not ABSENT:
        yield from _walk(path, parsed_old, parsed_new, hidden)
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in _keys(old, new):
            yield from _walk(f"{path}.{key}" if path else key, old.get(key, ABSENT), new.get(key, ABSENT),
                             key in SECRET_LISTS)
        return
    if named is not None:
        yield from _walk_named(path, *named)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _walk(f"{path}[{index}]", a, b, hidden)
        return
    yield PropertyChange(path, "update", old=shown(old), new=shown(new))


def _walk_named(path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[PropertyChange]:
    for name in _keys(old, new):
        before, after = old.get(name, ABSENT), new.get(name, ABSENT)
        pair_before, value_before = _named_value(before)
        pair_after, value_after = _named_value(after)
        if (pair_before or before is ABSENT) and (pair_after or after is ABSENT):
            yield from _walk(f"{path}.{name}", value_before, value_after, False)
        else:
            yield from _walk(f"{path}[{name}]", before, after, False)


def _root(path: str) -> str:
    """The top-level property of an engine diff path (``tags.env`` -> ``tags``, ``a[0].b`` -> ``a``)."""
    for i, char in enumerate(path):
        if char in ".[":
            return path[:i]
    return path


def property_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
                     keys: Iterable[str] = ()) -> tuple[PropertyChange, ...]:
    """What changed between a resource's old and new inputs, leaf by leaf.

    ``keys``: the engine's changed properties (paths are cut to their top level); empty: every
    top-level property whose value differs. Nothing when either side is unknown (a create, a delete).
    """
    if old is None or new is None:
        return ()
    named = list(dict.fromkeys(_root(k) for k in keys if k))
    found: list[PropertyChange] = []
    for key in named or _keys(old, new):
        before, after = old.get(key, ABSENT), new.get(key, ABSENT)
        if named and before == after and is_secret(before):
            # Both masked: the engine knows the secret changed, the events cannot show it.
            found.append(PropertyChange(key, "update", secret=True))
            continue
        found.extend(_walk(key, before, after, key in SECRET_LISTS))
    return tuple(found)


def lines(changes: Iterable[PropertyChange], limit: int = CHANGES_LIMIT) -> list[str]:
    """One line per change, at most ``limit`` of them and a count of the rest."""
    changes = list(changes)
    out = [c.line() for c in changes[:limit]]
    if len(changes) > limit:
        out.append(f"... and {len(changes) - limit} more")
    return out


__all__ = ["PropertyChange", "is_secret", "lines", "property_changes", "shown"]
