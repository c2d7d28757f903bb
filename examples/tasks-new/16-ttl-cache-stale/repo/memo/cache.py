"""A size-bounded cache whose entries expire `ttl` seconds after they are written (clock injectable)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


class TTLCache:
    def __init__(self, maxsize: int = 128, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic):
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.maxsize, self.ttl, self._clock = maxsize, ttl, clock
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self.hits = self.misses = self.evictions = 0

    def _expired(self, expires: float) -> bool:
        return self._clock() >= expires

    def set(self, key: Hashable, value: Any) -> None:
        if key in self._data:
            del self._data[key]
        self._data[key] = (self._clock() + self.ttl, value)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)
            self.evictions += 1

    def get(self, key: Hashable, default: Any = None) -> Any:
        entry = self._data.get(key)
        if entry is None:
            self.misses += 1
            return default
        expires, value = entry
        if self._expired(expires):
            del self._data[key]
            self.misses += 1
            return default
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def __contains__(self, key: Hashable) -> bool:
        entry = self._data.get(key)
        return entry is not None and not self._expired(entry[0])

    def pop(self, key: Hashable, default: Any = _MISSING) -> Any:
        entry = self._data.pop(key, None)
        if entry is None or not self._expired(entry[0]):
            if default is _MISSING:
                raise KeyError(key)
            return default
        return entry[1]

    def purge(self) -> int:
        """Drop every expired entry; how many were dropped."""
        dead = [k for k, (exp, _) in self._data.items() if self._expired(exp)]
        for k in dead:
            del self._data[k]
        return len(dead)

    def __len__(self) -> int:
        return sum(1 for exp, _ in self._data.values() if not self._expired(exp))

    def get_or_set(self, key: Hashable, factory: Callable[[], Any]) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = factory()
            self.set(key, value)
        return value

    def ttl_left(self, key: Hashable) -> float | None:
        entry = self._data.get(key)
        if entry is None or self._expired(entry[0]):
            return None
        return entry[0] - self._clock()

    def stats(self) -> dict[str, float]:
        total = self.hits + self.misses
        return {"hits": self.hits, "misses": self.misses, "evictions": self.evictions,
                "hit_rate": self.hits / total if total else 0.0}
