import pytest

from textpos.position import excerpt, line_col, offset_of

TEXT = "alpha\nbeta\n\ngamma"


def test_first_line():
    assert line_col(TEXT, 0) == (1, 1)
    assert line_col(TEXT, 4) == (1, 5)


def test_later_lines():
    assert line_col(TEXT, 6) == (2, 1)
    assert line_col(TEXT, len(TEXT)) == (4, 6)


def test_round_trip():
    for offset in range(len(TEXT) + 1):
        assert offset_of(TEXT, *line_col(TEXT, offset)) == offset


def test_excerpt():
    assert excerpt("x = (1 +\ny = 2", 4) == "1:5: x = (1 +\n         ^"


def test_out_of_range():
    with pytest.raises(IndexError):
        line_col(TEXT, 99)
    with pytest.raises(IndexError):
        offset_of(TEXT, 2, 9)
