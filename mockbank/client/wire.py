"""Reading the API's answers: HTTP status to error, body to JSON, JSON to the client's models.

Every check names what is wrong and where (``answers[1].info.instructed.amount must be a number``);
an answer that is not the documented one raises :class:`~mockbank.client.exceptions.InvalidResponse`.
Numbers are read as :class:`decimal.Decimal`, never as floats.

:func:`payments_result`, :func:`statement` and :func:`balance` parse a decoded document on their own
(raising :class:`FieldError`); :func:`parse` runs one of them on a :class:`Reply` and turns a
:class:`FieldError` into an ``InvalidResponse``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from email.message import Message as _MimeHeader
from typing import Any, TypeVar

from mockbank.client.exceptions import BadRequest, InvalidResponse, ServerError, Unauthorized
from mockbank.client.models import (Answer, Balance, BalanceEntry, Message, Money, PaymentsResult, PaymentStatus,
                                    ReportHeader, Statement, StatementEntry)
from mockbank.jsontypes import json_type_name

SUCCESS_STATUSES = frozenset({200, 201, 202, 204})
EXCERPT_CHARS = 200

_LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_OFFSET_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:[0-5]\d)")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

T = TypeVar("T")
R = TypeVar("R", bound=ReportHeader)


@dataclass(frozen=True)
class Reply:
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


def clip(text: str) -> str:
    """``text`` cut to :data:`EXCERPT_CHARS` characters (with ``...`` when it was longer)."""
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


# --------------------------------------------------------------------------- status and body


def checked_reply(reply: Reply) -> Reply:
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


def _body_text(reply: Reply) -> str:
    """The body as text in its declared charset (UTF-8 when none is declared)."""
    header = _MimeHeader()
    header["Content-Type"] = reply.content_type or "application/json"
    charset = header.get_content_charset() or "utf-8"
    codec = "utf-8-sig" if charset.replace("_", "-") in ("utf-8", "utf8") else charset
    return reply.content.decode(codec)


def _decode_json(reply: Reply) -> Any:
    try:
        text = _body_text(reply)
    except (LookupError, UnicodeDecodeError) as error:
        raise InvalidResponse(f"{reply.what}: the body is not readable text ({error})",
                              http_status=reply.status, body=reply.content[:EXCERPT_CHARS]) from None
    try:
        return _loads(text)
    except (ValueError, RecursionError) as error:
        raise InvalidResponse(f"{reply.what}: the body is not JSON ({error}): {_excerpt(text)!r}",
                              http_status=reply.status, body=text) from None


def _loads(text: str) -> Any:
    """JSON with every fraction read as a Decimal; NaN and Infinity are refused."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _error_body(reply: Reply) -> Any | None:
    """An error answer's body: parsed JSON, else its text, None when empty or unreadable."""
    try:
        text = _body_text(reply)
    except (LookupError, UnicodeDecodeError):
        return None
    if not text.strip():
        return None
    try:
        return _loads(text)
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
    return clip(" ".join(text.split()))


# --------------------------------------------------------------------------- typed reading


class FieldError(Exception):
    """A response field that is missing, of the wrong type or in the wrong format."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where or 'the body'} {problem}")


def parse(reply: Reply, parser: Callable[[Any, str], T]) -> T:
    """``parser`` run on the reply's document and requestId; a :class:`FieldError` becomes an InvalidResponse."""
    try:
        return parser(reply.document, reply.request_id)
    except FieldError as bad:
        raise InvalidResponse(f"{reply.what}: invalid response: {bad}", http_status=reply.status,
                              body=reply.document) from None


class _Obj:
    """Typed reading of one JSON object of a response; problems name the field's path."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise FieldError(where, f"must be a JSON object, not {json_type_name(data)}")
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
            raise FieldError(self.path(key), "is missing" if key not in self.data else "is null")
        return convert(value, self.path(key))


def _as_text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise FieldError(where, f"must be a string, not {json_type_name(value)}")
    return value


def _as_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(where, f"must be an integer, not {json_type_name(value)}")
    return value


def _as_amount(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise FieldError(where, f"must be a number, not {json_type_name(value)}")
    return Decimal(value)


def _as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(where, f"must be a list, not {json_type_name(value)}")
    return value


def _as_strings(value: Any, where: str) -> tuple[str, ...]:
    return tuple(_as_text(item, f"{where}[{index}]") for index, item in enumerate(_as_list(value, where)))


def offset_time(value: Any, where: str) -> datetime:
    """ISO 8601 with an offset (``Z`` or ``+hh:mm``), optional fraction: an aware datetime."""
    match = _OFFSET_TIME.fullmatch(_as_text(value, where))
    if not match:
        raise FieldError(where, f"must be an ISO 8601 time with offset such as 2015-05-21T12:45:23+02:00, not {value!r}")
    whole, fraction, zone = match.groups()
    try:
        moment = datetime.strptime(whole, _LOCAL_FORMAT)
        offset = timedelta(0) if zone == "Z" else (
            (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        tz = timezone(offset)
    except ValueError:
        raise FieldError(where, f"is not a real date, time and offset: {value!r}") from None
    micro = int(fraction[1:7].ljust(6, "0")) if fraction else 0
    return moment.replace(microsecond=micro, tzinfo=tz)


def _as_local_time(value: Any, where: str) -> datetime:
    """Exactly ``yyyy-MM-ddTHH:mm:ss`` without offset: a naive datetime."""
    text = _as_text(value, where)
    if not _LOCAL_TIME.fullmatch(text):
        raise FieldError(where, f"must be yyyy-MM-ddTHH:mm:ss without offset, not {value!r}")
    try:
        return datetime.strptime(text, _LOCAL_FORMAT)
    except ValueError:
        raise FieldError(where, f"is not a real date and time: {value!r}") from None


def _as_day(value: Any, where: str) -> date:
    text = _as_text(value, where)
    if not DAY.fullmatch(text):
        raise FieldError(where, f"must be a date yyyy-MM-dd, not {value!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(where, f"is not a real date: {value!r}") from None


def _as_money(value: Any, where: str) -> Money:
    money = _Obj(value, where)
    return Money(money.required("amount", _as_amount), money.required("currency", _as_text))


def _echoed_request_id(body: _Obj, sent: str) -> str:
    echoed = body.required("requestId", _as_text)
    if echoed != sent:
        raise FieldError("requestId", f"is {echoed!r}, but the request sent {sent!r}")
    return echoed


def _required_list_or_null(body: _Obj, key: str) -> list[Any]:
    if key not in body.data:
        raise FieldError(body.path(key), "is missing")
    return body.optional(key, _as_list) or []


# --------------------------------------------------------------------------- documents to models


def payments_result(document: Any, sent_request_id: str) -> PaymentsResult:
    """The answer of ``/payment``, ``/status``, ``/payment/{transId}`` or ``/payment/cancel``."""
    body = _Obj(document, "")
    request_id = _echoed_request_id(body, sent_request_id)
    answers = body.optional("answers", _as_list) or []
    return PaymentsResult(
        account=body.required("account", _as_text),
        request_id=request_id,
        time=body.required("time", offset_time),
        answers=tuple(_answer(item, f"answers[{index}]") for index, item in enumerate(answers)),
        raw=body.data,
    )


def statement(document: Any, sent_request_id: str) -> Statement:
    """The answer of ``/report/account``, in the Simple or the Full shape."""
    return _report(Statement, document, sent_request_id, _as_local_time, _statement_entry, owner=_owner)


def balance(document: Any, sent_request_id: str) -> Balance:
    """The answer of ``/report/balance``."""
    return _report(Balance, document, sent_request_id, _as_day, _balance_entry)


def _report(kind: type[R], document: Any, sent_request_id: str, as_day: Callable[[Any, str], Any],
            as_entry: Callable[[Any, str], Any], **more: Callable[[_Obj], Any]) -> R:
    """A report: its header, the fields ``more`` reads, its period (``from``, ``to``) and its entries."""
    body = _Obj(document, "")
    request_id = _echoed_request_id(body, sent_request_id)
    entries = _required_list_or_null(body, "entries")
    fields = {name: read(body) for name, read in more.items()}
    return kind(
        **_report_header(body, request_id),
        **fields,
        from_=body.required("from", as_day),
        to=body.required("to", as_day),
        entries=tuple(as_entry(item, f"entries[{index}]") for index, item in enumerate(entries)),
        raw=body.data,
    )


def _report_header(body: _Obj, request_id: str) -> dict[str, Any]:
    """The :class:`~mockbank.client.models.ReportHeader` fields of a report (its requestId checked), as keywords."""
    return {
        "account": body.required("account", _as_text),
        "request_id": request_id,
        "created": body.required("created", offset_time),
        "currency": body.required("currency", _as_text),
        "name": body.optional("name", _as_text),
        "bic": body.optional("bic", _as_text),
    }


def _owner(body: _Obj) -> dict[str, Any] | None:
    owner = body.optional("owner", _Obj)
    return None if owner is None else owner.data


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
