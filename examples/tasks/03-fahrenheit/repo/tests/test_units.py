import pytest

from thermo.units import convert, parse_reading


def test_celsius_to_fahrenheit():
    assert convert(100, "C", "F") == 212
    assert convert(-40, "C", "F") == -40


def test_fahrenheit_to_celsius():
    assert convert(212, "F", "C") == 100
    assert convert(98.6, "F", "C") == 37


def test_kelvin():
    assert convert(0, "K", "C") == -273.15
    assert convert(25, "c", "k") == 298.15


def test_below_absolute_zero():
    with pytest.raises(ValueError, match="below absolute zero"):
        convert(-300, "C", "K")


def test_parse_reading():
    assert parse_reading(" 21.5 °C") == (21.5, "C")
    assert parse_reading("-4f") == (-4.0, "F")
    with pytest.raises(ValueError):
        parse_reading("warm")
