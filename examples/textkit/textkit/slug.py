"""URL slugs: ASCII, lower-case, words joined by a separator."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SPECIAL = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "&": " and "}


def slugify(text: str, sep: str = "-", max_length: int | None = None) -> str:
    """'Crème brûlée & Co.' -> 'creme-brulee-and-co'. A cut never leaves a trailing separator."""
    for special, replacement in _SPECIAL.items():
        text = text.replace(special, replacement).replace(special.upper(), replacement)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_WORD.sub(sep, ascii_text.lower()).strip(sep)
    if max_length is not None and len(slug) > max_length:
        slug = _cut_at_word(slug, sep, max_length)
    return slug


def _cut_at_word(slug: str, sep: str, max_length: int) -> str:
    cut = slug[:max_length]
    if slug[max_length : max_length + len(sep)] == sep or sep not in cut:
        return cut.strip(sep)
    return cut.rsplit(sep, 1)[0]


def unique_slug(text: str, taken: set[str], sep: str = "-") -> str:
    """A slug not in `taken`: 'title', then 'title-2', 'title-3', ..."""
    base = slugify(text, sep) or "item"
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}{sep}{n}"
        n += 1
    return candidate
