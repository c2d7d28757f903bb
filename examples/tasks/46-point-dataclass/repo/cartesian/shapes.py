"""Polygons as lists of points."""

from __future__ import annotations

from cartesian.point import Point


def perimeter(polygon: list[Point]) -> float:
    if len(polygon) < 3:
        raise ValueError("a polygon needs at least three points")
    return sum(a.distance_to(b) for a, b in zip(polygon, polygon[1:] + polygon[:1]))


def area(polygon: list[Point]) -> float:
    """Shoelace formula; positive for counter-clockwise polygons."""
    return sum(a.x * b.y - b.x * a.y for a, b in zip(polygon, polygon[1:] + polygon[:1])) / 2


def translated(polygon: list[Point], dx: float, dy: float) -> list[Point]:
    return [p.translated(dx, dy) for p in polygon]
