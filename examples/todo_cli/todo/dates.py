"""Due dates as people type them: 2024-05-01, today, tomorrow, +3d, +2w, fri, next mon."""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OFFSET = re.compile(r"^\+(\d+)([dw])$")


class DateError(ValueError):
    """Text that is not a date this module understands."""


def parse_due(text: str, today: date) -> date:
    """The date `text` means, relative to `today`. A bare weekday is the next one after today."""
    word = text.strip().lower()
    if word in ("today", "tod"):
        return today
    if word in ("tomorrow", "tom"):
        return today + timedelta(days=1)
    if match := _OFFSET.match(word):
        count, unit = int(match.group(1)), match.group(2)
        return today + timedelta(days=count * (7 if unit == "w" else 1))
    weekday = _weekday(word.removeprefix("next ").strip())
    if weekday is not None:
        return _next_weekday(today, weekday, skip_week=word.startswith("next "))
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise DateError(f"cannot read {text!r} as a date (try 2024-05-01, today, +3d or fri)") from None


def _weekday(word: str) -> int | None:
    """0 for 'mon', 'mond' or 'monday'; None when `word` names no weekday."""
    for number, name in enumerate(WEEKDAYS):
        if len(word) >= 3 and name.startswith(word):
            return number
    return None


def _next_weekday(today: date, weekday: int, skip_week: bool) -> date:
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead + (7 if skip_week else 0))


def describe(due: date, today: date) -> str:
    """'today', 'tomorrow', 'in 3 days', 'yesterday', '4 days ago', or the date itself beyond a fortnight."""
    delta = (due - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if abs(delta) > 14:
        return due.isoformat()
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"
