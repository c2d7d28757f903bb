"""Where a free op stream may start: its first op's head, anchored at a line the context block shows.

A free canvas (nothing pinned: `dagent edit` with an instruction the planner cannot map onto an op) is
the model's own op stream, header included. dagent-tiny, left alone, invents the header: on
training-split free examples every path it wrote was made up, and the line after it rarely matched the
file. So the first op starts with one of these texts (a token trie the sampler holds, engine/canvas.py
`Slot.starts`): a body op anchored at one line the context shows, that line as its old (anchor) line
exactly as the file has it, and the marker that follows it:

    @@delete pkg/stats.py:12\\n    x = 1\\n@@end\\n          (whole)
    @@replace pkg/stats.py:12\\n    x = 1\\n@@with\\n        (also @@insert_after, @@insert_before)

after which the model writes the new lines and `@@end`. Once a row's start is settled (one start
left, all of it written), a replace's row continues from a draft (`start_draft`): its old line, then
`@@end`, exactly the draft `dagent fix` gives a pinned replace; a delete's row from pads (the stream
ends after it). The row is then what the planner's pinned op would have been: the canvas grows to fit
its longest start with that draft, as a pinned replace's grows (engine/canvas.py), and past the growth
limit a start keeps no draft rather than a cut one. One anchor line, as the planner pins and
dagent-tiny learned: left open, the model wrote `@@with` after a delete's line and `@@end` after a
replace's. What follows the start, and every later op of the stream, is free and checked by `validate`.

Not offered:
- the one-line ops (`@@rename path ...`, `@@param`, `@@move_module`, ...): dagent-tiny learned their
  words only behind a pinned header, and given their start on `dagent edit`'s free path it wrote words
  that never parsed (6 of 6 candidates on examples/buggy_stats); the planner maps the instructions they
  serve onto structural ops before the model is asked;
- `@@create`: its path is new, so nothing anchors it, and every one dagent-tiny wrote on training-split
  free examples named a garbled path.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagent.engine.context import Snippet
from dagent.ops.syntax import END, WITH, render_body, render_path, replace_draft

# After its one anchor line, each body op's next marker: a delete ends; the others take their new lines.
ANCHORED_OPS = {"@@replace": WITH, "@@insert_after": WITH, "@@insert_before": WITH, "@@delete": END}


def stream_starts(snippets: Sequence[Snippet]) -> tuple[str, ...]:
    """Every start a free stream over these snippets may take, without repeats, in a stable order."""
    starts: list[str] = []
    for snippet in snippets:
        for number, line in _lines(snippet):
            body = render_body(line + "\n")
            starts += [f"{op} {render_path(snippet.path)}:{number}\n{body}{then}\n" for op, then in ANCHORED_OPS.items()]
    return tuple(dict.fromkeys(starts))


def start_draft(start: str) -> str | None:
    """What a row continues from once `start` is its settled start: a replace's old line and `@@end`, ""
    after a delete (pads: the stream ends), None after an insert (its new lines are the model's own)."""
    if start.startswith("@@replace "):
        return replace_draft(start)
    if start.startswith("@@delete "):
        return ""
    return None


def _lines(snippet: Snippet) -> list[tuple[int, str]]:
    """The snippet's lines with their 1-based numbers in the file; blank lines are no anchor."""
    lines = snippet.code.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the code's final newline ends its last line; it starts none
    return [(snippet.start_line + i, line) for i, line in enumerate(lines) if line.strip()]
