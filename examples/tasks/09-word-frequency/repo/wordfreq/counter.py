"""Word frequencies of English text."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
STOPWORDS = frozenset("a an and are as at be but by for in is it of on or the to was with".split())


def words(text: str, keep_stopwords: bool = False) -> list[str]:
    found = _WORD.findall(text.lower())
    return found if keep_stopwords else [w for w in found if w not in STOPWORDS]


def counts(text: str) -> Counter[str]:
    return Counter(words(text))


def top_words(text: str, n: int = 10) -> list[tuple[str, int]]:
    """The n most frequent words, most frequent first, ties in alphabetical order."""
    ranked = sorted(counts(text).items(), key=lambda kv: (kv[1], kv[0]))
    return ranked[:n]


def frequencies(text: str) -> dict[str, float]:
    """Share of each word among all counted words, rounded to 3 digits."""
    c = counts(text)
    total = sum(c.values())
    return {word: round(count / total, 3) for word, count in sorted(c.items())}
