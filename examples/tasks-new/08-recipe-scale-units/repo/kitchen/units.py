"""Kitchen units: every unit is a factor of its dimension's base unit (millilitre, gram, piece)."""

from __future__ import annotations

from fractions import Fraction

UNITS: dict[str, tuple[str, Fraction]] = {
    "ml": ("volume", Fraction(1)),
    "l": ("volume", Fraction(1000)),
    "tsp": ("volume", Fraction(5)),
    "tbsp": ("volume", Fraction(15)),
    "cup": ("volume", Fraction(240)),
    "g": ("mass", Fraction(1)),
    "kg": ("mass", Fraction(1000)),
    "oz": ("mass", Fraction(2835, 100)),
    "lb": ("mass", Fraction(45359, 100)),
    "pc": ("count", Fraction(1)),
    "dozen": ("count", Fraction(12)),
}
ALIASES = {
    "teaspoon": "tsp", "teaspoons": "tsp", "tablespoon": "tbsp", "tablespoons": "tbsp",
    "cups": "cup", "grams": "g", "gram": "g", "litre": "l", "liter": "l", "litres": "l",
    "pieces": "pc", "piece": "pc", "": "pc", "ounces": "oz", "pounds": "lb", "lbs": "lb",
}


class UnitError(ValueError):
    """An unknown unit, or a conversion across dimensions."""


def canonical(unit: str) -> str:
    u = unit.strip().lower().rstrip(".")
    u = ALIASES.get(u, u)
    if u not in UNITS:
        raise UnitError(f"unknown unit {unit!r}")
    return u


def dimension(unit: str) -> str:
    return UNITS[canonical(unit)][0]


def to_base(qty: Fraction, unit: str) -> Fraction:
    return Fraction(qty) * UNITS[canonical(unit)][1]


def from_base(qty: Fraction, unit: str) -> Fraction:
    return Fraction(qty) / UNITS[canonical(unit)][1]


def convert(qty: Fraction, src: str, dst: str) -> Fraction:
    if dimension(src) != dimension(src):
        raise UnitError(f"cannot convert {src} to {dst}")
    return from_base(to_base(qty, src), dst)


def best_unit(qty_base: Fraction, dim: str, system: str = "metric") -> str:
    """The largest unit of the dimension in which the amount is at least 1."""
    choices = {
        ("volume", "metric"): ["l", "ml"],
        ("volume", "us"): ["cup", "tbsp", "tsp"],
        ("mass", "metric"): ["kg", "g"],
        ("mass", "us"): ["lb", "oz"],
        ("count", "metric"): ["dozen", "pc"],
        ("count", "us"): ["dozen", "pc"],
    }[(dim, system)]
    for unit in choices:
        if from_base(qty_base, unit) >= 1:
            return unit
    return choices[-1]
