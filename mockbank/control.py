"""The ``/_mock/*`` control plane: health, reset, clock, journal, faults, magic values, progression."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request

from mockbank import __version__, magic, render, signing
from mockbank.faults import FaultError
from mockbank.store.base import SandboxRecord
from mockbank.web import SANDBOX_KEY, ApiError, current_bank, current_faults, json_body, json_response, runtime

blueprint = Blueprint("control", __name__, url_prefix="/_mock")

#: SQLite's largest integer: ?since= and ?limit= beyond it mean "no bound" all the same.
_MAX_INT = 2**63 - 1
#: The bank clock stays within these years: near the ends of the calendar, dates cannot be computed on.
CLOCK_RANGE = (datetime(1900, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc))


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


@blueprint.get("/health")
def health() -> Response:
    return json_response({"status": "ok", "version": __version__, "inFlight": runtime().in_flight,
                          "sandbox": request.environ.get(SANDBOX_KEY),
                          "journalDropped": current_bank().store.journal_dropped()})


@blueprint.post("/reset")
def reset() -> Response:
    current_bank().reset()
    return json_response({"status": "reset", "clock": current_bank().clock().describe()})


@blueprint.get("/clock")
def get_clock() -> Response:
    return json_response(current_bank().clock().describe())


@blueprint.post("/clock")
def set_clock() -> Response:
    body = _body()
    unknown = sorted(set(body) - {"now", "advance", "frozen"})
    if unknown or not body:
        raise ApiError(400, "bad-request", 'send {"now": ISO8601}, {"advance": SECONDS} and/or {"frozen": true|false}',
                       [{"pointer": f"/{name}", "reason": "is not a clock field"} for name in unknown])
    state = current_bank().clock()
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
        in_range = state is not None and CLOCK_RANGE[0] <= state.now() < CLOCK_RANGE[1]
    except OverflowError:  # set to the calendar's last second, then overtaken by real time
        in_range = False
    if not in_range:
        raise ApiError(400, "bad-request", "the bank clock must stay from 1900-01-01 to before 9000-01-01 (UTC)",
                       [{"pointer": "/advance" if "advance" in body else "/now",
                         "reason": "moves the bank clock outside 1900-01-01 to 9000-01-01"}])
    current_bank().set_clock(state)
    return json_response(state.describe())


@blueprint.get("/requests")
def journal() -> Response:
    return json_response(current_bank().store.journal(since=_int_arg("since", 0), limit=_int_arg("limit", None)))


@blueprint.delete("/requests")
def clear_journal() -> Response:
    return json_response({"deleted": current_bank().store.journal_clear()})


@blueprint.post("/faults")
def add_fault() -> Response:
    try:
        fault = current_faults().add(json_body())
    except FaultError as error:
        raise ApiError(400, "bad-request", f"fault {error.pointer or '/'} {error.reason}",
                       [{"pointer": error.pointer, "reason": error.reason}]) from None
    return json_response(fault, 201)


@blueprint.get("/faults")
def list_faults() -> Response:
    return json_response(current_faults().list())


@blueprint.delete("/faults")
def clear_faults() -> Response:
    return json_response({"deleted": current_faults().clear()})


@blueprint.get("/magic")
def magic_values() -> Response:
    return json_response(magic.catalogue_json(current_bank().settings))


@blueprint.post("/progress")
def progress() -> Response:
    body = _body()
    payment_id, status, account = body.get("paymentId"), body.get("status"), body.get("account")
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


@blueprint.get("/payments")
def payments() -> Response:
    bank = current_bank()
    return json_response([render.payment_description(payment, bank.mode(payment.account))
                          for payment in bank.payments(request.args.get("account"))])


@blueprint.get("/progression")
def get_progression() -> Response:
    return json_response(current_bank().progression())


@blueprint.post("/progression")
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
    if step is not None and (seconds is None or not math.isfinite(seconds) or seconds <= 0):
        raise ApiError(400, "bad-request", "stepSeconds must be a positive number",
                       [{"pointer": "/stepSeconds", "reason": "is not a positive number"}])
    return json_response(current_bank().set_progression(body.get("mode"), body.get("account"), seconds))


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


@blueprint.post("/sandboxes")
def create_sandbox() -> Response:
    _at_the_root()
    record, bank = runtime().sandboxes.create(_body())
    credentials = [creds.to_json() for creds in bank.fixture.credentials()]
    return json_response({**_sandbox_json(record), "credentials": credentials}, 201)


@blueprint.get("/sandboxes")
def list_sandboxes() -> Response:
    _at_the_root()
    return json_response({"sandboxes": [_sandbox_json(record) for record in runtime().sandboxes.all()]})


@blueprint.delete("/sandboxes/<sandbox_id>")
def delete_sandbox(sandbox_id: str) -> Response:
    _at_the_root()
    runtime().sandboxes.remove(sandbox_id)
    return Response(status=204)
