from datetime import date
from decimal import Decimal

import pytest

from ledgerkit import (
    Amount, DateRange, MixedAmount, Query, balance_report, balance_sheet, closing_transaction, income_statement,
    journal_stats, net_worth_series, parse_journal, parse_query, periodic_report, register, render_balance,
    render_periodic, render_register, render_table, top_payees,
)

D = Decimal


def usd(text):
    return MixedAmount([Amount(D(text), "$")])


@pytest.mark.parametrize("account, expected", [
    ("Assets:Bank:Checking", "7199.25"),
    ("Assets:Bank:Savings", "5000.00"),
    ("Assets:Bank", "12199.25"),
    ("Assets:Cash", "155.00"),
    ("Assets", "12354.25"),
    ("Liabilities:Card", "-270.20"),
    ("Income", "-9000.00"),
    ("Equity", "-7200.00"),
    ("Expenses:Food:Groceries", "368.70"),
    ("Expenses:Rent", "3600.00"),
    ("Expenses:Utilities", "80.25"),
])
def test_balances(journal, account, expected):
    assert journal.balance(account) == usd(expected)


def test_multi_commodity_balance(journal):
    assert journal.balance("Expenses:Food") == MixedAmount({"$": D("413.70"), "EUR": D("20.00")})
    assert journal.balance("Expenses") == MixedAmount({"$": D("4093.95"), "EUR": D("20.00")})


def test_unknown_account_balance_is_zero(journal):
    assert journal.balance("Assets:Broker").is_zero()


@pytest.mark.parametrize("as_of, expected", [
    ("2023-12-31", "0"),
    ("2024-01-02", "2000.00"),
    ("2024-01-14", "5000.00"),
    ("2024-01-15", "3800.00"),
    ("2024-02-10", "6719.75"),
    ("2024-12-31", "7199.25"),
])
def test_balance_as_of(journal, as_of, expected):
    y, m, d = map(int, as_of.split("-"))
    assert journal.balance("Assets:Bank:Checking", as_of=date(y, m, d)) == usd(expected)


def test_balance_with_query(journal):
    q = Query(period=DateRange(date(2024, 2, 1), date(2024, 3, 1)))
    assert journal.balance("Expenses", query=q) == usd("1298.20")
    assert journal.balance("Assets:Bank:Checking", query=q) == usd("1679.50")


def test_balance_tree_total_zero_without_costs():
    j = parse_journal("2024-01-01 X\n    A:B   $10\n    C:D\n\n2024-01-02 Y\n    A:E   $5\n    C:D\n")
    tree = j.balance_tree()
    assert tree.total().is_zero()
    assert tree.total("A") == usd("15")


def test_postings_filtered_by_account(journal):
    pairs = list(journal.postings(Query(accounts=("Expenses:Rent",))))
    assert [t.date.month for t, _ in pairs] == [1, 2, 3]


def test_postings_not_account(journal):
    pairs = list(journal.postings(Query(accounts=("Expenses",), not_accounts=("Expenses:Rent",))))
    assert len(pairs) == 6


def test_postings_by_payee(journal):
    pairs = list(journal.postings(Query(payee="^grocery", accounts=("Expenses",))))
    assert sum(p.amount.quantity for _, p in pairs) == D("368.70")


def test_postings_by_status(journal):
    pending = list(journal.postings(Query(status="!")))
    assert {t.payee for t, _ in pending} == {"Bistro Verde"}


@pytest.mark.parametrize("tag, value, count", [("pay", None, 6), ("trip", None, 4), ("trip", "Lisbon", 4),
                                               ("trip", "Paris", 0), ("food", None, 2), ("none", None, 0)])
def test_postings_by_tag(journal, tag, value, count):
    assert len(list(journal.postings(Query(tag=tag, tag_value=value)))) == count


def test_postings_by_commodity(journal):
    assert len(list(journal.postings(Query(commodity="EUR")))) == 1


def test_postings_real_only():
    j = parse_journal("2024-01-01 X\n    A:B   $1\n    A:C\n    (V:W)   $1\n")
    assert len(list(j.postings(Query(real_only=True)))) == 2
    assert len(list(j.postings())) == 3


def test_parse_query_words():
    q = parse_query(["Expenses", "not:Expenses:Rent", "payee:mart", "date:2024-02", "status:*", "tag:trip=Lisbon",
                     "cur:EUR", "real:"])
    assert q.accounts == ("Expenses",) and q.not_accounts == ("Expenses:Rent",)
    assert q.payee == "mart" and q.period == DateRange(date(2024, 2, 1), date(2024, 3, 1))
    assert q.status == "*" and q.tag == "trip" and q.tag_value == "Lisbon"
    assert q.commodity == "EUR" and q.real_only


def test_parse_query_unmarked_status():
    assert parse_query(["status:"]).status == ""
    assert parse_query(["tag:x"]).tag_value is None


def test_query_unmarked_status_matches(journal):
    q = parse_query(["status:"])
    assert list(journal.postings(q)) == []


def test_query_in_balance(journal):
    q = parse_query(["Expenses", "date:2024-03"])
    assert journal.balance("Expenses", query=q) == MixedAmount({"$": D("1350.00"), "EUR": D("20.00")})


def test_balance_report_tree_rows(journal):
    report = balance_report(journal)
    assert [(r.display, r.depth) for r in report.rows] == [
        ("Assets", 0), ("Bank", 1), ("Checking", 2), ("Savings", 2), ("Cash", 1),
        ("Equity:Opening", 0),
        ("Expenses", 0), ("Food", 1), ("Dining", 2), ("Groceries", 2), ("Rent", 1), ("Utilities", 1),
        ("Income:Salary", 0),
        ("Liabilities:Card", 0),
    ]


def test_balance_report_total(journal):
    assert balance_report(journal).total == MixedAmount({"$": D("-22.00"), "EUR": D("20.00")})


def test_balance_report_amount_lookup(journal):
    report = balance_report(journal)
    assert report.amount("Assets:Bank") == usd("12199.25")
    with pytest.raises(KeyError):
        report.amount("Nope")


def test_balance_report_depth(journal):
    report = balance_report(journal, depth=1)
    assert report.accounts() == ["Assets", "Equity", "Expenses", "Income", "Liabilities"]
    assert report.amount("Expenses") == MixedAmount({"$": D("4093.95"), "EUR": D("20.00")})


def test_balance_report_flat(journal):
    report = balance_report(journal, query=Query(accounts=("Expenses",)), flat=True)
    assert report.accounts() == ["Expenses:Food:Dining", "Expenses:Food:Groceries", "Expenses:Rent",
                                 "Expenses:Utilities"]
    assert report.total == MixedAmount({"$": D("4093.95"), "EUR": D("20.00")})


def test_balance_report_flat_depth(journal):
    report = balance_report(journal, query=Query(accounts=("Expenses",)), flat=True, depth=2)
    assert report.accounts() == ["Expenses:Food", "Expenses:Rent", "Expenses:Utilities"]


def test_balance_report_hides_zero():
    j = parse_journal("2024-01-01 X\n    A:B   $1\n    A:C\n\n2024-01-02 Y\n    A:C   $1\n    A:B\n")
    assert balance_report(j).rows == []
    assert [r.account for r in balance_report(j, empty=True).rows] == ["A", "A:B", "A:C"]


def test_balance_report_as_of_quiet_day(journal):
    report = balance_report(journal, query=Query(accounts=("Assets",)), as_of=date(2024, 1, 10))
    assert report.amount("Assets:Bank:Checking") == usd("5000.00")
    assert report.total == usd("10200.00")


def test_render_balance():
    j = parse_journal("2024-01-01 X\n    A:B   $10.00\n    A:C   $5.50\n    D\n")
    text = render_balance(balance_report(j))
    assert text.splitlines() == [
        " $15.50  A",
        " $10.00    B",
        "  $5.50    C",
        "-$15.50  D",
        "-------",
        "      0",
    ]


def test_render_balance_multi_commodity_label_on_last_line(journal):
    text = render_balance(balance_report(journal, query=Query(accounts=("Expenses:Food:Dining",))), journal.styles)
    lines = text.splitlines()
    assert lines[0].strip() == "$45.00"
    assert lines[1].strip() == "20.00 EUR  Expenses:Food:Dining"


def test_register_running_balance(journal):
    rows = register(journal, Query(accounts=("Assets:Bank:Checking",)))
    assert len(rows) == 9
    assert [r.running.quantity("$") for r in rows] == [D(x) for x in (
        "2000.00", "5000.00", "3800.00", "3719.75", "6719.75", "5519.75", "5399.25", "8399.25", "7199.25")]
    assert rows[2].payee == "Landlord" and rows[2].amount == Amount(D("-1200.00"), "$")


def test_register_start_balance(journal):
    rows = register(journal, Query(accounts=("Expenses:Rent",)), start_balance=usd("100"))
    assert rows[-1].running == usd("3700.00")


def test_register_running_is_snapshot(journal):
    rows = register(journal, Query(accounts=("Expenses:Rent",)))
    assert rows[0].running == usd("1200.00")


def test_render_register(journal):
    rows = register(journal, Query(accounts=("Expenses:Rent",)))
    lines = render_register(rows, width=80, styles=journal.styles).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("2024-01-15 Landlord")
    assert lines[-1].endswith("$3,600.00")
    assert all(len(line) <= 80 for line in lines)


def test_render_register_truncates():
    j = parse_journal("2024-01-01 A very long payee name indeed, far too long\n"
                      "    Expenses:Something:Deeply:Nested:Here   $1\n    Assets:Cash\n")
    line = render_register(register(j, Query(accounts=("Expenses",))), width=60).splitlines()[0]
    assert ".." in line and len(line) <= 60


def test_periodic_report_monthly(journal):
    r = periodic_report(journal, "monthly", Query(accounts=("Expenses",)), depth=2)
    assert r.labels() == ["2024-01", "2024-02", "2024-03"]
    assert list(r.rows) == ["Expenses:Food", "Expenses:Rent", "Expenses:Utilities"]
    assert r.row("Expenses:Food") == [usd("165.50"), usd("98.20"),
                                      MixedAmount({"$": D("150.00"), "EUR": D("20.00")})]
    assert r.row("Expenses:Utilities") == [usd("80.25"), MixedAmount(), MixedAmount()]


def test_periodic_report_totals(journal):
    r = periodic_report(journal, "monthly", Query(accounts=("Expenses",)), depth=2)
    assert r.column_totals()[0] == usd("1445.75")
    assert r.column_totals()[1] == usd("1298.20")
    assert r.row_total("Expenses:Rent") == usd("3600.00")
    assert r.row_average("Expenses:Rent") == usd("1200.00")
    assert r.row("Nope") == [MixedAmount()] * 3


def test_periodic_report_cumulative(journal):
    r = periodic_report(journal, "monthly", Query(accounts=("Expenses:Food:Groceries",)), cumulative=True)
    assert r.row("Expenses:Food:Groceries") == [usd("120.50"), usd("218.70"), usd("368.70")]
    assert r.row_total("Expenses:Food:Groceries") == usd("368.70")


def test_periodic_report_cumulative_counts_earlier_postings(journal):
    r = periodic_report(journal, "monthly", Query(accounts=("Expenses:Rent",)),
                        period=DateRange(date(2024, 2, 1), date(2024, 4, 1)), cumulative=True)
    assert r.labels() == ["2024-02", "2024-03"]
    assert r.row("Expenses:Rent") == [usd("2400.00"), usd("3600.00")]


def test_periodic_report_given_period_excludes_outside(journal):
    r = periodic_report(journal, "monthly", Query(accounts=("Expenses:Rent",)),
                        period=DateRange(date(2024, 2, 1), date(2024, 4, 1)))
    assert r.row("Expenses:Rent") == [usd("1200.00"), usd("1200.00")]


@pytest.mark.parametrize("interval, labels", [
    ("quarterly", ["2024Q1"]),
    ("yearly", ["2024"]),
])
def test_periodic_report_intervals(journal, interval, labels):
    r = periodic_report(journal, interval, Query(accounts=("Expenses:Rent",)))
    assert r.labels() == labels
    assert r.row("Expenses:Rent") == [usd("3600.00")]


def test_periodic_report_weekly_alignment(journal):
    r = periodic_report(journal, "weekly", Query(accounts=("Income",)))
    assert r.periods[0].start == date(2024, 1, 1)
    assert r.periods[-1].end == date(2024, 3, 18)
    assert sum(v.quantity("$") for v in r.row("Income:Salary")) == D("-9000.00")


def test_periodic_report_half_open_period(journal):
    r = periodic_report(journal, "monthly", Query(accounts=("Expenses:Rent",)), period=DateRange(date(2024, 2, 1)))
    assert r.labels() == ["2024-02", "2024-03"]


def test_periodic_report_empty_journal():
    r = periodic_report(parse_journal(""), "monthly")
    assert r.periods == [] and r.rows == {}


def test_render_periodic(journal):
    r = periodic_report(journal, "monthly", Query(accounts=("Expenses:Rent", "Expenses:Utilities")))
    lines = render_periodic(r, journal.styles).splitlines()
    assert lines[0].split(" | ")[0].strip() == "Account"
    assert "2024-03" in lines[0] and lines[0].rstrip().endswith("Total")
    assert lines[2].startswith("Expenses:Rent")
    assert lines[2].rstrip().endswith("$3,600.00")
    assert lines[-1].startswith("Total") and lines[-1].rstrip().endswith("$3,680.25")


def test_render_periodic_cumulative_total(journal):
    r = periodic_report(journal, "monthly", Query(accounts=("Expenses:Rent",)), cumulative=True)
    assert render_periodic(r, journal.styles).splitlines()[-1].rstrip().endswith("$3,600.00")


def test_render_table():
    text = render_table(["a", "bb"], [["x", "1"], ["long", "22"]], align="lr")
    assert text.splitlines() == ["a    | bb", "-----+---", "x    |  1", "long | 22"]


@pytest.mark.parametrize("headers, rows, align", [(["a"], [["x", "y"]], None), (["a", "b"], [["x", "y"]], "l")])
def test_render_table_rejects(headers, rows, align):
    with pytest.raises(ValueError):
        render_table(headers, rows, align)


def test_income_statement(journal):
    st = income_statement(journal, period=DateRange(date(2024, 1, 1), date(2024, 4, 1)))
    assert st.sections["income"].total == usd("-9000.00")
    assert st.sections["expenses"].total == MixedAmount({"$": D("4093.95"), "EUR": D("20.00")})
    assert st.net == MixedAmount({"$": D("4906.05"), "EUR": D("-20.00")})


def test_income_statement_one_month(journal):
    st = income_statement(journal, period=DateRange(date(2024, 2, 1), date(2024, 3, 1)), depth=1)
    assert st.net == usd("1701.80")
    assert st.sections["expenses"].accounts() == ["Expenses"]


def test_balance_sheet(journal):
    st = balance_sheet(journal)
    assert st.sections["assets"].total == usd("12354.25")
    assert st.sections["liabilities"].total == usd("-270.20")
    assert st.net == usd("12084.05")


def test_balance_sheet_as_of(journal):
    st = balance_sheet(journal, as_of=date(2024, 2, 20))
    assert st.sections["assets"].total == usd("10554.25")
    assert st.sections["liabilities"].total == usd("-98.20")
    assert st.net == usd("10456.05")


def test_net_worth_series(journal):
    series = net_worth_series(journal, "monthly")
    assert [d for d, _ in series] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    assert [v for _, v in series] == [usd("8754.25"), usd("10456.05"), usd("12084.05")]


def test_net_worth_series_empty():
    assert net_worth_series(parse_journal(""), "monthly") == []


def test_net_worth_valued_in_target():
    j = parse_journal("P 2024-01-01 EUR $2\n\n2024-01-10 X\n    Assets:Cash   10 EUR\n    Equity:Open\n")
    ((d, value),) = net_worth_series(j, "monthly", target="$")
    assert d == date(2024, 1, 31) and value == usd("20")


def test_closing_transaction(journal):
    txn = closing_transaction(journal, date(2024, 3, 31))
    assert txn.date == date(2024, 3, 31)
    amounts = {(p.account, a.commodity): a.quantity for p in txn.postings for a in [p.amount]}
    assert amounts[("Income:Salary", "$")] == D("9000.00")
    assert amounts[("Expenses:Rent", "$")] == D("-3600.00")
    assert amounts[("Expenses:Food:Dining", "EUR")] == D("-20.00")
    assert amounts[("Equity:Retained Earnings", "$")] == D("-4906.05")
    assert amounts[("Equity:Retained Earnings", "EUR")] == D("20.00")


def test_closing_transaction_single_commodity():
    j = parse_journal("2024-01-01 X\n    Expenses:A   $10\n    Assets:Cash\n\n2024-01-02 Y\n    Assets:Cash   $30\n"
                      "    Income:B\n")
    txn = closing_transaction(j, date(2024, 1, 31), equity="Equity:RE")
    assert txn.postings[-1].account == "Equity:RE" and txn.postings[-1].amount == Amount(D(-20), "$")
    j.add(txn)
    assert j.balance("Income").is_zero() and j.balance("Expenses").is_zero()


def test_closing_transaction_nothing_to_close():
    j = parse_journal("2024-01-01 X\n    Assets:A   $10\n    Equity:B\n")
    assert closing_transaction(j, date(2024, 1, 31)) is None


def test_journal_stats(journal):
    s = journal_stats(journal)
    assert (s.transactions, s.postings, s.accounts, s.payees) == (14, 30, 10, 8)
    assert s.commodities == ["$", "EUR"]
    assert s.span.days() == 75
    assert s.per_day == D("0.19")


def test_journal_stats_empty():
    s = journal_stats(parse_journal(""))
    assert s.transactions == 0 and s.per_day == 0


def test_top_payees(journal):
    top = top_payees(journal, limit=3)
    assert [p for p, _ in top] == ["Landlord", "Grocery Mart", "Power Co"]
    assert top[0][1] == usd("3600.00")


def test_top_payees_income(journal):
    assert top_payees(journal, "Income") == [("Employer", usd("-9000.00"))]
