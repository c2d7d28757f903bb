import datetime as dt

import pytest

from cadence.recurrence import (
    FR, MO, SU, TU, WEEKDAYS, Duration, Frequency, ParseError, Period, Weekday,
    format_date, format_datetime, format_duration, format_utc_offset, merge_intervals,
    parse_date, parse_date_or_datetime, parse_datetime, parse_duration, parse_period,
    parse_utc_offset, subtract_intervals, total_length,
)

UTC = dt.timezone.utc


@pytest.mark.parametrize("text,day,n", [
    ("MO", 0, None), ("tu", 1, None), ("-1FR", 4, -1), ("+2WE", 2, 2), ("3th", 3, 3),
    ("53SU", 6, 53), ("-53SA", 5, -53), (" 1MO ", 0, 1),
])
def test_weekday_parse(text, day, n):
    value = Weekday.parse(text)
    assert (value.day, value.n) == (day, n)
    assert Weekday.parse(str(value)) == value


@pytest.mark.parametrize("text", ["", "XX", "0MO", "+MO", "54MO", "1 MO", "MON", "-FR"])
def test_weekday_parse_errors(text):
    with pytest.raises(ParseError):
        Weekday.parse(text)


def test_weekday_behaviour():
    assert FR(-1) == Weekday(4, -1)
    assert str(FR(-1)) == "-1FR" and repr(FR(-1)) == "FR(-1)"
    assert FR(-1).plain() == FR
    assert len({MO, MO(None), MO(1)}) == 2
    assert sorted([SU, TU, MO]) == [MO, TU, SU]
    assert MO.matches(dt.date(2024, 6, 10))
    assert WEEKDAYS[6].name == "Sunday"
    with pytest.raises(AttributeError):
        MO.n = 3
    with pytest.raises(ValueError):
        Weekday(7)
    with pytest.raises(ValueError):
        Weekday(0, 0)


@pytest.mark.parametrize("name,coarser", [("yearly", True), ("DAILY", False), ("Secondly", False)])
def test_frequency(name, coarser):
    freq = Frequency.parse(name)
    assert freq.coarser_than(Frequency.WEEKLY) == coarser
    assert freq.name == name.upper()


def test_frequency_errors_and_nouns():
    with pytest.raises(ParseError):
        Frequency.parse("FORTNIGHTLY")
    assert [f.noun for f in Frequency][:3] == ["year", "month", "week"]
    assert Frequency.HOURLY.is_time_based and not Frequency.DAILY.is_time_based


@pytest.mark.parametrize("text,expected", [
    ("20240115", (2024, 1, 15)), ("2024-01-15", (2024, 1, 15)), ("20240229", (2024, 2, 29)),
    ("00010101", (1, 1, 1)),
])
def test_parse_date(text, expected):
    assert parse_date(text) == dt.date(*expected)


@pytest.mark.parametrize("text", ["2023-02-29", "20241301", "2024115", "2024-01-15T10", "abc", ""])
def test_parse_date_errors(text):
    with pytest.raises(ParseError):
        parse_date(text)


@pytest.mark.parametrize("text,expected", [
    ("20240115T093000", dt.datetime(2024, 1, 15, 9, 30)),
    ("20240115T0930", dt.datetime(2024, 1, 15, 9, 30)),
    ("2024-01-15T09:30:15Z", dt.datetime(2024, 1, 15, 9, 30, 15, tzinfo=UTC)),
    ("20240115T093000+0100", dt.datetime(2024, 1, 15, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
    ("20240115T093000-05:30", dt.datetime(2024, 1, 15, 9, 30, tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30)))),
    ("20240115T093000.25", dt.datetime(2024, 1, 15, 9, 30, 0, 250000)),
    ("20240115T235959.000001Z", dt.datetime(2024, 1, 15, 23, 59, 59, 1, tzinfo=UTC)),
])
def test_parse_datetime(text, expected):
    value = parse_datetime(text)
    assert value == expected
    assert value.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", [
    "20240115T250000", "20240115T096000", "20240115T093060", "20240115", "20240115T", "20240115T093000-0000",
    "20240115T093000+2400",
])
def test_parse_datetime_errors(text):
    with pytest.raises(ParseError):
        parse_datetime(text)


def test_parse_datetime_with_default_zone():
    zone = dt.timezone(dt.timedelta(hours=2))
    assert parse_datetime("20240101T120000", zone).tzinfo is zone
    assert parse_datetime("20240101T120000Z", zone).tzinfo is UTC
    assert isinstance(parse_date_or_datetime("20240101t120000"), dt.datetime)
    assert not isinstance(parse_date_or_datetime("20240101"), dt.datetime)


@pytest.mark.parametrize("value,kwargs,expected", [
    (dt.datetime(2024, 1, 5, 7, 8, 9), {}, "20240105T070809"),
    (dt.datetime(2024, 1, 5, 7, 8, 9, tzinfo=UTC), {}, "20240105T070809Z"),
    (dt.datetime(2024, 1, 5, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-8))), {}, "20240105T070809-0800"),
    (dt.datetime(2024, 1, 5, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-8))), {"utc": True}, "20240105T150809Z"),
    (dt.datetime(2024, 1, 5, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-8))), {"utc": False}, "20240105T070809"),
    (dt.datetime(2024, 1, 5, 7, 8, 9, 500000), {}, "20240105T070809.5"),
])
def test_format_datetime(value, kwargs, expected):
    assert format_datetime(value, **kwargs) == expected


def test_format_date_round_trip():
    for offset in range(0, 800, 37):
        day = dt.date(1999, 12, 1) + dt.timedelta(days=offset)
        assert parse_date(format_date(day)) == day


@pytest.mark.parametrize("text,minutes", [
    ("Z", 0), ("+0530", 330), ("-08:00", -480), ("+01", 60), ("+2359", 1439),
])
def test_utc_offsets(text, minutes):
    zone = parse_utc_offset(text)
    offset = zone.utcoffset(None)
    assert offset == dt.timedelta(minutes=minutes)
    assert parse_utc_offset(format_utc_offset(offset)).utcoffset(None) == offset


@pytest.mark.parametrize("text", ["0530", "+5", "+0560", "-0000", "+2400", "+053015"])
def test_utc_offset_errors(text):
    with pytest.raises(ParseError):
        parse_utc_offset(text)


@pytest.mark.parametrize("text,days,seconds", [
    ("P1W", 7, 0), ("P2D", 2, 0), ("PT1H", 0, 3600), ("PT15M", 0, 900), ("-PT15M", 0, -900),
    ("P1DT2H3M4S", 1, 7384), ("+P3D", 3, 0), ("PT0S", 0, 0), ("p1dt1h", 1, 3600), ("PT36H", 0, 129600),
])
def test_parse_duration(text, days, seconds):
    duration = parse_duration(text)
    assert (duration.days, duration.seconds) == (days, seconds)


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "1D", "P1W2D", "P1.5D", "PT1H1D", "-P", "P-1D"])
def test_parse_duration_errors(text):
    with pytest.raises(ParseError):
        parse_duration(text)


@pytest.mark.parametrize("duration,text", [
    (Duration(14, 0), "P2W"), (Duration(3, 0), "P3D"), (Duration(0, 5400), "PT1H30M"),
    (Duration(0, 0), "PT0S"), (Duration(-1, -60), "-P1DT1M"), (Duration(0, 86400 + 1), "P1DT1S"),
    (Duration(1, 3600), "P1DT1H"),
])
def test_format_duration(duration, text):
    assert format_duration(duration) == text
    assert parse_duration(text).total_seconds == duration.total_seconds


def test_duration_arithmetic():
    hour = Duration.of(hours=1)
    assert hour + hour == Duration(0, 7200)
    assert Duration(1, 0) - hour == Duration(0, 82800)
    assert hour * 3 == Duration(0, 10800) and 2 * hour == Duration(0, 7200)
    assert -hour == Duration(0, -3600) and abs(-hour) == hour
    assert hour + dt.datetime(2024, 1, 1) == dt.datetime(2024, 1, 1, 1)
    assert Duration(2, 0) + dt.date(2024, 2, 28) == dt.date(2024, 3, 1)
    assert dt.datetime(2024, 1, 1) - hour == dt.datetime(2023, 12, 31, 23)
    with pytest.raises(TypeError):
        hour + dt.date(2024, 1, 1)
    with pytest.raises(ValueError):
        Duration(1, -5)
    assert Duration.from_timedelta(dt.timedelta(days=-1, hours=2)) == Duration(0, -79200)
    assert str(Duration.of(weeks=1)) == "P1W"


def test_period():
    start = dt.datetime(2024, 1, 1, 9)
    period = Period.from_duration(start, parse_duration("PT2H"))
    assert period.end == dt.datetime(2024, 1, 1, 11)
    assert dt.datetime(2024, 1, 1, 10) in period and period.end not in period
    other = Period(dt.datetime(2024, 1, 1, 11), dt.datetime(2024, 1, 1, 12))
    assert not period.overlaps(other)
    assert period.union(other) == Period(start, dt.datetime(2024, 1, 1, 12))
    assert period.intersection(other) is None
    assert period.to_ical(use_duration=True) == "20240101T090000/PT2H"
    assert period.shift(dt.timedelta(days=1)).start == dt.datetime(2024, 1, 2, 9)
    with pytest.raises(ValueError):
        Period(start, start - dt.timedelta(seconds=1))


@pytest.mark.parametrize("text,hours", [
    ("20240101T090000/20240101T103000", 1.5), ("20240101T090000/PT45M", 0.75),
    ("20240101T090000Z/P1D", 24),
])
def test_parse_period(text, hours):
    assert parse_period(text).duration == dt.timedelta(hours=hours)


@pytest.mark.parametrize("text", ["20240101T090000", "20240101T090000/20231231T000000", "a/b/c", "20240101T090000/-PT1H"])
def test_parse_period_errors(text):
    with pytest.raises(ParseError):
        parse_period(text)


@pytest.mark.parametrize("intervals,expected", [
    ([(1, 3), (2, 4)], [(1, 4)]),
    ([(5, 6), (1, 2)], [(1, 2), (5, 6)]),
    ([(1, 2), (2, 3)], [(1, 3)]),
    ([(1, 10), (2, 3), (4, 5)], [(1, 10)]),
    ([], []),
    ([(3, 3)], [(3, 3)]),
])
def test_merge_intervals(intervals, expected):
    assert merge_intervals(intervals) == expected


@pytest.mark.parametrize("holes,expected", [
    ([], [(0, 10)]),
    ([(2, 4)], [(0, 2), (4, 10)]),
    ([(-5, 3), (8, 20)], [(3, 8)]),
    ([(0, 10)], []),
    ([(4, 5), (1, 2), (4, 6)], [(0, 1), (2, 4), (6, 10)]),
    ([(11, 12)], [(0, 10)]),
])
def test_subtract_intervals(holes, expected):
    assert subtract_intervals((0, 10), holes) == expected


def test_total_length():
    base = dt.datetime(2024, 1, 1)
    hours = [(base, base + dt.timedelta(hours=2)), (base + dt.timedelta(hours=1), base + dt.timedelta(hours=3))]
    assert total_length(hours) == dt.timedelta(hours=3)
    with pytest.raises(ValueError):
        merge_intervals([(2, 1)])
