import dataclasses

import pytest

from cartesian.point import Point


def test_point_is_a_dataclass():
    assert dataclasses.is_dataclass(Point)


def test_equality_and_hashing():
    assert Point(1, 2) == Point(1, 2)
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2


def test_points_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Point(1, 2).x = 5


def test_repr_and_distance():
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert Point(0, 0).distance_to(Point(3, 4)) == 5.0
