"""Inclusive ranges of dates, and grouping of dates into ISO weeks and months."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta


def date_range(start: date, end: date, step_days: int = 1) -> Iterator[date]:
    """start, start + step, ... up to and including end."""
    if step_days < 1:
        raise ValueError("step_days must be positive")
    for offset in range(0, (end - start).days + 1, step_days):
        yield start + timedelta(days=offset)


def by_week(days: Iterable[date]) -> dict[tuple[int, int], list[date]]:
    """Dates grouped by ISO (year, week)."""
    groups: dict[tuple[int, int], list[date]] = defaultdict(list)
    for day in days:
        year, week, _ = day.isocalendar()
        groups[(year, week)].append(day)
    return dict(groups)


def month_starts(start: date, end: date) -> list[date]:
    """The first day of each month that [start, end] touches."""
    first = start.replace(day=1)
    months = []
    while first <= end:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return months
