"""Password rules, reported as a list of problems a user can act on."""

from __future__ import annotations

import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    min_length: int = 12
    require_digit: bool = True
    require_upper: bool = True
    require_symbol: bool = False
    max_repeat: int = 3

    def problems(self, password: str) -> list[str]:
        found = []
        if not len(password) >= self.min_length:
            found.append(f"use at least {self.min_length} characters")
        if self.require_digit and not any(c.isdigit() for c in password):
            found.append("add a digit")
        if self.require_upper and not any(c.isupper() for c in password):
            found.append("add an upper-case letter")
        if self.require_symbol and not any(c in string.punctuation for c in password):
            found.append("add a symbol")
        if longest_run(password) > self.max_repeat:
            found.append(f"repeat a character at most {self.max_repeat} times in a row")
        return found

    def accepts(self, password: str) -> bool:
        return not self.problems(password)


def longest_run(text: str) -> int:
    best = run = 0
    previous = None
    for char in text:
        run = run + 1 if char == previous else 1
        best = max(best, run)
        previous = char
    return best
