"""Holiday calendars and business-day arithmetic."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Callable, Iterable

from cadence.recurrence import (
    easter_sunday,
    nth_weekday_of_month,
)

ONE_DAY = _dt.timedelta(days=1)


@dataclass(frozen=True)
class Holiday:
    """A named rule that gives at most one date a year."""

    name: str
    rule: Callable[[int], _dt.date | None]
    observance: str = "none"  # none, nearest (US), next-monday (UK)
    first_year: int = 1

    def actual(self, year: int) -> _dt.date | None:
        if year < self.first_year:
            return None
        return self.rule(year)


def fixed(month: int, day: int) -> Callable[[int], _dt.date | None]:
    """The same calendar day each year (February 29th only in leap years)."""

    def rule(year: int) -> _dt.date | None:
        try:
            return _dt.date(year, month, day)
        except ValueError:
            return None

    return rule


def nth_weekday(month: int, weekday: int, n: int) -> Callable[[int], _dt.date | None]:
    """The `n`-th `weekday` (0 = Monday) of `month`; negative from the end."""
    return lambda year: nth_weekday_of_month(year, month, weekday, n)


def easter_offset(days: int) -> Callable[[int], _dt.date]:
    """Easter Sunday plus `days` (Good Friday is -2, Easter Monday +1)."""
    return lambda year: easter_sunday(year) + _dt.timedelta(days=days)


def _weekend(day: _dt.date, weekend: frozenset[int]) -> bool:
    return day.weekday() in weekend


class HolidayCalendar:
    """Holidays by rule, with weekend observance, and business-day arithmetic."""

    def __init__(self, holidays: Iterable[Holiday] = (), weekend: Iterable[int] = (5, 6),
                 extra: Iterable[_dt.date] = ()):
        self.rules = list(holidays)
        self.weekend = frozenset(weekend)
        if len(self.weekend) >= 7:
            raise ValueError("a week needs at least one working day")
        self.extra = set(extra)
        self._cache: dict[int, dict[_dt.date, str]] = {}

    def add(self, holiday: Holiday) -> None:
        self.rules.append(holiday)
        self._cache.clear()

    def holidays(self, year: int) -> dict[_dt.date, str]:
        """Observed holidays of `year`, date -> name, in date order."""
        if year in self._cache:
            return self._cache[year]
        result: dict[_dt.date, str] = {}
        moving: list[tuple[_dt.date, Holiday]] = []
        # holidays on working days keep their dates; weekend ones move around them afterwards
        for holiday in self.rules:
            day = holiday.actual(year)
            if day is None:
                continue
            if holiday.observance != "none" and _weekend(day, self.weekend):
                moving.append((day, holiday))
            else:
                self._record(result, day, holiday.name)
        for day, holiday in sorted(moving, key=lambda item: item[0]):
            self._record(result, self._observe(day, holiday.observance, result), holiday.name)
        for day in self.extra:
            if day.year == year:
                result.setdefault(day, "extra holiday")
        result = dict(sorted(result.items()))
        self._cache[year] = result
        return result

    @staticmethod
    def _record(result: dict[_dt.date, str], day: _dt.date, name: str) -> None:
        if day in result:
            result[day] = f"{result[day]}, {name}"
        else:
            result[day] = name

    def _observe(self, day: _dt.date, observance: str, taken: dict[_dt.date, str]) -> _dt.date:
        if observance == "none" or not _weekend(day, self.weekend):
            return day
        if observance == "nearest":
            if day.weekday() == 5:
                return day - ONE_DAY
            if day.weekday() == 6:
                return day + ONE_DAY
            return day
        if observance == "next-monday":
            while _weekend(day, self.weekend) or day in taken:
                day += ONE_DAY
            return day
        raise ValueError(f"unknown observance {observance!r}")

    def is_holiday(self, day: _dt.date) -> bool:
        return self.name_of(day) is not None

    def name_of(self, day: _dt.date) -> str | None:
        """The holiday's name; a holiday observed in the previous year (New Year's Day on
        December 31st) belongs to the following year's list."""
        name = self.holidays(day.year).get(day)
        if name is None and day.month == 12 and day.year < 9999:
            name = self.holidays(day.year + 1).get(day)
        return name

    def is_business_day(self, day: _dt.date) -> bool:
        return not _weekend(day, self.weekend) and not self.is_holiday(day)

    def next_business_day(self, day: _dt.date, include_today: bool = False) -> _dt.date:
        if include_today and self.is_business_day(day):
            return day
        day += ONE_DAY
        while not self.is_business_day(day):
            day += ONE_DAY
        return day

    def previous_business_day(self, day: _dt.date, include_today: bool = False) -> _dt.date:
        if include_today and self.is_business_day(day):
            return day
        day -= ONE_DAY
        while not self.is_business_day(day):
            day -= ONE_DAY
        return day

    def add_business_days(self, day: _dt.date, count: int) -> _dt.date:
        """Move `count` business days (negative: backwards); 0 rolls forward to a business day."""
        if count == 0:
            return self.next_business_day(day, include_today=True)
        step = self.next_business_day if count > 0 else self.previous_business_day
        for _ in range(abs(count)):
            day = step(day)
        return day

    def business_days_between(self, start: _dt.date, end: _dt.date) -> int:
        """Business days in [start, end); negative when `end` comes first."""
        if end < start:
            return -self.business_days_between(end, start)
        total = 0
        day = start
        while day < end:
            if self.is_business_day(day):
                total += 1
            day += ONE_DAY
        return total

    def business_days_in_month(self, year: int, month: int) -> list[_dt.date]:
        day = _dt.date(year, month, 1)
        result = []
        while day.month == month:
            if self.is_business_day(day):
                result.append(day)
            day += ONE_DAY
        return result

    def nth_business_day(self, year: int, month: int, n: int) -> _dt.date:
        """The `n`-th business day of a month (negative from the end)."""
        days = self.business_days_in_month(year, month)
        if n == 0 or abs(n) > len(days):
            raise ValueError(f"{year}-{month:02d} has no business day {n}")
        return days[n - 1] if n > 0 else days[n]


def us_federal() -> HolidayCalendar:
    """United States federal holidays (observed on the nearest weekday)."""
    return HolidayCalendar([
        Holiday("New Year's Day", fixed(1, 1), "nearest"),
        Holiday("Martin Luther King Jr. Day", nth_weekday(1, 0, 3), first_year=1986),
        Holiday("Washington's Birthday", nth_weekday(2, 0, 3)),
        Holiday("Memorial Day", nth_weekday(5, 0, -1)),
        Holiday("Juneteenth", fixed(6, 19), "nearest", first_year=2021),
        Holiday("Independence Day", fixed(7, 4), "nearest"),
        Holiday("Labor Day", nth_weekday(9, 0, 1)),
        Holiday("Columbus Day", nth_weekday(10, 0, 2)),
        Holiday("Veterans Day", fixed(11, 11), "nearest"),
        Holiday("Thanksgiving Day", nth_weekday(11, 3, 4)),
        Holiday("Christmas Day", fixed(12, 25), "nearest"),
    ])


def uk_england() -> HolidayCalendar:
    """Bank holidays of England and Wales (weekend holidays move to the next free weekday)."""
    return HolidayCalendar([
        Holiday("New Year's Day", fixed(1, 1), "next-monday"),
        Holiday("Good Friday", easter_offset(-2)),
        Holiday("Easter Monday", easter_offset(1)),
        Holiday("Early May bank holiday", nth_weekday(5, 0, 1)),
        Holiday("Spring bank holiday", nth_weekday(5, 0, -1)),
        Holiday("Summer bank holiday", nth_weekday(8, 0, -1)),
        Holiday("Christmas Day", fixed(12, 25), "next-monday"),
        Holiday("Boxing Day", fixed(12, 26), "next-monday"),
    ])
