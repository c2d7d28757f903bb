"""Render rows as a fixed-width table: text left-aligned, numbers right-aligned."""

from __future__ import annotations

from collections.abc import Sequence

from reportgen.helpers import format_number, pad_left, pad_right, truncate

Cell = str | int | float


def _text(cell: Cell, digits: int) -> str:
    return format_number(cell, digits) if isinstance(cell, (int, float)) else cell


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], max_width: int = 20, digits: int = 2) -> str:
    cells = [[truncate(_text(cell, digits), max_width) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) for i in range(len(headers))]
    lines = ["  ".join(pad_right(h, w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        parts = [pad_left(c, w) if num else pad_right(c, w) for c, w, num in zip(row, widths, numeric)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
