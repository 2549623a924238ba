"""Danish payment rules: FI/FIK strings, urgency and cut-off times, express limits, TARGET2 days for EUR."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest

from conftest import BANK_TODAY
from mockbank import bankdays, execution, fik
from raw import post, transaction

GOOD_71 = "+71<000000012345674+87654321<"  # reference 00000001234567 + check digit 4


def pay(emulator, *transactions, options=None):
    body = {"requestId": "REQ_DK", "transactions": list(transactions)}
    if options is not None:
        body["options"] = options
    response = post(emulator, "/payment", body)
    assert response.status_code == 200, response.text
    return response.json()["answers"]


# --------------------------------------------------------------------------- FI/FIK strings


def test_the_check_digit_is_modulus_10_with_weights_2_1_from_the_right():
    assert fik.check_digit("00000001234567") == "4"
    assert fik.check_digit("00404040000066") == "9"  # the example of a public FIK help page


@pytest.mark.parametrize("account", [GOOD_71, "+73<+87654321<", "+75<0000000012345674+87654321<",
                                     "+01<+1234567<", "+04<0000000012345674+12345678<", "+15<123+1234567<"])
def test_well_formed_fi_strings_pass(account):
    assert fik.problems(account) == []


@pytest.mark.parametrize("account, code, words", [
    ("+71<000000012345678+87654321<", "RR09", ["payment reference 000000012345678", "check digit", "4"]),
    ("+71<00000001234567+87654321<", "RR09", ["payment reference '00000001234567'", "15 digits"]),
    ("+75<000000012345674+87654321<", "RR09", ["16 digits"]),
    ("+73<123+87654321<", "RR09", ["carries no payment reference"]),
    ("+71<+87654321<", "RR09", ["needs a payment reference of 15 digits"]),
    ("+71<000000012345674+8765432<", "AC01", ["creditor number '8765432'", "8 digits"]),
    ("+01<+123456<", "AC01", ["giro account number '123456'", "7 or 8 digits"]),
    ("+72<+87654321<", "AC01", ["card type +72 does not exist"]),
])
def test_each_fi_string_mistake_names_the_part_and_its_iso_reason(account, code, words):
    (problem,) = fik.problems(account)
    assert problem["code"] == code and problem["field"] == "account"
    assert account in problem["text"]
    for word in words:
        assert word in problem["text"]


def test_the_creditor_prefix_is_checked_only_when_configured():
    assert fik.problems(GOOD_71, fik.FikRules(creditor_prefix="8")) == []
    (problem,) = fik.problems("+71<000000012345674+12345678<", fik.FikRules(creditor_prefix="8"))
    assert "must start with 8" in problem["text"]


def test_a_wrong_fik_check_digit_fails_the_payment_with_32_naming_the_reference(emulator):
    good, bad = pay(emulator, transaction("FIK_OK", day=BANK_TODAY, account=GOOD_71),
                    transaction("FIK_BAD", day=BANK_TODAY, account="+71<000000012345678+87654321<"))
    assert good["status"] == 1
    assert bad["status"] == 32
    assert bad["errors"][0]["code"] == "RR09" and bad["errors"][0]["field"] == "account"
    assert "payment reference 000000012345678" in bad["errors"][0]["text"]


# --------------------------------------------------------------------------- calendars

def test_target2_closes_on_six_days_and_eur_follows_it():
    assert list(bankdays.target2_closing_days(2026)) == [date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6),
                                                         date(2026, 5, 1), date(2026, 12, 25), date(2026, 12, 26)]
    labour_day = date(2026, 5, 1)  # a Friday: a Danish bank day, but TARGET2 is closed
    assert bankdays.is_bank_day(labour_day) and not bankdays.is_target2_day(labour_day)
    assert bankdays.is_settlement_day(labour_day, "DKK") and not bankdays.is_settlement_day(labour_day, "EUR")
    assert bankdays.next_settlement_day(labour_day, "EUR") == date(2026, 5, 4)


def test_an_eur_payment_on_a_target2_closing_day_fails_or_moves(emulator):
    eur = transaction("EUR_MAY1", day="2027-05-03", currency="EUR")  # 3 May 2027 is a Monday: open
    dkk = transaction("DKK_MAY1", day="2027-04-30")
    closed = transaction("EUR_CLOSED", day="2027-04-30", currency="EUR")  # Friday 30 April: open too
    assert [a["status"] for a in pay(emulator, eur, dkk, closed)] == [1, 1, 1]
    may_day = transaction("EUR_LABOUR", day="2026-05-01", currency="EUR")
    emulator.set_clock("2026-04-28T08:00:00", frozen=True)
    (failed,) = pay(emulator, may_day)
    assert failed["status"] == 32 and failed["errors"][0]["code"] == "DT01"
    assert failed["errors"][0]["field"] == "paymentDate" and "TARGET2" in failed["errors"][0]["text"]
    (moved,) = pay(emulator, {**may_day, "paymentId": "EUR_LABOUR2"}, options={"moveToNextBankDate": True})
    assert moved["status"] == 1
    assert {p["paymentId"]: p["paymentDate"] for p in emulator.payments()}["EUR_LABOUR2"] == "2026-05-04"
    (dkk_may_day,) = pay(emulator, transaction("DKK_LABOUR", day="2026-05-01"))
    assert dkk_may_day["status"] == 1


# --------------------------------------------------------------------------- urgency and cut-off times

TUESDAY = date(2026, 11, 24)


def at(hour, minute=0):
    """An instant on TUESDAY given in Danish time (CET, UTC+1 in November)."""
    return datetime(2026, 11, 24, hour - 1, minute, tzinfo=timezone.utc)


def today(urgency=None, **extra):
    found = {"paymentDate": TUESDAY.isoformat(), "currency": "DKK", **extra}
    if urgency is not None:
        found["urgency"] = urgency
    return found


@pytest.mark.parametrize("urgency, before, after", [(None, at(18, 29), at(18, 30)), (1, at(18, 29), at(18, 30)),
                                                    (2, at(13, 59), at(14, 0))])
def test_a_payment_dated_today_after_its_cutoff_moves_or_fails_with_tm01(urgency, before, after):
    assert execution.execution_date(today(urgency), Decimal(1), before, False) == (TUESDAY, [])
    day, (error,) = execution.execution_date(today(urgency), Decimal(1), after, False)
    assert day is None and error["code"] == "TM01" and error["field"] == "paymentDate"
    assert "moveToNextBankDate" in error["text"]
    assert execution.execution_date(today(urgency), Decimal(1), after, True) == (date(2026, 11, 25), [])


def test_a_cutoff_on_a_friday_moves_to_monday_and_cutoffs_are_configurable():
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=timezone.utc)
    friday = {"paymentDate": "2026-11-27", "currency": "DKK"}
    assert execution.execution_date(friday, Decimal(1), friday_evening, True) == (date(2026, 11, 30), [])
    late = execution.ExecutionRules(cutoffs={1: None, 2: time(16, 0)})
    assert execution.execution_date(friday, Decimal(1), friday_evening, False, late) == (date(2026, 11, 27), [])


def test_express_ignores_cutoffs_and_closed_days_but_not_its_limit_or_currency():
    sunday = {"paymentDate": "2026-11-29", "currency": "DKK", "urgency": 3}
    assert execution.execution_date(sunday, Decimal("500000"), datetime(2026, 11, 29, 22, tzinfo=timezone.utc),
                                    False) == (date(2026, 11, 29), [])
    _, (over,) = execution.execution_date(today(3), Decimal("500000.01"), at(10), False)
    assert over["code"] == "AM02" and over["field"] == "amount" and "500,000" in over["text"]
    _, (eur,) = execution.execution_date(today(3, currency="EUR"), Decimal(1), at(10), False)
    assert eur["code"] == "AM03" and eur["field"] == "currency"
    _, (odd,) = execution.execution_date(today(7), Decimal(1), at(10), False)
    assert odd["code"] == "CH16" and odd["field"] == "urgency"


def test_the_emulator_applies_the_cutoff_on_its_clock(emulator):
    emulator.set_clock(f"{BANK_TODAY}T13:30:00", frozen=True)  # 14:30 in Copenhagen
    same_day = transaction("SAME", day=BANK_TODAY)
    same_day["urgency"] = 2
    normal = transaction("NORMAL", day=BANK_TODAY)
    failed, passed = pay(emulator, same_day, normal)
    assert failed["status"] == 32 and failed["errors"][0]["code"] == "TM01"
    assert "14:00" in failed["errors"][0]["text"] and passed["status"] == 1


def test_the_catalogue_lists_the_payment_rules_and_urgencies(emulator):
    catalogue = emulator.magic()
    names = {rule["name"]: rule for rule in catalogue["paymentRules"]}
    assert names["fik-check-digit"]["code"] == "RR09" and names["fik-check-digit"]["status"] == 32
    assert {"cut-off", "target2-day", "express-limit", "fik-reference-length"} <= set(names)
    urgencies = {row["urgency"]: row for row in catalogue["urgencies"]}
    assert urgencies[2]["cutoff"] == "14:00" and urgencies[3]["limit"] == 500000
