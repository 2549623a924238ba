"""Statement entries: what is stored for each, from the generated history, a fixture or a booked payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mockbank import history
from mockbank.models import Payment


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


def payment_entry_data(payment: Payment, booked: Decimal) -> dict[str, Any]:
    """What is stored for a booked payment; ``booked`` is its amount in the account's currency."""
    transaction = payment.transaction
    creditor = transaction.get("creditor") or {}
    lines = transaction.get("creditorMessage") or []
    data = {
        "type": "Transfer", "text": (transaction.get("text") or f"Overførsel {creditor.get('name', '')}".strip())[:35],
        "creditorText": transaction.get("creditorText"), "creditorMessage": " ".join(lines) or None,
        "advis": list(lines), "endToEndId": payment.end_to_end_id, "paymentId": payment.payment_id,
        "transactionCodes": ["PMNT", "ICDT", "ESCT" if payment.currency == "EUR" else "DMCT"],
        "creditor": {"id": "", "name": creditor.get("name", "")}, "creditorAccount": transaction.get("account"),
    }
    if payment.currency != payment.account_currency:
        data.update(instructedCurrency=payment.currency, instructedAmount=str(payment.amount),
                    exchangeRate=str((booked / payment.amount).quantize(Decimal("0.000001"))))
    return data
