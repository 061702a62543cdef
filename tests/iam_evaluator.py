"""A small evaluator of IAM identity policies and permissions boundaries, for proofs over ecsp's documents.

:func:`allowed` answers one request (an action on a resource with its request context) the way
AWS's policy evaluation logic does for a principal in its own account: an explicit ``Deny`` in
any document wins; otherwise the request needs an ``Allow`` in an identity policy *and*, when
the principal has a permissions boundary, an ``Allow`` in the boundary.

:func:`within` answers the other question a boundary raises: does a statement ecsp grants lie
inside the boundary (every action and resource pattern it names, under conditions at least as
strict as the boundary's), so the boundary takes nothing away that the role needs.

What it does not model, on purpose (none of it is in ecsp's documents, or it narrows access
further than modelled): service control policies, resource policies and trust policies (who may
assume a role is a separate question), session policies, cross-account access, ``?`` in a
pattern standing for ``*`` in another (:func:`within`), policy variables (``${aws:username}``),
and condition operators beyond those in :data:`OPERATORS` (any other raises, so a new one in a
document makes the proof fail rather than pass blindly).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Document = Mapping[str, Any]
Context = Mapping[str, "str | Sequence[str]"]

# Operator -> (compare as a pattern, case sensitive, negated).
OPERATORS: dict[str, tuple[bool, bool, bool]] = {
    "StringEquals": (False, True, False), "StringNotEquals": (False, True, True),
    "StringEqualsIgnoreCase": (False, False, False), "StringLike": (True, True, False),
    "StringNotLike": (True, True, True), "ArnEquals": (True, True, False), "ArnLike": (True, True, False),
    "ArnNotEquals": (True, True, True), "ArnNotLike": (True, True, True), "Bool": (False, False, False),
}


@dataclass(frozen=True)
class Request:
    """One API call: ``action`` (service:Name) on ``resource`` (an ARN) with the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


@lru_cache(maxsize=4096)
def _pattern(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE)


def matches(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's wildcard match: ``*`` any run of characters (``/`` and ``:`` too), ``?`` one character."""
    return _pattern(pattern, case_sensitive).match(value) is not None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(document: Document) -> list[Mapping[str, Any]]:
    return _list(document.get("Statement", []))


def _key(context: Context, key: str) -> list[str] | None:
    for name, value in context.items():
        if name.lower() == key.lower():
            return [str(v) for v in _list(value)]
    return None


def _condition_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    base = base.removesuffix("IfExists") if if_exists else base
    present = _key(context, key)
    if base == "Null":
        return (present is None) == (str(_list(expected)[0]).lower() == "true")
    if base not in OPERATORS:
        raise ValueError(f"the evaluator does not know the condition operator {operator}")
    pattern, case, negated = OPERATORS[base]
    values = [str(v) for v in _list(expected)]

    def one(actual: str) -> bool:
        hit = any(matches(v, actual, case_sensitive=case) if pattern
                  else (actual == v if case else actual.lower() == v.lower()) for v in values)
        return hit != negated

    if qualifier == "ForAllValues":
        return all(one(a) for a in present or [])
    if qualifier == "ForAnyValue":
        return any(one(a) for a in present or [])
    if qualifier:
        raise ValueError(f"the evaluator does not know the set operator {qualifier}")
    if present is None:
        return if_exists or negated
    return any(one(a) for a in present)


def applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether ``statement`` speaks about ``request``: its action, resource and every condition match."""
    if "Action" in statement:
        acts = any(matches(a, request.action, case_sensitive=False) for a in _list(statement["Action"]))
    else:
        acts = not any(matches(a, request.action, case_sensitive=False) for a in _list(statement["NotAction"]))
    if not acts:
        return False
    if "Resource" in statement:
        on = any(matches(r, request.resource) for r in _list(statement["Resource"]))
    else:
        on = not any(matches(r, request.resource) for r in _list(statement["NotResource"]))
    if not on:
        return False
    return all(_condition_holds(operator, key, expected, request.context)
               for operator, block in statement.get("Condition", {}).items() for key, expected in block.items())


def allowed(request: Request, identity: Iterable[Document], boundary: Document | None = None) -> bool:
    """AWS's decision for a principal with the identity policies ``identity`` and the permissions boundary."""
    identity = list(identity)
    everything = [*identity, *([boundary] if boundary is not None else [])]
    if any(s["Effect"] == "Deny" and applies(s, request) for d in everything for s in statements(d)):
        return False
    granted = any(s["Effect"] == "Allow" and applies(s, request) for d in identity for s in statements(d))
    capped = boundary is None or any(s["Effect"] == "Allow" and applies(s, request) for s in statements(boundary))
    return granted and capped


# --------------------------------------------------------------------------- containment


_WEAKER = {  # a boundary operator -> the operators of a grant that imply it when their values fit
    "StringEquals": ("StringEquals",), "StringLike": ("StringEquals", "StringLike"),
    "ArnEquals": ("ArnEquals", "ArnLike"), "ArnLike": ("ArnEquals", "ArnLike"),
    "ForAllValues:StringLike": ("ForAllValues:StringLike", "ForAllValues:StringEquals"),
    "ForAllValues:StringEquals": ("ForAllValues:StringEquals",), "Null": ("Null",),
}


def _implied(boundary_condition: Mapping[str, Any], grant_condition: Mapping[str, Any]) -> bool:
    """Every condition of the boundary statement follows from the grant's (same key, values that fit)."""
    for operator, block in boundary_condition.items():
        for key, expected in block.items():
            wanted = [str(v) for v in _list(expected)]
            pattern = OPERATORS.get(operator.rpartition(":")[2], (False, True, False))[0]
            fits = [
                [str(v) for v in _list(grant_block[key])]
                for grant_operator, grant_block in grant_condition.items()
                if grant_operator in _WEAKER.get(operator, ()) and key in grant_block]
            if not any(all(any(matches(w, g) if pattern else w == g for w in wanted) for g in given)
                       for given in fits):
                return False
    return True


def within(grant: Mapping[str, Any], boundary: Document) -> list[str]:
    """The action/resource pairs of the Allow statement ``grant`` that the boundary does not allow (none: inside).

    A grant's pattern is inside a boundary's when the boundary pattern matches the grant's text
    with its ``*`` taken literally: each ``*`` of the grant then falls inside a ``*`` of the
    boundary, whatever it stands for.
    """
    outside = []
    allows = [s for s in statements(boundary) if s["Effect"] == "Allow"]
    for action in _list(grant["Action"]):
        for resource in _list(grant["Resource"]):
            inside = any(
                any(matches(a, action, case_sensitive=False) for a in _list(s["Action"]))
                and any(matches(r, resource) for r in _list(s["Resource"]))
                and _implied(s.get("Condition", {}), grant.get("Condition", {}))
                for s in allows)
            if not inside:
                outside.append(f"{action} on {resource}")
    return outside
