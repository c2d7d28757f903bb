"""Hex colours: parsing, formatting, lightening, darkening and mixing."""

from __future__ import annotations

RGB = tuple[int, int, int]


def parse_hex(text: str) -> RGB:
    """'#1a2b3c' or '#abc' (case-insensitive) -> (26, 43, 60)."""
    digits = text.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    if len(digits) != 6:
        raise ValueError(f"not a hex colour: {text!r}")
    try:
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    except ValueError:
        raise ValueError(f"not a hex colour: {text!r}") from None


def to_hex(rgb: RGB) -> str:
    return "#" + "".join(f"{_clamp(c):02x}" for c in rgb)


def _clamp(value: float) -> int:
    return max(0, min(255, round(value)))


def lighten(color: str, amount: float) -> str:
    """Move each channel `amount` (0..1) of the way towards white."""
    return to_hex(tuple(c + (255 + c) * amount for c in parse_hex(color)))


def darken(color: str, amount: float) -> str:
    """Move each channel `amount` (0..1) of the way towards black."""
    return to_hex(tuple(c * (1 - amount) for c in parse_hex(color)))


def mix(a: str, b: str, weight: float = 0.5) -> str:
    """`weight` of b mixed into a."""
    return to_hex(tuple(x + (y - x) * weight for x, y in zip(parse_hex(a), parse_hex(b))))
