"""The reference adapter's write-back: a result the client parsed, written back as the API's JSON.

The adapter protocol reports what the client understood with the API's field names (the ``result``
of a reply). Each value is written over the JSON object it was parsed from (the model's ``raw``):
keys the client does not know are kept as received and in their place, a field the client read as
absent stays absent (or null, when it was received as null), and a timestamp keeps its received
spelling while it still denotes the parsed value.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mockbank.client import wire
from mockbank.client.models import (Answer, Balance, BalanceEntry, Message, Money, PaymentsResult, Statement,
                                    StatementEntry)


def result_json(result: PaymentsResult | Statement | Balance) -> dict[str, Any]:
    """The adapter protocol's ``result`` for any result of the client."""
    if isinstance(result, PaymentsResult):
        return payments_json(result)
    if isinstance(result, Statement):
        return statement_json(result)
    if isinstance(result, Balance):
        return balance_json(result)
    raise TypeError(f"not a result of the client: {type(result).__name__}")


def payments_json(result: PaymentsResult) -> dict[str, Any]:
    """The answer of ``/payment``, ``/status``, ``/payment/{transId}`` or ``/payment/cancel``."""
    return _write(result.raw, {"account": result.account, "requestId": result.request_id,
                               "time": _offset_text(result.raw.get("time"), result.time),
                               "answers": [_answer(answer) for answer in result.answers]})


def statement_json(statement: Statement) -> dict[str, Any]:
    """The statement, its entries in the shape (Simple or Full) they were received in."""
    return _write(statement.raw, {
        **_header(statement),
        "owner": copy.deepcopy(statement.owner),
        "from": _local_text(statement.from_), "to": _local_text(statement.to),
        "entries": [_statement_entry(entry) for entry in statement.entries],
    })


def balance_json(balance: Balance) -> dict[str, Any]:
    """The balance report."""
    return _write(balance.raw, {
        **_header(balance),
        "from": balance.from_.isoformat(), "to": balance.to.isoformat(),
        "entries": [_balance_entry(entry) for entry in balance.entries],
    })


def _header(report: Statement | Balance) -> dict[str, Any]:
    """The fields of the report header both kinds of report share."""
    return {"account": report.account, "requestId": report.request_id,
            "created": _offset_text(report.raw.get("created"), report.created),
            "currency": report.currency, "name": report.name, "bic": report.bic}


def _answer(answer: Answer) -> dict[str, Any]:
    received_info = answer.raw.get("info")
    raw_info = received_info if isinstance(received_info, dict) else {}
    info = _write(raw_info, {"text": answer.text,
                             "instructed": _money(raw_info.get("instructed"), answer.instructed),
                             "transacted": _money(raw_info.get("transacted"), answer.transacted)})
    return _write(answer.raw, {
        "transId": answer.trans_id,
        "paymentId": answer.payment_id,
        "endToEndId": answer.end_to_end_id,
        "status": int(answer.status),
        "info": info if info or isinstance(received_info, dict) else None,
        "errors": _messages(answer.raw, "errors", answer.errors),
        "warnings": _messages(answer.raw, "warnings", answer.warnings),
    })


def _money(received: Any, money: Money | None) -> dict[str, Any] | None:
    if money is None:
        return None
    return _write(received if isinstance(received, dict) else {},
                  {"amount": money.amount, "currency": money.currency})


def _messages(raw: Mapping[str, Any], key: str, messages: tuple[Message, ...]) -> list[Any] | None:
    if not messages and not isinstance(raw.get(key), list):
        return None
    return [_write(message.raw, {"code": message.code, "text": message.text}) for message in messages]


def _statement_entry(entry: StatementEntry) -> dict[str, Any]:
    received_date = entry.raw.get("date")
    fields: dict[str, Any] = {
        "id": entry.id,
        "sequence": entry.sequence,
        "date": _write(received_date if isinstance(received_date, dict) else {},
                       {"booking": _local_text(entry.booking),
                        "value": None if entry.value is None else _local_text(entry.value)}),
        "type": entry.type, "text": entry.text,
        "creditorText": entry.creditor_text, "creditorMessage": entry.creditor_message,
        "debtorText": entry.debtor_text, "debtorMessage": entry.debtor_message,
        "endToEndId": entry.end_to_end_id,
        "advis": list(entry.advice) if entry.advice or isinstance(entry.raw.get("advis"), list) else None,
    }
    amounts = entry.raw.get("amounts")
    if isinstance(amounts, dict):
        fields["amounts"] = _write(amounts, {"amount": entry.amount, "balance": entry.balance})
    else:
        fields.update(amount=entry.amount, balance=entry.balance)
    return _write(entry.raw, fields)


def _balance_entry(entry: BalanceEntry) -> dict[str, Any]:
    return _write(entry.raw, {"date": entry.date.isoformat(), "amount": entry.amount, "type": entry.type})


def _write(raw: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` written over the received object ``raw``.

    Keys of ``raw`` that are not fields are kept as received (in their place); a field whose value
    is None is left out, unless ``raw`` had it as null.
    """
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            out[key] = copy.deepcopy(value)
        elif fields[key] is not None or value is None:
            out[key] = fields[key]
    for key, value in fields.items():
        if key not in raw and value is not None:
            out[key] = value
    return out


def _offset_text(received: Any, value: datetime) -> str:
    """The received spelling of a timestamp when it still denotes ``value``, else ISO 8601."""
    if isinstance(received, str):
        try:
            parsed = wire.offset_time(received, "")
        except wire.FieldError:
            parsed = None
        if parsed is not None and parsed == value and parsed.utcoffset() == value.utcoffset():
            return received
    return _local_text(value)


def _local_text(value: datetime) -> str:
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
