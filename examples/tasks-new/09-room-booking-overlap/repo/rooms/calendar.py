"""Meeting-room bookings for one day, in minutes since midnight; intervals are half-open [start, end)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

DAY = 24 * 60


class BookingConflict(ValueError):
    """A booking overlaps one already held for the same room."""


def parse_hhmm(text: str) -> int:
    hh, sep, mm = text.strip().partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise ValueError(f"not a time: {text!r}")
    h, m = int(hh), int(mm)
    if (h, m) == (24, 0):
        return DAY
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"not a time: {text!r}")
    return h * 60 + m


def fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, order=True)
class Booking:
    start: int
    end: int
    room: str
    who: str = ""

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= DAY):
            raise ValueError(f"bad interval {self.start}-{self.end}")

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

    def __str__(self) -> str:
        return f"{self.room} {fmt(self.start)}-{fmt(self.end)} {self.who}".rstrip()


@dataclass
class RoomCalendar:
    rooms: tuple[str, ...]
    opens: int = 8 * 60
    closes: int = 18 * 60
    _bookings: dict[str, list[Booking]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.rooms:
            raise ValueError("at least one room")
        for room in self.rooms:
            self._bookings.setdefault(room, [])

    def _room(self, room: str) -> list[Booking]:
        try:
            return self._bookings[room]
        except KeyError:
            raise KeyError(f"no room {room!r}") from None

    def conflicts(self, room: str, start: int, end: int) -> list[Booking]:
        return [b for b in self._room(room) if b.overlaps(start, end)]

    def is_free(self, room: str, start: int, end: int) -> bool:
        if start < self.opens or end > self.closes:
            return False
        return not self.conflicts(room, start, end)

    def book(self, room: str, start: int | str, end: int | str, who: str = "") -> Booking:
        start = parse_hhmm(start) if isinstance(start, str) else start
        end = parse_hhmm(end) if isinstance(end, str) else end
        booking = Booking(start, end, room, who)
        if start < self.opens or end > self.closes:
            raise ValueError(f"{booking} is outside opening hours")
        clash = self.conflicts(room, start, end)
        if clash:
            raise BookingConflict(f"{booking} clashes with {clash[0]}")
        bisect.insort(self._room(room), booking)
        return booking

    def cancel(self, booking: Booking) -> bool:
        items = self._room(booking.room)
        if booking in items:
            items.remove(booking)
            return True
        return False

    def bookings(self, room: str | None = None) -> list[Booking]:
        if room is not None:
            return list(self._room(room))
        return sorted(b for r in self.rooms for b in self._bookings[r])

    def free_slots(self, room: str, min_minutes: int = 1) -> list[tuple[int, int]]:
        """Gaps between bookings within opening hours, at least `min_minutes` long."""
        slots = []
        cursor = self.opens
        for b in self._room(room):
            if b.start - cursor >= min_minutes:
                slots.append((cursor, b.start))
            cursor = max(cursor, b.start)
        if self.closes - cursor >= min_minutes:
            slots.append((cursor, self.closes))
        return slots

    def first_fit(self, minutes: int, after: int | None = None) -> tuple[str, int] | None:
        """The earliest (room, start) with `minutes` free, rooms tried in their listed order on ties."""
        best: tuple[int, int, str] | None = None
        for order, room in enumerate(self.rooms):
            for start, end in self.free_slots(room, minutes):
                s = max(start, after) if after is not None else start
                if end - s >= minutes:
                    if best is None or (s, order) < best[:2]:
                        best = (s, order, room)
                    break
        return None if best is None else (best[2], best[0])

    def utilisation(self, room: str) -> float:
        open_minutes = self.closes - self.opens
        used = sum(b.minutes for b in self._room(room))
        return used / open_minutes

    def busiest(self) -> str:
        return max(self.rooms, key=lambda r: (self.utilisation(r), -self.rooms.index(r)))
