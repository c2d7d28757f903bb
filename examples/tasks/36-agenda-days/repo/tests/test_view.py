from datetime import datetime

from agenda.events import Event
from agenda.view import render


def test_render_groups_by_day():
    events = [
        Event(datetime(2024, 4, 2, 14, 0), datetime(2024, 4, 2, 14, 45), "review"),
        Event(datetime(2024, 4, 1, 9, 0), datetime(2024, 4, 1, 10, 30), "standup"),
        Event(datetime(2024, 4, 1, 11, 0), datetime(2024, 4, 1, 11, 20), "call"),
    ]
    assert render(events) == (
        "Mon 01 Apr\n  09:00 standup (1h30)\n  11:00 call (20m)\n"
        "Tue 02 Apr\n  14:00 review (45m)"
    )
