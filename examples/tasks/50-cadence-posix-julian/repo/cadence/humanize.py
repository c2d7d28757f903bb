"""English descriptions of recurrence rules and durations."""

from __future__ import annotations

import datetime as _dt

from cadence.recurrence import (
    Duration,
    Frequency,
    RecurrenceRule,
    Weekday,
    month_name,
)

_WEEKDAY_SET = frozenset(range(5))
_WEEKEND_SET = frozenset({5, 6})
_SMALL = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st ...; -1 is "last", -2 "second to last"."""
    if n == 0:
        raise ValueError("no zeroth")
    if n == -1:
        return "last"
    if n < 0:
        return f"{ordinal(-n)} to last"
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join_words(words: list[str], conjunction: str = "and") -> str:
    """"a", "a and b", "a, b and c"."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def plural(count: int, noun: str) -> str:
    """"1 week", "2 weeks" (numbers up to ten spelled out when `count` is small)."""
    word = _SMALL[count] if 0 <= count <= 10 else str(count)
    return f"{word} {noun}" + ("" if count == 1 else "s")


def format_time(hour: int, minute: int = 0, second: int = 0, clock: int = 24) -> str:
    """"09:30" or, with ``clock=12``, "9:30 AM"; seconds only when non-zero."""
    if clock == 24:
        text = f"{hour:02d}:{minute:02d}"
        return text + (f":{second:02d}" if second else "")
    if clock != 12:
        raise ValueError("clock must be 12 or 24")
    suffix = "AM" if hour < 12 else "PM"
    display = hour % 12 or 12
    text = f"{display}:{minute:02d}"
    if second:
        text += f":{second:02d}"
    return f"{text} {suffix}"


def format_long_date(day: _dt.date) -> str:
    """"January 5, 2024"."""
    return f"{month_name(day.month)} {day.day}, {day.year}"


def describe_weekday(day: Weekday, within: str = "month") -> str:
    """"Monday", or "the last Friday of the month" for numbered days."""
    if day.n is None:
        return day.name
    return f"the {ordinal(day.n)} {day.name}"


def _describe_days(rule: RecurrenceRule) -> str | None:
    days = rule.byday
    if not days:
        return None
    if all(day.n is None for day in days):
        numbers = frozenset(day.day for day in days)
        if numbers == _WEEKDAY_SET:
            return "on weekdays"
        if numbers == _WEEKEND_SET:
            return "on weekends"
        if len(numbers) == 7:
            return "on every day of the week"
        return "on " + join_words([day.name for day in days])
    return "on " + join_words([describe_weekday(day) for day in days])


def _describe_month_days(values: tuple[int, ...]) -> str:
    words = []
    for value in values:
        if value == -1:
            words.append("the last day")
        elif value < 0:
            words.append(f"the {ordinal(-value)} to last day")
        else:
            words.append(f"the {ordinal(value)}")
    return "on " + join_words(words)


def _describe_times(rule: RecurrenceRule, clock: int) -> str | None:
    if rule.freq.is_time_based:
        return None
    start = rule.dtstart
    hours = rule.byhour or ((start.hour,) if isinstance(start, _dt.datetime) else ())
    minutes = rule.byminute or ((start.minute,) if isinstance(start, _dt.datetime) else ())
    seconds = rule.bysecond or ((start.second,) if isinstance(start, _dt.datetime) else (0,))
    if not hours or not minutes:
        return None
    times = sorted(
        format_time(h, m, s, clock) for h in hours for m in minutes for s in seconds
    )
    if len(times) > 6:
        return f"at {len(times)} times a day"
    return "at " + join_words(times)


def describe(rule: RecurrenceRule, clock: int = 24) -> str:
    """A short English description of `rule`.

    >>> import datetime
    >>> describe(RecurrenceRule.parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=4",
    ...          dtstart=datetime.datetime(2024, 1, 1, 9, 30)))
    'every 2 weeks on Monday and Wednesday at 09:30, 4 times'
    """
    noun = rule.freq.noun
    if rule.interval == 1:
        if rule.freq is Frequency.DAILY:
            text = "every day"
        else:
            text = f"every {noun}"
    elif rule.interval == 2 and rule.freq is not Frequency.DAILY:
        text = f"every other {noun}"
    else:
        text = f"every {rule.interval} {noun}s"
    if rule.interval == 2 and rule.freq is Frequency.DAILY:
        text = "every other day"
    pieces = [text]
    if rule.bymonth:
        pieces.append("in " + join_words([month_name(m) for m in rule.bymonth]))
    if rule.byweekno:
        label = "week" if len(rule.byweekno) == 1 else "weeks"
        pieces.append(f"in {label} " + join_words([str(w) for w in rule.byweekno]))
    if rule.byyearday:
        pieces.append("on day " + join_words([str(d) for d in rule.byyearday]) + " of the year")
    if rule.bymonthday:
        pieces.append(_describe_month_days(rule.bymonthday))
    days = _describe_days(rule)
    if days:
        pieces.append(days)
    if rule.bysetpos:
        pieces.append("(" + join_words([ordinal(p) for p in rule.bysetpos], "or")
                      + " match of each " + noun + ")")
    times = _describe_times(rule, clock)
    if times:
        pieces.append(times)
    text = " ".join(pieces)
    if rule.count is not None:
        text += ", once" if rule.count == 1 else (", twice" if rule.count == 2
                                                  else f", {rule.count} times")
    elif rule.until is not None:
        text += f", until {format_long_date(rule.until)}"
    return text


def describe_duration(duration: Duration | _dt.timedelta) -> str:
    """"1 hour 30 minutes", "2 weeks", "3 days 4 hours"; "no time" for zero."""
    if isinstance(duration, _dt.timedelta):
        duration = Duration.from_timedelta(duration)
    if duration.is_zero:
        return "no time"
    sign = "minus " if duration.is_negative else ""
    days = abs(duration.days)
    seconds = abs(duration.seconds)
    extra, seconds = divmod(seconds, 86400)
    days += extra
    parts = []
    weeks, days_left = divmod(days, 7)
    if weeks and not days_left and not seconds:
        return sign + _unit(weeks, "week")
    if days:
        parts.append(_unit(days, "day"))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        parts.append(_unit(hours, "hour"))
    if minutes:
        parts.append(_unit(minutes, "minute"))
    if secs:
        parts.append(_unit(secs, "second"))
    return sign + " ".join(parts)


def _unit(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def relative_day(day: _dt.date, today: _dt.date) -> str:
    """"today", "tomorrow", "yesterday", "on Friday" (within a week), or the long date."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if 1 < delta < 7:
        return f"on {Weekday(day.weekday()).name}"
    if -7 < delta < -1:
        return f"last {Weekday(day.weekday()).name}"
    return f"on {format_long_date(day)}"
