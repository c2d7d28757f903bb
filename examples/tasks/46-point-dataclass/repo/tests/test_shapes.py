from cartesian.point import Point
from cartesian.shapes import area, perimeter, translated

SQUARE = [Point(0, 0), Point(2, 0), Point(2, 2), Point(0, 2)]


def test_perimeter_and_area():
    assert perimeter(SQUARE) == 8.0
    assert area(SQUARE) == 4.0


def test_translated():
    moved = translated(SQUARE, 1, -1)
    assert [(p.x, p.y) for p in moved] == [(1, -1), (3, -1), (3, 1), (1, 1)]
