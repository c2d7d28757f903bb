"""Recipes: ingredient lines parsed, scaled to a number of servings, converted and summed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from .units import UnitError, best_unit, canonical, convert, dimension, from_base, to_base

_LINE = re.compile(r"^\s*(?P<qty>\d+(?:\s+\d+/\d+)?|\d+/\d+|\d*\.\d+)\s*(?P<unit>[a-zA-Z.]*)\s+(?P<name>.+?)\s*$")


def parse_qty(text: str) -> Fraction:
    """'2', '1/2', '1 1/2', '.75'."""
    parts = text.split()
    return sum((Fraction(p) for p in parts), Fraction(0))


@dataclass(frozen=True)
class Ingredient:
    name: str
    qty: Fraction
    unit: str

    def scaled(self, factor: Fraction) -> Ingredient:
        return Ingredient(self.name, self.qty * factor, self.unit)

    def to(self, unit: str) -> Ingredient:
        return Ingredient(self.name, convert(self.qty, self.unit, unit), canonical(unit))

    def __str__(self) -> str:
        return f"{format_qty(self.qty)} {self.unit} {self.name}"


def parse_line(line: str) -> Ingredient:
    m = _LINE.match(line)
    if not m:
        raise ValueError(f"not an ingredient line: {line!r}")
    unit = m["unit"]
    name = m["name"]
    try:
        unit = canonical(unit)
    except UnitError:  # '2 eggs': the word was the name, not a unit
        name, unit = f"{unit} {name}", "pc"
    return Ingredient(name.strip().lower(), parse_qty(m["qty"]), unit)


def format_qty(q: Fraction) -> str:
    """Mixed numbers for kitchen use: 3/2 -> '1 1/2', 2 -> '2'."""
    whole, rest = divmod(q.numerator, q.denominator)
    if rest == 0:
        return str(whole)
    frac = f"{rest}/{q.denominator}"
    return f"{whole} {frac}" if whole else frac


@dataclass
class Recipe:
    title: str
    servings: int
    ingredients: list[Ingredient] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Recipe:
        lines = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        header = lines[0]
        m = re.match(r"^(?P<title>.+?)\s*\(serves\s+(?P<n>\d+)\)\s*$", header)
        if not m:
            raise ValueError("first line must be 'Title (serves N)'")
        return cls(m["title"], int(m["n"]), [parse_line(ln) for ln in lines[1:]])

    def scale(self, servings: int) -> Recipe:
        if servings < 1:
            raise ValueError("servings must be at least 1")
        factor = Fraction(self.servings, servings)
        return Recipe(self.title, servings, [i.scaled(factor) for i in self.ingredients])

    def totals(self) -> dict[tuple[str, str], Fraction]:
        """Amount per (ingredient, dimension), in base units."""
        out: dict[tuple[str, str], Fraction] = {}
        for ing in self.ingredients:
            key = (ing.name, dimension(ing.unit))
            out[key] = out.get(key, Fraction(0)) + to_base(ing.qty, ing.unit)
        return out

    def shopping_list(self, system: str = "metric") -> list[str]:
        lines = []
        for (name, dim), base in sorted(self.totals().items()):
            unit = best_unit(base, dim, system)
            lines.append(f"{format_qty(from_base(base, unit))} {unit} {name}")
        return lines

    def combined(self, other: Recipe) -> Recipe:
        return Recipe(f"{self.title} + {other.title}", self.servings, self.ingredients + other.ingredients)
