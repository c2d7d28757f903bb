import pytest

from rle.codec import decode, encode, ratio


def test_encode():
    assert encode("aaabccdddd") == "3ab2c4d"
    assert encode("xyz") == "xyz"


def test_decode():
    assert decode("3ab2c4d") == "aaabccdddd"
    assert decode("12z") == "z" * 12


def test_round_trip():
    for text in ["", "a", "  tabs\t\t\t", "wwwwwwwwwwwwbbb"]:
        assert decode(encode(text)) == text


def test_errors():
    with pytest.raises(ValueError, match="digits"):
        encode("a1")
    with pytest.raises(ValueError, match="malformed"):
        decode("3")


def test_ratio():
    assert ratio("aaaa") == 0.5
