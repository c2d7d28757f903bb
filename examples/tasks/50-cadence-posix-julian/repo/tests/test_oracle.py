"""The expansion engine against a brute-force day-by-day oracle."""

import datetime as dt
import itertools
import random

import pytest

from cadence.recurrence import (
    Frequency, RecurrenceRule, RuleError, Weekday, days_in_month, days_in_year, first_week_start,
    nth_weekday_of_month, nth_weekday_of_year, week_start,
)

HORIZON_DAYS = 800


def _signed(value, size, wanted):
    return value in wanted or value - size - 1 in wanted


def _weekno(day, year, wkst):
    first = first_week_start(year, wkst)
    total = (first_week_start(year + 1, wkst) - first).days // 7
    return (day - first).days // 7 + 1, total, first


def _day_matches(rule, day, start):
    plain = {d.day for d in rule.byday if d.n is None}
    numbered = [d for d in rule.byday if d.n is not None]
    bymonth, bymonthday, byday = set(rule.bymonth), rule.bymonthday, rule.byday
    freq = rule.freq
    if not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday):
        if freq is Frequency.YEARLY:
            bymonth = bymonth or {start.month}
            bymonthday = (start.day,)
        elif freq is Frequency.MONTHLY:
            bymonthday = (start.day,)
        elif freq is Frequency.WEEKLY:
            plain = {start.weekday()}
    if bymonth and day.month not in bymonth:
        return False
    if bymonthday and not _signed(day.day, days_in_month(day.year, day.month), bymonthday):
        return False
    if rule.byyearday and not _signed(day.timetuple().tm_yday, days_in_year(day.year), rule.byyearday):
        return False
    if plain or numbered:
        ok = day.weekday() in plain
        for wd in numbered:
            if freq is Frequency.MONTHLY or rule.bymonth:
                target = nth_weekday_of_month(day.year, day.month, wd.day, wd.n)
            else:
                target = nth_weekday_of_year(day.year, wd.day, wd.n)
            ok = ok or target == day
        if not ok:
            return False
    return True


def _period_ok(rule, day, start):
    n = rule.interval
    if rule.freq is Frequency.YEARLY:
        return (day.year - start.year) % n == 0
    if rule.freq is Frequency.MONTHLY:
        return ((day.year - start.year) * 12 + day.month - start.month) % n == 0
    if rule.freq is Frequency.WEEKLY:
        weeks = (week_start(day, rule.wkst) - week_start(start, rule.wkst)).days // 7
        return weeks % n == 0
    return (day - start).days % n == 0


def oracle(rule, horizon=HORIZON_DAYS):
    start = rule.dtstart
    hours = rule.byhour or (start.hour,)
    minutes = rule.byminute or (start.minute,)
    result = []
    for offset in range(horizon):
        day = start.date() + dt.timedelta(days=offset)
        if not _period_ok(rule, day, start.date()) or not _day_matches(rule, day, start):
            continue
        for h, m in sorted(itertools.product(hours, minutes)):
            moment = dt.datetime(day.year, day.month, day.day, h, m)
            if moment >= start:
                result.append(moment)
    return result


def oracle_weekno(rule, horizon=HORIZON_DAYS):
    """YEARLY rules with BYWEEKNO (and plain BYDAY / BYMONTH): week-numbering years."""
    start = rule.dtstart
    result = []
    for offset in range(horizon):
        day = start.date() + dt.timedelta(days=offset)
        for year in (day.year - 1, day.year, day.year + 1):
            week, total, first = _weekno(day, year, rule.wkst)
            if 1 <= week <= total:
                break
        if (year - start.year) % rule.interval:
            continue
        if not _signed(week, total, rule.byweekno):
            continue
        if rule.byday and day.weekday() not in {d.day for d in rule.byday}:
            continue
        if rule.bymonth and day.month not in rule.bymonth:
            continue
        moment = dt.datetime(day.year, day.month, day.day, start.hour, start.minute)
        if moment >= start:
            result.append(moment)
    return result


def random_rule(rng, freq=None):
    freq = freq or rng.choice([Frequency.YEARLY, Frequency.MONTHLY, Frequency.WEEKLY, Frequency.DAILY])
    parts = {"interval": rng.choice([1, 1, 1, 2, 3])}
    if rng.random() < 0.3:
        parts["bymonth"] = rng.sample(range(1, 13), rng.randint(1, 4))
    if freq is not Frequency.WEEKLY and rng.random() < 0.35:
        parts["bymonthday"] = rng.sample([*range(1, 32), *range(-31, 0)], rng.randint(1, 3))
    if freq is Frequency.YEARLY and rng.random() < 0.2:
        parts["byyearday"] = rng.sample([*range(1, 367), *range(-366, 0)], rng.randint(1, 3))
    if rng.random() < 0.5:
        if freq in (Frequency.MONTHLY, Frequency.YEARLY) and rng.random() < 0.5:
            limit = 5 if freq is Frequency.MONTHLY or "bymonth" in parts else 53
            parts["byday"] = [Weekday(rng.randrange(7), rng.choice([1, -1]) * rng.randint(1, limit))
                              for _ in range(rng.randint(1, 2))]
        else:
            parts["byday"] = rng.sample(range(7), rng.randint(1, 3))
    if rng.random() < 0.25:
        parts["byhour"] = rng.sample(range(24), rng.randint(1, 2))
    if rng.random() < 0.15:
        parts["byminute"] = rng.sample(range(60), rng.randint(1, 2))
    parts["wkst"] = rng.choice([0, 0, 6, 2])
    start = dt.datetime(rng.randint(1990, 2040), rng.randint(1, 12), rng.randint(1, 28),
                        rng.randint(0, 23), rng.choice([0, 15, 30, 45]))
    return RecurrenceRule(freq, dtstart=start, **parts)


def _check(rule, horizon=HORIZON_DAYS, reference=oracle):
    end = rule.dtstart + dt.timedelta(days=horizon)
    expected = reference(rule, horizon)
    got = list(itertools.takewhile(lambda v: v < end.replace(hour=0, minute=0), rule))
    assert got == expected, rule.to_string()


@pytest.mark.parametrize("seed", range(40))
def test_random_rules_match_oracle(seed):
    rng = random.Random(seed)
    for _ in range(3):
        try:
            rule = random_rule(rng)
        except RuleError:
            continue
        _check(rule, horizon=400)


@pytest.mark.parametrize("freq", [Frequency.YEARLY, Frequency.MONTHLY, Frequency.WEEKLY, Frequency.DAILY])
def test_many_random_rules_per_frequency(freq):
    """Slow: several hundred rules of one frequency over two years each."""
    rng = random.Random(1000 + freq.value)
    checked = 0
    while checked < 70:
        try:
            rule = random_rule(rng, freq)
        except RuleError:
            continue
        _check(rule)
        checked += 1


@pytest.mark.parametrize("seed", range(12))
def test_weekno_rules_match_oracle(seed):
    rng = random.Random(500 + seed)
    weeks = rng.sample([*range(1, 54), *range(-53, 0)], rng.randint(1, 3))
    parts = {"byweekno": weeks, "wkst": rng.choice([0, 6, 3])}
    if rng.random() < 0.7:
        parts["byday"] = rng.sample(range(7), rng.randint(1, 3))
    if rng.random() < 0.3:
        parts["bymonth"] = [1, 12]
    start = dt.datetime(rng.randint(1995, 2035), rng.choice([1, 6, 12]), rng.randint(1, 28), 8, 0)
    rule = RecurrenceRule(Frequency.YEARLY, dtstart=start, interval=rng.choice([1, 2]), **parts)
    _check(rule, horizon=1500, reference=oracle_weekno)


def test_count_matches_prefix_of_infinite_rule():
    rng = random.Random(77)
    for _ in range(30):
        try:
            rule = random_rule(rng)
        except RuleError:
            continue
        prefix = list(itertools.islice(rule, 7))
        assert rule.replace(count=7).occurrences() == prefix
