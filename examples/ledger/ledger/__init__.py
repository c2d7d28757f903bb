"""ledger: double-entry accounts, journal postings and stock levels, with Decimal money."""

from ledger.accounts import Account, AccountType
from ledger.inventory import Inventory, InsufficientStock, StockItem
from ledger.journal import Journal, Posting, Transaction, UnbalancedTransaction
from ledger.money import Money

__all__ = [
    "Account",
    "AccountType",
    "InsufficientStock",
    "Inventory",
    "Journal",
    "Money",
    "Posting",
    "StockItem",
    "Transaction",
    "UnbalancedTransaction",
]
