"""Schedule expressions are judged as EventBridge Scheduler judges them; durations parse with their units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsp import schedules

VALID = [
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
    "cron(0 3 * * ? *)", "cron(0/15 * * * ? *)", "cron(0 9 ? * MON-FRI *)", "cron(30 22 L * ? *)",
    "cron(0 8 1,15 * ? 2030)", "cron(0 12 ? JAN-MAR 2#1 *)", "cron(0 0 ? * 6L *)", "cron(0 6 15W * ? *)",
    "at(2030-01-31T09:00:00)",
]
INVALID = {
    "rate(0 minutes)": "at least 1",
    "rate(1 minutes)": "write rate(1 minute)",
    "rate(5 minute)": "write rate(5 minutes)",
    "rate(5 weeks)": "minute(s), hour(s) or day(s)",
    "rate(5minutes)": "not a rate",
    "cron(0 3 * * *)": "has 5 fields",
    "cron(0 3 * * ? * *)": "has 7 fields",
    "cron(0 3 * * MON *)": "exactly one of day-of-month",
    "cron(0 3 ? * ? *)": "exactly one of day-of-month",
    "cron(60 3 * * ? *)": "minutes field '60' is out of range",
    "cron(0 24 * * ? *)": "hours field '24' is out of range",
    "cron(0 3 32 * ? *)": "day-of-month field '32' is out of range",
    "cron(0 3 * 13 ? *)": "month field '13' is out of range",
    "cron(0 3 ? * 8 *)": "day-of-week field '8' is out of range",
    "cron(0 3 * * ? 1969)": "year field '1969' is out of range",
    "cron(? 3 * * ? *)": "may not be '?'",
    "cron(0/0 3 * * ? *)": "step",
    "cron(x 3 * * ? *)": "is not valid",
    "at(2030-01-31 09:00)": "not a one-time schedule",
    "daily": "is not a schedule",
    " rate(1 day)": "spaces around it",
}


@pytest.mark.parametrize("expression", VALID)
def test_valid_expressions_pass(expression: str) -> None:
    assert schedules.problem(expression) is None


@pytest.mark.parametrize(("expression", "says"), INVALID.items())
def test_invalid_expressions_say_why(expression: str, says: str) -> None:
    problem = schedules.problem(expression)
    assert problem is not None and says in problem, problem


@given(st.integers(1, 10_000), st.sampled_from(schedules.RATE_UNITS))
def test_every_rate_with_the_right_number_is_valid(n: int, unit: str) -> None:
    good = unit if n == 1 else f"{unit}s"
    bad = f"{unit}s" if n == 1 else unit
    assert schedules.problem(f"rate({n} {good})") is None
    assert schedules.problem(f"rate({n} {bad})") is not None


@given(st.integers(0, 59), st.integers(0, 23), st.integers(1, 31), st.integers(1, 12), st.integers(1, 7),
       st.integers(1970, 2199), st.booleans())
def test_in_range_crons_are_valid_and_one_out_of_range_field_is_not(
        minute: int, hour: int, dom: int, month: int, dow: int, year: int, by_weekday: bool) -> None:
    days = ("?", str(dow)) if by_weekday else (str(dom), "?")
    assert schedules.problem(f"cron({minute} {hour} {days[0]} {month} {days[1]} {year})") is None
    assert schedules.problem(f"cron({minute + 60} {hour} {days[0]} {month} {days[1]} {year})") is not None


@pytest.mark.parametrize(("text", "seconds"), [
    (30, 30), ("250ms", 0.25), ("30s", 30), ("5m", 300), ("4h", 14400), ("4d", 345600)])
def test_durations(text: int | str, seconds: float) -> None:
    assert schedules.seconds(text) == seconds


@pytest.mark.parametrize("text", ["4 days", "1w", "-1s", "", True])
def test_bad_durations_say_how_to_write_one(text: int | str) -> None:
    with pytest.raises(ValueError, match="use seconds"):
        schedules.seconds(text)
