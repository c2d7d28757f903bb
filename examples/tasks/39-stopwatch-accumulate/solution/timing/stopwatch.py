"""A stopwatch that can be paused and resumed, with laps."""

from __future__ import annotations

import time
from collections.abc import Callable


class Stopwatch:
    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._accumulated = 0.0
        self._started_at: float | None = None
        self.laps: list[float] = []

    @property
    def running(self) -> bool:
        return self._started_at is not None

    def start(self) -> None:
        if self.running:
            raise RuntimeError("stopwatch already running")
        self._started_at = self._clock()

    def stop(self) -> float:
        if self._started_at is None:
            raise RuntimeError("stopwatch is not running")
        self._accumulated += self._clock() - self._started_at
        self._started_at = None
        return self._accumulated

    @property
    def elapsed(self) -> float:
        current = self._clock() - self._started_at if self._started_at is not None else 0.0
        return self._accumulated + current

    def lap(self) -> float:
        """Record and return the time since the previous lap (or since the start)."""
        split = self.elapsed - sum(self.laps)
        self.laps.append(split)
        return split

    def reset(self) -> None:
        self._accumulated = 0.0
        self._started_at = self._clock() if self.running else None
        self.laps.clear()
