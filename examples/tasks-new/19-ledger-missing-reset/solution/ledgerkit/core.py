"""Core of ledgerkit: amounts, accounts, journals, reports, budgets and CSV import.

The journal format is a small plain-text dialect::

    ; comments start with ';' or '#'
    commodity $  precision 2
    account Assets:Bank:Checking
    alias chk = Assets:Bank:Checking
    P 2024-01-01 EUR $1.10

    2024-01-05 * (1001) Grocery Mart | weekly shop  ; :food:
        Expenses:Food:Groceries      $54.20
        chk                                          ; paid by card
    2024-01-06 ! Landlord
        Expenses:Rent                $1,200.00
        Assets:Bank:Checking        -$1,200.00 = $800.00

A transaction header is a date, an optional status ('*' cleared, '!' pending), an optional
code in parentheses, a payee and an optional note after '|'.  Postings are indented; the
account and amount are separated by two or more spaces or a tab.  At most one posting per
transaction may leave its amount out; it receives whatever balances the rest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Iterator, Mapping, Sequence

# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


class LedgerError(Exception):
    """Base class of every error ledgerkit raises."""


class ParseError(LedgerError):
    """A journal, amount or date could not be read."""

    def __init__(self, message: str, line: int | None = None, source: str | None = None):
        self.message = message
        self.line = line
        self.source = source
        where = ""
        if source is not None and line is not None:
            where = f"{source}:{line}: "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(where + message)


class BalanceError(LedgerError):
    """A transaction does not balance, or a balance assertion fails."""


class PriceError(LedgerError):
    """No price is known to convert one commodity into another."""


class BudgetError(LedgerError):
    """A budget definition is malformed."""


class ImportRuleError(LedgerError):
    """A CSV import rule set is malformed or does not fit the file."""


# ---------------------------------------------------------------------------
# dates and periods
# ---------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_SHORT_DATE_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})$")

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_date(text: str, default_year: int | None = None) -> date:
    """Read 'YYYY-MM-DD' (or with '/' or '.'), or 'MM-DD' when a default year is given."""
    text = text.strip()
    m = _DATE_RE.match(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _SHORT_DATE_RE.match(text)
        if not m:
            raise ParseError(f"bad date {text!r}")
        if default_year is None:
            raise ParseError(f"date {text!r} has no year and no default year is set")
        year, month, day = default_year, int(m.group(1)), int(m.group(2))
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ParseError(f"bad date {text!r}: {exc}") from None


def format_date(d: date, sep: str = "-") -> str:
    return f"{d.year:04d}{sep}{d.month:02d}{sep}{d.day:02d}"


def days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def add_months(d: date, months: int) -> date:
    """Move a date by whole months, clamping the day to the end of a shorter month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(d.day, days_in_month(year, month))
    return date(year, month, day)


def start_of_week(d: date) -> date:
    """The Monday on or before d."""
    return d - timedelta(days=d.weekday())


def start_of_month(d: date) -> date:
    return d.replace(day=1)


def start_of_quarter(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def start_of_year(d: date) -> date:
    return date(d.year, 1, 1)


INTERVALS = ("daily", "weekly", "monthly", "quarterly", "yearly")


def period_start(d: date, interval: str) -> date:
    """The first day of the period of the given interval that holds d."""
    if interval == "daily":
        return d
    if interval == "weekly":
        return start_of_week(d)
    if interval == "monthly":
        return start_of_month(d)
    if interval == "quarterly":
        return start_of_quarter(d)
    if interval == "yearly":
        return start_of_year(d)
    raise ValueError(f"unknown interval {interval!r}; expected one of {', '.join(INTERVALS)}")


def next_period_start(start: date, interval: str) -> date:
    """The first day of the period after the one beginning at start."""
    if interval == "daily":
        return start + timedelta(days=1)
    if interval == "weekly":
        return start + timedelta(days=7)
    if interval == "monthly":
        return add_months(start, 1)
    if interval == "quarterly":
        return add_months(start, 3)
    if interval == "yearly":
        return add_months(start, 12)
    raise ValueError(f"unknown interval {interval!r}; expected one of {', '.join(INTERVALS)}")


def period_label(start: date, interval: str) -> str:
    """A short human label: '2024-03-05', '2024-W10', '2024-03', '2024Q1', '2024'."""
    if interval == "daily":
        return format_date(start)
    if interval == "weekly":
        iso_year, iso_week, _ = start.isocalendar()
        return f"{iso_year}-W{iso_week:02d}"
    if interval == "monthly":
        return f"{start.year:04d}-{start.month:02d}"
    if interval == "quarterly":
        return f"{start.year:04d}Q{(start.month - 1) // 3 + 1}"
    if interval == "yearly":
        return f"{start.year:04d}"
    raise ValueError(f"unknown interval {interval!r}")


@dataclass(frozen=True)
class DateRange:
    """A half-open span of days: start is included, end is not.  None means unbounded."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self):
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"date range ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, d: date) -> bool:
        if self.start is not None and d < self.start:
            return False
        if self.end is not None and d >= self.end:
            return False
        return True

    @property
    def is_bounded(self) -> bool:
        return self.start is not None and self.end is not None

    def days(self) -> int:
        if not self.is_bounded:
            raise ValueError("an unbounded range has no length")
        return (self.end - self.start).days

    def intersect(self, other: "DateRange") -> "DateRange | None":
        starts = [d for d in (self.start, other.start) if d is not None]
        ends = [d for d in (self.end, other.end) if d is not None]
        start = max(starts) if starts else None
        end = min(ends) if ends else None
        if start is not None and end is not None and end <= start:
            return None
        return DateRange(start, end)

    def periods(self, interval: str) -> list["DateRange"]:
        """Split a bounded range into whole periods; the first and last may be partial."""
        if not self.is_bounded:
            raise ValueError("only a bounded range can be split into periods")
        out = []
        cursor = self.start
        while cursor < self.end:
            nxt = next_period_start(period_start(cursor, interval), interval)
            out.append(DateRange(cursor, min(nxt, self.end)))
            cursor = nxt
        return out

    def __str__(self) -> str:
        left = format_date(self.start) if self.start else ""
        right = format_date(self.end) if self.end else ""
        return f"{left}..{right}"


_RANGE_RE = re.compile(r"^\s*([^.]*?)\s*\.\.\s*([^.]*?)\s*$")


def parse_period(text: str, today: date | None = None) -> DateRange:
    """Read a period expression into a DateRange.

    Accepted: 'YYYY', 'YYYY-MM', 'YYYYQn', 'YYYY-MM-DD', 'A..B' (either side may be empty),
    'thismonth', 'lastmonth', 'thisyear', 'lastyear' (relative to today).
    """
    text = text.strip().lower()
    if not text:
        return DateRange()
    if today is None:
        today = date.today()
    if text in ("thismonth", "lastmonth", "thisyear", "lastyear"):
        if text == "thismonth":
            s = start_of_month(today)
            return DateRange(s, add_months(s, 1))
        if text == "lastmonth":
            s = add_months(start_of_month(today), -1)
            return DateRange(s, add_months(s, 1))
        if text == "thisyear":
            s = start_of_year(today)
            return DateRange(s, add_months(s, 12))
        s = date(today.year - 1, 1, 1)
        return DateRange(s, date(today.year, 1, 1))
    m = _RANGE_RE.match(text)
    if m:
        left, right = m.group(1), m.group(2)
        start = parse_period(left, today).start if left else None
        end = parse_period(right, today).start if right else None
        return DateRange(start, end)
    m = re.match(r"^(\d{4})$", text)
    if m:
        y = int(m.group(1))
        return DateRange(date(y, 1, 1), date(y + 1, 1, 1))
    m = re.match(r"^(\d{4})q([1-4])$", text)
    if m:
        y, q = int(m.group(1)), int(m.group(2))
        s = date(y, 3 * (q - 1) + 1, 1)
        return DateRange(s, add_months(s, 3))
    m = re.match(r"^(\d{4})[-/](\d{1,2})$", text)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise ParseError(f"bad month in period {text!r}")
        s = date(y, mo, 1)
        return DateRange(s, add_months(s, 1))
    d = parse_date(text)
    return DateRange(d, d + timedelta(days=1))


# ---------------------------------------------------------------------------
# amounts and commodities
# ---------------------------------------------------------------------------

SYMBOLS = ("$", "€", "£", "¥")
_COMMODITY_PAT = r"(?:[A-Za-z_][A-Za-z_0-9]*|[$€£¥])"
_NUMBER_PAT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_PREFIX_RE = re.compile(
    rf"^(?P<sign>[-+])?(?P<comm>{_COMMODITY_PAT})(?P<space>\s*)(?P<inner>[-+])?(?P<num>{_NUMBER_PAT})$"
)
_SUFFIX_RE = re.compile(rf"^(?P<sign>[-+])?(?P<num>{_NUMBER_PAT})(?:(?P<space>\s*)(?P<comm>{_COMMODITY_PAT}))?$")


@dataclass(frozen=True)
class CommodityStyle:
    """How amounts of one commodity are written."""

    prefix: bool = False
    spaced: bool = True
    precision: int = 2
    thousands: bool = False

    def with_precision(self, precision: int) -> "CommodityStyle":
        return CommodityStyle(self.prefix, self.spaced, precision, self.thousands)


def default_style(commodity: str, precision: int = 2) -> CommodityStyle:
    if commodity in SYMBOLS:
        return CommodityStyle(prefix=True, spaced=False, precision=precision)
    return CommodityStyle(prefix=False, spaced=True, precision=precision)


def _decimal_places(q: Decimal) -> int:
    exponent = q.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class Amount:
    """A quantity of one commodity ('' for a bare number)."""

    quantity: Decimal
    commodity: str = ""

    def __post_init__(self):
        if not isinstance(self.quantity, Decimal):
            object.__setattr__(self, "quantity", Decimal(str(self.quantity)))

    def _check(self, other: "Amount") -> None:
        if not isinstance(other, Amount):
            raise TypeError(f"cannot combine Amount with {type(other).__name__}")
        if other.commodity != self.commodity:
            raise LedgerError(f"commodity mismatch: {self.commodity!r} and {other.commodity!r}")

    def __add__(self, other: "Amount") -> "Amount":
        self._check(other)
        return Amount(self.quantity + other.quantity, self.commodity)

    def __sub__(self, other: "Amount") -> "Amount":
        self._check(other)
        return Amount(self.quantity - other.quantity, self.commodity)

    def __neg__(self) -> "Amount":
        return Amount(-self.quantity, self.commodity)

    def __abs__(self) -> "Amount":
        return Amount(abs(self.quantity), self.commodity)

    def __mul__(self, factor) -> "Amount":
        return Amount(self.quantity * _to_decimal(factor), self.commodity)

    __rmul__ = __mul__

    def is_zero(self) -> bool:
        return self.quantity == 0

    def is_negative(self) -> bool:
        return self.quantity < 0

    def rounded(self, precision: int) -> "Amount":
        return Amount(round_decimal(self.quantity, precision), self.commodity)

    def __str__(self) -> str:
        return format_amount(self)


def _to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_decimal(q: Decimal, precision: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to a number of decimal places (half away from zero unless told otherwise)."""
    quantum = Decimal(1).scaleb(-precision)
    return q.quantize(quantum, rounding=rounding)


def parse_number(text: str) -> Decimal:
    """Read a plain number that may carry thousands separators: '1,234.50' -> Decimal('1234.50')."""
    t = text.strip()
    sign = ""
    if t[:1] in "+-" and t:
        sign, t = t[0], t[1:]
    if not re.fullmatch(_NUMBER_PAT, t):
        raise ParseError(f"bad number {text!r}")
    try:
        return Decimal(sign + t.replace(",", ""))
    except InvalidOperation:
        raise ParseError(f"bad number {text!r}") from None


def parse_amount_styled(text: str) -> tuple[Amount, CommodityStyle]:
    """Read an amount and the style it was written in."""
    t = text.strip()
    if not t:
        raise ParseError("empty amount")
    m = _PREFIX_RE.match(t)
    if m:
        if m.group("sign") and m.group("inner"):
            raise ParseError(f"amount {text!r} has two signs")
        sign = m.group("sign") or m.group("inner") or ""
        num = m.group("num")
        q = parse_number(num)
        if sign == "-":
            q = -q
        style = CommodityStyle(
            prefix=True, spaced=bool(m.group("space")), precision=_decimal_places(q), thousands="," in num
        )
        return Amount(q, m.group("comm")), style
    m = _SUFFIX_RE.match(t)
    if m:
        num = m.group("num")
        q = parse_number(num)
        if m.group("sign") == "-":
            q = -q
        commodity = m.group("comm") or ""
        style = CommodityStyle(
            prefix=False,
            spaced=bool(m.group("space")) or not commodity,
            precision=_decimal_places(q),
            thousands="," in num,
        )
        return Amount(q, commodity), style
    raise ParseError(f"bad amount {text!r}")


def parse_amount(text: str) -> Amount:
    """Read '$1,200.00', '-$5', '$-5', '10 EUR', 'EUR 10', '3.5 AAPL' or a bare '42'."""
    return parse_amount_styled(text)[0]


def _group_thousands(digits: str) -> str:
    out = []
    while len(digits) > 3:
        out.append(digits[-3:])
        digits = digits[:-3]
    out.append(digits)
    return ",".join(reversed(out))


def format_quantity(q: Decimal, precision: int, thousands: bool = False) -> str:
    """Write a quantity with a fixed number of decimals, optionally grouping thousands."""
    r = round_decimal(q, precision)
    negative = r < 0
    text = f"{abs(r):.{precision}f}"
    if thousands:
        whole, _, frac = text.partition(".")
        text = _group_thousands(whole) + ("." + frac if frac else "")
    return ("-" if negative and r != 0 else "") + text


def format_amount(amount: Amount, style: CommodityStyle | None = None) -> str:
    """Write an amount; without a style the commodity's default style and the amount's own precision."""
    if style is None:
        style = default_style(amount.commodity, _decimal_places(amount.quantity))
    number = format_quantity(amount.quantity, style.precision, style.thousands)
    if not amount.commodity:
        return number
    space = " " if style.spaced else ""
    if style.prefix:
        if number.startswith("-"):
            return f"-{amount.commodity}{space}{number[1:]}"
        return f"{amount.commodity}{space}{number}"
    return f"{number}{space}{amount.commodity}"


class MixedAmount:
    """A sum of several commodities.  Zero quantities are dropped."""

    __slots__ = ("_q",)

    def __init__(self, amounts: Iterable[Amount] | Mapping[str, Decimal] | None = None):
        self._q: dict[str, Decimal] = {}
        if amounts is None:
            return
        if isinstance(amounts, Mapping):
            for commodity, q in amounts.items():
                self._add(commodity, _to_decimal(q))
        else:
            for a in amounts:
                self._add(a.commodity, a.quantity)

    def _add(self, commodity: str, q: Decimal) -> None:
        total = self._q.get(commodity, Decimal(0)) + q
        if total == 0:
            self._q.pop(commodity, None)
        else:
            self._q[commodity] = total

    def copy(self) -> "MixedAmount":
        m = MixedAmount()
        m._q = dict(self._q)
        return m

    def add(self, other: "Amount | MixedAmount") -> "MixedAmount":
        """Add in place and return self."""
        if isinstance(other, Amount):
            self._add(other.commodity, other.quantity)
        elif isinstance(other, MixedAmount):
            for commodity, q in other._q.items():
                self._add(commodity, q)
        else:
            raise TypeError(f"cannot add {type(other).__name__} to MixedAmount")
        return self

    def __add__(self, other: "Amount | MixedAmount") -> "MixedAmount":
        return self.copy().add(other)

    def __sub__(self, other: "Amount | MixedAmount") -> "MixedAmount":
        return self.copy().add(-other)

    def __neg__(self) -> "MixedAmount":
        return MixedAmount({c: -q for c, q in self._q.items()})

    def scaled(self, factor) -> "MixedAmount":
        f = _to_decimal(factor)
        return MixedAmount({c: q * f for c, q in self._q.items()})

    def is_zero(self) -> bool:
        return not self._q

    def commodities(self) -> list[str]:
        return sorted(self._q)

    def quantity(self, commodity: str) -> Decimal:
        return self._q.get(commodity, Decimal(0))

    def amounts(self) -> list[Amount]:
        return [Amount(self._q[c], c) for c in sorted(self._q)]

    def single(self) -> Amount | None:
        """The amount when exactly one commodity is held, else None."""
        if len(self._q) != 1:
            return None
        (c, q), = self._q.items()
        return Amount(q, c)

    def rounded(self, precisions: Mapping[str, int]) -> "MixedAmount":
        return MixedAmount({c: round_decimal(q, precisions.get(c, 2)) for c, q in self._q.items()})

    def __eq__(self, other) -> bool:
        if isinstance(other, Amount):
            other = MixedAmount([other])
        if not isinstance(other, MixedAmount):
            return NotImplemented
        return self._q == other._q

    def __hash__(self):
        return hash(frozenset(self._q.items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{c or '_'}={q}" for c, q in sorted(self._q.items()))
        return f"MixedAmount({inner})"

    def format(self, styles: Mapping[str, CommodityStyle] | None = None, sep: str = ", ") -> str:
        if not self._q:
            return "0"
        styles = styles or {}
        return sep.join(format_amount(a, styles.get(a.commodity)) for a in self.amounts())

    def __str__(self) -> str:
        return self.format()


def sum_amounts(amounts: Iterable[Amount]) -> MixedAmount:
    return MixedAmount(amounts)


def split_amount(amount: Amount, parts: int, precision: int = 2) -> list[Amount]:
    """Split into parts that differ by at most one unit of the last place and sum exactly."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    unit = Decimal(1).scaleb(-precision)
    total_units = int(round_decimal(amount.quantity, precision) / unit)
    sign = -1 if total_units < 0 else 1
    base, extra = divmod(abs(total_units), parts)
    out = []
    for i in range(parts):
        units = base + (1 if i < extra else 0)
        out.append(Amount(sign * units * unit, amount.commodity))
    return out


def allocate(amount: Amount, weights: Sequence[Decimal | int], precision: int = 2) -> list[Amount]:
    """Share an amount by weights with the largest-remainder method; the shares sum exactly."""
    ws = [_to_decimal(w) for w in weights]
    if not ws or any(w < 0 for w in ws) or sum(ws) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    unit = Decimal(1).scaleb(-precision)
    total_units = int(round_decimal(amount.quantity, precision) / unit)
    sign = -1 if total_units < 0 else 1
    total_units = abs(total_units)
    wsum = sum(ws)
    exact = [total_units * w / wsum for w in ws]
    floors = [int(e) for e in exact]
    left = total_units - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Amount(sign * f * unit, amount.commodity) for f in floors]


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

ACCOUNT_SEP = ":"
ACCOUNT_TYPES = {
    "assets": "asset",
    "liabilities": "liability",
    "equity": "equity",
    "income": "income",
    "revenue": "income",
    "revenues": "income",
    "expenses": "expense",
    "expense": "expense",
}
# the sign a normal balance has: assets and expenses are debits (positive)
NORMAL_SIGN = {"asset": 1, "expense": 1, "liability": -1, "equity": -1, "income": -1}


def split_account(name: str) -> list[str]:
    return name.split(ACCOUNT_SEP)


def validate_account_name(name: str) -> str:
    """Return the name when it is a valid account name, else raise ParseError."""
    if not name or name != name.strip():
        raise ParseError(f"bad account name {name!r}")
    if "\t" in name or "  " in name:
        raise ParseError(f"account name {name!r} holds a tab or a double space")
    for part in split_account(name):
        if not part or part != part.strip():
            raise ParseError(f"account name {name!r} has an empty or padded component")
    return name


def account_depth(name: str) -> int:
    return len(split_account(name))


def account_parent(name: str) -> str | None:
    parts = split_account(name)
    if len(parts) == 1:
        return None
    return ACCOUNT_SEP.join(parts[:-1])


def account_leaf(name: str) -> str:
    return split_account(name)[-1]


def account_ancestors(name: str) -> list[str]:
    """Every proper ancestor, top level first: 'A:B:C' -> ['A', 'A:B']."""
    parts = split_account(name)
    return [ACCOUNT_SEP.join(parts[:i]) for i in range(1, len(parts))]


def account_lineage(name: str) -> list[str]:
    """The ancestors followed by the account itself."""
    return account_ancestors(name) + [name]


def is_subaccount(name: str, parent: str, strict: bool = False) -> bool:
    """True when name is parent or lies below it (only below it when strict)."""
    if name == parent:
        return not strict
    return name.startswith(parent + ACCOUNT_SEP)


def clip_account(name: str, depth: int) -> str:
    """Cut an account name to at most depth components."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    return ACCOUNT_SEP.join(split_account(name)[:depth])


def common_ancestor(names: Sequence[str]) -> str | None:
    if not names:
        return None
    split = [split_account(n) for n in names]
    common: list[str] = []
    for parts in zip(*split):
        if all(p == parts[0] for p in parts):
            common.append(parts[0])
        else:
            break
    return ACCOUNT_SEP.join(common) if common else None


def account_type(name: str) -> str | None:
    """'asset', 'liability', 'equity', 'income' or 'expense' from the top-level name, else None."""
    return ACCOUNT_TYPES.get(split_account(name)[0].lower())


def account_matches(name: str, pattern: str) -> bool:
    """Match an account against a query pattern.

    'Expenses:Food' matches that account and everything below it; a pattern holding '*'
    is a glob over whole names ('*:Food*'); a pattern in slashes is a case-insensitive regex.
    """
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        return re.search(pattern[1:-1], name, re.IGNORECASE) is not None
    if "*" in pattern:
        regex = "^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$"
        return re.match(regex, name, re.IGNORECASE) is not None
    return is_subaccount(name.lower(), pattern.lower())


class AliasMap:
    """Account aliases: 'chk = Assets:Bank:Checking' and regex rules '/^Exp/ = Expenses'."""

    def __init__(self):
        self._plain: dict[str, str] = {}
        self._regex: list[tuple[re.Pattern, str]] = []

    def add(self, alias: str, target: str) -> None:
        alias = alias.strip()
        target = target.strip()
        if len(alias) >= 2 and alias.startswith("/") and alias.endswith("/"):
            try:
                self._regex.append((re.compile(alias[1:-1]), target))
            except re.error as exc:
                raise ParseError(f"bad alias pattern {alias!r}: {exc}") from None
            return
        validate_account_name(alias)
        validate_account_name(target)
        self._plain[alias] = target

    def __len__(self) -> int:
        return len(self._plain) + len(self._regex)

    def resolve(self, name: str) -> str:
        """Apply the longest plain alias that is a prefix of the name, then every regex rule once."""
        best = None
        for alias in self._plain:
            if is_subaccount(name, alias) and (best is None or len(alias) > len(best)):
                best = alias
        if best is not None:
            name = self._plain[best] + name[len(best):]
        for pattern, repl in self._regex:
            name = pattern.sub(repl, name)
        return name


class AccountNode:
    """One account in a tree: its own amount and, after rollup, the total of its subtree."""

    def __init__(self, name: str, parent: "AccountNode | None" = None):
        self.name = name
        self.parent = parent
        self.children: dict[str, AccountNode] = {}
        self.own = MixedAmount()
        self.total = MixedAmount()
        self.postings = 0

    @property
    def leaf(self) -> str:
        return account_leaf(self.name) if self.name else ""

    @property
    def depth(self) -> int:
        return account_depth(self.name) if self.name else 0

    def child(self, leaf: str) -> "AccountNode":
        node = self.children.get(leaf)
        if node is None:
            full = f"{self.name}{ACCOUNT_SEP}{leaf}" if self.name else leaf
            node = AccountNode(full, self)
            self.children[leaf] = node
        return node

    def sorted_children(self) -> list["AccountNode"]:
        return [self.children[k] for k in sorted(self.children)]

    def __repr__(self) -> str:
        return f"AccountNode({self.name!r}, total={self.total!r})"


class AccountTree:
    """Accounts arranged by their ':' components, with amounts rolled up to every ancestor."""

    def __init__(self):
        self.root = AccountNode("")
        self._dirty = False

    def node(self, name: str, create: bool = True) -> AccountNode | None:
        node = self.root
        for part in split_account(name):
            if part in node.children:
                node = node.children[part]
            elif create:
                node = node.child(part)
            else:
                return None
        return node

    def add(self, name: str, amount: "Amount | MixedAmount | None" = None) -> AccountNode:
        node = self.node(name)
        if amount is not None:
            node.own.add(amount)
            node.postings += 1
        self._dirty = True
        return node

    def rollup(self) -> None:
        """Recompute every node's total as its own amount plus its children's totals."""

        def visit(node: AccountNode) -> MixedAmount:
            total = node.own.copy()
            for child in node.children.values():
                total.add(visit(child))
            node.total = total
            return total

        visit(self.root)
        self._dirty = False

    def _ensure(self) -> None:
        if self._dirty:
            self.rollup()

    def total(self, name: str | None = None) -> MixedAmount:
        self._ensure()
        if name is None:
            return self.root.total.copy()
        node = self.node(name, create=False)
        return node.total.copy() if node is not None else MixedAmount()

    def walk(self) -> Iterator[AccountNode]:
        """Every node but the root, depth first, children in name order."""
        self._ensure()

        def visit(node: AccountNode) -> Iterator[AccountNode]:
            for child in node.sorted_children():
                yield child
                yield from visit(child)

        yield from visit(self.root)

    def names(self) -> list[str]:
        return [n.name for n in self.walk()]

    def leaves(self) -> list[AccountNode]:
        return [n for n in self.walk() if not n.children]

    def clipped(self, depth: int) -> "AccountTree":
        """A new tree where accounts deeper than depth are merged into their ancestor at depth."""
        tree = AccountTree()
        for node in self.walk():
            if node.own.is_zero() and not node.postings:
                continue
            target = tree.add(clip_account(node.name, depth))
            target.own.add(node.own)
            target.postings += node.postings
        tree.rollup()
        return tree

    def pruned(self) -> "AccountTree":
        """A new tree without subtrees whose total is zero."""
        self._ensure()
        tree = AccountTree()
        for node in self.walk():
            if node.total.is_zero():
                continue
            target = tree.add(node.name)
            target.own.add(node.own)
            target.postings += node.postings
        tree.rollup()
        return tree


# ---------------------------------------------------------------------------
# postings and transactions
# ---------------------------------------------------------------------------

STATUS_CLEARED = "*"
STATUS_PENDING = "!"
STATUS_NONE = ""

_TAG_LIST_RE = re.compile(r"(?<!\S):((?:[\w-]+:)+)(?!\S)")
_TAG_PAIR_RE = re.compile(r"(?:^|,|\s)([\w-]+):\s+([^,]*)")


def parse_tags(comment: str) -> dict[str, str]:
    """Tags in a comment: ':food:travel:' gives bare tags, 'trip: Paris' a tag with a value."""
    tags: dict[str, str] = {}
    if not comment:
        return tags
    for m in _TAG_LIST_RE.finditer(comment):
        for name in m.group(1).strip(":").split(":"):
            if name:
                tags.setdefault(name, "")
    rest = _TAG_LIST_RE.sub(" ", comment)
    for m in _TAG_PAIR_RE.finditer(rest):
        tags[m.group(1)] = m.group(2).strip()
    return tags


@dataclass
class Posting:
    account: str
    amount: Amount | None = None
    cost: Amount | None = None  # total cost of the amount, in another commodity
    assertion: Amount | None = None
    comment: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    status: str = STATUS_NONE
    virtual: bool = False
    inferred: bool = False
    line: int | None = None

    def weight(self) -> Amount:
        """What the posting contributes to the transaction's balance."""
        if self.amount is None:
            raise BalanceError(f"posting to {self.account} has no amount yet")
        if self.cost is not None:
            q = abs(self.cost.quantity)
            return Amount(-q if self.amount.quantity < 0 else q, self.cost.commodity)
        return self.amount

    def unit_cost(self) -> Amount | None:
        if self.cost is None or self.amount is None or self.amount.quantity == 0:
            return None
        return Amount(abs(self.cost.quantity) / abs(self.amount.quantity), self.cost.commodity)


@dataclass
class Transaction:
    date: date
    payee: str
    postings: list[Posting] = field(default_factory=list)
    status: str = STATUS_NONE
    code: str = ""
    note: str = ""
    comment: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    line: int | None = None

    def accounts(self) -> list[str]:
        return [p.account for p in self.postings]

    def posting_tags(self, posting: Posting) -> dict[str, str]:
        """A posting's tags, with the transaction's tags underneath."""
        merged = dict(self.tags)
        merged.update(posting.tags)
        return merged

    def has_tag(self, name: str, value: str | None = None) -> bool:
        if name in self.tags and (value is None or self.tags[name] == value):
            return True
        return any(name in p.tags and (value is None or p.tags[name] == value) for p in self.postings)

    def real_postings(self) -> list[Posting]:
        return [p for p in self.postings if not p.virtual]

    def imbalance(self) -> MixedAmount:
        total = MixedAmount()
        for p in self.real_postings():
            if p.amount is not None:
                total.add(p.weight())
        return total

    def is_balanced(self, tolerance: Mapping[str, int] | None = None) -> bool:
        return _within_tolerance(self.imbalance(), tolerance or self._precisions())

    def _precisions(self) -> dict[str, int]:
        prec: dict[str, int] = {}
        for p in self.postings:
            for a in (p.amount, p.cost):
                if a is not None:
                    prec[a.commodity] = max(prec.get(a.commodity, 0), _decimal_places(a.quantity))
        return prec

    def balance(self) -> "Transaction":
        """Fill in the one posting without an amount, then check that the rest balances."""
        missing = [p for p in self.real_postings() if p.amount is None]
        if len(missing) > 1:
            raise BalanceError(f"{self.date} {self.payee}: more than one posting without an amount")
        if missing:
            rest = self.imbalance()
            single = rest.single()
            if rest.is_zero():
                commodity = next((p.amount.commodity for p in self.postings if p.amount is not None), "")
                missing[0].amount = Amount(Decimal(0), commodity)
            elif single is None:
                raise BalanceError(
                    f"{self.date} {self.payee}: cannot infer an amount that balances {rest.format()}"
                )
            else:
                missing[0].amount = -single
            missing[0].inferred = True
        for p in self.postings:
            if p.virtual and p.amount is None:
                raise BalanceError(f"{self.date} {self.payee}: virtual posting to {p.account} needs an amount")
        if not self.is_balanced():
            raise BalanceError(f"{self.date} {self.payee}: does not balance, off by {self.imbalance().format()}")
        return self


def _within_tolerance(total: MixedAmount, precisions: Mapping[str, int]) -> bool:
    for a in total.amounts():
        places = precisions.get(a.commodity, 2)
        if abs(a.quantity) >= Decimal(1).scaleb(-places) / 2:
            return False
    return True


# ---------------------------------------------------------------------------
# prices
# ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Price:
    date: date
    commodity: str
    price: Amount = field(compare=False)


class PriceDB:
    """Market prices: the value of one unit of a commodity in another, by date."""

    def __init__(self, prices: Iterable[Price] = ()):
        self._by_pair: dict[tuple[str, str], list[tuple[date, Decimal]]] = {}
        for p in prices:
            self.add(p)

    def add(self, price: Price) -> None:
        if price.price.quantity <= 0:
            raise PriceError(f"price of {price.commodity} on {price.date} must be positive")
        key = (price.commodity, price.price.commodity)
        series = self._by_pair.setdefault(key, [])
        series.append((price.date, price.price.quantity))
        series.sort(key=lambda item: item[0])

    def __len__(self) -> int:
        return sum(len(s) for s in self._by_pair.values())

    def commodities(self) -> set[str]:
        out = set()
        for a, b in self._by_pair:
            out.update((a, b))
        return out

    @staticmethod
    def _latest(series: list[tuple[date, Decimal]], on: date | None) -> Decimal | None:
        found = None
        for d, q in series:
            if on is not None and d > on:
                break
            found = q
        return found

    def rate(self, commodity: str, target: str, on: date | None = None) -> Decimal:
        """Units of target one unit of commodity is worth on a date (latest price on or before it)."""
        if commodity == target:
            return Decimal(1)
        direct = self._by_pair.get((commodity, target))
        if direct:
            q = self._latest(direct, on)
            if q is not None:
                return q
        inverse = self._by_pair.get((target, commodity))
        if inverse:
            q = self._latest(inverse, on)
            if q is not None:
                return Decimal(1) / q
        raise PriceError(f"no price for {commodity} in {target}" + (f" on or before {on}" if on else ""))

    def convert(self, amount: Amount, target: str, on: date | None = None) -> Amount:
        return Amount(amount.quantity * self.rate(amount.commodity, target, on), target)

    def value(self, total: MixedAmount, target: str, on: date | None = None) -> MixedAmount:
        """Convert what can be converted; commodities without a price stay as they are."""
        out = MixedAmount()
        for a in total.amounts():
            try:
                out.add(self.convert(a, target, on))
            except PriceError:
                out.add(a)
        return out


# ---------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------


@dataclass
class Query:
    """Which postings a report looks at.  Every given criterion must hold."""

    accounts: Sequence[str] = ()
    not_accounts: Sequence[str] = ()
    payee: str | None = None
    period: DateRange = field(default_factory=DateRange)
    status: str | None = None
    tag: str | None = None
    tag_value: str | None = None
    real_only: bool = False
    commodity: str | None = None

    def matches_transaction(self, txn: Transaction) -> bool:
        if txn.date not in self.period:
            return False
        if self.payee is not None and re.search(self.payee, txn.payee, re.IGNORECASE) is None:
            return False
        return True

    def matches_posting(self, txn: Transaction, posting: Posting) -> bool:
        if self.accounts and not any(account_matches(posting.account, p) for p in self.accounts):
            return False
        if any(account_matches(posting.account, p) for p in self.not_accounts):
            return False
        if self.status is not None:
            status = posting.status or txn.status
            if status != self.status:
                return False
        if self.tag is not None:
            tags = txn.posting_tags(posting)
            if self.tag not in tags:
                return False
            if self.tag_value is not None and tags[self.tag] != self.tag_value:
                return False
        if self.real_only and posting.virtual:
            return False
        if self.commodity is not None and (posting.amount is None or posting.amount.commodity != self.commodity):
            return False
        return True


def parse_query(args: Sequence[str], today: date | None = None) -> Query:
    """Build a query from words: 'Expenses', 'not:Expenses:Rent', 'payee:mart', 'date:2024-01',
    'status:*', 'tag:trip=Paris', 'cur:EUR', 'real:'."""
    accounts: list[str] = []
    not_accounts: list[str] = []
    kwargs: dict = {}
    for arg in args:
        key, sep, value = arg.partition(":")
        if sep and key in ("not", "payee", "date", "status", "tag", "cur", "real"):
            if key == "not":
                not_accounts.append(value)
            elif key == "payee":
                kwargs["payee"] = value
            elif key == "date":
                kwargs["period"] = parse_period(value, today)
            elif key == "status":
                kwargs["status"] = value if value in (STATUS_CLEARED, STATUS_PENDING) else STATUS_NONE
            elif key == "tag":
                name, eq, tv = value.partition("=")
                kwargs["tag"] = name
                if eq:
                    kwargs["tag_value"] = tv
            elif key == "cur":
                kwargs["commodity"] = value
            elif key == "real":
                kwargs["real_only"] = True
        else:
            accounts.append(arg)
    return Query(accounts=tuple(accounts), not_accounts=tuple(not_accounts), **kwargs)


# ---------------------------------------------------------------------------
# journal
# ---------------------------------------------------------------------------


@dataclass
class PeriodicTransaction:
    """A '~ monthly from 2024-01' rule: postings expected once every period (used for budgets)."""

    interval: str
    period: DateRange
    payee: str
    postings: list[Posting] = field(default_factory=list)
    line: int | None = None


@dataclass
class AssertionFailure:
    date: date
    account: str
    expected: Amount
    actual: Amount
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line is not None else ""
        return f"{self.date} {self.account}: expected {self.expected}, got {self.actual}{where}"


class Journal:
    """Transactions, prices and declarations read from one or more journal texts."""

    def __init__(self):
        self.transactions: list[Transaction] = []
        self.periodic: list[PeriodicTransaction] = []
        self.prices = PriceDB()
        self.declared_accounts: dict[str, str] = {}
        self.styles: dict[str, CommodityStyle] = {}
        self._fixed_styles: set[str] = set()
        self.aliases = AliasMap()

    # -- building ---------------------------------------------------------

    def note_style(self, commodity: str, style: CommodityStyle) -> None:
        """Remember how a commodity is written: the first style seen, with the largest precision."""
        if commodity in self._fixed_styles:
            return
        known = self.styles.get(commodity)
        if known is None:
            self.styles[commodity] = style
        elif style.precision > known.precision:
            self.styles[commodity] = known.with_precision(style.precision)

    def fix_style(self, commodity: str, style: CommodityStyle) -> None:
        self.styles[commodity] = style
        self._fixed_styles.add(commodity)

    def add(self, txn: Transaction) -> Transaction:
        txn.balance()
        self.transactions.append(txn)
        return txn

    def sorted_transactions(self) -> list[Transaction]:
        """Transactions in date order; ties keep the order they were added in."""
        return sorted(self.transactions, key=lambda t: t.date)

    def precisions(self) -> dict[str, int]:
        return {c: s.precision for c, s in self.styles.items()}

    # -- looking ----------------------------------------------------------

    def accounts(self) -> list[str]:
        names = set(self.declared_accounts)
        for t in self.transactions:
            names.update(t.accounts())
        return sorted(names)

    def payees(self) -> list[str]:
        return sorted({t.payee for t in self.transactions})

    def commodities(self) -> list[str]:
        seen = set()
        for t in self.transactions:
            for p in t.postings:
                if p.amount is not None:
                    seen.add(p.amount.commodity)
        return sorted(seen)

    def date_span(self) -> DateRange:
        """From the first transaction's date up to the day after the last one."""
        if not self.transactions:
            return DateRange()
        dates = [t.date for t in self.transactions]
        return DateRange(min(dates), max(dates) + timedelta(days=1))

    def postings(self, query: Query | None = None) -> Iterator[tuple[Transaction, Posting]]:
        query = query or Query()
        for txn in self.sorted_transactions():
            if not query.matches_transaction(txn):
                continue
            for posting in txn.postings:
                if query.matches_posting(txn, posting):
                    yield txn, posting

    def balance_tree(self, query: Query | None = None, as_of: date | None = None) -> AccountTree:
        """An account tree of the matching postings; with as_of, only those dated on or before it."""
        tree = AccountTree()
        for txn, posting in self.postings(query):
            if as_of is not None and txn.date > as_of:
                continue
            tree.add(posting.account, posting.amount)
        tree.rollup()
        return tree

    def balance(self, account: str, as_of: date | None = None, query: Query | None = None) -> MixedAmount:
        """The rolled-up balance of an account and everything below it."""
        return self.balance_tree(query, as_of).total(account)

    def check_assertions(self) -> list[AssertionFailure]:
        """Check every '= AMOUNT' balance assertion against the running balance of its exact account."""
        running: dict[str, MixedAmount] = {}
        failures: list[AssertionFailure] = []
        for txn in self.sorted_transactions():
            for p in txn.postings:
                bal = running.setdefault(p.account, MixedAmount())
                if p.amount is not None:
                    bal.add(p.amount)
                if p.assertion is not None:
                    actual = Amount(bal.quantity(p.assertion.commodity), p.assertion.commodity)
                    places = max(_decimal_places(p.assertion.quantity), self.precisions().get(p.assertion.commodity, 0))
                    if round_decimal(actual.quantity, places) != round_decimal(p.assertion.quantity, places):
                        failures.append(AssertionFailure(txn.date, p.account, p.assertion, actual, p.line))
        return failures

    def undeclared_accounts(self) -> list[str]:
        """Accounts used in postings that no 'account' directive declares (nor an ancestor of)."""
        out = set()
        for t in self.transactions:
            for p in t.postings:
                if p.account in self.declared_accounts:
                    continue
                if any(is_subaccount(p.account, d) for d in self.declared_accounts):
                    continue
                out.add(p.account)
        return sorted(out)

    def merge(self, other: "Journal") -> "Journal":
        """Add another journal's contents to this one and return self."""
        self.transactions.extend(other.transactions)
        self.periodic.extend(other.periodic)
        for series_key, series in other.prices._by_pair.items():
            for d, q in series:
                self.prices.add(Price(d, series_key[0], Amount(q, series_key[1])))
        for name, comment in other.declared_accounts.items():
            self.declared_accounts.setdefault(name, comment)
        for commodity, style in other.styles.items():
            self.note_style(commodity, style)
        return self


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------

_HEADER_RE = re.compile(r"^(?P<date>\d[\d/.\-]*\d)(?:\s+(?P<status>[*!]))?(?:\s+\((?P<code>[^)]*)\))?(?P<rest>.*)$")
_PERIODIC_RE = re.compile(
    r"^~\s+(?P<interval>daily|weekly|monthly|quarterly|yearly)"
    r"(?:\s+from\s+(?P<start>\S+))?(?:\s+to\s+(?P<end>\S+))?(?:\s{2,}(?P<payee>.*))?\s*$",
    re.IGNORECASE,
)
_POSTING_SPLIT_RE = re.compile(r"\s{2,}|\t")


def _split_comment(text: str) -> tuple[str, str]:
    """Split 'body ; comment' at the first ';'."""
    idx = text.find(";")
    if idx < 0:
        return text.rstrip(), ""
    return text[:idx].rstrip(), text[idx + 1:].strip()


class _Parser:
    def __init__(self, journal: Journal, source: str | None, strict: bool):
        self.j = journal
        self.source = source
        self.strict = strict
        self.default_year: int | None = None
        self.txn: Transaction | PeriodicTransaction | None = None
        self.in_directive = False
        self.lineno = 0

    def error(self, message: str) -> ParseError:
        return ParseError(message, self.lineno, self.source)

    def finish(self) -> None:
        txn = self.txn
        self.txn = None
        if txn is None:
            return
        if isinstance(txn, PeriodicTransaction):
            self.j.periodic.append(txn)
            return
        if not txn.postings:
            raise ParseError(f"transaction '{txn.payee}' has no postings", txn.line, self.source)
        try:
            self.j.add(txn)
        except BalanceError as exc:
            raise ParseError(str(exc), txn.line, self.source) from None

    def feed(self, raw: str) -> None:
        self.lineno += 1
        line = raw.rstrip("\r\n")
        if not line.strip():
            self.finish()
            self.in_directive = False
            return
        if line[0] in " \t":
            self.indented(line.strip())
            return
        self.finish()
        self.in_directive = False
        if line[0] in ";#%|*":
            return
        if line[0].isdigit():
            self.header(line)
        elif line.startswith("~"):
            self.periodic_header(line)
        else:
            self.directive(line)

    # -- top level --------------------------------------------------------

    def header(self, line: str) -> None:
        m = _HEADER_RE.match(line)
        if not m:
            raise self.error(f"bad transaction header {line!r}")
        try:
            d = parse_date(m.group("date"), self.default_year)
        except ParseError as exc:
            raise self.error(exc.message) from None
        rest, comment = _split_comment(m.group("rest"))
        payee, _, note = rest.partition("|")
        self.txn = Transaction(
            date=d,
            payee=payee.strip(),
            status=m.group("status") or STATUS_NONE,
            code=(m.group("code") or "").strip(),
            note=note.strip(),
            comment=comment,
            tags=parse_tags(comment),
            line=self.lineno,
        )

    def periodic_header(self, line: str) -> None:
        body, _ = _split_comment(line)
        m = _PERIODIC_RE.match(body)
        if not m:
            raise self.error(f"bad periodic transaction header {line!r}")
        try:
            start = parse_period(m.group("start")).start if m.group("start") else None
            end = parse_period(m.group("end")).start if m.group("end") else None
        except ParseError as exc:
            raise self.error(exc.message) from None
        self.txn = PeriodicTransaction(
            interval=m.group("interval").lower(),
            period=DateRange(start, end),
            payee=(m.group("payee") or "").strip(),
            line=self.lineno,
        )

    def directive(self, line: str) -> None:
        body, comment = _split_comment(line)
        word, _, arg = body.partition(" ")
        arg = arg.strip()
        if word == "account":
            name = self.j.aliases.resolve(arg)
            try:
                validate_account_name(name)
            except ParseError as exc:
                raise self.error(exc.message) from None
            self.j.declared_accounts[name] = comment
            self.in_directive = True
        elif word == "commodity":
            self.commodity_directive(arg)
            self.in_directive = True
        elif word == "alias":
            alias, eq, target = arg.partition("=")
            if not eq:
                raise self.error(f"alias needs '=': {line!r}")
            try:
                self.j.aliases.add(alias, target)
            except ParseError as exc:
                raise self.error(exc.message) from None
        elif word == "end" and arg == "aliases":
            self.j.aliases = AliasMap()
        elif word == "P":
            self.price_directive(arg)
        elif word in ("year", "Y"):
            if not re.fullmatch(r"\d{4}", arg):
                raise self.error(f"bad year {arg!r}")
            self.default_year = int(arg)
        else:
            raise self.error(f"unknown directive {word!r}")

    def commodity_directive(self, arg: str) -> None:
        parts = arg.split()
        if not parts:
            raise self.error("commodity directive needs a commodity")
        if len(parts) >= 3 and parts[-2] == "precision":
            symbol = " ".join(parts[:-2])
            if not parts[-1].isdigit():
                raise self.error(f"bad precision {parts[-1]!r}")
            self.j.fix_style(symbol, default_style(symbol, int(parts[-1])))
            return
        if len(parts) == 1 and not re.search(r"\d", parts[0]):
            symbol = parts[0]
            self.j.styles.setdefault(symbol, default_style(symbol))
            return
        try:
            amount, style = parse_amount_styled(arg)
        except ParseError as exc:
            raise self.error(exc.message) from None
        self.j.fix_style(amount.commodity, style)

    def price_directive(self, arg: str) -> None:
        parts = arg.split(None, 2)
        if len(parts) != 3:
            raise self.error(f"price directive needs a date, a commodity and a price: {arg!r}")
        try:
            d = parse_date(parts[0], self.default_year)
            amount, style = parse_amount_styled(parts[2])
        except ParseError as exc:
            raise self.error(exc.message) from None
        try:
            self.j.prices.add(Price(d, parts[1], amount))
        except PriceError as exc:
            raise self.error(str(exc)) from None
        self.j.note_style(amount.commodity, style)

    # -- indented ---------------------------------------------------------

    def indented(self, text: str) -> None:
        if self.txn is None:
            if self.in_directive:
                return
            raise self.error("indented line outside a transaction")
        if text.startswith(";") or text.startswith("#"):
            comment = text[1:].strip()
            target = self.txn.postings[-1] if self.txn.postings else self.txn
            if isinstance(target, PeriodicTransaction):
                return
            target.comment = f"{target.comment}\n{comment}" if target.comment else comment
            target.tags.update(parse_tags(comment))
            return
        self.txn.postings.append(self.posting(text))

    def posting(self, text: str) -> Posting:
        status = STATUS_NONE
        if text[:1] in (STATUS_CLEARED, STATUS_PENDING) and text[1:2] == " ":
            status, text = text[0], text[2:].lstrip()
        body, comment = _split_comment(text)
        pieces = _POSTING_SPLIT_RE.split(body, maxsplit=1)
        account = pieces[0].strip()
        amount_text = pieces[1].strip() if len(pieces) > 1 else ""
        virtual = False
        if account.startswith("(") and account.endswith(")"):
            virtual = True
            account = account[1:-1].strip()
        account = self.j.aliases.resolve(account)
        try:
            validate_account_name(account)
        except ParseError as exc:
            raise self.error(exc.message) from None
        if self.strict and self.j.declared_accounts and account not in self.j.declared_accounts:
            raise self.error(f"undeclared account {account!r}")
        posting = Posting(account, status=status, virtual=virtual, comment=comment, tags=parse_tags(comment),
                          line=self.lineno)
        if amount_text:
            self.posting_amounts(posting, amount_text)
        return posting

    def _amount(self, text: str) -> Amount:
        try:
            amount, style = parse_amount_styled(text)
        except ParseError as exc:
            raise self.error(exc.message) from None
        if amount.commodity:
            self.j.note_style(amount.commodity, style)
        return amount

    def posting_amounts(self, posting: Posting, text: str) -> None:
        main, eq, assertion = text.partition("=")
        if eq:
            if not assertion.strip():
                raise self.error("balance assertion without an amount")
            posting.assertion = self._amount(assertion)
        main = main.strip()
        if not main:
            return
        if "@@" in main:
            amount_text, _, cost_text = main.partition("@@")
            posting.amount = self._amount(amount_text)
            posting.cost = abs(self._amount(cost_text))
        elif "@" in main:
            amount_text, _, cost_text = main.partition("@")
            posting.amount = self._amount(amount_text)
            unit = abs(self._amount(cost_text))
            posting.cost = Amount(unit.quantity * abs(posting.amount.quantity), unit.commodity)
        else:
            posting.amount = self._amount(main)
        if posting.cost is not None and posting.cost.commodity == posting.amount.commodity:
            raise self.error("a cost must be in another commodity than the amount")


def parse_journal(text: str, source: str | None = None, strict: bool = False,
                  journal: Journal | None = None) -> Journal:
    """Read journal text.  With strict, postings must use declared accounts (once any are declared)."""
    journal = journal if journal is not None else Journal()
    parser = _Parser(journal, source, strict)
    for raw in text.splitlines():
        parser.feed(raw)
    parser.finish()
    return journal


def parse_journal_file(path, strict: bool = False) -> Journal:
    with open(path, encoding="utf-8") as fh:
        return parse_journal(fh.read(), source=str(path), strict=strict)


# ---------------------------------------------------------------------------
# reports
# ---------------------------------------------------------------------------


@dataclass
class BalanceRow:
    account: str
    display: str
    amount: MixedAmount
    depth: int


@dataclass
class BalanceReport:
    rows: list[BalanceRow]
    total: MixedAmount

    def amount(self, account: str) -> MixedAmount:
        for row in self.rows:
            if row.account == account:
                return row.amount
        raise KeyError(account)

    def accounts(self) -> list[str]:
        return [r.account for r in self.rows]


def balance_report(journal: Journal, query: Query | None = None, depth: int | None = None, flat: bool = False,
                   empty: bool = False, as_of: date | None = None) -> BalanceReport:
    """Balances by account.

    In tree mode each row shows an account's rolled-up total, indented by depth, and a parent
    with a single child and no postings of its own is folded into the child ('Assets:Bank').
    In flat mode each row shows only the account's own postings, by full name.  depth clips
    deeper accounts into their ancestors.  Zero rows are left out unless empty is set.
    """
    tree = journal.balance_tree(query, as_of)
    if depth is not None:
        tree = tree.clipped(depth)
    rows: list[BalanceRow] = []
    if flat:
        for node in tree.walk():
            if node.postings == 0 and not (empty and not node.children):
                continue
            if node.own.is_zero() and not empty:
                continue
            rows.append(BalanceRow(node.name, node.name, node.own.copy(), 0))
        total = MixedAmount()
        for r in rows:
            total.add(r.amount)
        return BalanceReport(rows, total)

    def visit(node: AccountNode, prefix: str, indent: int) -> None:
        for child in node.sorted_children():
            if child.total.is_zero() and not empty:
                continue
            label = f"{prefix}{ACCOUNT_SEP}{child.leaf}" if prefix else child.leaf
            if len(child.children) == 1 and child.postings == 0:
                visit(child, label, indent)
                continue
            rows.append(BalanceRow(child.name, label, child.total.copy(), indent))
            visit(child, "", indent + 1)

    visit(tree.root, "", 0)
    return BalanceReport(rows, tree.total())


def render_balance(report: BalanceReport, styles: Mapping[str, CommodityStyle] | None = None,
                   indent: str = "  ") -> str:
    """Right-aligned amounts, one line per commodity, then a rule and the total."""
    lines: list[tuple[str, str]] = []
    for row in report.rows:
        amounts = row.amount.amounts() or [Amount(Decimal(0))]
        for i, a in enumerate(amounts):
            text = format_amount(a, (styles or {}).get(a.commodity))
            label = indent * row.depth + row.display if i == len(amounts) - 1 else ""
            lines.append((text, label))
    total_amounts = report.total.amounts() or [Amount(Decimal(0))]
    width = max([len(t) for t, _ in lines] + [len(format_amount(a, (styles or {}).get(a.commodity)))
                                              for a in total_amounts] + [1])
    out = [f"{t:>{width}}  {label}".rstrip() for t, label in lines]
    out.append("-" * width)
    for a in total_amounts:
        out.append(f"{format_amount(a, (styles or {}).get(a.commodity)):>{width}}")
    return "\n".join(out)


@dataclass
class RegisterRow:
    date: date
    payee: str
    account: str
    amount: Amount
    running: MixedAmount


def register(journal: Journal, query: Query | None = None, start_balance: MixedAmount | None = None
             ) -> list[RegisterRow]:
    """Matching postings in date order with a running total."""
    running = start_balance.copy() if start_balance is not None else MixedAmount()
    rows = []
    for txn, posting in journal.postings(query):
        running.add(posting.amount)
        rows.append(RegisterRow(txn.date, txn.payee, posting.account, posting.amount, running.copy()))
    return rows


def render_register(rows: Sequence[RegisterRow], width: int = 80,
                    styles: Mapping[str, CommodityStyle] | None = None) -> str:
    styles = styles or {}
    amount_w = 12
    fixed = 10 + 1 + 1 + amount_w + 1 + amount_w
    rest = max(width - fixed, 10)
    payee_w = rest * 2 // 5
    account_w = rest - payee_w
    out = []
    for r in rows:
        payee = _truncate(r.payee, payee_w)
        account = _truncate(r.account, account_w, keep_end=True)
        amount = format_amount(r.amount, styles.get(r.amount.commodity))
        running = r.running.format(styles)
        out.append(f"{format_date(r.date)} {payee:<{payee_w}} {account:<{account_w}}"
                   f"{amount:>{amount_w}} {running:>{amount_w}}")
    return "\n".join(out)


def _truncate(text: str, width: int, keep_end: bool = False) -> str:
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width <= 2:
        return text[:width]
    if keep_end:
        return ".." + text[-(width - 2):]
    return text[: width - 2] + ".."


@dataclass
class PeriodicReport:
    interval: str
    periods: list[DateRange]
    rows: dict[str, list[MixedAmount]]
    cumulative: bool = False

    def labels(self) -> list[str]:
        return [period_label(p.start, self.interval) for p in self.periods]

    def row(self, account: str) -> list[MixedAmount]:
        return self.rows.get(account, [MixedAmount() for _ in self.periods])

    def column_totals(self) -> list[MixedAmount]:
        totals = [MixedAmount() for _ in self.periods]
        for values in self.rows.values():
            for i, v in enumerate(values):
                totals[i].add(v)
        return totals

    def row_total(self, account: str) -> MixedAmount:
        values = self.row(account)
        if self.cumulative:
            return values[-1].copy() if values else MixedAmount()
        total = MixedAmount()
        for v in values:
            total.add(v)
        return total

    def row_average(self, account: str, precision: int = 2) -> MixedAmount:
        if not self.periods:
            return MixedAmount()
        total = self.row_total(account)
        return MixedAmount({a.commodity: round_decimal(a.quantity / len(self.periods), precision)
                            for a in total.amounts()})


def periodic_report(journal: Journal, interval: str, query: Query | None = None, period: DateRange | None = None,
                    depth: int | None = None, cumulative: bool = False) -> PeriodicReport:
    """Per-account changes in each period (or running balances at each period's end when cumulative)."""
    span = period if period is not None and period.is_bounded else None
    if span is None:
        data_span = journal.date_span()
        if not data_span.is_bounded:
            return PeriodicReport(interval, [], {}, cumulative)
        start = period_start(data_span.start, interval)
        end = data_span.end
        if period is not None:
            start = period.start or start
            end = period.end or end
        end_start = period_start(end - timedelta(days=1), interval)
        span = DateRange(start, next_period_start(end_start, interval))
    periods = span.periods(interval)
    rows: dict[str, list[MixedAmount]] = {}
    for txn, posting in journal.postings(query):
        if txn.date not in span:
            if cumulative and txn.date < span.start:
                index = -1
            else:
                continue
        else:
            index = next(i for i, p in enumerate(periods) if txn.date in p)
        name = clip_account(posting.account, depth) if depth else posting.account
        values = rows.setdefault(name, [MixedAmount() for _ in periods])
        if index < 0:
            values[0].add(posting.amount)
        else:
            values[index].add(posting.amount)
    if cumulative:
        for values in rows.values():
            for i in range(1, len(values)):
                values[i].add(values[i - 1])
    return PeriodicReport(interval, periods, dict(sorted(rows.items())), cumulative)


def render_periodic(report: PeriodicReport, styles: Mapping[str, CommodityStyle] | None = None,
                    totals: bool = True) -> str:
    headers = ["Account"] + report.labels() + (["Total"] if totals else [])
    body = []
    for account, values in report.rows.items():
        cells = [account] + [v.format(styles) if not v.is_zero() else "" for v in values]
        if totals:
            cells.append(report.row_total(account).format(styles))
        body.append(cells)
    if totals:
        col = report.column_totals()
        foot = ["Total"] + [v.format(styles) if not v.is_zero() else "" for v in col]
        grand = MixedAmount()
        if report.cumulative:
            grand = col[-1].copy() if col else MixedAmount()
        else:
            for v in col:
                grand.add(v)
        foot.append(grand.format(styles))
        body.append(foot)
    return render_table(headers, body, align="l" + "r" * (len(headers) - 1))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A plain text table; align holds one 'l' or 'r' per column."""
    ncols = len(headers)
    for r in rows:
        if len(r) != ncols:
            raise ValueError(f"row has {len(r)} cells, expected {ncols}")
    align = align or "l" * ncols
    if len(align) != ncols:
        raise ValueError("align must give one letter per column")
    widths = [len(h) for h in headers]
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))

    def fmt(cells: Sequence[str]) -> str:
        parts = []
        for i, cell in enumerate(cells):
            parts.append(f"{cell:>{widths[i]}}" if align[i] == "r" else f"{cell:<{widths[i]}}")
        return " | ".join(parts).rstrip()

    out = [fmt(headers), "-+-".join("-" * w for w in widths)]
    out.extend(fmt(r) for r in rows)
    return "\n".join(out)


@dataclass
class Statement:
    sections: dict[str, BalanceReport]
    net: MixedAmount


def income_statement(journal: Journal, period: DateRange | None = None, depth: int | None = None) -> Statement:
    """Income and expenses over a period; net is income minus expenses, as a positive profit."""
    q_income = Query(accounts=tuple(a for a in _top_levels(journal, "income")) or ("Income",),
                     period=period or DateRange())
    q_exp = Query(accounts=tuple(a for a in _top_levels(journal, "expense")) or ("Expenses",),
                  period=period or DateRange())
    income = balance_report(journal, q_income, depth=depth)
    expenses = balance_report(journal, q_exp, depth=depth)
    net = -(income.total + expenses.total)
    return Statement({"income": income, "expenses": expenses}, net)


def balance_sheet(journal: Journal, as_of: date | None = None, depth: int | None = None) -> Statement:
    """Assets and liabilities on a date; net is net worth (assets plus the negative liabilities)."""
    q_assets = Query(accounts=tuple(_top_levels(journal, "asset")) or ("Assets",))
    q_liab = Query(accounts=tuple(_top_levels(journal, "liability")) or ("Liabilities",))
    assets = balance_report(journal, q_assets, depth=depth, as_of=as_of)
    liabilities = balance_report(journal, q_liab, depth=depth, as_of=as_of)
    return Statement({"assets": assets, "liabilities": liabilities}, assets.total + liabilities.total)


def _top_levels(journal: Journal, kind: str) -> list[str]:
    return sorted({split_account(a)[0] for a in journal.accounts() if account_type(a) == kind})


def net_worth_series(journal: Journal, interval: str, period: DateRange | None = None,
                     target: str | None = None) -> list[tuple[date, MixedAmount]]:
    """Net worth at the end of each period (the last day of it), optionally valued in target."""
    q = Query(accounts=tuple(_top_levels(journal, "asset") + _top_levels(journal, "liability"))
              or ("Assets", "Liabilities"))
    span = period if period is not None and period.is_bounded else journal.date_span()
    if not span.is_bounded:
        return []
    last_start = period_start(span.end - timedelta(days=1), interval)
    whole = DateRange(period_start(span.start, interval), next_period_start(last_start, interval))
    out = []
    for p in whole.periods(interval):
        last_day = p.end - timedelta(days=1)
        total = journal.balance_tree(q, as_of=last_day).total()
        if target is not None:
            total = journal.prices.value(total, target, last_day)
        out.append((last_day, total))
    return out


@dataclass
class JournalStats:
    transactions: int
    postings: int
    accounts: int
    payees: int
    commodities: list[str]
    span: DateRange
    per_day: Decimal


def journal_stats(journal: Journal) -> JournalStats:
    span = journal.date_span()
    n = len(journal.transactions)
    days = span.days() if span.is_bounded else 0
    per_day = round_decimal(Decimal(n) / days, 2) if days else Decimal(0)
    return JournalStats(
        transactions=n,
        postings=sum(len(t.postings) for t in journal.transactions),
        accounts=len({a for t in journal.transactions for a in t.accounts()}),
        payees=len(journal.payees()),
        commodities=journal.commodities(),
        span=span,
        per_day=per_day,
    )


def top_payees(journal: Journal, account: str = "Expenses", limit: int = 5) -> list[tuple[str, MixedAmount]]:
    """Payees by what they took from (or gave to) an account subtree, largest single-commodity first."""
    totals: dict[str, MixedAmount] = {}
    for txn, posting in journal.postings(Query(accounts=(account,))):
        totals.setdefault(txn.payee, MixedAmount()).add(posting.amount)

    def key(item: tuple[str, MixedAmount]):
        amounts = item[1].amounts()
        biggest = max((abs(a.quantity) for a in amounts), default=Decimal(0))
        return (-biggest, item[0])

    return sorted(totals.items(), key=key)[:limit]


# ---------------------------------------------------------------------------
# budgets
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetRule:
    """Spend (or earn) about amount on an account subtree every interval."""

    account: str
    amount: Amount
    interval: str = "monthly"
    period: DateRange = field(default_factory=DateRange)

    def __post_init__(self):
        if self.interval not in INTERVALS:
            raise BudgetError(f"unknown budget interval {self.interval!r}")


@dataclass
class BudgetLine:
    account: str
    period: DateRange
    budget: Amount
    actual: Amount

    @property
    def remaining(self) -> Amount:
        return self.budget - self.actual

    @property
    def over(self) -> bool:
        """True when the actual has gone past the budget in the budget's own direction."""
        if self.budget.quantity >= 0:
            return self.actual.quantity > self.budget.quantity
        return self.actual.quantity < self.budget.quantity

    def used_percent(self) -> Decimal | None:
        if self.budget.quantity == 0:
            return None
        return round_decimal(self.actual.quantity * 100 / self.budget.quantity, 0)


class Budget:
    def __init__(self, rules: Iterable[BudgetRule] = ()):
        self.rules: list[BudgetRule] = list(rules)

    def add(self, account: str, amount: Amount | str, interval: str = "monthly",
            period: DateRange | None = None) -> BudgetRule:
        if isinstance(amount, str):
            amount = parse_amount(amount)
        rule = BudgetRule(validate_account_name(account), amount, interval, period or DateRange())
        self.rules.append(rule)
        return rule

    def __len__(self) -> int:
        return len(self.rules)

    @classmethod
    def parse(cls, text: str) -> "Budget":
        """One rule a line: 'Expenses:Food   $400   monthly' (interval optional, monthly by default)."""
        budget = cls()
        for n, raw in enumerate(text.splitlines(), 1):
            line, _ = _split_comment(raw)
            if not line.strip():
                continue
            parts = _POSTING_SPLIT_RE.split(line.strip())
            if len(parts) not in (2, 3):
                raise BudgetError(f"line {n}: expected 'ACCOUNT  AMOUNT  [INTERVAL]', got {raw!r}")
            try:
                amount = parse_amount(parts[1])
            except ParseError as exc:
                raise BudgetError(f"line {n}: {exc.message}") from None
            interval = parts[2].strip().lower() if len(parts) == 3 else "monthly"
            if interval not in INTERVALS:
                raise BudgetError(f"line {n}: unknown interval {interval!r}")
            budget.add(parts[0], amount, interval)
        return budget

    @classmethod
    def from_journal(cls, journal: Journal) -> "Budget":
        """Rules from the journal's '~ INTERVAL' periodic transactions (postings with amounts)."""
        budget = cls()
        for pt in journal.periodic:
            for p in pt.postings:
                if p.amount is not None:
                    budget.rules.append(BudgetRule(p.account, p.amount, pt.interval, pt.period))
        return budget

    def check(self, journal: Journal, period: DateRange) -> list[BudgetLine]:
        """One line per rule and period of the rule's interval within the given bounded period."""
        if not period.is_bounded:
            raise BudgetError("a budget check needs a bounded period")
        lines: list[BudgetLine] = []
        for rule in self.rules:
            span = period.intersect(rule.period)
            if span is None:
                continue
            periods = span.periods(rule.interval)
            query = Query(accounts=(rule.account,), period=span, commodity=rule.amount.commodity)
            actual = Decimal(0)
            index = 0
            for txn, posting in journal.postings(query):
                while txn.date not in periods[index]:
                    lines.append(self._line(rule, periods[index], actual))
                    index += 1
                    actual = Decimal(0)
                actual += posting.amount.quantity
            while index < len(periods):
                lines.append(self._line(rule, periods[index], actual))
                index += 1
                actual = Decimal(0)
        return lines

    @staticmethod
    def _line(rule: BudgetRule, p: DateRange, actual: Decimal) -> BudgetLine:
        return BudgetLine(rule.account, p, rule.amount, Amount(actual, rule.amount.commodity))

    def over_budget(self, journal: Journal, period: DateRange) -> list[BudgetLine]:
        return [line for line in self.check(journal, period) if line.over]

    def totals(self, journal: Journal, period: DateRange) -> dict[str, tuple[Amount, Amount]]:
        """Per account: (total budget, total actual) over the whole period."""
        out: dict[str, tuple[Amount, Amount]] = {}
        for line in self.check(journal, period):
            if line.account in out:
                b, a = out[line.account]
                out[line.account] = (b + line.budget, a + line.actual)
            else:
                out[line.account] = (line.budget, line.actual)
        return out


def render_budget(lines: Sequence[BudgetLine], interval: str = "monthly",
                  styles: Mapping[str, CommodityStyle] | None = None) -> str:
    styles = styles or {}
    rows = []
    for line in lines:
        pct = line.used_percent()
        style = styles.get(line.budget.commodity)
        rows.append([
            line.account,
            period_label(line.period.start, interval),
            format_amount(line.actual, style),
            format_amount(line.budget, style),
            format_amount(line.remaining, style),
            "" if pct is None else f"{pct}%",
            "OVER" if line.over else "",
        ])
    return render_table(["Account", "Period", "Actual", "Budget", "Left", "Used", "Status"], rows, align="llrrrrl")


# ---------------------------------------------------------------------------
# CSV import
# ---------------------------------------------------------------------------

_FIELD_NAMES = ("date", "description", "amount", "amount-in", "amount-out", "code", "comment", "balance", "skip")


@dataclass
class _Condition:
    pattern: re.Pattern
    field_name: str | None
    assignments: dict[str, str]


class ImportRules:
    """Rules for turning bank CSV rows into transactions.

        skip 1
        fields date, description, amount
        date-format %d/%m/%Y
        currency $
        account1 Assets:Bank:Checking
        default-account2 Expenses:Unknown
        invert
        if /grocery|market/
          account2 Expenses:Food
        if description /salary/
          account2 Income:Salary
          comment  :pay:
    """

    def __init__(self):
        self.skip = 0
        self.fields: list[str] = []
        self.date_format = "%Y-%m-%d"
        self.currency = ""
        self.account1 = ""
        self.default_account2 = "Expenses:Unknown"
        self.invert = False
        self.delimiter = ","
        self.status = STATUS_NONE
        self.conditions: list[_Condition] = []

    @classmethod
    def parse(cls, text: str) -> "ImportRules":
        rules = cls()
        current: _Condition | None = None
        for n, raw in enumerate(text.splitlines(), 1):
            if not raw.strip() or raw.lstrip().startswith(("#", ";")):
                continue
            if raw[0] in " \t":
                if current is None:
                    raise ImportRuleError(f"line {n}: indented line outside an 'if' block")
                key, _, value = raw.strip().partition(" ")
                if key not in ("account2", "comment", "description", "status"):
                    raise ImportRuleError(f"line {n}: cannot assign {key!r} in an 'if' block")
                current.assignments[key] = value.strip()
                continue
            current = None
            key, _, value = raw.strip().partition(" ")
            value = value.strip()
            if key == "skip":
                if not value.isdigit():
                    raise ImportRuleError(f"line {n}: skip needs a number")
                rules.skip = int(value)
            elif key == "fields":
                names = [f.strip().lower() for f in value.split(",")]
                for name in names:
                    if name not in _FIELD_NAMES:
                        raise ImportRuleError(f"line {n}: unknown field {name!r}")
                if "date" not in names:
                    raise ImportRuleError(f"line {n}: fields must include date")
                if "amount" not in names and not ("amount-in" in names or "amount-out" in names):
                    raise ImportRuleError(f"line {n}: fields must include an amount")
                rules.fields = names
            elif key == "date-format":
                rules.date_format = value
            elif key == "currency":
                rules.currency = value
            elif key == "account1":
                rules.account1 = validate_account_name(value)
            elif key == "default-account2":
                rules.default_account2 = validate_account_name(value)
            elif key == "invert":
                rules.invert = value.lower() not in ("no", "false", "0")
            elif key == "delimiter":
                rules.delimiter = "\t" if value == "tab" else value
            elif key == "status":
                rules.status = value if value in (STATUS_CLEARED, STATUS_PENDING) else STATUS_NONE
            elif key == "if":
                field_name, _, pat = value.rpartition(" ")
                field_name = field_name.strip() or None
                if not (len(pat) >= 2 and pat.startswith("/") and pat.endswith("/")):
                    raise ImportRuleError(f"line {n}: 'if' needs a /pattern/")
                try:
                    regex = re.compile(pat[1:-1], re.IGNORECASE)
                except re.error as exc:
                    raise ImportRuleError(f"line {n}: bad pattern: {exc}") from None
                current = _Condition(regex, field_name, {})
                rules.conditions.append(current)
            else:
                raise ImportRuleError(f"line {n}: unknown rule {key!r}")
        if not rules.fields:
            raise ImportRuleError("rules need a 'fields' line")
        if not rules.account1:
            raise ImportRuleError("rules need an 'account1' line")
        return rules

    def assignments_for(self, record: Mapping[str, str]) -> dict[str, str]:
        """Assignments of the first matching 'if' block (by field, or the whole row joined)."""
        whole = ",".join(record.get(f, "") for f in self.fields if f != "skip")
        for cond in self.conditions:
            subject = record.get(cond.field_name, "") if cond.field_name else whole
            if cond.pattern.search(subject):
                return dict(cond.assignments)
        return {}


def _parse_csv_date(text: str, fmt: str) -> date:
    from datetime import datetime

    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        raise ParseError(f"date {text!r} does not fit format {fmt!r}") from None


def _csv_amount(record: Mapping[str, str], rules: ImportRules) -> Decimal:
    def num(text: str) -> Decimal:
        t = text.strip().replace(rules.currency, "") if rules.currency else text.strip()
        t = t.replace(" ", "")
        negative = False
        if t.startswith("(") and t.endswith(")"):
            negative, t = True, t[1:-1]
        if not t:
            return Decimal(0)
        q = parse_number(t)
        return -q if negative else q

    if "amount" in rules.fields:
        q = num(record.get("amount", ""))
    else:
        q = num(record.get("amount-in", "")) - num(record.get("amount-out", ""))
    return -q if rules.invert else q


def transaction_fingerprint(txn: Transaction) -> str:
    """A stable digest of date, payee and the first posting's amount, to spot re-imported rows."""
    first = txn.postings[0].amount if txn.postings else None
    key = f"{format_date(txn.date)}|{txn.payee.strip().lower()}|{first.quantity if first else ''}|" \
          f"{first.commodity if first else ''}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class ImportResult:
    transactions: list[Transaction]
    skipped_duplicates: int
    errors: list[str]


def import_csv(text: str, rules: ImportRules, existing: Journal | None = None,
               strict: bool = True) -> ImportResult:
    """Turn CSV text into balanced two-posting transactions.

    Rows whose fingerprint matches a transaction already in existing are skipped.  Bad rows
    raise ImportRuleError when strict, else they are reported in errors and left out.
    """
    known = {transaction_fingerprint(t) for t in existing.transactions} if existing is not None else set()
    reader = csv.reader(io.StringIO(text), delimiter=rules.delimiter)
    out: list[Transaction] = []
    errors: list[str] = []
    skipped = 0
    for n, row in enumerate(reader, 1):
        if n <= rules.skip or not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) < len(rules.fields):
                raise ImportRuleError(f"row {n}: expected {len(rules.fields)} fields, got {len(row)}")
            record = {name: value.strip() for name, value in zip(rules.fields, row) if name != "skip"}
            d = _parse_csv_date(record["date"], rules.date_format)
            q = _csv_amount(record, rules)
        except (ImportRuleError, ParseError) as exc:
            message = str(exc) if isinstance(exc, ImportRuleError) else f"row {n}: {exc}"
            if strict:
                raise ImportRuleError(message) from None
            errors.append(message)
            continue
        assigned = rules.assignments_for(record)
        payee = assigned.get("description", record.get("description", "")) or "(no description)"
        account2 = assigned.get("account2", rules.default_account2)
        comment = assigned.get("comment", record.get("comment", ""))
        status = assigned.get("status", rules.status)
        amount = Amount(q, rules.currency)
        txn = Transaction(
            date=d,
            payee=payee,
            status=status if status in (STATUS_CLEARED, STATUS_PENDING) else STATUS_NONE,
            code=record.get("code", ""),
            comment=comment,
            tags=parse_tags(comment),
            postings=[Posting(rules.account1, amount), Posting(account2)],
        )
        txn.balance()
        fp = transaction_fingerprint(txn)
        if fp in known:
            skipped += 1
            continue
        out.append(txn)
    return ImportResult(out, skipped, errors)


# ---------------------------------------------------------------------------
# writing journals back out, and whole-journal edits
# ---------------------------------------------------------------------------


def format_posting(posting: Posting, styles: Mapping[str, CommodityStyle] | None = None,
                   width: int = 44, show_inferred: bool = False) -> str:
    """One indented posting line; the amount is right-aligned to end at column width + 4."""
    styles = styles or {}
    account = f"({posting.account})" if posting.virtual else posting.account
    status = f"{posting.status} " if posting.status else ""
    head = f"    {status}{account}"
    amount_text = ""
    if posting.amount is not None and (show_inferred or not posting.inferred):
        amount_text = format_amount(posting.amount, styles.get(posting.amount.commodity))
        if posting.cost is not None:
            amount_text += " @@ " + format_amount(posting.cost, styles.get(posting.cost.commodity))
    if posting.assertion is not None:
        assertion = format_amount(posting.assertion, styles.get(posting.assertion.commodity))
        amount_text = f"{amount_text} = {assertion}" if amount_text else f"= {assertion}"
    line = head
    if amount_text:
        gap = max(2, width + 4 - len(head) - len(amount_text))
        line = head + " " * gap + amount_text
    if posting.comment:
        first = posting.comment.split("\n")[0]
        line += f"  ; {first}"
    return line


def format_transaction(txn: Transaction, styles: Mapping[str, CommodityStyle] | None = None,
                       width: int = 44, show_inferred: bool = False) -> str:
    parts = [format_date(txn.date)]
    if txn.status:
        parts.append(txn.status)
    if txn.code:
        parts.append(f"({txn.code})")
    header = " ".join(parts)
    if txn.payee or txn.note:
        header += " " + txn.payee
        if txn.note:
            header += f" | {txn.note}"
    if txn.comment:
        header += f"  ; {txn.comment.splitlines()[0]}"
    lines = [header]
    lines.extend(format_posting(p, styles, width, show_inferred) for p in txn.postings)
    return "\n".join(lines)


def format_journal(journal: Journal, width: int = 44) -> str:
    """Declarations, prices and transactions (in date order) as journal text that parses back."""
    chunks: list[str] = []
    decls = [f"account {name}" + (f"  ; {c}" if c else "") for name, c in sorted(journal.declared_accounts.items())]
    if decls:
        chunks.append("\n".join(decls))
    prices = []
    for (commodity, target), series in sorted(journal.prices._by_pair.items()):
        for d, q in series:
            prices.append((d, commodity, Amount(q, target)))
    if prices:
        prices.sort(key=lambda item: (item[0], item[1]))
        chunks.append("\n".join(f"P {format_date(d)} {c} {format_amount(a, journal.styles.get(a.commodity))}"
                                for d, c, a in prices))
    for txn in journal.sorted_transactions():
        chunks.append(format_transaction(txn, journal.styles, width))
    return "\n\n".join(chunks) + "\n"


def rename_account(journal: Journal, old: str, new: str) -> int:
    """Rename an account and its subaccounts everywhere; returns how many postings changed."""
    validate_account_name(new)
    changed = 0

    def rename(name: str) -> str:
        return new + name[len(old):] if is_subaccount(name, old) else name

    for txn in journal.transactions:
        for p in txn.postings:
            renamed = rename(p.account)
            if renamed != p.account:
                p.account = renamed
                changed += 1
    journal.declared_accounts = {rename(k): v for k, v in journal.declared_accounts.items()}
    for pt in journal.periodic:
        for p in pt.postings:
            p.account = rename(p.account)
    return changed


def closing_transaction(journal: Journal, on: date, equity: str = "Equity:Retained Earnings",
                        period: DateRange | None = None) -> Transaction | None:
    """A transaction dated on that zeroes every income and expense account into equity."""
    kinds = ("income", "expense")
    q = Query(period=period or DateRange(None, on + timedelta(days=1)))
    tree = journal.balance_tree(q)
    postings: list[Posting] = []
    for node in tree.walk():
        if account_type(node.name) not in kinds or node.own.is_zero():
            continue
        for a in node.own.amounts():
            postings.append(Posting(node.name, -a))
    if not postings:
        return None
    txn = Transaction(on, "Closing balances", postings + [Posting(equity)])
    try:
        txn.balance()
    except BalanceError:
        total = MixedAmount()
        for p in postings:
            total.add(p.amount)
        txn.postings = postings + [Posting(equity, -a) for a in total.amounts()]
        txn.balance()
    return txn


def check_journal(journal: Journal, declared_only: bool = False) -> list[str]:
    """Problems worth a warning: failed assertions, undeclared accounts, transactions out of date order."""
    problems = [f"assertion: {f}" for f in journal.check_assertions()]
    if declared_only:
        problems.extend(f"undeclared account: {a}" for a in journal.undeclared_accounts())
    last: date | None = None
    for txn in journal.transactions:
        if last is not None and txn.date < last:
            problems.append(f"out of order: {format_date(txn.date)} {txn.payee} after {format_date(last)}")
        last = txn.date if last is None or txn.date > last else last
    return problems


__all__ = sorted(
    name
    for name, value in list(globals().items())
    if not name.startswith("_")
    and (getattr(value, "__module__", None) == __name__ or (name.isupper() and not name.startswith("ROUND")))
)
