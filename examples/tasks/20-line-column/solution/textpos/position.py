"""Offsets in a text and (line, column) positions, both 1-based, plus a caret excerpt for errors."""

from __future__ import annotations


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of text[offset]; offset == len(text) is the end of the text."""
    if not 0 <= offset <= len(text):
        raise IndexError(f"offset {offset} outside 0..{len(text)}")
    line = text.count("\n", 0, offset) + 1
    last_newline = text.rfind("\n", 0, offset)
    return line, offset - last_newline


def offset_of(text: str, line: int, col: int) -> int:
    """The inverse of line_col."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines) or not 1 <= col <= len(lines[line - 1]) + 1:
        raise IndexError(f"no position {line}:{col}")
    return sum(len(l) + 1 for l in lines[: line - 1]) + col - 1


def excerpt(text: str, offset: int) -> str:
    """The line holding offset and a caret under it, prefixed with its position."""
    line, col = line_col(text, offset)
    source = text.split("\n")[line - 1]
    prefix = f"{line}:{col}: "
    return f"{prefix}{source}\n{' ' * (len(prefix) + col - 1)}^"
