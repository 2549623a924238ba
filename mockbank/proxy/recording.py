"""Recordings: every exchange through the proxy as one anonymised JSON line, and fixtures made from them.

A line: ``{"time", "method", "path", "query", "requestHeaders", "requestBody", "status", "reason",
"answeredBy": "upstream" | "proxy" (its own 502/504), "responseHeaders", "responseBody",
"verdict": {"ok", "cause"?}}``, with personal values replaced by
:class:`~mockbank.proxy.anonymise.Anonymiser` and the Authorization header dropped. Bodies that are not
JSON are not written (only their size).
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from mockbank.jsonnumbers import decimal_to_json
from mockbank.proxy.anonymise import Anonymiser

STATEMENT_PATH = "/report/account"
BALANCE_PATH = "/report/balance"
RECORDED_ERP = "RecordedERP"
_ENTRY_TEXTS = ("text", "type", "creditorText", "debtorText", "creditorMessage", "debtorMessage")


class RecordingError(ValueError):
    """A recording that cannot be read or turned into fixtures; the message names the file and line."""


class Recorder:
    """Appends anonymised exchanges to a JSON-lines file (created afresh)."""

    def __init__(self, path: str | Path, anonymiser: Anonymiser):
        self.path = Path(path)
        self.anonymiser = anonymiser
        try:
            self._file: TextIO = self.path.open("w", encoding="utf-8")
        except OSError as error:
            raise RecordingError(f"{path}: cannot write the recording: {error.strerror}") from None
        self._lock = threading.Lock()

    def write(self, *, time: str, method: str, path: str, query: dict[str, Any], request_headers: dict[str, str],
              request_body: Any, status: int | None, reason: str, answered_by: str, response_headers: dict[str, str],
              response_body: Any, verdict: dict[str, Any]) -> None:
        hide = self.anonymiser
        line = {"time": time, "method": method, "path": path, "query": hide.query(query),
                "requestHeaders": hide.headers(request_headers), "requestBody": hide.json(request_body),
                "status": status, "reason": reason, "answeredBy": answered_by, "responseHeaders": hide.headers(response_headers),
                "responseBody": hide.json(response_body),
                "verdict": {key: verdict[key] for key in ("ok", "cause") if key in verdict}}
        text = json.dumps(line, ensure_ascii=False, default=decimal_to_json)
        with self._lock:
            self._file.write(text + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read(path: str | Path) -> Iterator[dict[str, Any]]:
    """The exchanges of a recording, in order; RecordingError naming the line that is not one."""
    try:
        handle = Path(path).open("rb")
    except OSError as error:
        raise RecordingError(f"{path}: cannot read the recording: {error.strerror}") from None
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw.decode("utf-8"), parse_float=Decimal)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise RecordingError(f"{path} line {number}: not JSON ({error}); is this a mockbank proxy "
                                     "--record file?") from None
            if not isinstance(line, dict) or not {"method", "path", "status"} <= line.keys():
                raise RecordingError(f"{path} line {number}: not a recorded exchange (method, path and status "
                                     "are required)")
            yield line


def fixture_from_recording(path: str | Path) -> dict[str, Any]:
    """A fixture document whose accounts replay the recorded statements (and know the recorded balances' accounts).

    Every account seen in a successful statement or balance answer becomes an account of one ERP,
    ``RecordedERP``, with a fresh API key and integration code; its entries are the recorded statement
    entries (each once, oldest first) and its opening balance the balance before the oldest of them.
    """
    accounts: dict[str, dict[str, Any]] = {}
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    opening: dict[str, tuple[str, Decimal]] = {}
    for exchange in read(path):
        body = exchange.get("responseBody")
        route = str(exchange["path"]).rstrip("/")
        if exchange["status"] != 200 or not isinstance(body, dict) or route not in (STATEMENT_PATH, BALANCE_PATH):
            continue
        number = body.get("account")
        if not isinstance(number, str) or not number.isdigit() or len(number) != 14:
            continue
        account = accounts.setdefault(number, _account(number, body))
        for key in ("name", "bic", "owner"):
            if key in body and key not in account:
                account[key] = body[key]
        if route == STATEMENT_PATH:
            for item in body.get("entries") or []:
                entry = _entry(item)
                if entry is not None:
                    entries.setdefault(number, {})[entry["id"]] = entry
                    before = _balance_before(item)
                    if before is not None and (number not in opening or entry["booking"] < opening[number][0]):
                        opening[number] = (entry["booking"], before)
    if not accounts:
        raise RecordingError(f"{path}: no successful /report/account or /report/balance answer to make accounts "
                             "from; record a statement request through the proxy first")
    for number, account in accounts.items():
        # oldest first; within a day in the order the bank listed them (a stable sort keeps it)
        account["entries"] = sorted(entries.get(number, {}).values(), key=lambda entry: entry["booking"])
        if number in opening:
            account["openingBalance"] = opening[number][1]
    return {"description": f"Made by mockbank fixtures-from-recording from {Path(path).name}: anonymised "
                           "accounts replaying the recorded statements.",
            "erps": [{"serviceProvider": RECORDED_ERP, "apiKey": str(uuid.uuid4())}],
            "accounts": list(accounts.values())}


def _account(number: str, body: dict[str, Any]) -> dict[str, Any]:
    currency = body.get("currency")
    return {"account": number, "integrationCode": f"Recorded-{secrets.token_hex(6)}", "serviceProvider": RECORDED_ERP,
            "currency": currency if isinstance(currency, str) else "DKK"}


def _entry(item: Any) -> dict[str, Any] | None:
    """A fixture entry from a recorded Simple or Full statement entry; None if it has no date or amount."""
    if not isinstance(item, dict):
        return None
    dates = item.get("date") if isinstance(item.get("date"), dict) else {}
    amounts = item.get("amounts") if isinstance(item.get("amounts"), dict) else {}
    amount = item.get("amount", amounts.get("amount"))
    booking = str(dates.get("booking") or "")[:10]
    if not booking or not isinstance(amount, (int, Decimal)) or isinstance(amount, bool):
        return None
    entry: dict[str, Any] = {"id": str(item.get("id") or f"{booking}-{item.get('sequence', '')}"),
                             "booking": booking, "value": str(dates.get("value") or booking)[:10], "amount": amount}
    for key in _ENTRY_TEXTS:
        if isinstance(item.get(key), str) and item[key]:
            entry[key] = item[key]
    outgoing = amount < 0
    party = item.get("creditor" if outgoing else "debtor")
    party_account = item.get("creditorAccount" if outgoing else "debtorAccount")
    counterparty = {}
    if isinstance(party, dict) and isinstance(party.get("name"), str) and party["name"]:
        counterparty["name"] = party["name"]
    if isinstance(party_account, str) and party_account:
        counterparty["account"] = party_account
    if counterparty:
        entry["counterparty"] = counterparty
    return entry


def _balance_before(item: dict[str, Any]) -> Decimal | None:
    amounts = item.get("amounts") if isinstance(item.get("amounts"), dict) else {}
    balance, amount = item.get("balance", amounts.get("balance")), item.get("amount", amounts.get("amount"))
    if isinstance(balance, (int, Decimal)) and isinstance(amount, (int, Decimal)) and not isinstance(balance, bool):
        return Decimal(balance) - Decimal(amount)
    return None
