"""The API's JSON from the bank's typed values (:mod:`mockbank.models`): answers, statements, balances.

Amounts stay ``Decimal`` (written as JSON numbers by :mod:`mockbank.jsonnumbers`); times are written as the
real service writes them (Danish local time with its offset).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from mockbank import clock
from mockbank.models import (Account, BalanceReport, Entry, Payment, PaymentAnswers, PaymentStatus, Statement,
                             UnknownPayment)

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_OPTIONAL_ENTRY_FIELDS = ("creditorText", "creditorMessage", "debtorText", "debtorMessage", "endToEndId", "creditor",
                          "debtor", "creditorAccount", "debtorAccount", "instructedCurrency", "instructedAmount",
                          "exchangeRate")


# --------------------------------------------------------------------------- payments


def payment_answers(answers: PaymentAnswers) -> dict[str, Any]:
    """``/payment``, ``/status``, ``/payment/<transId>``, ``/payment/cancel``."""
    return {"account": answers.account, "requestId": answers.request_id, "time": clock.local_iso(answers.time),
            "answers": [answer(item) for item in answers.answers]}


def answer(item: Payment | UnknownPayment) -> dict[str, Any]:
    """One payment's answer (spec §4.3), or NotFound (64) for an id the account does not have."""
    if isinstance(item, UnknownPayment):
        unknown: dict[str, Any] = {"transId": item.trans_id} if item.payment_id is None else \
            {"paymentId": item.payment_id}
        return {**unknown, "status": int(PaymentStatus.NOT_FOUND), "errors": [{"code": "NOTFOUND", "text": item.message}]}
    body: dict[str, Any] = {"transId": item.trans_id, "paymentId": item.payment_id, "endToEndId": item.end_to_end_id,
                            "status": int(item.status)}
    info: dict[str, Any] = {}  # only what is valid: a Failed (32) payment may have sent anything
    text = item.transaction.get("text")
    if isinstance(text, str) and text:
        info["text"] = text
    if item.amount is not None and _is_currency_code(item.currency):
        info["instructed"] = {"amount": item.amount, "currency": item.currency}
    if item.transacted and item.status == PaymentStatus.SUCCEEDED:
        info["transacted"] = {"amount": item.transacted[0], "currency": item.transacted[1]}
    if info:
        body["info"] = info
    if item.errors:
        body["errors"] = item.errors
    if item.warnings:
        body["warnings"] = item.warnings
    return body


def _is_currency_code(value: Any) -> bool:
    return isinstance(value, str) and _CURRENCY_CODE.fullmatch(value) is not None


def payment_description(payment: Payment, mode: str) -> dict[str, Any]:
    """A payment as ``GET /_mock/payments`` shows it: ids, status, path, history, progression mode."""
    return {"account": payment.account, "paymentId": payment.payment_id, "transId": payment.trans_id,
            "endToEndId": payment.end_to_end_id, "requestId": payment.request_id, "status": int(payment.status),
            "paymentDate": payment.payment_date.isoformat() if payment.payment_date else None,
            "amount": None if payment.amount is None else str(payment.amount), "currency": payment.currency,
            "magic": payment.outcome.magic, "path": [int(status) for status in payment.outcome.path],
            "step": payment.step, "progression": mode, "errors": payment.errors, "warnings": payment.warnings,
            "history": payment.history, "bookedEntry": payment.booked_seq, "transaction": payment.transaction}


# --------------------------------------------------------------------------- reports


def _report_header(account: Account, request_id: str, created) -> dict[str, Any]:
    header = {"account": account.account, "requestId": request_id, "created": clock.local_iso(created),
              "currency": account.currency, "name": account.name, "bic": account.bic}
    if account.owner:
        header["owner"] = account.owner
    return header


def statement(report: Statement) -> dict[str, Any]:
    """``/report/account`` in the Simple or Full format (spec §5.4, §5.5)."""
    render = full_entry if report.full else simple_entry
    body = _report_header(report.account, report.request_id, report.created)
    body.update({"from": f"{report.start.isoformat()}T00:00:00", "to": f"{report.end.isoformat()}T00:00:00",
                 "entries": [render(entry, balance, report.account.currency) for entry, balance in report.entries]})
    return body


def balance_report(report: BalanceReport) -> dict[str, Any]:
    """``/report/balance``: opening (1) and closing (2) balances per bank day."""
    body = _report_header(report.account, report.request_id, report.created)
    body.pop("owner", None)
    body.update({"from": report.start.isoformat(), "to": report.end.isoformat(),
                 "entries": [{"date": item.date.isoformat(), "amount": item.amount, "type": item.type}
                             for item in report.balances]})
    return body


def _common_entry(entry: Entry) -> dict[str, Any]:
    details = entry.details
    body = {"id": entry.entry_id, "sequence": entry.sequence,
            "date": {"booking": f"{entry.booking.isoformat()}T00:00:00", "value": f"{entry.value.isoformat()}T00:00:00"},
            "type": details.get("type") or "Transfer", "text": details.get("text") or ""}
    codes = details.get("transactionCodes")
    if codes:
        body["transactionCodes"] = {"domain": codes[0], "family": codes[1], "subFamily": codes[2]}
    for key in _OPTIONAL_ENTRY_FIELDS:
        if details.get(key) not in (None, ""):
            value = details[key]
            body[key] = Decimal(value) if key in ("instructedAmount", "exchangeRate") else value
    return body


def simple_entry(entry: Entry, balance: Decimal, currency: str) -> dict[str, Any]:
    """An entry in the Simple format, with the running balance after it."""
    body = _common_entry(entry)
    body["amount"] = entry.amount
    body["balance"] = balance
    return body


def full_entry(entry: Entry, balance: Decimal, currency: str) -> dict[str, Any]:
    """An entry in the Full format: amounts in ``amounts``, advice lines in ``advis``."""
    body = _common_entry(entry)
    body["amounts"] = {"amount": entry.amount, "balance": balance, "currency": currency}
    body["advis"] = entry.details.get("advis") or []
    return body
