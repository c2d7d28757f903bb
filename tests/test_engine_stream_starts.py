"""Where a free op stream may start (engine/stream_starts.py): anchored at what the context shows."""

from __future__ import annotations

from dagent.engine.context import Snippet
from dagent.engine.stream_starts import ANCHORED_OPS, start_draft, stream_starts
from dagent.ops.model import Delete, Replace
from dagent.ops.syntax import is_pinned_head, parse

SNIPPET = Snippet("pkg/stats.py", 10, "def mean(xs):\n\n    return sum(xs) / len(xs)\n")


def test_each_shown_line_anchors_each_body_op_with_its_number_and_its_exact_text() -> None:
    starts = stream_starts([SNIPPET])
    anchored = [s for s in starts if s.startswith(tuple(ANCHORED_OPS))]
    assert len(anchored) == len(starts) == 2 * len(ANCHORED_OPS)  # line 11 is blank: no anchor
    assert "@@delete pkg/stats.py:12\n    return sum(xs) / len(xs)\n@@end\n" in anchored
    assert "@@replace pkg/stats.py:10\ndef mean(xs):\n@@with\n" in anchored
    assert not any(":11\n" in s for s in anchored)


def test_a_delete_start_is_a_whole_op_and_the_others_are_pinned_heads_the_model_finishes() -> None:
    for start in stream_starts([SNIPPET]):
        if start.startswith("@@delete"):
            [op] = parse(start)
            assert isinstance(op, Delete) and op.path == "pkg/stats.py" and op.old in SNIPPET.code
        else:
            assert is_pinned_head(start)
            [op] = parse(start + "    return 0\n@@end\n")
            assert op.line in (10, 12)
            if isinstance(op, Replace):
                assert op.old in SNIPPET.code and op.new == "    return 0\n"


def test_only_anchored_body_ops_start_a_stream_each_once() -> None:
    other = Snippet("pkg/io.py", 1, "import os\n")
    starts = stream_starts([SNIPPET, other, SNIPPET])
    assert len(starts) == len(set(starts)) == 3 * len(ANCHORED_OPS)  # a snippet shown twice adds nothing
    assert all(s.startswith(tuple(ANCHORED_OPS)) for s in starts)  # no one-line op, no @@create, no @@remove


def test_body_lines_are_escaped_and_odd_paths_quoted_as_the_grammar_writes_them() -> None:
    snippet = Snippet("my dir/a.py", 3, "@@not_a_marker = 1\n")
    starts = stream_starts([snippet])
    delete = '@@delete "my dir/a.py":3\n\\@@not_a_marker = 1\n@@end\n'
    assert [s for s in starts if s.startswith("@@delete")] == [delete]
    [op] = parse(delete)
    assert isinstance(op, Delete) and op.path == "my dir/a.py" and op.old == "@@not_a_marker = 1\n" and op.line == 3


def test_no_snippets_no_starts() -> None:
    assert stream_starts([]) == ()


def test_a_settled_replace_continues_from_its_old_line_a_delete_from_nothing_an_insert_from_noise() -> None:
    drafts = {s.split(" ", 1)[0]: start_draft(s) for s in stream_starts([Snippet("m.py", 2, "    x = 1\n")])}
    assert drafts == {"@@replace": "    x = 1\n@@end\n", "@@delete": "", "@@insert_after": None, "@@insert_before": None}
    replace = next(s for s in stream_starts([SNIPPET]) if s.startswith("@@replace"))
    [op] = parse(replace + start_draft(replace))  # the draft completes the start: a replace of the line by itself
    assert isinstance(op, Replace) and op.old == op.new
