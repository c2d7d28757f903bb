import pytest

from versions import Version, bump, latest_matching, parse, satisfies


@pytest.mark.parametrize("text, expected", [("1.2.3", Version(1, 2, 3)), ("v0.0.1", Version(0, 0, 1)),
                                            ("2.0.0-rc.1", Version(2, 0, 0, ("rc", "1")))])
def test_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["1.2", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3-rc..1", ""])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        parse(text)


@pytest.mark.parametrize("text", ["1.2.3", "2.0.0-rc.1", "0.10.0-alpha"])
def test_str_roundtrip(text):
    assert str(parse(text)) == text


ORDER = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
         "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0"]


@pytest.mark.parametrize("i", range(len(ORDER) - 1))
def test_ordering(i):
    assert parse(ORDER[i]) < parse(ORDER[i + 1])


def test_le():
    assert parse("1.0.0") <= parse("1.0.0")


@pytest.mark.parametrize("v, part, expected", [("1.2.3", "major", "2.0.0"), ("1.2.3", "minor", "1.3.0"),
                                               ("1.2.3", "patch", "1.2.4"), ("1.2.3-rc.1", "patch", "1.2.3")])
def test_bump(v, part, expected):
    assert str(bump(parse(v), part)) == expected


def test_bump_bad():
    with pytest.raises(ValueError):
        bump(parse("1.0.0"), "build")


@pytest.mark.parametrize(
    "v, spec, ok",
    [("1.4.0", "^1.2.3", True), ("2.0.0", "^1.2.3", False), ("1.2.2", "^1.2.3", False),
     ("0.2.9", "^0.2.3", True), ("0.3.0", "^0.2.3", False), ("0.0.3", "^0.0.3", True), ("0.0.4", "^0.0.3", False),
     ("1.2.9", "~1.2.3", True), ("1.3.0", "~1.2.3", False), ("9.0.0", ">=1.0.0", True), ("0.9.0", ">=1.0.0", False),
     ("1.2.3", "1.2.3", True), ("1.2.4", "1.2.3", False)],
)
def test_satisfies(v, spec, ok):
    assert satisfies(parse(v), spec) is ok


def test_pre_release_excluded_by_default():
    assert not satisfies(parse("1.5.0-beta"), "^1.2.3")
    assert satisfies(parse("1.5.0-beta"), "^1.2.3", include_pre=True)


def test_pre_release_named_by_range():
    assert satisfies(parse("1.2.3-rc.2"), "^1.2.3-rc.1")


def test_latest_matching():
    tags = ["1.2.3", "1.9.0", "2.0.0", "1.10.0-rc.1", "1.4.7"]
    assert latest_matching(tags, "^1.2.0") == "1.9.0"
    assert latest_matching(tags, "^1.2.0", include_pre=True) == "1.10.0-rc.1"
    assert latest_matching(tags, "~1.4.0") == "1.4.7"
    assert latest_matching(tags, "^3.0.0") is None
