from invoices.model import Invoice


def make() -> Invoice:
    inv = Invoice("2024-017", "ACME", vat_percent=20, discount_cents=500)
    inv.add("consulting", 3, 12000)
    inv.add("travel", 1, 4550)
    return inv


def test_net_and_vat():
    inv = make()
    assert inv.net() == 40050
    assert inv.vat() == 8010


def test_total():
    assert make().total() == 48060


def test_calc_was_renamed():
    assert not hasattr(Invoice, "calc")
