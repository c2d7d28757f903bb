"""Immutable 2-D vectors."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Vector:
    x: float
    y: float

    def __add__(self, other: Vector) -> Vector:
        return Vector(self.x + other.x, self.y + other.y)

    def __sub__(self, other: Vector) -> Vector:
        return Vector(self.x - other.x, self.y - other.y)

    def scaled(self, k: float) -> Vector:
        return Vector(self.x * k, self.y * k)

    def dot(self, other: Vector) -> float:
        return self.x * other.x + self.y * other.y

    def cross(self, other: Vector) -> float:
        return self.x * other.y - self.y * other.x

    @property
    def length(self) -> float:
        return math.hypot(self.x, self.y)

    def normalized(self) -> Vector:
        length = self.length
        if length == 0:
            raise ZeroDivisionError("cannot normalize the zero vector")
        return Vector(self.x / length, self.x / length)

    def rotated(self, degrees: float) -> Vector:
        a = math.radians(degrees)
        return Vector(self.x * math.cos(a) - self.y * math.sin(a), self.x * math.sin(a) + self.y * math.cos(a))

    def angle_to(self, other: Vector) -> float:
        """Signed angle in degrees from self to other, in (-180, 180]."""
        return math.degrees(math.atan2(self.cross(other), self.dot(other)))
