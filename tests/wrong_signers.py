"""A signer with knobs for every known client mistake, written independently of mockbank.signing.

Tests use it to produce the headers a buggy client sends, then check that the emulator names the
mistake. Nothing here imports mockbank, so a bug in the signing module cannot hide itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

CANONICAL_ORDER = ("token", "custacc", "currency", "reqid", "paydate", "amount", "credacc", "erp", "payid", "now")
DOCS_BULLET_ORDER = ("token", "custacc", "paydate", "amount", "currency", "reqid", "erp", "payid", "now")


@dataclass(frozen=True)
class Knobs:
    """How the client signs; the defaults are the correct algorithm."""

    key: Callable[[str], bytes] = lambda api_key: uuid.UUID(api_key).bytes_le
    token: Callable[[str], str] = lambda code: hashlib.sha256(code.encode("utf-8")).hexdigest()
    order: tuple[str, ...] = CANONICAL_ORDER
    drop_empty: bool = False
    amount: Callable[[Decimal], str] = lambda amount: f"{amount:.2f}"
    paydate: Callable[[str], str] = lambda text: text.replace("-", "")
    payload_now_shift: timedelta = timedelta(0)
    auth_time_shift: timedelta = timedelta(0)
    payid_is_request_id: bool = False
    payid_empty: bool = False
    strip_spaces: bool = False  # Odoo 2.x/3.x: json.dumps(auth).replace(" ", "") removes spaces inside values too
    encode: Callable[[bytes], str] = lambda digest: base64.b64encode(digest).decode()


#: cause code -> the knobs of a client that makes exactly that mistake
MISTAKES: dict[str, Knobs] = {
    "key-byte-order": Knobs(key=lambda api_key: uuid.UUID(api_key).bytes),
    "key-as-text": Knobs(key=lambda api_key: api_key.encode("utf-8")),
    "token-case": Knobs(token=lambda code: hashlib.sha256(code.encode("utf-8")).hexdigest().upper()),
    "token-not-hashed": Knobs(token=lambda code: code),
    "token-encoding": Knobs(token=lambda code: hashlib.sha256(code.encode("cp1252")).hexdigest()),
    "field-order": Knobs(order=DOCS_BULLET_ORDER),
    "empty-fields-dropped": Knobs(drop_empty=True),
    "amount-format": Knobs(amount=lambda amount: f"{amount:.2f}".replace(".", ",")),
    "date-format": Knobs(paydate=lambda text: text),
    "time-mismatch": Knobs(payload_now_shift=timedelta(hours=1)),
    "payid-mismatch": Knobs(payid_is_request_id=True),
    "payid-empty": Knobs(payid_empty=True),
    "amount-rounded": Knobs(amount=lambda amount: str(int(amount))),
    "hash-encoding": Knobs(encode=lambda digest: digest.hex()),
    "clock-skew": Knobs(auth_time_shift=timedelta(hours=1), payload_now_shift=timedelta(hours=1)),
}

#: mistakes that only show in a payment payload (a GET payload has no amount, date or paymentId)
PAYMENT_ONLY = {"amount-format", "amount-rounded", "date-format", "payid-mismatch"}
#: mistakes that only show where a payload has empty components (every request but a payment)
NON_PAYMENT_ONLY = {"empty-fields-dropped"}

#: further variants of some mistakes, each diagnosed with the same cause code
VARIANTS: dict[str, Knobs] = {
    "amount-format/no-decimals": Knobs(amount=lambda amount: format(amount.normalize(), "f")),
    "amount-format/thousands": Knobs(amount=lambda amount: f"{amount:,.2f}"),
    "time-mismatch/seconds": Knobs(payload_now_shift=timedelta(seconds=-2)),
    "time-mismatch/local-time": Knobs(payload_now_shift=timedelta(hours=2)),
    "hash-encoding/url-safe": Knobs(encode=lambda digest: base64.urlsafe_b64encode(digest).decode().rstrip("=")),
    "field-order/swapped": Knobs(order=("token", "custacc", "currency", "reqid", "paydate", "amount", "credacc",
                                        "erp", "now", "payid")),
    "key-as-text/upper": Knobs(key=lambda api_key: api_key.upper().encode("utf-8")),
    "amount-rounded/half-up": Knobs(amount=lambda amount: str(int(amount + Decimal("0.5")))),
    "amount-rounded/whole-with-cents": Knobs(amount=lambda amount: f"{int(amount)}.00"),
    "field-order/prose-credacc-last": Knobs(order=DOCS_BULLET_ORDER + ("credacc",)),
    "field-order/prose-credacc-first": Knobs(order=("credacc",) + DOCS_BULLET_ORDER),
    "field-order/prose-credacc-after-amount": Knobs(order=DOCS_BULLET_ORDER[:4] + ("credacc",)
                                                    + DOCS_BULLET_ORDER[4:]),
}


def signed_header(knobs: Knobs, *, service_provider: str, api_key: str, account: str, integration_code: str,
                  request_id: str, time: datetime, transactions: list[dict[str, Any]] | None = None) -> str:
    """The Authorization header a client with these knobs sends (``Basic`` + Base64 JSON)."""
    key = knobs.key(api_key)
    payload_now = (time + knobs.payload_now_shift).strftime("%Y%m%d%H%M%S")
    base = {"token": knobs.token(integration_code), "custacc": account, "currency": "", "reqid": request_id,
            "paydate": "", "amount": "", "credacc": "", "erp": service_provider, "payid": request_id,
            "now": payload_now}
    if transactions is None:
        parts = [(request_id, base)]
    else:
        parts = [(t["paymentId"], {
            **base,
            "currency": t["currency"],
            "paydate": knobs.paydate(t["paymentDate"]),
            "amount": knobs.amount(Decimal(str(t["amount"]))),
            "credacc": t["account"],
            "payid": request_id if knobs.payid_is_request_id else t["paymentId"],
        }) for t in transactions]
    if knobs.payid_empty:
        parts = [(hash_id, {**fields, "payid": ""}) for hash_id, fields in parts]
    hashes = []
    for hash_id, fields in parts:
        values = [fields[name] for name in knobs.order]
        if knobs.drop_empty:
            values = [value for value in values if value]
        digest = hmac.new(key, "#".join(values).encode("utf-8"), hashlib.sha256).digest()
        hashes.append({"id": hash_id, "hash": knobs.encode(digest)})
    auth = {"serviceProvider": service_provider, "account": account,
            "time": (time + knobs.auth_time_shift).strftime("%Y-%m-%dT%H:%M:%S"),
            "requestId": request_id, "hash": hashes}
    text = json.dumps(auth)
    if knobs.strip_spaces:
        text = text.replace(" ", "")
    return "Basic " + base64.b64encode(text.encode("utf-8")).decode()


def correct() -> Knobs:
    """The knobs of a correct client."""
    return Knobs()


def with_mistake(name: str) -> Knobs:
    """The knobs of a client making the named mistake (a cause code or a ``code/variant`` name)."""
    return MISTAKES.get(name) or VARIANTS[name]


__all__ = ["Knobs", "MISTAKES", "PAYMENT_ONLY", "NON_PAYMENT_ONLY", "VARIANTS", "signed_header", "correct", "with_mistake", "replace"]
