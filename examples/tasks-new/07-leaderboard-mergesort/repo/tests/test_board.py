import pytest

from standings import Leaderboard, merge_sort, rank


@pytest.mark.parametrize(
    "items",
    [[3, 1, 2], [1], [5, 4, 3, 2, 1], [1, 2, 3], [2, 2, 1, 1], list(range(50, 0, -3)), [0, -1, 7, 7, -3]],
)
def test_merge_sort_matches_sorted(items):
    assert merge_sort(items) == sorted(items)


@pytest.mark.parametrize("items", [[3, 1, 2], [9, 9, 1], [4, 8, 15, 16, 23, 42]])
def test_merge_sort_reverse(items):
    assert merge_sort(items, reverse=True) == sorted(items, reverse=True)


def test_merge_sort_empty():
    assert merge_sort([]) == []


def test_merge_sort_stable():
    pairs = [("a", 2), ("b", 1), ("c", 2), ("d", 1)]
    assert merge_sort(pairs, key=lambda p: p[1]) == [("b", 1), ("d", 1), ("a", 2), ("c", 2)]


def test_merge_sort_stable_reverse():
    pairs = [("a", 2), ("b", 1), ("c", 2), ("d", 1)]
    assert merge_sort(pairs, key=lambda p: p[1], reverse=True) == [("a", 2), ("c", 2), ("b", 1), ("d", 1)]


def test_merge_sort_does_not_mutate():
    items = [3, 2, 1]
    merge_sort(items)
    assert items == [3, 2, 1]


@pytest.mark.parametrize(
    "method, expected",
    [("competition", [1, 2, 2, 4]), ("dense", [1, 2, 2, 3]), ("ordinal", [1, 2, 3, 4])],
)
def test_rank_methods(method, expected):
    assert rank([90, 80, 80, 70], method) == expected


def test_rank_empty():
    assert rank([]) == []


def test_rank_all_tied():
    assert rank([5, 5, 5]) == [1, 1, 1]
    assert rank([5, 5, 5], "dense") == [1, 1, 1]


def test_rank_unknown_method():
    with pytest.raises(ValueError):
        rank([1], "fractional")


@pytest.fixture
def board():
    b = Leaderboard()
    b.submit("ann", 120)
    b.submit("bob", 150)
    b.submit("cy", 120)
    b.submit("dee", 90)
    return b


def test_submit_new_best(board):
    assert board.submit("ann", 130) is True
    assert board.best("ann") == 130


def test_submit_not_better(board):
    assert board.submit("bob", 100) is False
    assert board.best("bob") == 150


def test_submit_equal_is_not_better(board):
    assert board.submit("bob", 150) is False


def test_submit_requires_name(board):
    with pytest.raises(ValueError):
        board.submit("", 1)


def test_best_unknown(board):
    assert board.best("zed") is None


def test_standings(board):
    assert board.standings() == [(1, "bob", 150), (2, "ann", 120), (2, "cy", 120), (4, "dee", 90)]


def test_standings_dense(board):
    assert [r for r, _, _ in board.standings("dense")] == [1, 2, 2, 3]


def test_tie_break_earliest(board):
    assert board.top(3) == ["bob", "ann", "cy"]


def test_tie_break_name():
    b = Leaderboard(tie_break="name")
    b.submit("zoe", 10)
    b.submit("al", 10)
    assert b.top(2) == ["al", "zoe"]


def test_lower_is_better():
    b = Leaderboard(higher_is_better=False)
    b.submit("ann", 61.2)
    b.submit("bob", 59.8)
    b.submit("ann", 58.0)
    assert b.top(2) == ["ann", "bob"]


def test_top_bounds(board):
    assert board.top(0) == []
    assert len(board.top(10)) == 4
    with pytest.raises(ValueError):
        board.top(-1)


def test_position(board):
    assert board.position("cy") == 2
    assert board.position("dee", "dense") == 3
    assert board.position("nobody") is None


def test_remove(board):
    board.remove("bob")
    board.remove("ghost")
    assert len(board) == 3
    assert board.top(1) == ["ann"]


def test_empty_board():
    b = Leaderboard()
    assert b.standings() == []
    assert b.top(3) == []


def test_empty_board_after_removal():
    b = Leaderboard()
    b.submit("solo", 1)
    b.remove("solo")
    assert b.position("solo") is None


def test_merged(board):
    other = Leaderboard()
    other.submit("dee", 200)
    other.submit("eve", 95)
    merged = board.merged([other])
    assert merged.top(2) == ["dee", "bob"]
    assert len(merged) == 5
    assert len(board) == 4


def test_merged_opposite_direction(board):
    with pytest.raises(ValueError):
        board.merged([Leaderboard(higher_is_better=False)])
