from datetime import date

import pytest

from todo.dates import DateError, describe, parse_due

WEDNESDAY = date(2024, 5, 15)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("today", date(2024, 5, 15)),
        ("Tomorrow", date(2024, 5, 16)),
        ("+3d", date(2024, 5, 18)),
        ("+2w", date(2024, 5, 29)),
        ("fri", date(2024, 5, 17)),
        ("friday", date(2024, 5, 17)),
        ("wed", date(2024, 5, 22)),
        ("next mon", date(2024, 5, 27)),
        ("2024-12-31", date(2024, 12, 31)),
    ],
)
def test_parse_due(text, expected):
    assert parse_due(text, WEDNESDAY) == expected


@pytest.mark.parametrize("text", ["someday", "mo", "monkey", "+3x", "2024-13-01", ""])
def test_parse_errors_say_what_works(text):
    with pytest.raises(DateError, match="try 2024-05-01"):
        parse_due(text, WEDNESDAY)


@pytest.mark.parametrize(
    "due, expected",
    [
        (date(2024, 5, 15), "today"),
        (date(2024, 5, 16), "tomorrow"),
        (date(2024, 5, 14), "yesterday"),
        (date(2024, 5, 20), "in 5 days"),
        (date(2024, 5, 11), "4 days ago"),
        (date(2024, 6, 30), "2024-06-30"),
    ],
)
def test_describe(due, expected):
    assert describe(due, WEDNESDAY) == expected
