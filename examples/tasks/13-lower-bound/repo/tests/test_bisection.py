from sortedseq.bisection import contains, count_between, lower_bound, upper_bound

DATA = [1, 3, 3, 3, 7, 9]


def test_lower_bound():
    assert lower_bound(DATA, 3) == 1
    assert lower_bound(DATA, 4) == 4
    assert lower_bound(DATA, 10) == 6


def test_upper_bound():
    assert upper_bound(DATA, 3) == 4
    assert upper_bound(DATA, 0) == 0


def test_contains():
    assert contains(DATA, 7)
    assert not contains(DATA, 5)
    assert not contains([], 1)


def test_count_between():
    assert count_between(DATA, 3, 7) == 4
    assert count_between(DATA, 4, 6) == 0
