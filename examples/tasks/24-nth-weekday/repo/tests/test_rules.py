from datetime import date

from holidays.rules import MONDAY, SUNDAY, THURSDAY, last_weekday, nth_weekday, us_holidays


def test_first_weekday():
    assert nth_weekday(2024, 9, MONDAY, 1) == date(2024, 9, 2)


def test_fourth_thursday():
    assert nth_weekday(2024, 11, THURSDAY, 4) == date(2024, 11, 28)


def test_last_weekday():
    assert last_weekday(2024, 5, MONDAY) == date(2024, 5, 27)
    assert last_weekday(2024, 3, SUNDAY) == date(2024, 3, 31)


def test_us_holidays():
    assert us_holidays(2025) == {
        "Martin Luther King Jr. Day": date(2025, 1, 20),
        "Memorial Day": date(2025, 5, 26),
        "Labor Day": date(2025, 9, 1),
        "Thanksgiving": date(2025, 11, 27),
    }
