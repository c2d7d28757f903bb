"""Convert between integers and Roman numerals (1 to 3999, canonical subtractive form)."""

from __future__ import annotations

_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_PAIRS = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]


class RomanError(ValueError):
    """Not a number we can write, or not a numeral we can read."""


def to_roman(number: int) -> str:
    if not 0 < number < 4000:
        raise RomanError(f"{number} is out of range 1..3999")
    parts = []
    for value, symbol in _PAIRS:
        count, number = divmod(number, value)
        parts.append(symbol * count)
    return "".join(parts)


def from_roman(text: str) -> int:
    numeral = text.strip().upper()
    if not numeral or any(ch not in _VALUES for ch in numeral):
        raise RomanError(f"{text!r} is not a roman numeral")
    total = 0
    for current, following in zip(numeral, numeral[1:] + " "):
        value = _VALUES[current]
        if following != " " and value < _VALUES[following]:
            total += value
        else:
            total += value
    if to_roman(total) != numeral:
        raise RomanError(f"{text!r} is not canonical (read as {total}, written {to_roman(total)})")
    return total
