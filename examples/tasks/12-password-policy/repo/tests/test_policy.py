from passwords.policy import Policy, longest_run


def test_minimum_length_is_inclusive():
    assert Policy(min_length=8).problems("Abcdefg1") == []


def test_short_password():
    assert Policy().problems("Short1") == ["use at least 12 characters"]


def test_character_classes():
    policy = Policy(require_symbol=True)
    assert policy.problems("lowercaseonly") == ["add a digit", "add an upper-case letter", "add a symbol"]
    assert policy.accepts("Correct-Horse-7")


def test_repeats():
    assert longest_run("aabbbbc") == 4
    assert Policy(min_length=4).problems("Xaaaa1") == ["repeat a character at most 3 times in a row"]
