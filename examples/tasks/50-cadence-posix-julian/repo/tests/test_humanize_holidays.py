import datetime as dt

import pytest

from cadence.holidays import Holiday, HolidayCalendar, fixed, uk_england, us_federal
from cadence.humanize import (
    describe, describe_duration, format_time, join_words, ordinal, plural, relative_day,
)
from cadence.recurrence import Duration, parse_rrule

START = dt.datetime(2024, 1, 1, 9, 30)


@pytest.mark.parametrize("n,text", [
    (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
    (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th"), (-1, "last"), (-2, "2nd to last"),
])
def test_ordinal(n, text):
    assert ordinal(n) == text


@pytest.mark.parametrize("words,text", [
    ([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c"),
])
def test_join_words(words, text):
    assert join_words(words) == text


@pytest.mark.parametrize("args,text", [
    ((9, 5), "09:05"), ((0, 0, 0, 12), "12:00 AM"), ((12, 30, 0, 12), "12:30 PM"), ((23, 59, 1, 12), "11:59:01 PM"),
])
def test_format_time(args, text):
    assert format_time(*args) == text


@pytest.mark.parametrize("text,expected", [
    ("FREQ=DAILY", "every day at 09:30"),
    ("FREQ=DAILY;INTERVAL=2", "every other day at 09:30"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=4", "every other week on Monday and Wednesday at 09:30, 4 times"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every week on weekdays at 09:30"),
    ("FREQ=WEEKLY;BYDAY=SA,SU;COUNT=1", "every week on weekends at 09:30, once"),
    ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=2", "every month on the last Friday at 09:30, twice"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,-1", "every month on the last day and the 1st at 09:30"),
    ("FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=-2", "every year in January and July on the 2nd to last day at 09:30"),
    ("FREQ=YEARLY;INTERVAL=3;BYWEEKNO=20;BYDAY=MO", "every 3 years in week 20 on Monday at 09:30"),
    ("FREQ=HOURLY;INTERVAL=4;UNTIL=20240301T000000", "every 4 hours, until March 1, 2024"),
    ("FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0", "every day at 08:00 and 20:00"),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "every month on weekdays (last match of each month) at 09:30"),
])
def test_describe(text, expected):
    assert describe(parse_rrule(text, dtstart=START)) == expected


def test_describe_twelve_hour_clock_and_dates():
    assert describe(parse_rrule("FREQ=DAILY", dtstart=START), clock=12) == "every day at 9:30 AM"
    assert describe(parse_rrule("FREQ=YEARLY", dtstart=dt.date(2024, 3, 1))) == "every year"


@pytest.mark.parametrize("value,text", [
    (Duration(0, 5400), "1 hour 30 minutes"), (Duration(14, 0), "2 weeks"), (Duration(3, 14400), "3 days 4 hours"),
    (Duration(0, 0), "no time"), (Duration(0, -61), "minus 1 minute 1 second"), (dt.timedelta(days=1), "1 day"),
])
def test_describe_duration(value, text):
    assert describe_duration(value) == text


def test_plural_and_relative_days():
    assert plural(1, "week") == "one week" and plural(12, "day") == "12 days"
    today = dt.date(2024, 6, 12)
    assert relative_day(today, today) == "today"
    assert relative_day(dt.date(2024, 6, 13), today) == "tomorrow"
    assert relative_day(dt.date(2024, 6, 11), today) == "yesterday"
    assert relative_day(dt.date(2024, 6, 15), today) == "on Saturday"
    assert relative_day(dt.date(2024, 6, 8), today) == "last Saturday"
    assert relative_day(dt.date(2024, 7, 1), today) == "on July 1, 2024"


@pytest.mark.parametrize("year,expected", [
    (2021, [(1, 1), (1, 18), (2, 15), (5, 31), (6, 18), (7, 5), (9, 6), (10, 11), (11, 11), (11, 25), (12, 24)]),
    (2023, [(1, 2), (1, 16), (2, 20), (5, 29), (6, 19), (7, 4), (9, 4), (10, 9), (11, 10), (11, 23), (12, 25)]),
    (2020, [(1, 1), (1, 20), (2, 17), (5, 25), (7, 3), (9, 7), (10, 12), (11, 11), (11, 26), (12, 25)]),
])
def test_us_federal(year, expected):
    assert list(us_federal().holidays(year)) == [dt.date(year, *md) for md in expected]


@pytest.mark.parametrize("year,expected", [
    (2021, [(1, 1), (4, 2), (4, 5), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)]),
    (2022, [(1, 3), (4, 15), (4, 18), (5, 2), (5, 30), (8, 29), (12, 26), (12, 27)]),
    (2024, [(1, 1), (3, 29), (4, 1), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
])
def test_uk_england(year, expected):
    assert list(uk_england().holidays(year)) == [dt.date(year, *md) for md in expected]


def test_holiday_observed_in_previous_year():
    calendar = us_federal()
    assert calendar.is_holiday(dt.date(2021, 12, 31))
    assert calendar.name_of(dt.date(2021, 12, 31)) == "New Year's Day"


@pytest.mark.parametrize("start,count,expected", [
    ((2024, 12, 23), 1, (2024, 12, 24)),
    ((2024, 12, 24), 1, (2024, 12, 27)),
    ((2024, 12, 27), 1, (2024, 12, 30)),
    ((2024, 12, 30), 2, (2025, 1, 2)),
    ((2024, 12, 27), -1, (2024, 12, 24)),
    ((2024, 12, 28), 0, (2024, 12, 30)),
    ((2024, 12, 20), 5, (2024, 12, 31)),
])
def test_add_business_days(start, count, expected):
    assert uk_england().add_business_days(dt.date(*start), count) == dt.date(*expected)


def test_business_day_counts():
    calendar = uk_england()
    assert calendar.business_days_between(dt.date(2024, 12, 1), dt.date(2025, 1, 1)) == 20
    assert calendar.business_days_between(dt.date(2025, 1, 1), dt.date(2024, 12, 1)) == -20
    assert calendar.nth_business_day(2024, 12, -1) == dt.date(2024, 12, 31)
    assert calendar.nth_business_day(2024, 4, 1) == dt.date(2024, 4, 2)
    with pytest.raises(ValueError):
        calendar.nth_business_day(2024, 4, 30)
    assert calendar.previous_business_day(dt.date(2024, 4, 2)) == dt.date(2024, 3, 28)


def test_custom_calendar():
    calendar = HolidayCalendar([Holiday("Leap", fixed(2, 29))], weekend=(4, 5), extra=[dt.date(2024, 3, 3)])
    assert calendar.holidays(2023) == {}
    assert calendar.holidays(2024) == {dt.date(2024, 2, 29): "Leap", dt.date(2024, 3, 3): "extra holiday"}
    assert not calendar.is_business_day(dt.date(2024, 3, 1))  # Friday is a weekend day here
    assert calendar.is_business_day(dt.date(2024, 3, 3)) is False
    calendar.add(Holiday("Founders", fixed(3, 4)))
    assert calendar.name_of(dt.date(2024, 3, 4)) == "Founders"
    with pytest.raises(ValueError):
        HolidayCalendar(weekend=range(7))
