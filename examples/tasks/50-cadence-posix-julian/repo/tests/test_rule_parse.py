import datetime as dt

import pytest

from cadence.recurrence import (
    FR, MO, TU, WE, Frequency, ParseError, RecurrenceRule, RuleBuilder, RuleError,
    parse_rrule, rule_from_dict, rule_to_dict, rules_agree, simplify_rule,
)

START = dt.datetime(2024, 1, 1, 9, 0)


@pytest.mark.parametrize("text", [
    "FREQ=DAILY",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR",
    "FREQ=MONTHLY;COUNT=10;BYDAY=-1FR",
    "FREQ=MONTHLY;BYMONTHDAY=-3,1,15",
    "FREQ=YEARLY;BYMONTH=1,7;BYDAY=1MO",
    "FREQ=YEARLY;BYWEEKNO=-1,1;BYDAY=TH;WKST=SU",
    "FREQ=YEARLY;BYYEARDAY=-1,100,200",
    "FREQ=HOURLY;INTERVAL=3;BYHOUR=9,12,15",
    "FREQ=MINUTELY;INTERVAL=15;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9,10",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=SECONDLY;COUNT=5;BYSECOND=0,30",
    "FREQ=DAILY;UNTIL=20241231",
    "FREQ=DAILY;UNTIL=20241231T235959Z",
    "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYMONTHDAY=2,3,4,5,6,7,8;BYDAY=TU",
])
def test_round_trip(text):
    rule = parse_rrule(text)
    assert rule.to_string() == text
    assert parse_rrule(str(rule)) == rule


@pytest.mark.parametrize("text,canonical", [
    ("rrule:freq=daily;count=3", "FREQ=DAILY;COUNT=3"),
    ("BYDAY=fr,mo;FREQ=WEEKLY", "FREQ=WEEKLY;BYDAY=MO,FR"),
    ("FREQ=MONTHLY;BYMONTHDAY=15,1,15", "FREQ=MONTHLY;BYMONTHDAY=1,15"),
    ("FREQ=WEEKLY;INTERVAL=1;WKST=MO", "FREQ=WEEKLY"),
    ("FREQ=DAILY;COUNT=2;", "FREQ=DAILY;COUNT=2"),
    ("FREQ=YEARLY;BYSETPOS=1;BYMONTH=3,1", "FREQ=YEARLY;BYMONTH=1,3;BYSETPOS=1"),
    (" FREQ = HOURLY ; BYMINUTE = 5 ", "FREQ=HOURLY;BYMINUTE=5"),
])
def test_canonical_form(text, canonical):
    assert parse_rrule(text).to_string() == canonical


@pytest.mark.parametrize("text", [
    "", "RRULE:", "COUNT=3", "FREQ=DAILY;FREQ=WEEKLY", "FREQ=DAILY;COUNT", "FREQ=DAILY;COUNT=",
    "FREQ=DAILY;COUNT=-1", "FREQ=DAILY;INTERVAL=x", "FREQ=DAILY;BYHOUR=a", "FREQ=DAILY;FOO=1",
    "FREQ=NEVER", "FREQ=DAILY;;COUNT=2", "FREQ=WEEKLY;BYDAY=XX", "FREQ=WEEKLY;WKST=1MO",
    "FREQ=DAILY;UNTIL=2024", "FREQ=DAILY;BYHOUR=1.5",
])
def test_parse_errors(text):
    with pytest.raises(ParseError):
        parse_rrule(text)


@pytest.mark.parametrize("text", [
    "FREQ=DAILY;INTERVAL=0",
    "FREQ=DAILY;COUNT=0",
    "FREQ=DAILY;COUNT=3;UNTIL=20240101",
    "FREQ=MONTHLY;BYWEEKNO=3",
    "FREQ=DAILY;BYYEARDAY=3",
    "FREQ=WEEKLY;BYMONTHDAY=3",
    "FREQ=WEEKLY;BYDAY=1MO",
    "FREQ=DAILY;BYDAY=-1FR",
    "FREQ=YEARLY;BYWEEKNO=3;BYDAY=1MO",
    "FREQ=MONTHLY;BYDAY=6MO",
    "FREQ=YEARLY;BYMONTH=2;BYDAY=-6MO",
    "FREQ=DAILY;BYSETPOS=1",
    "FREQ=DAILY;BYHOUR=24",
    "FREQ=DAILY;BYMINUTE=60",
    "FREQ=DAILY;BYSECOND=60",
    "FREQ=MONTHLY;BYMONTHDAY=0",
    "FREQ=MONTHLY;BYMONTHDAY=32",
    "FREQ=YEARLY;BYYEARDAY=367",
    "FREQ=YEARLY;BYWEEKNO=54",
    "FREQ=YEARLY;BYMONTH=13",
    "FREQ=YEARLY;BYMONTH=-1",
    "FREQ=YEARLY;BYMONTH=1;BYSETPOS=0",
])
def test_rule_errors(text):
    with pytest.raises(RuleError):
        parse_rrule(text)


def test_errors_are_value_errors():
    assert issubclass(RuleError, ValueError) and issubclass(ParseError, ValueError)


@pytest.mark.parametrize("text", [
    "FREQ=HOURLY", "FREQ=MINUTELY", "FREQ=DAILY;BYHOUR=9", "FREQ=WEEKLY;BYMINUTE=5",
])
def test_date_start_forbids_times(text):
    with pytest.raises(RuleError):
        parse_rrule(text, dtstart=dt.date(2024, 1, 1))


def test_until_is_coerced_to_the_start_kind():
    assert parse_rrule("FREQ=DAILY;UNTIL=20240105T120000", dtstart=dt.date(2024, 1, 1)).until == dt.date(2024, 1, 5)
    rule = parse_rrule("FREQ=DAILY;UNTIL=20240105", dtstart=START)
    assert rule.until == dt.datetime(2024, 1, 5, 23, 59, 59)
    aware = START.replace(tzinfo=dt.timezone.utc)
    assert parse_rrule("FREQ=DAILY;UNTIL=20240105T000000", dtstart=aware).until.tzinfo is not None
    assert parse_rrule("FREQ=DAILY;UNTIL=20240105T000000Z", dtstart=START).until.tzinfo is None


def test_constructor_normalizes():
    rule = RecurrenceRule("weekly", byday=["fr", MO, 2], bymonth=5, wkst="SU")
    assert rule.freq is Frequency.WEEKLY
    assert rule.byday == (MO, WE, FR)
    assert rule.bymonth == (5,)
    assert rule.wkst == 6
    with pytest.raises(RuleError):
        RecurrenceRule(Frequency.DAILY, byhour=[True])
    with pytest.raises(RuleError):
        RecurrenceRule(Frequency.DAILY, byday=[1.5])
    with pytest.raises(RuleError):
        RecurrenceRule(Frequency.DAILY, wkst=9)
    with pytest.raises(RuleError):
        RecurrenceRule(42)


def test_replace():
    rule = parse_rrule("FREQ=DAILY;COUNT=5", dtstart=START)
    assert rule.replace(until=dt.datetime(2024, 2, 1)).count is None
    assert rule.replace(interval=2).to_string() == "FREQ=DAILY;INTERVAL=2;COUNT=5"
    with pytest.raises(TypeError):
        rule.replace(colour="red")
    with pytest.raises(RuleError):
        rule.replace(interval=0)
    with pytest.raises(Exception):
        rule.count = 3


def test_to_string_with_dtstart():
    rule = parse_rrule("FREQ=DAILY;COUNT=2", dtstart=START)
    assert rule.to_string(include_dtstart=True) == "DTSTART:20240101T090000\nRRULE:FREQ=DAILY;COUNT=2"
    aware = parse_rrule("FREQ=DAILY;UNTIL=20240301T100000+0100",
                        dtstart=START.replace(tzinfo=dt.timezone(dt.timedelta(hours=1))))
    assert aware.to_string() == "FREQ=DAILY;UNTIL=20240301T090000Z"


def test_rule_without_start_cannot_expand():
    rule = parse_rrule("FREQ=DAILY")
    with pytest.raises(RuleError):
        list(rule)
    with pytest.raises(RuleError):
        rule.after(START)


def test_builder():
    rule = (RuleBuilder("monthly").every(3).on(FR(-1)).at(17, 30).starting(START).until(dt.date(2025, 1, 1)).build())
    assert rule.to_string() == "FREQ=MONTHLY;INTERVAL=3;UNTIL=20250101T235959;BYDAY=-1FR;BYHOUR=17;BYMINUTE=30"
    built = RuleBuilder(Frequency.YEARLY).in_months(1, 7).on_month_days(1).times(4).starting(START).build()
    assert built.count == 4 and built.bymonth == (1, 7)
    assert RuleBuilder("yearly").in_weeks(20).on("MO").week_starts("SU").build().wkst == 6
    assert RuleBuilder("yearly").on_year_days(1, -1).nth(1).build().bysetpos == (1,)
    assert RuleBuilder("daily").at([8, 20], [0, 30], 15).build().bysecond == (15,)


@pytest.mark.parametrize("text", [
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;COUNT=5",
    "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20250101T000000",
    "FREQ=YEARLY;BYWEEKNO=5;BYDAY=MO;WKST=SU",
])
def test_dict_round_trip(text):
    rule = parse_rrule(text, dtstart=START)
    data = rule_to_dict(rule)
    assert data["freq"] == rule.freq.name
    assert rule_from_dict(data) == rule


def test_dict_errors():
    with pytest.raises(RuleError):
        rule_from_dict({"freq": "DAILY", "colour": "red"})
    with pytest.raises(RuleError):
        rule_from_dict({"count": 3})


@pytest.mark.parametrize("text,simpler", [
    ("FREQ=DAILY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12", "FREQ=DAILY"),
    ("FREQ=DAILY;BYHOUR=9;BYMINUTE=0", "FREQ=DAILY"),
    ("FREQ=DAILY;BYHOUR=10", "FREQ=DAILY;BYHOUR=10"),
    ("FREQ=MONTHLY;WKST=SU", "FREQ=MONTHLY"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;WKST=SU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;WKST=SU"),
    ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR,SA,SU", "FREQ=DAILY"),
    ("FREQ=HOURLY;BYMINUTE=0", "FREQ=HOURLY"),
])
def test_simplify(text, simpler):
    rule = parse_rrule(text, dtstart=START)
    result = simplify_rule(rule)
    assert result.to_string() == simpler
    assert rules_agree(rule, result, limit=200)
