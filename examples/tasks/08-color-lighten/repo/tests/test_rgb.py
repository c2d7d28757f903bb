import pytest

from colors.rgb import darken, lighten, mix, parse_hex, to_hex


def test_parse_and_format():
    assert parse_hex("#1A2b3c") == (26, 43, 60)
    assert parse_hex("abc") == (170, 187, 204)
    assert to_hex((255, 0, 300)) == "#ff00ff"
    with pytest.raises(ValueError):
        parse_hex("#12345g")


def test_lighten():
    assert lighten("#808080", 0.5) == "#c0c0c0"
    assert lighten("#000000", 0.25) == "#404040"
    assert lighten("#336699", 0) == "#336699"


def test_darken():
    assert darken("#808080", 0.5) == "#404040"
    assert darken("#ffffff", 1) == "#000000"


def test_mix():
    assert mix("#000000", "#ffffff") == "#808080"
    assert mix("#ff0000", "#0000ff", 0.25) == "#bf0040"
