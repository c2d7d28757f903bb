import pytest

from typeset import center, justify, paginate, truncate, wrap
from typeset.wrap import columns

FOX = "the quick brown fox jumps over the lazy dog"


def test_wrap_basic():
    assert wrap(FOX, 10) == ["the quick", "brown fox", "jumps over", "the lazy", "dog"]


def test_wrap_exactly_full_line():
    assert wrap("abcde fghij", 11) == ["abcde fghij"]


def test_wrap_one_short():
    assert wrap("abcde fghij", 10) == ["abcde", "fghij"]


def test_wrap_wide():
    assert wrap(FOX, 100) == [FOX]


def test_wrap_collapses_whitespace():
    assert wrap("  a   b\n\nc  ", 20) == ["a b c"]


def test_wrap_empty():
    assert wrap("", 10) == []


def test_wrap_long_word_broken():
    assert wrap("supercalifragilistic", 8) == ["supercal", "ifragili", "stic"]


def test_wrap_long_word_kept():
    assert wrap("a supercalifragilistic b", 8, break_long=False) == ["a", "supercalifragilistic", "b"]


def test_wrap_bad_width():
    with pytest.raises(ValueError):
        wrap("a", 0)


@pytest.mark.parametrize("width", [5, 7, 10, 13, 20])
def test_wrap_lines_fit(width):
    assert all(len(line) <= width for line in wrap(FOX, width))


@pytest.mark.parametrize("width", [5, 7, 10, 13, 20])
def test_wrap_keeps_words(width):
    assert " ".join(wrap(FOX, width)).split() == FOX.split()


def test_justify():
    assert justify(FOX, 16) == ["the  quick brown", "fox  jumps  over", "the lazy dog"]


def test_justify_widths():
    for line in justify(FOX * 3, 20)[:-1]:
        assert len(line) == 20


def test_justify_single_word_line():
    assert justify("extraordinarily short", 15) == ["extraordinarily", "short"]


@pytest.mark.parametrize(
    "line, width, expected",
    [("ab", 6, "  ab  "), ("ab", 5, " ab  "), ("abc", 3, "abc"), ("abcd", 2, "abcd")],
)
def test_center(line, width, expected):
    assert center(line, width) == expected


def test_center_fill():
    assert center("x", 5, "*") == "**x**"
    with pytest.raises(ValueError):
        center("x", 5, "ab")


def test_truncate_short_text_untouched():
    assert truncate("hello", 5) == "hello"


def test_truncate():
    assert truncate("hello world", 8) == "hello w…"


def test_truncate_at_word():
    assert truncate("hello wonderful world", 12, at_word=True) == "hello…"


def test_truncate_at_word_boundary_exact():
    assert truncate("hello world again", 12, at_word=True) == "hello world…"


def test_truncate_custom_ellipsis():
    assert truncate("abcdefghij", 6, ellipsis="...") == "abc..."


def test_truncate_limit_too_small():
    with pytest.raises(ValueError):
        truncate("abc", 2, ellipsis="...")


def test_paginate():
    pages = paginate([str(i) for i in range(5)], 2)
    assert pages == [["0", "1", "page 1/3"], ["2", "3", "page 2/3"], ["4", "page 3/3"]]


def test_paginate_exact_fill():
    pages = paginate(["a", "b", "c", "d"], 2, footer=False)
    assert pages == [["a", "b"], ["c", "d"]]


def test_paginate_header():
    assert paginate(["a"], 3, header="REPORT") == [["REPORT", "a", "page 1/1"]]


def test_paginate_empty_is_one_page():
    assert paginate([], 3) == [["page 1/1"]]


def test_columns():
    items = ["ant", "bee", "cat", "dog", "eel"]
    assert columns(items, 12) == ["ant  dog", "bee  eel", "cat"]


def test_columns_empty():
    assert columns([], 10) == []
