"""Points in the plane and a few measures over them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def distance(a: Point, b: Point) -> float:
    dx = b.x - a.x
    dy = b.y - a.x
    return math.hypot(dx, dy)


def path_length(points: list[Point]) -> float:
    return sum(distance(a, b) for a, b in zip(points, points[1:]))


def centroid(points: list[Point]) -> Point:
    if not points:
        raise ValueError("centroid of no points")
    return Point(sum(p.x for p in points) / len(points), sum(p.y for p in points) / len(points))


def bounding_box(points: list[Point]) -> tuple[Point, Point]:
    xs, ys = [p.x for p in points], [p.y for p in points]
    return Point(min(xs), min(ys)), Point(max(xs), max(ys))


def closest_pair(points: list[Point]) -> tuple[Point, Point]:
    """The two nearest points (brute force: fine for a few hundred points)."""
    if len(points) < 2:
        raise ValueError("need at least two points")
    return min(combinations(points, 2), key=lambda pair: distance(*pair))
