from invoices.model import Invoice
from invoices.render import render


def test_render():
    inv = Invoice("7", "Bo", vat_percent=10)
    inv.add("widget", 2, 1050)
    assert render(inv).splitlines() == [
        "Invoice 7 for Bo",
        "  2 x widget               21.00",
        "VAT 10%                     2.10",
        "TOTAL                      23.10",
    ]
