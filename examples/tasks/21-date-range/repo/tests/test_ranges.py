from datetime import date

import pytest

from periods.ranges import by_week, date_range, month_starts


def test_range_includes_both_ends():
    assert list(date_range(date(2024, 2, 27), date(2024, 3, 1))) == [
        date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1),
    ]


def test_single_day():
    assert list(date_range(date(2024, 5, 5), date(2024, 5, 5))) == [date(2024, 5, 5)]


def test_step():
    assert len(list(date_range(date(2024, 1, 1), date(2024, 1, 29), step_days=7))) == 5
    with pytest.raises(ValueError):
        list(date_range(date(2024, 1, 1), date(2024, 1, 2), step_days=0))


def test_by_week():
    groups = by_week([date(2024, 1, 1), date(2024, 1, 7), date(2024, 1, 8)])
    assert groups == {(2024, 1): [date(2024, 1, 1), date(2024, 1, 7)], (2024, 2): [date(2024, 1, 8)]}


def test_month_starts():
    assert month_starts(date(2023, 12, 15), date(2024, 2, 1)) == [date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1)]
