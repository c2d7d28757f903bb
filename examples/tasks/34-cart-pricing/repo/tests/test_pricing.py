import pytest

from shop.pricing import add_tax, apply_discount, format_price


def test_discount():
    assert apply_discount(2000, 10) == 1800
    assert apply_discount(999, 0) == 999
    with pytest.raises(ValueError):
        apply_discount(100, 120)


def test_tax_and_format():
    assert add_tax(2000, 5) == 2100
    assert format_price(123456) == "$1,234.56"
    assert format_price(-5, "€") == "-€0.05"
