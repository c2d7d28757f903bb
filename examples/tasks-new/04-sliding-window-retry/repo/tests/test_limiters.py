import pytest

from throttle import FakeClock, FixedWindow, KeyedLimiter, SlidingLog, TokenBucket


@pytest.fixture
def clock():
    return FakeClock(1000.0)


def test_fake_clock_cannot_go_back():
    clock = FakeClock(5)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(4)


# -- token bucket ----------------------------------------------------------------------

def test_bucket_burst_then_refused(clock):
    bucket = TokenBucket(3, 1.0, clock)
    assert [bool(bucket.acquire()) for _ in range(4)] == [True, True, True, False]


def test_bucket_retry_after(clock):
    bucket = TokenBucket(2, 0.5, clock)
    bucket.acquire(2)
    decision = bucket.acquire()
    assert not decision and decision.retry_after == 2.0


def test_bucket_refills_to_capacity(clock):
    bucket = TokenBucket(5, 2.0, clock)
    bucket.acquire(5)
    clock.advance(1.5)
    assert bucket.tokens == 3.0
    clock.advance(100)
    assert bucket.tokens == 5.0


def test_bucket_start_empty(clock):
    bucket = TokenBucket(4, 4.0, clock, start_full=False)
    assert not bucket.acquire()
    clock.advance(0.25)
    assert bucket.acquire()


@pytest.mark.parametrize("capacity, rate", [(0, 1), (1, 0), (-2, 1)])
def test_bucket_bad_settings(capacity, rate):
    with pytest.raises(ValueError):
        TokenBucket(capacity, rate)


def test_bucket_cost_over_capacity(clock):
    with pytest.raises(ValueError):
        TokenBucket(2, 1, clock).acquire(3)


# -- fixed window ----------------------------------------------------------------------

def test_fixed_window_counts(clock):
    fw = FixedWindow(3, 60, clock)
    results = [fw.acquire() for _ in range(4)]
    assert [r.remaining for r in results] == [2, 1, 0, 0]
    assert not results[-1]


def test_fixed_window_retry_is_window_end(clock):
    fw = FixedWindow(1, 60, clock)
    clock.set(1010)
    fw.acquire()
    assert fw.acquire().retry_after == 10.0


def test_fixed_window_resets_on_boundary(clock):
    fw = FixedWindow(2, 10, clock)
    clock.set(1009)
    fw.acquire(2)
    clock.set(1010)
    assert fw.acquire(2)


# -- sliding log -----------------------------------------------------------------------

def test_sliding_log_limit(clock):
    log = SlidingLog(3, 10, clock)
    assert [bool(log.acquire()) for _ in range(4)] == [True, True, True, False]


def test_sliding_log_expires_entries(clock):
    log = SlidingLog(2, 10, clock)
    log.acquire()
    clock.advance(4)
    log.acquire()
    clock.advance(6)
    assert log.used == 1
    assert log.acquire()


def test_sliding_log_has_no_boundary_burst(clock):
    log = SlidingLog(2, 10, clock)
    clock.set(1009)
    log.acquire(2)
    clock.set(1011)
    assert not log.acquire()


def test_sliding_log_retry_after_oldest_grant(clock):
    log = SlidingLog(3, 10, clock)
    log.acquire()
    clock.advance(2)
    log.acquire()
    clock.advance(3)
    log.acquire()
    decision = log.acquire()
    assert not decision
    assert decision.retry_after == 5.0


def test_sliding_log_retry_after_is_enough(clock):
    log = SlidingLog(3, 10, clock)
    log.acquire()
    clock.advance(1)
    log.acquire()
    clock.advance(1)
    log.acquire()
    wait = log.acquire().retry_after
    clock.advance(wait)
    assert log.acquire()


def test_sliding_log_retry_for_heavy_request(clock):
    log = SlidingLog(4, 10, clock)
    log.acquire(1)
    clock.advance(1)
    log.acquire(1)
    clock.advance(1)
    log.acquire(2)
    assert log.acquire(2).retry_after == 9.0


def test_sliding_log_allowed_has_no_wait(clock):
    assert SlidingLog(1, 5, clock).acquire().retry_after == 0.0


def test_sliding_log_reset(clock):
    log = SlidingLog(1, 5, clock)
    log.acquire()
    log.reset()
    assert log.acquire()


@pytest.mark.parametrize("cls", [SlidingLog, FixedWindow])
@pytest.mark.parametrize("limit, window", [(0, 1), (1, 0), (1, -3)])
def test_window_bad_settings(cls, limit, window):
    with pytest.raises(ValueError):
        cls(limit, window)


# -- keyed -----------------------------------------------------------------------------

def test_keyed_separate_budgets(clock):
    keyed = KeyedLimiter(lambda: SlidingLog(1, 60, clock))
    assert keyed.acquire("alice")
    assert keyed.acquire("bob")
    assert not keyed.acquire("alice")


def test_keyed_forgets_least_recent(clock):
    keyed = KeyedLimiter(lambda: FixedWindow(1, 60, clock), max_keys=2)
    keyed.acquire("a")
    keyed.acquire("b")
    keyed.acquire("a")
    keyed.acquire("c")
    assert "b" not in keyed and "a" in keyed and len(keyed) == 2


def test_keyed_bad_size():
    with pytest.raises(ValueError):
        KeyedLimiter(dict, max_keys=0)


@pytest.mark.parametrize("costs, ask, wait", [
    ([1, 1, 1], 2, 7.0),
    ([3], 2, 9.0),
    ([1, 2], 2, 8.0),
    ([2, 2], 1, 8.0),
    ([1, 1, 2], 2, 8.0),
    ([1, 1, 1, 1], 3, 8.0),
    ([1, 3], 4, 9.0),
])
def test_sliding_log_retry_after_costs(clock, costs, ask, wait):
    log = SlidingLog(4, 10, clock)
    for cost in costs:
        assert log.acquire(cost)
        clock.advance(1)
    decision = log.acquire(ask)
    assert not decision
    assert decision.retry_after == wait
    now = clock.now()
    clock.set(now + wait - 0.5)
    assert not log.acquire(ask)
    clock.set(now + wait)
    assert log.acquire(ask)
