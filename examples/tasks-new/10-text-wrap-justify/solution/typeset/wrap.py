"""Plain-text typesetting: greedy wrapping, full justification, truncation and pagination."""

from __future__ import annotations

import math


def _words(text: str) -> list[str]:
    return text.split()


def _hard_split(word: str, width: int) -> list[str]:
    return [word[i : i + width] for i in range(0, len(word), width)]


def wrap(text: str, width: int, break_long: bool = True) -> list[str]:
    """Greedy wrap: each line holds as many words as fit in `width` columns (a line may be exactly full)."""
    if width < 1:
        raise ValueError("width must be at least 1")
    lines: list[str] = []
    current: list[str] = []
    length = 0
    for word in _words(text):
        pieces = _hard_split(word, width) if break_long and len(word) > width else [word]
        for piece in pieces:
            extra = len(piece) + (1 if current else 0)
            if current and length + extra > width:
                lines.append(" ".join(current))
                current, length = [], 0
                extra = len(piece)
            current.append(piece)
            length += extra
    if current:
        lines.append(" ".join(current))
    return lines


def justify(text: str, width: int) -> list[str]:
    """Wrap, then pad every line but the last to exactly `width`, extra spaces going to the left gaps."""
    lines = wrap(text, width)
    out = []
    for i, line in enumerate(lines):
        words = line.split(" ")
        if i == len(lines) - 1 or len(words) == 1:
            out.append(line)
            continue
        gaps = len(words) - 1
        spaces = width - sum(len(w) for w in words)
        base, extra = divmod(spaces, gaps)
        parts = []
        for j, word in enumerate(words[:-1]):
            parts.append(word + " " * (base + (1 if j < extra else 0)))
        parts.append(words[-1])
        out.append("".join(parts))
    return out


def center(line: str, width: int, fill: str = " ") -> str:
    """Center `line`; an odd leftover column goes to the right."""
    if len(fill) != 1:
        raise ValueError("fill must be one character")
    if len(line) >= width:
        return line
    total = width - len(line)
    left = total // 2
    return fill * left + line + fill * (total - left)


def truncate(text: str, limit: int, ellipsis: str = "…", at_word: bool = False) -> str:
    """At most `limit` characters, the ellipsis included; `at_word` cuts back to a word boundary."""
    if limit < len(ellipsis):
        raise ValueError("limit shorter than the ellipsis")
    if len(text) <= limit:
        return text
    keep = limit - len(ellipsis)
    cut = text[:keep]
    if at_word and " " in cut and text[keep] != " ":
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + ellipsis


def paginate(lines: list[str], per_page: int, header: str = "", footer: bool = True) -> list[list[str]]:
    """Split lines into pages of `per_page` body lines; a header line and a 'page i/n' footer are extra."""
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    count = max(1, math.ceil(len(lines) / per_page))
    pages = []
    for p in range(count):
        body = lines[p * per_page : (p + 1) * per_page]
        page = ([header] if header else []) + body
        if footer:
            page.append(f"page {p + 1}/{count}")
        pages.append(page)
    return pages


def columns(items: list[str], width: int, gap: int = 2) -> list[str]:
    """Lay short items out in as many equal columns as fit in `width`, filled column by column."""
    if not items:
        return []
    cell = max(len(s) for s in items)
    ncols = max(1, (width + gap) // (cell + gap))
    nrows = math.ceil(len(items) / ncols)
    rows = []
    for r in range(nrows):
        row = [items[c * nrows + r] for c in range(ncols) if c * nrows + r < len(items)]
        rows.append((" " * gap).join(s.ljust(cell) for s in row).rstrip())
    return rows
