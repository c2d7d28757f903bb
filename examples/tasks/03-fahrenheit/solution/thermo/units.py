"""Temperatures in Celsius, Fahrenheit and Kelvin."""

from __future__ import annotations

import re

ABSOLUTE_ZERO_C = -273.15
UNITS = ("C", "F", "K")
_READING = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*°?\s*([CFK])\s*$", re.IGNORECASE)


def to_celsius(value: float, unit: str) -> float:
    if unit == "C":
        return value
    if unit == "F":
        return (value - 32) * 5 / 9
    if unit == "K":
        return value + ABSOLUTE_ZERO_C
    raise ValueError(f"unknown unit {unit!r}, expected one of {UNITS}")


def from_celsius(celsius: float, unit: str) -> float:
    if unit == "C":
        return celsius
    if unit == "F":
        return celsius * 9 / 5 + 32
    if unit == "K":
        return celsius - ABSOLUTE_ZERO_C
    raise ValueError(f"unknown unit {unit!r}, expected one of {UNITS}")


def convert(value: float, source: str, target: str) -> float:
    celsius = to_celsius(value, source.upper())
    if celsius < ABSOLUTE_ZERO_C - 1e-9:
        raise ValueError(f"{value} {source} is below absolute zero")
    return round(from_celsius(celsius, target.upper()), 2)


def parse_reading(text: str) -> tuple[float, str]:
    """'21.5 °C' -> (21.5, 'C')."""
    match = _READING.match(text)
    if not match:
        raise ValueError(f"not a temperature: {text!r}")
    return float(match.group(1)), match.group(2).upper()
