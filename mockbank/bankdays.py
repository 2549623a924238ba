"""The bank calendars: which days Danish banks book and settle payments, and which days TARGET2 settles euro.

A bank day is a weekday (Monday to Friday) that is not one of the bank holidays returned by
:func:`danish_bank_holidays`. A euro payment also needs a TARGET2 business day: a weekday that is not a
TARGET2 closing day (:func:`target2_closing_days`). :func:`is_settlement_day` combines both by currency.
Pure standard library; holidays are computed once per year and cached.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

__all__ = [
    "bank_days",
    "closing_reason",
    "danish_bank_holidays",
    "easter_sunday",
    "holiday_name",
    "is_bank_day",
    "is_settlement_day",
    "is_target2_day",
    "next_bank_day",
    "next_settlement_day",
    "previous_bank_day",
    "target2_closing_days",
]

_ONE_DAY = _dt.timedelta(days=1)

#: The last year in which Store bededag was a public holiday (abolished from 2024).
_LAST_STORE_BEDEDAG_YEAR = 2023

#: Movable holidays as (days after Easter Sunday, name, last year it applies or None).
_EASTER_OFFSETS: tuple[tuple[int, str, int | None], ...] = (
    (-3, "Skærtorsdag", None),
    (-2, "Langfredag", None),
    (1, "2. påskedag", None),
    (26, "Store bededag", _LAST_STORE_BEDEDAG_YEAR),
    (39, "Kristi himmelfartsdag", None),
    (40, "Fredag efter Kristi himmelfartsdag", None),
    (50, "2. pinsedag", None),
)

#: Fixed-date closing days as (month, day, name).
_FIXED_DATES: tuple[tuple[int, int, str], ...] = (
    (1, 1, "Nytårsdag"),
    (6, 5, "Grundlovsdag"),
    (12, 24, "Juleaftensdag"),
    (12, 25, "1. juledag"),
    (12, 26, "2. juledag"),
    (12, 31, "Nytårsaftensdag"),
)


#: TARGET2 closing days besides weekends, fixed by the ECB since 2000 and unchanged for T2 (2023): New
#: Year's Day, Good Friday, Easter Monday, 1 May, Christmas Day and 26 December. Sources: Finance Denmark,
#: "The financial infrastructure" (lists the six days "TARGET2 is closed on ... in addition to Saturdays and
#: Sundays"), and QuantLib's TARGET calendar (the same six days since 2000).
_TARGET2_FIXED: tuple[tuple[int, int, str], ...] = (
    (1, 1, "New Year's Day"), (5, 1, "Labour Day"), (12, 25, "Christmas Day"), (12, 26, "Boxing Day"),
)
_TARGET2_EASTER: tuple[tuple[int, str], ...] = ((-2, "Good Friday"), (1, "Easter Monday"))


def easter_sunday(year: int) -> _dt.date:
    """Return Easter Sunday of ``year`` (Gregorian calendar, anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's customary name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return _dt.date(year, month, day + 1)


@lru_cache(maxsize=None)
def _holidays(year: int) -> Mapping[_dt.date, str]:
    """Build the read-only holiday table of one year (cached)."""
    table: dict[_dt.date, str] = {}

    def add(day: _dt.date, name: str) -> None:
        # Grundlovsdag and 2. pinsedag coincide in some years (e.g. 2017): keep both names.
        table[day] = f"{table[day]} og {name}" if day in table else name

    for month, day, name in _FIXED_DATES:
        add(_dt.date(year, month, day), name)
    easter = easter_sunday(year)
    for offset, name, last_year in _EASTER_OFFSETS:
        if last_year is None or year <= last_year:
            add(easter + _dt.timedelta(days=offset), name)
    return MappingProxyType(dict(sorted(table.items())))


@lru_cache(maxsize=None)
def _target2(year: int) -> Mapping[_dt.date, str]:
    table = {_dt.date(year, month, day): name for month, day, name in _TARGET2_FIXED}
    easter = easter_sunday(year)
    table.update({easter + _dt.timedelta(days=offset): name for offset, name in _TARGET2_EASTER})
    return MappingProxyType(dict(sorted(table.items())))


def target2_closing_days(year: int) -> dict[_dt.date, str]:
    """Return the TARGET2 closing days of ``year`` besides weekends (dates in order, English names)."""
    return dict(_target2(year))


def is_target2_day(d: _dt.date) -> bool:
    """Tell whether TARGET2 settles euro on ``d``: a weekday that is not a TARGET2 closing day."""
    d = _as_date(d)
    return d.weekday() < 5 and d not in _target2(d.year)


def is_settlement_day(d: _dt.date, currency: str) -> bool:
    """A Danish bank day, and for EUR also a TARGET2 business day."""
    return is_bank_day(d) and (currency != "EUR" or is_target2_day(d))


def next_settlement_day(d: _dt.date, currency: str) -> _dt.date:
    """Return ``d`` itself if a payment in ``currency`` settles on it, otherwise the first such day after it."""
    d = _as_date(d)
    while not is_settlement_day(d, currency):
        d += _ONE_DAY
    return d


def closing_reason(d: _dt.date, currency: str) -> str | None:
    """Why a payment in ``currency`` does not settle on ``d`` (weekday, holiday or TARGET2 closing), or None."""
    d = _as_date(d)
    if d.weekday() >= 5:
        return d.strftime("%A")
    name = holiday_name(d)
    if name:
        return name
    if currency == "EUR" and d in _target2(d.year):
        return f"{_target2(d.year)[d]}, a TARGET2 closing day for EUR payments"
    return None


def _as_date(d: _dt.date) -> _dt.date:
    """Accept a ``datetime`` too, and reduce it to its calendar date."""
    return d.date() if isinstance(d, _dt.datetime) else d


def danish_bank_holidays(year: int) -> dict[_dt.date, str]:
    """Return the days of ``year`` on which Danish banks are closed besides weekends.

    Keys are dates in calendar order, values their Danish names. Included: Nytårsdag,
    Skærtorsdag, Langfredag, 2. påskedag, Store bededag (years up to 2023 only), Kristi
    himmelfartsdag, the Friday after it, 2. pinsedag, Grundlovsdag, Juleaftensdag, 1. and 2.
    juledag and Nytårsaftensdag. A holiday that falls on a weekend is still listed. The result is a
    fresh dict the caller may modify.
    """
    return dict(_holidays(year))


def holiday_name(d: _dt.date) -> str | None:
    """Return the Danish name of the bank holiday on ``d``, or ``None`` (weekends are not named)."""
    d = _as_date(d)
    return _holidays(d.year).get(d)


def is_bank_day(d: _dt.date) -> bool:
    """Tell whether ``d`` is a Danish bank day: a weekday that is not a bank holiday."""
    d = _as_date(d)
    return d.weekday() < 5 and d not in _holidays(d.year)


def next_bank_day(d: _dt.date) -> _dt.date:
    """Return ``d`` itself if it is a bank day, otherwise the first bank day after it."""
    d = _as_date(d)
    while not is_bank_day(d):
        d += _ONE_DAY
    return d


def previous_bank_day(d: _dt.date) -> _dt.date:
    """Return ``d`` itself if it is a bank day, otherwise the last bank day before it.

    The mirror of :func:`next_bank_day`; for the bank day strictly before ``d`` use
    ``previous_bank_day(d - timedelta(days=1))``.
    """
    d = _as_date(d)
    while not is_bank_day(d):
        d -= _ONE_DAY
    return d


def bank_days(start: _dt.date, end: _dt.date) -> list[_dt.date]:
    """Return every bank day from ``start`` to ``end`` inclusive, in order ([] if start > end)."""
    start, end = _as_date(start), _as_date(end)
    days = []
    d = start
    while d <= end:
        if is_bank_day(d):
            days.append(d)
        d += _ONE_DAY
    return days
