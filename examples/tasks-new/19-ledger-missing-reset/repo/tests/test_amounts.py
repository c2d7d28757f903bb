from decimal import Decimal

import pytest

from ledgerkit import (
    Amount, CommodityStyle, LedgerError, MixedAmount, ParseError, allocate, format_amount, format_quantity,
    parse_amount, parse_amount_styled, parse_number, round_decimal, split_amount, sum_amounts,
)

D = Decimal


@pytest.mark.parametrize("text, quantity, commodity", [
    ("$10.00", "10.00", "$"),
    ("-$10.00", "-10.00", "$"),
    ("$-10.00", "-10.00", "$"),
    ("$1,200.50", "1200.50", "$"),
    ("10 EUR", "10", "EUR"),
    ("-3.5 AAPL", "-3.5", "AAPL"),
    ("EUR 10", "10", "EUR"),
    ("EUR -7.25", "-7.25", "EUR"),
    ("42", "42", ""),
    ("-0.5", "-0.5", ""),
    (".75", ".75", ""),
    ("€5", "5", "€"),
    ("£1,000,000", "1000000", "£"),
    ("12GBP", "12", "GBP"),
    ("+$3", "3", "$"),
    ("1,234.5678 BTC_X", "1234.5678", "BTC_X"),
])
def test_parse_amount(text, quantity, commodity):
    assert parse_amount(text) == Amount(D(quantity), commodity)


@pytest.mark.parametrize("text", ["", "$", "1,23.00", "$1.2.3", "--5", "-$-5", "10 EUR USD", "1,2345", "$ 1 0"])
def test_parse_amount_rejects(text):
    with pytest.raises(ParseError):
        parse_amount(text)


@pytest.mark.parametrize("text, style", [
    ("$1,200.50", CommodityStyle(prefix=True, spaced=False, precision=2, thousands=True)),
    ("EUR 10", CommodityStyle(prefix=True, spaced=True, precision=0, thousands=False)),
    ("3.500 AAPL", CommodityStyle(prefix=False, spaced=True, precision=3, thousands=False)),
    ("7GBP", CommodityStyle(prefix=False, spaced=False, precision=0, thousands=False)),
])
def test_parse_amount_style(text, style):
    assert parse_amount_styled(text)[1] == style


@pytest.mark.parametrize("text, expected", [("1,234.50", "1234.50"), ("-7", "-7"), ("+0.001", "0.001"),
                                            ("1000", "1000")])
def test_parse_number(text, expected):
    assert parse_number(text) == D(expected)


@pytest.mark.parametrize("text", ["1,2", "abc", "", "1.", "12,34,567"])
def test_parse_number_rejects(text):
    with pytest.raises(ParseError):
        parse_number(text)


def test_amount_accepts_non_decimal():
    assert Amount(5, "$").quantity == D(5)
    assert Amount(0.1, "$").quantity == D("0.1")


def test_amount_arithmetic():
    a, b = Amount(D("10.50"), "$"), Amount(D("2.25"), "$")
    assert a + b == Amount(D("12.75"), "$")
    assert a - b == Amount(D("8.25"), "$")
    assert -a == Amount(D("-10.50"), "$")
    assert abs(-a) == a
    assert a * 2 == Amount(D("21.00"), "$")
    assert 3 * b == Amount(D("6.75"), "$")


def test_amount_mismatch():
    with pytest.raises(LedgerError, match="mismatch"):
        Amount(D(1), "$") + Amount(D(1), "EUR")
    with pytest.raises(TypeError):
        Amount(D(1), "$") + 1


def test_amount_predicates():
    assert Amount(D("0.00"), "$").is_zero()
    assert Amount(D("-1"), "$").is_negative()
    assert not Amount(D("1"), "$").is_negative()


@pytest.mark.parametrize("q, places, expected", [
    ("2.345", 2, "2.35"), ("2.344", 2, "2.34"), ("-2.345", 2, "-2.35"), ("2.5", 0, "3"), ("1", 3, "1.000"),
])
def test_round_decimal(q, places, expected):
    assert str(round_decimal(D(q), places)) == expected


@pytest.mark.parametrize("q, places, thousands, expected", [
    ("1234567.891", 2, True, "1,234,567.89"),
    ("1234567.891", 2, False, "1234567.89"),
    ("-1000", 0, True, "-1,000"),
    ("-0.001", 2, False, "0.00"),
    ("999.999", 2, True, "1,000.00"),
    ("12", 3, False, "12.000"),
    ("100", 0, True, "100"),
])
def test_format_quantity(q, places, thousands, expected):
    assert format_quantity(D(q), places, thousands) == expected


@pytest.mark.parametrize("amount, style, expected", [
    (Amount(D("5"), "$"), None, "$5"),
    (Amount(D("-5.50"), "$"), None, "-$5.50"),
    (Amount(D("10"), "EUR"), None, "10 EUR"),
    (Amount(D("3"), ""), None, "3"),
    (Amount(D("1200"), "$"), CommodityStyle(True, False, 2, True), "$1,200.00"),
    (Amount(D("-1200"), "$"), CommodityStyle(True, False, 2, True), "-$1,200.00"),
    (Amount(D("10"), "EUR"), CommodityStyle(True, True, 2), "EUR 10.00"),
    (Amount(D("7.5"), "GBP"), CommodityStyle(False, False, 1), "7.5GBP"),
    (Amount(D("0.125"), "$"), CommodityStyle(True, False, 2), "$0.13"),
])
def test_format_amount(amount, style, expected):
    assert format_amount(amount, style) == expected


@pytest.mark.parametrize("text", ["$1,200.50", "-$3.00", "10 EUR", "EUR 10.00", "7GBP", "42", "-3.250 AAPL"])
def test_format_roundtrip_with_parsed_style(text):
    amount, style = parse_amount_styled(text)
    assert format_amount(amount, style) == text


def test_mixed_amount_sums_by_commodity():
    m = MixedAmount([Amount(D(1), "$"), Amount(D(2), "EUR"), Amount(D(3), "$")])
    assert m.quantity("$") == D(4)
    assert m.quantity("EUR") == D(2)
    assert m.quantity("GBP") == D(0)
    assert m.commodities() == ["$", "EUR"]


def test_mixed_amount_drops_zeros():
    m = MixedAmount([Amount(D(5), "$"), Amount(D(-5), "$")])
    assert m.is_zero()
    assert m.commodities() == []
    assert m == MixedAmount()


def test_mixed_amount_from_mapping():
    assert MixedAmount({"$": "1.5", "EUR": 0}) == MixedAmount([Amount(D("1.5"), "$")])


def test_mixed_amount_operators_do_not_mutate():
    a = MixedAmount([Amount(D(1), "$")])
    b = a + Amount(D(2), "$")
    c = b - MixedAmount([Amount(D(1), "$")])
    assert a.quantity("$") == 1 and b.quantity("$") == 3 and c.quantity("$") == 2


def test_mixed_amount_add_in_place_returns_self():
    a = MixedAmount()
    assert a.add(Amount(D(1), "$")) is a
    assert a.quantity("$") == 1
    with pytest.raises(TypeError):
        a.add(5)


def test_mixed_amount_neg_and_scale():
    m = MixedAmount([Amount(D(2), "$"), Amount(D(-3), "EUR")])
    assert (-m).quantity("EUR") == 3
    assert m.scaled("0.5").quantity("$") == D("1.0")
    assert m.scaled(0).is_zero()


def test_mixed_amount_single():
    assert MixedAmount([Amount(D(2), "$")]).single() == Amount(D(2), "$")
    assert MixedAmount().single() is None
    assert MixedAmount([Amount(D(2), "$"), Amount(D(1), "EUR")]).single() is None


def test_mixed_amount_equality_with_amount_and_hash():
    m = MixedAmount([Amount(D("2.0"), "$")])
    assert m == Amount(D(2), "$")
    assert hash(m) == hash(MixedAmount([Amount(D(2), "$")]))
    assert (m == "x") is False


def test_mixed_amount_copy_independent():
    m = MixedAmount([Amount(D(1), "$")])
    c = m.copy()
    c.add(Amount(D(1), "$"))
    assert m.quantity("$") == 1


def test_mixed_amount_format():
    m = MixedAmount([Amount(D("10.00"), "EUR"), Amount(D("-2.50"), "$")])
    assert m.format() == "-$2.50, 10.00 EUR"
    assert MixedAmount().format() == "0"
    styles = {"$": CommodityStyle(True, False, 0)}
    assert m.format(styles, sep=" + ") == "-$3 + 10.00 EUR"
    assert "EUR=10.00" in repr(m)


def test_mixed_amount_rounded():
    m = MixedAmount({"$": D("1.005"), "BTC": D("0.123456")})
    r = m.rounded({"$": 2, "BTC": 4})
    assert r.quantity("$") == D("1.01") and r.quantity("BTC") == D("0.1235")


def test_sum_amounts():
    assert sum_amounts([Amount(D(1), "$")] * 4).quantity("$") == 4


@pytest.mark.parametrize("total, parts, expected", [
    ("10.00", 3, ["3.34", "3.33", "3.33"]),
    ("-10.00", 3, ["-3.34", "-3.33", "-3.33"]),
    ("0.05", 2, ["0.03", "0.02"]),
    ("9.00", 3, ["3.00", "3.00", "3.00"]),
    ("0.01", 3, ["0.01", "0.00", "0.00"]),
])
def test_split_amount(total, parts, expected):
    shares = split_amount(Amount(D(total), "$"), parts)
    assert [s.quantity for s in shares] == [D(e) for e in expected]
    assert sum(s.quantity for s in shares) == D(total)


def test_split_amount_rejects_zero_parts():
    with pytest.raises(ValueError):
        split_amount(Amount(D(1), "$"), 0)


@pytest.mark.parametrize("total, weights, expected", [
    ("100.00", [1, 1, 1], ["33.34", "33.33", "33.33"]),
    ("100.00", [70, 20, 10], ["70.00", "20.00", "10.00"]),
    ("10.00", [1, 2], ["3.33", "6.67"]),
    ("-1.00", [1, 1, 1], ["-0.34", "-0.33", "-0.33"]),
    ("5.00", [0, 1], ["0.00", "5.00"]),
])
def test_allocate(total, weights, expected):
    shares = allocate(Amount(D(total), "$"), weights)
    assert [s.quantity for s in shares] == [D(e) for e in expected]
    assert sum(s.quantity for s in shares) == D(total)


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_allocate_rejects_bad_weights(weights):
    with pytest.raises(ValueError):
        allocate(Amount(D(1), "$"), weights)
