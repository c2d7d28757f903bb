from ciphers.caesar import caesar, rot13, vigenere


def test_shift_without_wrap():
    assert caesar("abc", 1) == "bcd"


def test_shift_wraps_around():
    assert caesar("xyz", 3) == "abc"
    assert caesar("Hello, World!", 5) == "Mjqqt, Btwqi!"


def test_rot13_is_an_involution():
    assert rot13("Why did the chicken") == "Jul qvq gur puvpxra"
    assert rot13(rot13("Round trip")) == "Round trip"


def test_vigenere():
    secret = vigenere("attack at dawn", "lemon")
    assert secret == "lxfopv ef rnhr"
    assert vigenere(secret, "lemon", decrypt=True) == "attack at dawn"
