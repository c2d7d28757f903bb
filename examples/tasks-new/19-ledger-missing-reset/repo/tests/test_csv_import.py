from datetime import date
from decimal import Decimal

import pytest

from ledgerkit import Amount, ImportRuleError, ImportRules, import_csv, parse_journal, transaction_fingerprint

D = Decimal

RULES = """\
# checking account export
skip 1
fields date, description, amount
date-format %d/%m/%Y
currency $
account1 Assets:Bank:Checking
if /grocery|market/
  account2 Expenses:Food:Groceries
if description /^salary/
  account2 Income:Salary
  comment :pay:
"""

CSV = """\
Date,Description,Amount
03/04/2024,GROCERY MART,-54.20
04/04/2024,Salary April,"3,000.00"
05/04/2024,Mystery,-10

"""


def test_parse_rules():
    r = ImportRules.parse(RULES)
    assert r.skip == 1 and r.fields == ["date", "description", "amount"]
    assert r.date_format == "%d/%m/%Y" and r.currency == "$"
    assert r.account1 == "Assets:Bank:Checking" and r.default_account2 == "Expenses:Unknown"
    assert len(r.conditions) == 2 and r.conditions[1].field_name == "description"
    assert r.conditions[1].assignments == {"account2": "Income:Salary", "comment": ":pay:"}


@pytest.mark.parametrize("text, message", [
    ("account1 A:B\n", "fields"),
    ("fields date, amount\n", "account1"),
    ("fields date, colour\naccount1 A:B\n", "unknown field"),
    ("fields description, amount\naccount1 A:B\n", "include date"),
    ("fields date, description\naccount1 A:B\n", "include an amount"),
    ("skip many\n", "number"),
    ("  account2 X\n", "outside"),
    ("fields date, amount\naccount1 A:B\nif grocery\n", "pattern"),
    ("fields date, amount\naccount1 A:B\nif /[/\n", "bad pattern"),
    ("fields date, amount\naccount1 A:B\nif /x/\n  account1 C\n", "cannot assign"),
    ("fields date, amount\naccount1 A:B\nfrobnicate\n", "unknown rule"),
])
def test_rule_errors(text, message):
    with pytest.raises(ImportRuleError, match=message):
        ImportRules.parse(text)


def test_bad_account_in_rules():
    with pytest.raises(Exception):
        ImportRules.parse("fields date, amount\naccount1 A::B\n")


def test_import_basic():
    result = import_csv(CSV, ImportRules.parse(RULES))
    assert len(result.transactions) == 3 and result.skipped_duplicates == 0 and result.errors == []
    t = result.transactions[0]
    assert t.date == date(2024, 4, 3) and t.payee == "GROCERY MART"
    assert t.postings[0].account == "Assets:Bank:Checking" and t.postings[0].amount == Amount(D("-54.20"), "$")
    assert t.postings[1].account == "Expenses:Food:Groceries" and t.postings[1].amount == Amount(D("54.20"), "$")


def test_import_field_condition_and_comment():
    t = import_csv(CSV, ImportRules.parse(RULES)).transactions[1]
    assert t.postings[1].account == "Income:Salary"
    assert t.postings[0].amount == Amount(D("3000.00"), "$")
    assert t.comment == ":pay:" and t.tags == {"pay": ""}


def test_import_default_account2():
    t = import_csv(CSV, ImportRules.parse(RULES)).transactions[2]
    assert t.postings[1].account == "Expenses:Unknown" and t.postings[1].amount == Amount(D("10"), "$")


def test_first_matching_condition_wins():
    rules = ImportRules.parse(RULES + "if /mart/\n  account2 Expenses:Shopping\n")
    assert import_csv(CSV, rules).transactions[0].postings[1].account == "Expenses:Food:Groceries"


def test_condition_on_field_does_not_match_other_fields():
    rules = ImportRules.parse(RULES)
    csv_text = "h\n01/04/2024,Transfer salary,5\n"
    assert import_csv(csv_text, rules).transactions[0].postings[1].account == "Expenses:Unknown"


def test_description_override_and_status():
    rules = ImportRules.parse(RULES + "status *\nif /mystery/\n  description Corner shop\n  status !\n")
    txns = import_csv(CSV, rules).transactions
    assert txns[2].payee == "Corner shop" and txns[2].status == "!"
    assert txns[0].status == "*"


def test_invert_amounts():
    rules = ImportRules.parse(RULES + "invert\n")
    assert import_csv(CSV, rules).transactions[0].postings[0].amount == Amount(D("54.20"), "$")


def test_invert_no():
    rules = ImportRules.parse(RULES + "invert no\n")
    assert not rules.invert


def test_in_and_out_columns():
    rules = ImportRules.parse("fields date, description, amount-in, amount-out\naccount1 Assets:Bank\ncurrency $\n")
    txns = import_csv("2024-04-01,Pay,100.00,\n2024-04-02,Shop,,25.50\n", rules).transactions
    assert [t.postings[0].amount.quantity for t in txns] == [D("100.00"), D("-25.50")]


def test_parenthesised_negative_and_currency_sign():
    rules = ImportRules.parse("fields date, description, amount\naccount1 Assets:Bank\ncurrency $\n")
    txns = import_csv("2024-04-01,Fee,($12.50)\n2024-04-02,Refund,$ 3.00\n", rules).transactions
    assert [t.postings[0].amount.quantity for t in txns] == [D("-12.50"), D("3.00")]


def test_skip_field_and_extra_columns():
    rules = ImportRules.parse("fields skip, date, description, amount\naccount1 Assets:Bank\n")
    (t,) = import_csv("x,2024-04-01,Shop,-5,extra\n", rules).transactions
    assert t.payee == "Shop" and t.postings[0].amount == Amount(D(-5), "")


def test_code_and_empty_description():
    rules = ImportRules.parse("fields date, code, description, amount\naccount1 Assets:Bank\n")
    (t,) = import_csv("2024-04-01,CHQ 7,,-5\n", rules).transactions
    assert t.code == "CHQ 7" and t.payee == "(no description)"


def test_tab_delimiter():
    rules = ImportRules.parse("delimiter tab\nfields date, description, amount\naccount1 Assets:Bank\n")
    (t,) = import_csv("2024-04-01\tShop, Inc\t-5\n", rules).transactions
    assert t.payee == "Shop, Inc"


@pytest.mark.parametrize("csv_text, message", [
    ("h\n31/02/2024,X,1\n", "does not fit"),
    ("h\n01/02/2024,X\n", "expected 3 fields"),
    ("h\n01/02/2024,X,abc\n", "bad number"),
])
def test_strict_errors(csv_text, message):
    with pytest.raises(ImportRuleError, match=message):
        import_csv(csv_text, ImportRules.parse(RULES))


def test_lenient_errors_collected():
    result = import_csv("h\n31/02/2024,X,1\n01/02/2024,Y,2\n01/02/2024,Z\n", ImportRules.parse(RULES), strict=False)
    assert [t.payee for t in result.transactions] == ["Y"]
    assert len(result.errors) == 2 and result.errors[0].startswith("row 2")


def test_duplicates_of_existing_skipped():
    rules = ImportRules.parse(RULES)
    existing = parse_journal("2024-04-03 Grocery Mart\n    Assets:Bank:Checking   $-54.20\n    Expenses:Food\n")
    result = import_csv(CSV, rules, existing=existing)
    assert result.skipped_duplicates == 1
    assert [t.payee for t in result.transactions] == ["Salary April", "Mystery"]


def test_reimport_skips_everything():
    rules = ImportRules.parse(RULES)
    journal = parse_journal("")
    for t in import_csv(CSV, rules).transactions:
        journal.add(t)
    result = import_csv(CSV, rules, existing=journal)
    assert result.transactions == [] and result.skipped_duplicates == 3


def test_fingerprint_stable_and_distinct():
    a, b, c = import_csv(CSV, ImportRules.parse(RULES)).transactions
    assert transaction_fingerprint(a) == transaction_fingerprint(import_csv(CSV, ImportRules.parse(RULES))
                                                                  .transactions[0])
    assert len({transaction_fingerprint(t) for t in (a, b, c)}) == 3
    assert len(transaction_fingerprint(a)) == 16
