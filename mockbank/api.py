"""The public BankIntegration API as a Flask blueprint: parse, authenticate, call the bank, render."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from mockbank import render, routes, schemas, signing, verification
from mockbank.accounts import normalize_account
from mockbank.errors import SandboxGone
from mockbank.faults import DROP_HEADER, DROP_STATUS, reshape
from mockbank.web import (SANDBOX_KEY, ApiError, add_routes, current_bank, current_faults, current_route, json_body,
                          json_response, query_dict, runtime, schema_error)

blueprint = Blueprint("api", __name__)

MALFORMED_HINT = ("Send Authorization: Basic <Base64 of the UTF-8 JSON auth object> with serviceProvider, account, "
                  "time, requestId and hash; 'mockbank sign' prints a correct one.")


# --------------------------------------------------------------------------- faults and journal


@blueprint.before_request
def before() -> Response | None:
    runtime().request_started()
    g.counted = True
    g.started = time.perf_counter()
    g.body = None
    g.verdict = None
    g.faults = current_faults().list()
    return _inject_fault("before")


@blueprint.teardown_request
def finished(error: BaseException | None) -> None:
    if g.pop("counted", False):
        runtime().request_finished()


@blueprint.after_request
def after(response: Response) -> Response:
    if "started" not in g:  # refused before this blueprint saw it (an unknown sandbox): nothing to journal
        return response
    try:
        return _fault_and_journal(response)
    except Exception as error:  # an ``after`` delay may have committed the work before the database failed
        answer = runtime().unavailable_at_the_end(error)
        if answer is None:
            raise
        return answer


def _fault_and_journal(response: Response) -> Response:
    g.response = response
    injected = _inject_fault("after") if any(f["when"] == "after" for f in g.faults) else None
    if injected is not None:
        response = injected
    if g.verdict is None:
        g.verdict = _verdict_for_the_journal()
    runtime().record(current_bank(), request, response, g.body, g.verdict, g.started)
    return response


def _inject_fault(when: str) -> Response | None:
    if not g.faults:
        return None
    fault = current_faults().take(request.method, request.path, _header_account(), when)
    if fault is None:
        return None
    if fault.delay_ms:
        current_bank().store.checkpoint()  # no lock is held while the request waits
        released = current_faults().wait(fault.delay_ms, request.environ)
        if not current_bank().store.exists():  # its sandbox was deleted meanwhile
            gone = SandboxGone(request.environ[SANDBOX_KEY])
            return json_response(ApiError(404, gone.code, gone.message, gone.details).body(), 404)
        if released:
            return None  # DELETE /_mock/faults released it: the request goes on without the fault
    if fault.drop:
        response = json_response({"error": "dropped"}, DROP_STATUS)
        response.headers[DROP_HEADER] = "1"
        return response
    if fault.status:
        return json_response({"error": "server-error", "message": fault.message or
                              f"injected fault: the bank answers {fault.status} (mockbank fault {fault.id})"},
                             fault.status)
    if fault.reshape and when == "after":
        return _reshaped(fault.reshape)
    return None


def _reshaped(how: str) -> Response | None:
    response = g.response
    if response.status_code != 200 or response.mimetype != "application/json":
        return None
    body = json.loads(response.get_data(as_text=True))
    return json_response(reshape(body, how), response.status_code)


def _verdict_for_the_journal() -> dict[str, Any] | None:
    """The signature verdict of a request refused before its signature was checked (a fault, a 400).

    Best effort: None when the header or the parameters cannot be read at all.
    """
    try:
        auth = _parsed_header()
        body = json_body() if request.method == "POST" else None
    except (signing.MalformedHeader, ApiError, HTTPException):  # HTTPException: a body over the size limit (413)
        return None
    return verify(auth, None if body is not None else query_dict(), body).to_json()


def _header_account() -> str | None:
    """The account named in the Authorization header, unverified (only to match faults)."""
    try:
        return normalize_account(_parsed_header().account)
    except signing.MalformedHeader:
        return None


def _parsed_header() -> signing.AuthObject:
    """The request's auth object, decoded once per request; MalformedHeader if it cannot be."""
    if "auth" not in g:
        try:
            g.auth = signing.parse_authorization(request.headers.get("Authorization"))
        except signing.MalformedHeader as error:
            g.auth = error
    if isinstance(g.auth, signing.MalformedHeader):
        raise g.auth
    return g.auth


# --------------------------------------------------------------------------- authentication


def authenticate(query: dict[str, Any] | None = None, body: dict[str, Any] | None = None) -> signing.AuthObject:
    """Verify the Authorization header for this request; ApiError 401 with the diagnosis if it fails."""
    try:
        auth = _parsed_header()
    except signing.MalformedHeader as error:
        g.verdict = {"ok": False, "cause": "malformed-header", "message": error.message, "hint": MALFORMED_HINT}
        raise ApiError(401, "unauthorized", error.message, reason="Invalid Signature",
                       diagnosis={"cause": "malformed-header", "message": error.message, "hint": MALFORMED_HINT})
    verdict = verify(auth, query, body)
    g.verdict = verdict.to_json()
    if not verdict.ok:
        raise ApiError(401, "unauthorized", verdict.message, reason="Invalid Signature",
                       diagnosis=verdict.diagnosis())
    return auth


def verify(auth: signing.AuthObject, query: dict[str, Any] | None, body: dict[str, Any] | None) -> verification.Verdict:
    """Verify against the host's real clock; a request signed with the bank clock's time passes too."""
    settings = current_bank().settings
    options = {"method": request.method, "path": request.path, "query": query, "body": body,
               "credentials": current_bank(), "max_clock_skew": settings.max_clock_skew,
               "require_request_id_match": settings.require_request_id_match,
               "lenient_time_formats": settings.lenient_time_formats}
    verdict = verification.verify(auth, clock_now=datetime.now(timezone.utc), **options)
    if verdict.cause == "clock-skew":
        by_bank_clock = verification.verify(auth, clock_now=current_bank().now(), **options)
        if by_bank_clock.cause != "clock-skew":
            return by_bank_clock
    return verdict


def account_of(auth: signing.AuthObject) -> str:
    return normalize_account(auth.account)


# --------------------------------------------------------------------------- parameters


def _params() -> dict[str, Any]:
    """The query or body of this request, checked against the schema the route table gives it."""
    schema = current_route().request_schema(request.method)
    if request.method == "POST":
        params = json_body()
        g.body = params
    else:
        params = query_dict()
    problems = schemas.violations(schema, params)
    if not problems and current_bank().settings.reject_unknown_fields:
        problems = schemas.unknown_fields(schema, params)
    if problems:
        raise schema_error(problems, "request body" if request.method == "POST" else "query")
    return params


def _payment_ids(params: dict[str, Any]) -> list[str] | None:
    """``paymentIds`` (or its alias ``paymentId``) as a list: JSON list, comma/semicolon list, or repeated keys."""
    value = params.get("paymentIds", params.get("paymentId"))
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    ids = [part.strip() for item in values for part in re.split(r"[,;]", str(item)) if part.strip()]
    return ids


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


# --------------------------------------------------------------------------- endpoints (routed by mockbank.routes)


def send_payment() -> Response:
    body = json_body()
    g.body = body
    request_level, per_transaction = schema_errors_by_transaction(body, current_bank().settings.reject_unknown_fields)
    if request_level:
        raise ApiError(400, "bad-request", "the payment request does not match its schema: " + "; ".join(
            f"{d['pointer'] or '/'} {d['reason']}" for d in request_level[:5]), request_level)
    auth = authenticate(body=body)
    answers = current_bank().pay(account_of(auth), body["requestId"], body["transactions"], body.get("options"),
                                 per_transaction)
    return json_response(render.payment_answers(answers))


def payment_by_trans_id(trans_id: str) -> Response:
    params = _params()
    auth = authenticate(query=params)
    return json_response(render.payment_answers(current_bank().payment(account_of(auth), params["requestId"], trans_id)))


def payment_status() -> Response:
    params = _params()
    auth = _authenticate_params(params)
    answers = current_bank().status(account_of(auth), params["requestId"], _payment_ids(params))
    return json_response(render.payment_answers(answers))


def statement() -> Response:
    params = _params()
    auth = _authenticate_params(params)
    report = current_bank().statement(auth.service_provider, account_of(auth), params["requestId"], params.get("type"),
                                      params.get("from"), params.get("to"), _flag(params.get("newOnly", False)))
    return json_response(render.statement(report))


def balance() -> Response:
    params = _params()
    auth = _authenticate_params(params)
    kind = params.get("type")
    report = current_bank().balance(account_of(auth), params["requestId"], int(kind) if kind is not None else None,
                                    params.get("from"), params.get("to"))
    return json_response(render.balance_report(report))


def cancel() -> Response:
    params = _params()
    auth = authenticate(body=params)
    answers = current_bank().cancel(account_of(auth), params["requestId"], _payment_ids(params) or [])
    return json_response(render.payment_answers(answers))


def _authenticate_params(params: dict[str, Any]) -> signing.AuthObject:
    return authenticate(body=params) if request.method == "POST" else authenticate(query=params)



def schema_errors_by_transaction(body: dict[str, Any], reject_unknown_fields: bool = False,
                                 ) -> tuple[list[dict[str, str]], dict[int, list[dict[str, str]]]]:
    """Split a payment body's schema violations: request-level ones, and per transaction index.

    A transaction's own field errors make only that payment Failed (32); everything else (and a
    transaction without a usable paymentId) fails the whole request. With ``reject_unknown_fields``
    a field the schema does not define is a violation too.
    """
    request_level, per_transaction = [], {}
    violations = schemas.violations("payment-request", body)
    if reject_unknown_fields and not violations:
        violations = schemas.unknown_fields("payment-request", body)
    for violation in violations:
        parts = violation.pointer.split("/")
        if len(parts) >= 4 and parts[1] == "transactions" and parts[3] != "paymentId":
            field_name = "/".join(parts[3:])
            per_transaction.setdefault(int(parts[2]), []).append(
                {"code": "FIELD", "field": field_name, "text": f"{field_name} {violation.reason}"})
        else:
            request_level.append({"pointer": violation.pointer, "reason": violation.reason})
    return request_level, per_transaction


add_routes(blueprint, routes.API, globals())
