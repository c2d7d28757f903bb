from throttle.bucket import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_up_to_capacity():
    bucket = TokenBucket(rate=1, capacity=3, clock=FakeClock())
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]


def test_refill_over_time():
    clock = FakeClock()
    bucket = TokenBucket(rate=2, capacity=2, clock=clock)
    assert bucket.allow(2)
    assert not bucket.allow()
    clock.now += 0.5
    assert bucket.allow()


def test_refill_is_capped():
    clock = FakeClock()
    bucket = TokenBucket(rate=5, capacity=4, clock=clock)
    clock.now += 60
    assert bucket.tokens == 4


def test_wait_time():
    clock = FakeClock()
    bucket = TokenBucket(rate=4, capacity=4, clock=clock)
    bucket.allow(4)
    assert bucket.wait_time(2) == 0.5
