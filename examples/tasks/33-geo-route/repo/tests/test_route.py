import pytest

from geo.route import longest_leg, route_length

SQUARE = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]


def test_open_route():
    assert route_length(SQUARE) == pytest.approx(333.6, abs=0.5)


def test_closed_route_returns_home():
    assert route_length(SQUARE, closed=True) == pytest.approx(444.8, abs=0.5)


def test_longest_leg():
    index, length = longest_leg([(0, 0), (0, 1), (0, 4)])
    assert index == 1
    with pytest.raises(ValueError):
        longest_leg([(0, 0)])
