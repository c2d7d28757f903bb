import pytest

from stats.core import mean, median, moving_average, percentile, stdev


def test_mean_and_median():
    assert mean([1, 2, 3, 4]) == 2.5
    assert median([5, 1, 3]) == 3.0
    assert median([4, 1, 3, 2]) == 2.5


def test_stdev():
    assert stdev([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(2.138, abs=1e-3)


@pytest.mark.parametrize("p, expected", [(0, 1.0), (50, 2.5), (90, 3.7), (100, 4.0)])
def test_percentile(p, expected):
    assert percentile([4, 1, 3, 2], p) == pytest.approx(expected)


def test_moving_average():
    assert moving_average([1, 2, 3, 4, 5], 3) == [2.0, 3.0, 4.0]
    assert moving_average([10, 20], 2) == [15.0]


def test_moving_average_window_larger_than_data():
    assert moving_average([1, 2], 5) == []


@pytest.mark.parametrize(
    "call", [lambda: mean([]), lambda: median([]), lambda: stdev([1]), lambda: moving_average([1], 0)]
)
def test_errors(call):
    with pytest.raises(ValueError):
        call()
