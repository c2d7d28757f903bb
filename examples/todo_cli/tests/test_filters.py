from datetime import date

from todo.filters import Filter, select
from todo.store import Item

ITEMS = [
    Item(1, "Pay rent", due=date(2024, 6, 1), tags=["home"]),
    Item(2, "Call plumber", done=True, due=date(2024, 5, 10), tags=["home"]),
    Item(3, "Review PR", due=date(2024, 5, 14), tags=["work"]),
    Item(4, "Read book"),
    Item(5, "Plan trip", due=date(2024, 5, 14)),
]


def ids(items):
    return [item.id for item in items]


def test_default_shows_open_items_by_due_date():
    assert ids(select(ITEMS, Filter())) == [3, 5, 1, 4]


def test_status():
    assert ids(select(ITEMS, Filter(status="done"))) == [2]
    assert ids(select(ITEMS, Filter(status="all"))) == [2, 3, 5, 1, 4]


def test_tag_and_text():
    assert ids(select(ITEMS, Filter(status="all", tag="home"))) == [2, 1]
    assert ids(select(ITEMS, Filter(text="PR"))) == [3]
    assert ids(select(ITEMS, Filter(text="pl", status="all"))) == [2, 5]


def test_due_before_is_inclusive():
    assert ids(select(ITEMS, Filter(due_before=date(2024, 5, 14)))) == [3, 5]


def test_overdue_excludes_today_and_done():
    assert ids(select(ITEMS, Filter(status="all", overdue_on=date(2024, 5, 14)))) == []
    assert ids(select(ITEMS, Filter(status="all", overdue_on=date(2024, 5, 15)))) == [3, 5]
