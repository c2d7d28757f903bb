"""Dense matrices as lists of rows."""

from __future__ import annotations

Matrix = list[list[float]]


def shape(m: Matrix) -> tuple[int, int]:
    if not m or not m[0]:
        raise ValueError("empty matrix")
    cols = len(m[0])
    if any(len(row) != cols for row in m):
        raise ValueError("ragged matrix: rows differ in length")
    return len(m), cols


def identity(n: int) -> Matrix:
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def transpose(m: Matrix) -> Matrix:
    rows, cols = shape(m)
    return [[m[i][j] for i in range(rows)] for j in range(cols)]


def multiply(a: Matrix, b: Matrix) -> Matrix:
    rows, inner = shape(a)
    inner_b, cols = shape(b)
    if inner != inner_b:
        raise ValueError(f"cannot multiply {rows}x{inner} by {inner_b}x{cols}")
    return [[sum(a[i][k] * b[k][j] for k in range(rows)) for j in range(cols)] for i in range(rows)]


def power(m: Matrix, exponent: int) -> Matrix:
    """m ** exponent by repeated squaring (square matrices, exponent >= 0)."""
    rows, cols = shape(m)
    if rows != cols:
        raise ValueError(f"power of a non-square {rows}x{cols} matrix")
    result, base = identity(rows), m
    while exponent:
        if exponent & 1:
            result = multiply(result, base)
        base = multiply(base, base)
        exponent >>= 1
    return result
