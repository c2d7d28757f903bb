import datetime as dt

import pytest

from cadence.recurrence import (
    add_months, add_years, date_range, day_of_year, days_in_month, days_in_year,
    easter_sunday, first_week_start, months_between, next_weekday, nth_weekday_of_month,
    nth_weekday_of_year, previous_weekday, quarter_bounds, quarter_of, week_dates,
    week_number, week_start, weeks_in_year,
)


@pytest.mark.parametrize("year,leap", [
    (1900, False), (2000, True), (2004, True), (2023, False), (2024, True), (2100, False),
    (2400, True), (1600, True), (1999, False), (1996, True),
])
def test_days_in_year(year, leap):
    assert days_in_year(year) == (366 if leap else 365)
    assert days_in_month(year, 2) == (29 if leap else 28)


@pytest.mark.parametrize("month,days", [
    (1, 31), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31),
])
def test_days_in_month(month, days):
    assert days_in_month(2023, month) == days


@pytest.mark.parametrize("month", [0, 13, -1])
def test_days_in_month_rejects_bad_month(month):
    with pytest.raises(ValueError):
        days_in_month(2024, month)


@pytest.mark.parametrize("start,months,expected", [
    ((2024, 1, 31), 1, (2024, 2, 29)),
    ((2023, 1, 31), 1, (2023, 2, 28)),
    ((2024, 3, 31), -1, (2024, 2, 29)),
    ((2024, 12, 15), 1, (2025, 1, 15)),
    ((2024, 1, 15), -1, (2023, 12, 15)),
    ((2024, 5, 31), 4, (2024, 9, 30)),
    ((2024, 8, 31), 18, (2026, 2, 28)),
    ((2020, 2, 29), 12, (2021, 2, 28)),
    ((2020, 2, 29), 48, (2024, 2, 29)),
    ((2024, 10, 10), 0, (2024, 10, 10)),
])
def test_add_months(start, months, expected):
    assert add_months(dt.date(*start), months) == dt.date(*expected)


def test_add_months_keeps_time_and_can_refuse():
    moment = dt.datetime(2024, 1, 31, 10, 30)
    assert add_months(moment, 1) == dt.datetime(2024, 2, 29, 10, 30)
    with pytest.raises(ValueError):
        add_months(dt.date(2024, 1, 31), 1, clamp=False)
    with pytest.raises(OverflowError):
        add_months(dt.date(9999, 12, 1), 1)


def test_add_years_leap_day():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)


@pytest.mark.parametrize("start,end,months", [
    ((2024, 1, 15), (2024, 3, 14), 1),
    ((2024, 1, 15), (2024, 3, 15), 2),
    ((2024, 3, 15), (2024, 1, 16), -1),
    ((2024, 3, 15), (2024, 1, 15), -2),
    ((2020, 6, 1), (2024, 6, 1), 48),
])
def test_months_between(start, end, months):
    assert months_between(dt.date(*start), dt.date(*end)) == months


@pytest.mark.parametrize("year,expected", [
    (1961, (4, 2)), (1995, (4, 16)), (2000, (4, 23)), (2008, (3, 23)), (2011, (4, 24)),
    (2019, (4, 21)), (2024, (3, 31)), (2025, (4, 20)), (2038, (4, 25)), (2285, (3, 22)),
])
def test_easter(year, expected):
    assert easter_sunday(year) == dt.date(year, *expected)
    assert easter_sunday(year).weekday() == 6


def test_easter_before_gregorian_reform():
    with pytest.raises(ValueError):
        easter_sunday(1500)


@pytest.mark.parametrize("year,month,weekday,n,expected", [
    (2024, 11, 3, 4, 28),   # Thanksgiving
    (2024, 5, 0, -1, 27),   # Memorial Day
    (2024, 9, 0, 1, 2),
    (2024, 2, 3, 5, 29),
    (2023, 2, 3, 5, None),
    (2024, 3, 6, -1, 31),
    (2024, 3, 6, 5, 31),
    (2024, 3, 6, -5, 3),
    (2024, 3, 6, -6, None),
    (2024, 1, 0, 1, 1),
])
def test_nth_weekday_of_month(year, month, weekday, n, expected):
    result = nth_weekday_of_month(year, month, weekday, n)
    assert result == (dt.date(year, month, expected) if expected else None)


@pytest.mark.parametrize("year,weekday,n,expected", [
    (2024, 0, 1, (1, 1)), (2024, 6, 1, (1, 7)), (2024, 1, -1, (12, 31)),
    (2024, 0, 53, (12, 30)), (2023, 0, 53, None), (2024, 4, -52, (1, 5)),
    (2023, 6, 53, (12, 31)), (2021, 4, 1, (1, 1)),
])
def test_nth_weekday_of_year(year, weekday, n, expected):
    result = nth_weekday_of_year(year, weekday, n)
    assert result == (dt.date(year, *expected) if expected else None)


def test_nth_weekday_zero():
    with pytest.raises(ValueError):
        nth_weekday_of_month(2024, 1, 0, 0)
    with pytest.raises(ValueError):
        nth_weekday_of_year(2024, 0, 0)


@pytest.mark.parametrize("year", list(range(1995, 2035)))
def test_week_number_matches_isocalendar(year):
    day = dt.date(year, 1, 1) - dt.timedelta(days=5)
    for _ in range(0, 380, 3):
        iso = day.isocalendar()
        assert week_number(day) == (iso[0], iso[1])
        day += dt.timedelta(days=3)


@pytest.mark.parametrize("year,wkst,weeks", [
    (2015, 0, 53), (2020, 0, 53), (2026, 0, 53), (2024, 0, 52), (2023, 0, 52),
    (2014, 6, 53), (2023, 6, 52), (2020, 6, 53), (2016, 6, 52),
])
def test_weeks_in_year(year, wkst, weeks):
    assert weeks_in_year(year, wkst) == weeks


@pytest.mark.parametrize("year,wkst,expected", [
    (2024, 0, (2024, 1, 1)), (2025, 0, (2024, 12, 30)), (2021, 0, (2021, 1, 4)),
    (2021, 6, (2021, 1, 3)), (2022, 6, (2022, 1, 2)), (2020, 6, (2019, 12, 29)),
])
def test_first_week_start(year, wkst, expected):
    assert first_week_start(year, wkst) == dt.date(*expected)


def test_week_start_and_dates():
    assert week_start(dt.date(2024, 6, 13)) == dt.date(2024, 6, 10)
    assert week_start(dt.date(2024, 6, 13), wkst=6) == dt.date(2024, 6, 9)
    days = week_dates(2025, 1)
    assert days[0] == dt.date(2024, 12, 30) and days[-1] == dt.date(2025, 1, 5)
    assert week_dates(2020, -1)[0] == dt.date(2020, 12, 28)
    with pytest.raises(ValueError):
        week_dates(2024, 53)


def test_day_of_year_and_range():
    assert day_of_year(dt.date(2024, 12, 31)) == 366
    assert day_of_year(dt.date(2023, 3, 1)) == 60
    days = list(date_range(dt.date(2024, 2, 27), dt.date(2024, 3, 3), 2))
    assert days == [dt.date(2024, 2, 27), dt.date(2024, 2, 29), dt.date(2024, 3, 2)]
    with pytest.raises(ValueError):
        list(date_range(dt.date(2024, 1, 1), dt.date(2024, 1, 2), 0))


@pytest.mark.parametrize("weekday,include,expected", [
    (3, False, 20), (3, True, 13), (0, False, 17), (6, True, 16),
])
def test_next_weekday(weekday, include, expected):
    assert next_weekday(dt.date(2024, 6, 13), weekday, include) == dt.date(2024, 6, expected)


@pytest.mark.parametrize("weekday,include,expected", [
    (3, False, 6), (3, True, 13), (0, False, 10), (4, False, 7),
])
def test_previous_weekday(weekday, include, expected):
    assert previous_weekday(dt.date(2024, 6, 13), weekday, include) == dt.date(2024, 6, expected)


@pytest.mark.parametrize("month,quarter", [(1, 1), (3, 1), (4, 2), (9, 3), (10, 4), (12, 4)])
def test_quarter_of(month, quarter):
    assert quarter_of(dt.date(2024, month, 5)) == quarter


def test_quarter_bounds():
    assert quarter_bounds(2024, 4) == (dt.date(2024, 10, 1), dt.date(2025, 1, 1))
    with pytest.raises(ValueError):
        quarter_bounds(2024, 5)
