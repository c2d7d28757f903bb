from datetime import datetime

import pytest

from agenda.events import Event, first_conflict, total_minutes


def ev(start, end, title=""):
    return Event(datetime.fromisoformat(start), datetime.fromisoformat(end), title)


def test_minutes_within_a_day():
    assert ev("2024-04-01 09:00", "2024-04-01 10:30").minutes == 90


def test_minutes_across_days():
    assert ev("2024-04-01 22:00", "2024-04-03 01:00", "conference").minutes == 27 * 60


def test_conflicts():
    a = ev("2024-04-01 09:00", "2024-04-01 10:00", "a")
    b = ev("2024-04-01 10:00", "2024-04-01 11:00", "b")
    c = ev("2024-04-01 10:30", "2024-04-01 12:00", "c")
    assert first_conflict([c, a, b]) == (b, c)
    assert total_minutes([a, b]) == 120
    with pytest.raises(ValueError):
        ev("2024-04-01 10:00", "2024-04-01 09:00")
