from datetime import date

import pytest

from ledgerkit import (
    DateRange, ParseError, add_months, days_in_month, format_date, next_period_start, parse_date, parse_period,
    period_label, period_start, start_of_quarter, start_of_week,
)


@pytest.mark.parametrize("text, expected", [
    ("2024-01-05", date(2024, 1, 5)),
    ("2024/01/05", date(2024, 1, 5)),
    ("2024.1.5", date(2024, 1, 5)),
    ("2024-12-31", date(2024, 12, 31)),
    (" 2023-02-28 ", date(2023, 2, 28)),
    ("2024-2-29", date(2024, 2, 29)),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024-13-01", "2023-02-29", "24-01-01", "2024-01", "yesterday", "", "2024-01-32"])
def test_parse_date_rejects(text):
    with pytest.raises(ParseError):
        parse_date(text)


def test_parse_short_date_uses_default_year():
    assert parse_date("03/07", default_year=2022) == date(2022, 3, 7)


def test_parse_short_date_needs_default_year():
    with pytest.raises(ParseError, match="no year"):
        parse_date("03/07")


@pytest.mark.parametrize("d, sep, expected", [
    (date(2024, 1, 5), "-", "2024-01-05"),
    (date(2024, 11, 25), "/", "2024/11/25"),
    (date(999, 1, 1), "-", "0999-01-01"),
])
def test_format_date(d, sep, expected):
    assert format_date(d, sep) == expected


@pytest.mark.parametrize("year, month, expected", [
    (2024, 1, 31), (2024, 2, 29), (2023, 2, 28), (2024, 4, 30), (2024, 12, 31), (1900, 2, 28), (2000, 2, 29),
])
def test_days_in_month(year, month, expected):
    assert days_in_month(year, month) == expected


@pytest.mark.parametrize("d, months, expected", [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 3, 15), -3, date(2023, 12, 15)),
    (date(2024, 12, 1), 1, date(2025, 1, 1)),
    (date(2024, 5, 31), 12, date(2025, 5, 31)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 1, 10), 0, date(2024, 1, 10)),
    (date(2024, 1, 10), -13, date(2022, 12, 10)),
])
def test_add_months(d, months, expected):
    assert add_months(d, months) == expected


@pytest.mark.parametrize("d, expected", [
    (date(2024, 3, 4), date(2024, 3, 4)),   # a Monday
    (date(2024, 3, 10), date(2024, 3, 4)),  # a Sunday
    (date(2024, 1, 3), date(2024, 1, 1)),
    (date(2023, 1, 1), date(2022, 12, 26)),
])
def test_start_of_week(d, expected):
    assert start_of_week(d) == expected


@pytest.mark.parametrize("month, expected_month", [(1, 1), (3, 1), (4, 4), (6, 4), (8, 7), (12, 10)])
def test_start_of_quarter(month, expected_month):
    assert start_of_quarter(date(2024, month, 17)) == date(2024, expected_month, 1)


@pytest.mark.parametrize("interval, expected", [
    ("daily", date(2024, 5, 17)),
    ("weekly", date(2024, 5, 13)),
    ("monthly", date(2024, 5, 1)),
    ("quarterly", date(2024, 4, 1)),
    ("yearly", date(2024, 1, 1)),
])
def test_period_start(interval, expected):
    assert period_start(date(2024, 5, 17), interval) == expected


@pytest.mark.parametrize("start, interval, expected", [
    (date(2024, 5, 17), "daily", date(2024, 5, 18)),
    (date(2024, 5, 13), "weekly", date(2024, 5, 20)),
    (date(2024, 12, 1), "monthly", date(2025, 1, 1)),
    (date(2024, 10, 1), "quarterly", date(2025, 1, 1)),
    (date(2024, 1, 1), "yearly", date(2025, 1, 1)),
])
def test_next_period_start(start, interval, expected):
    assert next_period_start(start, interval) == expected


@pytest.mark.parametrize("func", [period_start, next_period_start, period_label])
def test_unknown_interval(func):
    with pytest.raises(ValueError):
        func(date(2024, 1, 1), "fortnightly")


@pytest.mark.parametrize("start, interval, expected", [
    (date(2024, 3, 5), "daily", "2024-03-05"),
    (date(2024, 3, 4), "weekly", "2024-W10"),
    (date(2024, 12, 30), "weekly", "2025-W01"),
    (date(2024, 3, 1), "monthly", "2024-03"),
    (date(2024, 7, 1), "quarterly", "2024Q3"),
    (date(2024, 1, 1), "yearly", "2024"),
])
def test_period_label(start, interval, expected):
    assert period_label(start, interval) == expected


@pytest.mark.parametrize("d, inside", [
    (date(2024, 1, 1), True),
    (date(2024, 1, 31), True),
    (date(2024, 2, 1), False),
    (date(2023, 12, 31), False),
])
def test_range_half_open(d, inside):
    assert (d in DateRange(date(2024, 1, 1), date(2024, 2, 1))) is inside


def test_unbounded_ranges():
    assert date(1, 1, 1) in DateRange()
    assert date(2030, 1, 1) in DateRange(start=date(2024, 1, 1))
    assert date(2023, 1, 1) not in DateRange(start=date(2024, 1, 1))
    assert date(2023, 1, 1) in DateRange(end=date(2024, 1, 1))
    assert date(2024, 1, 1) not in DateRange(end=date(2024, 1, 1))


def test_range_rejects_reversed():
    with pytest.raises(ValueError):
        DateRange(date(2024, 2, 1), date(2024, 1, 1))


def test_empty_range_allowed():
    r = DateRange(date(2024, 2, 1), date(2024, 2, 1))
    assert r.days() == 0
    assert date(2024, 2, 1) not in r


def test_range_days():
    assert DateRange(date(2024, 1, 1), date(2025, 1, 1)).days() == 366
    with pytest.raises(ValueError):
        DateRange(date(2024, 1, 1)).days()


@pytest.mark.parametrize("a, b, expected", [
    ((date(2024, 1, 1), date(2024, 3, 1)), (date(2024, 2, 1), date(2024, 4, 1)), (date(2024, 2, 1), date(2024, 3, 1))),
    ((date(2024, 1, 1), date(2024, 2, 1)), (date(2024, 2, 1), date(2024, 3, 1)), None),
    ((None, date(2024, 2, 1)), (date(2024, 1, 15), None), (date(2024, 1, 15), date(2024, 2, 1))),
    ((None, None), (date(2024, 1, 1), date(2024, 1, 2)), (date(2024, 1, 1), date(2024, 1, 2))),
    ((None, None), (None, None), (None, None)),
])
def test_intersect(a, b, expected):
    result = DateRange(*a).intersect(DateRange(*b))
    assert result == (DateRange(*expected) if expected is not None else None)


def test_periods_monthly_partial_ends():
    r = DateRange(date(2024, 1, 15), date(2024, 3, 10))
    assert r.periods("monthly") == [
        DateRange(date(2024, 1, 15), date(2024, 2, 1)),
        DateRange(date(2024, 2, 1), date(2024, 3, 1)),
        DateRange(date(2024, 3, 1), date(2024, 3, 10)),
    ]


@pytest.mark.parametrize("interval, count", [("daily", 366), ("weekly", 53), ("monthly", 12), ("quarterly", 4),
                                             ("yearly", 1)])
def test_periods_count_over_a_year(interval, count):
    assert len(DateRange(date(2024, 1, 1), date(2025, 1, 1)).periods(interval)) == count


def test_periods_are_contiguous():
    ps = DateRange(date(2024, 1, 3), date(2024, 6, 20)).periods("weekly")
    for a, b in zip(ps, ps[1:]):
        assert a.end == b.start
    assert ps[0].start == date(2024, 1, 3) and ps[-1].end == date(2024, 6, 20)


def test_periods_needs_bounds():
    with pytest.raises(ValueError):
        DateRange(date(2024, 1, 1)).periods("monthly")


def test_range_str():
    assert str(DateRange(date(2024, 1, 1), date(2024, 2, 1))) == "2024-01-01..2024-02-01"
    assert str(DateRange(None, date(2024, 2, 1))) == "..2024-02-01"


TODAY = date(2024, 5, 17)


@pytest.mark.parametrize("text, start, end", [
    ("2024", date(2024, 1, 1), date(2025, 1, 1)),
    ("2024-02", date(2024, 2, 1), date(2024, 3, 1)),
    ("2024/12", date(2024, 12, 1), date(2025, 1, 1)),
    ("2024q2", date(2024, 4, 1), date(2024, 7, 1)),
    ("2024Q4", date(2024, 10, 1), date(2025, 1, 1)),
    ("2024-02-29", date(2024, 2, 29), date(2024, 3, 1)),
    ("2024-01..2024-03", date(2024, 1, 1), date(2024, 3, 1)),
    ("2024-01-10..", date(2024, 1, 10), None),
    ("..2024", None, date(2024, 1, 1)),
    ("thismonth", date(2024, 5, 1), date(2024, 6, 1)),
    ("lastmonth", date(2024, 4, 1), date(2024, 5, 1)),
    ("thisyear", date(2024, 1, 1), date(2025, 1, 1)),
    ("lastyear", date(2023, 1, 1), date(2024, 1, 1)),
    ("", None, None),
])
def test_parse_period(text, start, end):
    assert parse_period(text, today=TODAY) == DateRange(start, end)


@pytest.mark.parametrize("text", ["2024-13", "2024q5", "soon", "2024-02-30"])
def test_parse_period_rejects(text):
    with pytest.raises(ParseError):
        parse_period(text, today=TODAY)


def test_lastmonth_in_january():
    assert parse_period("lastmonth", today=date(2024, 1, 9)) == DateRange(date(2023, 12, 1), date(2024, 1, 1))
