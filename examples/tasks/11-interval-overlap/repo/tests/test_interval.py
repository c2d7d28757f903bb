import pytest

from spans.interval import Interval, conflicts, covered, merge


def test_contains_is_half_open():
    assert Interval(1, 3).contains(1)
    assert not Interval(1, 3).contains(3)


def test_overlaps():
    assert Interval(1, 5).overlaps(Interval(4, 8))
    assert not Interval(1, 3).overlaps(Interval(5, 8))


def test_touching_intervals_do_not_overlap():
    assert not Interval(1, 3).overlaps(Interval(3, 5))
    assert not Interval(3, 5).overlaps(Interval(1, 3))


def test_merge_and_covered():
    spans = [Interval(5, 8), Interval(1, 3), Interval(3, 4), Interval(7, 10)]
    assert merge(spans) == [Interval(1, 4), Interval(5, 10)]
    assert covered(spans) == 8


def test_conflicts():
    meetings = [Interval(9, 10), Interval(10, 11), Interval(10, 12)]
    assert conflicts(meetings) == [(Interval(10, 11), Interval(10, 12))]


def test_invalid():
    with pytest.raises(ValueError):
        Interval(5, 1)
