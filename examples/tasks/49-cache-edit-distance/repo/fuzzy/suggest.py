"""'Did you mean ...?' suggestions from a vocabulary."""

from __future__ import annotations

from collections.abc import Iterable

from fuzzy.distance import edit_distance


def suggestions(word: str, vocabulary: Iterable[str], max_distance: int = 2, limit: int = 3) -> list[str]:
    """Closest words first, ties alphabetical; only words within max_distance."""
    scored = sorted((edit_distance(word.lower(), v.lower()), v) for v in set(vocabulary))
    return [v for d, v in scored if d <= max_distance][:limit]


def did_you_mean(word: str, vocabulary: Iterable[str]) -> str:
    """A hint for an unknown word, or '' when nothing is close enough."""
    close = suggestions(word, vocabulary)
    if not close:
        return ""
    return f"unknown command {word!r}; did you mean {' or '.join(map(repr, close))}?"
