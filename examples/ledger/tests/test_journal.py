from datetime import date

import pytest

from ledger.accounts import Account, AccountType, chart
from ledger.journal import Journal, Posting, UnbalancedTransaction
from ledger.money import Money

CASH = Account("1000", "Cash", AccountType.ASSET)
BANK_LOAN = Account("2100", "Bank loan", AccountType.LIABILITY)
SALES = Account("4000", "Sales", AccountType.INCOME)
RENT = Account("6010", "Rent", AccountType.EXPENSE)


def eur(text: str) -> Money:
    return Money(text)


@pytest.fixture
def journal() -> Journal:
    j = Journal()
    j.post(date(2024, 1, 2), "loan", Posting(CASH, debit=eur("5000")), Posting(BANK_LOAN, credit=eur("5000")))
    j.post(date(2024, 1, 5), "sale", Posting(CASH, debit=eur("120.50")), Posting(SALES, credit=eur("120.50")))
    j.post(date(2024, 2, 1), "rent", Posting(RENT, debit=eur("800")), Posting(CASH, credit=eur("800")))
    return j


def test_balances_in_normal_direction(journal):
    assert journal.balance(CASH) == eur("4320.50")
    assert journal.balance(BANK_LOAN) == eur("5000")
    assert journal.balance(SALES) == eur("120.50")
    assert journal.balance(RENT) == eur("800")


def test_balance_until_a_date(journal):
    assert journal.balance(CASH, until=date(2024, 1, 31)) == eur("5120.50")


def test_trial_balance_sums_to_zero(journal):
    tb = journal.trial_balance()
    assert list(tb) == ["1000", "2100", "4000", "6010"]
    assert sum(tb.values(), Money.zero()) == Money.zero()


def test_split_transaction():
    j = Journal()
    j.post(
        date(2024, 3, 1),
        "sale with cash and loan repayment",
        Posting(CASH, debit=eur("70")),
        Posting(BANK_LOAN, debit=eur("30")),
        Posting(SALES, credit=eur("100")),
    )
    assert j.balance(BANK_LOAN) == eur("-30")


def test_unbalanced_transactions_are_refused():
    with pytest.raises(UnbalancedTransaction, match="off by 0.01 EUR"):
        Journal().post(date(2024, 1, 1), "typo", Posting(CASH, debit=eur("10.01")), Posting(SALES, credit=eur("10")))
    with pytest.raises(UnbalancedTransaction, match="at least two"):
        Journal().post(date(2024, 1, 1), "alone", Posting(CASH, debit=eur("1")))


def test_posting_needs_exactly_one_side():
    with pytest.raises(ValueError):
        Posting(CASH)
    with pytest.raises(ValueError):
        Posting(CASH, debit=eur("1"), credit=eur("1"))


def test_accounts():
    assert RENT.parent_code == "6000"
    assert SALES.parent_code is None
    with pytest.raises(ValueError, match="duplicate"):
        chart(CASH, SALES, CASH)
    with pytest.raises(ValueError, match="digits"):
        Account("10a", "bad", AccountType.ASSET)
