from shop.cart import Cart


def test_subtotal_counts_quantities():
    cart = Cart()
    cart.add("pen", 150, 4)
    cart.add("pad", 300)
    cart.add("pen", 150)
    assert cart.subtotal() == 1050


def test_total_with_code_and_tax():
    cart = Cart(tax_percent=10, code="WELCOME10")
    cart.add("lamp", 2500, 2)
    assert cart.total() == 4950


def test_receipt():
    cart = Cart()
    cart.add("mug", 800)
    assert cart.receipt() == "1 x mug\ntotal $8.00"
