from throttle.clock import FakeClock, MonotonicClock
from throttle.limiters import Decision, FixedWindow, SlidingLog, TokenBucket, KeyedLimiter

__all__ = ["FakeClock", "MonotonicClock", "Decision", "FixedWindow", "SlidingLog", "TokenBucket", "KeyedLimiter"]
