"""Dashboard page loads on a full bank: 10,000 journal entries and 5,000 payments (issue 12).

    python bench/dashboard_pages.py

Fills an in-memory bank through its store (payments through the bank, so they are real), serves it on a
free port and times each page over HTTP: the median of 5 loads, in milliseconds.
"""

from __future__ import annotations

import statistics
import time
from decimal import Decimal

import requests

from mockbank.testing import Emulator

JOURNAL = 10_000
PAYMENTS = 5_000
NOW = "2026-11-24T10:00:00"


def fill(emulator: Emulator) -> None:
    bank = emulator.bank
    account = emulator.credentials[0].account
    for start in range(0, PAYMENTS, 100):
        bank.pay(account, f"BENCH_{start}", [
            {"paymentId": f"P{n:05d}", "paymentDate": NOW[:10], "amount": Decimal("1.00"), "currency": "DKK",
             "account": "30000000001234", "creditor": {"name": "Bench"}} for n in range(start, start + 100)], None, {})
    entry = {"time": NOW + "Z", "bankTime": NOW + "Z", "method": "POST", "path": "/payment", "query": {},
             "headers": {"Authorization": "Basic e30=", "Content-Type": "application/json"},
             "body": {"requestId": "R", "transactions": [{"paymentId": "P", "amount": 1}]}, "status": 401,
             "dropped": False, "response": {"error": "unauthorized"},
             "verdict": {"ok": False, "cause": "key-byte-order", "message": "m", "hint": "h"}, "durationMs": 1.0}
    with bank.store.transaction():
        for n in range(JOURNAL):
            bank.store.journal_append({**entry, "status": 401 if n % 10 == 0 else 200,
                                       "path": "/payment" if n % 10 == 0 else "/status"}, keep=JOURNAL)


def main() -> None:
    with Emulator(clock=NOW, frozen_clock=True, progression="manual") as emulator:
        fill(emulator)
        account = emulator.credentials[0].account
        trans_id = requests.get(f"{emulator.url}/_mock/payments").json()[-1]["transId"]
        newest = requests.get(f"{emulator.url}/_mock/requests", params={"since": 0, "limit": 1}).json()[0]["id"]
        pages = ["/_mock/ui/", "/_mock/ui/?status=401", "/_mock/ui/?cause=token-case", f"/_mock/ui/requests/{newest}",
                 "/_mock/ui/payments", "/_mock/ui/payments?page=100", "/_mock/ui/payments?status=1",
                 f"/_mock/ui/payments/{trans_id}", "/_mock/ui/accounts", f"/_mock/ui/accounts/{account}",
                 "/_mock/ui/clock", "/_mock/ui/magic"]
        print(f"{JOURNAL} journal entries, {PAYMENTS} payments; median of 5 loads")
        for page in pages:
            times = []
            for _ in range(5):
                started = time.perf_counter()
                answer = requests.get(emulator.url + page, timeout=60)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (page, answer.status_code)
            print(f"{statistics.median(times):8.1f} ms  {len(answer.content) / 1024:6.1f} KiB  {page}")


if __name__ == "__main__":
    main()
