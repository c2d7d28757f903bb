import pytest

from textkit.wrap import wrap

TEXT = "The quick brown fox jumps over the lazy dog"


def test_lines_fit_the_width():
    lines = wrap(TEXT, width=15)
    assert lines == ["The quick brown", "fox jumps over", "the lazy dog"]
    assert all(len(line) <= 15 for line in lines)


def test_indent_counts_toward_width():
    assert wrap("one two three", width=9, indent="  ") == ["  one two", "  three"]


def test_paragraphs_are_kept():
    text = "first para\nstill first\n\n\nsecond"
    assert wrap(text, width=40) == ["first para still first", "", "second"]


def test_long_words_are_broken():
    assert wrap("abcdefghij xy", width=4) == ["abcd", "efgh", "ij", "xy"]


def test_empty_text():
    assert wrap("   \n  ") == []


def test_width_must_leave_room():
    with pytest.raises(ValueError, match="no room"):
        wrap("x", width=2, indent="  ")
