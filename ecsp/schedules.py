"""Schedule expressions of jobs, checked the way EventBridge Scheduler checks them, and durations in ecsp.yaml.

Scheduler accepts ``rate(VALUE UNIT)``, ``cron(MIN HOUR DOM MONTH DOW YEAR)`` and
``at(yyyy-mm-ddThh:mm:ss)``. It refuses a bad one only at deploy time, with a terse
``ValidationException``; :func:`problem` finds the same mistakes before anything is
deployed and says how to fix each. Pure functions, no AWS.
"""

from __future__ import annotations

import re

RATE_UNITS = ("minute", "hour", "day")
_RATE = re.compile(r"^rate\((\S+) (\S+)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (name, lowest, highest, names that stand for numbers, extra characters allowed in the field)
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...], str], ...] = (
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day-of-month", 1, 31, (), "?LW"),
    ("month", 1, 12, _MONTHS, ""),
    ("day-of-week", 1, 7, _DAYS, "?L#"),
    ("year", 1970, 2199, (), ""),
)
EXAMPLES = 'use e.g. "rate(1 hour)", "cron(0 3 * * ? *)" (03:00 UTC daily) or none'


def problem(expression: str) -> str | None:
    """Why EventBridge Scheduler would refuse ``expression``, with the fix; None when it is valid."""
    text = expression.strip()
    if text != expression:
        return f"'{expression}' has spaces around it; write {text!r}"
    if text.startswith("rate("):
        return _rate_problem(text)
    if text.startswith("cron("):
        return _cron_problem(text)
    if text.startswith("at("):
        return None if _AT.match(text) else f"'{text}' is not a one-time schedule; use at(2030-01-31T09:00:00)"
    return f"'{text}' is not a schedule; {EXAMPLES}"


def _rate_problem(text: str) -> str | None:
    match = _RATE.match(text)
    if not match:
        return f"'{text}' is not a rate; write rate(VALUE UNIT) with one space, e.g. rate(5 minutes)"
    value, unit = match.groups()
    if not value.isdigit() or int(value) < 1:
        return f"'{text}': the rate's value must be a whole number of at least 1, e.g. rate(5 minutes)"
    n = int(value)
    singular = unit.removesuffix("s")
    if singular not in RATE_UNITS:
        return f"'{text}': the rate's unit must be minute(s), hour(s) or day(s), e.g. rate({n} hours)"
    # Scheduler insists on the singular for 1 and the plural otherwise.
    right = singular if n == 1 else f"{singular}s"
    if unit != right:
        return f"'{text}': write rate({n} {right}) (singular only for 1)"
    return None


def _cron_problem(text: str) -> str | None:
    match = _CRON.match(text)
    assert match is not None
    fields = match.group(1).split()
    if len(fields) != len(_FIELDS):
        return (f"'{text}' has {len(fields)} fields; EventBridge cron has 6: minutes hours day-of-month month "
                "day-of-week year, e.g. cron(0 3 * * ? *)")
    for value, (name, low, high, names, extra) in zip(fields, _FIELDS, strict=True):
        bad = _field_problem(value, low, high, names, extra)
        if bad:
            return f"'{text}': the {name} field '{value}' {bad}"
    dom, dow = fields[2], fields[4]
    if (dom == "?") == (dow == "?"):
        return (f"'{text}': exactly one of day-of-month ('{dom}') and day-of-week ('{dow}') must be '?'; "
                f"e.g. cron({' '.join(fields[:4])} ? {fields[5]}) for every day")
    return None


def _field_problem(value: str, low: int, high: int, names: tuple[str, ...], extra: str) -> str | None:
    """Why one cron field is invalid, or None."""
    if value in ("*", "?"):
        return None if value == "*" or "?" in extra else "may not be '?' (only day-of-month or day-of-week may)"
    allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
    for part in value.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) < 1):
            return f"has the step '/{step}'; a step is a whole number of at least 1"
        if base == "*" and step:
            continue
        if "L" in extra and re.fullmatch(r"L|\d{0,2}L|LW|\d{1,2}W", base) and not step:
            if base.rstrip("LW") and not low <= int(base.rstrip("LW")) <= high:
                return f"is out of range; use {allowed}"
            continue
        if "#" in extra and re.fullmatch(r"\w+#[1-5]", base) and not step:
            base = base.split("#")[0]
        for bound in base.split("-", 1):
            number = _number(bound, names)
            if number is None:
                return f"is not valid; use {allowed}, '*'{', ?' if '?' in extra else ''} or lists/ranges/steps of those"
            if not low <= number <= high:
                return f"is out of range; use {allowed}"
    return None


def _number(text: str, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    if text.upper() in names:
        return names.index(text.upper()) + 1
    return None


# --------------------------------------------------------------------------- durations

_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(value: int | str) -> float:
    """A duration written as seconds (an int) or with a unit (``250ms``, ``30s``, ``5m``, ``4h``, ``4d``).

    Raises ValueError with a fix for anything else.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value} is not a duration; use seconds (e.g. 30) or a number with a unit: 250ms, 30s, 4d")
    if isinstance(value, int):
        return float(value)
    match = _DURATION.match(value.strip())
    if not match:
        raise ValueError(f"'{value}' is not a duration; use seconds (e.g. 30) or a number with a unit: 250ms, "
                         "30s, 5m, 4h, 4d")
    n, unit = int(match.group(1)), match.group(2)
    return n / 1000 if unit == "ms" else float(n * _SECONDS[unit])
