from datetime import date
from decimal import Decimal

import pytest

from ledgerkit import (
    Amount, CommodityStyle, ParseError, Posting, Transaction, check_journal, format_journal, format_posting,
    format_transaction, parse_journal, rename_account,
)

D = Decimal
USD = {"$": CommodityStyle(prefix=True, spaced=False, precision=2, thousands=True)}


@pytest.mark.parametrize("posting, head, tail", [
    (Posting("Expenses:Food", Amount(D("5"), "$")), "    Expenses:Food", "$5.00"),
    (Posting("Budget", Amount(D("-1"), "$"), virtual=True), "    (Budget)", "-$1.00"),
    (Posting("A", Amount(D("1"), "$"), status="*"), "    * A", "$1.00"),
    (Posting("A", Amount(D("0"), "$"), assertion=Amount(D("10"), "$")), "    A", "$0.00 = $10.00"),
    (Posting("A", assertion=Amount(D("10"), "$")), "    A", "= $10.00"),
    (Posting("A", Amount(D("1200"), "EUR")), "    A", "1200 EUR"),
])
def test_format_posting_right_aligns(posting, head, tail):
    line = format_posting(posting, USD)
    assert len(line) == 48
    assert line == head + " " * (48 - len(head) - len(tail)) + tail


def test_format_posting_without_amount():
    assert format_posting(Posting("Assets:Cash"), USD) == "    Assets:Cash"


def test_format_posting_comment_first_line():
    line = format_posting(Posting("A", Amount(D("1"), "$"), comment="note\nmore"), USD)
    assert line.endswith("$1.00  ; note") and len(line) == 48 + len("  ; note")


def test_format_posting_hides_inferred():
    p = Posting("A", Amount(D("1"), "$"), inferred=True)
    assert format_posting(p, USD) == "    A"
    assert format_posting(p, USD, show_inferred=True).endswith("$1.00")


def test_format_posting_cost():
    p = Posting("Assets:Broker", Amount(D("10"), "AAPL"), cost=Amount(D("1500"), "$"))
    assert format_posting(p, USD).endswith("10 AAPL @@ $1,500.00")


def test_format_posting_narrow_width_keeps_gap():
    p = Posting("Expenses:Something:Long", Amount(D("1234.5"), "$"))
    assert format_posting(p, USD, width=10) == "    Expenses:Something:Long  $1,234.50"


def test_format_transaction_header():
    t = Transaction(date(2024, 1, 5), "Shop", [Posting("A", Amount(D(1), "$")), Posting("B", inferred=True,
                                                                                           amount=Amount(D(-1), "$"))],
                    status="*", code="12", note="things", comment=":x:")
    assert format_transaction(t, USD).splitlines()[0] == "2024-01-05 * (12) Shop | things  ; :x:"


def test_format_transaction_minimal_header():
    t = Transaction(date(2024, 1, 5), "", [])
    assert format_transaction(t) == "2024-01-05"


def test_format_journal_roundtrip(journal):
    text = format_journal(journal)
    again = parse_journal(text)
    assert len(again.transactions) == len(journal.transactions)
    for account in ("Assets", "Liabilities", "Expenses", "Income", "Equity"):
        assert again.balance(account) == journal.balance(account)
    assert again.check_assertions() == []
    assert len(again.prices) == 2
    assert set(again.declared_accounts) == set(journal.declared_accounts)


def test_format_journal_shape(journal):
    text = format_journal(journal)
    assert text.startswith("account Assets:Bank:Checking\n")
    assert "P 2024-01-01 EUR $1.10\nP 2024-02-15 EUR $1.08" in text
    assert "2024-01-15 * Landlord\n    Expenses:Rent" in text
    assert "= $3,800.00" in text
    assert "20.00 EUR @@ $22.00" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_format_journal_sorted_by_date():
    j = parse_journal("2024-02-01 B\n    A:B   $1\n    A:C\n\n2024-01-01 A\n    A:B   $1\n    A:C\n")
    text = format_journal(j)
    assert text.index("2024-01-01 A") < text.index("2024-02-01 B")


def test_format_journal_empty():
    assert format_journal(parse_journal("")) == "\n"


def test_rename_account(journal):
    changed = rename_account(journal, "Expenses:Food", "Expenses:Eating")
    assert changed == 5
    assert journal.balance("Expenses:Food").is_zero()
    assert journal.balance("Expenses:Eating:Groceries").quantity("$") == D("368.70")
    assert "Expenses:Eating:Dining" in journal.declared_accounts
    assert "Expenses:Food:Dining" not in journal.declared_accounts


def test_rename_leaves_lookalikes():
    j = parse_journal("2024-01-01 X\n    Expenses:Foodstuff   $1\n    Expenses:Food\n")
    assert rename_account(j, "Expenses:Food", "Expenses:Eating") == 1
    assert j.accounts() == ["Expenses:Eating", "Expenses:Foodstuff"]


def test_rename_periodic_postings():
    j = parse_journal("~ monthly  Budget\n    Expenses:Food   $1\n    Assets\n")
    rename_account(j, "Expenses", "Costs")
    assert j.periodic[0].postings[0].account == "Costs:Food"


def test_rename_rejects_bad_name(journal):
    with pytest.raises(ParseError):
        rename_account(journal, "Expenses", "Bad::Name")


def test_check_journal_clean(journal):
    assert check_journal(journal, declared_only=True) == []


def test_check_journal_problems():
    text = ("account A:B\n\n2024-01-02 X\n    A:B   $10 = $12\n    C:D\n\n"
            "2024-01-01 Y\n    A:B   $1\n    C:D\n")
    problems = check_journal(parse_journal(text), declared_only=True)
    assert problems == [
        "assertion: 2024-01-02 A:B: expected $12, got $11 (line 4)",
        "undeclared account: C:D",
        "out of order: 2024-01-01 Y after 2024-01-02",
    ]
