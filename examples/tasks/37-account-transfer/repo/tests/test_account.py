import pytest

from bank.account import Account, InsufficientFunds


def test_deposit_and_withdraw():
    acct = Account("ann")
    acct.deposit(5000)
    acct.withdraw(1250)
    assert acct.balance == 3750


def test_overdraft():
    acct = Account("bob", balance=100, overdraft=500)
    acct.withdraw(600)
    assert acct.balance == -500
    with pytest.raises(InsufficientFunds):
        acct.withdraw(1)


def test_transfer_moves_money():
    ann, bob = Account("ann", balance=1000), Account("bob")
    ann.transfer(bob, 400)
    assert (ann.balance, bob.balance) == (600, 400)
    assert bob.history == [("from ann", 400)]


def test_refused_transfer_changes_nothing():
    ann, bob = Account("ann", balance=100), Account("bob")
    with pytest.raises(InsufficientFunds):
        ann.transfer(bob, 500)
    assert (ann.balance, bob.balance) == (100, 0)
