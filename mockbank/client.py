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
"""

from __future__ import annotations

import copy
import enum
import http.client
import json
import logging
import math
import re
import time as _time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from email.message import Message as _MimeHeader
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
import urllib3

from mockbank import __version__, signing
from mockbank.jsontypes import json_type_name

__all__ = [
    "Answer", "Balance", "BalanceEntry", "BankIntegrationClient", "BankIntegrationError", "BadRequest",
    "ConnectionFailed", "InvalidResponse", "Message", "Money", "PaymentStatus", "PaymentsResult",
    "ServerError", "Statement", "StatementEntry", "Timeout", "Unauthorized",
]

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
USER_AGENT = f"mockbank-client/{__version__}"
SUCCESS_STATUSES = frozenset({200, 201, 202, 204})
FINAL_STATUSES = frozenset({8, 16, 32, 64})
EXCERPT_CHARS = 200

_LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_OFFSET_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:[0-5]\d)")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHORT_DAY = re.compile(r"(\d{2})(\d{2})(\d{2})")

T = TypeVar("T")


# --------------------------------------------------------------------------- values


class PaymentStatus(enum.IntEnum):
    """Payment status (spec §8.3), bit-flag style integers."""

    CREATED = 1
    PENDING = 2
    ACCEPTED = 4
    SUCCEEDED = 8
    REJECTED = 16
    FAILED = 32
    NOT_FOUND = 64
    WARNING = 128
    CANCELLING = 256
    WAITING = 512

    @property
    def is_final(self) -> bool:
        """True for the states a payment never leaves: Succeeded, Rejected, Failed, NotFound."""
        return int(self) in FINAL_STATUSES


@dataclass(frozen=True)
class Message:
    """An error or warning of an answer: optional reason code (e.g. ``AC03``) and a text."""

    code: str | None
    text: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_api(self) -> dict[str, Any]:
        """``{"code", "text"}`` (code left out when absent), unknown received keys kept."""
        return _write(self.raw, {"code": self.code, "text": self.text})


@dataclass(frozen=True)
class Money:
    """An amount in a currency."""

    amount: Decimal
    currency: str

    def to_api(self) -> dict[str, Any]:
        """``{"amount", "currency"}`` with the amount as a Decimal."""
        return {"amount": self.amount, "currency": self.currency}


@dataclass(frozen=True)
class Answer:
    """The state of one payment (spec §4.3); ``status`` is an int when the API sends an unknown value."""

    trans_id: str | None
    payment_id: str | None  # None only in an answer about an unknown transId
    end_to_end_id: str | None
    status: PaymentStatus | int
    text: str | None
    instructed: Money | None
    transacted: Money | None
    errors: tuple[Message, ...]
    warnings: tuple[Message, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_final(self) -> bool:
        """True when the status is final (8, 16, 32, 64); unknown statuses are not final."""
        return int(self.status) in FINAL_STATUSES

    def to_api(self) -> dict[str, Any]:
        """The answer with the API's field names, unknown received keys kept."""
        received_info = self.raw.get("info")
        raw_info = received_info if isinstance(received_info, dict) else {}
        info = _write(raw_info, {"text": self.text,
                                 "instructed": _money_api(raw_info.get("instructed"), self.instructed),
                                 "transacted": _money_api(raw_info.get("transacted"), self.transacted)})
        return _write(self.raw, {
            "transId": self.trans_id,
            "paymentId": self.payment_id,
            "endToEndId": self.end_to_end_id,
            "status": int(self.status),
            "info": info if info or isinstance(received_info, dict) else None,
            "errors": _messages_api(self.raw, "errors", self.errors),
            "warnings": _messages_api(self.raw, "warnings", self.warnings),
        })


@dataclass(frozen=True)
class PaymentsResult:
    """The answer envelope of ``/payment``, ``/status``, ``/payment/{transId}`` and ``/payment/cancel``."""

    account: str
    request_id: str
    time: datetime
    answers: tuple[Answer, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def all_final(self) -> bool:
        """True when every answer has a final status (also when there are no answers)."""
        return all(answer.is_final for answer in self.answers)

    def answer_for(self, payment_id: str) -> Answer | None:
        """The first answer about this paymentId, or None."""
        return next((answer for answer in self.answers if answer.payment_id == payment_id), None)

    def to_api(self) -> dict[str, Any]:
        """The response with the API's field names (what an adapter reports)."""
        return _write(self.raw, {"account": self.account, "requestId": self.request_id,
                                 "time": _offset_text(self.raw.get("time"), self.time),
                                 "answers": [answer.to_api() for answer in self.answers]})


@dataclass(frozen=True)
class StatementEntry:
    """One statement line, read from the Simple (§5.4) or the Full (§5.5) shape.

    In the Full shape ``amount``/``balance`` come from the ``amounts`` object and ``advice`` holds
    the ``advis`` lines; ``to_api`` writes the entry back in the shape it was received in.
    """

    id: str
    sequence: int | None
    booking: datetime
    value: datetime | None
    amount: Decimal
    balance: Decimal
    type: str | None
    text: str | None
    creditor_text: str | None
    creditor_message: str | None
    debtor_text: str | None
    debtor_message: str | None
    end_to_end_id: str | None
    advice: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_api(self) -> dict[str, Any]:
        """The entry with the API's field names, in its received shape, unknown keys kept."""
        received_date = self.raw.get("date")
        fields: dict[str, Any] = {
            "id": self.id,
            "sequence": self.sequence,
            "date": _write(received_date if isinstance(received_date, dict) else {},
                           {"booking": _local_text(self.booking),
                            "value": None if self.value is None else _local_text(self.value)}),
            "type": self.type, "text": self.text,
            "creditorText": self.creditor_text, "creditorMessage": self.creditor_message,
            "debtorText": self.debtor_text, "debtorMessage": self.debtor_message,
            "endToEndId": self.end_to_end_id,
            "advis": list(self.advice) if self.advice or isinstance(self.raw.get("advis"), list) else None,
        }
        amounts = self.raw.get("amounts")
        if isinstance(amounts, dict):
            fields["amounts"] = _write(amounts, {"amount": self.amount, "balance": self.balance})
        else:
            fields.update(amount=self.amount, balance=self.balance)
        return _write(self.raw, fields)


@dataclass(frozen=True)
class Statement:
    """An account statement (spec §5.3); ``from_``/``to`` are naive, as the API sends them.

    ``currency`` is None only for a result built from a 204 (no content) answer.
    """

    account: str
    request_id: str
    created: datetime
    currency: str | None
    name: str | None
    bic: str | None
    owner: dict[str, Any] | None = field(hash=False)
    from_: datetime
    to: datetime
    entries: tuple[StatementEntry, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_api(self) -> dict[str, Any]:
        """The statement with the API's field names (what an adapter reports)."""
        return _write(self.raw, {
            "account": self.account, "requestId": self.request_id,
            "created": _offset_text(self.raw.get("created"), self.created),
            "currency": self.currency, "name": self.name, "bic": self.bic,
            "owner": copy.deepcopy(self.owner),
            "from": _local_text(self.from_), "to": _local_text(self.to),
            "entries": [entry.to_api() for entry in self.entries],
        })


@dataclass(frozen=True)
class BalanceEntry:
    """One balance: ``type`` 1 = Opening, 2 = Closing (spec §6)."""

    date: date
    amount: Decimal
    type: int
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_api(self) -> dict[str, Any]:
        """``{"date", "amount", "type"}``, unknown received keys kept."""
        return _write(self.raw, {"date": self.date.isoformat(), "amount": self.amount, "type": self.type})


@dataclass(frozen=True)
class Balance:
    """Opening/closing balances per day (spec §6); ``currency`` is None only after a 204 answer."""

    account: str
    request_id: str
    created: datetime
    currency: str | None
    name: str | None
    bic: str | None
    from_: date
    to: date
    entries: tuple[BalanceEntry, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_api(self) -> dict[str, Any]:
        """The balance report with the API's field names (what an adapter reports)."""
        return _write(self.raw, {
            "account": self.account, "requestId": self.request_id,
            "created": _offset_text(self.raw.get("created"), self.created),
            "currency": self.currency, "name": self.name, "bic": self.bic,
            "from": self.from_.isoformat(), "to": self.to.isoformat(),
            "entries": [entry.to_api() for entry in self.entries],
        })


# --------------------------------------------------------------------------- errors


class BankIntegrationError(Exception):
    """Base of every error the client raises; only its subclasses are raised.

    ``kind`` is the adapter protocol's error kind, ``http_status`` the HTTP status when there was
    an answer, ``body`` the answer's parsed JSON (or its text) when there was one.
    """

    kind: str = "error"

    def __init__(self, message: str, *, http_status: int | None = None, body: Any | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.body = body

    def to_api(self) -> dict[str, Any]:
        """The adapter protocol's error object ``{"kind", "httpStatus", "message"}``."""
        return {"kind": self.kind, "httpStatus": self.http_status, "message": self.message}


class Unauthorized(BankIntegrationError):
    """401: the signature or the credentials were rejected."""

    kind = "unauthorized"

    @property
    def diagnosis(self) -> dict[str, Any] | None:
        """The emulator's ``diagnosis`` object (cause, message, hint, ...) when the body has one."""
        found = self.body.get("diagnosis") if isinstance(self.body, dict) else None
        return found if isinstance(found, dict) else None


class BadRequest(BankIntegrationError):
    """Any 4xx other than 401."""

    kind = "bad-request"


class ServerError(BankIntegrationError):
    """A 5xx answer."""

    kind = "server-error"


class Timeout(BankIntegrationError):
    """No answer within the client's timeout, or ``wait_for_final`` ran out of time."""

    kind = "timeout"


class ConnectionFailed(BankIntegrationError):
    """The connection could not be made or broke (refused, reset, dropped, truncated body)."""

    kind = "connection"


class InvalidResponse(BankIntegrationError):
    """An answer that is not the documented one: not JSON, a missing or mistyped field, a wrong
    ``requestId`` echo, or an unexpected HTTP status (e.g. a redirect)."""

    kind = "invalid-response"


# --------------------------------------------------------------------------- the client


class BankIntegrationClient:
    """A strict client for one account of the BankIntegration API.

    ``clock`` supplies the signing time (default: the real UTC now), ``request_ids`` the
    requestId of each request that is not given one (default ``"REQ_" + uuid4 hex``). ``timeout``
    (seconds) bounds connecting and each read. ``scheme`` prefixes the Authorization header
    (``""`` sends the bare Base64). A session passed in is used as is and not closed by
    :meth:`close`. The client never retries (see the module docstring).
    """

    def __init__(self, base_url: str, credentials: signing.Credentials, *, timeout: float = 10.0,
                 session: requests.Session | None = None, scheme: str = "Basic",
                 clock: Callable[[], datetime] | None = None,
                 request_ids: Callable[[], str] | None = None) -> None:
        if not isinstance(credentials, signing.Credentials):
            raise TypeError("credentials must be a mockbank.signing.Credentials")
        signing.parse_api_key(credentials.api_key)  # a malformed key fails here, not on the first call
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.base_url = _checked_base_url(base_url)
        self.credentials = credentials
        self.timeout = float(timeout)
        self.scheme = scheme
        self.session = session if session is not None else requests.Session()
        self._owns_session = session is None
        self._clock = clock or _utc_now
        self._request_ids = request_ids or _new_request_id

    def __repr__(self) -> str:
        return (f"BankIntegrationClient({self.base_url!r}, service_provider="
                f"{self.credentials.service_provider!r}, account={self.credentials.account!r})")

    def __enter__(self) -> BankIntegrationClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session if the client created it."""
        if self._owns_session:
            self.session.close()

    # ----------------------------------------------------------------- operations

    def pay(self, transactions: Sequence[Mapping[str, Any]], *, options: Mapping[str, Any] | None = None,
            request_id: str | None = None) -> PaymentsResult:
        """``POST /payment``: send one or more payments, signed one hash per transaction.

        Transactions use the API's field names and are sent as given, except that Decimal
        amounts become exact JSON numbers (or exact numeric strings) and ``date`` values
        ``yyyy-MM-dd``; their content is judged by the server.
        """
        wire = _wire_transactions(transactions)
        rid = self._request_id(request_id)
        body: dict[str, Any] = {"requestId": rid, "transactions": wire}
        if options is not None:
            if not isinstance(options, Mapping):
                raise TypeError("options must be a mapping of the RequestOptions flags")
            body["options"] = _wire(options, "options")
        reply = self._exchange("POST", "/payment", rid, body=body, transactions=wire)
        return _parse(reply, self._payments)

    def status(self, payment_ids: Sequence[str] | None = None, *, request_id: str | None = None,
               method: str = "POST") -> PaymentsResult:
        """``/status``: the state of the given payments (all of the account's when None).

        POST sends ``{"requestId", "paymentIds": [...]}`` (an empty list as ``[]``); GET sends
        ``?requestId=&paymentIds=a,b`` (an empty list leaves the parameter out).
        """
        verb = _checked_method(method)
        ids = None if payment_ids is None else _checked_ids(payment_ids, "payment_ids")
        rid = self._request_id(request_id)
        if verb == "POST":
            body: dict[str, Any] = {"requestId": rid}
            if ids is not None:
                body["paymentIds"] = ids
            reply = self._exchange("POST", "/status", rid, body=body)
        else:
            query = {"requestId": rid}
            if ids:
                query["paymentIds"] = _joined_ids(ids)
            reply = self._exchange("GET", "/status", rid, query=query)
        return _parse(reply, self._payments)

    def payment(self, trans_id: str, *, request_id: str | None = None) -> PaymentsResult:
        """``GET /payment/{transId}?requestId=``: the payments of one transfer."""
        if not isinstance(trans_id, str) or not trans_id:
            raise ValueError("trans_id must be a non-empty string")
        rid = self._request_id(request_id)
        reply = self._exchange("GET", "/payment/" + quote(trans_id, safe=""), rid, query={"requestId": rid})
        return _parse(reply, self._payments)

    def statement(self, *, type: str = "Simple", from_: date | str | None = None, to: date | str | None = None,
                  new_only: bool | None = None, options: str | None = None, request_id: str | None = None,
                  method: str = "GET") -> Statement:
        """``/report/account``: the account statement of a period (Simple or Full entries).

        ``from_``/``to`` are ``date`` objects (sent as ``yyyy-MM-dd``) or strings sent as given
        (``yyyy-MM-dd`` or ``yyMMdd``); None leaves the server's default (today, UTC).
        """
        verb = _checked_method(method)
        rid = self._request_id(request_id)
        _check_optional(type, str, "type")
        _check_optional(new_only, bool, "new_only")
        _check_optional(options, str, "options")
        params = _present({"requestId": rid, "type": type, "from": _day_param(from_, "from_"),
                           "to": _day_param(to, "to"), "newOnly": new_only, "options": options})
        reply = self._exchange_params(verb, "/report/account", rid, params)
        return _parse(reply, lambda r: self._statement(r, from_, to))

    def balance(self, *, type: int = 3, from_: date | str | None = None, to: date | str | None = None,
                request_id: str | None = None, method: str = "GET") -> Balance:
        """``/report/balance``: opening (1), closing (2) or both (3) balances per day of a period."""
        verb = _checked_method(method)
        rid = self._request_id(request_id)
        if isinstance(type, bool) or not isinstance(type, int):
            raise TypeError(f"type must be an int (1, 2 or 3), not {type!r}")
        params = _present({"requestId": rid, "type": type, "from": _day_param(from_, "from_"),
                           "to": _day_param(to, "to")})
        reply = self._exchange_params(verb, "/report/balance", rid, params)
        return _parse(reply, lambda r: self._balance(r, from_, to))

    def cancel(self, payment_ids: Sequence[str], *, request_id: str | None = None) -> PaymentsResult:
        """``POST /payment/cancel``: ask the bank to revoke payments; follow up with :meth:`status`."""
        ids = _checked_ids(payment_ids, "payment_ids")
        rid = self._request_id(request_id)
        reply = self._exchange("POST", "/payment/cancel", rid, body={"requestId": rid, "paymentIds": ids})
        return _parse(reply, self._payments)

    def wait_for_final(self, payment_ids: Sequence[str], *, timeout: float = 30,
                       interval: float = 0.2) -> PaymentsResult:
        """Poll ``POST /status`` until every named payment has a final answer (8, 16, 32 or 64).

        Returns the last status result. Raises :class:`Timeout` (``body`` = that result's raw
        body) when ``timeout`` seconds pass first; errors of a poll are raised at once.
        """
        ids = _checked_ids(payment_ids, "payment_ids")
        if not ids:
            raise ValueError("payment_ids must name at least one payment")
        deadline = _time.monotonic() + timeout
        while True:
            result = self.status(ids)
            pending = _unsettled(result, ids)
            if not pending:
                return result
            remaining = deadline - _time.monotonic()
            if remaining <= 0:
                raise Timeout(f"payments not final after {timeout:g} s: {', '.join(pending)}", body=result.raw)
            _time.sleep(min(interval, remaining))

    # ----------------------------------------------------------------- transport

    def _request_id(self, given: str | None) -> str:
        request_id = self._request_ids() if given is None else given
        if not isinstance(request_id, str) or not request_id:
            raise ValueError(f"a requestId must be a non-empty string, not {request_id!r}")
        return request_id

    def _exchange_params(self, verb: str, path: str, request_id: str, params: dict[str, Any]) -> _Reply:
        """Send the parameters as a JSON body (POST) or as the query string (GET)."""
        if verb == "POST":
            return self._exchange(verb, path, request_id, body=params)
        return self._exchange(verb, path, request_id, query={k: _query_value(v) for k, v in params.items()})

    def _exchange(self, method: str, path: str, request_id: str, *, query: Mapping[str, str] | None = None,
                  body: Any = None, transactions: Sequence[Mapping[str, Any]] | None = None) -> _Reply:
        """Sign, send, map transport failures and non-success statuses, decode the body."""
        moment = self._clock()
        signed = signing.sign(self.credentials, request_id, time=moment, transactions=transactions,
                              scheme=self.scheme)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        data = None
        if body is not None:
            data = _encode_json(body)
            headers["Content-Type"] = JSON_CONTENT_TYPE
        what = f"{method} {path}"
        started = _time.monotonic()
        try:
            response = self.session.request(method, self.base_url + path, params=query, data=data,
                                            headers=headers, auth=_SignedAuth(signed.header),
                                            timeout=self.timeout, allow_redirects=False)
        except (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException,
                OSError) as error:
            raise _transport_error(error, what, self.timeout) from error
        log.debug("%s requestId=%s -> %s in %.0f ms", what, request_id, response.status_code,
                  (_time.monotonic() - started) * 1000)
        reply = _Reply(what, request_id, signing.to_utc(moment), response.status_code,
                       response.reason or http.client.responses.get(response.status_code, ""),
                       response.content, response.headers.get("Content-Type", ""),
                       response.headers.get("Location"))
        return _checked_reply(reply)

    # ----------------------------------------------------------------- parsing

    def _payments(self, reply: _Reply) -> PaymentsResult:
        if reply.no_content:
            return PaymentsResult(self.credentials.account, reply.request_id, reply.sent_at, ())
        body = _Obj(reply.document, "")
        request_id = _echoed_request_id(body, reply.request_id)
        answers = body.optional("answers", _as_list) or []
        return PaymentsResult(
            account=body.required("account", _as_text),
            request_id=request_id,
            time=body.required("time", _as_offset_time),
            answers=tuple(_answer(item, f"answers[{index}]") for index, item in enumerate(answers)),
            raw=body.data,
        )

    def _statement(self, reply: _Reply, from_: date | str | None, to: date | str | None) -> Statement:
        if reply.no_content:
            today = reply.sent_at.date()
            return Statement(self.credentials.account, reply.request_id, reply.sent_at, None, None, None, None,
                             _midnight(_requested_day(from_, today)), _midnight(_requested_day(to, today)), ())
        body = _Obj(reply.document, "")
        request_id = _echoed_request_id(body, reply.request_id)
        entries = _required_list_or_null(body, "entries")
        owner = body.optional("owner", _Obj)
        return Statement(
            account=body.required("account", _as_text),
            request_id=request_id,
            created=body.required("created", _as_offset_time),
            currency=body.required("currency", _as_text),
            name=body.optional("name", _as_text),
            bic=body.optional("bic", _as_text),
            owner=None if owner is None else owner.data,
            from_=body.required("from", _as_local_time),
            to=body.required("to", _as_local_time),
            entries=tuple(_statement_entry(item, f"entries[{index}]") for index, item in enumerate(entries)),
            raw=body.data,
        )

    def _balance(self, reply: _Reply, from_: date | str | None, to: date | str | None) -> Balance:
        if reply.no_content:
            today = reply.sent_at.date()
            return Balance(self.credentials.account, reply.request_id, reply.sent_at, None, None, None,
                           _requested_day(from_, today), _requested_day(to, today), ())
        body = _Obj(reply.document, "")
        request_id = _echoed_request_id(body, reply.request_id)
        entries = _required_list_or_null(body, "entries")
        return Balance(
            account=body.required("account", _as_text),
            request_id=request_id,
            created=body.required("created", _as_offset_time),
            currency=body.required("currency", _as_text),
            name=body.optional("name", _as_text),
            bic=body.optional("bic", _as_text),
            from_=body.required("from", _as_day),
            to=body.required("to", _as_day),
            entries=tuple(_balance_entry(item, f"entries[{index}]") for index, item in enumerate(entries)),
            raw=body.data,
        )


# --------------------------------------------------------------------------- transport helpers


class _SignedAuth(requests.auth.AuthBase):
    """Sets the signed Authorization header; being an explicit auth it also keeps ``requests``
    from replacing the header with ``.netrc`` or session credentials."""

    def __init__(self, header: str) -> None:
        self.header = header

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.header
        return request


@dataclass(frozen=True)
class _Reply:
    """One HTTP exchange as the parsers see it."""

    what: str
    request_id: str
    sent_at: datetime
    status: int
    reason: str
    content: bytes
    content_type: str
    location: str | None
    document: Any = None
    no_content: bool = False


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _new_request_id() -> str:
    return "REQ_" + uuid.uuid4().hex


def _checked_base_url(base_url: str) -> str:
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base_url must be an http(s) URL such as http://127.0.0.1:8080, not {base_url!r}")
    return base_url.rstrip("/")


def _checked_method(method: str) -> str:
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in ("GET", "POST"):
        raise ValueError(f"method must be 'GET' or 'POST', not {method!r}")
    return verb


def _checked_ids(ids: Sequence[str], name: str) -> list[str]:
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise TypeError(f"{name} must be a sequence of strings, not {ids!r}")
    if not all(isinstance(one, str) for one in ids):
        raise TypeError(f"every item of {name} must be a string")
    return list(ids)


def _joined_ids(ids: Sequence[str]) -> str:
    """The GET form of a paymentIds list: comma separated (so no id may hold ``,`` or ``;``)."""
    awkward = [one for one in ids if "," in one or ";" in one]
    if awkward:
        raise ValueError(f"payment ids containing ',' or ';' cannot be sent by GET: {awkward!r}; use method='POST'")
    return ",".join(ids)


def _check_optional(value: Any, kind: type, name: str) -> None:
    if value is not None and (not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))):
        raise TypeError(f"{name} must be a {kind.__name__} or None, not {value!r}")


def _day_param(value: date | str | None, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date or a yyyy-MM-dd / yyMMdd string, not {value!r}")
    return value.isoformat()


def _present(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _wire_transactions(transactions: Sequence[Mapping[str, Any]]) -> list[Any]:
    if isinstance(transactions, (str, bytes, Mapping)) or not isinstance(transactions, Sequence):
        raise TypeError("transactions must be a sequence of mappings with the API's field names")
    if not transactions:
        raise ValueError("a payment request needs at least one transaction")
    for index, transaction in enumerate(transactions):
        if not isinstance(transaction, Mapping):
            raise TypeError(f"transactions[{index}] must be a mapping, not {type(transaction).__name__}")
    return [_wire(transaction, f"transactions[{index}]") for index, transaction in enumerate(transactions)]


def _wire(value: Any, where: str) -> Any:
    """The JSON-ready form of a request value: Decimal -> exact number, date -> yyyy-MM-dd."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} must be a finite number, not {value!r}")
        return value
    if isinstance(value, Decimal):
        return _wire_decimal(value, where)
    if isinstance(value, datetime):
        raise TypeError(f"{where} is a datetime; pass a date (sent as yyyy-MM-dd) or a string")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"{where} must have string keys")
        return {key: _wire(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{where}: a {type(value).__name__} cannot be sent as JSON")


def _wire_decimal(value: Decimal, where: str) -> float | str:
    """A JSON number when a float holds exactly this value, else the exact numeric string
    (two decimals when the value has at most two, e.g. ``"12345678901234567.80"``)."""
    if not value.is_finite():
        raise ValueError(f"{where} must be a finite number, not {value}")
    as_float = float(value)
    if math.isfinite(as_float) and Decimal(repr(as_float)) == value:
        return as_float
    exponent = value.as_tuple().exponent
    return f"{value:.2f}" if isinstance(exponent, int) and exponent >= -2 else f"{value:f}"


def _encode_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _transport_error(error: Exception, what: str, timeout: float) -> BankIntegrationError:
    """The client error for an exception raised while sending or reading."""
    if isinstance(error, requests.Timeout) or _caused_by_read_timeout(error):
        return Timeout(f"{what}: no answer within {timeout:g} s ({_short(error)})")
    if isinstance(error, requests.exceptions.ContentDecodingError):
        return InvalidResponse(f"{what}: the body could not be decoded ({_short(error)})")
    return ConnectionFailed(f"{what}: connection failed ({_short(error)})")


def _caused_by_read_timeout(error: Exception) -> bool:
    """``requests`` reports a timeout while reading the body as a ConnectionError."""
    return any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in error.args)


def _short(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def _checked_reply(reply: _Reply) -> _Reply:
    """The reply with its decoded document (or marked as without content); raises for a non-success status.

    204, and 201/202 with an empty body, carry no content; every other success must be JSON.
    """
    status = reply.status
    if status in SUCCESS_STATUSES:
        if status == 204 or (status in (201, 202) and not reply.content.strip()):
            return replace(reply, no_content=True)
        return replace(reply, document=_decode_json(reply))
    body = _error_body(reply)
    message = f"{reply.what}: HTTP {status} {reply.reason}".rstrip()
    detail = _error_detail(body)
    if detail:
        message += f": {detail}"
    if status == 401:
        raise Unauthorized(message, http_status=status, body=body)
    if 400 <= status < 500:
        raise BadRequest(message, http_status=status, body=body)
    if 500 <= status < 600:
        raise ServerError(message, http_status=status, body=body)
    where = f" (redirect to {reply.location})" if reply.location else ""
    raise InvalidResponse(f"{reply.what}: unexpected HTTP {status} {reply.reason}{where}".rstrip(),
                          http_status=status, body=body)


def _body_text(reply: _Reply) -> str:
    """The body as text in its declared charset (UTF-8 when none is declared)."""
    header = _MimeHeader()
    header["Content-Type"] = reply.content_type or "application/json"
    charset = header.get_content_charset() or "utf-8"
    codec = "utf-8-sig" if charset.replace("_", "-") in ("utf-8", "utf8") else charset
    return reply.content.decode(codec)


def _decode_json(reply: _Reply) -> Any:
    try:
        text = _body_text(reply)
    except (LookupError, UnicodeDecodeError) as error:
        raise InvalidResponse(f"{reply.what}: the body is not readable text ({error})",
                              http_status=reply.status, body=reply.content[:EXCERPT_CHARS]) from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise InvalidResponse(f"{reply.what}: the body is not JSON ({error}): {_excerpt(text)!r}",
                              http_status=reply.status, body=text) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _error_body(reply: _Reply) -> Any | None:
    """An error answer's body: parsed JSON, else its text, None when empty or unreadable."""
    try:
        text = _body_text(reply)
    except (LookupError, UnicodeDecodeError):
        return None
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return text


def _error_detail(body: Any) -> str:
    """A short explanation from an error body: the 401 diagnosis, the error message, or an excerpt."""
    if isinstance(body, dict):
        diagnosis = body.get("diagnosis")
        if isinstance(diagnosis, dict) and (diagnosis.get("cause") or diagnosis.get("message")):
            return ": ".join(str(diagnosis[k]) for k in ("cause", "message") if diagnosis.get(k))
        if isinstance(body.get("message"), str):
            code = body.get("error")
            return f"{code}: {body['message']}" if isinstance(code, str) else body["message"]
        return _excerpt(json.dumps(body, ensure_ascii=False, default=str))
    return "" if body is None else _excerpt(str(body))


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "..."


# --------------------------------------------------------------------------- response parsing


class _Bad(Exception):
    """A response field that is missing, of the wrong type or in the wrong format."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where or 'the body'} {problem}")


def _parse(reply: _Reply, parse: Callable[[_Reply], T]) -> T:
    try:
        return parse(reply)
    except _Bad as bad:
        raise InvalidResponse(f"{reply.what}: invalid response: {bad}", http_status=reply.status,
                              body=reply.document) from None


class _Obj:
    """Typed reading of one JSON object of a response; problems name the field's path."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise _Bad(where, f"must be a JSON object, not {json_type_name(data)}")
        self.data: dict[str, Any] = data
        self.where = where

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def optional(self, key: str, convert: Callable[[Any, str], T]) -> T | None:
        value = self.data.get(key)
        return None if value is None else convert(value, self.path(key))

    def required(self, key: str, convert: Callable[[Any, str], T]) -> T:
        value = self.data.get(key)
        if value is None:
            raise _Bad(self.path(key), "is missing" if key not in self.data else "is null")
        return convert(value, self.path(key))


def _as_text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _Bad(where, f"must be a string, not {json_type_name(value)}")
    return value


def _as_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(where, f"must be an integer, not {json_type_name(value)}")
    return value


def _as_amount(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _Bad(where, f"must be a number, not {json_type_name(value)}")
    return Decimal(value)


def _as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(where, f"must be a list, not {json_type_name(value)}")
    return value


def _as_strings(value: Any, where: str) -> tuple[str, ...]:
    return tuple(_as_text(item, f"{where}[{index}]") for index, item in enumerate(_as_list(value, where)))


def _as_offset_time(value: Any, where: str) -> datetime:
    """ISO 8601 with an offset (``Z`` or ``+hh:mm``), optional fraction: an aware datetime."""
    match = _OFFSET_TIME.fullmatch(_as_text(value, where))
    if not match:
        raise _Bad(where, f"must be an ISO 8601 time with offset such as 2015-05-21T12:45:23+02:00, not {value!r}")
    whole, fraction, zone = match.groups()
    try:
        moment = datetime.strptime(whole, _LOCAL_FORMAT)
        offset = timedelta(0) if zone == "Z" else (
            (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        tz = timezone(offset)
    except ValueError:
        raise _Bad(where, f"is not a real date, time and offset: {value!r}") from None
    micro = int(fraction[1:7].ljust(6, "0")) if fraction else 0
    return moment.replace(microsecond=micro, tzinfo=tz)


def _as_local_time(value: Any, where: str) -> datetime:
    """Exactly ``yyyy-MM-ddTHH:mm:ss`` without offset: a naive datetime."""
    text = _as_text(value, where)
    if not _LOCAL_TIME.fullmatch(text):
        raise _Bad(where, f"must be yyyy-MM-ddTHH:mm:ss without offset, not {value!r}")
    try:
        return datetime.strptime(text, _LOCAL_FORMAT)
    except ValueError:
        raise _Bad(where, f"is not a real date and time: {value!r}") from None


def _as_day(value: Any, where: str) -> date:
    text = _as_text(value, where)
    if not _DAY.fullmatch(text):
        raise _Bad(where, f"must be a date yyyy-MM-dd, not {value!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(where, f"is not a real date: {value!r}") from None


def _as_money(value: Any, where: str) -> Money:
    money = _Obj(value, where)
    return Money(money.required("amount", _as_amount), money.required("currency", _as_text))


def _echoed_request_id(body: _Obj, sent: str) -> str:
    echoed = body.required("requestId", _as_text)
    if echoed != sent:
        raise _Bad("requestId", f"is {echoed!r}, but the request sent {sent!r}")
    return echoed


def _required_list_or_null(body: _Obj, key: str) -> list[Any]:
    if key not in body.data:
        raise _Bad(body.path(key), "is missing")
    return body.optional(key, _as_list) or []


def _status(value: int) -> PaymentStatus | int:
    try:
        return PaymentStatus(value)
    except ValueError:
        return value


def _message(value: Any, where: str) -> Message:
    item = _Obj(value, where)
    return Message(item.optional("code", _as_text), item.required("text", _as_text), item.data)


def _messages(answer: _Obj, key: str) -> tuple[Message, ...]:
    items = answer.optional(key, _as_list) or []
    return tuple(_message(item, f"{answer.path(key)}[{index}]") for index, item in enumerate(items))


def _answer(value: Any, where: str) -> Answer:
    item = _Obj(value, where)
    info = item.optional("info", _Obj)
    return Answer(
        trans_id=item.optional("transId", _as_text),
        payment_id=item.optional("paymentId", _as_text) if item.data.get("transId") is not None
        else item.required("paymentId", _as_text),
        end_to_end_id=item.optional("endToEndId", _as_text),
        status=_status(item.required("status", _as_int)),
        text=None if info is None else info.optional("text", _as_text),
        instructed=None if info is None else info.optional("instructed", _as_money),
        transacted=None if info is None else info.optional("transacted", _as_money),
        errors=_messages(item, "errors"),
        warnings=_messages(item, "warnings"),
        raw=item.data,
    )


def _statement_entry(value: Any, where: str) -> StatementEntry:
    item = _Obj(value, where)
    amounts = item.optional("amounts", _Obj)
    day = item.required("date", _Obj)

    def figure(key: str) -> Decimal:
        # Full entries keep amount/balance in "amounts", which wins over top-level keys.
        if amounts is None or (amounts.data.get(key) is None and item.data.get(key) is not None):
            return item.required(key, _as_amount)
        return amounts.required(key, _as_amount)

    return StatementEntry(
        id=item.required("id", _as_text),
        sequence=item.optional("sequence", _as_int),
        booking=day.required("booking", _as_local_time),
        value=day.optional("value", _as_local_time),
        amount=figure("amount"),
        balance=figure("balance"),
        type=item.optional("type", _as_text),
        text=item.optional("text", _as_text),
        creditor_text=item.optional("creditorText", _as_text),
        creditor_message=item.optional("creditorMessage", _as_text),
        debtor_text=item.optional("debtorText", _as_text),
        debtor_message=item.optional("debtorMessage", _as_text),
        end_to_end_id=item.optional("endToEndId", _as_text),
        advice=item.optional("advis", _as_strings) or (),
        raw=item.data,
    )


def _balance_entry(value: Any, where: str) -> BalanceEntry:
    item = _Obj(value, where)
    return BalanceEntry(item.required("date", _as_day), item.required("amount", _as_amount),
                        item.required("type", _as_int), item.data)


def _unsettled(result: PaymentsResult, ids: Sequence[str]) -> list[str]:
    """The requested payments without a final answer, described for a message."""
    pending = [f"{a.payment_id} ({_status_name(a.status)})" for a in result.answers if not a.is_final]
    answered = {answer.payment_id for answer in result.answers}
    return pending + [f"{one} (no answer)" for one in ids if one not in answered]


def _status_name(status: PaymentStatus | int) -> str:
    return f"{int(status)} {status.name}" if isinstance(status, PaymentStatus) else f"{status} unknown"


def _requested_day(value: date | str | None, today: date) -> date:
    """The day a request parameter names (``yyyy-MM-dd`` or ``yyMMdd``), else ``today``."""
    if isinstance(value, date):
        return value
    try:
        if isinstance(value, str) and _DAY.fullmatch(value):
            return date.fromisoformat(value)
        short = _SHORT_DAY.fullmatch(value) if isinstance(value, str) else None
        if short:
            return date(2000 + int(short[1]), int(short[2]), int(short[3]))
    except ValueError:
        pass
    return today


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


# --------------------------------------------------------------------------- writing back


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


def _money_api(received: Any, money: Money | None) -> dict[str, Any] | None:
    if money is None:
        return None
    return _write(received if isinstance(received, dict) else {}, money.to_api())


def _messages_api(raw: Mapping[str, Any], key: str, messages: tuple[Message, ...]) -> list[Any] | None:
    if not messages and not isinstance(raw.get(key), list):
        return None
    return [message.to_api() for message in messages]


def _offset_text(received: Any, value: datetime) -> str:
    """The received spelling of a timestamp when it still denotes ``value``, else ISO 8601."""
    if isinstance(received, str):
        try:
            parsed = _as_offset_time(received, "")
        except _Bad:
            parsed = None
        if parsed is not None and parsed == value and parsed.utcoffset() == value.utcoffset():
            return received
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def _local_text(value: datetime) -> str:
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
