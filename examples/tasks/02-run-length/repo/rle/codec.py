"""Run-length encoding of text: 'aaabccdddd' <-> '3ab2c4d' (a count of 1 is left out)."""

from __future__ import annotations

import re

_RUN = re.compile(r"(\d*)(\D)")


def encode(text: str) -> str:
    if any(ch.isdigit() for ch in text):
        raise ValueError(f"digits cannot be run-length encoded: {text!r}")
    if not text:
        return ""
    out = []
    prev, count = text[0], 1
    for char in text[1:]:
        if char == prev:
            count += 1
            continue
        out.append(_run(count, char))
        prev, count = char, 1
    out.append(_run(count, prev))
    return "".join(out)


def _run(count: int, char: str) -> str:
    return f"{count}{char}" if count > 1 else char


def decode(encoded: str) -> str:
    out = []
    pos = 0
    for match in _RUN.finditer(encoded):
        if match.start() != pos:
            break
        count = int(match.group(1)) if match.group(1) else 1
        out.append(match.group(2) * count)
        pos = match.end()
    if pos != len(encoded):
        raise ValueError(f"malformed input at position {pos}: {encoded!r}")
    return "".join(out)


def ratio(text: str) -> float:
    """Encoded length over original length (lower is better)."""
    return len(encode(text)) / len(text) if text else 1.0
