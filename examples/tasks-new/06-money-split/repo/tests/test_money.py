from decimal import Decimal

import pytest

from tally import CurrencyMismatch, Money, allocate, format_money, parse_money, split_even


def usd(s):
    return Money.of(s, "USD")


def test_of_rounds_half_even():
    assert Money.of("0.125").minor == 12
    assert Money.of("0.135").minor == 14


def test_of_jpy_has_no_decimals():
    assert Money.of("500", "JPY").minor == 500


def test_of_kwd_three_decimals():
    assert Money.of("1.5", "KWD").minor == 1500


def test_unknown_currency():
    with pytest.raises(ValueError):
        Money(1, "XYZ")


def test_minor_must_be_int():
    with pytest.raises(TypeError):
        Money(1.5, "USD")


def test_amount_property():
    assert usd("12.34").amount == Decimal("12.34")


def test_add_and_sub():
    assert usd("1.10") + usd("2.25") == usd("3.35")
    assert usd("1.10") - usd("2.25") == usd("-1.15")


def test_mismatch():
    with pytest.raises(CurrencyMismatch):
        usd("1") + Money.of("1", "EUR")


def test_add_non_money():
    with pytest.raises(TypeError):
        usd("1") + 1


def test_neg_abs():
    assert -usd("2") == usd("-2")
    assert abs(usd("-2")) == usd("2")


def test_mul_rounds():
    assert usd("0.10") * "0.333" == Money(3, "USD")
    assert 3 * usd("0.10") == usd("0.30")


def test_mul_money_rejected():
    with pytest.raises(TypeError):
        usd("1") * usd("2")


def test_ordering():
    assert usd("1") < usd("2")
    assert usd("2") <= usd("2")
    assert usd("3") > usd("2")
    assert usd("2") >= usd("2")


def test_ordering_mismatch():
    with pytest.raises(CurrencyMismatch):
        usd("1") < Money.of("1", "GBP")


def test_bool_and_negative():
    assert not Money.zero()
    assert usd("0.01")
    assert usd("-0.01").is_negative()
    assert not usd("0").is_negative()


def test_percent_sales_tax():
    assert usd("19.99").percent("7.25") == usd("1.45")


def test_percent_half_up():
    assert Money(50, "USD").percent("1") == Money(1, "USD")


def test_allocate_remainder_to_first():
    assert allocate(usd("0.05"), [3, 7]) == [usd("0.02"), usd("0.03")]


def test_allocate_exact():
    assert allocate(usd("10"), [1, 1]) == [usd("5"), usd("5")]


def test_allocate_sums_to_total():
    parts = allocate(usd("100.01"), [1, 2, 3, 4])
    assert sum((p for p in parts), Money.zero()) == usd("100.01")


def test_allocate_negative_total():
    assert allocate(usd("-0.05"), [1, 1]) == [usd("-0.03"), usd("-0.02")]


def test_allocate_zero_ratio_part():
    assert allocate(usd("1"), [0, 1]) == [usd("0"), usd("1")]


@pytest.mark.parametrize("ratios", [[], [-1, 2], [0, 0]])
def test_allocate_bad_ratios(ratios):
    with pytest.raises(ValueError):
        allocate(usd("1"), ratios)


def test_split_even_three_ways():
    assert split_even(usd("10"), 3) == [usd("3.34"), usd("3.33"), usd("3.33")]


def test_split_even_jpy():
    assert split_even(Money(100, "JPY"), 3) == [Money(34, "JPY"), Money(33, "JPY"), Money(33, "JPY")]


def test_split_even_bad():
    with pytest.raises(ValueError):
        split_even(usd("1"), 0)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("$1,234.50", Money(123450, "USD")),
        ("12.30 EUR", Money(1230, "EUR")),
        ("-£3", Money(-300, "GBP")),
        ("JPY 500", Money(500, "JPY")),
        ("(4.00)", Money(-400, "USD")),
        ("¥1,000", Money(1000, "JPY")),
        ("0.5", Money(50, "USD")),
        ("$-2", Money(-200, "USD")),
    ],
)
def test_parse(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "$1.234", "JPY 1.5"])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        parse_money(text)


@pytest.mark.parametrize(
    "money, kwargs, expected",
    [
        (Money(123450, "USD"), {}, "$1,234.50"),
        (Money(-5, "USD"), {}, "-$0.05"),
        (Money(-5, "USD"), {"accounting": True}, "($0.05)"),
        (Money(123450, "USD"), {"grouping": False}, "$1234.50"),
        (Money(1500, "KWD"), {}, "1.500 KWD"),
        (Money(1000, "JPY"), {}, "¥1,000"),
        (Money(1000, "EUR"), {"symbol": False}, "10.00 EUR"),
    ],
)
def test_format(money, kwargs, expected):
    assert format_money(money, **kwargs) == expected


def test_str_roundtrip():
    for text in ["$0.01", "$1,000,000.00", "-€7.10", "£0.00"]:
        assert str(parse_money(text)) == text
