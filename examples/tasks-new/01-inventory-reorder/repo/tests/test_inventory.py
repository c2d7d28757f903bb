from datetime import date

import pytest

from stockroom import Inventory, Item, StockError


@pytest.fixture
def inv():
    inv = Inventory()
    inv.add_item(Item("BOLT-M6", "M6 bolt", unit_cost=0.12, reorder_point=200, reorder_qty=500, pack_size=100))
    inv.add_item(Item("NUT-M6", "M6 nut", unit_cost=0.05, reorder_point=300, reorder_qty=1000, pack_size=250))
    inv.add_item(Item("DRILL", "Cordless drill", unit_cost=89.0, reorder_point=2, reorder_qty=5))
    inv.add_item(Item("SIGN", "Old sign", unit_cost=4.0))
    return inv


def test_unknown_item(inv):
    with pytest.raises(StockError):
        inv.on_hand("NOPE")


def test_duplicate_item(inv):
    with pytest.raises(StockError):
        inv.add_item(Item("DRILL", "again"))


@pytest.mark.parametrize("sku", ["", " X", "Y "])
def test_bad_sku(sku):
    with pytest.raises(ValueError):
        Item(sku, "bad")


def test_bad_pack_size():
    with pytest.raises(ValueError):
        Item("A", "a", pack_size=0)


def test_receive_and_ship(inv):
    inv.receive("BOLT-M6", 1000)
    inv.ship("BOLT-M6", 350)
    assert inv.on_hand("BOLT-M6") == 650


def test_ship_more_than_on_hand(inv):
    inv.receive("DRILL", 3)
    with pytest.raises(StockError):
        inv.ship("DRILL", 4)
    assert inv.on_hand("DRILL") == 3
    assert len(inv.journal) == 1


@pytest.mark.parametrize("qty", [0, -5])
def test_non_positive_quantities(inv, qty):
    with pytest.raises(ValueError):
        inv.receive("DRILL", qty)
    with pytest.raises(ValueError):
        inv.ship("DRILL", qty)


def test_locations(inv):
    inv.receive("NUT-M6", 500, "main")
    inv.receive("NUT-M6", 250, "van-2")
    assert inv.locations("NUT-M6") == {"main": 500, "van-2": 250}
    assert inv.on_hand("NUT-M6") == 750
    assert inv.on_hand("NUT-M6", "van-2") == 250
    assert inv.on_hand("NUT-M6", "attic") == 0


def test_transfer(inv):
    inv.receive("DRILL", 4)
    inv.transfer("DRILL", 3, "main", "van-1")
    assert inv.locations("DRILL") == {"main": 1, "van-1": 3}
    assert [m.reason for m in inv.journal] == ["receive", "transfer-out", "transfer-in"]


def test_transfer_refused(inv):
    inv.receive("DRILL", 1)
    with pytest.raises(StockError):
        inv.transfer("DRILL", 2, "main", "van-1")
    assert inv.locations("DRILL") == {"main": 1}


def test_transfer_same_place(inv):
    with pytest.raises(ValueError):
        inv.transfer("DRILL", 1, "main", "main")


@pytest.mark.parametrize("counted, delta", [(10, 0), (7, -3), (15, 5), (0, -10)])
def test_adjust(inv, counted, delta):
    inv.receive("BOLT-M6", 10)
    assert inv.adjust("BOLT-M6", counted) == delta
    assert inv.on_hand("BOLT-M6") == counted
    assert len(list(inv.movements(reason="count"))) == (1 if delta else 0)


def test_valuation(inv):
    inv.receive("BOLT-M6", 1000)
    inv.receive("DRILL", 2)
    assert inv.valuation() == 120.0 + 178.0


def test_replay_matches_levels(inv):
    inv.receive("BOLT-M6", 1000)
    inv.ship("BOLT-M6", 100)
    inv.transfer("BOLT-M6", 300, "main", "van-1")
    inv.adjust("BOLT-M6", 550)
    assert inv.replay() == {("BOLT-M6", "main"): 550, ("BOLT-M6", "van-1"): 300}


def test_shipped_between(inv):
    inv.receive("NUT-M6", 1000, day=date(2024, 3, 1))
    inv.ship("NUT-M6", 100, day=date(2024, 3, 2))
    inv.ship("NUT-M6", 50, day=date(2024, 3, 9))
    inv.ship("NUT-M6", 25)
    assert inv.shipped_between("NUT-M6", date(2024, 3, 1), date(2024, 3, 9)) == 150
    assert inv.shipped_between("NUT-M6", date(2024, 3, 3), date(2024, 3, 31)) == 50


def test_receive_reduces_on_order(inv):
    inv.place_order("DRILL", 5)
    inv.receive("DRILL", 3)
    assert inv.on_order("DRILL") == 2
    inv.receive("DRILL", 4)
    assert inv.on_order("DRILL") == 0


@pytest.mark.parametrize("on_hand, expected", [(0, True), (150, True), (201, False), (1000, False)])
def test_needs_reorder_below_point(inv, on_hand, expected):
    if on_hand:
        inv.receive("BOLT-M6", on_hand)
    assert inv.needs_reorder("BOLT-M6") is expected


def test_needs_reorder_at_point(inv):
    inv.receive("BOLT-M6", 200)
    assert inv.needs_reorder("BOLT-M6")


def test_on_order_counts_towards_position(inv):
    inv.receive("DRILL", 1)
    assert inv.needs_reorder("DRILL")
    inv.place_order("DRILL", 5)
    assert not inv.needs_reorder("DRILL")


def test_no_reorder_without_settings(inv):
    assert not inv.needs_reorder("SIGN")


def test_no_reorder_when_discontinued(inv):
    inv.discontinue("DRILL")
    assert not inv.needs_reorder("DRILL")
    assert inv.item("DRILL").discontinued


@pytest.mark.parametrize("on_hand, qty", [(0, 500), (150, 500), (200, 500)])
def test_reorder_quantity_in_packs(inv, on_hand, qty):
    if on_hand:
        inv.receive("BOLT-M6", on_hand)
    assert inv.reorder_quantity("BOLT-M6") == qty


def test_reorder_quantity_rounds_up_to_pack():
    inv = Inventory()
    inv.add_item(Item("TAPE", "Tape", reorder_point=900, reorder_qty=100, pack_size=48))
    assert inv.reorder_quantity("TAPE") == 912


def test_reorder_plan(inv):
    inv.receive("BOLT-M6", 1000)
    inv.receive("NUT-M6", 300)
    inv.receive("DRILL", 1)
    plan = inv.reorder_plan()
    assert [(line.sku, line.quantity) for line in plan] == [("DRILL", 5), ("NUT-M6", 1000)]
    assert plan[0].cost == 445.0


def test_place_reorders_is_idempotent(inv):
    inv.receive("DRILL", 2)
    first = inv.place_reorders()
    assert [line.sku for line in first] == ["BOLT-M6", "DRILL", "NUT-M6"]
    assert inv.on_order("DRILL") == 5
    assert inv.place_reorders() == []
