"""Floating holidays: the nth or last weekday of a month."""

from __future__ import annotations

import calendar
from datetime import date

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) `weekday` of the month, e.g. the 4th Thursday of November."""
    if n < 1:
        raise ValueError("n must be at least 1")
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return date(year, month, 1 + offset + 7 * n)


def last_weekday(year: int, month: int, weekday: int) -> date:
    last_day = calendar.monthrange(year, month)[1]
    last = date(year, month, last_day)
    return date(year, month, last_day - (last.weekday() - weekday) % 7)


def us_holidays(year: int) -> dict[str, date]:
    return {
        "Martin Luther King Jr. Day": nth_weekday(year, 1, MONDAY, 3),
        "Memorial Day": last_weekday(year, 5, MONDAY),
        "Labor Day": nth_weekday(year, 9, MONDAY, 1),
        "Thanksgiving": nth_weekday(year, 11, THURSDAY, 4),
    }
