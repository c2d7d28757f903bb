from algebra.polynomial import Polynomial


def test_evaluate():
    assert Polynomial([1, 2, 3])(2) == 17


def test_add_and_multiply():
    p, q = Polynomial([1, 1]), Polynomial([-1, 1])
    assert p * q == Polynomial([-1, 0, 1])
    assert p + q == Polynomial([0, 2])


def test_derivative():
    assert Polynomial([1, 2, 3]).derivative() == Polynomial([2, 6])
    assert Polynomial([5, 0, 0, 4]).derivative() == Polynomial([0, 0, 12])


def test_derivative_of_constant():
    assert Polynomial([7]).derivative() == Polynomial([0])


def test_str():
    assert str(Polynomial([-1, 0, 3, -1])) == "-x^3 + 3x^2 - 1"
