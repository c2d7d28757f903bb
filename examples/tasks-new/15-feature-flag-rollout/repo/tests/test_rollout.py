import pytest

from flags import Flag, FlagSet, bucket

USERS = [f"user{i}" for i in range(400)]

CONFIG = """
# checkout experiments
new_checkout on 25% +alice -bob
dark_mode on
beta_search off +alice
legacy_export on 0%
"""


def test_bucket_stable_and_in_range():
    for u in USERS[:50]:
        b = bucket("f", u)
        assert 0 <= b < 100
        assert bucket("f", u) == b


def test_bucket_depends_on_flag():
    assert [bucket("a", u) for u in USERS[:20]] != [bucket("b", u) for u in USERS[:20]]


def test_bucket_roughly_uniform():
    low = sum(bucket("x", u) < 50 for u in USERS)
    assert 150 < low < 250


def test_percent_validated():
    with pytest.raises(ValueError):
        Flag("x", percent=101)


def test_disabled_is_off():
    assert not Flag("x").is_on("alice")


def test_enabled_full():
    assert Flag("x", enabled=True).is_on("anyone")


def test_anonymous_needs_full_rollout():
    assert Flag("x", enabled=True).is_on()
    assert not Flag("x", enabled=True, percent=50).is_on()


def test_allow_and_deny():
    f = Flag("x", enabled=True, percent=0, allow={"a"}, deny={"b"})
    assert f.is_on("a")
    assert not f.is_on("b")


def test_deny_beats_allow():
    assert not Flag("x", enabled=True, allow={"a"}, deny={"a"}).is_on("a")


@pytest.mark.parametrize("percent", [0, 10, 50, 90, 100])
def test_rollout_fraction(percent):
    f = Flag("exp", enabled=True, percent=percent)
    on = sum(f.is_on(u) for u in USERS)
    assert abs(on - percent * 4) <= 50


def test_rollout_monotone():
    f = Flag("exp", enabled=True, percent=20)
    before = {u for u in USERS if f.is_on(u)}
    f.percent = 40
    after = {u for u in USERS if f.is_on(u)}
    assert before <= after


def test_flagset_unknown_is_off():
    assert FlagSet().is_on("missing", "alice") is False


def test_flagset_unknown_strict():
    with pytest.raises(KeyError):
        FlagSet(strict=True).is_on("missing")


def test_define_duplicate():
    fs = FlagSet([Flag("a")])
    with pytest.raises(ValueError):
        fs.define(Flag("a"))


def test_parse():
    fs = FlagSet.parse(CONFIG)
    assert fs.is_on("new_checkout", "alice")
    assert not fs.is_on("new_checkout", "bob")
    assert fs.is_on("dark_mode")
    assert not fs.is_on("beta_search", "alice")
    assert not fs.is_on("legacy_export", "alice")


@pytest.mark.parametrize("bad", ["x maybe", "x on 150%", "x on ~carol", "x on\nx off"])
def test_parse_rejects(bad):
    with pytest.raises(ValueError):
        FlagSet.parse(bad)


def test_enabled_for():
    fs = FlagSet.parse(CONFIG)
    assert fs.enabled_for("bob") == ["dark_mode"]
    assert "new_checkout" in fs.enabled_for("alice")


def test_set_percent_and_kill():
    fs = FlagSet.parse(CONFIG)
    fs.set_percent("legacy_export", 100)
    assert fs.is_on("legacy_export", "zed")
    fs.kill("legacy_export")
    assert not fs.is_on("legacy_export", "zed")
    with pytest.raises(ValueError):
        fs.set_percent("dark_mode", -1)


def test_unknown_flag_not_listed():
    fs = FlagSet.parse(CONFIG)
    assert fs.is_on("no_such_flag", "alice") is False


@pytest.mark.parametrize("line, percent", [("a on", 100), ("a on 0%", 0), ("a on 5%", 5), ("a off 75%", 75), ("a on 100% +x", 100)])
def test_parse_percent(line, percent):
    fs = FlagSet.parse(line)
    assert fs._flags["a"].percent == percent
