from datetime import date

import pytest

from monthly.calendar_math import add_months, days_in_month, end_of_month, is_leap, quarter


@pytest.mark.parametrize("year, leap", [(2024, True), (2023, False), (2000, True), (1900, False)])
def test_is_leap(year, leap):
    assert is_leap(year) is leap


def test_february_lengths():
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2100, 2) == 28


def test_add_months_clamps():
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 15), -15) == date(2022, 12, 15)


def test_end_of_month_and_quarter():
    assert end_of_month(date(2023, 4, 3)) == date(2023, 4, 30)
    assert quarter(date(2023, 11, 30)) == 4
