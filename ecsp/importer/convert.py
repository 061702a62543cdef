"""Pure conversions of Copilot values to ecsp's: Go durations, schedules, task counts, platforms,
``${VAR}`` interpolation and Copilot's override merge. No files, no notes: each function
returns the value or raises :class:`Unconvertible` with the reason.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import Any


class Unconvertible(ValueError):
    """A Copilot value that has no ecsp form; the message says why (it becomes a note)."""


# Go's time.ParseDuration units; Copilot's docs also write days ("4d") for queue retention.
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
                 "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)")


def seconds(value: Any) -> float:
    """A Go duration (``10s``, ``1m30s``, ``250ms``, ``2h``) in seconds."""
    if isinstance(value, bool) or not isinstance(value, str):
        # yaml.v3 cannot decode a bare number into time.Duration: Copilot itself rejects `timeout: 10`.
        raise Unconvertible(f"{value!r} is not a duration; Copilot wants a unit, e.g. '{value}s'")
    text = value.strip()
    if text in ("0", "+0", "-0"):
        return 0.0
    body = text.lstrip("+")
    if body.startswith("-"):
        raise Unconvertible(f"'{value}' is negative")
    total, pos = 0.0, 0
    for match in _DURATION.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(body) or not body:
        raise Unconvertible(f"'{value}' is not a duration; write e.g. 30s, 1m30s or 2h")
    return total


def whole_seconds(value: Any) -> tuple[int, bool]:
    """``value`` in whole seconds (rounded up, so a timeout never gets shorter) and whether it was rounded."""
    exact = seconds(value)
    rounded = math.ceil(exact - 1e-9)
    return rounded, abs(rounded - exact) > 1e-9


def count_range(value: Any) -> tuple[int, int, int | None]:
    """``count.range`` (``'1-10'`` or ``{min, max, spot_from}``) as (min, max, spot_from)."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", value)
        if not match:
            raise Unconvertible(f"'{value}' is not a range; Copilot writes MIN-MAX, e.g. 1-10")
        low, high = int(match.group(1)), int(match.group(2))
        spot: int | None = None
    elif isinstance(value, Mapping) and isinstance(value.get("min"), int) and isinstance(value.get("max"), int):
        low, high = value["min"], value["max"]
        spot = value.get("spot_from")
        if spot is not None and (not isinstance(spot, int) or isinstance(spot, bool)):
            raise Unconvertible(f"spot_from {spot!r} is not a number")
    else:
        raise Unconvertible(f"{value!r} is not a range; write 1-10 or {{min: 1, max: 10}}")
    if low > high:
        raise Unconvertible(f"min {low} is greater than max {high}")
    return low, high, spot


def platform(value: Any) -> str:
    """``platform`` (``linux/amd64``, ``linux/arm64``, ``{osfamily, architecture}``) as ecsp's platform."""
    if isinstance(value, Mapping):
        family = str(value.get("osfamily", "linux")).lower()
        arch = str(value.get("architecture", "x86_64")).lower()
        value = f"{'linux' if family == 'linux' else 'windows'}/{arch}"
    if not isinstance(value, str):
        raise Unconvertible(f"{value!r} is not a platform")
    os_name, _, arch = value.lower().partition("/")
    if os_name != "linux":
        raise Unconvertible(f"{value} runs Windows containers; ecsp runs Linux tasks only")
    if arch in ("amd64", "x86_64"):
        return "linux/x86_64"
    if arch in ("arm", "arm64"):
        return "linux/arm64"
    raise Unconvertible(f"{value} is not a platform Fargate runs; use linux/x86_64 or linux/arm64")


# Copilot's shorthands (site/content/docs/manifest/scheduled-job.en.md), as EventBridge cron.
_SCHEDULE_ALIASES = {
    "@yearly": "cron(0 0 1 1 ? *)", "@annually": "cron(0 0 1 1 ? *)", "@monthly": "cron(0 0 1 * ? *)",
    "@weekly": "cron(0 0 ? * 1 *)", "@daily": "cron(0 0 * * ? *)", "@midnight": "cron(0 0 * * ? *)",
    "@hourly": "cron(0 * * * ? *)",
}
_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def schedule(value: Any) -> str:
    """``on.schedule`` as an EventBridge expression (``cron(...)``, ``rate(...)``) or ``none``."""
    if not isinstance(value, str) or not value.strip():
        raise Unconvertible(f"{value!r} is not a schedule")
    text = value.strip()
    if text.lower() == "none":
        return "none"
    if text in _SCHEDULE_ALIASES:
        return _SCHEDULE_ALIASES[text]
    if re.fullmatch(r"(cron|rate)\(.+\)", text):
        return text
    if text.startswith("@every "):
        total, rounded = whole_seconds(text.removeprefix("@every ").strip())
        # EventBridge rates count whole minutes.
        if rounded or total % 60 or total == 0:
            raise Unconvertible(f"'{text}' is not a whole number of minutes, which EventBridge rates need")
        return _rate(total // 60)
    fields = text.split()
    if len(fields) == 5:
        return _unix_cron(fields)
    raise Unconvertible(f"'{text}' is not a schedule Copilot documents (@daily, @every 1h, rate(...), cron(...) "
                        "or five cron fields)")


def _rate(minutes: int) -> str:
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes % size == 0:
            n = minutes // size
            return f"rate({n} {unit}{'s' if n != 1 else ''})"
    return f"rate({minutes} minute{'s' if minutes != 1 else ''})"


def _unix_cron(fields: list[str]) -> str:
    """Five standard cron fields as EventBridge's six (day of week 0-6 becomes 1-7; one of the day fields is '?')."""
    minute, hour, dom, month, dow = fields
    if dow != "*":
        dow = re.sub(r"\d", lambda m: str((int(m[0]) % 7) + 1), dow) if not re.search("[A-Za-z]", dow) else dow
        if dom == "*":
            dom = "?"
        elif dom != "?":
            # Unix cron runs when either day field matches; EventBridge allows only one of them.
            raise Unconvertible(f"'{' '.join(fields)}' restricts both the day of month and the day of week, "
                                "which EventBridge cannot express")
    else:
        dow = "?"
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


# --------------------------------------------------------------------------- interpolation

VARIABLE = re.compile(r"(\\?)\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}")


def interpolate(data: Any, predefined: Mapping[str, str], given: Mapping[str, str], missing: set[str]) -> Any:
    """``data`` with ``${VAR}`` replaced in every string value, as Copilot does at deploy time.

    ``predefined`` are COPILOT_APPLICATION_NAME and COPILOT_ENVIRONMENT_NAME; ``given`` are the
    values the user passed for the shell variables Copilot read from whoever ran `copilot deploy`.
    Names found in neither are added to ``missing``; ``\\${VAR}`` is a literal ``${VAR}``.
    """
    if isinstance(data, dict):
        return {k: interpolate(v, predefined, given, missing) for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate(v, predefined, given, missing) for v in data]
    if not isinstance(data, str):
        return data

    def replace(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return "${" + name + "}"
        if name in predefined:
            return predefined[name]
        if name in given:
            return given[name]
        missing.add(name)
        return match.group(0)

    return VARIABLE.sub(replace, data)


def merge(base: Any, override: Any) -> Any:
    """Copilot's per-environment merge: mappings merge key by key, anything else is replaced.

    An override that sets ``image.location`` drops the base's ``image.build`` (and the other
    way round): they are one choice in Copilot's model. ``null`` in an override changes nothing.
    """
    if override is None:
        return copy.deepcopy(base)
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    out = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            continue
        out[key] = merge(out.get(key), value) if key in out else copy.deepcopy(value)
    for one, other in (("location", "build"), ("build", "location")):
        if one in override and other in out and other not in override:
            del out[other]
    return out
