"""Finding an op's anchor lines in a file: exactly, else ignoring indentation and blank lines (the new
text re-indented), the line hint breaking ties; an AnchorError names what was closest."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from dagent.errors import ApplyError
from dagent.ops.textfile import split_lines_kept


class AnchorError(ApplyError):
    """An anchor was not found, or found in several places with no line hint to choose between them."""

    def __init__(
        self, message: str, path: str, anchor: str, matches: list[int], closest: list[tuple[int, str]], already_applied: bool
    ) -> None:
        super().__init__(message)
        self.path = path
        self.anchor = anchor
        self.matches = matches  # 1-based lines where an ambiguous anchor matched
        self.closest = closest  # (1-based line, text) of the lines most like the anchor's first line
        self.already_applied = already_applied


@dataclass(frozen=True)
class Span:
    """Where an anchor matched: lines [start, end) (0-based), and the indentation to map new text by."""

    start: int
    end: int
    indent_from: str = ""
    indent_to: str = ""


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())] if line.strip() else ""


def _first_content(lines: list[str]) -> str:
    return next((ln for ln in lines if ln.strip()), lines[0] if lines else "")


def _exact(lines: list[str], anchor: list[str]) -> list[int]:
    n = len(anchor)
    return [i for i in range(len(lines) - n + 1) if lines[i] == anchor[0] and lines[i : i + n] == anchor]


def _loose(lines: list[str], anchor: list[str]) -> list[tuple[int, int]]:
    """Spans matching `anchor` with indentation, trailing whitespace and blank lines ignored."""
    want = [a.strip() for a in anchor if a.strip()]
    if not want:
        return []
    index = [i for i, ln in enumerate(lines) if ln.strip()]
    have = [lines[i].strip() for i in index]
    m = len(want)
    return [(index[j], index[j + m - 1] + 1) for j in range(len(have) - m + 1) if have[j : j + m] == want]


def find_anchor(text: str, anchor: str, hint: int | None = None, path: str = "<text>", replacement: str = "") -> Span:
    """Locate the whole lines `anchor` in `text` (LF, final "\\n"); see the module docstring for the rules.

    `replacement` (the op's new text) only serves the error message: "already applied?" when it is
    found where the anchor is not.
    """
    lines, wanted = split_lines_kept(text), split_lines_kept(anchor)
    exact = [(start, start + len(wanted)) for start in _exact(lines, wanted)]
    for spans, loosely in ((exact, False), ([] if exact else _loose(lines, wanted), True)):
        if not spans:
            continue
        if len(spans) > 1 and hint is None:
            raise _ambiguous(path, wanted, lines, [start for start, _ in spans])
        start, end = spans[0] if len(spans) == 1 else min(spans, key=lambda span: (abs(span[0] + 1 - hint), span[0]))  # type: ignore[operator]
        if loosely:
            return Span(start, end, _indent(_first_content(wanted)), _indent(lines[start]))
        return Span(start, end)
    raise _missing(path, wanted, lines, hint, replacement)


def _ambiguous(path: str, anchor: list[str], lines: list[str], starts: list[int]) -> AnchorError:
    first = _first_content(anchor).rstrip("\n")
    shown = ", ".join(str(s + 1) for s in starts[:10]) + (" ..." if len(starts) > 10 else "")
    closest = [(s + 1, lines[s].rstrip("\n")) for s in starts[:5]]
    message = (
        f"{path}: the anchor starting {first!r} ({len(anchor)} line(s)) matches {len(starts)} places "
        f"(lines {shown}); add a line hint ({path}:LINE) or more lines of context to pick one"
    )
    return AnchorError(message, path, "".join(anchor), [s + 1 for s in starts], closest, False)


def _closest(lines: list[str], first: str, count: int = 3) -> list[tuple[int, str]]:
    stripped = [ln.strip() for ln in lines]
    close = difflib.get_close_matches(first.strip(), [s for s in stripped if s], n=count, cutoff=0.5)
    found: list[tuple[int, str]] = []
    for text in close:
        i = stripped.index(text)
        found.append((i + 1, lines[i].rstrip("\n")))
    return found


def _present(lines: list[str], text: str) -> bool:
    wanted = split_lines_kept(text)
    return bool(wanted and any(w.strip() for w in wanted) and (_exact(lines, wanted) or _loose(lines, wanted)))


def _missing(path: str, anchor: list[str], lines: list[str], hint: int | None, replacement: str) -> AnchorError:
    first = _first_content(anchor).rstrip("\n")
    closest = _closest(lines, first)
    applied = _present(lines, replacement)
    message = f"{path}: anchor not found: the {len(anchor)} line(s) starting {first!r}"
    message += f" (line hint {hint})" if hint is not None else ""
    if closest:
        message += "; closest lines in the file:" + "".join(f"\n  {n:>5} | {t}" for n, t in closest)
    else:
        message += "; no similar line in the file"
    if applied:
        message += "\nthe replacement text is already present: already applied?"
    return AnchorError(message, path, "".join(anchor), [], closest, applied)


def reindent(text: str, indent_from: str, indent_to: str) -> str:
    """Re-indent `text` by the offset between an anchor's indentation and the file's."""
    if indent_from == indent_to:
        return text
    out: list[str] = []
    for line in split_lines_kept(text):
        if not line.strip():
            out.append(line)
        elif line.startswith(indent_from):
            out.append(indent_to + line[len(indent_from) :])
        elif indent_to.startswith(indent_from):  # the file is deeper: add the difference
            out.append(indent_to[len(indent_from) :] + line)
        elif indent_from.startswith(indent_to):  # the file is shallower: remove what we can
            extra = len(indent_from) - len(indent_to)
            out.append(line[min(extra, len(_indent(line))) :])
        else:
            out.append(line)
    return "".join(out)
