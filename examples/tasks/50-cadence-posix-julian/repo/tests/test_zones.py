import datetime as dt

import pytest

from cadence.recurrence import ParseError, PosixZone, TransitionRule

UTC = dt.timezone.utc
NEW_YORK = "EST5EDT,M3.2.0,M11.1.0"
BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"
SYDNEY = "AEST-10AEDT,M10.1.0,M4.1.0/3"


@pytest.mark.parametrize("spec,std,dst,std_hours,dst_hours", [
    (NEW_YORK, "EST", "EDT", -5, -4),
    (BERLIN, "CET", "CEST", 1, 2),
    (SYDNEY, "AEST", "AEDT", 10, 11),
    ("<+0530>-5:30", "+0530", None, 5.5, None),
    ("UTC0", "UTC", None, 0, None),
    ("<-03>3", "-03", None, -3, None),
    ("PST8PDT", "PST", "PDT", -8, -7),
    ("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "+1030", "+11", 10.5, 11),
])
def test_parse(spec, std, dst, std_hours, dst_hours):
    zone = PosixZone(spec)
    assert zone.std_name == std and zone.dst_name == dst
    assert zone.std_offset == dt.timedelta(hours=std_hours)
    if dst_hours is None:
        assert not zone.has_dst and zone.transitions(2024) is None
    else:
        assert zone.dst_offset == dt.timedelta(hours=dst_hours)


@pytest.mark.parametrize("spec", [
    "", "E5", "EST", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
    "EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J100", "EST5EDT,366,10", "EST5 extra", "<AB>5", "EST25",
    "EST5EDT,M3.2.0/200,M11.1.0",
])
def test_parse_errors(spec):
    with pytest.raises(ParseError):
        PosixZone(spec)


@pytest.mark.parametrize("spec,year,start,end", [
    (NEW_YORK, 2024, (2024, 3, 10, 7), (2024, 11, 3, 6)),
    (NEW_YORK, 2025, (2025, 3, 9, 7), (2025, 11, 2, 6)),
    (BERLIN, 2024, (2024, 3, 31, 1), (2024, 10, 27, 1)),
    (BERLIN, 2023, (2023, 3, 26, 1), (2023, 10, 29, 1)),
    (SYDNEY, 2024, (2024, 10, 5, 16), (2024, 4, 6, 16)),
    ("PST8PDT", 2024, (2024, 3, 10, 10), (2024, 11, 3, 9)),
])
def test_transitions_utc(spec, year, start, end):
    got = PosixZone(spec).transitions_utc(year)
    assert got == (dt.datetime(*start, tzinfo=UTC), dt.datetime(*end, tzinfo=UTC))


@pytest.mark.parametrize("spec,utc,local,name", [
    (NEW_YORK, (2024, 1, 15, 12), (2024, 1, 15, 7), "EST"),
    (NEW_YORK, (2024, 7, 4, 16), (2024, 7, 4, 12), "EDT"),
    (NEW_YORK, (2024, 3, 10, 6, 59), (2024, 3, 10, 1, 59), "EST"),
    (NEW_YORK, (2024, 3, 10, 7), (2024, 3, 10, 3), "EDT"),
    (BERLIN, (2024, 6, 1, 10), (2024, 6, 1, 12), "CEST"),
    (BERLIN, (2024, 12, 1, 10), (2024, 12, 1, 11), "CET"),
    (SYDNEY, (2024, 1, 1, 0), (2024, 1, 1, 11), "AEDT"),
    (SYDNEY, (2024, 7, 1, 0), (2024, 7, 1, 10), "AEST"),
])
def test_from_utc(spec, utc, local, name):
    zone = PosixZone(spec)
    moment = dt.datetime(*utc, tzinfo=UTC).astimezone(zone)
    assert moment.replace(tzinfo=None) == dt.datetime(*local)
    assert moment.tzname() == name


def test_ambiguous_hour_uses_fold():
    zone = PosixZone(NEW_YORK)
    first = dt.datetime(2024, 11, 3, 5, 30, tzinfo=UTC).astimezone(zone)
    second = dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC).astimezone(zone)
    assert first.replace(tzinfo=None) == second.replace(tzinfo=None) == dt.datetime(2024, 11, 3, 1, 30)
    assert (first.fold, second.fold) == (0, 1)
    assert first.utcoffset() == dt.timedelta(hours=-4)
    assert second.utcoffset() == dt.timedelta(hours=-5)
    assert second.dst() == dt.timedelta(0) and first.dst() == dt.timedelta(hours=1)


def test_gap_hour():
    zone = PosixZone(NEW_YORK)
    missing = dt.datetime(2024, 3, 10, 2, 30, tzinfo=zone)
    assert missing.utcoffset() == dt.timedelta(hours=-5)
    assert missing.replace(fold=1).utcoffset() == dt.timedelta(hours=-4)


@pytest.mark.parametrize("year,day,expected", [
    (2023, 1, (1, 1)), (2023, 59, (2, 28)), (2023, 60, (3, 1)), (2023, 365, (12, 31)),
    (2024, 1, (1, 1)), (2024, 59, (2, 28)), (2024, 60, (3, 1)), (2024, 61, (3, 2)),
    (2024, 365, (12, 31)), (2000, 60, (3, 1)), (1900, 60, (3, 1)), (2024, 100, (4, 10)),
])
def test_julian_day_rule_skips_leap_day(year, day, expected):
    assert TransitionRule("J", day=day).date_in(year) == dt.date(year, *expected)


@pytest.mark.parametrize("year,day,expected", [
    (2023, 0, (1, 1)), (2023, 59, (3, 1)), (2024, 59, (2, 29)), (2024, 365, (12, 31)), (2024, 60, (3, 1)),
])
def test_zero_based_day_rule_counts_leap_day(year, day, expected):
    assert TransitionRule("N", day=day).date_in(year) == dt.date(year, *expected)


def test_julian_zone_transitions_in_leap_year():
    zone = PosixZone("XST3XDT,J60/2,J300/2")
    start, end = zone.transitions_utc(2024)
    assert start == dt.datetime(2024, 3, 1, 5, tzinfo=UTC)
    assert end == dt.datetime(2024, 10, 27, 4, tzinfo=UTC)
    assert dt.datetime(2024, 2, 29, 12, tzinfo=zone).tzname() == "XST"


def test_julian_zone_transitions_in_common_year():
    zone = PosixZone("XST3XDT,J60/2,J300/2")
    start, end = zone.transitions_utc(2023)
    assert start == dt.datetime(2023, 3, 1, 5, tzinfo=UTC)
    assert end == dt.datetime(2023, 10, 27, 4, tzinfo=UTC)


@pytest.mark.parametrize("rule,text", [
    (TransitionRule("M", month=3, week=2, weekday=0), "M3.2.0"),
    (TransitionRule("J", day=60, seconds=3600), "J60/1"),
    (TransitionRule("N", day=0, seconds=-3600), "0/-1"),
    (TransitionRule("M", month=10, week=5, weekday=0, seconds=3 * 3600 + 1800), "M10.5.0/3:30"),
])
def test_rule_text(rule, text):
    assert str(rule) == text


@pytest.mark.parametrize("spec,canonical", [
    (NEW_YORK, "EST5EDT4,M3.2.0,M11.1.0"),
    ("PST8PDT", "PST8PDT7,M3.2.0,M11.1.0"),
    (BERLIN, "CET-1CEST-2,M3.5.0,M10.5.0/3"),
    ("<+0530>-5:30", "<+0530>-5:30"),
])
def test_canonical(spec, canonical):
    zone = PosixZone(spec)
    assert zone.canonical() == canonical
    assert PosixZone(canonical) == zone
    assert hash(PosixZone(canonical)) == hash(zone)


def test_permanent_daylight_time():
    zone = PosixZone("<-03>3<-02>,0/0,J365/25")
    assert dt.datetime(2024, 6, 1, 12, tzinfo=zone).utcoffset() == dt.timedelta(hours=-2)
    assert dt.datetime(2024, 1, 1, 0, 30, tzinfo=zone).utcoffset() == dt.timedelta(hours=-2)


@pytest.mark.parametrize("spec", [NEW_YORK, BERLIN, SYDNEY, "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"])
def test_utc_round_trip_for_a_year(spec):
    """Slow-ish: every 20 minutes of a year survive UTC -> local -> UTC."""
    zone = PosixZone(spec)
    moment = dt.datetime(2024, 1, 1, tzinfo=UTC)
    step = dt.timedelta(minutes=20)
    for _ in range(366 * 72):
        local = moment.astimezone(zone)
        assert local.astimezone(UTC) == moment
        moment += step
