import datetime as dt

import pytest

from cadence.recurrence import (
    ExpansionLimitError, OccurrenceCache, RecurrenceSet, RuleError, infer_rule, parse_rrule,
    set_from_dict, set_to_dict,
)

START = dt.datetime(2024, 1, 1, 9)


def day(n, hour=9):
    return dt.datetime(2024, 1, n, hour)


def test_union_without_duplicates():
    rset = RecurrenceSet(START)
    rset.rrule("FREQ=DAILY;INTERVAL=2;COUNT=5").rrule("FREQ=DAILY;INTERVAL=3;COUNT=4")
    assert [d.day for d in rset] == [1, 3, 4, 5, 7, 9, 10]


def test_exclusions():
    rset = RecurrenceSet(START).rrule("FREQ=DAILY;COUNT=10").exrule("FREQ=WEEKLY;BYDAY=SA,SU").exdate(day(3))
    assert [d.day for d in rset] == [1, 2, 4, 5, 8, 9, 10]
    assert day(3) not in rset and day(4) in rset
    assert rset.after(day(5)) == day(8)
    assert rset.before(day(8)) == day(5)
    assert rset.before(day(8), inclusive=True) == day(8)
    assert rset.between(day(1), day(9)) == [day(2), day(4), day(5), day(8)]


def test_rdates_and_dtstart():
    rset = RecurrenceSet(START, include_dtstart=True).rdate(day(20), day(5), day(5))
    assert rset.occurrences() == [START, day(5), day(20)]
    assert RecurrenceSet(START).rdate(day(5)).occurrences() == [day(5)]


def test_mixed_date_kinds():
    rset = RecurrenceSet(START).rrule("FREQ=DAILY;COUNT=2").rdate(dt.date(2024, 1, 10)).exdate(dt.date(2024, 1, 2))
    # a plain date compares as midnight: it adds a midnight occurrence and excludes none here
    assert rset.occurrences() == [START, day(2), dt.datetime(2024, 1, 10)]


def test_set_without_start():
    with pytest.raises(RuleError):
        RecurrenceSet().rrule("FREQ=DAILY")
    rset = RecurrenceSet().rdate(day(3), day(1))
    assert rset.occurrences() == [day(1), day(3)]
    with pytest.raises(RuleError):
        list(RecurrenceSet())


def test_infinite_set_needs_limit():
    rset = RecurrenceSet(START).rrule("FREQ=DAILY")
    with pytest.raises(ExpansionLimitError):
        rset.occurrences()
    assert len(rset.occurrences(limit=3)) == 3
    assert not rset.is_finite


def test_text_and_dict_round_trip():
    rset = RecurrenceSet(START, include_dtstart=True).rrule("FREQ=WEEKLY;COUNT=4").exdate(day(8)).rdate(day(2))
    assert str(rset).splitlines() == [
        "DTSTART:20240101T090000", "RRULE:FREQ=WEEKLY;COUNT=4", "RDATE:20240102T090000", "EXDATE:20240108T090000",
    ]
    again = set_from_dict(set_to_dict(rset))
    assert again.occurrences() == rset.occurrences()
    dates = RecurrenceSet(dt.date(2024, 1, 1)).rdate(dt.date(2024, 1, 2))
    assert dates.to_lines()[1] == "RDATE;VALUE=DATE:20240102"


def test_cache():
    rule = parse_rrule("FREQ=DAILY", dtstart=START)
    cache = OccurrenceCache(rule)
    assert cache[4] == day(5)
    assert len(cache) == 5
    assert cache.between(day(2), day(6)) == [day(3), day(4), day(5)]
    assert cache.between(day(2), day(6), inclusive=True) == [day(2), day(3), day(4), day(5), day(6)]
    assert cache.after(day(10)) == day(11)
    assert cache.after(day(10), inclusive=True) == day(10)
    assert cache.before(day(10)) == day(9)
    assert cache.before(dt.datetime(2024, 1, 10, 12)) == day(10)
    assert cache.count_until(day(31)) == 31
    assert not cache.exhausted
    with pytest.raises(IndexError):
        cache[-1]


def test_cache_of_finite_set():
    cache = OccurrenceCache(RecurrenceSet(START).rrule("FREQ=DAILY;COUNT=3"))
    assert cache.after(day(5)) is None
    assert cache.exhausted
    assert cache.before(day(5)) == day(3)
    with pytest.raises(IndexError):
        cache[10]


@pytest.mark.parametrize("dates,expected", [
    ([dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15)], "FREQ=WEEKLY;COUNT=3"),
    ([dt.date(2024, 1, 1), dt.date(2024, 1, 4), dt.date(2024, 1, 7)], "FREQ=DAILY;INTERVAL=3;COUNT=3"),
    ([dt.date(2024, 1, 15), dt.date(2024, 3, 15), dt.date(2024, 5, 15)], "FREQ=MONTHLY;INTERVAL=2;COUNT=3"),
    ([dt.date(2024, 1, 9), dt.date(2024, 2, 13), dt.date(2024, 3, 12)], "FREQ=MONTHLY;COUNT=3;BYDAY=2TU"),
    ([dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)], "FREQ=MONTHLY;COUNT=3;BYMONTHDAY=-1"),
    ([dt.date(2024, 1, 26), dt.date(2024, 2, 23), dt.date(2024, 3, 29)], "FREQ=MONTHLY;COUNT=3;BYDAY=-1FR"),
    ([dt.date(2020, 6, 1), dt.date(2022, 6, 1)], "FREQ=YEARLY;INTERVAL=2;COUNT=2"),
    ([dt.datetime(2024, 1, 1, 9), dt.datetime(2024, 1, 1, 9, 45)], "FREQ=MINUTELY;INTERVAL=45;COUNT=2"),
    ([dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 9)], None),
    ([dt.date(2024, 1, 1)], None),
    ([dt.date(2024, 1, 2), dt.date(2024, 1, 1)], None),
])
def test_infer_rule(dates, expected):
    rule = infer_rule(dates)
    assert (rule.to_string() if rule else None) == expected
    if rule:
        assert rule.occurrences() == dates
