import pytest

from paging.paginator import Paginator


def test_partial_last_page():
    pages = Paginator(list(range(25)), per_page=10)
    assert pages.page_count == 3
    assert list(pages.page(3).items) == [20, 21, 22, 23, 24]


def test_exact_multiple():
    assert Paginator(list(range(20)), per_page=10).page_count == 2


def test_last_page_has_no_next():
    last = Paginator("abcdef", per_page=3).page(2)
    assert last.items == "def"
    assert (last.has_previous, last.has_next) == (True, False)


def test_empty_has_one_page():
    assert Paginator([], per_page=5).page_count == 1


def test_out_of_range_and_page_of():
    pages = Paginator(list(range(7)), per_page=2)
    with pytest.raises(IndexError, match="page 5 out of 1..4"):
        pages.page(5)
    assert pages.page_of(6) == 4
