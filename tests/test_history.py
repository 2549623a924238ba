"""The deterministic statement-history generator."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from decimal import ROUND_FLOOR, Context, Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockbank.bankdays import bank_days, is_bank_day, next_bank_day, previous_bank_day
from mockbank.history import KINDS, HistoryEntry, balance_floor, generate_history

D = dt.date
DEMO = json.loads((Path(__file__).parents[1] / "fixtures" / "demo.json").read_text("utf-8"))

DRIFT = "52470004471238"
OPENING = Decimal("184350.25")
# 90 days that contain a month's first and last bank days and a quarter end (30 December 2025).
START, END = D(2025, 12, 16), D(2026, 3, 15)

CODES = {
    ("Transfer", "out"): {("PMNT", "ICDT", sub) for sub in ("DMCT", "ESCT", "XBCT")},
    ("Transfer", "in"): {("PMNT", "RCDT", sub) for sub in ("DMCT", "ESCT", "XBCT")},
    ("FIK", "in"): {("PMNT", "RCDT", "DMCT")},
    ("Card", "out"): {("PMNT", "CCRD", "POSD")},
    ("DirectDebit", "out"): {("PMNT", "RDDT", "PMDD")},
    ("Salary", "out"): {("PMNT", "ICDT", "SALA")},
    ("Fee", "out"): {("ACMT", "MDOP", "CHRG")},
    ("Interest", "in"): {("ACMT", "MDOP", "INTR")},
    ("Interest", "out"): {("ACMT", "MDOP", "INTR")},
}

accounts = st.text(alphabet="0123456789", min_size=14, max_size=14)
currencies = st.sampled_from(["DKK", "EUR", "SEK", "USD"])
openings = st.decimals(min_value=-200000, max_value=2000000, places=2)
starts = st.dates(min_value=D(2015, 1, 1), max_value=D(2030, 12, 31))
lengths = st.integers(min_value=0, max_value=120)


def drift(start: dt.date = START, end: dt.date = END) -> list[HistoryEntry]:
    return generate_history(DRIFT, "DKK", OPENING, start, end)


def running_balances(opening: Decimal, entries: list[HistoryEntry]) -> list[Decimal]:
    balances, balance = [], opening
    for entry in entries:
        balance += entry.amount
        balances.append(balance)
    return balances


def direction(entry: HistoryEntry) -> str:
    return "in" if entry.amount > 0 else "out"


def test_same_inputs_give_the_same_history():
    first, second = drift(), drift()
    assert first == second
    assert repr(first) == repr(second)


def test_history_does_not_depend_on_the_callers_decimal_context():
    with localcontext(Context(prec=6, rounding=ROUND_FLOOR)):
        low_precision = drift()
    assert low_precision == drift()


def test_history_does_not_depend_on_hash_randomisation():
    code = (
        "import datetime as dt, hashlib; from decimal import Decimal;"
        "from mockbank.history import generate_history;"
        f"h = generate_history('{DRIFT}', 'DKK', Decimal('{OPENING}'), dt.date(2025, 12, 16),"
        " dt.date(2026, 3, 15));"
        "print(hashlib.sha256(repr(h).encode()).hexdigest())"
    )
    digests = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(repr(drift()).encode()).hexdigest()}


def test_demo_history_is_pinned():
    """The demo bank's history must not change by accident (Python version, table edits).

    If a change is intended, update the digest and say so: users may have recorded these entries.
    """
    entries = drift()
    assert len(entries) == 156
    assert entries[0] == HistoryEntry(
        entry_id="123825121700", booking=D(2025, 12, 17), value=D(2025, 12, 17),
        amount=Decimal("-4788.31"), text="Fakt. 79945 Rengøringscentralen Køg", kind="Transfer",
        counterparty_name="Rengøringscentralen Køge", counterparty_account="21911090560835",
        creditor_text="Faktura 79945", creditor_message="Betaling af faktura 79945",
        end_to_end_id="CEB49A7BED6E44A98C5E7DAD9CF82D56",
        transaction_codes=("PMNT", "ICDT", "DMCT"))
    digest = "d960b7247ec8988a51d8519a3e77ae4c9e6248447b888e05fef82767e2049eba"
    assert hashlib.sha256(repr(entries).encode()).hexdigest() == digest


def test_entries_are_oldest_first_on_bank_days_in_the_period():
    entries = drift()
    bookings = [entry.booking for entry in entries]
    assert bookings == sorted(bookings)
    assert all(is_bank_day(day) and START <= day <= END for day in bookings)


def test_ids_are_unique_and_follow_the_pattern():
    entries = drift(D(2025, 1, 1), D(2025, 12, 31))
    ids = [entry.entry_id for entry in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        assert re.fullmatch(rf"1238{entry.booking:%y%m%d}0[0-5]", entry.entry_id)


def test_every_kind_appears_in_90_days_of_a_typical_account():
    kinds = {entry.kind for entry in drift()}
    assert kinds == set(KINDS)


def test_a_foreign_currency_account_trades_abroad():
    entries = generate_history("78580003310042", "EUR", Decimal("41250.00"), START, END)
    assert {entry.kind for entry in entries} == {"Transfer", "Card", "Fee", "Interest"}
    transfers = [entry for entry in entries if entry.kind == "Transfer"]
    assert {entry.transaction_codes[2] for entry in transfers} == {"ESCT"}
    assert all(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", e.counterparty_account) for e in transfers)


def test_amounts_scale_with_the_currency():
    def median_amount(currency: str) -> Decimal:
        entries = generate_history(DRIFT, currency, Decimal(10**8), D(2024, 1, 1), D(2025, 12, 31))
        amounts = sorted(abs(e.amount) for e in entries if e.kind in ("Transfer", "Card"))
        return amounts[len(amounts) // 2]

    # Both foreign profiles; 1 EUR is about 7.46 DKK, 1 SEK about 0.63 DKK: a ratio near 11.8.
    assert 8 < median_amount("SEK") / median_amount("EUR") < 16


def test_different_accounts_give_different_histories():
    other = generate_history("52470004471246", "DKK", OPENING, START, END)
    assert [e.amount for e in other] != [e.amount for e in drift()]
    assert {e.entry_id[:4] for e in other} == {"1246"}


def test_scheduled_bookings():
    entries = drift(D(2025, 1, 1), D(2025, 12, 31))
    months = range(1, 13)
    salaries = [e.booking for e in entries if e.kind == "Salary"]
    first_days = [next_bank_day(D(2025, m, 1)) for m in months]
    last_days = [previous_bank_day(D(2025 + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1))
                 for m in months]
    assert salaries == last_days
    assert [e.booking for e in entries if e.text.startswith("Gebyr kontoførelse")] == last_days
    assert [e.booking for e in entries if e.text.startswith("Husleje")] == first_days
    assert [e.booking for e in entries if e.text.startswith("Moms")] == first_days[2::3]
    assert [e.booking for e in entries if e.kind == "Interest"] == last_days[2::3]
    assert [e.text for e in entries if e.text.startswith("Moms")][0] == "Moms 4. kvt. 2024 SKAT"


def test_at_most_six_entries_on_a_day_and_some_quiet_days():
    entries = drift(D(2025, 1, 1), D(2025, 12, 31))
    per_day = {day: 0 for day in bank_days(D(2025, 1, 1), D(2025, 12, 31))}
    for entry in entries:
        per_day[entry.booking] += 1
    assert max(per_day.values()) <= 6
    assert min(per_day.values()) == 0


def test_a_day_does_not_depend_on_the_period_when_the_floor_is_far():
    rich = Decimal(10**9)
    whole = generate_history(DRIFT, "DKK", rich, D(2025, 1, 1), D(2025, 6, 30))
    part = generate_history(DRIFT, "DKK", rich, D(2025, 4, 1), D(2025, 5, 31))
    assert part == [e for e in whole if D(2025, 4, 1) <= e.booking <= D(2025, 5, 31)]


def test_incoming_and_outgoing_details():
    entries = drift(D(2025, 1, 1), D(2025, 12, 31))
    incoming_transfers = [e for e in entries if e.kind in ("Transfer", "FIK") and e.amount > 0]
    assert any(e.value < e.booking for e in incoming_transfers)
    assert all(e.debtor_text and e.counterparty_account for e in incoming_transfers)
    assert any(re.fullmatch(r"Faktura \d+ .+", e.text) for e in incoming_transfers)
    for fik in (e for e in entries if e.kind == "FIK"):
        ocr = re.fullmatch(r"FIK \+71 (\d{15})", fik.text).group(1)
        assert sum(int(c) * (2 - i % 2) // 10 + int(c) * (2 - i % 2) % 10
                   for i, c in enumerate(reversed(ocr), start=1)) % 10 == 0
    cards = [e.text for e in entries if e.kind == "Card"]
    assert any(re.fullmatch(r"Dankort-nota .+ \d{4}", text) for text in cards)
    assert any(e.text == "Moms 1. kvt. 2025 SKAT" and e.counterparty_name == "Skattestyrelsen"
               for e in entries)
    assert any("ø" in e.text or "æ" in e.text or "å" in e.text for e in entries)


def check_entry(entry: HistoryEntry) -> None:
    assert entry.kind in KINDS
    assert entry.amount != 0
    assert entry.amount.as_tuple().exponent == -2
    assert 0 < len(entry.text) <= 35
    for text in (entry.creditor_text, entry.debtor_text):
        assert text is None or 0 < len(text) <= 35
    assert entry.transaction_codes in CODES[entry.kind, direction(entry)]
    assert is_bank_day(entry.value) and entry.value <= entry.booking
    if entry.value != entry.booking:
        assert entry.amount > 0 and entry.kind in ("Transfer", "FIK")
        assert entry.value == previous_bank_day(entry.booking - dt.timedelta(days=1))
    outgoing_transfer = entry.kind in ("Transfer", "Salary") and entry.amount < 0
    if outgoing_transfer:
        assert entry.creditor_text
        assert re.fullmatch(r"[0-9A-F]{32}", entry.end_to_end_id)
    else:
        assert entry.end_to_end_id is None
    if entry.amount > 0 and entry.kind != "Interest":
        assert entry.debtor_text and entry.creditor_text is None
    if entry.counterparty_account is not None:
        assert re.fullmatch(r"\d{14}|[A-Z]{2}\d{2}[A-Z0-9]{11,30}", entry.counterparty_account)


@settings(max_examples=60, deadline=None)
@given(accounts, currencies, openings, starts, lengths)
def test_generated_entries_are_well_formed(account, currency, opening, start, length):
    end = start + dt.timedelta(days=length)
    entries = generate_history(account, currency, opening, start, end)
    assert entries == generate_history(account, currency, opening, start, end)
    for entry in entries:
        check_entry(entry)
        assert start <= entry.booking <= end and is_bank_day(entry.booking)
    assert len({entry.entry_id for entry in entries}) == len(entries)
    assert [e.booking for e in entries] == sorted(e.booking for e in entries)


@settings(max_examples=60, deadline=None)
@given(accounts, currencies, openings, starts, st.integers(min_value=30, max_value=400))
def test_running_balance_never_crosses_the_floor(account, currency, opening, start, length):
    entries = generate_history(account, currency, opening, start, start + dt.timedelta(days=length))
    floor = balance_floor(opening, currency)
    assert floor <= opening
    assert all(balance >= floor for balance in running_balances(opening, entries))


def test_floor_is_half_the_opening_or_10000_dkk():
    assert balance_floor(Decimal("184350.25"), "DKK") == Decimal("-92175.13")
    assert balance_floor(Decimal("5000"), "DKK") == Decimal("-10000.00")
    assert balance_floor(Decimal("1000"), "EUR") == Decimal("-1340.41")  # 10,000 DKK at the bank's 7.4604
    assert balance_floor(Decimal("-50000"), "DKK") == Decimal("-50000")


def test_a_poor_account_shrinks_or_skips_payments_at_the_floor():
    opening = Decimal("500.00")
    entries = generate_history(DRIFT, "DKK", opening, D(2025, 1, 1), D(2025, 12, 31))
    balances = running_balances(opening, entries)
    assert min(balances) >= balance_floor(opening, "DKK")
    assert min(balances) < Decimal("-9000")  # it did go down to the floor


@pytest.mark.parametrize("account", DEMO["accounts"], ids=lambda a: a["integrationCode"])
def test_demo_accounts_have_valid_histories(account):
    opening = Decimal(str(account["openingBalance"]))
    end = D(2026, 3, 15)
    start = end - dt.timedelta(days=account.get("historyDays", 90) - 1)
    entries = generate_history(account["account"], account["currency"], opening, start, end)
    assert len(entries) > 30
    for entry in entries:
        check_entry(entry)
    assert min(running_balances(opening, entries)) >= balance_floor(opening, account["currency"])


def test_demo_fixture_shape():
    assert {erp["serviceProvider"] for erp in DEMO["erps"]} == {"MockERP", "OtherERP"}
    for erp in DEMO["erps"]:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                            erp["apiKey"])
    mock = [a for a in DEMO["accounts"] if a["serviceProvider"] == "MockERP"]
    assert {a["currency"] for a in mock} == {"DKK", "EUR"} and len(mock) >= 3
    assert any(set("æøåÆØÅ") & set(a["integrationCode"]) for a in DEMO["accounts"])
    for account in DEMO["accounts"]:
        assert re.fullmatch(r"\d{14}", account["account"])
        assert "entries" not in account
        owner = account["owner"]
        assert re.fullmatch(r"\d{8}", owner["id"]) and owner["country"] == "DK"
        weights = (2, 7, 6, 5, 4, 3, 2, 1)
        assert sum(int(c) * w for c, w in zip(owner["id"], weights)) % 11 == 0  # CVR modulus 11
