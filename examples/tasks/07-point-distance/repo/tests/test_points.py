import pytest

from planar.points import Point, bounding_box, centroid, closest_pair, distance, path_length


def test_distance_from_origin():
    assert distance(Point(0, 0), Point(3, 4)) == 5.0


def test_distance_between_arbitrary_points():
    assert distance(Point(1, 2), Point(4, 6)) == 5.0
    assert distance(Point(-2, 5), Point(-2, 1)) == 4.0


def test_path_length():
    assert path_length([Point(1, 1), Point(1, 4), Point(5, 4)]) == 7.0


def test_centroid_and_box():
    pts = [Point(0, 0), Point(4, 0), Point(4, 2)]
    assert centroid(pts) == Point(8 / 3, 2 / 3)
    assert bounding_box(pts) == (Point(0, 0), Point(4, 2))


def test_closest_pair():
    pts = [Point(0, 10), Point(5, 5), Point(6, 5.5), Point(20, 1)]
    assert closest_pair(pts) == (Point(5, 5), Point(6, 5.5))
    with pytest.raises(ValueError):
        closest_pair(pts[:1])
