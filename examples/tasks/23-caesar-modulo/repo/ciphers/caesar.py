"""Caesar and Vigenère ciphers over ASCII letters; everything else passes through."""

from __future__ import annotations

from itertools import cycle
from string import ascii_lowercase

ALPHABET = len(ascii_lowercase)


def shift_letter(ch: str, shift: int) -> str:
    if not ch.isascii() or not ch.isalpha():
        return ch
    base = ord("a") if ch.islower() else ord("A")
    return chr((ord(ch) - base + shift) % (ALPHABET - 1) + base)


def caesar(text: str, shift: int) -> str:
    return "".join(shift_letter(ch, shift) for ch in text)


def rot13(text: str) -> str:
    return caesar(text, 13)


def vigenere(text: str, key: str, decrypt: bool = False) -> str:
    """Shift each letter by the next key letter (a = 0); non-letters do not use up the key."""
    if not key.isalpha():
        raise ValueError("key must be letters only")
    shifts = cycle(ord(k) - ord("a") for k in key.lower())
    sign = -1 if decrypt else 1
    return "".join(shift_letter(ch, sign * next(shifts)) if ch.isalpha() else ch for ch in text)
