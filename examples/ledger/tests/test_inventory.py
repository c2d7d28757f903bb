import pytest

from ledger.inventory import InsufficientStock, Inventory
from ledger.money import Money


@pytest.fixture
def inv() -> Inventory:
    inventory = Inventory()
    inventory.add_item("BOLT-M6", reorder_point=100, reorder_quantity=500)
    inventory.add_item("NUT-M6", reorder_point=50, reorder_quantity=0)
    inventory.receive("BOLT-M6", 300, Money("0.10"))
    return inventory


def test_average_cost_is_weighted(inv):
    item = inv.receive("BOLT-M6", 100, Money("0.14"))
    assert item.on_hand == 400
    assert item.average_cost == Money("0.11")
    assert item.value == Money("44.00")


def test_issue_returns_cost_and_lowers_stock(inv):
    assert inv.issue("BOLT-M6", 250) == Money("25.00")
    assert inv["BOLT-M6"].on_hand == 50


def test_cannot_issue_more_than_on_hand(inv):
    with pytest.raises(InsufficientStock, match="asked 301, on hand 300"):
        inv.issue("BOLT-M6", 301)
    assert inv["BOLT-M6"].on_hand == 300


def test_reorder_at_or_below_the_point(inv):
    assert inv.reorder_list() == {}
    inv.issue("BOLT-M6", 200)
    assert inv.reorder_list() == {"BOLT-M6": 500}


def test_items_without_reorder_quantity_are_not_listed(inv):
    assert inv["NUT-M6"].needs_reorder()
    assert "NUT-M6" not in inv.reorder_list()


def test_total_value(inv):
    inv.receive("NUT-M6", 10, Money("0.05"))
    assert inv.total_value() == Money("30.50")


def test_bad_input():
    inventory = Inventory()
    inventory.add_item("X")
    with pytest.raises(ValueError, match="already exists"):
        inventory.add_item("X")
    with pytest.raises(ValueError, match="positive"):
        inventory.receive("X", 0, Money("1"))
