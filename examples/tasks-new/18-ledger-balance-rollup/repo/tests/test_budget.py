from datetime import date
from decimal import Decimal

import pytest

from ledgerkit import (
    Amount, Budget, BudgetError, BudgetLine, BudgetRule, DateRange, ParseError, parse_journal, render_budget,
)

D = Decimal
Q1 = DateRange(date(2024, 1, 1), date(2024, 4, 1))
FEB = DateRange(date(2024, 2, 1), date(2024, 3, 1))

RULES = """\
; household budget
Expenses:Food        $300
Expenses:Rent        $1,200    monthly
Expenses:Utilities   $100
"""


def usd(text):
    return Amount(D(text), "$")


def test_parse_budget():
    b = Budget.parse(RULES)
    assert len(b) == 3
    assert b.rules[1] == BudgetRule("Expenses:Rent", usd("1200"), "monthly")
    assert b.rules[0].interval == "monthly"


def test_parse_budget_interval():
    b = Budget.parse("Expenses:Travel   $1,000   Yearly\n")
    assert b.rules[0].interval == "yearly"


@pytest.mark.parametrize("text, message", [
    ("Expenses:Food\n", "expected"),
    ("Expenses:Food   lots\n", "bad amount"),
    ("Expenses:Food   $5   fortnightly\n", "unknown interval"),
    ("Expenses:Food   $5   monthly   extra\n", "expected"),
])
def test_parse_budget_errors(text, message):
    with pytest.raises(BudgetError, match=message):
        Budget.parse(text)


def test_budget_rule_rejects_interval():
    with pytest.raises(BudgetError):
        BudgetRule("Expenses", usd("1"), "hourly")


def test_budget_add_validates():
    b = Budget()
    rule = b.add("Expenses:Fun", "$50", "weekly")
    assert rule.amount == usd("50") and rule.interval == "weekly"
    with pytest.raises(ParseError):
        b.add("Bad::Name", "$5")


def test_check_needs_bounded_period(journal):
    with pytest.raises(BudgetError):
        Budget.parse(RULES).check(journal, DateRange(date(2024, 1, 1)))


def test_check_single_month(journal):
    lines = Budget.parse(RULES).check(journal, FEB)
    assert [(line.account, line.actual) for line in lines] == [
        ("Expenses:Food", usd("98.20")),
        ("Expenses:Rent", usd("1200.00")),
        ("Expenses:Utilities", usd("0")),
    ]
    assert all(line.period == FEB for line in lines)


@pytest.mark.parametrize("account, actuals", [
    ("Expenses:Food", ["165.50", "98.20", "150.00"]),
    ("Expenses:Rent", ["1200.00", "1200.00", "1200.00"]),
    ("Expenses:Utilities", ["80.25", "0", "0"]),
], ids=["food", "rent", "utilities"])
def test_check_quarter_by_month(journal, account, actuals):
    lines = [line for line in Budget.parse(RULES).check(journal, Q1) if line.account == account]
    assert [line.period.start.month for line in lines] == [1, 2, 3]
    assert [line.actual for line in lines] == [usd(a) for a in actuals]


def test_check_ignores_other_commodities(journal):
    (line,) = Budget.parse("Expenses:Food:Dining   $100\n").check(journal, DateRange(date(2024, 3, 1),
                                                                                    date(2024, 4, 1)))
    assert line.actual == usd("0")


def test_check_budget_in_other_commodity(journal):
    (line,) = Budget.parse("Expenses:Food   50 EUR   quarterly\n").check(journal, Q1)
    assert line.actual == Amount(D("20.00"), "EUR")
    assert line.remaining == Amount(D("30.00"), "EUR")


def test_check_yearly_rule_over_quarter(journal):
    (line,) = Budget.parse("Expenses:Rent   $15,000   yearly\n").check(journal, Q1)
    assert line.period == Q1 and line.actual == usd("3600.00")


def test_check_weekly_rule(journal):
    lines = Budget.parse("Expenses:Food:Groceries   $100   weekly\n").check(
        journal, DateRange(date(2024, 1, 1), date(2024, 1, 29)))
    assert [line.actual for line in lines] == [usd("120.50"), usd("0"), usd("0"), usd("0")]
    assert lines[0].over and not lines[1].over


def test_check_partial_first_period(journal):
    lines = Budget.parse("Expenses:Food   $300\n").check(journal, DateRange(date(2024, 1, 10), date(2024, 2, 1)))
    assert [line.actual for line in lines] == [usd("45.00")]
    assert lines[0].period.start == date(2024, 1, 10)


def test_check_rule_period_limits(journal):
    b = Budget([BudgetRule("Expenses:Rent", usd("1200"), "monthly", DateRange(date(2024, 3, 1)))])
    lines = b.check(journal, Q1)
    assert [line.period.start for line in lines] == [date(2024, 3, 1)]


def test_check_rule_outside_period(journal):
    b = Budget([BudgetRule("Expenses:Rent", usd("1200"), "monthly", DateRange(date(2025, 1, 1)))])
    assert b.check(journal, Q1) == []


def test_check_empty_journal():
    lines = Budget.parse(RULES).check(parse_journal(""), FEB)
    assert [line.actual for line in lines] == [usd("0")] * 3


def test_over_budget_single_month(journal):
    assert Budget.parse(RULES).over_budget(journal, FEB) == []
    tight = Budget.parse("Expenses:Food   $50\n")
    assert [line.actual for line in tight.over_budget(journal, FEB)] == [usd("98.20")]


def test_over_budget_quarter(journal):
    b = Budget.parse("Expenses:Food   $160\nExpenses:Rent   $1,200\n")
    over = b.over_budget(journal, Q1)
    assert [(line.account, line.period.start.month) for line in over] == [("Expenses:Food", 1)]


def test_budget_totals_quarter(journal):
    totals = Budget.parse(RULES).totals(journal, Q1)
    assert totals["Expenses:Food"] == (usd("900"), usd("413.70"))
    assert totals["Expenses:Rent"] == (usd("3600"), usd("3600.00"))
    assert totals["Expenses:Utilities"] == (usd("300"), usd("80.25"))


def test_budget_totals_single_month(journal):
    totals = Budget.parse(RULES).totals(journal, FEB)
    assert totals["Expenses:Food"] == (usd("300"), usd("98.20"))


@pytest.mark.parametrize("budget, actual, over, remaining, pct", [
    ("100", "50", False, "50", "50"),
    ("100", "100", False, "0", "100"),
    ("100", "100.01", True, "-0.01", "100"),
    ("100", "-20", False, "120", "-20"),
    ("-3000", "-2500", False, "-500", "83"),
    ("-3000", "-3500", True, "500", "117"),
])
def test_budget_line_properties(budget, actual, over, remaining, pct):
    line = BudgetLine("Expenses:X", FEB, usd(budget), usd(actual))
    assert line.over is over
    assert line.remaining == usd(remaining)
    assert line.used_percent() == D(pct)


def test_budget_line_zero_budget():
    assert BudgetLine("Expenses:X", FEB, usd("0"), usd("5")).used_percent() is None


def test_budget_from_periodic_transactions(journal):
    parse_journal("~ monthly from 2024-01  Budget\n    Expenses:Food   $250\n    Expenses:Rent   $1,200\n"
                  "    Assets:Bank:Checking\n", journal=journal)
    b = Budget.from_journal(journal)
    assert [r.account for r in b.rules] == ["Expenses:Food", "Expenses:Rent"]
    assert b.rules[0].period == DateRange(date(2024, 1, 1))
    lines = b.check(journal, FEB)
    assert [line.actual for line in lines] == [usd("98.20"), usd("1200.00")]


def test_budget_from_journal_without_rules(journal):
    assert len(Budget.from_journal(journal)) == 0


def test_render_budget(journal):
    text = render_budget(Budget.parse("Expenses:Food   $50\nExpenses:Rent   $1,300\n").check(journal, FEB),
                         styles=journal.styles)
    assert text.splitlines() == [
        "Account       | Period  |    Actual |    Budget |    Left | Used | Status",
        "--------------+---------+-----------+-----------+---------+------+-------",
        "Expenses:Food | 2024-02 |    $98.20 |    $50.00 | -$48.20 | 196% | OVER",
        "Expenses:Rent | 2024-02 | $1,200.00 | $1,300.00 | $100.00 |  92% |",
    ]
