"""Greedy word wrap that keeps paragraphs and breaks words longer than the width."""

from __future__ import annotations


def wrap(text: str, width: int = 72, indent: str = "") -> list[str]:
    """Lines of at most `width` characters (indent included). Blank lines separate paragraphs."""
    if width <= len(indent):
        raise ValueError(f"width {width} leaves no room after indent {indent!r}")
    lines: list[str] = []
    for number, paragraph in enumerate(_paragraphs(text)):
        if number:
            lines.append("")
        lines.extend(_wrap_paragraph(paragraph.split(), width, indent))
    return lines


def _paragraphs(text: str) -> list[str]:
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


def _wrap_paragraph(words: list[str], width: int, indent: str) -> list[str]:
    room = width - len(indent)
    lines: list[str] = []
    line = ""
    for word in _split_long(words, room):
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= room:
            line += " " + word
        else:
            lines.append(indent + line)
            line = word
    if line:
        lines.append(indent + line)
    return lines


def _split_long(words: list[str], room: int) -> list[str]:
    out: list[str] = []
    for word in words:
        out.extend(word[i : i + room] for i in range(0, len(word), room))
    return out
