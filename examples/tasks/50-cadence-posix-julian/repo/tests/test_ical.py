import datetime as dt
import random

import pytest

from cadence.recurrence import (
    Alarm, Calendar, Component, ContentLine, Duration, Event, ParseError, escape_text, fold_line,
    parse_components, parse_recurrence, parse_rrule, split_text_list, unescape_text, unfold_lines,
)

UTC = dt.timezone.utc

SAMPLE = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//test//EN\r\n"
    "X-WR-CALNAME:Team\\, work\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:standup@example.com\r\n"
    "DTSTART:20240101T093000\r\n"
    "DTEND:20240101T094500\r\n"
    "SUMMARY:Stand-up\r\n"
    "DESCRIPTION:Daily sync\\nbring notes\\; be brief\r\n"
    "CATEGORIES:work,meeting\r\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\n"
    "EXDATE:20240103T093000\r\n"
    "X-COLOUR:blue\r\n"
    "BEGIN:VALARM\r\n"
    "ACTION:DISPLAY\r\n"
    "TRIGGER:-PT10M\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:holiday@example.com\r\n"
    "DTSTART;VALUE=DATE:20240101\r\n"
    "SUMMARY:New Year\r\n"
    " 's Day\r\n"
    "RRULE:FREQ=YEARLY\r\n"
    "TRANSP:TRANSPARENT\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VTODO\r\n"
    "UID:todo\r\n"
    "END:VTODO\r\n"
    "END:VCALENDAR\r\n"
)


@pytest.mark.parametrize("text,expected", [
    ("a\r\n b\r\nc", ["ab", "c"]),
    ("a\n\tb\nc\n", ["ab", "c"]),
    ("a\rb", ["a", "b"]),
    ("a\r\n  b", ["a b"]),
    ("", []),
    ("x\r\n\r\n", ["x"]),
])
def test_unfold(text, expected):
    assert unfold_lines(text) == expected


def test_unfold_continuation_first():
    with pytest.raises(ParseError):
        unfold_lines(" oops")


@pytest.mark.parametrize("line", [
    "SUMMARY:" + "x" * 200,
    "DESCRIPTION:" + "é" * 100,
    "DESCRIPTION:" + "日本語のテキスト" * 20,
    "SUMMARY:short",
    "X:" + "a" * 73,
    "X:" + "a" * 74,
    "X:" + "😀" * 50,
])
def test_fold(line):
    folded = fold_line(line)
    for physical in folded.split("\r\n"):
        assert len(physical.encode("utf-8")) <= 75
    assert unfold_lines(folded) == [line]


def test_fold_limit():
    assert fold_line("abcdefghij", limit=6) == "abcdef\r\n ghij"
    with pytest.raises(ValueError):
        fold_line("abc", limit=2)


@pytest.mark.parametrize("raw,escaped", [
    ("a,b", "a\\,b"), ("a;b", "a\\;b"), ("back\\slash", "back\\\\slash"), ("two\nlines", "two\\nlines"),
    ("crlf\r\nline", "crlf\\nline"), ("plain", "plain"),
])
def test_escape(raw, escaped):
    assert escape_text(raw) == escaped
    assert unescape_text(escaped) == raw.replace("\r\n", "\n")


@pytest.mark.parametrize("text", ["bad\\", "bad\\x"])
def test_unescape_errors(text):
    with pytest.raises(ParseError):
        unescape_text(text)


def test_split_text_list():
    assert split_text_list("a,b\\,c,d\\;e") == ["a", "b,c", "d;e"]
    assert unescape_text("A\\NB") == "A\nB"


@pytest.mark.parametrize("line,name,params,value", [
    ("SUMMARY:Hello", "SUMMARY", {}, "Hello"),
    ("dtstart;tzid=UTC:20240101T000000", "DTSTART", {"TZID": ["UTC"]}, "20240101T000000"),
    ('ATTENDEE;MEMBER="mailto:a@x","mailto:b@x";RSVP=TRUE:mailto:c@x', "ATTENDEE",
     {"MEMBER": ["mailto:a@x", "mailto:b@x"], "RSVP": ["TRUE"]}, "mailto:c@x"),
    ('X-A;P="semi;colon:x":v:w', "X-A", {"P": ["semi;colon:x"]}, "v:w"),
    ("DESCRIPTION:", "DESCRIPTION", {}, ""),
])
def test_content_line_parse(line, name, params, value):
    parsed = ContentLine.parse(line)
    assert (parsed.name, parsed.params, parsed.value) == (name, params, value)
    assert ContentLine.parse(parsed.to_line()) == parsed


@pytest.mark.parametrize("line", [
    "NOCOLON", ";X=1:v", "A;B:v", 'A;B="open:v', 'A;B=x"y:v', "A B:v", "A;B=1",
])
def test_content_line_errors(line):
    with pytest.raises(ParseError):
        ContentLine.parse(line)


def test_content_line_dates():
    assert ContentLine.parse("RDATE;VALUE=DATE:20240101,20240105").date_values() == [dt.date(2024, 1, 1), dt.date(2024, 1, 5)]
    value = ContentLine.parse("DTSTART;TZID=+0200:20240101T100000").date_values()[0]
    assert value.utcoffset() == dt.timedelta(hours=2)
    value = ContentLine.parse("DTSTART;TZID=UTC-3:20240101T100000").date_values()[0]
    assert value.utcoffset() == dt.timedelta(hours=-3)
    assert ContentLine.parse("RDATE;VALUE=PERIOD:20240101T100000/PT1H").date_values()[0].hour == 10
    with pytest.raises(ParseError):
        ContentLine.parse("DTSTART;TZID=Europe/Paris:20240101T100000").date_values()
    with pytest.raises(ParseError):
        ContentLine.parse("DTSTART;VALUE=DATE-TIME:20240101").date_values()
    with pytest.raises(ParseError):
        ContentLine.parse("DTSTART;VALUE=BINARY:abc").date_values()


@pytest.mark.parametrize("text", [
    "BEGIN:VCALENDAR\r\n",
    "END:VCALENDAR\r\n",
    "BEGIN:A\r\nEND:B\r\n",
    "SUMMARY:x\r\n",
])
def test_component_errors(text):
    with pytest.raises(ParseError):
        parse_components(text)


def test_components_tree():
    roots = parse_components(SAMPLE)
    assert [root.name for root in roots] == ["VCALENDAR"]
    calendar = roots[0]
    assert [c.name for c in calendar.walk()] == ["VCALENDAR", "VEVENT", "VALARM", "VEVENT", "VTODO"]
    assert len(list(calendar.walk("vevent"))) == 2
    event = calendar.components[0]
    assert event.value("SUMMARY") == "Stand-up"
    assert event.remove("X-COLOUR") == 1 and event.get("X-COLOUR") is None


def test_calendar_from_ical():
    calendar = Calendar.from_ical(SAMPLE)
    assert calendar.name == "Team, work"
    assert len(calendar) == 2
    standup = calendar.get("standup@example.com")
    assert standup.description == "Daily sync\nbring notes; be brief"
    assert standup.categories == ["work", "meeting"]
    assert standup.length() == dt.timedelta(minutes=15)
    assert standup.starts(4) == [dt.datetime(2024, 1, d, 9, 30) for d in (1, 2, 4, 5)]
    assert standup.alarms[0].trigger == Duration(0, -600)
    assert standup.extra[0].name == "X-COLOUR"
    holiday = calendar.get("holiday@example.com")
    assert holiday.summary == "New Year's Day" and holiday.all_day
    assert holiday.transparency == "TRANSPARENT"


def test_calendar_round_trip():
    calendar = Calendar.from_ical(SAMPLE)
    text = calendar.to_ical()
    assert text.endswith("END:VCALENDAR\r\n")
    again = Calendar.from_ical(text)
    for first, second in zip(calendar, again):
        assert first.summary == second.summary and first.start == second.start
        assert first.rrules == second.rrules and first.exdates == second.exdates
        assert first.categories == second.categories
    assert again.to_ical() == text


def test_event_with_offset_zone_round_trip():
    zone = dt.timezone(dt.timedelta(hours=5, minutes=30))
    event = Event("Call", dt.datetime(2024, 3, 1, 18, tzinfo=zone), duration=Duration.of(hours=1),
                  rdates=[dt.datetime(2024, 3, 8, 18, tzinfo=zone)])
    component = event.to_component()
    assert component.get("DTSTART").param("TZID") == "+0530"
    back = Event.from_component(parse_components(component.to_ical())[0])
    assert back.start == event.start and back.duration == event.duration
    assert back.rdates == event.rdates


def test_from_ical_errors():
    with pytest.raises(ParseError):
        Calendar.from_ical("BEGIN:VEVENT\r\nEND:VEVENT\r\n")
    with pytest.raises(ParseError):
        Calendar.from_ical("BEGIN:VCALENDAR\r\nVERSION:1.0\r\nEND:VCALENDAR\r\n")
    with pytest.raises(ParseError):
        Calendar.from_ical("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with pytest.raises(ParseError):
        Calendar.from_ical("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20240101T000000\r\n"
                           "DTEND:20240101T010000\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_alarm_component_round_trip():
    alarm = Alarm(Duration.of(minutes=-5), "AUDIO", "ring", related_to_end=True, repeat=2,
                  repeat_every=Duration.of(minutes=1))
    assert Alarm.from_component(alarm.to_component()) == alarm
    with pytest.raises(ValueError):
        Alarm(Duration(0, 0), "SMS")
    with pytest.raises(ValueError):
        Alarm(Duration(0, 0), repeat=2)


def test_parse_recurrence_text():
    rset = parse_recurrence(
        "DTSTART:20240101T090000\nRRULE:FREQ=DAILY;COUNT=5\nEXDATE:20240102T090000\n"
        "RDATE:20240110T090000,20240111T090000"
    )
    assert [d.day for d in rset] == [1, 3, 4, 5, 10, 11]
    with pytest.raises(ParseError):
        parse_recurrence("DTSTART:20240101T090000\nSUMMARY:x")
    with pytest.raises(ParseError):
        parse_recurrence("")
    bare = parse_recurrence("FREQ=DAILY;COUNT=2", dtstart=dt.date(2024, 1, 1))
    assert bare.occurrences() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]


def test_fold_round_trip_fuzz():
    """Slow: thousands of random mixed-script lines survive folding and escaping."""
    rng = random.Random(2024)
    alphabet = "abcxyz ,;:\\\n\"éüß日本語😀\t-=" + "0123456789"
    for _ in range(6000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 180)))
        line = ContentLine("DESCRIPTION", escape_text(text), {"LANGUAGE": ["en"]}).to_line()
        folded = fold_line(line, limit=rng.choice([20, 40, 75]))
        unfolded = unfold_lines(folded)
        assert len(unfolded) == 1
        parsed = ContentLine.parse(unfolded[0])
        assert parsed.text() == text.replace("\r\n", "\n")
