"""Rolling statistics over sensor readings kept for the last `span` seconds."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


def clamp(value: float, low: float, high: float) -> float:
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(value, high))


@dataclass(frozen=True)
class Reading:
    t: float
    value: float


class SensorWindow:
    def __init__(self, span: float, valid: tuple[float, float] = (-math.inf, math.inf)):
        if span <= 0:
            raise ValueError("span must be positive")
        self.span = span
        self.valid = valid
        self._items: deque[Reading] = deque()
        self.rejected = 0

    def add(self, t: float, value: float) -> bool:
        """Record a reading; out-of-range or out-of-order readings are counted and dropped."""
        low, high = self.valid
        if not (low <= value <= high) or (self._items and t < self._items[-1].t):
            self.rejected += 1
            return False
        self._items.append(Reading(t, value))
        self._expire(t)
        return True

    def _expire(self, now: float) -> None:
        while self._items and self._items[0].t <= now - self.span:
            self._items.popleft()

    def advance(self, now: float) -> None:
        self._expire(now)

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> list[float]:
        return [r.value for r in self._items]

    def mean(self) -> float | None:
        vals = self.values()
        return sum(vals) / len(vals) if vals else None

    def low(self) -> float | None:
        vals = self.values()
        return max(vals) if vals else None

    def high(self) -> float | None:
        vals = self.values()
        return max(vals) if vals else None

    def spread(self) -> float | None:
        if not self._items:
            return None
        return self.high() - self.low()

    def stdev(self) -> float | None:
        vals = self.values()
        if len(vals) < 2:
            return None
        m = sum(vals) / len(vals)
        return math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1))

    def rate(self) -> float | None:
        """Change per second between the oldest and newest reading."""
        if len(self._items) < 2:
            return None
        first, last = self._items[0], self._items[-1]
        if last.t == first.t:
            return None
        return (last.value - first.value) / (last.t - first.t)

    def latest(self) -> Reading | None:
        return self._items[-1] if self._items else None


def summarize_readings(readings: list[tuple[float, float]], span: float) -> dict[str, float | None]:
    w = SensorWindow(span)
    for t, v in readings:
        w.add(t, v)
    return {"n": len(w), "mean": w.mean(), "low": w.low(), "high": w.high(), "spread": w.spread()}
