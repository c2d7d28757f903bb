import pytest

from vecmath.vector import Vector


def test_arithmetic():
    assert Vector(1, 2) + Vector(3, 4) == Vector(4, 6)
    assert Vector(1, 2).scaled(3) - Vector(1, 1) == Vector(2, 5)


def test_normalized():
    unit = Vector(3, 4).normalized()
    assert (unit.x, unit.y) == pytest.approx((0.6, 0.8))
    assert unit.length == pytest.approx(1.0)


def test_normalized_zero():
    with pytest.raises(ZeroDivisionError):
        Vector(0, 0).normalized()


def test_rotation_and_angle():
    r = Vector(1, 0).rotated(90)
    assert (r.x, r.y) == pytest.approx((0, 1))
    assert Vector(1, 0).angle_to(Vector(0, -2)) == pytest.approx(-90)
