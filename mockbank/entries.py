"""Statement entries: what is stored for each (from the generated history, a fixture or a booked
payment) and how it is shown in the two statement formats, Simple and Full (spec §5.4, §5.5)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from mockbank import history

CENT = Decimal("0.01")


def from_cents(cents: int) -> Decimal:
    """Integer minor units as an amount with two decimals."""
    return (Decimal(cents) / 100).quantize(CENT)


def history_entry_data(entry: history.HistoryEntry) -> dict[str, Any]:
    """What is stored for a generated history entry."""
    outgoing = entry.amount < 0
    party = {"id": "", "name": entry.counterparty_name or ""}
    data = {"type": entry.kind, "text": entry.text, "creditorText": entry.creditor_text,
            "creditorMessage": entry.creditor_message, "debtorText": entry.debtor_text,
            "debtorMessage": entry.debtor_message, "endToEndId": entry.end_to_end_id,
            "transactionCodes": list(entry.transaction_codes),
            "advis": [line for line in (entry.creditor_message, entry.debtor_message) if line]}
    if entry.counterparty_name:
        data["creditor" if outgoing else "debtor"] = party
    if entry.counterparty_account:
        data["creditorAccount" if outgoing else "debtorAccount"] = entry.counterparty_account
    return data


def fixture_entry_data(entry: dict[str, Any]) -> dict[str, Any]:
    """What is stored for an entry given in a fixture file."""
    amount = Decimal(str(entry["amount"]))
    party = entry.get("counterparty") or {}
    data = {key: entry.get(key) for key in ("text", "type", "creditorText", "debtorText", "creditorMessage",
                                            "debtorMessage")}
    data["type"] = data["type"] or "Transfer"
    data["advis"] = [line for line in (entry.get("creditorMessage"), entry.get("debtorMessage")) if line]
    if party.get("name"):
        data["creditor" if amount < 0 else "debtor"] = {"id": "", "name": party["name"]}
    if party.get("account"):
        data["creditorAccount" if amount < 0 else "debtorAccount"] = party["account"]
    return data


_OPTIONAL_ENTRY_FIELDS = ("creditorText", "creditorMessage", "debtorText", "debtorMessage", "endToEndId", "creditor",
                          "debtor", "creditorAccount", "debtorAccount", "instructedCurrency", "instructedAmount",
                          "exchangeRate")


def _common_entry(row, data: dict[str, Any]) -> dict[str, Any]:
    entry = {"id": row["entry_id"], "sequence": row["seq"],
             "date": {"booking": f"{row['booking']}T00:00:00", "value": f"{row['value']}T00:00:00"},
             "type": data.get("type") or "Transfer", "text": data.get("text") or ""}
    codes = data.get("transactionCodes")
    if codes:
        entry["transactionCodes"] = {"domain": codes[0], "family": codes[1], "subFamily": codes[2]}
    for key in _OPTIONAL_ENTRY_FIELDS:
        if data.get(key) not in (None, ""):
            value = data[key]
            entry[key] = Decimal(value) if key in ("instructedAmount", "exchangeRate") else value
    return entry


def simple_entry(row, balance: int, currency: str) -> dict[str, Any]:
    """A stored entry in the Simple format, with the running balance after it."""
    data = json.loads(row["data"])
    entry = _common_entry(row, data)
    entry["amount"] = from_cents(row["amount_cents"])
    entry["balance"] = from_cents(balance)
    return entry


def full_entry(row, balance: int, currency: str) -> dict[str, Any]:
    """A stored entry in the Full format: amounts in ``amounts``, advice lines in ``advis``."""
    data = json.loads(row["data"])
    entry = _common_entry(row, data)
    entry["amounts"] = {"amount": from_cents(row["amount_cents"]), "balance": from_cents(balance), "currency": currency}
    entry["advis"] = data.get("advis") or []
    return entry
