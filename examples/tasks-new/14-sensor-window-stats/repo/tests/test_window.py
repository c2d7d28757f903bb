import math

import pytest

from telemetry import Reading, SensorWindow, clamp, summarize_readings


@pytest.mark.parametrize("value, expected", [(5, 5), (-1, 0), (11, 10), (0, 0), (10, 10)])
def test_clamp(value, expected):
    assert clamp(value, 0, 10) == expected


def test_clamp_bad_bounds():
    with pytest.raises(ValueError):
        clamp(1, 5, 0)


def test_span_positive():
    with pytest.raises(ValueError):
        SensorWindow(0)


@pytest.fixture
def w():
    w = SensorWindow(60, valid=(-40, 125))
    for t, v in [(0, 20.0), (10, 21.5), (20, 19.0), (30, 23.0)]:
        w.add(t, v)
    return w


def test_len_values(w):
    assert len(w) == 4
    assert w.values() == [20.0, 21.5, 19.0, 23.0]


def test_mean(w):
    assert w.mean() == pytest.approx(20.875)


def test_low(w):
    assert w.low() == 19.0


def test_high(w):
    assert w.high() == 23.0


def test_spread(w):
    assert w.spread() == pytest.approx(4.0)


def test_stdev(w):
    assert w.stdev() == pytest.approx(1.7500, abs=1e-3)


def test_rate(w):
    assert w.rate() == pytest.approx(0.1)


def test_latest(w):
    assert w.latest() == Reading(30, 23.0)


def test_rejects_out_of_range(w):
    assert w.add(40, 200) is False
    assert w.add(40, -41) is False
    assert w.rejected == 2
    assert len(w) == 4


def test_rejects_out_of_order(w):
    assert w.add(25, 20) is False
    assert w.rejected == 1


def test_same_time_accepted(w):
    assert w.add(30, 22.0) is True


def test_expiry_on_add(w):
    w.add(70, 22.0)
    assert w.values() == [19.0, 23.0, 22.0]


def test_expiry_boundary_is_exclusive(w):
    w.add(60, 22.0)
    assert w.values()[0] == 21.5


def test_advance(w):
    w.advance(85)
    assert w.values() == [23.0]
    w.advance(1000)
    assert len(w) == 0


def test_empty_window():
    w = SensorWindow(10)
    assert w.mean() is None and w.low() is None and w.high() is None
    assert w.spread() is None and w.stdev() is None and w.rate() is None and w.latest() is None


def test_single_reading():
    w = SensorWindow(10)
    w.add(1, 5.0)
    assert w.mean() == 5.0 and w.spread() == 0 and w.stdev() is None and w.rate() is None


def test_rate_same_time():
    w = SensorWindow(10)
    w.add(1, 5.0)
    w.add(1, 6.0)
    assert w.rate() is None


def test_negative_temperatures():
    w = SensorWindow(100)
    for t, v in enumerate([-5.0, -12.5, -3.0]):
        w.add(t, v)
    assert w.low() == -12.5
    assert w.high() == -3.0


def test_summarize_readings():
    out = summarize_readings([(0, 1.0), (5, 3.0), (12, 2.0)], span=10)
    assert out == {"n": 2, "mean": 2.5, "low": 2.0, "high": 3.0, "spread": 1.0}


def test_unbounded_default():
    w = SensorWindow(5)
    assert w.add(0, math.inf) is True


@pytest.mark.parametrize("vals, mean", [([1.0, 2.0, 3.0], 2.0), ([4.0], 4.0), ([-1.0, 1.0], 0.0), ([0.5, 0.5, 2.0], 1.0)])
def test_mean_cases(vals, mean):
    w = SensorWindow(100)
    for t, v in enumerate(vals):
        w.add(t, v)
    assert w.mean() == pytest.approx(mean)
