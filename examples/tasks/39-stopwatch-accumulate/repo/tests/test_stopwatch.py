import pytest

from timing.stopwatch import Stopwatch


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_single_run():
    clock = Clock()
    watch = Stopwatch(clock)
    watch.start()
    clock.now = 2.5
    assert watch.stop() == 2.5


def test_pause_and_resume_accumulates():
    clock = Clock()
    watch = Stopwatch(clock)
    watch.start()
    clock.now = 2.0
    watch.stop()
    clock.now = 10.0
    watch.start()
    clock.now = 13.0
    assert watch.stop() == 5.0
    assert watch.elapsed == 5.0


def test_laps():
    clock = Clock()
    watch = Stopwatch(clock)
    watch.start()
    clock.now = 1.0
    watch.lap()
    clock.now = 4.0
    assert watch.lap() == 3.0
    assert watch.laps == [1.0, 3.0]


def test_misuse():
    watch = Stopwatch(Clock())
    with pytest.raises(RuntimeError):
        watch.stop()
    watch.start()
    with pytest.raises(RuntimeError):
        watch.start()
