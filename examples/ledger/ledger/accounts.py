"""Accounts and their types. Debits increase assets and expenses; credits increase the rest."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class AccountType(Enum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        return self in (AccountType.ASSET, AccountType.EXPENSE)


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    type: AccountType
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not self.code.isdigit():
            raise ValueError(f"account code must be digits, got {self.code!r}")

    @property
    def parent_code(self) -> str | None:
        """'4010' -> '4000': the account whose code keeps the first digit and zeroes the rest."""
        parent = self.code[0] + "0" * (len(self.code) - 1)
        return None if parent == self.code else parent


def chart(*accounts: Account) -> dict[str, Account]:
    """Accounts by code; duplicate codes are an error."""
    out: dict[str, Account] = {}
    for account in accounts:
        if account.code in out:
            raise ValueError(f"duplicate account code {account.code}")
        out[account.code] = account
    return out
