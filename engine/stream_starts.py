"""Where a free op stream may start: its first op's head, anchored at what the context block shows.

A free canvas (nothing pinned: `dagent edit` with an instruction the planner cannot pin) is the model's
own op stream, header included. dagent-tiny, left alone, invents the header: on training-split free
examples every path it wrote was made up, and the line after it rarely matched the file. So the first op
starts with one of these texts (a token trie the sampler holds, engine/canvas.py `Slot.starts`):

- a body op anchored at one line the context shows, that line as its old (anchor) line exactly as the
  file has it, and the marker that follows it: `@@delete pkg/stats.py:12\\n    x = 1\\n@@end\\n` whole,
  `@@replace pkg/stats.py:12\\n    x = 1\\n@@with\\n` (also `@@insert_after`, `@@insert_before`), after
  which the model writes the new lines and `@@end`. One anchor line, as the planner pins and dagent-tiny
  learned: left open, the model wrote `@@with` after a delete's line and `@@end` after a replace's;
- a one-line op on a path the context shows: `@@rename pkg/stats.py`, the model writes the words after
  it (ending the start before the space keeps the model's own token for ` word`);
- `@@remove path\\n` whole.

No `@@create`: its path is new, so nothing anchors it, and every one dagent-tiny wrote on training-split
free examples named a garbled path.

What follows the start, and every later op of the stream, is free and checked by `validate` afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagent.engine.context import Snippet
from dagent.ops.syntax import END, LINE_OPS, WITH, render_body, render_path

# After its one anchor line, each body op's next marker: a delete ends; the others take their new lines.
ANCHORED_OPS = {"@@replace": WITH, "@@insert_after": WITH, "@@insert_before": WITH, "@@delete": END}
PATH_OPS = tuple(op for op in LINE_OPS if op != "@@remove")  # a word (or a second path) follows the path


def stream_starts(snippets: Sequence[Snippet]) -> tuple[str, ...]:
    """Every start a free stream over these snippets may take, without repeats, in a stable order."""
    starts: list[str] = []
    for snippet in snippets:
        for number, line in _lines(snippet):
            body = render_body(line + "\n")
            starts += [f"{op} {render_path(snippet.path)}:{number}\n{body}{then}\n" for op, then in ANCHORED_OPS.items()]
    for path in dict.fromkeys(s.path for s in snippets):
        starts += [f"{op} {render_path(path)}" for op in PATH_OPS]
        starts.append(f"@@remove {render_path(path)}\n")
    return tuple(dict.fromkeys(starts))


def _lines(snippet: Snippet) -> list[tuple[int, str]]:
    """The snippet's lines with their 1-based numbers in the file; blank lines are no anchor."""
    lines = snippet.code.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the code's final newline ends its last line; it starts none
    return [(snippet.start_line + i, line) for i, line in enumerate(lines) if line.strip()]
