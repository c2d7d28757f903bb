"""Events with a start and an end, and conflicts between them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, order=True)
class Event:
    start: datetime
    end: datetime
    title: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"{self.title!r} ends before it starts")

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def conflicts_with(self, other: Event) -> bool:
        return self.start < other.end and other.start < self.end


def total_minutes(events: list[Event]) -> int:
    return sum(event.minutes for event in events)


def first_conflict(events: list[Event]) -> tuple[Event, Event] | None:
    ordered = sorted(events)
    for a, b in zip(ordered, ordered[1:]):
        if a.conflicts_with(b):
            return a, b
    return None
