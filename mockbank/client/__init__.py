"""The reference Python client for the BankIntegration REST API, built on ``requests``.

Every request is signed with :func:`mockbank.signing.sign`; every answer is checked and parsed
into frozen, typed results. Amounts are :class:`decimal.Decimal` both ways, exactly::

    from mockbank.client import BankIntegrationClient
    from mockbank.signing import Credentials

    creds = Credentials("MyERP", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "52470021527478", "TestKode123")
    with BankIntegrationClient("http://127.0.0.1:8080", creds) as bank:
        result = bank.pay([{"paymentId": "PAY_01", "paymentDate": "2015-04-15", "amount": Decimal("154.00"),
                            "currency": "DKK", "account": "80790000820049",
                            "creditor": {"name": "BankIntegration ApS"}}])
        final = bank.wait_for_final([a.payment_id for a in result.answers])

Failures are raised as :class:`BankIntegrationError` subclasses whose ``kind`` is one of
``unauthorized``, ``bad-request``, ``server-error``, ``timeout``, ``connection`` and
``invalid-response``; no ``requests`` or ``json`` exception escapes.

The client never retries on its own. Whether a failed request may be repeated is the caller's
decision: a ``POST /payment`` that timed out or lost its connection may or may not have reached
the bank, and repeating it is only safe with the *same* paymentIds (so the duplicate check stops a
second execution). Only the caller knows those ids and whether to re-check ``/status`` first.

The API key and the integration code are never logged and never appear in messages or reprs.

The package is split like ``requests``: :mod:`~mockbank.client.models` (the parsed results),
:mod:`~mockbank.client.exceptions`, :mod:`~mockbank.client.session` (the client: requests, signing,
timeouts) and :mod:`~mockbank.client.wire` (answers read and checked into models).
"""

from __future__ import annotations

from mockbank.client.exceptions import (BadRequest, BankIntegrationError, ConnectionFailed, InvalidResponse,
                                        ServerError, Timeout, Unauthorized)
from mockbank.client.models import (Answer, Balance, BalanceEntry, Message, Money, PaymentsResult, PaymentStatus,
                                    Statement, StatementEntry)
from mockbank.client.session import BankIntegrationClient

__all__ = [
    "Answer", "Balance", "BalanceEntry", "BankIntegrationClient", "BankIntegrationError", "BadRequest",
    "ConnectionFailed", "InvalidResponse", "Message", "Money", "PaymentStatus", "PaymentsResult",
    "ServerError", "Statement", "StatementEntry", "Timeout", "Unauthorized",
]
