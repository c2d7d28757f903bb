import pytest

from linalg.matrix import identity, multiply, power, shape, transpose


def test_square_product():
    assert multiply([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]


def test_rectangular_product():
    a = [[1, 2, 3], [4, 5, 6]]
    b = [[7], [8], [9]]
    assert multiply(a, b) == [[50], [122]]


def test_product_with_transpose():
    a = [[1, 2, 3]]
    assert multiply(transpose(a), a) == [[1, 2, 3], [2, 4, 6], [3, 6, 9]]


def test_power_fibonacci():
    assert power([[1, 1], [1, 0]], 10) == [[89, 55], [55, 34]]
    assert power([[2, 0], [0, 2]], 0) == identity(2)


def test_shape_errors():
    with pytest.raises(ValueError, match="ragged"):
        shape([[1, 2], [3]])
    with pytest.raises(ValueError, match="cannot multiply 1x2 by 3x1"):
        multiply([[1, 2]], [[1], [2], [3]])
