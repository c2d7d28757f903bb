"""Bank accounts holding integer cents, with a history of entries."""

from __future__ import annotations

from dataclasses import dataclass, field


class InsufficientFunds(Exception):
    """A withdrawal or transfer larger than the available balance."""


@dataclass
class Account:
    owner: str
    balance: int = 0
    overdraft: int = 0
    history: list[tuple[str, int]] = field(default_factory=list)

    def deposit(self, cents: int, memo: str = "deposit") -> None:
        if cents <= 0:
            raise ValueError("deposit must be positive")
        self.balance += cents
        self.history.append((memo, cents))

    def withdraw(self, cents: int, memo: str = "withdrawal") -> None:
        if cents <= 0:
            raise ValueError("withdrawal must be positive")
        if cents > self.balance + self.overdraft:
            raise InsufficientFunds(f"{self.owner}: {cents} requested, {self.balance} available")
        self.balance -= cents
        self.history.append((memo, -cents))

    def transfer(self, other: Account, cents: int) -> None:
        """Move money to `other`; nothing changes if the withdrawal is refused."""
        self.withdraw(cents, memo=f"to {other.owner}")
        self.deposit(cents, memo=f"from {self.owner}")

    def statement(self) -> str:
        lines = [f"{memo:<20}{cents:>10}" for memo, cents in self.history]
        return "\n".join(lines + [f"{'balance':<20}{self.balance:>10}"])
