from datetime import date
from decimal import Decimal

import pytest

from ledgerkit import (
    Amount, BalanceError, CommodityStyle, Journal, ParseError, Posting, Transaction, parse_journal,
    parse_journal_file, parse_tags,
)

D = Decimal


def test_sample_counts(journal):
    assert len(journal.transactions) == 14
    assert sum(len(t.postings) for t in journal.transactions) == 30


def test_sample_header_fields(journal):
    t = journal.transactions[2]
    assert t.date == date(2024, 1, 5)
    assert t.status == "*"
    assert t.code == "1001"
    assert t.payee == "Grocery Mart"
    assert t.tags == {"food": ""}
    assert t.line == 27


def test_sample_note(journal):
    t = journal.transactions[1]
    assert t.payee == "Employer" and t.note == "January pay"


def test_sample_pending_status(journal):
    assert journal.transactions[4].status == "!"
    assert journal.transactions[4].tags == {"trip": "Lisbon"}


def test_alias_applied(journal):
    assert journal.transactions[1].postings[0].account == "Assets:Bank:Checking"


def test_inferred_amount(journal):
    p = journal.transactions[1].postings[1]
    assert p.inferred and p.amount == Amount(D("-3000.00"), "$")
    assert not journal.transactions[1].postings[0].inferred


def test_inferred_opening_balance(journal):
    assert journal.transactions[0].postings[-1].amount == Amount(D("-7200.00"), "$")


def test_cost_posting(journal):
    p = journal.transactions[12].postings[0]
    assert p.amount == Amount(D("20.00"), "EUR")
    assert p.cost == Amount(D("22.0000"), "$")
    assert p.unit_cost() == Amount(D("1.10"), "$")
    assert journal.transactions[12].postings[1].amount == Amount(D("-22.0000"), "$")


def test_assertion_parsed(journal):
    p = journal.transactions[3].postings[1]
    assert p.assertion == Amount(D("3800.00"), "$")
    assert p.amount == Amount(D("-1200.00"), "$")


def test_declared_accounts(journal):
    assert "Assets:Bank:Checking" in journal.declared_accounts
    assert len(journal.declared_accounts) == 10


def test_commodity_directive_fixes_style(journal):
    assert journal.styles["$"] == CommodityStyle(prefix=True, spaced=False, precision=2, thousands=True)


def test_prices_parsed(journal):
    assert len(journal.prices) == 2


def test_accounts_payees_commodities(journal):
    assert journal.accounts()[0] == "Assets:Bank:Checking"
    assert "Grocery Mart" in journal.payees() and len(journal.payees()) == 8
    assert journal.commodities() == ["$", "EUR"]


def test_date_span(journal):
    span = journal.date_span()
    assert span.start == date(2024, 1, 1) and span.end == date(2024, 3, 16)
    assert Journal().date_span().start is None


def test_posting_status_and_comment():
    j = parse_journal("2024-01-01 Shop\n    * Expenses:X   $5  ; receipt: 42, :gift:\n    ! Assets:Cash\n")
    p0, p1 = j.transactions[0].postings
    assert p0.status == "*" and p1.status == "!"
    assert p0.comment == "receipt: 42, :gift:"
    assert p0.tags == {"gift": "", "receipt": "42"}


def test_comment_lines_attach():
    text = "2024-01-01 Shop\n    ; header note :a:\n    Expenses:X   $5\n    ; about X\n    Assets:Cash\n"
    t = parse_journal(text).transactions[0]
    assert t.comment == "header note :a:" and t.tags == {"a": ""}
    assert t.postings[0].comment == "about X"


def test_posting_tags_inherit():
    text = "2024-01-01 Shop  ; :trip:\n    Expenses:X   $5  ; :food:\n    Assets:Cash\n"
    t = parse_journal(text).transactions[0]
    assert t.posting_tags(t.postings[0]) == {"trip": "", "food": ""}
    assert t.has_tag("food") and t.has_tag("trip") and not t.has_tag("other")


@pytest.mark.parametrize("comment, tags", [
    (":a:b:c:", {"a": "", "b": "", "c": ""}),
    ("trip: Paris", {"trip": "Paris"}),
    ("trip: Paris, who: Ann", {"trip": "Paris", "who": "Ann"}),
    ("just words", {}),
    ("", {}),
    ("see :x: and time: 10am", {"x": "", "time": "10am"}),
])
def test_parse_tags(comment, tags):
    assert parse_tags(comment) == tags


def test_tabs_separate_amount():
    t = parse_journal("2024-01-01 Shop\n\tExpenses:X\t$5.00\n\tAssets:Cash\n").transactions[0]
    assert t.postings[0].amount == Amount(D("5.00"), "$")


def test_account_with_single_spaces():
    t = parse_journal("2024-01-01 Shop\n    Expenses:Food and Drink   $5\n    Assets:Cash\n").transactions[0]
    assert t.postings[0].account == "Expenses:Food and Drink"


def test_total_cost():
    t = parse_journal("2024-01-01 Buy\n    Assets:Broker   10 AAPL @@ $1,500\n    Assets:Cash\n").transactions[0]
    assert t.postings[0].cost == Amount(D(1500), "$")
    assert t.postings[1].amount == Amount(D(-1500), "$")


def test_selling_with_cost():
    text = "2024-01-01 Sell\n    Assets:Broker   -2 AAPL @ $160\n    Assets:Cash   $320\n"
    t = parse_journal(text).transactions[0]
    assert t.postings[0].weight() == Amount(D(-320), "$")


def test_virtual_posting_not_balanced():
    text = "2024-01-01 Shop\n    Expenses:X   $5\n    Assets:Cash\n    (Budget:Food)   $-5\n"
    t = parse_journal(text).transactions[0]
    assert t.postings[2].virtual and t.postings[2].account == "Budget:Food"
    assert t.postings[1].amount == Amount(D(-5), "$")


def test_virtual_posting_needs_amount():
    with pytest.raises(ParseError, match="virtual"):
        parse_journal("2024-01-01 Shop\n    Expenses:X   $5\n    Assets:Cash  -$5\n    (Budget:Food)\n")


def test_year_directive():
    j = parse_journal("year 2023\n\n03/04 Shop\n    Expenses:X   $5\n    Assets:Cash\n")
    assert j.transactions[0].date == date(2023, 3, 4)


def test_end_aliases():
    text = "alias c = Assets:Cash\nend aliases\n\n2024-01-01 Shop\n    Expenses:X   $5\n    c\n"
    assert parse_journal(text).transactions[0].postings[1].account == "c"


def test_regex_alias_in_journal():
    text = "alias /^Exp:/ = Expenses:\n\n2024-01-01 Shop\n    Exp:Food   $5\n    Assets:Cash\n"
    assert parse_journal(text).transactions[0].postings[0].account == "Expenses:Food"


def test_commodity_precision_directive():
    j = parse_journal("commodity EUR  precision 3\n\n2024-01-01 X\n    A:B   1.5 EUR\n    A:C\n")
    assert j.styles["EUR"].precision == 3 and not j.styles["EUR"].prefix


def test_styles_widen_precision():
    j = parse_journal("2024-01-01 X\n    A:B   1.5 EUR\n    A:C\n\n2024-01-02 Y\n    A:B   1.125 EUR\n    A:C\n")
    assert j.styles["EUR"].precision == 3


def test_account_directive_subdirectives_ignored():
    j = parse_journal("account Assets:Cash  ; wallet\n    note something\n\n")
    assert j.declared_accounts == {"Assets:Cash": "wallet"}


def test_top_level_comments_ignored():
    j = parse_journal("; a\n# b\n% c\n* d\n\n2024-01-01 X\n    A:B   $1\n    A:C\n")
    assert len(j.transactions) == 1


def test_crlf_lines():
    j = parse_journal("2024-01-01 X\r\n    A:B   $1\r\n    A:C\r\n")
    assert j.transactions[0].postings[1].amount == Amount(D(-1), "$")


def test_transactions_without_blank_line_between():
    j = parse_journal("2024-01-01 X\n    A:B   $1\n    A:C\n2024-01-02 Y\n    A:B   $2\n    A:C\n")
    assert [t.payee for t in j.transactions] == ["X", "Y"]


@pytest.mark.parametrize("text, message", [
    ("2024-01-01 X\n    A:B   $1\n    A:C   $2\n", "does not balance"),
    ("2024-01-01 X\n    A:B   $1\n    A:C\n    A:D\n", "more than one"),
    ("2024-01-01 X\n    A:B   $1\n    A:C   1 EUR\n    A:D\n", "cannot infer"),
    ("2024-01-01 X\n", "no postings"),
    ("2024-02-30 X\n    A:B   $1\n    A:C\n", "bad date"),
    ("    A:B   $1\n", "outside a transaction"),
    ("frobnicate 3\n", "unknown directive"),
    ("alias x\n", "needs '='"),
    ("year 24\n", "bad year"),
    ("P 2024-01-01 EUR\n", "price directive"),
    ("P 2024-01-01 EUR $0\n", "positive"),
    ("2024-01-01 X\n    A:B   $1 @ $2\n    A:C\n", "another commodity"),
    ("2024-01-01 X\n    A:B   $1 =\n    A:C\n", "assertion without"),
    ("2024-01-01 X\n    A:B   $$1\n    A:C\n", "bad amount"),
    ("2024-01-01 X\n    A::B   $1\n    A:C\n", "empty or padded"),
    ("commodity\n", "needs a commodity"),
    ("~ sometimes\n", "periodic"),
])
def test_parse_errors(text, message):
    with pytest.raises(ParseError, match=message):
        parse_journal(text)


def test_parse_error_location():
    with pytest.raises(ParseError) as info:
        parse_journal("\n\n2024-01-01 X\n    A:B   $1\n    A:C   $2\n", source="f.journal")
    assert info.value.line == 3
    assert str(info.value).startswith("f.journal:3: ")


def test_balance_within_precision():
    j = parse_journal("2024-01-01 X\n    A:B   1.001 EUR\n    A:C   -1.000 EUR\n    A:D   -0.001 EUR\n")
    assert j.transactions[0].is_balanced()


def test_zero_transaction_elided():
    t = parse_journal("2024-01-01 X\n    A:B   $1\n    A:C   -$1\n    A:D\n").transactions[0]
    assert t.postings[2].amount == Amount(D(0), "$")


def test_strict_requires_declared_accounts():
    text = "account A:B\n\n2024-01-01 X\n    A:B   $1\n    A:C\n"
    with pytest.raises(ParseError, match="undeclared"):
        parse_journal(text, strict=True)
    assert len(parse_journal(text).transactions) == 1


def test_periodic_transactions_parsed():
    j = parse_journal("~ monthly from 2024-01 to 2024-07  Budget\n    Expenses:Food   $400\n    Assets\n")
    (pt,) = j.periodic
    assert pt.interval == "monthly" and pt.payee == "Budget"
    assert pt.period.start == date(2024, 1, 1) and pt.period.end == date(2024, 7, 1)
    assert pt.postings[0].amount == Amount(D(400), "$") and pt.postings[1].amount is None
    assert j.transactions == []


def test_parse_into_existing_journal(journal):
    parse_journal("2024-04-01 Extra\n    A:B   $1\n    A:C\n", journal=journal)
    assert len(journal.transactions) == 15


def test_parse_journal_file(tmp_path):
    path = tmp_path / "x.journal"
    path.write_text("2024-01-01 X\n    A:B   $1\n    A:C\n", encoding="utf-8")
    assert len(parse_journal_file(path).transactions) == 1


def test_journal_add_balances():
    j = Journal()
    t = j.add(Transaction(date(2024, 1, 1), "X", [Posting("A:B", Amount(D(2), "$")), Posting("A:C")]))
    assert t.postings[1].amount == Amount(D(-2), "$")
    with pytest.raises(BalanceError):
        j.add(Transaction(date(2024, 1, 1), "Y", [Posting("A:B", Amount(D(2), "$")),
                                                   Posting("A:C", Amount(D(1), "$"))]))


def test_weight_requires_amount():
    with pytest.raises(BalanceError):
        Posting("A").weight()


def test_merge_journals(journal):
    other = parse_journal("P 2024-03-01 EUR $1.05\naccount Assets:Broker\n\n2024-04-01 X\n    A:B   2 EUR\n    A:C\n")
    journal.merge(other)
    assert len(journal.transactions) == 15 and len(journal.prices) == 3
    assert "Assets:Broker" in journal.declared_accounts and "EUR" in journal.styles


def test_check_assertions_pass(journal):
    assert journal.check_assertions() == []


def test_check_assertions_fail():
    text = "2024-01-01 X\n    A:B   $10\n    A:C\n\n2024-01-02 Y\n    A:B   $5 = $14\n    A:C\n"
    (failure,) = parse_journal(text).check_assertions()
    assert failure.expected == Amount(D(14), "$") and failure.actual == Amount(D(15), "$")
    assert failure.line == 6 and "expected $14, got $15" in str(failure)


def test_assertion_only_posting():
    text = "2024-01-01 X\n    A:B   $10\n    A:C\n\n2024-01-02 Check\n    A:B   $0 = $10\n    A:C   $0\n"
    assert parse_journal(text).check_assertions() == []


def test_assertions_checked_in_date_order():
    text = "2024-01-02 Y\n    A:B   $5 = $15\n    A:C\n\n2024-01-01 X\n    A:B   $10\n    A:C\n"
    assert parse_journal(text).check_assertions() == []


def test_undeclared_accounts(journal):
    assert journal.undeclared_accounts() == []
    parse_journal("2024-04-01 X\n    Assets:Bank:Checking:Sub   $1\n    Other:Thing\n", journal=journal)
    assert journal.undeclared_accounts() == ["Other:Thing"]
