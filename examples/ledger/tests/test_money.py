from decimal import Decimal

import pytest

from ledger.money import CurrencyMismatch, Money


def test_rounds_half_up_to_minor_unit():
    assert Money("2.345").amount == Decimal("2.35")
    assert Money("2.344").amount == Decimal("2.34")
    assert Money("-2.345").amount == Decimal("-2.35")


def test_floats_are_taken_by_their_repr():
    assert Money(0.1) + Money(0.2) == Money("0.30")


def test_currency_minor_units():
    assert Money("1234.5", "JPY").amount == Decimal("1235")
    assert Money("1.2345", "KWD").amount == Decimal("1.235")


def test_arithmetic():
    assert Money("10.00") - Money("2.50") == Money("7.50")
    assert Money("1.99") * 3 == Money("5.97")
    assert -Money("1") == Money("-1.00")


def test_mixing_currencies_is_an_error():
    with pytest.raises(CurrencyMismatch, match="EUR and USD"):
        Money("1") + Money("1", "USD")


@pytest.mark.parametrize(
    "amount, weights, expected",
    [
        ("100.00", [1, 1, 1], ["33.34", "33.33", "33.33"]),
        ("0.05", [3, 7], ["0.02", "0.03"]),
        ("10", [1, 0, 1], ["5.00", "0.00", "5.00"]),
    ],
)
def test_allocate_loses_nothing(amount, weights, expected):
    parts = Money(amount).allocate(weights)
    assert [str(p.amount) for p in parts] == expected
    assert sum(parts, Money.zero()) == Money(amount)


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_allocate_rejects_bad_weights(weights):
    with pytest.raises(ValueError):
        Money("1").allocate(weights)


def test_str():
    assert str(Money("1234567.8")) == "1,234,567.80 EUR"
