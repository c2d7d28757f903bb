"""Bracket matching for (), [] and {} that reports where the first problem is."""

from __future__ import annotations

from dataclasses import dataclass

PAIRS = {")": "(", "]": "[", "}": "{"}
OPENERS = set(PAIRS.values())


@dataclass(frozen=True)
class Mismatch:
    offset: int
    message: str


def check(text: str) -> Mismatch | None:
    """None when every bracket is matched, otherwise the first problem."""
    stack: list[tuple[str, int]] = []
    for offset, ch in enumerate(text):
        if ch in OPENERS:
            stack.append((ch, offset))
        elif ch in PAIRS:
            if not stack:
                return Mismatch(offset, f"unexpected {ch!r}")
            opener, where = stack[-1]
            if opener != PAIRS[ch]:
                return Mismatch(offset, f"{ch!r} closes {opener!r} opened at {where}")
    if stack:
        opener, where = stack[-1]
        return Mismatch(where, f"{opener!r} is never closed")
    return None


def is_balanced(text: str) -> bool:
    return check(text) is None


def max_depth(text: str) -> int:
    depth = best = 0
    for ch in text:
        if ch in OPENERS:
            depth += 1
            best = max(best, depth)
        elif ch in PAIRS:
            depth -= 1
    return best
