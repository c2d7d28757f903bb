"""Three classic request limiters behind one interface.

    limiter.acquire(cost=1) -> Decision(allowed, remaining, retry_after)

`retry_after` is the number of seconds after which the same request would be allowed
(0.0 when it is allowed now). Limiters never sleep; callers decide what to do.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Protocol

from throttle.clock import MonotonicClock


class Clock(Protocol):
    def now(self) -> float: ...


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: float = 0.0

    def __bool__(self) -> bool:
        return self.allowed


class TokenBucket:
    """`capacity` tokens, refilled continuously at `rate` tokens a second."""

    def __init__(self, capacity: int, rate: float, clock: Clock | None = None, start_full: bool = True) -> None:
        if capacity <= 0 or rate <= 0:
            raise ValueError("capacity and rate must be positive")
        self.capacity = capacity
        self.rate = rate
        self.clock = clock or MonotonicClock()
        self._tokens = float(capacity if start_full else 0)
        self._stamp = self.clock.now()

    def _refill(self) -> None:
        now = self.clock.now()
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._stamp = now

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def acquire(self, cost: int = 1) -> Decision:
        if cost > self.capacity:
            raise ValueError(f"cost {cost} exceeds capacity {self.capacity}")
        self._refill()
        if self._tokens + 1e-9 >= cost:
            self._tokens -= cost
            return Decision(True, int(self._tokens))
        wait = (cost - self._tokens) / self.rate
        return Decision(False, int(self._tokens), round(wait, 6))


class FixedWindow:
    """At most `limit` units in each aligned window [k*window, (k+1)*window)."""

    def __init__(self, limit: int, window: float, clock: Clock | None = None) -> None:
        if limit <= 0 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self.clock = clock or MonotonicClock()
        self._index: int | None = None
        self._used = 0

    def _roll(self) -> float:
        now = self.clock.now()
        index = math.floor(now / self.window)
        if index != self._index:
            self._index, self._used = index, 0
        return now

    def acquire(self, cost: int = 1) -> Decision:
        if cost > self.limit:
            raise ValueError(f"cost {cost} exceeds limit {self.limit}")
        now = self._roll()
        if self._used + cost <= self.limit:
            self._used += cost
            return Decision(True, self.limit - self._used)
        window_end = (self._index + 1) * self.window
        return Decision(False, self.limit - self._used, round(window_end - now, 6))


class SlidingLog:
    """At most `limit` units in any span of `window` seconds, by a log of past grants.

    The log holds (time, cost) of granted requests; entries at least `window` old are dropped.
    """

    def __init__(self, limit: int, window: float, clock: Clock | None = None) -> None:
        if limit <= 0 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self.clock = clock or MonotonicClock()
        self._log: deque[tuple[float, int]] = deque()
        self._used = 0

    def _expire(self, now: float) -> None:
        while self._log and now - self._log[0][0] >= self.window:
            _, cost = self._log.popleft()
            self._used -= cost

    @property
    def used(self) -> int:
        self._expire(self.clock.now())
        return self._used

    def acquire(self, cost: int = 1) -> Decision:
        if cost > self.limit:
            raise ValueError(f"cost {cost} exceeds limit {self.limit}")
        now = self.clock.now()
        self._expire(now)
        if self._used + cost <= self.limit:
            self._log.append((now, cost))
            self._used += cost
            return Decision(True, self.limit - self._used)
        return Decision(False, self.limit - self._used, round(self._retry_after(now, cost), 6))

    def _retry_after(self, now: float, cost: int) -> float:
        """Walk the log from the oldest grant until enough units would have expired."""
        freed = 0
        for stamp, used in self._log:
            freed += used
            if self._used - freed + cost <= self.limit:
                return stamp + self.window - now
        return self.window

    def reset(self) -> None:
        self._log.clear()
        self._used = 0


class KeyedLimiter:
    """One limiter per key (user, IP, API token), built on demand; least recently used keys
    are forgotten beyond `max_keys`."""

    def __init__(self, factory: Callable[[], object], max_keys: int = 10_000) -> None:
        if max_keys <= 0:
            raise ValueError("max_keys must be positive")
        self.factory = factory
        self.max_keys = max_keys
        self._limiters: OrderedDict[str, object] = OrderedDict()

    def __len__(self) -> int:
        return len(self._limiters)

    def __contains__(self, key: str) -> bool:
        return key in self._limiters

    def limiter(self, key: str):
        if key in self._limiters:
            self._limiters.move_to_end(key)
            return self._limiters[key]
        limiter = self.factory()
        self._limiters[key] = limiter
        if len(self._limiters) > self.max_keys:
            self._limiters.popitem(last=False)
        return limiter

    def acquire(self, key: str, cost: int = 1) -> Decision:
        return self.limiter(key).acquire(cost)
