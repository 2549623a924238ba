"""Statements and balances over real HTTP: formats, ranges, running balances, newOnly, consistency."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from conftest import BANK_TODAY
from raw import get, post, transaction

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def statement(emulator, account=0, method="GET", **params):
    params = {"requestId": "REQ_ST", **params}
    response = (get(emulator, "/report/account", params, account=account) if method == "GET"
                else post(emulator, "/report/account", params, account=account))
    assert response.status_code == 200, response.text
    return response.json()


def balance(emulator, account=0, method="GET", **params):
    params = {"requestId": "REQ_BA", **params}
    response = (get(emulator, "/report/balance", params, account=account) if method == "GET"
                else post(emulator, "/report/balance", params, account=account))
    assert response.status_code == 200, response.text
    return response.json()


def test_statement_defaults_to_today_with_the_documented_envelope(emulator):
    body = statement(emulator)
    assert body["from"] == body["to"] == f"{BANK_TODAY}T00:00:00"
    assert body["requestId"] == "REQ_ST" and body["currency"] == "DKK" and body["name"] == "Driftkonto"
    assert body["owner"]["country"] == "DK" and body["bic"] == "DABADKKK"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", body["created"])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_ninety_days_of_history_chain_their_balances(emulator, method):
    start = (date.fromisoformat(BANK_TODAY) - timedelta(days=89)).isoformat()
    body = statement(emulator, method=method, **{"from": start, "to": BANK_TODAY})
    entries = body["entries"]
    assert len(entries) > 60
    assert {e["type"] for e in entries} >= {"Transfer", "Card", "Fee", "Salary"}
    bookings = [e["date"]["booking"] for e in entries]
    assert bookings == sorted(bookings) and all(STAMP.fullmatch(b) for b in bookings)
    for previous, entry in zip(entries, entries[1:]):
        assert Decimal(str(previous["balance"])) + Decimal(str(entry["amount"])) == Decimal(str(entry["balance"]))
    first = entries[0]
    opening = Decimal("184350.25")  # the demo Driftkonto's openingBalance
    assert Decimal(str(first["balance"])) - Decimal(str(first["amount"])) == opening


def test_short_date_format_and_from_after_to(emulator):
    short = statement(emulator, **{"from": "261101", "to": "261124"})
    assert short["from"] == "2026-11-01T00:00:00"
    response = get(emulator, "/report/account", {"requestId": "R", "from": "2026-11-24", "to": "2026-11-01"})
    assert response.status_code == 400
    assert response.json()["details"][0]["pointer"] == "/from"
    response = get(emulator, "/report/account", {"requestId": "R", "from": "2026-13-01"})
    assert response.status_code == 400 and "from" in response.json()["message"]


def test_full_format_puts_amounts_in_an_object(emulator):
    body = statement(emulator, type="Full", **{"from": "2026-11-01", "to": BANK_TODAY})
    entry = body["entries"][0]
    assert set(entry["amounts"]) == {"amount", "balance", "currency"} and "balance" not in entry
    assert isinstance(entry["advis"], list)
    unknown = get(emulator, "/report/account", {"requestId": "R", "type": "Fancy"})
    assert unknown.status_code == 400


def pay_and_settle(emulator, payment_id, amount="1000.00", account=0, currency="DKK"):
    body = {"requestId": f"REQ_{payment_id}", "transactions": [
        transaction(payment_id, amount, day=BANK_TODAY, currency=currency, text="Faktura 77")]}
    assert post(emulator, "/payment", body, account=account).status_code == 200
    for _ in range(3):
        post(emulator, "/status", {"requestId": "S", "paymentIds": [payment_id]}, account=account)


def test_a_succeeded_payment_is_an_entry_on_its_booking_date(emulator):
    before = statement(emulator)["entries"]
    pay_and_settle(emulator, "PAY_ST")
    after = statement(emulator)["entries"]
    assert len(after) == len(before) + 1
    entry = after[-1]
    assert entry["amount"] == -1000.0 and entry["text"] == "Faktura 77"
    previous = Decimal(str(after[-2]["balance"])) if len(after) > 1 else None
    if previous is not None:
        assert previous - 1000 == Decimal(str(entry["balance"]))
    assert entry["date"]["booking"] == f"{BANK_TODAY}T00:00:00"


def test_a_payment_in_another_currency_is_booked_converted(emulator):
    pay_and_settle(emulator, "PAY_FX", "100.00", currency="EUR")
    entry = statement(emulator)["entries"][-1]
    assert entry["amount"] == -746.04 and entry["instructedCurrency"] == "EUR"
    answer = post(emulator, "/status", {"requestId": "S", "paymentIds": ["PAY_FX"]}).json()["answers"][0]
    assert answer["info"]["transacted"] == {"amount": 746.04, "currency": "DKK"}


def test_new_only_returns_each_entry_once_per_erp(emulator):
    first = statement(emulator, newOnly="true")["entries"]
    assert len(first) > 60
    assert statement(emulator, newOnly="true")["entries"] == []
    pay_and_settle(emulator, "PAY_NEW")
    fresh = statement(emulator, method="POST", newOnly=True)["entries"]
    assert [e["amount"] for e in fresh] == [-1000.0]
    assert fresh[0]["balance"] == statement(emulator)["entries"][-1]["balance"]


def test_statements_show_only_the_auth_account(emulator):
    pay_and_settle(emulator, "PAY_MINE", account=0)
    other = statement(emulator, account=1, **{"from": "2026-11-01", "to": BANK_TODAY})
    assert other["account"] == emulator.credentials[1].account
    assert all(e.get("paymentId") != "PAY_MINE" and e["id"] != "P00000001" for e in other["entries"])


def test_balances_open_and_close_each_bank_day_consistently_with_the_statement(emulator):
    body = balance(emulator, **{"from": "2026-11-16", "to": BANK_TODAY})
    assert body["from"] == "2026-11-16" and body["to"] == BANK_TODAY and "owner" not in body
    days = {}
    for entry in body["entries"]:
        days.setdefault(entry["date"], {})[entry["type"]] = Decimal(str(entry["amount"]))
    assert "2026-11-21" not in days and "2026-11-22" not in days  # a weekend
    assert days[BANK_TODAY].keys() == {1}  # today is not closed yet
    ordered = sorted(days)
    for previous, day in zip(ordered, ordered[1:]):
        assert days[previous][2] == days[day][1]  # closing carries into the next opening
    entries = statement(emulator, **{"from": "2026-11-23", "to": "2026-11-23"})["entries"]
    if entries:
        assert Decimal(str(entries[-1]["balance"])) == days["2026-11-23"][2]


@pytest.mark.parametrize("kind, types", [(1, {1}), (2, {2}), (3, {1, 2}), ("2", {2})])
def test_balance_types(emulator, kind, types):
    body = balance(emulator, method="POST" if isinstance(kind, int) else "GET", type=kind,
                   **{"from": "2026-11-16", "to": "2026-11-20"})
    assert {e["type"] for e in body["entries"]} == types


def test_a_closed_day_gets_its_closing_balance_when_the_clock_moves_on(emulator):
    assert {e["type"] for e in balance(emulator)["entries"]} == {1}
    emulator.advance_clock(24 * 3600)
    body = balance(emulator, **{"from": BANK_TODAY, "to": BANK_TODAY})
    assert {e["type"] for e in body["entries"]} == {1, 2}
