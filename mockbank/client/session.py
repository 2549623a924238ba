"""The client itself: a ``requests`` session, signing, timeouts, and one method per API operation.

Requests are built here (Decimal amounts as exact JSON numbers, dates as ``yyyy-MM-dd``) and signed
with :func:`mockbank.signing.sign`; answers are read by :mod:`mockbank.client.wire`. The client never
retries (see :mod:`mockbank.client`).
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import re
import time as _time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3

from mockbank import __version__, signing
from mockbank.client import wire
from mockbank.client.exceptions import BankIntegrationError, ConnectionFailed, InvalidResponse, Timeout
from mockbank.client.models import Balance, PaymentsResult, PaymentStatus, Statement

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
USER_AGENT = f"mockbank-client/{__version__}"

_SHORT_DAY = re.compile(r"(\d{2})(\d{2})(\d{2})")


class BankIntegrationClient:
    """A strict client for one account of the BankIntegration API.

    ``clock`` supplies the signing time (default: the real UTC now), ``request_ids`` the
    requestId of each request that is not given one (default ``"REQ_" + uuid4 hex``). ``timeout``
    (seconds) bounds connecting and each read. ``scheme`` prefixes the Authorization header
    (``""`` sends the bare Base64). A session passed in is used as is and not closed by
    :meth:`close`. The client never retries (see :mod:`mockbank.client`).
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
        sent = _json_transactions(transactions)
        rid = self._request_id(request_id)
        body: dict[str, Any] = {"requestId": rid, "transactions": sent}
        if options is not None:
            if not isinstance(options, Mapping):
                raise TypeError("options must be a mapping of the RequestOptions flags")
            body["options"] = _json_ready(options, "options")
        reply = self._exchange("POST", "/payment", rid, body=body, transactions=sent)
        return self._payments(reply)

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
        return self._payments(reply)

    def payment(self, trans_id: str, *, request_id: str | None = None) -> PaymentsResult:
        """``GET /payment/{transId}?requestId=``: the payments of one transfer."""
        if not isinstance(trans_id, str) or not trans_id:
            raise ValueError("trans_id must be a non-empty string")
        rid = self._request_id(request_id)
        reply = self._exchange("GET", "/payment/" + quote(trans_id, safe=""), rid, query={"requestId": rid})
        return self._payments(reply)

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
        return self._statement(reply, from_, to)

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
        return self._balance(reply, from_, to)

    def cancel(self, payment_ids: Sequence[str], *, request_id: str | None = None) -> PaymentsResult:
        """``POST /payment/cancel``: ask the bank to revoke payments; follow up with :meth:`status`."""
        ids = _checked_ids(payment_ids, "payment_ids")
        rid = self._request_id(request_id)
        reply = self._exchange("POST", "/payment/cancel", rid, body={"requestId": rid, "paymentIds": ids})
        return self._payments(reply)

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

    def _exchange_params(self, verb: str, path: str, request_id: str, params: dict[str, Any]) -> wire.Reply:
        """Send the parameters as a JSON body (POST) or as the query string (GET)."""
        if verb == "POST":
            return self._exchange(verb, path, request_id, body=params)
        return self._exchange(verb, path, request_id, query={k: _query_value(v) for k, v in params.items()})

    def _exchange(self, method: str, path: str, request_id: str, *, query: Mapping[str, str] | None = None,
                  body: Any = None, transactions: Sequence[Mapping[str, Any]] | None = None) -> wire.Reply:
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
        reply = wire.Reply(what, request_id, signing.to_utc(moment), response.status_code,
                           response.reason or http.client.responses.get(response.status_code, ""),
                           response.content, response.headers.get("Content-Type", ""),
                           response.headers.get("Location"))
        return wire.checked_reply(reply)

    # ----------------------------------------------------------------- results (204: built from the request)

    def _payments(self, reply: wire.Reply) -> PaymentsResult:
        if reply.no_content:
            return PaymentsResult(self.credentials.account, reply.request_id, reply.sent_at, ())
        return wire.parse(reply, wire.payments_result)

    def _statement(self, reply: wire.Reply, from_: date | str | None, to: date | str | None) -> Statement:
        if reply.no_content:
            today = reply.sent_at.date()
            return Statement(self.credentials.account, reply.request_id, reply.sent_at, None, None, None, None,
                             _midnight(_requested_day(from_, today)), _midnight(_requested_day(to, today)), ())
        return wire.parse(reply, wire.statement)

    def _balance(self, reply: wire.Reply, from_: date | str | None, to: date | str | None) -> Balance:
        if reply.no_content:
            today = reply.sent_at.date()
            return Balance(self.credentials.account, reply.request_id, reply.sent_at, None, None, None,
                           _requested_day(from_, today), _requested_day(to, today), ())
        return wire.parse(reply, wire.balance)


# --------------------------------------------------------------------------- transport and request helpers


class _SignedAuth(requests.auth.AuthBase):
    """Sets the signed Authorization header; being an explicit auth it also keeps ``requests``
    from replacing the header with ``.netrc`` or session credentials."""

    def __init__(self, header: str) -> None:
        self.header = header

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.header
        return request


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


def _json_transactions(transactions: Sequence[Mapping[str, Any]]) -> list[Any]:
    if isinstance(transactions, (str, bytes, Mapping)) or not isinstance(transactions, Sequence):
        raise TypeError("transactions must be a sequence of mappings with the API's field names")
    if not transactions:
        raise ValueError("a payment request needs at least one transaction")
    for index, transaction in enumerate(transactions):
        if not isinstance(transaction, Mapping):
            raise TypeError(f"transactions[{index}] must be a mapping, not {type(transaction).__name__}")
    return [_json_ready(transaction, f"transactions[{index}]") for index, transaction in enumerate(transactions)]


def _json_ready(value: Any, where: str) -> Any:
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
        return _json_decimal(value, where)
    if isinstance(value, datetime):
        raise TypeError(f"{where} is a datetime; pass a date (sent as yyyy-MM-dd) or a string")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"{where} must have string keys")
        return {key: _json_ready(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{where}: a {type(value).__name__} cannot be sent as JSON")


def _json_decimal(value: Decimal, where: str) -> float | str:
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
    return wire.clip(f"{type(error).__name__}: {error}")


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
        if isinstance(value, str) and wire.DAY.fullmatch(value):
            return date.fromisoformat(value)
        short = _SHORT_DAY.fullmatch(value) if isinstance(value, str) else None
        if short:
            return date(2000 + int(short[1]), int(short[2]), int(short[3]))
    except ValueError:
        pass
    return today


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)

