"""The ``/_mock/*`` control plane: health, reset, clock, journal, faults, magic values, progression."""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from mockbank import __version__, clock, magic, openapi, render, routes, schemas, signing
from mockbank.faults import FaultError
from mockbank.jsonnumbers import json_integer
from mockbank.schemas import pointer
from mockbank.store.base import SandboxRecord
from mockbank.web import (SANDBOX_KEY, ApiError, add_routes, current_bank, current_faults, json_body, json_response,
                          runtime, schema_error)

blueprint = Blueprint("control", __name__)

#: Journal entries per ``GET /_mock/requests`` without ``?limit=``, and the most one call answers.
JOURNAL_PAGE = 500
JOURNAL_PAGE_MAX = 5000
#: SQLite's largest integer: ?since= and ?limit= beyond it mean "no bound" all the same.
_MAX_INT = 2**63 - 1
#: The longest progression step: a payment moves on at least once a year (longer overflows the calendar).
MAX_STEP_SECONDS = 365 * 24 * 3600


def _body() -> dict[str, Any]:
    return json_body() if request.get_data(cache=True).strip() else {}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _int_arg(name: str, default: int | None) -> int | None:
    value = request.args.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()):  # isdigit alone lets '²' through, which int() refuses
        raise ApiError(400, "bad-request", f"?{name} must be a non-negative integer, not {value!r}",
                       [{"pointer": f"/{name}", "reason": "is not a non-negative integer"}])
    digits = value.lstrip("0") or "0"
    return min(int(digits), _MAX_INT) if len(digits) <= 19 else _MAX_INT  # SQLite's integers end at 2**63-1


def health() -> Response:
    return json_response({"status": "ok", "version": __version__, "pid": os.getpid(), "inFlight": runtime().in_flight,
                          "sandbox": request.environ.get(SANDBOX_KEY),
                          "journalDropped": current_bank().store.journal_dropped()})


def reset() -> Response:
    unknown = sorted(_body())
    if unknown:
        raise ApiError(400, "bad-request", "reset takes no fields: send no body or {}",
                       [{"pointer": pointer([name]), "reason": "is not a reset field"} for name in unknown])
    current_bank().reset()
    return json_response({"status": "reset", "clock": current_bank().clock().describe()})


def get_clock() -> Response:
    return json_response(current_bank().clock().describe())


def set_clock() -> Response:
    body = _body()
    unknown = sorted(set(body) - {"now", "advance", "frozen"})
    if unknown or not body:
        raise ApiError(400, "bad-request", 'send {"now": ISO8601}, {"advance": SECONDS} and/or {"frozen": true|false}',
                       [{"pointer": pointer([name]), "reason": "is not a clock field"} for name in unknown])
    bank = current_bank()
    with bank.store.transaction():  # read, change and write the clock as one step, whatever other processes do
        state = bank.clock(fresh=True)
        if "frozen" in body:
            if not isinstance(body["frozen"], bool):
                raise ApiError(400, "bad-request", "frozen must be true or false", [{"pointer": "/frozen",
                                                                                     "reason": "is not a boolean"}])
            state = state.freeze() if body["frozen"] else state.unfreeze()
        if "now" in body:
            try:
                state = state.set_to(signing.parse_auth_time(str(body["now"])))
            except ValueError as error:
                raise ApiError(400, "bad-request", f"now: {error}", [{"pointer": "/now", "reason": str(error)}]) from None
        if "advance" in body:
            if not _is_number(body["advance"]):
                raise ApiError(400, "bad-request", "advance must be a number of seconds",
                               [{"pointer": "/advance", "reason": "is not a number"}])
            try:
                state = state.advance(float(body["advance"]))
            except OverflowError:  # beyond what a datetime can hold
                state = None
        try:
            in_range = state is not None and clock.in_range(state.now())
        except OverflowError:  # set to the calendar's last second, then overtaken by real time
            in_range = False
        if not in_range:
            raise ApiError(400, "bad-request", clock.RANGE_TEXT,
                           [{"pointer": "/advance" if "advance" in body else "/now",
                             "reason": "moves the bank clock outside 1900-01-01 to 9000-01-01"}])
        bank.set_clock(state)
    return json_response(state.describe())


def journal() -> Response:
    """One page of the journal: a JSON array (as before pages existed), the next page's URL in a Link header."""
    limit = min(_int_arg("limit", JOURNAL_PAGE), JOURNAL_PAGE_MAX)
    entries = current_bank().store.journal(since=_int_arg("since", 0), limit=limit + 1)
    response = json_response(entries[:limit])
    if len(entries) > limit and limit > 0:
        following = f"{request.base_url}?{urlencode({'since': entries[limit - 1]['id'], 'limit': limit})}"
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


def clear_journal() -> Response:
    return json_response({"deleted": current_bank().store.journal_clear()})


def add_fault() -> Response:
    try:
        fault = current_faults().add(json_body())
    except FaultError as error:
        raise ApiError(400, "bad-request", f"fault {error.pointer or '/'} {error.reason}",
                       [{"pointer": error.pointer, "reason": error.reason}]) from None
    return json_response(fault, 201)


def list_faults() -> Response:
    return json_response(current_faults().list())


def clear_faults() -> Response:
    return json_response({"deleted": current_faults().clear()})


def magic_values() -> Response:
    return json_response(magic.catalogue_json(current_bank().settings))


def progress() -> Response:
    body = _body()
    unknown = schemas.unknown_fields("progress-request", body)
    if unknown:  # a misspelt paymentId would otherwise move every payment
        raise ApiError(400, "bad-request", "; ".join(f"{p.pointer} {p.reason}" for p in unknown),
                       [{"pointer": p.pointer, "reason": p.reason} for p in unknown])
    payment_id, status, account = body.get("paymentId"), body.get("status"), body.get("account")
    status = status if json_integer(status) is None else json_integer(status)  # 8.0 is the JSON number 8
    for name, value in (("paymentId", payment_id), ("account", account)):
        if value is not None and not isinstance(value, str):
            raise ApiError(400, "bad-request", f"{name} must be a string", [{"pointer": f"/{name}",
                                                                             "reason": "is not a string"}])
    if status is not None and (payment_id is None or not isinstance(status, int) or isinstance(status, bool)
                               or status not in magic.STATUS_NAMES or status == magic.NOT_FOUND):
        raise ApiError(400, "bad-request", "status needs a paymentId and must be a payment status other than 64",
                       [{"pointer": "/status", "reason": "is not a status a payment can be moved to"}])
    errors = body.get("errors")
    if errors is not None and (status not in (magic.REJECTED, magic.FAILED) or not _is_error_list(errors)):
        raise ApiError(400, "bad-request", 'errors go with status 16 or 32 and must be a list of '
                                           '{"code": "...", "text": "..."}',
                       [{"pointer": "/errors", "reason": "is not a list of {code, text} for status 16 or 32"}])
    bank = current_bank()
    moved = bank.progress(payment_id, status, account, errors)
    return json_response({"payments": [render.payment_description(payment, bank.mode(payment.account))
                                       for payment in moved]})


def _is_error_list(errors: Any) -> bool:
    return isinstance(errors, list) and bool(errors) and all(
        isinstance(item, dict) and set(item) == {"code", "text"} and isinstance(item["code"], str)
        and item["code"].strip() != "" and isinstance(item["text"], str) for item in errors)


def payments() -> Response:
    bank = current_bank()
    return json_response([render.payment_description(payment, bank.mode(payment.account))
                          for payment in bank.payments(request.args.get("account"))])


def get_progression() -> Response:
    return json_response(current_bank().progression())


def set_progression() -> Response:
    body = json_body()
    step = body.get("stepSeconds")
    for name in ("mode", "account"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ApiError(400, "bad-request", f"{name} must be a string", [{"pointer": f"/{name}",
                                                                             "reason": "is not a string"}])
    try:
        seconds = float(step) if _is_number(step) else None
    except OverflowError:  # an integer too large for a float
        seconds = None
    if step is not None and (seconds is None or not math.isfinite(seconds) or not 0 < seconds <= MAX_STEP_SECONDS):
        raise ApiError(400, "bad-request", f"stepSeconds must be a positive number up to {MAX_STEP_SECONDS} (a year)",
                       [{"pointer": "/stepSeconds", "reason": f"is not a positive number up to {MAX_STEP_SECONDS}"}])
    return json_response(current_bank().set_progression(body.get("mode"), body.get("account"), seconds))


def openapi_document() -> Response:
    return json_response(openapi.served())


# --------------------------------------------------------------------------- sandboxes


def _at_the_root() -> None:
    if request.environ.get(SANDBOX_KEY) is not None:
        raise ApiError(404, "not-found", "sandboxes are made and listed at the server's root "
                                         f"({request.host_url}_mock/sandboxes), not inside a sandbox")


def _sandbox_json(record: SandboxRecord) -> dict[str, Any]:
    return {"id": record.id, "baseUrl": f"{request.root_url.rstrip('/')}/sandboxes/{record.id}",
            "createdAt": _utc_text(record.created_at), "lastUsedAt": _utc_text(record.last_used_at),
            "expiresAt": _utc_text(record.expires_at)}


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def create_sandbox() -> Response:
    _at_the_root()
    body = _body()
    problems = schemas.violations("sandbox-request", body)
    if problems:
        raise schema_error(problems, "sandbox request")
    record, bank = runtime().sandboxes.create(body)
    credentials = [creds.to_json() for creds in bank.fixture.credentials()]
    return json_response({**_sandbox_json(record), "credentials": credentials}, 201)


def list_sandboxes() -> Response:
    _at_the_root()
    return json_response({"sandboxes": [_sandbox_json(record) for record in runtime().sandboxes.all()]})


def delete_sandbox(sandbox_id: str) -> Response:
    _at_the_root()
    runtime().sandboxes.remove(sandbox_id)
    return Response(status=204)


add_routes(blueprint, routes.CONTROL, globals())
