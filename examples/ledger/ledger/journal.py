"""The journal: balanced transactions of postings, and balances derived from them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from ledger.accounts import Account
from ledger.money import Money


class UnbalancedTransaction(ValueError):
    """Debits and credits of a transaction differ."""


@dataclass(frozen=True)
class Posting:
    account: Account
    debit: Money | None = None
    credit: Money | None = None

    def __post_init__(self) -> None:
        if (self.debit is None) == (self.credit is None):
            raise ValueError("a posting has exactly one of debit or credit")

    @property
    def signed(self) -> Money:
        """Debit positive, credit negative."""
        return self.debit if self.debit is not None else -self.credit


@dataclass(frozen=True)
class Transaction:
    when: date
    memo: str
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        if len(self.postings) < 2:
            raise UnbalancedTransaction(f"{self.memo!r}: needs at least two postings")
        currency = self.postings[0].signed.currency
        total = sum((p.signed for p in self.postings), Money.zero(currency))
        if total.amount != 0:
            raise UnbalancedTransaction(f"{self.memo!r}: off by {total}")


@dataclass
class Journal:
    transactions: list[Transaction] = field(default_factory=list)

    def post(self, when: date, memo: str, *postings: Posting) -> Transaction:
        tx = Transaction(when, memo, tuple(postings))
        self.transactions.append(tx)
        return tx

    def balance(self, account: Account, until: date | None = None) -> Money:
        """The balance in the account's normal direction (a positive asset, a positive liability)."""
        total = Money.zero(account.currency)
        for tx in self.transactions:
            if until is not None and tx.when > until:
                continue
            for posting in tx.postings:
                if posting.account == account:
                    total = total + posting.signed
        return total if account.type.debit_normal else -total

    def trial_balance(self) -> dict[str, Money]:
        """Signed (debit-positive) totals by account code; they always sum to zero."""
        totals: dict[str, Money] = defaultdict(Money.zero)
        for tx in self.transactions:
            for posting in tx.postings:
                totals[posting.account.code] = totals[posting.account.code] + posting.signed
        return dict(sorted(totals.items()))
