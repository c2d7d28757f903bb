"""A plain-text agenda, one line per event, grouped under day headings."""

from __future__ import annotations

from agenda.events import Event

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def heading(event: Event) -> str:
    day = event.start
    return f"{DAY_NAMES[day.weekday()]} {day:%d %b}"


def line(event: Event) -> str:
    hours, minutes = divmod(event.minutes, 60)
    length = f"{hours}h{minutes:02d}" if hours else f"{minutes}m"
    return f"  {event.start:%H:%M} {event.title} ({length})"


def render(events: list[Event]) -> str:
    out: list[str] = []
    current = None
    for event in sorted(events):
        if heading(event) != current:
            current = heading(event)
            out.append(current)
        out.append(line(event))
    return "\n".join(out)
