import pytest

from romans.convert import RomanError, from_roman, to_roman


def test_to_roman():
    assert to_roman(1994) == "MCMXCIV"
    assert to_roman(3888) == "MMMDCCCLXXXVIII"


def test_from_roman_additive():
    assert from_roman("MDCLXVI") == 1666
    assert from_roman(" xii ") == 12


def test_from_roman_subtractive():
    assert from_roman("XIV") == 14
    assert from_roman("MCMXCIV") == 1994


def test_round_trip():
    for number in range(1, 4000):
        assert from_roman(to_roman(number)) == number


def test_rejects_bad_input():
    for bad in ("", "ABC", "IIII", "VX"):
        with pytest.raises(RomanError):
            from_roman(bad)
    with pytest.raises(RomanError, match="out of range"):
        to_roman(0)
