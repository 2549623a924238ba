"""The BankIntegration signing algorithm, pure: no I/O, no Flask, no clock.

Every request to the BankIntegration API carries an ``Authorization`` header holding a
Base64-encoded JSON *auth object* (see ``schemas/auth.schema.json``)::

    {"serviceProvider": "MyERP", "account": "52470021527478", "time": "2015-05-21T10:45:23",
     "requestId": "REQ_01", "hash": [{"id": "REQ_01", "hash": "<Base64 HMAC-SHA256>"}]}

Each element of ``hash`` is an HMAC-SHA256 over a *payload* of ten components joined by ``#``
(empty components are kept)::

    token#custacc#currency#reqid#paydate#amount#credacc#erp#payid#now

* ``token``: lower-case hex SHA-256 of the UTF-8 bytes of the account's integration code;
* ``custacc``: the own account exactly as sent in the auth object;
* ``currency``, ``paydate`` (``yyyyMMdd``), ``amount`` (two decimals, ``.``, no grouping) and
  ``credacc`` (the creditor account exactly as sent): from the transaction for ``POST /payment``,
  empty for every other request;
* ``reqid``: the requestId; ``erp``: the serviceProvider;
* ``payid``: the transaction's ``paymentId`` for payments (one hash per transaction, ``id`` =
  paymentId), the requestId otherwise (one hash, ``id`` = requestId);
* ``now``: the auth object's ``time`` in UTC as ``yyyyMMddHHmmss``.

The HMAC key is the API key GUID's 16 bytes in .NET ``Guid.ToByteArray()`` order
(``uuid.UUID(key).bytes_le``), and the MAC is written in standard, padded Base64.

This module offers :func:`sign` for clients and :func:`parse_authorization` to read a header
back. The server checks a signature with :func:`mockbank.verification.verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from mockbank.jsontypes import json_type_name
from mockbank.money import to_decimal

FIELDS = ("token", "custacc", "currency", "reqid", "paydate", "amount", "credacc", "erp", "payid", "now")
SEPARATOR = "#"
AUTH_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
NOW_FORMAT = "%Y%m%d%H%M%S"
PAYDATE_FORMAT = "%Y%m%d"

CENT = Decimal("0.01")


# --------------------------------------------------------------------------- primitives


class InvalidApiKey(ValueError):
    """The API key is not a GUID in one of the D, N, B or P spellings."""


_HEX = "[0-9a-fA-F]"
_GUID_SPELLINGS = (
    re.compile(rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"),  # D
    re.compile(rf"{_HEX}{{32}}"),  # N
    re.compile(rf"\{{{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}\}}"),  # B
    re.compile(rf"\({_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}\)"),  # P
)


def parse_api_key(api_key: str) -> uuid.UUID:
    """Parse an API key GUID written in the .NET D, N, B or P spelling (any case, blanks around).

    Raises :class:`InvalidApiKey` for anything else.
    """
    text = api_key.strip() if isinstance(api_key, str) else ""
    if not any(pattern.fullmatch(text) for pattern in _GUID_SPELLINGS):
        raise InvalidApiKey(
            "the API key must be a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301 "
            "(D, N, B or P spelling)"
        )
    return uuid.UUID(hex=text.strip("{}()").replace("-", ""))


@lru_cache(maxsize=256)  # a server verifies many requests with the same few keys
def key_bytes(api_key: str) -> bytes:
    """The HMAC key: the GUID's 16 bytes in .NET ``Guid.ToByteArray()`` order.

    The first three groups are byte-reversed, the last eight bytes keep their textual order.
    """
    return parse_api_key(api_key).bytes_le


@lru_cache(maxsize=256)
def integration_token(integration_code: str) -> str:
    """Lower-case hex SHA-256 of the UTF-8 bytes of the account's integration code."""
    return hashlib.sha256(integration_code.encode("utf-8")).hexdigest()


def mask_token(token: str) -> str:
    """The token as answers and the journal show it: its first eight and last four hex digits (``4ff7e6f7…8d64``)."""
    return f"{token[:8]}…{token[-4:]}" if len(token) > 12 else "…"


def to_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_now(moment: datetime) -> str:
    """The ``now`` component: UTC ``yyyyMMddHHmmss``."""
    return to_utc(moment).strftime(NOW_FORMAT)


def format_auth_time(moment: datetime) -> str:
    """The auth object's ``time``: UTC ``yyyy-MM-ddTHH:mm:ss`` without a zone designator."""
    return to_utc(moment).strftime(AUTH_TIME_FORMAT)


#: Roundings real clients apply to amounts with more than two decimals, in the order they are tried.
#: ``half-up``: .NET ``decimal.ToString("F2")``, ``Math.Round(x, 2, AwayFromZero)``;
#: ``half-even``: .NET ``Math.Round(x, 2)``, Python ``round(Decimal)``;
#: ``float``: C printf, Python ``"%.2f" % float``, JavaScript ``toFixed(2)`` on the binary double
#: (2.675 is 2.67499... there, so it becomes 2.67); ``truncate``: cutting the extra digits off.
#: (Rounding the binary double half-up needs no entry of its own: it equals ``float`` except at
#: exact binary ties, where it equals ``half-up``.)
ROUNDINGS = ("half-up", "half-even", "float", "truncate")
CANONICAL_ROUNDING = "half-up"
#: Amounts up to 10**300 are written with every digit, as Java's BigDecimal writes them (1E+26 is
#: "100000000000000000000000000.00"); larger ones, which no client writes out, as their text. (The language kits
#: refuse amounts of 10**26 or more, which .NET's decimal cannot hold; the bank verifies what a client sends.)
LARGEST_WRITTEN_EXPONENT = 300


def format_amount(amount: Any, rounding: str = CANONICAL_ROUNDING) -> str:
    """The ``amount`` component: two decimals, ``.`` as separator, no grouping.

    Amounts with more than two decimals are rounded by ``rounding`` (one of :data:`ROUNDINGS`).
    A value that is not a number is used as text, so a signature over it can still be checked.
    """
    value = to_decimal(amount)
    if value is None:
        return "" if amount is None else str(amount)
    if value.is_finite() and value.adjusted() > LARGEST_WRITTEN_EXPONENT:  # no client writes these out in full
        return str(amount)
    digits = Context(prec=max(28, value.adjusted() + 4))  # the whole part, a carry (99.995 -> 100.00), two decimals
    try:
        if rounding == "half-up":
            rounded = value.quantize(CENT, rounding=ROUND_HALF_UP, context=digits)
        elif rounding == "half-even":
            rounded = value.quantize(CENT, rounding=ROUND_HALF_EVEN, context=digits)
        elif rounding == "truncate":
            rounded = value.quantize(CENT, rounding=ROUND_DOWN, context=digits)
        elif rounding == "float":
            return "%.2f" % float(value)
        else:
            raise ValueError(f"unknown rounding {rounding!r}; use one of {', '.join(ROUNDINGS)}")
    except InvalidOperation:  # NaN or Infinity: used as text
        return str(amount)
    return f"{rounded:f}"


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def format_paydate(payment_date: Any) -> str:
    """The ``paydate`` component: ``yyyyMMdd`` from a ``yyyy-MM-dd`` string or a date.

    Anything else is used as text, so a signature over it can still be checked.
    """
    if isinstance(payment_date, date):
        return payment_date.strftime(PAYDATE_FORMAT)
    text = "" if payment_date is None else str(payment_date)
    match = _ISO_DATE.fullmatch(text.strip())
    return "".join(match.groups()) if match else text


# --------------------------------------------------------------------------- payloads


@dataclass(frozen=True)
class Payload:
    """The ten components of one signed payload, in signing order."""

    token: str
    custacc: str
    currency: str
    reqid: str
    paydate: str
    amount: str
    credacc: str
    erp: str
    payid: str
    now: str

    def components(self) -> tuple[str, ...]:
        """The components in the documented order."""
        return tuple(getattr(self, name) for name in FIELDS)

    def text(self) -> str:
        """The payload string that is MAC'ed: the components joined by ``#``."""
        return SEPARATOR.join(self.components())


def request_payload(*, token: str, account: str, request_id: str, service_provider: str, now: str,
                    payid: str | None = None) -> Payload:
    """The payload of a non-payment request (status, statement, balance, cancel, GET /payment)."""
    return Payload(token, account, "", request_id, "", "", "", service_provider,
                   request_id if payid is None else payid, now)


def transaction_payload(transaction: Mapping[str, Any], *, token: str, account: str, request_id: str,
                        service_provider: str, now: str,
                        rounding: str = CANONICAL_ROUNDING) -> Payload:
    """The payload of one transaction of a ``POST /payment`` request."""
    return Payload(
        token=token,
        custacc=account,
        currency=component_text(transaction.get("currency")),
        reqid=request_id,
        paydate=format_paydate(transaction.get("paymentDate")),
        amount=format_amount(transaction.get("amount"), rounding),
        credacc=component_text(transaction.get("account")),
        erp=service_provider,
        payid=component_text(transaction.get("paymentId")),
        now=now,
    )


def component_text(value: Any) -> str:
    """A value as a payload component: None is empty, anything else its text."""
    return "" if value is None else str(value)


def mac(key: bytes, payload: str) -> bytes:
    """HMAC-SHA256 of the payload's UTF-8 bytes."""
    return hmac.digest(key, payload.encode("utf-8"), "sha256")


def mac_with(key: bytes) -> Callable[[str], bytes]:
    """:func:`mac` under one key for many payloads: the key enters HMAC's state once, and each payload is
    hashed from a copy of that state (the diagnosis of a refused signature tries hundreds of payloads)."""
    keyed = hmac.new(key, digestmod="sha256")

    def mac_under_key(payload: str) -> bytes:
        state = keyed.copy()
        state.update(payload.encode("utf-8"))
        return state.digest()

    return mac_under_key


def encode_hash(digest: bytes) -> str:
    """Standard, padded Base64 (44 characters for a 32-byte MAC)."""
    return base64.b64encode(digest).decode("ascii")


def compute_hash(key: bytes, payload: Payload | str) -> str:
    """The ``hash`` value of one payload."""
    text = payload.text() if isinstance(payload, Payload) else payload
    return encode_hash(mac(key, text))


# --------------------------------------------------------------------------- client side


@dataclass(frozen=True)
class Credentials:
    """What an ERP needs to sign for one account."""

    service_provider: str
    api_key: str
    account: str
    integration_code: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Credentials:
        """From the API-style mapping ``{serviceProvider, apiKey, account, integrationCode}``."""
        return cls(data["serviceProvider"], data["apiKey"], data["account"], data["integrationCode"])

    def to_json(self) -> dict[str, str]:
        """The API-style mapping (the adapter protocol's ``credentials``)."""
        return {"serviceProvider": self.service_provider, "apiKey": self.api_key,
                "account": self.account, "integrationCode": self.integration_code}


@dataclass(frozen=True)
class SignedRequest:
    """The result of :func:`sign`: the auth object, the payload of every hash, and the header."""

    auth: dict[str, Any]
    payloads: tuple[tuple[str, str], ...]  # (hash id, payload string)
    scheme: str = "Basic"

    @property
    def auth_json(self) -> str:
        """Compact UTF-8 JSON of the auth object, keys in the documented order."""
        return json.dumps(self.auth, ensure_ascii=False, separators=(",", ":"))

    @property
    def auth_b64(self) -> str:
        """Base64 of the UTF-8 auth JSON (the header value without a scheme)."""
        return base64.b64encode(self.auth_json.encode("utf-8")).decode("ascii")

    @property
    def header(self) -> str:
        """The ``Authorization`` header value."""
        return f"{self.scheme} {self.auth_b64}" if self.scheme else self.auth_b64


def sign(credentials: Credentials, request_id: str, *, time: datetime,
         transactions: Sequence[Mapping[str, Any]] | None = None, user: str | None = None,
         scheme: str = "Basic") -> SignedRequest:
    """Sign a request as a correct client does.

    ``transactions=None`` signs a non-payment request (one hash, id = requestId); a sequence of
    transactions (``paymentId, paymentDate, amount, currency, account`` with the API's names)
    signs a ``POST /payment`` with one hash per transaction (id = paymentId). ``time`` is the
    request's instant; a naive datetime is taken as UTC.
    """
    key = key_bytes(credentials.api_key)
    token = integration_token(credentials.integration_code)
    now = format_now(time)
    common = {"token": token, "account": credentials.account, "request_id": request_id,
              "service_provider": credentials.service_provider, "now": now}
    if transactions is None:
        payloads = [(request_id, request_payload(**common))]
    else:
        if not transactions:
            raise ValueError("a payment request needs at least one transaction")
        payloads = [(component_text(t.get("paymentId")), transaction_payload(t, **common)) for t in transactions]
    auth: dict[str, Any] = {
        "serviceProvider": credentials.service_provider,
        "account": credentials.account,
        "time": format_auth_time(time),
        "requestId": request_id,
    }
    if user is not None:
        auth["user"] = user
    auth["hash"] = [{"id": hash_id, "hash": compute_hash(key, payload)} for hash_id, payload in payloads]
    return SignedRequest(auth, tuple((hash_id, p.text()) for hash_id, p in payloads), scheme)


# --------------------------------------------------------------------------- parsing the header


class MalformedHeader(ValueError):
    """The Authorization header cannot be read as an auth object; ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class HashEntry:
    """One ``{id, hash}`` element of the auth object."""

    id: str
    hash: str


@dataclass(frozen=True)
class AuthObject:
    """The decoded auth object of a request."""

    service_provider: str
    account: str
    time: str
    request_id: str
    hashes: tuple[HashEntry, ...]
    user: str | None = None
    scheme: str = ""

    def hash_for(self, hash_id: str) -> HashEntry | None:
        """The first hash element with this id, if any."""
        return next((entry for entry in self.hashes if entry.id == hash_id), None)


_REQUIRED_TEXT_FIELDS = (("serviceProvider", "service_provider"), ("account", "account"),
                         ("time", "time"), ("requestId", "request_id"))


def parse_authorization(value: str | None) -> AuthObject:
    """Decode an ``Authorization`` header value into an :class:`AuthObject`.

    Accepts an optional ``Basic`` scheme in any case (or none), standard Base64 of UTF-8 JSON with
    any whitespace, key order or ``\\u00e6``-style escaping. Raises :class:`MalformedHeader` saying
    precisely what is wrong.
    """
    if value is None or not value.strip():
        raise MalformedHeader("the Authorization header is missing or empty", "Authorization")
    text = value.strip()
    scheme = ""
    parts = text.split(None, 1)
    if len(parts) == 2:
        scheme, text = parts[0], parts[1].strip()
        if scheme.lower() != "basic":
            raise MalformedHeader(
                f"unsupported scheme {scheme[:20]!r}: send the Base64 auth object bare or after 'Basic '",
                "Authorization")
    raw = _decode_base64(text)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedHeader(
            f"the decoded header is not UTF-8 (byte {error.start}); encode the JSON text as UTF-8 "
            "before Base64", "Authorization") from None
    try:
        data = json.loads(decoded)
    except json.JSONDecodeError as error:
        raise MalformedHeader(
            f"the decoded header is not JSON: {error.msg} at line {error.lineno} column {error.colno}",
            "Authorization") from None
    except (ValueError, RecursionError) as error:  # an integer over Python's digit limit; deep nesting
        reason = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise MalformedHeader(f"the decoded header is not usable JSON: {reason}", "Authorization") from None
    if not isinstance(data, dict):
        raise MalformedHeader(f"the auth object must be a JSON object, not {json_type_name(data)}",
                              "Authorization")
    values: dict[str, Any] = {}
    for name, attribute in _REQUIRED_TEXT_FIELDS:
        if name not in data:
            raise MalformedHeader(f"the auth object has no {name!r}", name)
        if not isinstance(data[name], str) or not data[name].strip():
            raise MalformedHeader(f"{name!r} must be a non-empty string, not {json_type_name(data[name])}", name)
        values[attribute] = _unicode(data[name], name)
    user = data.get("user")
    if user is not None and not isinstance(user, str):
        raise MalformedHeader(f"'user' must be a string, not {json_type_name(user)}", "user")
    if user is not None:
        _unicode(user, "user")
    return AuthObject(hashes=_parse_hashes(data), user=user, scheme=scheme, **values)


def _decode_base64(text: str) -> bytes:
    if re.search(r"[^A-Za-z0-9+/=]", text):
        bad = re.search(r"[^A-Za-z0-9+/=]", text).group()
        hint = " (URL-safe Base64? use the standard alphabet with + and /)" if bad in "-_" else ""
        raise MalformedHeader(f"the header is not standard Base64: unexpected character {bad!r}{hint}",
                              "Authorization")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise MalformedHeader(
            f"the header is not valid Base64: {len(text)} characters, padding missing or misplaced",
            "Authorization") from None


def _parse_hashes(data: Mapping[str, Any]) -> tuple[HashEntry, ...]:
    if "hash" not in data:
        raise MalformedHeader("the auth object has no 'hash' list", "hash")
    hashes = data["hash"]
    if not isinstance(hashes, list):
        raise MalformedHeader(f"'hash' must be a list of {{id, hash}} objects, not {json_type_name(hashes)}",
                              "hash")
    entries = []
    for index, item in enumerate(hashes):
        where = f"hash[{index}]"
        if not isinstance(item, dict):
            raise MalformedHeader(f"{where} must be an object with 'id' and 'hash', not {json_type_name(item)}",
                                  where)
        for name in ("id", "hash"):
            if not isinstance(item.get(name), str):
                raise MalformedHeader(f"{where}.{name} must be a string, not {json_type_name(item.get(name))}",
                                      f"{where}.{name}")
        entries.append(HashEntry(_unicode(item["id"], f"{where}.id"), _unicode(item["hash"], f"{where}.hash")))
    return tuple(entries)


def _unicode(text: str, where: str) -> str:
    """``text`` if it is valid Unicode; MalformedHeader if it holds a lone surrogate (a stray ``\\ud800`` escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedHeader(f"{where!r} holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode "
                              "text", where) from None
    return text


_STRICT_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE)
_COMPACT_TIME = re.compile(r"(?P<date>\d{8})T?(?P<time>\d{6})(?P<zone>Z)?", re.IGNORECASE)


def parse_auth_time(text: str, *, lenient: bool = False) -> datetime:
    """Parse the auth object's ``time`` into an aware UTC datetime, whole seconds.

    Accepts ISO 8601 ``yyyy-MM-ddTHH:mm:ss`` with optional fraction and optional ``Z`` or offset
    (no zone means UTC). With ``lenient`` also the compact ``yyyyMMddHHmmss`` and
    ``yyyyMMddTHHmmss`` forms. Raises ValueError saying what was expected.
    """
    match = _STRICT_TIME.fullmatch(text.strip())
    try:
        if match:
            zone = (match["zone"] or "+00:00").upper().replace("Z", "+00:00")
            if ":" not in zone:
                zone = zone[:3] + ":" + zone[3:]
            moment = datetime.fromisoformat(f"{match['date']}T{match['time']}{zone}")
            return moment.astimezone(timezone.utc)
        compact = _COMPACT_TIME.fullmatch(text.strip()) if lenient else None
        if compact:
            moment = datetime.strptime(compact["date"] + compact["time"], NOW_FORMAT)
            return moment.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: an offset moving it outside years 1-9999
        raise ValueError(f"time {text[:40]!r} is not a real date and time") from None
    raise ValueError(
        f"time {text[:40]!r} is not in the expected format yyyy-MM-ddTHH:mm:ss (UTC, e.g. 2025-01-07T12:00:00)")
