import pytest

from geo.distance import haversine, initial_bearing

PARIS = (48.8566, 2.3522)
LONDON = (51.5074, -0.1278)


def test_haversine_in_kilometres():
    assert haversine(*PARIS, *LONDON) == pytest.approx(343.5, abs=0.5)


def test_quarter_meridian():
    assert haversine(0, 0, 90, 0) == pytest.approx(10007.5, abs=1)


def test_bearing():
    assert initial_bearing(0, 0, 10, 0) == pytest.approx(0)
    assert initial_bearing(0, 0, 0, 10) == pytest.approx(90)
