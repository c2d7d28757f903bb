from versions.semver import Version, latest, satisfies

VERSIONS = ["1.2.3", "1.2.9", "1.3.0", "1.10.1", "2.0.0-rc.1", "2.0.0"]


def test_ordering():
    assert Version.parse("2.0.0-rc.1") < Version.parse("2.0.0")
    assert Version.parse("1.10.0") > Version.parse("1.9.9")


def test_caret():
    assert satisfies("1.10.1", "^1.2.3")
    assert not satisfies("2.0.0", "^1.2.3")


def test_tilde_stays_within_minor():
    assert satisfies("1.2.9", "~1.2.3")
    assert not satisfies("1.3.0", "~1.2.3")
    assert not satisfies("1.2.2", "~1.2.3")


def test_latest():
    assert latest(VERSIONS, "^1.2.0") == "1.10.1"
    assert latest(VERSIONS, "~1.2.0") == "1.2.9"
    assert latest(VERSIONS, "~3.0.0") is None
