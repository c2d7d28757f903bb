from brackets.matcher import Mismatch, check, is_balanced, max_depth


def test_balanced():
    assert is_balanced("f(a[1], {b: (2)})")
    assert is_balanced("no brackets")


def test_wrong_closer():
    assert check("([)]") == Mismatch(2, "')' closes '[' opened at 1")


def test_unexpected_closer():
    assert check("a)") == Mismatch(1, "unexpected ')'")


def test_unclosed():
    assert check("{[]") == Mismatch(0, "'{' is never closed")


def test_depth():
    assert max_depth("(()[{}])") == 3
