"""Half-open intervals [start, end) and operations on sets of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Interval:
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"end {self.end} before start {self.start}")

    def __len__(self) -> int:
        return self.end - self.start

    def contains(self, point: int) -> bool:
        return self.start <= point < self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


def merge(intervals: list[Interval]) -> list[Interval]:
    """Union as a sorted list of disjoint intervals; touching intervals are joined."""
    merged: list[Interval] = []
    for current in sorted(intervals):
        if merged and current.start <= merged[-1].end:
            last = merged.pop()
            current = Interval(last.start, max(last.end, current.end))
        merged.append(current)
    return merged


def covered(intervals: list[Interval]) -> int:
    return sum(len(i) for i in merge(intervals))


def conflicts(intervals: list[Interval]) -> list[tuple[Interval, Interval]]:
    """Every pair that overlaps, in sorted order."""
    ordered = sorted(intervals)
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :] if a.overlaps(b)]
