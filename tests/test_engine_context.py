"""The context block's shared pieces (engine/context.py): what run time and training both cut."""

from __future__ import annotations

from dagent.engine.context import WINDOW_AFTER, WINDOW_BEFORE, focus_window

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
