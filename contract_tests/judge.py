"""How the kit judges an exchange from both ends.

What the client *sent*: the emulator's verdict on its signature, the request against its JSON
Schema, and the values against what the kit asked for. What the client *reported*: the same as
the emulator answered (field by field, numbers and instants compared by value), or the right error
kind. Each ``expect_*`` raises :class:`CheckFailed` with the evidence.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mockbank import routes, schemas
from mockbank.bank import parse_request_date
from mockbank.errors import BankError
from mockbank.contract_tests.session import CheckFailed, Exchange

#: Fields the kit adds to responses to see that clients ignore what they do not know.
UNKNOWN_FIELD_NAMES = ("futureField", "futureObject")

#: The adapter protocol's operations and the (method, path template) each may be sent as.
OPERATION_ROUTES = routes.operation_routes()


def expect_no_adapter_failure(exchange: Exchange) -> None:
    if exchange.failure:
        raise CheckFailed(f"{exchange.op}: {exchange.failure}", exchange=exchange)


def expect_requests(exchange: Exchange) -> list[dict[str, Any]]:
    """The client sent at least one request, each to the route of the operation; returns them."""
    expect_no_adapter_failure(exchange)
    if not exchange.requests:
        raise CheckFailed(f"{exchange.op}: the client sent no request to the emulator", exchange=exchange)
    expected = OPERATION_ROUTES[exchange.op]
    for entry in exchange.requests:
        route = routes.find(entry["method"], entry["path"])
        if route is None or (entry["method"], route.path) not in expected:
            raise CheckFailed(f"{exchange.op}: the client sent {entry['method']} {entry['path']}, expected "
                              f"{' or '.join(f'{m} {p}' for m, p in sorted(expected))}", exchange=exchange)
    return exchange.requests


def expect_verified(exchange: Exchange) -> None:
    """Every request the client sent passed the signature check."""
    for entry in expect_requests(exchange):
        verdict = entry.get("verdict") or {}
        if not verdict.get("ok"):
            cause = verdict.get("cause", "no verdict")
            raise CheckFailed(f"{entry['method']} {entry['path']}: the signature was refused ({cause}): "
                              f"{verdict.get('message', '')}", exchange=exchange, diagnosis=verdict)


def expect_schema_valid(exchange: Exchange) -> None:
    """Every request body or query matches its JSON Schema."""
    for entry in expect_requests(exchange):
        name = routes.find(entry["method"], entry["path"]).requests[entry["method"]]
        instance = entry["query"] if entry["method"] in routes.QUERY_METHODS else entry["body"]
        problems = schemas.violations(name, instance)
        if problems:
            raise CheckFailed(f"{entry['method']} {entry['path']}: the request does not match {name}: "
                              + "; ".join(f"{p.pointer or '/'} {p.reason}" for p in problems[:5]),
                              exchange=exchange, expected=name, reported=instance)


def expect_reported_as_answered(exchange: Exchange) -> None:
    """The client reported success with the body the emulator answered (its last request)."""
    expect_no_adapter_failure(exchange)
    answered = exchange.requests[-1] if exchange.requests else None
    if answered is None or answered.get("status") is None or not 200 <= answered["status"] < 300:
        raise CheckFailed(f"{exchange.op}: the emulator did not answer with success", exchange=exchange)
    if exchange.error is not None:
        raise CheckFailed(f"{exchange.op}: the emulator answered {answered['status']} but the client reported "
                          f"an error ({exchange.error.get('kind')}: {exchange.error.get('message')})",
                          exchange=exchange, expected=answered["response"], reported=exchange.error)
    difference = first_difference(answered["response"], exchange.result)
    if difference is not None:
        raise CheckFailed(f"{exchange.op}: the client reported something else than the emulator answered: "
                          f"{difference}", exchange=exchange, expected=answered["response"], reported=exchange.result)


def expect_error(exchange: Exchange, kind: str, http_status: int | None = None) -> None:
    """The client reported a failure of this kind (and HTTP status)."""
    expect_no_adapter_failure(exchange)
    error = exchange.error
    if error is None:
        raise CheckFailed(f"{exchange.op}: the client reported success where it should report {kind!r}",
                          exchange=exchange, expected={"kind": kind, "httpStatus": http_status},
                          reported=exchange.result)
    if error.get("kind") != kind or (http_status is not None and error.get("httpStatus") != http_status):
        raise CheckFailed(f"{exchange.op}: the client reported {error.get('kind')!r} "
                          f"(HTTP {error.get('httpStatus')}) where it should report {kind!r}"
                          + (f" (HTTP {http_status})" if http_status else ""), exchange=exchange,
                          expected={"kind": kind, "httpStatus": http_status}, reported=error)


def expect_sent_as_asked(exchange: Exchange, fields: dict[str, Any], where: str = "") -> None:
    """The first request's body/query holds these values (numbers and amounts compared by value)."""
    entry = expect_requests(exchange)[0]
    sent = entry["body"] if entry["method"] == "POST" else entry["query"]
    for name, wanted in fields.items():
        got = sent.get(name, sent.get(ALIASES.get(name))) if isinstance(sent, dict) else None
        if name in ("from", "to") and _same_day(wanted, got):
            continue
        if entry["method"] == "GET" and isinstance(wanted, list):  # a list in a query: a,b;c or repeated keys
            parts = got if isinstance(got, list) else [got] if got is not None else []
            got = [piece.strip() for part in parts for piece in re.split(r"[,;]", str(part)) if piece.strip()]
        difference = first_difference(wanted, got, f"{where}{name}")
        if difference is not None:
            raise CheckFailed(f"{exchange.op}: the request did not carry what was asked: {difference}",
                              exchange=exchange, expected=fields, reported=sent)


#: Names the API accepts for a parameter besides its own (spec §10.6: Odoo sends paymentId).
ALIASES = {"paymentIds": "paymentId"}


def _same_day(wanted: Any, got: Any) -> bool:
    """The same date, written yyyy-MM-dd or yyMMdd (both accepted by the API)."""
    try:
        return parse_request_date(str(wanted), "from") == parse_request_date(str(got), "from")
    except BankError:
        return False


def expect_payment_ids_kept_on_retry(exchange: Exchange) -> None:
    """Every POST /payment of one exchange carries the same paymentIds (a retry must not make new ones)."""
    sets = [sorted(t.get("paymentId") for t in entry["body"].get("transactions", []) if isinstance(t, dict))
            for entry in exchange.requests if entry["path"] == "/payment" and isinstance(entry.get("body"), dict)]
    if len({tuple(s) for s in sets}) > 1:
        raise CheckFailed(f"pay: the client retried with other paymentIds ({sets[0]} then {sets[-1]}); a retry must "
                          "send the same ids so the duplicate check stops a second payment",
                          exchange=exchange, expected=sets[0], reported=sets[-1])


# --------------------------------------------------------------------------- comparing values


def first_difference(expected: Any, reported: Any, path: str = "") -> str | None:
    """The first place where ``reported`` differs from ``expected``, or None.

    Every field of ``expected`` must be reported (fields the kit injected as unknown excepted);
    fields the client adds are ignored. Numbers (and numeric strings) compare by value, ISO 8601
    instants with an offset compare as instants, ``null`` and a missing list compare equal to ``[]``.
    """
    where = path or "the body"
    if isinstance(expected, dict):
        if not isinstance(reported, dict):
            return f"{where}: expected an object, the client reported {_short(reported)}"
        for key, value in expected.items():
            if key in UNKNOWN_FIELD_NAMES:
                continue
            if key not in reported:
                if value in ([], None):
                    continue
                return f"{_join(path, key)}: missing (the emulator answered {_short(value)})"
            found = first_difference(value, reported[key], _join(path, key))
            if found:
                return found
        return None
    if isinstance(expected, list):
        reported = [] if reported is None else reported
        if not isinstance(reported, list):
            return f"{where}: expected a list, the client reported {_short(reported)}"
        if len(expected) != len(reported):
            return f"{where}: {len(expected)} items answered, {len(reported)} reported"
        for index, (left, right) in enumerate(zip(expected, reported)):
            found = first_difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    if _same_scalar(expected, reported):
        return None
    return f"{where}: the emulator answered {_short(expected)}, the client reported {_short(reported)}"


def _same_scalar(expected: Any, reported: Any) -> bool:
    if expected is None:
        return reported in (None, [])  # a null list (e.g. "answers": null) read as an empty one
    if isinstance(expected, bool) or isinstance(reported, bool):
        return expected is reported
    left, right = _as_number(expected), _as_number(reported)
    if left is not None and right is not None and (isinstance(expected, (int, float, Decimal))
                                                   or isinstance(reported, (int, float, Decimal))):
        return left == right
    if isinstance(expected, str) and isinstance(reported, str):
        if expected == reported:
            return True
        left_time, right_time = _as_instant(expected), _as_instant(reported)
        return left_time is not None and left_time == right_time
    return expected == reported


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)) if isinstance(value, (int, float, Decimal, str)) else None
    except InvalidOperation:
        return None


def _as_instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _short(value: Any) -> str:
    text = repr(float(value)) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
