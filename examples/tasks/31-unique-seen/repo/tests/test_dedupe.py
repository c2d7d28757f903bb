from seqtools.dedupe import duplicates, group_by, unique


def test_unique_keeps_first_occurrence():
    assert unique([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_unique_by_key():
    users = [{"email": "A@x.org"}, {"email": "b@x.org"}, {"email": "a@x.org"}]
    assert unique(users, key=lambda u: u["email"].lower()) == users[:2]


def test_duplicates():
    assert duplicates("mississippi") == ["i", "s", "p"]


def test_group_by():
    assert group_by(["apple", "avocado", "banana"], key=lambda s: s[0]) == {
        "a": ["apple", "avocado"],
        "b": ["banana"],
    }
