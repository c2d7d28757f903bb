import pytest

from ledgerkit import parse_journal

SAMPLE = """\
; sample household journal
commodity $1,000.00
account Assets:Bank:Checking
account Assets:Bank:Savings
account Assets:Cash
account Liabilities:Card
account Income:Salary
account Expenses:Food:Groceries
account Expenses:Food:Dining
account Expenses:Rent
account Expenses:Utilities
account Equity:Opening
alias chk = Assets:Bank:Checking
P 2024-01-01 EUR $1.10
P 2024-02-15 EUR $1.08

2024-01-01 * Opening balances
    Assets:Bank:Checking      $2,000.00
    Assets:Bank:Savings       $5,000.00
    Assets:Cash                 $200.00
    Equity:Opening

2024-01-03 * Employer | January pay  ; :pay:
    chk                       $3,000.00
    Income:Salary

2024-01-05 * (1001) Grocery Mart  ; :food:
    Expenses:Food:Groceries     $120.50
    Liabilities:Card

2024-01-15 * Landlord
    Expenses:Rent             $1,200.00
    chk                                  = $3,800.00

2024-01-20 ! Bistro Verde  ; trip: Lisbon
    Expenses:Food:Dining         $45.00
    Assets:Cash

2024-01-31 * Power Co
    Expenses:Utilities           $80.25
    chk

2024-02-01 * Employer | February pay  ; :pay:
    chk                       $3,000.00
    Income:Salary

2024-02-05 * Grocery Mart
    Expenses:Food:Groceries      $98.20
    Liabilities:Card

2024-02-15 * Landlord
    Expenses:Rent             $1,200.00
    chk

2024-02-20 * Card payment
    Liabilities:Card            $120.50
    chk

2024-03-01 * Employer | March pay  ; :pay:
    chk                       $3,000.00
    Income:Salary

2024-03-02 * Grocery Mart
    Expenses:Food:Groceries     $150.00
    Liabilities:Card

2024-03-10 * Cafe Lisboa  ; trip: Lisbon
    Expenses:Food:Dining     20.00 EUR @ $1.10
    Liabilities:Card

2024-03-15 * Landlord
    Expenses:Rent             $1,200.00
    chk
"""


@pytest.fixture
def journal():
    return parse_journal(SAMPLE, source="sample.journal")
