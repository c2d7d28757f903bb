"""The context block's shared pieces (engine/context.py): what run time and training both cut."""

from __future__ import annotations

from dagent.engine.context import (
    WINDOW_AFTER,
    WINDOW_BEFORE,
    ContextBlock,
    Snippet,
    focus_window,
    render_context,
    snippets_of,
)

LINES = [f"line {i}\n" for i in range(1, 41)]


def test_the_window_keeps_lines_before_and_after_the_focus() -> None:
    snippet = focus_window("m.py", LINES, 20)
    assert snippet.path == "m.py" and snippet.start_line == 20 - WINDOW_BEFORE
    assert snippet.code.splitlines() == [f"line {i}" for i in range(20 - WINDOW_BEFORE, 20 + WINDOW_AFTER + 1)]


def test_the_window_stops_at_the_file_edges() -> None:
    assert focus_window("m.py", LINES, 2).start_line == 1
    assert focus_window("m.py", LINES, 39).code.splitlines()[-1] == "line 40"


def test_the_window_clips_to_a_range_as_training_clips_to_the_function() -> None:
    snippet = focus_window("m.py", LINES, 20, first=15, last=22)
    assert snippet.start_line == 15 and snippet.code.splitlines() == [f"line {i}" for i in range(15, 23)]


def test_snippets_of_reads_back_what_render_context_wrote() -> None:
    snippets = [Snippet("pkg/a.py", 3, "def f():\n    return 1\n"), Snippet("b c.py", 1, "x = 1\n\n")]
    block = ContextBlock(task="edit", instruction="make f static", errors=["boom"], snippets=snippets)
    assert snippets_of(render_context(block)) == snippets
    assert snippets_of(render_context(ContextBlock(task="fix", errors=["e"]))) == []


def test_snippets_of_a_cut_text_keeps_only_whole_lines() -> None:
    text = render_context(ContextBlock(task="fix", snippets=[Snippet("a.py", 7, "x = 1\ny = 2\n")]))
    assert snippets_of(text[:-3]) == [Snippet("a.py", 7, "x = 1\n")]


def test_the_visible_context_is_what_the_encoder_window_holds() -> None:
    from dagent.engine.prompt import context_ids, visible_context
    from helpers.engine import tiny_tokenizer

    tok = tiny_tokenizer()
    text = render_context(ContextBlock(task="fix", snippets=[Snippet("a.py", 1, "x = 1\n" * 200)]))
    seen = visible_context(tok, text, 64)
    assert text.startswith(seen) and len(seen) < len(text) and len(context_ids(tok, seen, 1000)) <= 64
    assert visible_context(tok, "x = 1\n", 64) == "x = 1\n"
