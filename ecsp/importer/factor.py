"""Fold one application's per-environment settings into base settings plus overrides.

Copilot's ``environments.<env>`` overrides and ``${COPILOT_ENVIRONMENT_NAME}`` both make a
workload differ between environments; the importer maps each environment on its own and this
module writes the result the way a person would: what all environments share in the base,
the rest in ``environments.<env>``. It follows ecsp's merge rules (config._resolve):
``variables`` and ``secrets`` merge name by name, ``healthcheck`` field by field, everything
else is replaced whole. ecsp cannot unset a base value in an override, so a field that some
environment lacks is written only in the overrides of the environments that have it.

Copilot's own base comes first: where the manifest's base maps to the same value in every
environment, that value is the base even when every environment overrides it (so the file
keeps the manifest's shape, and an environment added later starts from Copilot's base, not
from one environment's values); otherwise the value most environments share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MERGED = ("variables", "secrets", "healthcheck")
_MISSING = object()


def _most_common(values: Sequence[Any]) -> Any:
    """The value most environments have (on a tie, the first one's: the caller puts first the environments
    without Copilot overrides, whose values are the manifest's base values)."""
    best, best_count = values[0], 0
    for value in values:
        n = sum(1 for v in values if v == value)
        if n > best_count:
            best, best_count = value, n
    return best


def _split(per_env: Mapping[str, Any], prefer: Sequence[str],
           copilot_base: Mapping[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """(base value or _MISSING, {env: override}) for one atomic field.

    ``copilot_base``: the field as the manifest's base (without overrides) maps in each environment.
    """
    values = [per_env[env] for env in prefer]
    if any(v is _MISSING for v in values):
        return _MISSING, {env: v for env, v in per_env.items() if v is not _MISSING}
    bases = list((copilot_base or {}).values())
    if bases and bases[0] is not _MISSING and all(b == bases[0] for b in bases):
        base = bases[0]
    else:
        base = _most_common(values)
    return base, {env: v for env, v in per_env.items() if v != base}


def factor(per_env: Mapping[str, Mapping[str, Any]], order: Sequence[str],
           prefer: Sequence[str] = (), copilot_base: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Base fields plus ``environments: {env: {...}}`` for the per-environment ``per_env``.

    ``order`` is the key order of ecsp's fields, so the written file reads the same way for
    every application. ``prefer`` ranks environments for ties (see :func:`_most_common`).
    ``copilot_base`` is, per environment, what the manifest's base alone maps to there.
    """
    bases = copilot_base or {}
    envs = list(per_env)
    ranked = [e for e in prefer if e in per_env] + [e for e in envs if e not in prefer]
    keys = [k for k in order if any(k in fields for fields in per_env.values())]
    keys += [k for fields in per_env.values() for k in fields if k not in keys]
    base: dict[str, Any] = {}
    overrides: dict[str, dict[str, Any]] = {env: {} for env in envs}
    for key in dict.fromkeys(keys):
        if key in MERGED:
            names = list(dict.fromkeys(n for fields in per_env.values() for n in fields.get(key) or {}))
            for name in names:
                copilot = {env: (b.get(key) or {}).get(name, _MISSING) for env, b in bases.items()}
                value, differ = _split({env: (per_env[env].get(key) or {}).get(name, _MISSING) for env in envs},
                                       ranked, copilot)
                if value is not _MISSING:
                    base.setdefault(key, {})[name] = value
                for env, v in differ.items():
                    overrides[env].setdefault(key, {})[name] = v
            continue
        value, differ = _split({env: per_env[env].get(key, _MISSING) for env in envs}, ranked,
                               {env: b.get(key, _MISSING) for env, b in bases.items()})
        if value is not _MISSING:
            base[key] = value
        for env, v in differ.items():
            overrides[env][key] = v
    written = {env: fields for env, fields in overrides.items() if fields}
    if written:
        base["environments"] = written
    return base
