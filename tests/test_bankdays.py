"""The Danish bank calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockbank.bankdays import (
    bank_days,
    danish_bank_holidays,
    easter_sunday,
    holiday_name,
    is_bank_day,
    next_bank_day,
    previous_bank_day,
)

D = dt.date
days = st.dates(min_value=D(1900, 1, 8), max_value=D(2199, 12, 24))


@pytest.mark.parametrize(
    "year, expected",
    [(1818, D(1818, 3, 22)), (1943, D(1943, 4, 25)), (2000, D(2000, 4, 23)), (2019, D(2019, 4, 21)),
     (2024, D(2024, 3, 31)), (2025, D(2025, 4, 20)), (2026, D(2026, 4, 5)), (2038, D(2038, 4, 25))],
)
def test_easter_sunday_known_years(year, expected):
    assert easter_sunday(year) == expected


@given(st.integers(min_value=1583, max_value=9999))
def test_easter_is_a_sunday_between_22_march_and_25_april(year):
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert D(year, 3, 22) <= easter <= D(year, 4, 25)


def test_holidays_2025():
    assert danish_bank_holidays(2025) == {
        D(2025, 1, 1): "Nytårsdag",
        D(2025, 4, 17): "Skærtorsdag",
        D(2025, 4, 18): "Langfredag",
        D(2025, 4, 21): "2. påskedag",
        D(2025, 5, 29): "Kristi himmelfartsdag",
        D(2025, 5, 30): "Fredag efter Kristi himmelfartsdag",
        D(2025, 6, 5): "Grundlovsdag",
        D(2025, 6, 9): "2. pinsedag",
        D(2025, 12, 24): "Juleaftensdag",
        D(2025, 12, 25): "1. juledag",
        D(2025, 12, 26): "2. juledag",
        D(2025, 12, 31): "Nytårsaftensdag",
    }


def test_holidays_are_in_calendar_order():
    holidays = list(danish_bank_holidays(2026))
    assert holidays == sorted(holidays)


def test_store_bededag_until_2023_only():
    assert holiday_name(D(2023, 5, 5)) == "Store bededag"
    assert not is_bank_day(D(2023, 5, 5))
    assert holiday_name(D(2024, 4, 26)) is None
    assert is_bank_day(D(2024, 4, 26))
    assert "Store bededag" not in danish_bank_holidays(2024).values()
    assert "Store bededag" in danish_bank_holidays(1990).values()


def test_ascension_and_the_friday_after_are_closed():
    assert holiday_name(D(2025, 5, 29)) == "Kristi himmelfartsdag"
    assert not is_bank_day(D(2025, 5, 29))
    assert not is_bank_day(D(2025, 5, 30))
    assert next_bank_day(D(2025, 5, 29)) == D(2025, 6, 2)


def test_coinciding_holidays_keep_both_names():
    # 2017: Easter 16 April, so 2. pinsedag is 5 June, Grundlovsdag.
    assert holiday_name(D(2017, 6, 5)) == "Grundlovsdag og 2. pinsedag"


def test_weekends_are_not_named_but_closed():
    saturday = D(2025, 3, 15)
    assert holiday_name(saturday) is None
    assert not is_bank_day(saturday)
    assert not is_bank_day(saturday + dt.timedelta(days=1))


def test_holiday_on_a_weekend_is_still_listed():
    assert holiday_name(D(2022, 12, 25)) == "1. juledag"  # a Sunday


def test_returned_holidays_are_a_copy():
    danish_bank_holidays(2025).clear()
    assert len(danish_bank_holidays(2025)) == 12


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2025, 3, 14), D(2025, 3, 14)),  # a Friday is its own next bank day
        (D(2025, 3, 15), D(2025, 3, 17)),  # Saturday -> Monday
        (D(2025, 3, 16), D(2025, 3, 17)),  # Sunday -> Monday
        (D(2025, 4, 17), D(2025, 4, 22)),  # Easter 2025: Thursday to Monday closed
        (D(2025, 12, 24), D(2025, 12, 29)),  # Christmas Eve (Wed) -> Monday
        (D(2025, 12, 31), D(2026, 1, 2)),  # New Year's Eve -> Friday 2 January
        (D(2026, 12, 24), D(2026, 12, 28)),  # Thursday Christmas Eve -> Monday
        (D(2027, 12, 31), D(2028, 1, 3)),  # Friday New Year's Eve -> Monday
    ],
)
def test_next_bank_day(day, expected):
    assert next_bank_day(day) == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2025, 3, 17), D(2025, 3, 17)),
        (D(2025, 3, 16), D(2025, 3, 14)),
        (D(2025, 4, 21), D(2025, 4, 16)),
        (D(2026, 1, 1), D(2025, 12, 30)),
        (D(2025, 12, 26), D(2025, 12, 23)),
    ],
)
def test_previous_bank_day(day, expected):
    assert previous_bank_day(day) == expected


def test_datetimes_are_reduced_to_dates():
    moment = dt.datetime(2025, 12, 24, 9, 30, tzinfo=dt.timezone.utc)
    assert not is_bank_day(moment)
    assert holiday_name(moment) == "Juleaftensdag"
    assert next_bank_day(moment) == D(2025, 12, 29)
    assert type(next_bank_day(moment)) is D


def test_bank_days_december_2025():
    december = bank_days(D(2025, 12, 1), D(2025, 12, 31))
    assert len(december) == 19
    assert december[0] == D(2025, 12, 1)
    assert december[-1] == D(2025, 12, 30)
    assert D(2025, 12, 24) not in december


def test_bank_days_is_inclusive_and_empty_when_reversed():
    assert bank_days(D(2025, 3, 14), D(2025, 3, 17)) == [D(2025, 3, 14), D(2025, 3, 17)]
    assert bank_days(D(2025, 3, 17), D(2025, 3, 14)) == []
    assert bank_days(D(2025, 3, 15), D(2025, 3, 16)) == []


@given(days)
def test_bank_day_means_weekday_and_no_holiday(day):
    expected = day.weekday() < 5 and day not in danish_bank_holidays(day.year)
    assert is_bank_day(day) is expected
    if holiday_name(day) is not None:
        assert not is_bank_day(day)


@given(days)
def test_next_bank_day_is_the_first_bank_day_on_or_after(day):
    result = next_bank_day(day)
    assert is_bank_day(result)
    assert day <= result <= day + dt.timedelta(days=6)
    between = (day + dt.timedelta(days=n) for n in range((result - day).days))
    assert not any(is_bank_day(d) for d in between)


@given(days)
def test_previous_bank_day_is_the_last_bank_day_on_or_before(day):
    result = previous_bank_day(day)
    assert is_bank_day(result)
    assert day - dt.timedelta(days=6) <= result <= day
    between = (result + dt.timedelta(days=n) for n in range(1, (day - result).days + 1))
    assert not any(is_bank_day(d) for d in between)


@given(days, st.integers(min_value=0, max_value=60))
def test_bank_days_lists_exactly_the_bank_days(start, length):
    end = start + dt.timedelta(days=length)
    every_day = [start + dt.timedelta(days=n) for n in range(length + 1)]
    assert bank_days(start, end) == [d for d in every_day if is_bank_day(d)]
