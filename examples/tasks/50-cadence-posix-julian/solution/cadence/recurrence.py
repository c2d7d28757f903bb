"""Recurrence rules, recurrence sets and a small iCalendar reader/writer.

This module is the heart of :mod:`cadence`.  It provides

* calendar arithmetic helpers (leap years, month lengths, week numbering with an
  arbitrary week start, nth weekday of a month or year, Easter, ...);
* value types for the iCalendar world: :class:`Weekday`, :class:`Frequency`,
  :class:`Duration` and :class:`Period`, with parsers and formatters for the
  basic iCalendar text formats (``20240115``, ``20240115T093000Z``, ``P1DT2H``);
* :class:`RecurrenceRule`, a validated, immutable description of an ``RRULE``,
  with a parser, a serializer and an expansion engine that yields occurrences;
* :class:`RecurrenceSet`, which combines rules and explicit dates with
  exclusions;
* a content-line layer (folding, unfolding, parameter quoting, text escaping),
  a component tree, and the :class:`Event` / :class:`Calendar` models built on
  top of it, with occurrence queries, conflict detection and free/busy maps.

The expansion engine works period by period: for a ``YEARLY`` rule it looks at
one year at a time, for a ``MONTHLY`` rule one month at a time, and so on.
Within a period it builds the set of candidate days, filters them with the
``BYxxx`` parts, combines the surviving days with the candidate times, applies
``BYSETPOS`` and yields the results in order.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import heapq
import itertools
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Iterable, Iterator, Sequence

__all__ = [
    "CadenceError", "ParseError", "RuleError", "ExpansionLimitError",
    "Weekday", "MO", "TU", "WE", "TH", "FR", "SA", "SU", "WEEKDAYS",
    "Frequency", "Duration", "Period",
    "is_leap_year", "days_in_month", "days_in_year", "add_months", "easter_sunday",
    "nth_weekday_of_month", "nth_weekday_of_year", "week_start", "week_number",
    "weeks_in_year", "first_week_start",
    "parse_date", "parse_datetime", "parse_date_or_datetime", "format_date",
    "format_datetime", "format_value", "parse_duration", "format_duration",
    "parse_period", "RecurrenceRule", "RecurrenceSet", "parse_rrule",
    "parse_recurrence", "ContentLine", "Component", "fold_line", "unfold_lines",
    "escape_text", "unescape_text", "parse_components", "Event", "Occurrence",
    "Calendar", "merge_intervals", "subtract_intervals", "total_length", "Alarm",
    "Conflict", "TimeRange", "Availability", "common_free_slots", "PosixZone",
    "TransitionRule", "OccurrenceCache", "RuleBuilder", "simplify_rule", "rules_agree",
    "infer_rule", "occurrences_in_year", "next_weekday", "previous_weekday", "quarter_of",
    "quarter_bounds", "rule_to_dict", "rule_from_dict", "set_to_dict", "set_from_dict",
    "expand", "week_dates", "date_range", "day_of_year", "add_years", "months_between",
    "month_name", "fixed_offset", "parse_utc_offset", "format_utc_offset", "split_text_list",
    "is_all_day", "to_datetime",
]


# ---------------------------------------------------------------------------------------------
# errors


class CadenceError(Exception):
    """Base class of every error raised by :mod:`cadence`."""


class ParseError(CadenceError, ValueError):
    """Text could not be parsed.

    ``text`` is the offending input and ``position`` (when known) the index of
    the character where parsing stopped.
    """

    def __init__(self, message: str, text: str | None = None, position: int | None = None):
        self.message = message
        self.text = text
        self.position = position
        detail = message
        if text is not None:
            detail += f" in {text!r}"
        if position is not None:
            detail += f" at position {position}"
        super().__init__(detail)


class RuleError(CadenceError, ValueError):
    """A recurrence rule is inconsistent (a part out of range, parts that may not combine)."""


class ExpansionLimitError(CadenceError):
    """Expanding a rule would produce more occurrences than the caller allowed."""


# ---------------------------------------------------------------------------------------------
# calendar arithmetic

MINYEAR = 1
MAXYEAR = 9999
SECONDS_PER_DAY = 86400
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)


def is_leap_year(year: int) -> bool:
    """True for Gregorian leap years (divisible by 4, centuries only when divisible by 400)."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    """The number of days of `month` (1-12) in `year`."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1..12, not {month}")
    if month == 2 and is_leap_year(year):
        return 29
    return _MONTH_DAYS[month - 1]


def days_in_year(year: int) -> int:
    """365 or 366."""
    return 366 if is_leap_year(year) else 365


def month_name(month: int) -> str:
    """English name of a month number."""
    return _MONTH_NAMES[month - 1]


def day_of_year(day: _dt.date) -> int:
    """1 for January 1st, up to 365 or 366."""
    return day.timetuple().tm_yday


def add_months(day: _dt.date, months: int, clamp: bool = True) -> _dt.date:
    """Move `day` by a number of months.

    With ``clamp`` (the default) a day that does not exist in the target month
    becomes the month's last day (January 31st + 1 month = February 28th/29th);
    without it a :class:`ValueError` is raised.  Datetimes keep their time.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    if not MINYEAR <= year <= MAXYEAR:
        raise OverflowError(f"year {year} is out of range")
    last = days_in_month(year, month0 + 1)
    dom = day.day
    if dom > last:
        if not clamp:
            raise ValueError(f"{year:04d}-{month0 + 1:02d} has no day {dom}")
        dom = last
    return day.replace(year=year, month=month0 + 1, day=dom)


def add_years(day: _dt.date, years: int, clamp: bool = True) -> _dt.date:
    """Move `day` by whole years; February 29th becomes the 28th in common years when clamping."""
    return add_months(day, 12 * years, clamp=clamp)


def months_between(start: _dt.date, end: _dt.date) -> int:
    """Whole calendar months from `start` to `end` (negative when `end` is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return months


def easter_sunday(year: int) -> _dt.date:
    """Western (Gregorian) Easter Sunday, by the anonymous Gregorian algorithm."""
    if year < 1583:
        raise ValueError("the Gregorian Easter computation starts in 1583")
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return _dt.date(year, month, day + 1)


def nth_weekday_of_month(year: int, month: int, weekday: int, n: int) -> _dt.date | None:
    """The `n`-th `weekday` (0 = Monday) of a month; negative `n` counts from the end.

    Returns None when the month has no such day (a fifth Monday, say).
    """
    if n == 0:
        raise ValueError("n must not be zero")
    last = days_in_month(year, month)
    if n > 0:
        first = _dt.date(year, month, 1)
        offset = (weekday - first.weekday()) % 7
        dom = 1 + offset + 7 * (n - 1)
    else:
        final = _dt.date(year, month, last)
        offset = (final.weekday() - weekday) % 7
        dom = last - offset - 7 * (-n - 1)
    if 1 <= dom <= last:
        return _dt.date(year, month, dom)
    return None


def nth_weekday_of_year(year: int, weekday: int, n: int) -> _dt.date | None:
    """The `n`-th `weekday` of a year (negative `n` from the end), or None."""
    if n == 0:
        raise ValueError("n must not be zero")
    if n > 0:
        first = _dt.date(year, 1, 1)
        day = first + _dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    else:
        final = _dt.date(year, 12, 31)
        day = final - _dt.timedelta(days=(final.weekday() - weekday) % 7 + 7 * (-n - 1))
    return day if day.year == year else None


def week_start(day: _dt.date, wkst: int = 0) -> _dt.date:
    """The first day of the week holding `day`, weeks starting on weekday `wkst` (0 = Monday)."""
    return day - _dt.timedelta(days=(day.weekday() - wkst) % 7)


def first_week_start(year: int, wkst: int = 0) -> _dt.date:
    """The first day of week 1 of `year`.

    Week 1 is the first week (starting on `wkst`) that holds at least four days
    of the year, as in ISO 8601 and RFC 5545; it may begin in late December.
    """
    jan1 = _dt.date(year, 1, 1)
    start = week_start(jan1, wkst)
    days_in_first = 7 - (jan1 - start).days
    if days_in_first < 4:
        start += _dt.timedelta(days=7)
    return start


def weeks_in_year(year: int, wkst: int = 0) -> int:
    """52 or 53: the number of numbered weeks of `year` for the given week start."""
    this = first_week_start(year, wkst)
    following = first_week_start(year + 1, wkst)
    return (following - this).days // 7


def week_number(day: _dt.date, wkst: int = 0) -> tuple[int, int]:
    """(week-numbering year, week number) of `day` for weeks starting on `wkst`.

    With ``wkst=0`` this agrees with :meth:`datetime.date.isocalendar`.
    """
    year = day.year
    start = first_week_start(year, wkst)
    if day < start:
        year -= 1
        start = first_week_start(year, wkst)
    else:
        following = first_week_start(year + 1, wkst)
        if day >= following:
            year += 1
            start = following
    return year, (day - start).days // 7 + 1


def week_dates(year: int, week: int, wkst: int = 0) -> list[_dt.date]:
    """The seven days of week `week` of week-numbering `year`; negative weeks count from the end."""
    total = weeks_in_year(year, wkst)
    if week < 0:
        week = total + week + 1
    if not 1 <= week <= total:
        raise ValueError(f"{year} has no week {week}")
    start = first_week_start(year, wkst) + _dt.timedelta(days=7 * (week - 1))
    return [start + _dt.timedelta(days=i) for i in range(7)]


def date_range(start: _dt.date, end: _dt.date, step: int = 1) -> Iterator[_dt.date]:
    """Days from `start` up to but excluding `end`, `step` days apart."""
    if step <= 0:
        raise ValueError("step must be positive")
    day = start
    delta = _dt.timedelta(days=step)
    while day < end:
        yield day
        day += delta


def _resolve_index(index: int, size: int) -> int | None:
    """A 1-based index, negative from the end, as a 0-based one; None when out of range."""
    if index > 0:
        return index - 1 if index <= size else None
    if index < 0:
        return size + index if -index <= size else None
    return None


# ---------------------------------------------------------------------------------------------
# weekdays and frequencies

_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_RE = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


class Weekday:
    """A day of the week with an optional occurrence number.

    ``Weekday(0)`` is any Monday; ``Weekday(4, -1)`` (written ``-1FR``) is the
    last Friday of the enclosing month or year.  Instances are immutable and
    hashable; calling one with a number makes the numbered variant
    (``FR(-1)``).
    """

    __slots__ = ("_day", "_n")

    def __init__(self, day: int, n: int | None = None):
        if not 0 <= day <= 6:
            raise ValueError(f"weekday must be in 0..6, not {day}")
        if n == 0:
            raise ValueError("a weekday's occurrence number may not be zero")
        if n is not None and not -53 <= n <= 53:
            raise ValueError(f"occurrence number {n} is out of range -53..53")
        object.__setattr__(self, "_day", day)
        object.__setattr__(self, "_n", n)

    def __setattr__(self, name, value):
        raise AttributeError("Weekday is immutable")

    @property
    def day(self) -> int:
        return self._day

    @property
    def n(self) -> int | None:
        return self._n

    @property
    def code(self) -> str:
        return _DAY_CODES[self._day]

    @property
    def name(self) -> str:
        return _DAY_NAMES[self._day]

    def __call__(self, n: int | None) -> Weekday:
        return Weekday(self._day, n)

    def plain(self) -> Weekday:
        """The same day without an occurrence number."""
        return self if self._n is None else Weekday(self._day)

    def matches(self, day: _dt.date) -> bool:
        """True when `day` falls on this weekday (the occurrence number is ignored)."""
        return day.weekday() == self._day

    @classmethod
    def parse(cls, text: str) -> Weekday:
        """Parse ``MO``, ``2TU``, ``+3WE`` or ``-1FR`` (case-insensitive)."""
        match = _WEEKDAY_RE.match(text.strip().upper())
        if not match:
            raise ParseError("invalid weekday", text)
        sign, number, code = match.groups()
        n = None
        if number is not None:
            n = int(number)
            if n == 0:
                raise ParseError("weekday occurrence number may not be zero", text)
            if sign == "-":
                n = -n
        elif sign:
            raise ParseError("a sign needs an occurrence number", text)
        try:
            return cls(_DAY_CODES.index(code), n)
        except ValueError as exc:
            raise ParseError(str(exc), text) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Weekday):
            return NotImplemented
        return self._day == other._day and self._n == other._n

    def __hash__(self) -> int:
        return hash((self._day, self._n))

    def __lt__(self, other: Weekday) -> bool:
        return self._sort_key() < other._sort_key()

    def _sort_key(self) -> tuple[int, int]:
        return (self._n or 0, self._day)

    def __str__(self) -> str:
        if self._n is None:
            return self.code
        return f"{self._n}{self.code}"

    def __repr__(self) -> str:
        if self._n is None:
            return self.code
        return f"{self.code}({self._n})"


MO, TU, WE, TH, FR, SA, SU = WEEKDAYS = tuple(Weekday(i) for i in range(7))


class Frequency(Enum):
    """The ``FREQ`` of a recurrence rule, ordered from the coarsest to the finest."""

    YEARLY = 0
    MONTHLY = 1
    WEEKLY = 2
    DAILY = 3
    HOURLY = 4
    MINUTELY = 5
    SECONDLY = 6

    @classmethod
    def parse(cls, text: str) -> Frequency:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ParseError("unknown frequency", text) from None

    def finer_than(self, other: Frequency) -> bool:
        return self.value > other.value

    def coarser_than(self, other: Frequency) -> bool:
        return self.value < other.value

    @property
    def noun(self) -> str:
        """``year``, ``month``, ..., ``second``."""
        return ("year", "month", "week", "day", "hour", "minute", "second")[self.value]

    @property
    def is_time_based(self) -> bool:
        return self.value >= Frequency.HOURLY.value


# ---------------------------------------------------------------------------------------------
# fixed-offset time zones

_UTC = _dt.timezone.utc


def fixed_offset(minutes: int, name: str | None = None) -> _dt.tzinfo:
    """A time zone `minutes` east of UTC (UTC itself for 0 without a name)."""
    if minutes == 0 and name is None:
        return _UTC
    if not -24 * 60 < minutes < 24 * 60:
        raise ValueError("offset must be strictly within one day")
    if name is None:
        return _dt.timezone(_dt.timedelta(minutes=minutes))
    return _dt.timezone(_dt.timedelta(minutes=minutes), name)


def parse_utc_offset(text: str) -> _dt.tzinfo:
    """Parse ``+0530``, ``-08:00``, ``+01`` or ``Z``."""
    raw = text.strip()
    if raw.upper() == "Z":
        return _UTC
    match = re.match(r"^([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?$", raw)
    if not match:
        raise ParseError("invalid UTC offset", text)
    sign, hours, minutes, seconds = match.groups()
    total = int(hours) * 60 + int(minutes or 0)
    if int(minutes or 0) >= 60 or int(seconds or 0) >= 60:
        raise ParseError("invalid UTC offset", text)
    if seconds and int(seconds):
        raise ParseError("offsets with seconds are not supported", text)
    if total >= 24 * 60:
        raise ParseError("UTC offset out of range", text)
    if sign == "-":
        if total == 0:
            raise ParseError("-0000 is not a valid offset", text)
        total = -total
    return fixed_offset(total)


def format_utc_offset(offset: _dt.timedelta | None) -> str:
    """``+0530``, ``-0800``; ``+0000`` for UTC."""
    if offset is None:
        raise ValueError("no offset to format")
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{minutes:02d}"


# ---------------------------------------------------------------------------------------------
# date and date-time values

_DATE_RE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})?(?:\.(\d{1,6}))?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def _make_date(text: str, year: str, month: str, day: str) -> _dt.date:
    try:
        return _dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ParseError(str(exc), text) from None


def parse_date(text: str) -> _dt.date:
    """Parse ``20240115`` or ``2024-01-15``."""
    match = _DATE_RE.match(text.strip())
    if not match:
        raise ParseError("invalid date", text)
    return _make_date(text, *match.groups())


def parse_datetime(text: str, tzinfo: _dt.tzinfo | None = None) -> _dt.datetime:
    """Parse ``20240115T093000``, ``2024-01-15T09:30:00Z`` or ``20240115T0930+0100``.

    A trailing ``Z`` gives a UTC datetime and an explicit offset a fixed-offset
    one; otherwise the result carries `tzinfo` (naive when it is None).
    Leap seconds (``:60``) are rejected.
    """
    raw = text.strip()
    match = _DATETIME_RE.match(raw)
    if not match:
        raise ParseError("invalid date-time", text)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    date = _make_date(text, year, month, day)
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        value = _dt.datetime(
            date.year, date.month, date.day, int(hour), int(minute), int(second or 0), micro
        )
    except ValueError as exc:
        raise ParseError(str(exc), text) from None
    if zone:
        return value.replace(tzinfo=parse_utc_offset(zone))
    if tzinfo is not None:
        return value.replace(tzinfo=tzinfo)
    return value


def parse_date_or_datetime(text: str, tzinfo: _dt.tzinfo | None = None) -> _dt.date:
    """A date for ``20240115``, a datetime for anything with a ``T``."""
    if "T" in text.upper():
        return parse_datetime(text.upper(), tzinfo)
    return parse_date(text)


def format_date(day: _dt.date) -> str:
    """``20240115`` (the iCalendar DATE form)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def format_datetime(value: _dt.datetime, utc: bool | None = None) -> str:
    """``20240115T093000``, with ``Z`` for UTC values.

    Aware non-UTC values are converted to UTC when `utc` is true, written with
    their offset (``+0100``) when `utc` is None, and written as floating local
    time when `utc` is false.
    """
    if utc and value.tzinfo is not None:
        value = value.astimezone(_UTC)
    text = (
        f"{value.year:04d}{value.month:02d}{value.day:02d}"
        f"T{value.hour:02d}{value.minute:02d}{value.second:02d}"
    )
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    if value.tzinfo is None or utc is False:
        return text
    offset = value.utcoffset()
    if offset == _dt.timedelta(0):
        return text + "Z"
    return text + format_utc_offset(offset)


def format_value(value: _dt.date) -> str:
    """Format a date or a datetime in its iCalendar form."""
    if isinstance(value, _dt.datetime):
        return format_datetime(value)
    return format_date(value)


def is_all_day(value: _dt.date) -> bool:
    """True for a plain date (no time part)."""
    return not isinstance(value, _dt.datetime)


def to_datetime(value: _dt.date, tzinfo: _dt.tzinfo | None = None) -> _dt.datetime:
    """A datetime for a date (midnight) or the datetime itself."""
    if isinstance(value, _dt.datetime):
        return value
    return _dt.datetime(value.year, value.month, value.day, tzinfo=tzinfo)


def _comparable(value: _dt.date, like: _dt.date) -> _dt.date:
    """Coerce `value` so that it compares with `like` (date vs datetime, naive vs aware)."""
    if isinstance(like, _dt.datetime):
        if not isinstance(value, _dt.datetime):
            return _dt.datetime(value.year, value.month, value.day, tzinfo=like.tzinfo)
        if (value.tzinfo is None) != (like.tzinfo is None):
            if value.tzinfo is None:
                return value.replace(tzinfo=like.tzinfo)
            return value.astimezone(like.tzinfo) if like.tzinfo else value.replace(tzinfo=None)
        return value
    if isinstance(value, _dt.datetime):
        return value.date()
    return value


# ---------------------------------------------------------------------------------------------
# durations

_DURATION_RE = re.compile(
    r"^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)


@dataclass(frozen=True, order=True)
class Duration:
    """An iCalendar duration: a signed number of days plus a signed number of seconds.

    Days and seconds are kept apart because a "day" in a calendar is not always
    86,400 seconds; weeks are stored as seven days.  Durations add to dates and
    datetimes, compare, negate, and format back to the ``P1DT2H`` form.
    """

    days: int = 0
    seconds: int = 0

    def __post_init__(self):
        if (self.days < 0 < self.seconds) or (self.seconds < 0 < self.days):
            raise ValueError("days and seconds of a duration must have the same sign")

    @classmethod
    def of(cls, weeks: int = 0, days: int = 0, hours: int = 0, minutes: int = 0,
           seconds: int = 0) -> Duration:
        """Build a duration from its parts (all the same sign)."""
        return cls(weeks * 7 + days, hours * 3600 + minutes * 60 + seconds)

    @classmethod
    def from_timedelta(cls, delta: _dt.timedelta) -> Duration:
        """Whole days become days, the rest seconds (microseconds are dropped)."""
        total = int(delta.total_seconds())
        sign = -1 if total < 0 else 1
        days, seconds = divmod(abs(total), SECONDS_PER_DAY)
        return cls(sign * days, sign * seconds)

    @classmethod
    def parse(cls, text: str) -> Duration:
        return parse_duration(text)

    def to_timedelta(self) -> _dt.timedelta:
        return _dt.timedelta(days=self.days, seconds=self.seconds)

    @property
    def total_seconds(self) -> int:
        return self.days * SECONDS_PER_DAY + self.seconds

    @property
    def is_negative(self) -> bool:
        return self.days < 0 or self.seconds < 0

    @property
    def is_zero(self) -> bool:
        return self.days == 0 and self.seconds == 0

    def __neg__(self) -> Duration:
        return Duration(-self.days, -self.seconds)

    def __abs__(self) -> Duration:
        return -self if self.is_negative else self

    def __add__(self, other):
        if isinstance(other, Duration):
            total_days = self.days + other.days
            total_seconds = self.seconds + other.seconds
            if (total_days < 0 < total_seconds) or (total_seconds < 0 < total_days):
                return Duration.from_timedelta(
                    _dt.timedelta(days=total_days, seconds=total_seconds)
                )
            return Duration(total_days, total_seconds)
        if isinstance(other, _dt.datetime):
            return other + self.to_timedelta()
        if isinstance(other, _dt.date):
            if self.seconds:
                raise TypeError("a duration with a time part cannot be added to a date")
            return other + _dt.timedelta(days=self.days)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Duration) -> Duration:
        if not isinstance(other, Duration):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other):
        return (-self).__add__(other)

    def __mul__(self, factor: int) -> Duration:
        if not isinstance(factor, int):
            return NotImplemented
        return Duration(self.days * factor, self.seconds * factor)

    __rmul__ = __mul__

    def __str__(self) -> str:
        return format_duration(self)


def parse_duration(text: str) -> Duration:
    """Parse an iCalendar duration such as ``P1W``, ``-PT15M`` or ``P1DT2H30M``.

    Weeks may not be combined with other units (RFC 5545 keeps ``dur-week``
    apart), and at least one unit must be present.
    """
    raw = text.strip().upper()
    match = _DURATION_RE.match(raw)
    if not match or raw in ("P", "+P", "-P") or raw.endswith("T"):
        raise ParseError("invalid duration", text)
    sign, weeks, days, hours, minutes, seconds = match.groups()
    if weeks is not None and any(v is not None for v in (days, hours, minutes, seconds)):
        raise ParseError("weeks cannot be combined with other units", text)
    factor = -1 if sign == "-" else 1
    result = Duration.of(
        weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
        minutes=int(minutes or 0), seconds=int(seconds or 0),
    )
    return result * factor


def format_duration(duration: Duration | _dt.timedelta) -> str:
    """Format a duration in its shortest iCalendar form (``P2W``, ``PT1H30M``, ``PT0S``)."""
    if isinstance(duration, _dt.timedelta):
        duration = Duration.from_timedelta(duration)
    sign = "-" if duration.is_negative else ""
    days, seconds = abs(duration.days), abs(duration.seconds)
    extra_days, seconds = divmod(seconds, SECONDS_PER_DAY)
    days += extra_days
    if seconds == 0:
        if days == 0:
            return "PT0S"
        if days % 7 == 0:
            return f"{sign}P{days // 7}W"
        return f"{sign}P{days}D"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}P"
    if days:
        text += f"{days}D"
    text += "T"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if secs:
        text += f"{secs}S"
    return text


# ---------------------------------------------------------------------------------------------
# periods and intervals


@dataclass(frozen=True)
class Period:
    """A span of time: a start and an end (the end is exclusive)."""

    start: _dt.datetime
    end: _dt.datetime

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("a period may not end before it starts")

    @classmethod
    def from_duration(cls, start: _dt.datetime, duration: Duration) -> Period:
        if duration.is_negative:
            raise ValueError("a period's duration may not be negative")
        return cls(start, duration + start)

    @property
    def duration(self) -> _dt.timedelta:
        return self.end - self.start

    def __contains__(self, moment: _dt.datetime) -> bool:
        return self.start <= moment < self.end

    def overlaps(self, other: Period) -> bool:
        """True when the two periods share some time (touching ends do not count)."""
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Period) -> Period | None:
        if not self.overlaps(other):
            return None
        return Period(max(self.start, other.start), min(self.end, other.end))

    def union(self, other: Period) -> Period:
        """The smallest period covering both (they must overlap or touch)."""
        if self.end < other.start or other.end < self.start:
            raise ValueError("periods are disjoint")
        return Period(min(self.start, other.start), max(self.end, other.end))

    def shift(self, delta: _dt.timedelta) -> Period:
        return Period(self.start + delta, self.end + delta)

    def to_ical(self, use_duration: bool = False) -> str:
        if use_duration:
            return f"{format_datetime(self.start)}/{format_duration(self.duration)}"
        return f"{format_datetime(self.start)}/{format_datetime(self.end)}"


def parse_period(text: str, tzinfo: _dt.tzinfo | None = None) -> Period:
    """Parse ``start/end`` or ``start/duration``."""
    if text.count("/") != 1:
        raise ParseError("a period needs exactly one '/'", text)
    first, second = text.strip().split("/")
    start = parse_datetime(first, tzinfo)
    if second.upper().lstrip("+-").startswith("P"):
        duration = parse_duration(second)
        if duration.is_negative:
            raise ParseError("a period's duration may not be negative", text)
        return Period.from_duration(start, duration)
    end = parse_datetime(second, tzinfo)
    if end < start:
        raise ParseError("a period may not end before it starts", text)
    return Period(start, end)


def merge_intervals(intervals: Iterable[tuple]) -> list[tuple]:
    """Sort (start, end) pairs and merge those that overlap or touch."""
    result: list[list] = []
    for start, end in sorted(intervals, key=lambda pair: (pair[0], pair[1])):
        if end < start:
            raise ValueError(f"interval ends before it starts: {start!r} > {end!r}")
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1][1] = end
        else:
            result.append([start, end])
    return [(start, end) for start, end in result]


def subtract_intervals(base: tuple, holes: Iterable[tuple]) -> list[tuple]:
    """The parts of the interval `base` not covered by any of `holes`."""
    start, end = base
    free: list[tuple] = []
    cursor = start
    for hole_start, hole_end in merge_intervals(holes):
        if hole_end <= cursor:
            continue
        if hole_start >= end:
            break
        if hole_start > cursor:
            free.append((cursor, hole_start))
        cursor = max(cursor, hole_end)
        if cursor >= end:
            break
    if cursor < end:
        free.append((cursor, end))
    return free


def total_length(intervals: Iterable[tuple]) -> _dt.timedelta:
    """The total time covered by (start, end) pairs, overlaps counted once."""
    total = _dt.timedelta(0)
    for start, end in merge_intervals(intervals):
        total += end - start
    return total



# ---------------------------------------------------------------------------------------------
# recurrence rules: the model

_PART_RANGES = {
    "bysecond": (0, 59, False),
    "byminute": (0, 59, False),
    "byhour": (0, 23, False),
    "bymonthday": (1, 31, True),
    "byyearday": (1, 366, True),
    "byweekno": (1, 53, True),
    "bymonth": (1, 12, False),
    "bysetpos": (1, 366, True),
}
_PART_KEYS = {
    "BYSECOND": "bysecond", "BYMINUTE": "byminute", "BYHOUR": "byhour",
    "BYDAY": "byday", "BYMONTHDAY": "bymonthday", "BYYEARDAY": "byyearday",
    "BYWEEKNO": "byweekno", "BYMONTH": "bymonth", "BYSETPOS": "bysetpos",
}
_SERIAL_ORDER = (
    "bymonth", "byweekno", "byyearday", "bymonthday", "byday",
    "byhour", "byminute", "bysecond", "bysetpos",
)
_DEFAULT_LIMIT = 100_000
_QUIET_DAYS = 146_097  # one Gregorian cycle: a rule with no hit in that long never has one


def _normalize_ints(name: str, values) -> tuple[int, ...]:
    if values is None:
        return ()
    if isinstance(values, int):
        values = (values,)
    low, high, signed = _PART_RANGES[name]
    result = set()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleError(f"{name.upper()} values must be integers, not {value!r}")
        magnitude = abs(value) if signed else value
        if not low <= magnitude <= high or (not signed and value < 0):
            span = f"±{low}..{high}" if signed else f"{low}..{high}"
            raise RuleError(f"{name.upper()} value {value} is out of range {span}")
        result.add(value)
    return tuple(sorted(result))


def _normalize_weekdays(values) -> tuple[Weekday, ...]:
    if values is None:
        return ()
    if isinstance(values, (Weekday, int, str)):
        values = (values,)
    result = set()
    for value in values:
        if isinstance(value, str):
            value = Weekday.parse(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = Weekday(value)
        elif not isinstance(value, Weekday):
            raise RuleError(f"BYDAY values must be weekdays, not {value!r}")
        result.add(value)
    return tuple(sorted(result))


def _coerce_wkst(value) -> int:
    if isinstance(value, Weekday):
        return value.day
    if isinstance(value, str):
        return Weekday.parse(value).day
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    raise RuleError(f"invalid WKST {value!r}")


@dataclass(frozen=True)
class RecurrenceRule:
    """An ``RRULE``: how an event repeats.

    The ``BYxxx`` parts are kept as sorted tuples without duplicates; ``byday``
    holds :class:`Weekday` values, ``wkst`` the week start as a weekday number.
    ``dtstart`` (a date or a datetime) anchors the rule; a rule without one
    can be parsed, validated and serialized but not expanded.

    >>> rule = RecurrenceRule.parse("FREQ=WEEKLY;COUNT=3;BYDAY=MO,FR",
    ...                             dtstart=_dt.datetime(2024, 1, 1, 9))
    >>> [d.day for d in rule]
    [1, 5, 8]
    """

    freq: Frequency
    dtstart: _dt.date | None = None
    interval: int = 1
    count: int | None = None
    until: _dt.date | None = None
    bysecond: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    byday: tuple[Weekday, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0

    def __post_init__(self):
        setter = object.__setattr__
        freq = self.freq
        if isinstance(freq, str):
            freq = Frequency.parse(freq)
        if not isinstance(freq, Frequency):
            raise RuleError(f"invalid frequency {self.freq!r}")
        setter(self, "freq", freq)
        if isinstance(self.interval, bool) or not isinstance(self.interval, int) or self.interval < 1:
            raise RuleError(f"INTERVAL must be a positive integer, not {self.interval!r}")
        if self.count is not None:
            if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
                raise RuleError(f"COUNT must be a positive integer, not {self.count!r}")
            if self.until is not None:
                raise RuleError("COUNT and UNTIL may not both be given")
        for name in _PART_RANGES:
            setter(self, name, _normalize_ints(name, getattr(self, name)))
        setter(self, "byday", _normalize_weekdays(self.byday))
        setter(self, "wkst", _coerce_wkst(self.wkst))
        self._check_combinations()
        if self.dtstart is not None:
            self._check_dtstart()

    # -- validation --------------------------------------------------------------------------

    def _check_combinations(self) -> None:
        freq = self.freq
        if self.byweekno and freq is not Frequency.YEARLY:
            raise RuleError("BYWEEKNO is only allowed with FREQ=YEARLY")
        if self.byyearday and freq in (Frequency.MONTHLY, Frequency.WEEKLY, Frequency.DAILY):
            raise RuleError(f"BYYEARDAY is not allowed with FREQ={freq.name}")
        if self.bymonthday and freq is Frequency.WEEKLY:
            raise RuleError("BYMONTHDAY is not allowed with FREQ=WEEKLY")
        numbered = [day for day in self.byday if day.n is not None]
        if numbered:
            if freq not in (Frequency.MONTHLY, Frequency.YEARLY):
                raise RuleError(f"numbered BYDAY values are not allowed with FREQ={freq.name}")
            if freq is Frequency.YEARLY and self.byweekno:
                raise RuleError("numbered BYDAY values are not allowed together with BYWEEKNO")
            if freq is Frequency.MONTHLY or self.bymonth:
                for day in numbered:
                    if abs(day.n) > 5:
                        raise RuleError(f"{day} is out of range within a month")
        if self.bysetpos and not self._has_by_parts():
            raise RuleError("BYSETPOS needs another BYxxx part")

    def _has_by_parts(self) -> bool:
        return any(
            getattr(self, name) for name in _SERIAL_ORDER if name != "bysetpos"
        )

    def _check_dtstart(self) -> None:
        start = self.dtstart
        if not isinstance(start, _dt.date):
            raise RuleError(f"DTSTART must be a date or a datetime, not {start!r}")
        if is_all_day(start):
            if self.freq.is_time_based:
                raise RuleError(f"FREQ={self.freq.name} needs a DTSTART with a time")
            if self.byhour or self.byminute or self.bysecond:
                raise RuleError("BYHOUR, BYMINUTE and BYSECOND need a DTSTART with a time")
        if self.until is not None:
            object.__setattr__(self, "until", _coerce_until(self.until, start))

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, dtstart: _dt.date | None = None) -> RecurrenceRule:
        """Parse ``FREQ=...;...`` (an optional ``RRULE:`` prefix is allowed)."""
        return parse_rrule(text, dtstart=dtstart)

    def replace(self, **changes) -> RecurrenceRule:
        """A copy with some fields changed (and validated again)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"unknown rule fields: {', '.join(sorted(unknown))}")
        values.update(changes)
        if "count" in changes and changes["count"] is not None and "until" not in changes:
            values["until"] = None
        if "until" in changes and changes["until"] is not None and "count" not in changes:
            values["count"] = None
        return RecurrenceRule(**values)

    def with_dtstart(self, dtstart: _dt.date) -> RecurrenceRule:
        return self.replace(dtstart=dtstart)

    # -- text --------------------------------------------------------------------------------

    def to_string(self, include_dtstart: bool = False) -> str:
        """The rule's ``RRULE`` value in a canonical order (``FREQ`` first)."""
        parts = [f"FREQ={self.freq.name}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            until = self.until
            if isinstance(until, _dt.datetime) and until.tzinfo is not None:
                parts.append(f"UNTIL={format_datetime(until, utc=True)}")
            else:
                parts.append(f"UNTIL={format_value(until)}")
        for name in _SERIAL_ORDER:
            values = getattr(self, name)
            if values:
                parts.append(f"{name.upper()}={','.join(str(v) for v in values)}")
        if self.wkst != 0:
            parts.append(f"WKST={_DAY_CODES[self.wkst]}")
        text = ";".join(parts)
        if include_dtstart and self.dtstart is not None:
            return f"DTSTART:{format_value(self.dtstart)}\nRRULE:{text}"
        return text

    def __str__(self) -> str:
        return self.to_string()

    # -- properties --------------------------------------------------------------------------

    @property
    def is_finite(self) -> bool:
        return self.count is not None or self.until is not None

    @property
    def is_all_day(self) -> bool:
        return self.dtstart is not None and is_all_day(self.dtstart)

    def _require_start(self) -> _dt.date:
        if self.dtstart is None:
            raise RuleError("the rule has no DTSTART to expand from")
        return self.dtstart

    # -- expansion ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[_dt.date]:
        return _expand_rule(self)

    def occurrences(self, limit: int | None = None) -> list[_dt.date]:
        """The first `limit` occurrences (every occurrence of a finite rule when None).

        An infinite rule without a limit raises :class:`ExpansionLimitError`.
        """
        if limit is None:
            if not self.is_finite:
                raise ExpansionLimitError("an infinite rule needs a limit")
            limit = _DEFAULT_LIMIT
            result = list(itertools.islice(self, limit + 1))
            if len(result) > limit:
                raise ExpansionLimitError(f"the rule has more than {limit} occurrences")
            return result
        return list(itertools.islice(self, limit))

    def first(self) -> _dt.date | None:
        return next(iter(self), None)

    def nth(self, index: int) -> _dt.date | None:
        """The occurrence at 0-based `index`, or None when there are fewer."""
        if index < 0:
            raise IndexError("use a non-negative index")
        return next(itertools.islice(self, index, None), None)

    def last(self) -> _dt.date | None:
        """The final occurrence of a finite rule."""
        result = None
        for result in self.occurrences():
            pass
        return result

    def count_occurrences(self) -> int:
        return len(self.occurrences())

    def between(self, start: _dt.date, end: _dt.date, inclusive: bool = False) -> list[_dt.date]:
        """Occurrences after `start` and before `end` (both ends included when `inclusive`)."""
        return list(_window(self, start, end, inclusive))

    def after(self, moment: _dt.date, inclusive: bool = False) -> _dt.date | None:
        """The first occurrence after `moment` (or at it, when `inclusive`)."""
        start = self._require_start()
        moment = _comparable(moment, start)
        for occurrence in self:
            if occurrence > moment or (inclusive and occurrence == moment):
                return occurrence
        return None

    def before(self, moment: _dt.date, inclusive: bool = False) -> _dt.date | None:
        """The last occurrence before `moment` (or at it, when `inclusive`)."""
        start = self._require_start()
        moment = _comparable(moment, start)
        result = None
        for occurrence in self:
            if occurrence > moment or (not inclusive and occurrence == moment):
                break
            result = occurrence
        return result

    def __contains__(self, moment: _dt.date) -> bool:
        start = self._require_start()
        moment = _comparable(moment, start)
        for occurrence in self:
            if occurrence == moment:
                return True
            if occurrence > moment:
                return False
        return False


def _coerce_until(until: _dt.date, start: _dt.date) -> _dt.date:
    """Make UNTIL the same kind of value as DTSTART (RFC 5545 requires it)."""
    if is_all_day(start):
        return until.date() if isinstance(until, _dt.datetime) else until
    if not isinstance(until, _dt.datetime):
        return _dt.datetime(until.year, until.month, until.day, 23, 59, 59, tzinfo=start.tzinfo)
    if start.tzinfo is None and until.tzinfo is not None:
        return until.replace(tzinfo=None)
    if start.tzinfo is not None and until.tzinfo is None:
        return until.replace(tzinfo=start.tzinfo)
    return until


def _window(source, start: _dt.date, end: _dt.date, inclusive: bool) -> Iterator[_dt.date]:
    anchor = source._require_start()
    start = _comparable(start, anchor)
    end = _comparable(end, anchor)
    for occurrence in source:
        if occurrence > end or (not inclusive and occurrence == end):
            return
        if occurrence > start or (inclusive and occurrence == start):
            yield occurrence


# ---------------------------------------------------------------------------------------------
# recurrence rules: parsing


def _parse_int_list(key: str, value: str, text: str) -> list[int]:
    result = []
    for item in value.split(","):
        item = item.strip()
        if not re.fullmatch(r"[+-]?\d+", item):
            raise ParseError(f"{key} expects integers", text)
        result.append(int(item))
    return result


def parse_rrule(text: str, dtstart: _dt.date | None = None) -> RecurrenceRule:
    """Parse an ``RRULE`` value such as ``FREQ=MONTHLY;BYDAY=-1FR;COUNT=6``.

    Keys are case-insensitive, may appear in any order but only once, and
    ``FREQ`` is required.  Errors in the text raise :class:`ParseError`; a
    well-formed but inconsistent rule raises :class:`RuleError`.
    """
    raw = text.strip()
    if raw.upper().startswith("RRULE:"):
        raw = raw[6:]
    if not raw:
        raise ParseError("empty recurrence rule", text)
    values: dict = {}
    seen: set[str] = set()
    for part in raw.split(";"):
        if not part.strip():
            if part is raw.split(";")[-1]:
                continue
            raise ParseError("empty rule part", text)
        if "=" not in part:
            raise ParseError(f"rule part {part!r} has no '='", text)
        key, _, value = part.partition("=")
        key = key.strip().upper()
        value = value.strip()
        if key in seen:
            raise ParseError(f"{key} appears twice", text)
        seen.add(key)
        if not value:
            raise ParseError(f"{key} has no value", text)
        if key == "FREQ":
            values["freq"] = Frequency.parse(value)
        elif key == "INTERVAL":
            if not value.isdigit():
                raise ParseError("INTERVAL expects a positive integer", text)
            values["interval"] = int(value)
        elif key == "COUNT":
            if not value.isdigit():
                raise ParseError("COUNT expects a positive integer", text)
            values["count"] = int(value)
        elif key == "UNTIL":
            values["until"] = parse_date_or_datetime(value)
        elif key == "WKST":
            values["wkst"] = Weekday.parse(value).day
            if Weekday.parse(value).n is not None:
                raise ParseError("WKST takes a plain weekday", text)
        elif key == "BYDAY":
            values["byday"] = [Weekday.parse(item) for item in value.split(",")]
        elif key in _PART_KEYS:
            values[_PART_KEYS[key]] = _parse_int_list(key, value, text)
        else:
            raise ParseError(f"unknown rule part {key}", text)
    if "freq" not in values:
        raise ParseError("FREQ is required", text)
    return RecurrenceRule(dtstart=dtstart, **values)


# ---------------------------------------------------------------------------------------------
# recurrence rules: expansion


@dataclass
class _Plan:
    """A rule's parts with RFC 5545's defaults filled in from DTSTART, ready for expansion."""

    freq: Frequency
    interval: int
    start: _dt.datetime
    wkst: int
    bymonth: frozenset
    byweekno: tuple[int, ...]
    byyearday: tuple[int, ...]
    bymonthday: tuple[int, ...]
    plain_days: frozenset
    numbered_days: tuple[Weekday, ...]
    hours: tuple[int, ...] | None
    minutes: tuple[int, ...] | None
    seconds: tuple[int, ...] | None
    bysetpos: tuple[int, ...]

    @property
    def has_day_filters(self) -> bool:
        return bool(
            self.bymonth or self.byweekno or self.byyearday or self.bymonthday
            or self.plain_days or self.numbered_days
        )


def _plan(rule: RecurrenceRule) -> _Plan:
    start = to_datetime(rule._require_start())
    if start.tzinfo is not None:
        start = start.replace(tzinfo=None)
    freq = rule.freq
    bymonth = set(rule.bymonth)
    bymonthday = rule.bymonthday
    byday = rule.byday
    if not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday):
        if freq is Frequency.YEARLY:
            if not bymonth:
                bymonth = {start.month}
            bymonthday = (start.day,)
        elif freq is Frequency.MONTHLY:
            bymonthday = (start.day,)
        elif freq is Frequency.WEEKLY:
            byday = (Weekday(start.weekday()),)
    plain = frozenset(day.day for day in byday if day.n is None)
    numbered = tuple(day for day in byday if day.n is not None)

    def unit(values: tuple[int, ...], default: int, expands: bool):
        if values:
            return values
        return (default,) if expands else None

    return _Plan(
        freq=freq,
        interval=rule.interval,
        start=start,
        wkst=rule.wkst,
        bymonth=frozenset(bymonth),
        byweekno=rule.byweekno,
        byyearday=rule.byyearday,
        bymonthday=bymonthday,
        plain_days=plain,
        numbered_days=numbered,
        hours=unit(rule.byhour, start.hour, freq.coarser_than(Frequency.HOURLY)),
        minutes=unit(rule.byminute, start.minute, freq.coarser_than(Frequency.MINUTELY)),
        seconds=unit(rule.bysecond, start.second, freq.coarser_than(Frequency.SECONDLY)),
        bysetpos=rule.bysetpos,
    )


def _matches_signed(value: int, size: int, wanted: Sequence[int]) -> bool:
    """True when `value` (1-based) or its from-the-end form (-1 = last) is in `wanted`."""
    return value in wanted or (value - size - 1) in wanted


class _DayFilter:
    """Decides which days of one period survive the rule's day-level parts."""

    def __init__(self, plan: _Plan, numbered_targets: frozenset = frozenset(),
                 week_year_start: _dt.date | None = None, total_weeks: int = 0):
        self.plan = plan
        self.numbered_targets = numbered_targets
        self.week_year_start = week_year_start
        self.total_weeks = total_weeks

    def __call__(self, day: _dt.date) -> bool:
        plan = self.plan
        if plan.bymonth and day.month not in plan.bymonth:
            return False
        if plan.byweekno:
            week = (day - self.week_year_start).days // 7 + 1
            if not _matches_signed(week, self.total_weeks, plan.byweekno):
                return False
        if plan.byyearday:
            if not _matches_signed(day_of_year(day), days_in_year(day.year), plan.byyearday):
                return False
        if plan.bymonthday:
            size = days_in_month(day.year, day.month)
            if not _matches_signed(day.day, size, plan.bymonthday):
                return False
        if plan.plain_days or plan.numbered_days:
            if day.weekday() not in plan.plain_days and day not in self.numbered_targets:
                return False
        return True


def _numbered_targets_in_months(plan: _Plan, months: Iterable[tuple[int, int]]) -> frozenset:
    targets = set()
    for year, month in months:
        for weekday in plan.numbered_days:
            found = nth_weekday_of_month(year, month, weekday.day, weekday.n)
            if found is not None:
                targets.add(found)
    return frozenset(targets)


def _numbered_targets_in_year(plan: _Plan, year: int) -> frozenset:
    targets = set()
    for weekday in plan.numbered_days:
        found = nth_weekday_of_year(year, weekday.day, weekday.n)
        if found is not None:
            targets.add(found)
    return frozenset(targets)


def _yearly_days(plan: _Plan, year: int) -> list[_dt.date]:
    if plan.byweekno:
        first = first_week_start(year, plan.wkst)
        following = first_week_start(year + 1, plan.wkst)
        total = (following - first).days // 7
        candidates = list(date_range(first, following))
        targets = frozenset()
        day_filter = _DayFilter(plan, targets, first, total)
        return [day for day in candidates if day_filter(day)]
    if plan.bymonth:
        months = sorted(plan.bymonth)
        candidates = [
            _dt.date(year, month, dom)
            for month in months
            for dom in range(1, days_in_month(year, month) + 1)
        ]
        targets = _numbered_targets_in_months(plan, [(year, m) for m in months])
    else:
        candidates = list(date_range(_dt.date(year, 1, 1), _dt.date(year + 1, 1, 1)))
        targets = _numbered_targets_in_year(plan, year)
    day_filter = _DayFilter(plan, targets)
    return [day for day in candidates if day_filter(day)]


def _monthly_days(plan: _Plan, year: int, month: int) -> list[_dt.date]:
    if plan.bymonth and month not in plan.bymonth:
        return []
    targets = _numbered_targets_in_months(plan, [(year, month)])
    day_filter = _DayFilter(plan, targets)
    return [
        _dt.date(year, month, dom)
        for dom in range(1, days_in_month(year, month) + 1)
        if day_filter(_dt.date(year, month, dom))
    ]


def _weekly_days(plan: _Plan, first: _dt.date) -> list[_dt.date]:
    day_filter = _DayFilter(plan)
    days = []
    for offset in range(7):
        day = first + _dt.timedelta(days=offset)
        if day_filter(day):
            days.append(day)
    return days


def _combine(days: Sequence[_dt.date], hours, minutes, seconds) -> list[_dt.datetime]:
    times = sorted(_dt.time(h, m, s) for h in hours for m in minutes for s in seconds)
    return [_dt.datetime.combine(day, moment) for day in days for moment in times]


def _apply_setpos(instances: list[_dt.datetime], positions: Sequence[int]) -> list[_dt.datetime]:
    chosen = set()
    for position in positions:
        index = _resolve_index(position, len(instances))
        if index is not None:
            chosen.add(instances[index])
    return sorted(chosen)


def _coarse_periods(plan: _Plan) -> Iterator[tuple[_dt.date, list[_dt.datetime]]]:
    """(period start, sorted instances) for YEARLY, MONTHLY, WEEKLY and DAILY rules."""
    start = plan.start
    freq, step = plan.freq, plan.interval
    hours, minutes, seconds = plan.hours, plan.minutes, plan.seconds
    if freq is Frequency.YEARLY:
        for year in range(start.year, MAXYEAR + 1, step):
            yield _dt.date(year, 1, 1), _combine(_yearly_days(plan, year), hours, minutes, seconds)
    elif freq is Frequency.MONTHLY:
        index = start.year * 12 + start.month - 1
        while True:
            year, month0 = divmod(index, 12)
            if year > MAXYEAR:
                return
            days = _monthly_days(plan, year, month0 + 1)
            yield _dt.date(year, month0 + 1, 1), _combine(days, hours, minutes, seconds)
            index += step
    elif freq is Frequency.WEEKLY:
        first = week_start(start.date(), plan.wkst)
        delta = _dt.timedelta(days=7 * step)
        while True:
            days = _weekly_days(plan, first)
            yield first, _combine(days, hours, minutes, seconds)
            try:
                first += delta
            except OverflowError:
                return
    else:
        day = start.date()
        delta = _dt.timedelta(days=step)
        day_filter = _DayFilter(plan)
        while True:
            days = [day] if day_filter(day) else []
            yield day, _combine(days, hours, minutes, seconds)
            try:
                day += delta
            except OverflowError:
                return


_UNIT_SECONDS = {Frequency.HOURLY: 3600, Frequency.MINUTELY: 60, Frequency.SECONDLY: 1}


def _fine_periods(plan: _Plan) -> Iterator[tuple[_dt.date, list[_dt.datetime]]]:
    """(period start, sorted instances) for HOURLY, MINUTELY and SECONDLY rules."""
    unit = _UNIT_SECONDS[plan.freq]
    step = unit * plan.interval
    start = plan.start
    if plan.freq is Frequency.HOURLY:
        base = start.replace(minute=0, second=0, microsecond=0)
    elif plan.freq is Frequency.MINUTELY:
        base = start.replace(second=0, microsecond=0)
    else:
        base = start.replace(microsecond=0)
    day_filter = _DayFilter(plan)
    index = 0
    checked_day = None
    day_ok = False
    while True:
        try:
            moment = base + _dt.timedelta(seconds=index * step)
        except OverflowError:
            return
        if moment.year > MAXYEAR:
            return
        if moment.date() != checked_day:
            checked_day = moment.date()
            day_ok = day_filter(checked_day)
        if not day_ok:
            index = _skip_to(base, step, moment, "day")
            yield moment.date(), []
            continue
        if plan.hours is not None and plan.freq is not Frequency.HOURLY and moment.hour not in plan.hours:
            index = _skip_to(base, step, moment, "hour")
            yield moment.date(), []
            continue
        if plan.freq is Frequency.HOURLY:
            if plan.hours is not None and moment.hour not in plan.hours:
                index += 1
                yield moment.date(), []
                continue
            instances = _combine([moment.date()], [moment.hour], plan.minutes, plan.seconds)
        elif plan.freq is Frequency.MINUTELY:
            if plan.minutes is not None and moment.minute not in plan.minutes:
                index += 1
                yield moment.date(), []
                continue
            instances = _combine([moment.date()], [moment.hour], [moment.minute], plan.seconds)
        else:
            if plan.minutes is not None and moment.minute not in plan.minutes:
                index = _skip_to(base, step, moment, "minute")
                yield moment.date(), []
                continue
            if plan.seconds is not None and moment.second not in plan.seconds:
                index += 1
                yield moment.date(), []
                continue
            instances = [moment]
        index += 1
        yield moment.date(), instances


def _skip_to(base: _dt.datetime, step: int, moment: _dt.datetime, unit: str) -> int:
    """The first period index whose moment falls in a later day, hour or minute than `moment`."""
    if unit == "day":
        boundary = _dt.datetime.combine(moment.date() + _dt.timedelta(days=1), _dt.time())
    elif unit == "hour":
        boundary = moment.replace(minute=0, second=0) + _dt.timedelta(hours=1)
    else:
        boundary = moment.replace(second=0) + _dt.timedelta(minutes=1)
    elapsed = int((boundary - base).total_seconds())
    return -(-elapsed // step)


def _expand_rule(rule: RecurrenceRule) -> Iterator[_dt.date]:
    """Yield the occurrences of `rule` in order."""
    anchor = rule._require_start()
    plan = _plan(rule)
    all_day = is_all_day(anchor)
    tzinfo = anchor.tzinfo if isinstance(anchor, _dt.datetime) else None
    until = None
    if rule.until is not None:
        until = to_datetime(rule.until)
        if all_day:
            until = until.replace(hour=23, minute=59, second=59)
        elif until.tzinfo is not None:
            until = until.astimezone(tzinfo).replace(tzinfo=None) if tzinfo else until.replace(tzinfo=None)
    start = plan.start
    remaining = rule.count
    last_hit = start.date()
    periods = _fine_periods(plan) if plan.freq.is_time_based else _coarse_periods(plan)
    for period_start, instances in periods:
        if instances and plan.bysetpos:
            instances = _apply_setpos(instances, plan.bysetpos)
        for instance in instances:
            if instance < start:
                continue
            if until is not None and instance > until:
                return
            last_hit = instance.date()
            if all_day:
                yield instance.date()
            elif tzinfo is not None:
                yield instance.replace(tzinfo=tzinfo)
            else:
                yield instance
            if remaining is not None:
                remaining -= 1
                if remaining == 0:
                    return
        if until is not None and period_start > until.date():
            return
        if (period_start - last_hit).days > _QUIET_DAYS:
            return


def expand(rule: RecurrenceRule, limit: int = 1000) -> list[_dt.date]:
    """At most `limit` occurrences of `rule`."""
    return list(itertools.islice(_expand_rule(rule), limit))



# ---------------------------------------------------------------------------------------------
# recurrence sets


class RecurrenceSet:
    """Rules and explicit dates, minus excluded rules and dates.

    Occurrences are produced in order and without duplicates: the union of
    every ``RRULE`` and ``RDATE``, less every occurrence of an ``EXRULE`` and
    every ``EXDATE``.  The set's ``dtstart`` is itself an occurrence when
    ``include_dtstart`` is true (the iCalendar convention for events).
    """

    def __init__(self, dtstart: _dt.date | None = None, include_dtstart: bool = False):
        self.dtstart = dtstart
        self.include_dtstart = include_dtstart
        self.rrules: list[RecurrenceRule] = []
        self.rdates: list[_dt.date] = []
        self.exrules: list[RecurrenceRule] = []
        self.exdates: list[_dt.date] = []

    # -- building ----------------------------------------------------------------------------

    def _anchored(self, rule: RecurrenceRule) -> RecurrenceRule:
        if rule.dtstart is None:
            if self.dtstart is None:
                raise RuleError("a rule without DTSTART needs a set with one")
            return rule.with_dtstart(self.dtstart)
        return rule

    def rrule(self, rule: RecurrenceRule | str) -> RecurrenceSet:
        if isinstance(rule, str):
            rule = parse_rrule(rule)
        self.rrules.append(self._anchored(rule))
        return self

    def exrule(self, rule: RecurrenceRule | str) -> RecurrenceSet:
        if isinstance(rule, str):
            rule = parse_rrule(rule)
        self.exrules.append(self._anchored(rule))
        return self

    def rdate(self, *moments: _dt.date) -> RecurrenceSet:
        self.rdates.extend(moments)
        return self

    def exdate(self, *moments: _dt.date) -> RecurrenceSet:
        self.exdates.extend(moments)
        return self

    def _require_start(self) -> _dt.date:
        if self.dtstart is not None:
            return self.dtstart
        sources = [rule.dtstart for rule in self.rrules] + list(self.rdates)
        if not sources:
            raise RuleError("an empty recurrence set has no start")
        like = sources[0]
        return min(_comparable(value, like) for value in sources)

    # -- iteration ---------------------------------------------------------------------------

    def _like(self) -> _dt.date:
        return self._require_start()

    def _sources(self, like: _dt.date) -> list[Iterator[_dt.date]]:
        sources: list[Iterator[_dt.date]] = [
            (_comparable(value, like) for value in rule) for rule in self.rrules
        ]
        explicit = sorted(_comparable(value, like) for value in self.rdates)
        if self.include_dtstart and self.dtstart is not None:
            explicit = sorted(set(explicit) | {_comparable(self.dtstart, like)})
        sources.append(iter(explicit))
        return sources

    def __iter__(self) -> Iterator[_dt.date]:
        like = self._like()
        merged = heapq.merge(*self._sources(like))
        excluded_dates = {_comparable(value, like) for value in self.exdates}
        exclusions = heapq.merge(*[(_comparable(v, like) for v in rule) for rule in self.exrules])
        pending_exclusion = next(exclusions, None)
        previous = None
        for occurrence in merged:
            if occurrence == previous:
                continue
            previous = occurrence
            if occurrence in excluded_dates:
                continue
            while pending_exclusion is not None and pending_exclusion < occurrence:
                pending_exclusion = next(exclusions, None)
            if pending_exclusion is not None and pending_exclusion == occurrence:
                continue
            yield occurrence

    @property
    def is_finite(self) -> bool:
        return all(rule.is_finite for rule in self.rrules)

    def occurrences(self, limit: int | None = None) -> list[_dt.date]:
        if limit is None:
            if not self.is_finite:
                raise ExpansionLimitError("an infinite recurrence set needs a limit")
            result = list(itertools.islice(self, _DEFAULT_LIMIT + 1))
            if len(result) > _DEFAULT_LIMIT:
                raise ExpansionLimitError(f"more than {_DEFAULT_LIMIT} occurrences")
            return result
        return list(itertools.islice(self, limit))

    def between(self, start: _dt.date, end: _dt.date, inclusive: bool = False) -> list[_dt.date]:
        return list(_window(self, start, end, inclusive))

    def after(self, moment: _dt.date, inclusive: bool = False) -> _dt.date | None:
        moment = _comparable(moment, self._like())
        for occurrence in self:
            if occurrence > moment or (inclusive and occurrence == moment):
                return occurrence
        return None

    def before(self, moment: _dt.date, inclusive: bool = False) -> _dt.date | None:
        moment = _comparable(moment, self._like())
        result = None
        for occurrence in self:
            if occurrence > moment or (not inclusive and occurrence == moment):
                break
            result = occurrence
        return result

    def __contains__(self, moment: _dt.date) -> bool:
        moment = _comparable(moment, self._like())
        for occurrence in self:
            if occurrence >= moment:
                return occurrence == moment
        return False

    # -- text --------------------------------------------------------------------------------

    def to_lines(self) -> list[str]:
        """``DTSTART``, ``RRULE``, ``RDATE``, ``EXRULE`` and ``EXDATE`` lines."""
        lines = []
        if self.dtstart is not None:
            lines.append(_value_line("DTSTART", self.dtstart))
        lines.extend(f"RRULE:{rule}" for rule in self.rrules)
        if self.rdates:
            lines.append(_value_line("RDATE", *sorted(self.rdates)))
        lines.extend(f"EXRULE:{rule}" for rule in self.exrules)
        if self.exdates:
            lines.append(_value_line("EXDATE", *sorted(self.exdates)))
        return lines

    def __str__(self) -> str:
        return "\n".join(self.to_lines())


def _value_line(name: str, *values: _dt.date) -> str:
    if all(is_all_day(value) for value in values):
        return f"{name};VALUE=DATE:{','.join(format_date(v) for v in values)}"
    return f"{name}:{','.join(format_value(v) for v in values)}"


def parse_recurrence(text: str, dtstart: _dt.date | None = None,
                     include_dtstart: bool = True) -> RecurrenceSet:
    """Parse the lines of a recurrence (``DTSTART``, ``RRULE``, ``RDATE``, ``EXRULE``, ``EXDATE``).

    A bare rule (``FREQ=...``) is accepted as a single ``RRULE``.  Unknown
    properties raise :class:`ParseError`.
    """
    lines = [line for line in unfold_lines(text) if line.strip()]
    if not lines:
        raise ParseError("no recurrence lines", text)
    if len(lines) == 1 and lines[0].upper().startswith("FREQ="):
        lines = ["RRULE:" + lines[0]]
    parsed = [ContentLine.parse(line) for line in lines]
    for line in parsed:
        if line.name == "DTSTART":
            if dtstart is not None:
                raise ParseError("DTSTART given twice", text)
            dtstart = line.date_values()[0]
    result = RecurrenceSet(dtstart=dtstart, include_dtstart=include_dtstart)
    for line in parsed:
        if line.name == "DTSTART":
            continue
        if line.name == "RRULE":
            result.rrule(parse_rrule(line.value))
        elif line.name == "EXRULE":
            result.exrule(parse_rrule(line.value))
        elif line.name == "RDATE":
            result.rdate(*line.date_values())
        elif line.name == "EXDATE":
            result.exdate(*line.date_values())
        else:
            raise ParseError(f"unexpected property {line.name}", text)
    return result


# ---------------------------------------------------------------------------------------------
# content lines

FOLD_LIMIT = 75
_NAME_RE = re.compile(r"^[A-Za-z0-9-]+$")
_UNSAFE_PARAM = re.compile(r'[;:,]')


def unfold_lines(text: str) -> list[str]:
    """Split iCalendar text into logical lines, joining folded continuations.

    A line that starts with a space or a tab continues the previous one (the
    single whitespace character is removed).  CRLF, LF and CR line ends are
    all accepted.
    """
    result: list[str] = []
    for raw in re.split(r"\r\n|\n|\r", text):
        if raw[:1] in (" ", "\t"):
            if not result:
                raise ParseError("a continuation line with nothing to continue", raw)
            result[-1] += raw[1:]
        else:
            result.append(raw)
    while result and result[-1] == "":
        result.pop()
    return result


def fold_line(line: str, limit: int = FOLD_LIMIT) -> str:
    """Fold a logical line so that no physical line exceeds `limit` octets of UTF-8.

    Continuation lines start with a single space, which counts toward the
    limit; a multi-byte character is never split between lines.  Lines are
    joined with CRLF.
    """
    if limit < 5:
        raise ValueError("fold limit too small")
    pieces: list[str] = []
    current = ""
    current_size = 0
    budget = limit
    for char in line:
        size = len(char.encode("utf-8"))
        if current_size + size > budget:
            pieces.append(current)
            current = char
            current_size = size
            budget = limit - 1
        else:
            current += char
            current_size += size
    pieces.append(current)
    return "\r\n ".join(pieces)


def escape_text(text: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newline."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r\n", "\\n").replace("\n", "\\n")
    )


def unescape_text(text: str) -> str:
    """Undo :func:`escape_text` (``\\N`` is accepted for a newline too)."""
    result = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 >= len(text):
                raise ParseError("dangling backslash", text, index)
            following = text[index + 1]
            if following in "nN":
                result.append("\n")
            elif following in "\\;,":
                result.append(following)
            else:
                raise ParseError(f"invalid escape \\{following}", text, index)
            index += 2
        else:
            result.append(char)
            index += 1
    return "".join(result)


def split_text_list(value: str) -> list[str]:
    """Split a comma-separated TEXT list, honouring escaped commas, and unescape each item."""
    items = []
    current = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            current.append(value[index:index + 2])
            index += 2
            continue
        if char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    items.append("".join(current))
    return [unescape_text(item) for item in items]


def _quote_param(value: str) -> str:
    if '"' in value:
        raise ValueError("parameter values may not contain double quotes")
    if _UNSAFE_PARAM.search(value):
        return f'"{value}"'
    return value


@dataclass
class ContentLine:
    """One logical iCalendar line: ``NAME;PARAM=VALUE:value``.

    Names and parameter names are upper-cased; parameter values keep their
    case and may be lists (``MEMBER="a","b"``).
    """

    name: str
    value: str = ""
    params: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        if not _NAME_RE.match(self.name):
            raise ParseError("invalid property name", self.name)
        self.name = self.name.upper()
        self.params = {key.upper(): list(values) for key, values in self.params.items()}

    @classmethod
    def parse(cls, line: str) -> ContentLine:
        """Parse one unfolded line."""
        index = 0
        length = len(line)
        while index < length and line[index] not in ";:":
            index += 1
        if index == length:
            raise ParseError("a content line needs ':'", line)
        name = line[:index]
        if not name or not _NAME_RE.match(name):
            raise ParseError("invalid property name", line, 0)
        params: dict[str, list[str]] = {}
        while line[index] == ";":
            index += 1
            eq = line.find("=", index)
            if eq == -1:
                raise ParseError("a parameter needs '='", line, index)
            param_name = line[index:eq]
            if not _NAME_RE.match(param_name):
                raise ParseError("invalid parameter name", line, index)
            index = eq + 1
            values = []
            while True:
                if index < length and line[index] == '"':
                    close = line.find('"', index + 1)
                    if close == -1:
                        raise ParseError("unterminated quoted parameter", line, index)
                    values.append(line[index + 1:close])
                    index = close + 1
                else:
                    start = index
                    while index < length and line[index] not in ",;:":
                        if line[index] == '"':
                            raise ParseError("a quote inside a parameter value", line, index)
                        index += 1
                    values.append(line[start:index])
                if index < length and line[index] == ",":
                    index += 1
                    continue
                break
            if index >= length:
                raise ParseError("a content line needs ':'", line)
            params.setdefault(param_name.upper(), []).extend(values)
        if line[index] != ":":
            raise ParseError("expected ':'", line, index)
        return cls(name, line[index + 1:], params)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of parameter `name`, or `default`."""
        values = self.params.get(name.upper())
        return values[0] if values else default

    def to_line(self) -> str:
        """The unfolded text of the line."""
        text = self.name
        for key, values in self.params.items():
            text += f";{key}=" + ",".join(_quote_param(value) for value in values)
        return f"{text}:{self.value}"

    def __str__(self) -> str:
        return self.to_line()

    def text(self) -> str:
        """The value as unescaped TEXT."""
        return unescape_text(self.value)

    def date_values(self) -> list[_dt.date]:
        """Dates or datetimes of a ``DTSTART``/``RDATE``/``EXDATE``-like line.

        ``VALUE=DATE`` forces dates; a ``TZID`` of the form ``UTC``, ``Etc/GMT``
        or ``+0100`` attaches a fixed offset.
        """
        kind = (self.param("VALUE") or "").upper()
        tzinfo = _tz_from_param(self.param("TZID"))
        result = []
        for item in self.value.split(","):
            item = item.strip()
            if not item:
                raise ParseError("empty date value", self.to_line())
            if kind == "DATE":
                result.append(parse_date(item))
            elif kind == "PERIOD":
                result.append(parse_period(item, tzinfo).start)
            elif kind in ("", "DATE-TIME"):
                value = parse_date_or_datetime(item, tzinfo)
                if kind == "DATE-TIME" and is_all_day(value):
                    raise ParseError("VALUE=DATE-TIME needs a time", self.to_line())
                result.append(value)
            else:
                raise ParseError(f"unsupported VALUE={kind}", self.to_line())
        return result


def _tz_from_param(tzid: str | None) -> _dt.tzinfo | None:
    if tzid is None:
        return None
    name = tzid.strip()
    if name.upper() in ("UTC", "GMT", "ETC/UTC", "ETC/GMT", "Z"):
        return _UTC
    if re.match(r"^[+-]\d{2}:?\d{2}$", name):
        return parse_utc_offset(name)
    match = re.match(r"^(?:UTC|GMT)([+-]\d{1,2})(?::?(\d{2}))?$", name, re.IGNORECASE)
    if match:
        hours = int(match.group(1))
        minutes = int(match.group(2) or 0)
        total = hours * 60 + (minutes if hours >= 0 else -minutes)
        return fixed_offset(total, name)
    raise ParseError("unknown TZID (only UTC and fixed offsets are supported)", tzid)


# ---------------------------------------------------------------------------------------------
# components


@dataclass
class Component:
    """A ``BEGIN:NAME`` ... ``END:NAME`` block: properties and nested components."""

    name: str
    properties: list[ContentLine] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    def __post_init__(self):
        self.name = self.name.upper()

    def add(self, name: str, value: str, **params: str | list[str]) -> ContentLine:
        """Append a property; keyword parameters use ``_`` for ``-`` (``x_custom``)."""
        converted = {
            key.replace("_", "-"): (list(val) if isinstance(val, (list, tuple)) else [val])
            for key, val in params.items()
        }
        line = ContentLine(name, value, converted)
        self.properties.append(line)
        return line

    def get(self, name: str) -> ContentLine | None:
        name = name.upper()
        for line in self.properties:
            if line.name == name:
                return line
        return None

    def get_all(self, name: str) -> list[ContentLine]:
        name = name.upper()
        return [line for line in self.properties if line.name == name]

    def value(self, name: str, default: str | None = None) -> str | None:
        line = self.get(name)
        return line.value if line is not None else default

    def remove(self, name: str) -> int:
        """Remove every property called `name`; returns how many went."""
        name = name.upper()
        before = len(self.properties)
        self.properties = [line for line in self.properties if line.name != name]
        return before - len(self.properties)

    def walk(self, name: str | None = None) -> Iterator[Component]:
        """This component and every nested one (depth first), optionally only those called `name`."""
        if name is None or self.name == name.upper():
            yield self
        for child in self.components:
            yield from child.walk(name)

    def to_lines(self) -> list[str]:
        lines = [f"BEGIN:{self.name}"]
        lines.extend(line.to_line() for line in self.properties)
        for child in self.components:
            lines.extend(child.to_lines())
        lines.append(f"END:{self.name}")
        return lines

    def to_ical(self, fold: bool = True) -> str:
        """The component as iCalendar text with CRLF line ends."""
        lines = self.to_lines()
        if fold:
            lines = [fold_line(line) for line in lines]
        return "\r\n".join(lines) + "\r\n"


def parse_components(text: str) -> list[Component]:
    """Parse iCalendar text into its top-level components."""
    roots: list[Component] = []
    stack: list[Component] = []
    for number, raw in enumerate(unfold_lines(text), start=1):
        if not raw.strip():
            continue
        line = ContentLine.parse(raw)
        if line.name == "BEGIN":
            component = Component(line.value.strip())
            if stack:
                stack[-1].components.append(component)
            else:
                roots.append(component)
            stack.append(component)
        elif line.name == "END":
            name = line.value.strip().upper()
            if not stack:
                raise ParseError(f"END:{name} without BEGIN", raw, number)
            if stack[-1].name != name:
                raise ParseError(f"END:{name} closes BEGIN:{stack[-1].name}", raw, number)
            stack.pop()
        else:
            if not stack:
                raise ParseError("a property outside any component", raw, number)
            stack[-1].properties.append(line)
    if stack:
        raise ParseError(f"BEGIN:{stack[-1].name} is never closed", text)
    return roots



# ---------------------------------------------------------------------------------------------
# events

_STATUSES = ("TENTATIVE", "CONFIRMED", "CANCELLED")
_TRANSPARENCIES = ("OPAQUE", "TRANSPARENT")
_uid_counter = itertools.count(1)


def _new_uid() -> str:
    return f"cadence-{next(_uid_counter)}@localhost"


@dataclass
class Alarm:
    """A ``VALARM``: a reminder `trigger` before (negative) or after the event's start or end."""

    trigger: Duration
    action: str = "DISPLAY"
    description: str = ""
    related_to_end: bool = False
    repeat: int = 0
    repeat_every: Duration | None = None

    def __post_init__(self):
        self.action = self.action.upper()
        if self.action not in ("DISPLAY", "AUDIO", "EMAIL"):
            raise ValueError(f"unsupported alarm action {self.action}")
        if self.repeat < 0:
            raise ValueError("repeat may not be negative")
        if self.repeat and self.repeat_every is None:
            raise ValueError("a repeating alarm needs an interval")

    def times(self, start: _dt.datetime, end: _dt.datetime) -> list[_dt.datetime]:
        """When the alarm fires for an occurrence running from `start` to `end`."""
        anchor = end if self.related_to_end else start
        first = self.trigger + anchor
        result = [first]
        for index in range(1, self.repeat + 1):
            result.append(self.repeat_every * index + first)
        return result

    def to_component(self) -> Component:
        component = Component("VALARM")
        component.add("ACTION", self.action)
        if self.related_to_end:
            component.add("TRIGGER", format_duration(self.trigger), RELATED="END")
        else:
            component.add("TRIGGER", format_duration(self.trigger))
        if self.description:
            component.add("DESCRIPTION", escape_text(self.description))
        if self.repeat:
            component.add("REPEAT", str(self.repeat))
            component.add("DURATION", format_duration(self.repeat_every))
        return component

    @classmethod
    def from_component(cls, component: Component) -> Alarm:
        trigger_line = component.get("TRIGGER")
        if trigger_line is None:
            raise ParseError("VALARM without TRIGGER", component.name)
        if (trigger_line.param("VALUE") or "").upper() == "DATE-TIME":
            raise ParseError("absolute alarm triggers are not supported", trigger_line.to_line())
        repeat_text = component.value("REPEAT")
        every_text = component.value("DURATION")
        return cls(
            trigger=parse_duration(trigger_line.value),
            action=component.value("ACTION", "DISPLAY"),
            description=unescape_text(component.value("DESCRIPTION", "")),
            related_to_end=(trigger_line.param("RELATED") or "START").upper() == "END",
            repeat=int(repeat_text) if repeat_text else 0,
            repeat_every=parse_duration(every_text) if every_text else None,
        )


@dataclass
class Event:
    """A ``VEVENT``: a summary, a start, an end or a duration, and optional recurrence.

    ``start`` is a date for all-day events; an all-day event without an end
    lasts one day.  Recurrence comes from ``rrules``, ``rdates`` and
    ``exdates``; ``occurrences`` expands them into :class:`Occurrence` values.
    """

    summary: str
    start: _dt.date
    end: _dt.date | None = None
    duration: Duration | None = None
    uid: str = field(default_factory=_new_uid)
    description: str = ""
    location: str = ""
    categories: list[str] = field(default_factory=list)
    status: str = "CONFIRMED"
    transparency: str = "OPAQUE"
    rrules: list[RecurrenceRule] = field(default_factory=list)
    rdates: list[_dt.date] = field(default_factory=list)
    exdates: list[_dt.date] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    extra: list[ContentLine] = field(default_factory=list)

    def __post_init__(self):
        self.status = self.status.upper()
        if self.status not in _STATUSES:
            raise ValueError(f"invalid status {self.status}")
        self.transparency = self.transparency.upper()
        if self.transparency not in _TRANSPARENCIES:
            raise ValueError(f"invalid transparency {self.transparency}")
        if self.end is not None and self.duration is not None:
            raise ValueError("give an end or a duration, not both")
        if self.end is not None:
            if is_all_day(self.start) != is_all_day(self.end):
                raise ValueError("start and end must both be dates or both datetimes")
            if self.end < self.start:
                raise ValueError("an event may not end before it starts")
        if self.duration is not None and self.duration.is_negative:
            raise ValueError("an event's duration may not be negative")
        self.rrules = [
            rule if rule.dtstart is not None else rule.with_dtstart(self.start)
            for rule in self.rrules
        ]

    # -- derived values ----------------------------------------------------------------------

    @property
    def all_day(self) -> bool:
        return is_all_day(self.start)

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrules or self.rdates)

    def length(self) -> _dt.timedelta:
        """How long each occurrence lasts."""
        if self.end is not None:
            return self.end - self.start
        if self.duration is not None:
            return self.duration.to_timedelta()
        if self.all_day:
            return _dt.timedelta(days=1)
        return _dt.timedelta(0)

    def recurrence(self) -> RecurrenceSet:
        """The event's start, rules and dates as a :class:`RecurrenceSet`."""
        result = RecurrenceSet(dtstart=self.start, include_dtstart=True)
        for rule in self.rrules:
            result.rrule(rule)
        result.rdate(*self.rdates)
        result.exdate(*self.exdates)
        return result

    def starts(self, limit: int | None = None) -> list[_dt.date]:
        """Start of every occurrence (the first `limit` of an infinite event)."""
        return self.recurrence().occurrences(limit)

    def occurrences(self, window_start: _dt.date, window_end: _dt.date) -> list[Occurrence]:
        """Occurrences that overlap the window [window_start, window_end)."""
        length = self.length()
        like = self.start
        lower = _comparable(window_start, like)
        upper = _comparable(window_end, like)
        result = []
        for start in self.recurrence():
            if start >= upper:
                break
            end = start + length
            if end > lower or (length == _dt.timedelta(0) and start >= lower):
                result.append(Occurrence(self, start, end))
        return result

    def next_occurrence(self, moment: _dt.date) -> Occurrence | None:
        """The first occurrence that starts at or after `moment`."""
        start = self.recurrence().after(moment, inclusive=True)
        if start is None:
            return None
        return Occurrence(self, start, start + self.length())

    # -- editing -----------------------------------------------------------------------------

    def shifted(self, delta: _dt.timedelta) -> Event:
        """A copy moved by `delta`: start, end, every rule's DTSTART/UNTIL and every date."""
        if self.all_day and (delta.seconds or delta.microseconds):
            raise ValueError("an all-day event moves by whole days")

        def move(value: _dt.date) -> _dt.date:
            return value + (_dt.timedelta(days=delta.days) if is_all_day(value) else delta)

        rules = []
        for rule in self.rrules:
            until = move(rule.until) if rule.until is not None else None
            rules.append(rule.replace(dtstart=move(rule.dtstart), until=until))
        return Event(
            self.summary, move(self.start), move(self.end) if self.end is not None else None,
            self.duration, _new_uid(), self.description, self.location, list(self.categories),
            self.status, self.transparency, rules, [move(v) for v in self.rdates],
            [move(v) for v in self.exdates], list(self.alarms), list(self.extra),
        )

    def split(self, moment: _dt.date) -> tuple[Event, Event | None]:
        """Split a recurring event at its first occurrence at or after `moment`.

        The first part keeps the UID and ends just before that occurrence; the
        second part (a new UID) starts at it and keeps the rest of the series,
        which is how "this and following events" edits are stored.  Returns
        (self, None) when no occurrence comes at or after `moment`.
        """
        if len(self.rrules) != 1:
            raise ValueError("only events with exactly one RRULE can be split")
        rule = self.rrules[0]
        pivot = rule.after(moment, inclusive=True)
        if pivot is None:
            return self, None
        if pivot == self.start:
            return self, None
        before = rule.before(pivot)
        remaining = None
        if rule.count is not None:
            remaining = rule.count - len(rule.between(self.start, pivot, inclusive=True)) + 1
        head_rule = rule.replace(until=before, count=None)
        tail_rule = rule.replace(dtstart=pivot, count=remaining) if remaining else rule.replace(dtstart=pivot)
        length = self.length()
        head = Event(
            self.summary, self.start, self.end, self.duration, self.uid, self.description,
            self.location, list(self.categories), self.status, self.transparency, [head_rule],
            [v for v in self.rdates if _comparable(v, pivot) < pivot],
            [v for v in self.exdates if _comparable(v, pivot) < pivot],
            list(self.alarms), list(self.extra),
        )
        tail = Event(
            self.summary, pivot, pivot + length if self.end is not None else None, self.duration,
            _new_uid(), self.description, self.location, list(self.categories), self.status,
            self.transparency, [tail_rule],
            [v for v in self.rdates if _comparable(v, pivot) > pivot],
            [v for v in self.exdates if _comparable(v, pivot) > pivot],
            list(self.alarms), list(self.extra),
        )
        return head, tail

    # -- iCalendar ---------------------------------------------------------------------------

    def to_component(self, stamp: _dt.datetime | None = None) -> Component:
        component = Component("VEVENT")
        component.add("UID", self.uid)
        stamp = stamp or _dt.datetime(2000, 1, 1, tzinfo=_UTC)
        component.add("DTSTAMP", format_datetime(stamp, utc=True))
        _add_date_property(component, "DTSTART", self.start)
        if self.end is not None:
            _add_date_property(component, "DTEND", self.end)
        elif self.duration is not None:
            component.add("DURATION", format_duration(self.duration))
        component.add("SUMMARY", escape_text(self.summary))
        if self.description:
            component.add("DESCRIPTION", escape_text(self.description))
        if self.location:
            component.add("LOCATION", escape_text(self.location))
        if self.categories:
            component.add("CATEGORIES", ",".join(escape_text(c) for c in self.categories))
        if self.status != "CONFIRMED":
            component.add("STATUS", self.status)
        if self.transparency != "OPAQUE":
            component.add("TRANSP", self.transparency)
        for rule in self.rrules:
            component.add("RRULE", rule.to_string())
        if self.rdates:
            _add_date_property(component, "RDATE", *self.rdates)
        if self.exdates:
            _add_date_property(component, "EXDATE", *self.exdates)
        component.properties.extend(self.extra)
        component.components.extend(alarm.to_component() for alarm in self.alarms)
        return component

    @classmethod
    def from_component(cls, component: Component) -> Event:
        if component.name != "VEVENT":
            raise ParseError("not a VEVENT", component.name)
        start_line = component.get("DTSTART")
        if start_line is None:
            raise ParseError("VEVENT without DTSTART", component.value("UID", "?"))
        start = start_line.date_values()[0]
        end = None
        duration = None
        end_line = component.get("DTEND")
        if end_line is not None:
            end = end_line.date_values()[0]
        duration_text = component.value("DURATION")
        if duration_text is not None:
            if end is not None:
                raise ParseError("VEVENT with both DTEND and DURATION", component.value("UID", "?"))
            duration = parse_duration(duration_text)
        known = {
            "UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION",
            "LOCATION", "CATEGORIES", "STATUS", "TRANSP", "RRULE", "RDATE", "EXDATE",
        }
        rdates: list[_dt.date] = []
        for line in component.get_all("RDATE"):
            rdates.extend(line.date_values())
        exdates: list[_dt.date] = []
        for line in component.get_all("EXDATE"):
            exdates.extend(line.date_values())
        categories: list[str] = []
        for line in component.get_all("CATEGORIES"):
            categories.extend(split_text_list(line.value))
        return cls(
            summary=unescape_text(component.value("SUMMARY", "")),
            start=start,
            end=end,
            duration=duration,
            uid=component.value("UID") or _new_uid(),
            description=unescape_text(component.value("DESCRIPTION", "")),
            location=unescape_text(component.value("LOCATION", "")),
            categories=categories,
            status=component.value("STATUS", "CONFIRMED"),
            transparency=component.value("TRANSP", "OPAQUE"),
            rrules=[parse_rrule(line.value, dtstart=start) for line in component.get_all("RRULE")],
            rdates=rdates,
            exdates=exdates,
            alarms=[Alarm.from_component(c) for c in component.components if c.name == "VALARM"],
            extra=[line for line in component.properties if line.name not in known],
        )


def _add_date_property(component: Component, name: str, *values: _dt.date) -> None:
    if all(is_all_day(value) for value in values):
        component.add(name, ",".join(format_date(v) for v in values), VALUE="DATE")
        return
    first = values[0]
    tzinfo = first.tzinfo if isinstance(first, _dt.datetime) else None
    if tzinfo is not None and first.utcoffset() != _dt.timedelta(0):
        tzid = format_utc_offset(first.utcoffset())
        text = ",".join(format_datetime(v, utc=False) for v in values)
        component.add(name, text, TZID=tzid)
    else:
        component.add(name, ",".join(format_value(v) for v in values))


@dataclass(frozen=True, order=True)
class Occurrence:
    """One occurrence of an event: its start and end (ordered by start, then end)."""

    start: _dt.date
    end: _dt.date
    event: Event = field(compare=False)

    def __init__(self, event: Event, start: _dt.date, end: _dt.date):
        object.__setattr__(self, "event", event)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def summary(self) -> str:
        return self.event.summary

    @property
    def all_day(self) -> bool:
        return is_all_day(self.start)

    def overlaps(self, other: Occurrence) -> bool:
        a_start, a_end = _span(self)
        b_start, b_end = _span(other)
        return a_start < b_end and b_start < a_end

    def days(self) -> list[_dt.date]:
        """Calendar days this occurrence touches (an end at midnight does not touch its day)."""
        start, end = _span(self)
        first = start.date()
        last = end.date()
        if end.time() == _dt.time(0) and end > start:
            last -= _dt.timedelta(days=1)
        if last < first:
            last = first
        return list(date_range(first, last + _dt.timedelta(days=1)))

    def __repr__(self) -> str:
        return f"Occurrence({self.event.summary!r}, {self.start!r}, {self.end!r})"


def _span(occurrence: Occurrence) -> tuple[_dt.datetime, _dt.datetime]:
    """Start and end as naive-or-aware datetimes that compare across occurrences."""
    start = to_datetime(occurrence.start)
    end = to_datetime(occurrence.end)
    if start.tzinfo is not None:
        start = start.astimezone(_UTC).replace(tzinfo=None)
        end = end.astimezone(_UTC).replace(tzinfo=None)
    return start, end


# ---------------------------------------------------------------------------------------------
# calendars


@dataclass
class Conflict:
    """Two opaque occurrences that overlap, and for how long."""

    first: Occurrence
    second: Occurrence

    @property
    def overlap(self) -> _dt.timedelta:
        a_start, a_end = _span(self.first)
        b_start, b_end = _span(self.second)
        return min(a_end, b_end) - max(a_start, b_start)


class Calendar:
    """A collection of events with queries over their occurrences."""

    def __init__(self, events: Iterable[Event] = (), name: str = "",
                 product: str = "-//cadence//EN"):
        self.events: list[Event] = list(events)
        self.name = name
        self.product = product

    def add(self, event: Event) -> Event:
        if any(existing.uid == event.uid for existing in self.events):
            raise ValueError(f"duplicate UID {event.uid}")
        self.events.append(event)
        return event

    def remove(self, uid: str) -> Event:
        for index, event in enumerate(self.events):
            if event.uid == uid:
                return self.events.pop(index)
        raise KeyError(uid)

    def get(self, uid: str) -> Event | None:
        return next((event for event in self.events if event.uid == uid), None)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    # -- queries -----------------------------------------------------------------------------

    def occurrences(self, start: _dt.date, end: _dt.date,
                    include_cancelled: bool = False) -> list[Occurrence]:
        """Every occurrence overlapping [start, end), ordered by start then summary."""
        result = []
        for event in self.events:
            if event.status == "CANCELLED" and not include_cancelled:
                continue
            result.extend(event.occurrences(start, end))
        result.sort(key=lambda occ: (_span(occ)[0], _span(occ)[1], occ.summary))
        return result

    def agenda(self, start: _dt.date, end: _dt.date) -> dict[_dt.date, list[Occurrence]]:
        """Occurrences grouped by the days they touch, for days in [start, end)."""
        first_day = start.date() if isinstance(start, _dt.datetime) else start
        last_day = end.date() if isinstance(end, _dt.datetime) else end
        result: dict[_dt.date, list[Occurrence]] = {}
        for occurrence in self.occurrences(start, end):
            for day in occurrence.days():
                if first_day <= day < last_day:
                    result.setdefault(day, []).append(occurrence)
        return dict(sorted(result.items()))

    def conflicts(self, start: _dt.date, end: _dt.date) -> list[Conflict]:
        """Pairs of overlapping opaque, non-all-day occurrences in the window."""
        timed = [
            occ for occ in self.occurrences(start, end)
            if occ.event.transparency == "OPAQUE" and not occ.all_day
            and occ.event.status != "TENTATIVE"
        ]
        result = []
        active: list[Occurrence] = []
        for occurrence in timed:
            occ_start = _span(occurrence)[0]
            active = [other for other in active if _span(other)[1] > occ_start]
            for other in active:
                if other.overlaps(occurrence):
                    result.append(Conflict(other, occurrence))
            active.append(occurrence)
        return result

    def busy(self, start: _dt.datetime, end: _dt.datetime) -> list[tuple[_dt.datetime, _dt.datetime]]:
        """Merged busy intervals within [start, end) from opaque occurrences."""
        intervals = []
        for occurrence in self.occurrences(start, end):
            if occurrence.event.transparency != "OPAQUE":
                continue
            occ_start, occ_end = (to_datetime(occurrence.start, start.tzinfo),
                                  to_datetime(occurrence.end, start.tzinfo))
            occ_start = max(occ_start, start)
            occ_end = min(occ_end, end)
            if occ_end > occ_start:
                intervals.append((occ_start, occ_end))
        return merge_intervals(intervals)

    def free(self, start: _dt.datetime, end: _dt.datetime,
             minimum: _dt.timedelta = _dt.timedelta(0)) -> list[tuple[_dt.datetime, _dt.datetime]]:
        """Free intervals within [start, end) at least `minimum` long."""
        gaps = subtract_intervals((start, end), self.busy(start, end))
        return [(a, b) for a, b in gaps if b - a >= minimum and b > a]

    def find_slot(self, start: _dt.datetime, end: _dt.datetime, length: _dt.timedelta,
                  step: _dt.timedelta = _dt.timedelta(minutes=15)) -> _dt.datetime | None:
        """The first start, on a `step` grid from `start`, of a free slot `length` long."""
        if length <= _dt.timedelta(0) or step <= _dt.timedelta(0):
            raise ValueError("length and step must be positive")
        for gap_start, gap_end in self.free(start, end):
            offset = gap_start - start
            steps = -(-offset // step)
            candidate = start + steps * step
            if candidate + length <= gap_end:
                return candidate
        return None

    def search(self, text: str) -> list[Event]:
        """Events whose summary, description, location or categories contain `text`."""
        needle = text.casefold()
        result = []
        for event in self.events:
            haystack = [event.summary, event.description, event.location, *event.categories]
            if any(needle in item.casefold() for item in haystack):
                result.append(event)
        return result

    def by_category(self) -> dict[str, list[Event]]:
        result: dict[str, list[Event]] = {}
        for event in self.events:
            for category in event.categories or ["(none)"]:
                result.setdefault(category, []).append(event)
        return dict(sorted(result.items()))

    def alarms(self, start: _dt.datetime, end: _dt.datetime) -> list[tuple[_dt.datetime, Occurrence, Alarm]]:
        """Alarm times that fall in [start, end), for occurrences around the window."""
        lookbehind = _dt.timedelta(days=7)
        result = []
        for occurrence in self.occurrences(start - lookbehind, end + lookbehind):
            occ_start = to_datetime(occurrence.start, start.tzinfo)
            occ_end = to_datetime(occurrence.end, start.tzinfo)
            for alarm in occurrence.event.alarms:
                for moment in alarm.times(occ_start, occ_end):
                    if start <= moment < end:
                        result.append((moment, occurrence, alarm))
        result.sort(key=lambda item: (item[0], item[1].summary))
        return result

    # -- iCalendar ---------------------------------------------------------------------------

    def to_component(self) -> Component:
        component = Component("VCALENDAR")
        component.add("VERSION", "2.0")
        component.add("PRODID", self.product)
        if self.name:
            component.add("X-WR-CALNAME", escape_text(self.name))
        component.components.extend(event.to_component() for event in self.events)
        return component

    def to_ical(self) -> str:
        return self.to_component().to_ical()

    @classmethod
    def from_ical(cls, text: str) -> Calendar:
        """Read the events of the first ``VCALENDAR`` in `text` (other components are skipped)."""
        roots = parse_components(text)
        calendars = [root for root in roots if root.name == "VCALENDAR"]
        if not calendars:
            raise ParseError("no VCALENDAR", text[:40])
        root = calendars[0]
        if root.value("VERSION") not in (None, "2.0"):
            raise ParseError(f"unsupported VERSION {root.value('VERSION')}", text[:40])
        events = [Event.from_component(c) for c in root.components if c.name == "VEVENT"]
        name = unescape_text(root.value("X-WR-CALNAME", ""))
        return cls(events, name=name, product=root.value("PRODID", "-//cadence//EN"))


# ---------------------------------------------------------------------------------------------
# weekly availability


_TIME_RANGE_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class TimeRange:
    """A time-of-day range [start, end) within one day; an end of 24:00 is allowed."""

    start: int  # minutes after midnight
    end: int

    def __post_init__(self):
        if not 0 <= self.start < self.end <= 24 * 60:
            raise ValueError(f"invalid time range {self.start}..{self.end}")

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        match = _TIME_RANGE_RE.match(text.strip())
        if not match:
            raise ParseError("invalid time range (expected HH:MM-HH:MM)", text)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if m1 >= 60 or m2 >= 60 or h1 > 24 or h2 > 24:
            raise ParseError("invalid time in range", text)
        try:
            return cls(h1 * 60 + m1, h2 * 60 + m2)
        except ValueError as exc:
            raise ParseError(str(exc), text) from None

    def on(self, day: _dt.date, tzinfo: _dt.tzinfo | None = None) -> tuple[_dt.datetime, _dt.datetime]:
        midnight = _dt.datetime(day.year, day.month, day.day, tzinfo=tzinfo)
        return (midnight + _dt.timedelta(minutes=self.start),
                midnight + _dt.timedelta(minutes=self.end))

    def __str__(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


class Availability:
    """Weekly opening hours: for each weekday a list of time ranges.

    ``Availability.parse("MO-FR 09:00-12:00,13:00-17:00; SA 10:00-14:00")``
    """

    def __init__(self, hours: dict[int, list[TimeRange]] | None = None):
        self.hours: dict[int, list[TimeRange]] = {day: [] for day in range(7)}
        for day, ranges in (hours or {}).items():
            for time_range in ranges:
                self.add(day, time_range)

    def add(self, day: int, time_range: TimeRange) -> None:
        if not 0 <= day <= 6:
            raise ValueError(f"invalid weekday {day}")
        merged = merge_intervals(
            [(r.start, r.end) for r in self.hours[day]] + [(time_range.start, time_range.end)]
        )
        self.hours[day] = [TimeRange(a, b) for a, b in merged]

    @classmethod
    def parse(cls, text: str) -> Availability:
        result = cls()
        for clause in text.split(";"):
            clause = clause.strip()
            if not clause:
                continue
            if " " not in clause:
                raise ParseError("expected days and time ranges", clause)
            days_text, ranges_text = clause.split(None, 1)
            days = _parse_day_spec(days_text)
            for part in ranges_text.split(","):
                time_range = TimeRange.parse(part)
                for day in days:
                    result.add(day, time_range)
        return result

    def windows(self, start: _dt.datetime, end: _dt.datetime) -> list[tuple[_dt.datetime, _dt.datetime]]:
        """Open intervals within [start, end)."""
        result = []
        day = start.date()
        while day <= end.date():
            for time_range in self.hours[day.weekday()]:
                a, b = time_range.on(day, start.tzinfo)
                a, b = max(a, start), min(b, end)
                if b > a:
                    result.append((a, b))
            day += _dt.timedelta(days=1)
        return merge_intervals(result)

    def is_open(self, moment: _dt.datetime) -> bool:
        minutes = moment.hour * 60 + moment.minute
        return any(r.start <= minutes < r.end for r in self.hours[moment.weekday()])

    def weekly_minutes(self) -> int:
        return sum(r.end - r.start for ranges in self.hours.values() for r in ranges)

    def __str__(self) -> str:
        clauses = []
        for day in range(7):
            if self.hours[day]:
                clauses.append(f"{_DAY_CODES[day]} " + ",".join(str(r) for r in self.hours[day]))
        return "; ".join(clauses)


def _parse_day_spec(text: str) -> list[int]:
    days: list[int] = []
    for part in text.upper().split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            a, b = Weekday.parse(first).day, Weekday.parse(last).day
            span = (b - a) % 7
            days.extend((a + offset) % 7 for offset in range(span + 1))
        else:
            days.append(Weekday.parse(part).day)
    return sorted(set(days))


def common_free_slots(calendars: Sequence[Calendar], availability: Availability | None,
                      start: _dt.datetime, end: _dt.datetime,
                      length: _dt.timedelta) -> list[tuple[_dt.datetime, _dt.datetime]]:
    """Intervals of at least `length` when every calendar is free (and availability is open)."""
    busy = []
    for calendar in calendars:
        busy.extend(calendar.busy(start, end))
    bases = availability.windows(start, end) if availability else [(start, end)]
    result = []
    for base in bases:
        for a, b in subtract_intervals(base, busy):
            if b - a >= length:
                result.append((a, b))
    return result


# ---------------------------------------------------------------------------------------------
# POSIX TZ strings: time zones with a yearly daylight-saving rule

_TZ_NAME_RE = re.compile(r"<([A-Za-z0-9+-]{3,})>|([A-Za-z]{3,})")
_TZ_OFFSET_RE = re.compile(r"([+-]?)(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?")
_ZERO = _dt.timedelta(0)


@dataclass(frozen=True)
class TransitionRule:
    """When a POSIX zone switches: a day rule and a local time (seconds after midnight).

    ``kind`` is ``"J"`` (``Jn``: day 1..365, February 29th never counted),
    ``"N"`` (``n``: zero-based day 0..365, counting February 29th) or ``"M"``
    (``Mm.w.d``: weekday `d` (0 = Sunday) of week `w` (1..5, 5 = last) of
    month `m`).
    """

    kind: str
    day: int = 0
    month: int = 0
    week: int = 0
    weekday: int = 0
    seconds: int = 7200

    def date_in(self, year: int) -> _dt.date:
        """The calendar day of this rule in `year`."""
        if self.kind == "J":
            return _julian_day(year, self.day)
        if self.kind == "N":
            return _dt.date(year, 1, 1) + _dt.timedelta(days=self.day)
        python_weekday = (self.weekday - 1) % 7
        n = -1 if self.week == 5 else self.week
        found = nth_weekday_of_month(year, self.month, python_weekday, n)
        assert found is not None
        return found

    def moment_in(self, year: int) -> _dt.datetime:
        """The local wall-clock moment of the transition in `year`."""
        day = self.date_in(year)
        return _dt.datetime(day.year, day.month, day.day) + _dt.timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        if self.kind == "J":
            text = f"J{self.day}"
        elif self.kind == "N":
            text = str(self.day)
        else:
            text = f"M{self.month}.{self.week}.{self.weekday}"
        if self.seconds != 7200:
            text += "/" + _format_posix_offset(self.seconds, signed=self.seconds < 0)
        return text


def _julian_day(year: int, day: int) -> _dt.date:
    """Day `day` (1..365) of `year`, February 29th never counted (so J60 is always March 1st)."""
    result = _dt.date(year, 1, 1) + _dt.timedelta(days=day - 1)
    if is_leap_year(year) and day >= 60:
        result += _dt.timedelta(days=1)
    return result


def _format_posix_offset(seconds: int, signed: bool = False) -> str:
    sign = "-" if seconds < 0 else ("+" if signed else "")
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours}"
    if minutes or secs:
        text += f":{minutes:02d}"
    if secs:
        text += f":{secs:02d}"
    return text


class _TZScanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ParseError(f"expected {char!r}", self.text, self.pos)
        self.pos += 1

    def name(self) -> str:
        match = _TZ_NAME_RE.match(self.text, self.pos)
        if not match:
            raise ParseError("expected a zone abbreviation", self.text, self.pos)
        self.pos = match.end()
        return match.group(1) or match.group(2)

    def offset(self, max_hours: int = 24) -> int:
        match = _TZ_OFFSET_RE.match(self.text, self.pos)
        if not match:
            raise ParseError("expected an offset", self.text, self.pos)
        sign, hours, minutes, seconds = match.groups()
        if int(minutes or 0) > 59 or int(seconds or 0) > 59 or int(hours) > max_hours:
            raise ParseError("offset out of range", self.text, self.pos)
        self.pos = match.end()
        total = int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
        return -total if sign == "-" else total

    def number(self) -> int:
        match = re.compile(r"\d+").match(self.text, self.pos)
        if not match:
            raise ParseError("expected a number", self.text, self.pos)
        self.pos = match.end()
        return int(match.group())

    def rule(self) -> TransitionRule:
        if self.peek() == "M":
            self.pos += 1
            month = self.number()
            self.expect(".")
            week = self.number()
            self.expect(".")
            weekday = self.number()
            if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= weekday <= 6):
                raise ParseError("invalid M rule", self.text, self.pos)
            rule = TransitionRule("M", month=month, week=week, weekday=weekday)
        elif self.peek() == "J":
            self.pos += 1
            day = self.number()
            if not 1 <= day <= 365:
                raise ParseError("a J rule's day must be in 1..365", self.text, self.pos)
            rule = TransitionRule("J", day=day)
        else:
            day = self.number()
            if not 0 <= day <= 365:
                raise ParseError("a day rule must be in 0..365", self.text, self.pos)
            rule = TransitionRule("N", day=day)
        if self.peek() == "/":
            self.pos += 1
            seconds = self.offset(max_hours=167)
            rule = TransitionRule(rule.kind, rule.day, rule.month, rule.week, rule.weekday, seconds)
        return rule


class PosixZone(_dt.tzinfo):
    """A time zone described by a POSIX TZ string such as ``CET-1CEST,M3.5.0,M10.5.0/3``.

    POSIX offsets are written west-positive (``EST5`` is five hours *behind*
    UTC); :attr:`std_offset` and :attr:`dst_offset` are stored east-positive
    like :meth:`datetime.utcoffset`.  Ambiguous wall times (the repeated hour
    when clocks go back) use ``fold`` as PEP 495 prescribes: ``fold=0`` is the
    earlier, daylight-saving reading.
    """

    def __init__(self, spec: str):
        self.spec = spec.strip()
        scanner = _TZScanner(self.spec)
        self.std_name = scanner.name()
        self.std_offset = _dt.timedelta(seconds=-scanner.offset())
        self.dst_name: str | None = None
        self.dst_offset: _dt.timedelta | None = None
        self.start_rule: TransitionRule | None = None
        self.end_rule: TransitionRule | None = None
        if not scanner.at_end():
            self.dst_name = scanner.name()
            if scanner.peek() not in (",", ""):
                self.dst_offset = _dt.timedelta(seconds=-scanner.offset())
            else:
                self.dst_offset = self.std_offset + _dt.timedelta(hours=1)
            if scanner.at_end():
                self.start_rule = TransitionRule("M", month=3, week=2, weekday=0)
                self.end_rule = TransitionRule("M", month=11, week=1, weekday=0)
            else:
                scanner.expect(",")
                self.start_rule = scanner.rule()
                scanner.expect(",")
                self.end_rule = scanner.rule()
        if not scanner.at_end():
            raise ParseError("unexpected text after the zone", self.spec, scanner.pos)

    # -- transitions -------------------------------------------------------------------------

    @property
    def has_dst(self) -> bool:
        return self.dst_offset is not None

    def _all_year_dst(self) -> bool:
        """True for the POSIX idiom of permanent daylight time (``,0/0,J365/25``)."""
        if not self.has_dst:
            return False
        start, end = self.start_rule, self.end_rule
        return (
            start.kind == "N" and start.day == 0 and start.seconds == 0
            and end.kind == "J" and end.day == 365
            and end.seconds - self._save_seconds() >= 24 * 3600
        )

    def _save_seconds(self) -> int:
        return int((self.dst_offset - self.std_offset).total_seconds())

    def transitions(self, year: int) -> tuple[_dt.datetime, _dt.datetime] | None:
        """(DST start, DST end) of `year` as naive *standard* local times, or None."""
        if not self.has_dst:
            return None
        start = self.start_rule.moment_in(year)
        end = self.end_rule.moment_in(year) - _dt.timedelta(seconds=self._save_seconds())
        return start, end

    def transitions_utc(self, year: int) -> tuple[_dt.datetime, _dt.datetime] | None:
        """(DST start, DST end) of `year` as aware UTC datetimes, or None."""
        bounds = self.transitions(year)
        if bounds is None:
            return None
        start, end = bounds
        return tuple(
            (moment - self.std_offset).replace(tzinfo=_UTC) for moment in (start, end)
        )

    def _in_dst_standard(self, standard: _dt.datetime) -> bool:
        """Whether DST is in force at a naive *standard* local time."""
        if not self.has_dst:
            return False
        if self._all_year_dst():
            return True
        start, end = self.transitions(standard.year)
        if start <= end:
            return start <= standard < end
        return not (end <= standard < start)

    # -- tzinfo ------------------------------------------------------------------------------

    def _is_dst_wall(self, dt: _dt.datetime) -> bool:
        if not self.has_dst:
            return False
        naive = dt.replace(tzinfo=None)
        save = self.dst_offset - self.std_offset
        as_standard = self._in_dst_standard(naive)
        as_daylight = self._in_dst_standard(naive - save)
        if as_standard == as_daylight:
            return as_standard
        # ambiguous (both readings valid) or imaginary (neither): fold decides
        if as_daylight and not as_standard:
            return dt.fold == 0
        return dt.fold == 1

    def utcoffset(self, dt: _dt.datetime | None) -> _dt.timedelta:
        if dt is None:
            return self.std_offset
        return self.dst_offset if self._is_dst_wall(dt) else self.std_offset

    def dst(self, dt: _dt.datetime | None) -> _dt.timedelta:
        if dt is None or not self.has_dst:
            return _ZERO
        return self.dst_offset - self.std_offset if self._is_dst_wall(dt) else _ZERO

    def tzname(self, dt: _dt.datetime | None) -> str:
        if dt is not None and self._is_dst_wall(dt):
            return self.dst_name
        return self.std_name

    def fromutc(self, dt: _dt.datetime) -> _dt.datetime:
        if dt.tzinfo is not self:
            raise ValueError("fromutc: dt.tzinfo is not self")
        utc = dt.replace(tzinfo=None)
        standard = utc + self.std_offset
        if self._in_dst_standard(standard):
            return (utc + self.dst_offset).replace(tzinfo=self, fold=0)
        fold = 0
        if self.has_dst:
            # the repeated hour after clocks go back: the later (standard) reading has fold=1
            save = self.dst_offset - self.std_offset
            if save > _ZERO and self._in_dst_standard(standard - save):
                fold = 1
        return standard.replace(tzinfo=self, fold=fold)

    def __repr__(self) -> str:
        return f"PosixZone({self.spec!r})"

    def __str__(self) -> str:
        return self.spec

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PosixZone):
            return NotImplemented
        return self.canonical() == other.canonical()

    def __hash__(self) -> int:
        return hash(self.canonical())

    def canonical(self) -> str:
        """The spec rewritten in a normal form (explicit DST offset and rules)."""
        text = _posix_name(self.std_name) + _format_posix_offset(
            -int(self.std_offset.total_seconds())
        )
        if self.has_dst:
            text += _posix_name(self.dst_name)
            text += _format_posix_offset(-int(self.dst_offset.total_seconds()))
            text += f",{self.start_rule},{self.end_rule}"
        return text


def _posix_name(name: str) -> str:
    return name if name.isalpha() else f"<{name}>"


# ---------------------------------------------------------------------------------------------
# caching expansions


class OccurrenceCache:
    """Memoizes the expansion of a rule or a recurrence set for repeated queries.

    Occurrences are produced lazily and kept in a sorted list, so that
    ``between``, ``after`` and ``before`` only expand as far as they must and
    answer later queries by bisection.
    """

    def __init__(self, source: RecurrenceRule | RecurrenceSet):
        self.source = source
        self._like = source._require_start()
        self._items: list[_dt.date] = []
        self._iterator: Iterator[_dt.date] | None = iter(source)

    @property
    def exhausted(self) -> bool:
        return self._iterator is None

    def __len__(self) -> int:
        return len(self._items)

    def _extend_until(self, predicate: Callable[[_dt.date], bool]) -> None:
        """Expand until an occurrence satisfies `predicate` (or the source ends)."""
        if self._items and predicate(self._items[-1]):
            return
        while self._iterator is not None:
            value = next(self._iterator, None)
            if value is None:
                self._iterator = None
                return
            self._items.append(value)
            if predicate(value):
                return

    def _extend_count(self, count: int) -> None:
        while len(self._items) < count and self._iterator is not None:
            value = next(self._iterator, None)
            if value is None:
                self._iterator = None
                return
            self._items.append(value)

    def __getitem__(self, index: int) -> _dt.date:
        if index < 0:
            raise IndexError("negative indexes are not supported")
        self._extend_count(index + 1)
        return self._items[index]

    def between(self, start: _dt.date, end: _dt.date, inclusive: bool = False) -> list[_dt.date]:
        start = _comparable(start, self._like)
        end = _comparable(end, self._like)
        self._extend_until(lambda value: value > end)
        if inclusive:
            low = bisect.bisect_left(self._items, start)
            high = bisect.bisect_right(self._items, end)
        else:
            low = bisect.bisect_right(self._items, start)
            high = bisect.bisect_left(self._items, end)
        return self._items[low:high]

    def after(self, moment: _dt.date, inclusive: bool = False) -> _dt.date | None:
        moment = _comparable(moment, self._like)
        if inclusive:
            self._extend_until(lambda value: value >= moment)
            index = bisect.bisect_left(self._items, moment)
        else:
            self._extend_until(lambda value: value > moment)
            index = bisect.bisect_right(self._items, moment)
        return self._items[index] if index < len(self._items) else None

    def before(self, moment: _dt.date, inclusive: bool = False) -> _dt.date | None:
        moment = _comparable(moment, self._like)
        self._extend_until(lambda value: value > moment)
        if inclusive:
            index = bisect.bisect_right(self._items, moment)
        else:
            index = bisect.bisect_left(self._items, moment)
        return self._items[index - 1] if index > 0 else None

    def count_until(self, moment: _dt.date) -> int:
        """How many occurrences come at or before `moment`."""
        moment = _comparable(moment, self._like)
        self._extend_until(lambda value: value > moment)
        return bisect.bisect_right(self._items, moment)


# ---------------------------------------------------------------------------------------------
# a fluent builder and rule utilities


class RuleBuilder:
    """Build a :class:`RecurrenceRule` step by step.

    >>> rule = (RuleBuilder("weekly").every(2).on("MO", "WE").at(9, 30)
    ...         .starting(_dt.datetime(2024, 1, 1)).times(4).build())
    >>> str(rule)
    'FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=30'
    """

    def __init__(self, freq: Frequency | str):
        self._values: dict = {"freq": Frequency.parse(freq) if isinstance(freq, str) else freq}

    def every(self, interval: int) -> RuleBuilder:
        self._values["interval"] = interval
        return self

    def on(self, *days: Weekday | str | int) -> RuleBuilder:
        self._values["byday"] = list(self._values.get("byday", [])) + list(days)
        return self

    def on_month_days(self, *days: int) -> RuleBuilder:
        self._values["bymonthday"] = list(self._values.get("bymonthday", [])) + list(days)
        return self

    def in_months(self, *months: int) -> RuleBuilder:
        self._values["bymonth"] = list(self._values.get("bymonth", [])) + list(months)
        return self

    def in_weeks(self, *weeks: int) -> RuleBuilder:
        self._values["byweekno"] = list(self._values.get("byweekno", [])) + list(weeks)
        return self

    def on_year_days(self, *days: int) -> RuleBuilder:
        self._values["byyearday"] = list(self._values.get("byyearday", [])) + list(days)
        return self

    def at(self, hour: int | Sequence[int], minute: int | Sequence[int] = 0,
           second: int | Sequence[int] = 0) -> RuleBuilder:
        self._values["byhour"] = [hour] if isinstance(hour, int) else list(hour)
        self._values["byminute"] = [minute] if isinstance(minute, int) else list(minute)
        if second != 0 or "bysecond" in self._values:
            self._values["bysecond"] = [second] if isinstance(second, int) else list(second)
        return self

    def nth(self, *positions: int) -> RuleBuilder:
        self._values["bysetpos"] = list(positions)
        return self

    def week_starts(self, day: Weekday | str | int) -> RuleBuilder:
        self._values["wkst"] = day
        return self

    def starting(self, dtstart: _dt.date) -> RuleBuilder:
        self._values["dtstart"] = dtstart
        return self

    def times(self, count: int) -> RuleBuilder:
        self._values.pop("until", None)
        self._values["count"] = count
        return self

    def until(self, moment: _dt.date) -> RuleBuilder:
        self._values.pop("count", None)
        self._values["until"] = moment
        return self

    def build(self) -> RecurrenceRule:
        return RecurrenceRule(**self._values)


def simplify_rule(rule: RecurrenceRule) -> RecurrenceRule:
    """Drop parts that cannot change the rule's occurrences.

    ``BYMONTH`` listing all twelve months, ``BYDAY`` listing all seven plain
    days, a ``BYHOUR``/``BYMINUTE``/``BYSECOND`` equal to DTSTART's value on a
    coarser frequency, and ``WKST`` on rules that never look at weeks.
    """
    changes: dict = {}
    if len(rule.bymonth) == 12:
        changes["bymonth"] = ()
    if len(rule.byday) == 7 and all(day.n is None for day in rule.byday) and not rule.bysetpos:
        if rule.freq is not Frequency.WEEKLY and rule.freq is not Frequency.YEARLY:
            changes["byday"] = ()
    start = rule.dtstart
    if isinstance(start, _dt.datetime) and not rule.bysetpos:
        for name, unit, value in (
            ("byhour", Frequency.HOURLY, start.hour),
            ("byminute", Frequency.MINUTELY, start.minute),
            ("bysecond", Frequency.SECONDLY, start.second),
        ):
            if getattr(rule, name) == (value,) and rule.freq.coarser_than(unit):
                changes[name] = ()
    uses_weeks = rule.freq is Frequency.WEEKLY and (rule.interval > 1 or len(rule.byday) > 1)
    if rule.wkst != 0 and not (uses_weeks or rule.byweekno):
        changes["wkst"] = 0
    return rule.replace(**changes) if changes else rule


def rules_agree(first: RecurrenceRule | RecurrenceSet, second: RecurrenceRule | RecurrenceSet,
                limit: int = 500) -> bool:
    """True when the first `limit` occurrences of both are the same."""
    return (list(itertools.islice(iter(first), limit))
            == list(itertools.islice(iter(second), limit)))


def infer_rule(dates: Sequence[_dt.date]) -> RecurrenceRule | None:
    """A simple rule producing exactly `dates` (in order), or None when none is found.

    Tries a constant step of days or weeks, then the same day every `n`
    months, then the same nth weekday every `n` months.
    """
    if len(dates) < 2:
        return None
    values = list(dates)
    if any(b <= a for a, b in zip(values, values[1:])):
        return None
    start = values[0]
    count = len(values)
    candidates: list[RecurrenceRule] = []
    fallbacks: list[RecurrenceRule] = []  # tried last: a plain day step says the least
    steps = {(b - a) for a, b in zip(values, values[1:])}
    if len(steps) == 1:
        step = steps.pop()
        if step.seconds == 0 and step.microseconds == 0:
            days = step.days
            if days % 7 == 0:
                candidates.append(RecurrenceRule(Frequency.WEEKLY, dtstart=start,
                                                 interval=days // 7, count=count))
            fallbacks.append(RecurrenceRule(Frequency.DAILY, dtstart=start,
                                            interval=days, count=count))
        elif isinstance(start, _dt.datetime):
            seconds = int(step.total_seconds())
            for freq, unit in ((Frequency.HOURLY, 3600), (Frequency.MINUTELY, 60),
                               (Frequency.SECONDLY, 1)):
                if seconds % unit == 0:
                    candidates.append(RecurrenceRule(freq, dtstart=start,
                                                     interval=seconds // unit, count=count))
                    break
    month_steps = {
        (b.year * 12 + b.month) - (a.year * 12 + a.month) for a, b in zip(values, values[1:])
    }
    if len(month_steps) == 1:
        months = month_steps.pop()
        if months > 0:
            freq, interval = ((Frequency.YEARLY, months // 12) if months % 12 == 0
                              else (Frequency.MONTHLY, months))
            candidates.append(RecurrenceRule(freq, dtstart=start, interval=interval, count=count))
            n = (start.day - 1) // 7 + 1
            last = days_in_month(start.year, start.month) - start.day < 7
            if freq is Frequency.MONTHLY:
                weekday = Weekday(start.weekday())
                candidates.append(RecurrenceRule(Frequency.MONTHLY, dtstart=start,
                                                 interval=interval, count=count,
                                                 byday=[weekday(n)]))
                if last:
                    candidates.append(RecurrenceRule(Frequency.MONTHLY, dtstart=start,
                                                     interval=interval, count=count,
                                                     byday=[weekday(-1)]))
                    candidates.append(RecurrenceRule(Frequency.MONTHLY, dtstart=start,
                                                     interval=interval, count=count,
                                                     bymonthday=[-1]))
    for candidate in candidates + fallbacks:
        if list(itertools.islice(candidate, count + 1)) == values:
            return candidate
    return None


def occurrences_in_year(rule: RecurrenceRule, year: int) -> list[_dt.date]:
    """Occurrences of `rule` that fall in calendar `year`."""
    start = rule._require_start()
    low = _comparable(_dt.date(year, 1, 1), start)
    high = _comparable(_dt.date(year + 1, 1, 1), start)
    return [value for value in rule.between(low, high, inclusive=True) if value < high]


def next_weekday(day: _dt.date, weekday: int, include_today: bool = False) -> _dt.date:
    """The first `weekday` (0 = Monday) on or after `day` (strictly after unless `include_today`)."""
    offset = (weekday - day.weekday()) % 7
    if offset == 0 and not include_today:
        offset = 7
    return day + _dt.timedelta(days=offset)


def previous_weekday(day: _dt.date, weekday: int, include_today: bool = False) -> _dt.date:
    """The last `weekday` on or before `day` (strictly before unless `include_today`)."""
    offset = (day.weekday() - weekday) % 7
    if offset == 0 and not include_today:
        offset = 7
    return day - _dt.timedelta(days=offset)


def quarter_of(day: _dt.date) -> int:
    """1..4."""
    return (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[_dt.date, _dt.date]:
    """First day of the quarter and first day of the next one."""
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be in 1..4")
    first = _dt.date(year, 3 * quarter - 2, 1)
    return first, add_months(first, 3)


# ---------------------------------------------------------------------------------------------
# plain-data conversion (for JSON and friends)


def rule_to_dict(rule: RecurrenceRule) -> dict:
    """A JSON-ready dict of the rule's non-default parts (dates as iCalendar strings)."""
    data: dict = {"freq": rule.freq.name}
    if rule.dtstart is not None:
        data["dtstart"] = format_value(rule.dtstart)
    if rule.interval != 1:
        data["interval"] = rule.interval
    if rule.count is not None:
        data["count"] = rule.count
    if rule.until is not None:
        data["until"] = format_value(rule.until)
    for name in _SERIAL_ORDER:
        values = getattr(rule, name)
        if values:
            data[name] = [str(v) for v in values] if name == "byday" else list(values)
    if rule.wkst != 0:
        data["wkst"] = _DAY_CODES[rule.wkst]
    return data


def rule_from_dict(data: dict) -> RecurrenceRule:
    """The inverse of :func:`rule_to_dict`; unknown keys raise :class:`RuleError`."""
    allowed = {"freq", "dtstart", "interval", "count", "until", "wkst", *_SERIAL_ORDER}
    unknown = set(data) - allowed
    if unknown:
        raise RuleError(f"unknown keys: {', '.join(sorted(unknown))}")
    if "freq" not in data:
        raise RuleError("freq is required")
    values = dict(data)
    for key in ("dtstart", "until"):
        if isinstance(values.get(key), str):
            values[key] = parse_date_or_datetime(values[key])
    if "byday" in values:
        values["byday"] = [Weekday.parse(v) if isinstance(v, str) else v for v in values["byday"]]
    return RecurrenceRule(**values)


def set_to_dict(rset: RecurrenceSet) -> dict:
    """A JSON-ready dict of a recurrence set."""
    data: dict = {}
    if rset.dtstart is not None:
        data["dtstart"] = format_value(rset.dtstart)
    data["include_dtstart"] = rset.include_dtstart
    data["rrules"] = [rule.to_string() for rule in rset.rrules]
    data["exrules"] = [rule.to_string() for rule in rset.exrules]
    data["rdates"] = [format_value(v) for v in sorted(rset.rdates)]
    data["exdates"] = [format_value(v) for v in sorted(rset.exdates)]
    return data


def set_from_dict(data: dict) -> RecurrenceSet:
    dtstart = data.get("dtstart")
    result = RecurrenceSet(
        dtstart=parse_date_or_datetime(dtstart) if dtstart else None,
        include_dtstart=bool(data.get("include_dtstart", False)),
    )
    for text in data.get("rrules", []):
        result.rrule(parse_rrule(text))
    for text in data.get("exrules", []):
        result.exrule(parse_rrule(text))
    result.rdate(*(parse_date_or_datetime(v) for v in data.get("rdates", [])))
    result.exdate(*(parse_date_or_datetime(v) for v in data.get("exdates", [])))
    return result
