"""Business-day arithmetic with an optional set of holidays."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: date, count: int, holidays: Collection[date] = ()) -> date:
    """The date `count` business days after `start` (before it when count < 0)."""
    step = ONE_DAY if count >= 0 else -ONE_DAY
    day, remaining = start, abs(count)
    while remaining:
        day += step
        if is_business_day(day, holidays):
            remaining -= 1
    return day


def business_days_between(start: date, end: date, holidays: Collection[date] = ()) -> int:
    """Business days in (start, end]: how many working days pass from start to end."""
    if end < start:
        return -business_days_between(end, start, holidays)
    days = (end - start).days
    return sum(is_business_day(start + ONE_DAY * i, holidays) for i in range(1, days + 1))


def next_business_day(day: date, holidays: Collection[date] = ()) -> date:
    """`day` itself when it is a business day, otherwise the next one."""
    while not is_business_day(day, holidays):
        day += ONE_DAY
    return day
