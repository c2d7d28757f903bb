from datetime import date

from workdays.business import add_business_days, business_days_between, is_business_day, next_business_day

FRIDAY = date(2024, 3, 8)
SATURDAY = date(2024, 3, 9)


def test_weekends():
    assert is_business_day(FRIDAY)
    assert not is_business_day(SATURDAY)
    assert not is_business_day(date(2024, 3, 10))


def test_add_over_a_weekend():
    assert add_business_days(FRIDAY, 1) == date(2024, 3, 11)
    assert add_business_days(date(2024, 3, 11), -1) == FRIDAY


def test_holidays():
    holiday = {date(2024, 3, 11)}
    assert add_business_days(FRIDAY, 1, holiday) == date(2024, 3, 12)
    assert next_business_day(date(2024, 3, 11), holiday) == date(2024, 3, 12)


def test_between():
    assert business_days_between(FRIDAY, date(2024, 3, 15)) == 5
    assert business_days_between(date(2024, 3, 15), FRIDAY) == -5
