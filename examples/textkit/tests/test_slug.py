import pytest

from textkit.slug import slugify, unique_slug


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hello, World!", "hello-world"),
        ("Crème brûlée & Co.", "creme-brulee-and-co"),
        ("Straße", "strasse"),
        ("  --already-slugged--  ", "already-slugged"),
        ("2024 Report: Q1/Q2", "2024-report-q1-q2"),
        ("", ""),
    ],
)
def test_slugify(text, expected):
    assert slugify(text) == expected


def test_custom_separator():
    assert slugify("Snake Case Me", sep="_") == "snake_case_me"


@pytest.mark.parametrize(
    "limit, expected", [(11, "hello-world"), (8, "hello"), (6, "hello"), (3, "hel")]
)
def test_max_length_cuts_at_a_word_boundary(limit, expected):
    assert slugify("Hello world again", max_length=limit) == expected


def test_unique_slug():
    taken = {"post", "post-2"}
    assert unique_slug("Post", taken) == "post-3"
    assert unique_slug("Other", taken) == "other"
    assert unique_slug("!!!", set()) == "item"
