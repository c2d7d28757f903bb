"""Month arithmetic on dates: leap years, month lengths, adding months, quarters."""

from __future__ import annotations

from datetime import date

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap(year: int) -> bool:
    """Gregorian rule: every 4th year, except centuries not divisible by 400."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    if month == 2 and is_leap(year):
        return 29
    return _DAYS[month - 1]


def add_months(day: date, months: int) -> date:
    """Same day of month, `months` later (or earlier); clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, days_in_month(year, month)))


def end_of_month(day: date) -> date:
    return day.replace(day=days_in_month(day.year, day.month))


def quarter(day: date) -> int:
    return (day.month - 1) // 3 + 1
