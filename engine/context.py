"""The context block: what the planner shows the model, in the one format dagent-tiny is trained on.

Both the planner (at run time) and the training-data generator import this module, so the model
always sees at run time exactly the layout it learned from.

    <|fix|>                                  or  <|edit|> make parse_config static
    <|error|> tests/test_stats.py::test_mean: assert 2.5 == 2.0
    <|file|> pkg/stats.py:10
    def mean(xs):
        ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

FIX = "<|fix|>"
EDIT = "<|edit|>"
ERROR = "<|error|>"
FILE = "<|file|>"
MARKERS = (FIX, EDIT, ERROR, FILE)

MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class Snippet:
    """Whole lines of one file, starting at 1-based `start_line`."""

    path: str
    start_line: int
    code: str


# The window around a suspect line that goes first in the block: dagent-tiny learned with these sizes.
WINDOW_BEFORE, WINDOW_AFTER = 10, 5
# Lines above the suspect line to try, widest first, until the line itself fits the model's context
# window (a long error message or long lines above would otherwise push it out of the encoder's view).
WINDOW_STEPS = (WINDOW_BEFORE, 6, 3, 1, 0)


def focus_window(path: str, lines: list[str], line: int, first: int = 1, last: int | None = None,
                 before: int = WINDOW_BEFORE) -> Snippet:
    """`lines` (keepends) around 1-based `line`: `before` above, WINDOW_AFTER below, within
    [first, last] (training clips to the enclosing function). Run time and training both cut here."""
    start = max(first, line - before)
    end = min(last if last is not None else len(lines), line + WINDOW_AFTER)
    return Snippet(path, start, "".join(lines[start - 1 : end]))


def narrowing_contexts(errors: list[str], path: str, lines: list[str], line: int, first: int, last: int,
                       extra: Sequence[Snippet] = ()) -> tuple[str, ...]:
    """A fix block for the bug at `line` (the errors, its window within [first, last], then `extra`),
    rendered once per WINDOW_STEPS: narrower and narrower above the line. Whoever encodes it keeps the
    widest whose context window still holds the line (`prompt.fitted_context`): training and run time alike."""
    return tuple(
        render_context(ContextBlock(task="fix", errors=errors,
                                    snippets=[focus_window(path, lines, line, first, last, before), *extra]))
        for before in WINDOW_STEPS
    )


@dataclass
class ContextBlock:
    task: Literal["fix", "edit"]
    instruction: str = ""
    errors: list[str] = field(default_factory=list)
    snippets: list[Snippet] = field(default_factory=list)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def render_snippet(snippet: Snippet) -> str:
    code = snippet.code if snippet.code.endswith("\n") or not snippet.code else snippet.code + "\n"
    return f"{FILE} {snippet.path}:{snippet.start_line}\n{code}"


def render_context(block: ContextBlock, max_chars: int | None = None) -> str:
    """The block as text. With `max_chars`, later snippets are dropped first, then errors are cut."""
    head = f"{FIX}\n" if block.task == "fix" else f"{EDIT} {_one_line(block.instruction, 200)}\n"
    errors = "".join(f"{ERROR} {_one_line(e, MAX_ERROR_CHARS)}\n" for e in block.errors)
    parts = [head + errors]
    used = len(parts[0])
    for snippet in block.snippets:
        text = render_snippet(snippet)
        if max_chars is not None and used + len(text) > max_chars and len(parts) > 1:
            break
        parts.append(text)
        used += len(text)
    rendered = "".join(parts)
    return rendered if max_chars is None else rendered[:max_chars]


def snippets_of(rendered: str) -> list[Snippet]:
    """The snippets of a rendered block (`render_context`'s `<|file|> path:LINE` sections), for callers
    that hold only its text (the bench's examples); a section cut off mid-line keeps its whole lines."""
    snippets: list[Snippet] = []
    header: tuple[str, int] | None = None
    code: list[str] = []
    for line in rendered.splitlines(keepends=True) + [FILE + " "]:
        if not line.startswith(MARKERS):
            code.append(line)
            continue
        if header is not None:
            whole = code if not code or code[-1].endswith("\n") else code[:-1]
            snippets.append(Snippet(header[0], header[1], "".join(whole)))
        header, code = _file_header(line), []
    return snippets


def _file_header(line: str) -> tuple[str, int] | None:
    if not line.startswith(FILE + " "):
        return None
    path, _, start = line[len(FILE) + 1 :].rstrip("\n").rpartition(":")
    return (path, int(start)) if path and start.isdigit() else None
