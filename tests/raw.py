"""Signed raw HTTP requests to an emulator, for tests that look at the wire rather than a client."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import requests

from mockbank import signing


def signed_headers(credentials: signing.Credentials, request_id: str, transactions=None,
                   time: datetime | None = None) -> dict[str, str]:
    signed = signing.sign(credentials, request_id, time=time or datetime.now(timezone.utc),
                          transactions=transactions)
    return {"Authorization": signed.header, "Content-Type": "application/json"}


def post(emulator, path: str, body: dict[str, Any], account: int = 0, **options) -> requests.Response:
    """POST a JSON body signed for one demo account (per transaction for /payment)."""
    credentials = emulator.credentials[account]
    transactions = body.get("transactions") if path == "/payment" else None
    headers = signed_headers(credentials, str(body.get("requestId")), transactions, options.pop("time", None))
    headers.update(options.pop("headers", {}))
    return requests.post(emulator.url + path, data=json.dumps(body, ensure_ascii=False).encode(), headers=headers,
                         timeout=options.pop("timeout", 10), **options)


def get(emulator, path: str, query: dict[str, Any] | list[tuple[str, str]], account: int = 0,
        **options) -> requests.Response:
    """GET with a query signed for one demo account."""
    credentials = emulator.credentials[account]
    request_id = dict(query)["requestId"] if not isinstance(query, dict) else query["requestId"]
    headers = signed_headers(credentials, request_id, None, options.pop("time", None))
    return requests.get(emulator.url + path, params=query, headers=headers, timeout=options.pop("timeout", 10),
                        **options)


def transaction(payment_id: str, amount: Any = "100.00", account: str = "80790000820049", day: str | None = None,
                **extra: Any) -> dict[str, Any]:
    """A valid transaction (DKK, creditor named), dated ``day`` (default: filled in by the caller)."""
    return {"paymentId": payment_id, "paymentDate": day, "amount": amount, "currency": extra.pop("currency", "DKK"),
            "account": account, "creditor": {"name": extra.pop("name", "Leverandør A/S")}, **extra}
