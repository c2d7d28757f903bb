from decimal import Decimal as D

from finance.interest import compound, monthly_payment, schedule


def test_compound_yearly():
    assert compound(D("1000"), D("0.05"), 2, periods_per_year=1) == D("1102.50")


def test_compound_monthly():
    assert compound(D("1000"), D("0.05"), 10) == D("1647.01")


def test_zero_rate():
    assert compound(D("250"), D("0"), 3) == D("250.00")
    assert monthly_payment(D("1200"), D("0"), 12) == D("100.00")


def test_monthly_payment():
    assert monthly_payment(D("10000"), D("0.06"), 36) == D("304.22")


def test_schedule_ends_at_zero():
    rows = schedule(D("10000"), D("0.06"), 36)
    assert rows[0] == (1, D("50.00"), D("9745.78"))
    assert rows[-1][2] == D("0.00")
