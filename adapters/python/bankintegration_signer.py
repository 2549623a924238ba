"""Sign BankIntegration requests: the whole algorithm in one file, Python standard library only.

Copy this file into your product. It has no dependencies and does not import mockbank.

    from bankintegration_signer import Credentials, authorization_header

    credentials = Credentials("MyERP", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "12345678901234", "Kode-1234")
    header = authorization_header(credentials, "REQ_0001")                    # status, reports, cancel, GET /payment
    header = authorization_header(credentials, "REQ_0002", transactions=[...])  # POST /payment: one hash each

Send the result as the ``Authorization`` header. The steps:

1. token     = lower-case hex SHA-256 of the UTF-8 bytes of the account's integration code;
2. key       = the API key GUID's 16 bytes in .NET ``Guid.ToByteArray()`` order
               (``uuid.UUID(api_key).bytes_le``: the first three groups byte-reversed);
3. payload   = ten components joined by '#':
               token#account#currency#requestId#paydate#amount#credacc#serviceProvider#payid#now
               (for a non-payment request currency, paydate, amount and credacc are empty and
               payid = requestId; for a payment there is one payload per transaction, payid = paymentId);
4. hash      = Base64 of HMAC-SHA256(key, UTF-8 payload);
5. auth JSON = {"serviceProvider", "account", "time", "requestId", "hash": [{"id", "hash"}, ...]},
               compact, in that key order; ``time`` is UTC ``yyyy-MM-ddTHH:mm:ss``, ``now`` the same
               instant as ``yyyyMMddHHmmss``;
6. header    = "Basic " + Base64 of the UTF-8 auth JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
_HEX = "[0-9a-fA-F]"
_DASHED_GUID = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
#: The .NET spellings of a GUID: D (dashed), N (32 digits), B ({D}) and P ((D)), any case.
_GUID = re.compile(rf"{_DASHED_GUID}|{_HEX}{{32}}|\{{{_DASHED_GUID}\}}|\({_DASHED_GUID}\)")
#: A numeric string as the API allows it for amounts ("154.00"): optional minus, dot, no grouping, no exponent.
_NUMERIC_STRING = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Credentials:
    """What the bank gave you: the ERP's name and API key, and per account its number and integration code."""

    service_provider: str
    api_key: str
    account: str
    integration_code: str


def integration_token(integration_code: str) -> str:
    """Step 1: lower-case hex SHA-256 of the integration code's UTF-8 bytes (æøå included)."""
    return hashlib.sha256(integration_code.encode("utf-8")).hexdigest()


def key_bytes(api_key: str) -> bytes:
    """Step 2: the GUID in .NET ``Guid.ToByteArray()`` byte order, NOT ``uuid.UUID(...).bytes``.

    The key is written in one of the .NET spellings D, N, {B} or (P), any case, blanks around allowed.
    """
    text = api_key.strip()
    if not _GUID.fullmatch(text):
        raise ValueError("the API key is not a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301 (D, N, B or P spelling)")
    return uuid.UUID(hex=text.strip("{}()").replace("-", "")).bytes_le


def format_amount(amount: Decimal | int | float | str) -> str:
    """Two decimals, '.' as the separator, no grouping: 154 -> "154.00", 1234.5 -> "1234.50", 2.675 -> "2.68".

    ``amount`` is a number or a numeric string such as "154.00"; a third decimal rounds half away from zero on
    the decimal value (a float by its shortest text: 2.675 is "2.675"). Never use the locale here: a Danish
    locale writes "1234,50" and the signature no longer matches. Raises ValueError for anything else.
    """
    if isinstance(amount, str) and not _NUMERIC_STRING.fullmatch(amount):
        raise ValueError(f"{amount[:40]!r} is not a decimal number such as 154.50")
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int, float, str)):
        raise ValueError(f"the amount must be a number, not {type(amount).__name__}")
    value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"{amount} is not a finite number")
    try:
        return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):f}"
    except InvalidOperation:  # more than 26 digits before the decimal point
        raise ValueError(f"{str(amount)[:40]} is too large for an amount (at most 26 digits before the point)") from None


def format_payment_date(payment_date: date | str) -> str:
    """The payment date as ``yyyyMMdd`` from a date or ``yyyy-MM-dd`` text.

    Any other text is signed as it is sent, as the bank reads it, so that the bank's answer names the bad date
    instead of a bad signature.
    """
    if isinstance(payment_date, date):
        return payment_date.strftime("%Y%m%d")
    text = str(payment_date)
    match = _ISO_DATE.fullmatch(text.strip())
    return "".join(match.groups()) if match else text


def _payload(token: str, account: str, currency: str, request_id: str, paydate: str, amount: str, credacc: str,
             service_provider: str, payid: str, now: str) -> str:
    """Step 3: the ten components in this order, joined by '#'; empty components stay in place."""
    return "#".join((token, account, currency, request_id, paydate, amount, credacc, service_provider, payid, now))


def _hmac_base64(key: bytes, payload: str) -> str:
    """Step 4: HMAC-SHA256 of the payload's UTF-8 bytes, standard Base64 with padding."""
    return base64.b64encode(hmac.new(key, payload.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")


def authorization_header(credentials: Credentials, request_id: str, *,
                         transactions: Sequence[Mapping[str, Any]] | None = None,
                         time: datetime | None = None) -> str:
    """The ``Authorization`` header value for one request.

    ``transactions`` (the POST /payment body's, with the API's field names paymentId, paymentDate,
    amount, currency, account) signs a payment, one hash per transaction; without them (or with an
    empty list) the request gets one hash with id = requestId. ``time`` defaults to now; a naive
    datetime is taken to be UTC.
    """
    moment = datetime.now(timezone.utc) if time is None else time
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    now = moment.strftime("%Y%m%d%H%M%S")
    key = key_bytes(credentials.api_key)
    token = integration_token(credentials.integration_code)
    common = dict(token=token, account=credentials.account, request_id=request_id,
                  service_provider=credentials.service_provider, now=now)
    if transactions:
        hashes = [{"id": str(t["paymentId"]),
                   "hash": _hmac_base64(key, _payload(currency=str(t["currency"]),
                                                      paydate=format_payment_date(t["paymentDate"]),
                                                      amount=format_amount(t["amount"]), credacc=str(t["account"]),
                                                      payid=str(t["paymentId"]), **common))}
                  for t in transactions]
    else:
        hashes = [{"id": request_id, "hash": _hmac_base64(key, _payload(currency="", paydate="", amount="",
                                                                        credacc="", payid=request_id, **common))}]
    auth = {"serviceProvider": credentials.service_provider, "account": credentials.account,
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S"), "requestId": request_id, "hash": hashes}
    # Step 5 and 6: compact JSON (no spaces), non-ASCII kept as UTF-8, then Base64.
    auth_json = json.dumps(auth, separators=(",", ":"), ensure_ascii=False)
    return "Basic " + base64.b64encode(auth_json.encode("utf-8")).decode("ascii")
