from fuzzy.suggest import did_you_mean, suggestions

WORDS = ["commit", "checkout", "cherry-pick", "clone", "config", "status", "stash"]


def test_suggestions():
    assert suggestions("comit", WORDS) == ["commit"]
    assert suggestions("stat", WORDS) == ["stash", "status"]
    assert suggestions("xyz", WORDS) == []


def test_did_you_mean():
    assert did_you_mean("stats", WORDS) == "unknown command 'stats'; did you mean 'status' or 'stash'?"
    assert did_you_mean("frobnicate", WORDS) == ""
