"""A dictionary whose entries expire after a time-to-live."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any


class TTLCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.ttl = ttl
        self._clock = clock
        self._items: dict[Hashable, tuple[Any, float]] = {}
        self.hits = self.misses = 0

    def set(self, key: Hashable, value: Any, ttl: float | None = None) -> None:
        self._items[key] = (value, self._clock() + (ttl if ttl is not None else self.ttl))

    def get(self, key: Hashable, default: Any = None) -> Any:
        entry = self._items.get(key)
        if entry is None:
            self.misses += 1
            return default
        value, expires_at = entry
        if expires_at <= self._clock():
            del self._items[key]
            self.misses += 1
        self.hits += 1
        return value

    def purge(self) -> int:
        """Drop every expired entry; returns how many were dropped."""
        now = self._clock()
        expired = [key for key, (_, expires_at) in self._items.items() if expires_at <= now]
        for key in expired:
            del self._items[key]
        return len(expired)

    def __len__(self) -> int:
        return len(self._items)
