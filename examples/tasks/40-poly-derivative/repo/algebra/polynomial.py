"""Polynomials with integer coefficients, lowest power first: [1, 2, 3] is 1 + 2x + 3x^2."""

from __future__ import annotations

from itertools import zip_longest


class Polynomial:
    def __init__(self, coeffs: list[int]) -> None:
        trimmed = list(coeffs)
        while len(trimmed) > 1 and trimmed[-1] == 0:
            trimmed.pop()
        self.coeffs = trimmed or [0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Polynomial) and self.coeffs == other.coeffs

    def __repr__(self) -> str:
        return f"Polynomial({self.coeffs})"

    @property
    def degree(self) -> int:
        return len(self.coeffs) - 1

    def __call__(self, x: int) -> int:
        result = 0
        for c in reversed(self.coeffs):
            result = result * x + c
        return result

    def __add__(self, other: Polynomial) -> Polynomial:
        return Polynomial([a + b for a, b in zip_longest(self.coeffs, other.coeffs, fillvalue=0)])

    def __mul__(self, other: Polynomial) -> Polynomial:
        out = [0] * (len(self.coeffs) + len(other.coeffs) - 1)
        for i, a in enumerate(self.coeffs):
            for j, b in enumerate(other.coeffs):
                out[i + j] += a * b
        return Polynomial(out)

    def derivative(self) -> Polynomial:
        return Polynomial([power * c for power, c in enumerate(self.coeffs[1:])])

    def __str__(self) -> str:
        terms = [_term(c, p) for p, c in reversed(list(enumerate(self.coeffs))) if c]
        return " + ".join(terms).replace("+ -", "- ") or "0"


def _term(c: int, power: int) -> str:
    coeff = "" if abs(c) == 1 and power else str(abs(c))
    sign = "-" if c < 0 else ""
    variable = "" if power == 0 else "x" if power == 1 else f"x^{power}"
    return f"{sign}{coeff}{variable}"
