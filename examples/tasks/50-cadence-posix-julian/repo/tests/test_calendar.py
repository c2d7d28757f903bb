import datetime as dt

import pytest

from cadence.recurrence import (
    Alarm, Availability, Calendar, Duration, Event, ParseError, TimeRange, common_free_slots, parse_rrule,
)


def at(d, h, m=0):
    return dt.datetime(2024, 1, d, h, m)


@pytest.fixture
def calendar():
    cal = Calendar(name="work")
    cal.add(Event("Stand-up", at(1, 9, 30), at(1, 9, 45), uid="standup",
                  rrules=[parse_rrule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")], exdates=[at(3, 9, 30)],
                  alarms=[Alarm(Duration.of(minutes=-10))], categories=["team"]))
    cal.add(Event("Review", at(2, 9), at(2, 10), uid="review", location="Room 4"))
    cal.add(Event("Lunch", at(2, 12), duration=Duration.of(hours=1), uid="lunch", transparency="TRANSPARENT"))
    cal.add(Event("Holiday", dt.date(2024, 1, 5), uid="holiday", categories=["off"]))
    cal.add(Event("Maybe", at(2, 9, 40), at(2, 11), uid="maybe", status="TENTATIVE"))
    cal.add(Event("Cancelled", at(2, 9), at(2, 17), uid="gone", status="CANCELLED"))
    cal.add(Event("Offsite", at(4, 9), at(4, 11), uid="offsite"))
    return cal


def test_occurrences(calendar):
    got = calendar.occurrences(at(1, 0), at(3, 0))
    assert [(o.summary, o.start.day) for o in got] == [
        ("Stand-up", 1), ("Review", 2), ("Stand-up", 2), ("Maybe", 2), ("Lunch", 2),
    ]
    with_cancelled = calendar.occurrences(at(1, 0), at(3, 0), include_cancelled=True)
    assert len(with_cancelled) == 6


def test_window_edges(calendar):
    event = calendar.get("review")
    assert event.occurrences(at(2, 10), at(2, 11)) == []
    assert len(event.occurrences(at(2, 9, 59), at(2, 11))) == 1
    assert event.occurrences(at(2, 8), at(2, 9)) == []


def test_conflicts(calendar):
    conflicts = calendar.conflicts(at(1, 0), at(8, 0))
    assert [(c.first.summary, c.second.summary) for c in conflicts] == [("Review", "Stand-up"), ("Offsite", "Stand-up")]
    assert conflicts[0].overlap == dt.timedelta(minutes=15)


def test_busy_and_free(calendar):
    busy = calendar.busy(at(2, 8), at(2, 18))
    assert busy == [(at(2, 9), at(2, 11))]
    free = calendar.free(at(2, 8), at(2, 18), minimum=dt.timedelta(hours=2))
    assert free == [(at(2, 11), at(2, 18))]
    assert calendar.free(at(2, 8), at(2, 18)) == [(at(2, 8), at(2, 9)), (at(2, 11), at(2, 18))]


@pytest.mark.parametrize("length,step,expected", [
    (dt.timedelta(hours=1), dt.timedelta(minutes=15), (2, 8)),
    (dt.timedelta(hours=2), dt.timedelta(minutes=15), (2, 11)),
    (dt.timedelta(minutes=50), dt.timedelta(minutes=25), (2, 8)),
    (dt.timedelta(minutes=70), dt.timedelta(minutes=40), (2, 11, 20)),
    (dt.timedelta(hours=12), dt.timedelta(minutes=15), None),
])
def test_find_slot(calendar, length, step, expected):
    slot = calendar.find_slot(at(2, 8), at(2, 18), length, step)
    assert slot == (at(*expected) if expected else None)


def test_find_slot_rejects_bad_lengths(calendar):
    with pytest.raises(ValueError):
        calendar.find_slot(at(2, 8), at(2, 18), dt.timedelta(0))


def test_agenda(calendar):
    agenda = calendar.agenda(dt.date(2024, 1, 4), dt.date(2024, 1, 6))
    assert list(agenda) == [dt.date(2024, 1, 4), dt.date(2024, 1, 5)]
    assert [o.summary for o in agenda[dt.date(2024, 1, 5)]] == ["Holiday", "Stand-up"]


def test_multi_day_occurrence_days():
    event = Event("Trip", at(1, 20), at(3, 0))
    occurrence = event.occurrences(at(1, 0), at(9, 0))[0]
    assert occurrence.days() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    all_day = Event("Fair", dt.date(2024, 1, 1), dt.date(2024, 1, 4)).occurrences(at(1, 0), at(9, 0))[0]
    assert all_day.days() == [dt.date(2024, 1, d) for d in (1, 2, 3)]


def test_alarms(calendar):
    fired = calendar.alarms(at(1, 0), at(3, 0))
    assert [(moment, occ.summary) for moment, occ, _ in fired] == [(at(1, 9, 20), "Stand-up"), (at(2, 9, 20), "Stand-up")]
    repeating = Alarm(Duration.of(minutes=-15), repeat=2, repeat_every=Duration.of(minutes=5))
    assert repeating.times(at(1, 10), at(1, 11)) == [at(1, 9, 45), at(1, 9, 50), at(1, 9, 55)]
    after_end = Alarm(Duration.of(minutes=5), related_to_end=True)
    assert after_end.times(at(1, 10), at(1, 11)) == [at(1, 11, 5)]


def test_search_and_categories(calendar):
    assert [e.uid for e in calendar.search("room")] == ["review"]
    assert [e.uid for e in calendar.search("TEAM")] == ["standup"]
    groups = calendar.by_category()
    assert list(groups) == ["(none)", "off", "team"]


def test_calendar_management(calendar):
    with pytest.raises(ValueError):
        calendar.add(Event("Dup", at(1, 1), uid="review"))
    assert calendar.remove("review").summary == "Review"
    with pytest.raises(KeyError):
        calendar.remove("review")
    assert calendar.get("review") is None


@pytest.mark.parametrize("kwargs", [
    {"status": "maybe"}, {"transparency": "clear"}, {"end": at(1, 8)},
    {"end": at(1, 11), "duration": Duration.of(hours=1)}, {"end": dt.date(2024, 1, 2)},
    {"duration": Duration.of(hours=-1)},
])
def test_event_validation(kwargs):
    with pytest.raises(ValueError):
        Event("Bad", at(1, 9), **kwargs)


def test_event_next_occurrence(calendar):
    standup = calendar.get("standup")
    nxt = standup.next_occurrence(at(5, 10))
    assert nxt.start == at(8, 9, 30) and nxt.end == at(8, 9, 45)
    assert calendar.get("review").next_occurrence(at(3, 0)) is None
    assert standup.is_recurring and not calendar.get("review").is_recurring


@pytest.mark.parametrize("text,minutes", [
    ("MO-FR 09:00-17:00", 5 * 480),
    ("MO-FR 09:00-12:00,13:00-17:00; SA 10:00-14:00", 5 * 420 + 240),
    ("SA-MO 00:00-24:00", 3 * 1440),
    ("MO 09:00-12:00,11:00-13:00", 240),
])
def test_availability(text, minutes):
    assert Availability.parse(text).weekly_minutes() == minutes


@pytest.mark.parametrize("text", ["MO", "XX 09:00-10:00", "MO 10:00-09:00", "MO 9-10", "MO 09:75-10:00"])
def test_availability_errors(text):
    with pytest.raises(ParseError):
        Availability.parse(text)


def test_availability_windows_and_common_slots(calendar):
    hours = Availability.parse("MO-FR 08:00-12:00,13:00-17:00")
    assert hours.is_open(at(2, 8)) and not hours.is_open(at(2, 12, 30)) and not hours.is_open(at(6, 9))
    assert str(hours).startswith("MO 08:00-12:00,13:00-17:00; TU")
    other = Calendar([Event("Dentist", at(2, 13), at(2, 15))])
    slots = common_free_slots([calendar, other], hours, at(2, 0), at(3, 0), dt.timedelta(hours=1))
    assert slots == [(at(2, 8), at(2, 9)), (at(2, 11), at(2, 12)), (at(2, 15), at(2, 17))]
    assert TimeRange.parse("9:05-17:00").on(dt.date(2024, 1, 2))[0] == at(2, 9, 5)


@pytest.mark.parametrize("rule,split_at,head_count,tail_first", [
    ("FREQ=DAILY;COUNT=10", at(5, 0), 3, at(5, 9)),
    ("FREQ=DAILY;COUNT=10", at(5, 9), 3, at(5, 9)),
    ("FREQ=WEEKLY;BYDAY=MO,TH", at(10, 12), 3, at(11, 9)),
])
def test_split_series(rule, split_at, head_count, tail_first):
    event = Event("Series", at(1, 9), at(1, 10), uid="series", rrules=[parse_rrule(rule)],
                  exdates=[at(2, 9), at(20, 9)])
    everything = event.starts(limit=30)
    head, tail = event.split(split_at)
    assert head.uid == "series" and tail.uid != "series"
    assert len(head.starts()) == head_count
    assert tail.start == tail_first and tail.end == tail_first + dt.timedelta(hours=1)
    rejoined = head.starts() + tail.starts(limit=30 - len(head.starts()))
    assert rejoined == everything[:len(rejoined)]


def test_split_edges():
    event = Event("Series", at(1, 9), uid="s", rrules=[parse_rrule("FREQ=DAILY;COUNT=3")])
    assert event.split(at(1, 0)) == (event, None)
    assert event.split(at(9, 0)) == (event, None)
    with pytest.raises(ValueError):
        Event("One", at(1, 9)).split(at(2, 0))


def test_shifted():
    event = Event("Series", at(1, 9), at(1, 10), rrules=[parse_rrule("FREQ=DAILY;UNTIL=20240105T090000")],
                  exdates=[at(3, 9)])
    moved = event.shifted(dt.timedelta(days=7, hours=1))
    assert moved.starts() == [at(d, 10) for d in (8, 9, 11, 12)]
    assert moved.uid != event.uid
    with pytest.raises(ValueError):
        Event("Day", dt.date(2024, 1, 1)).shifted(dt.timedelta(hours=3))
    assert Event("Day", dt.date(2024, 1, 1)).shifted(dt.timedelta(days=2)).start == dt.date(2024, 1, 3)
