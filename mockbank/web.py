"""HTTP plumbing shared by the API and the control plane: JSON in, JSON out, JSON errors."""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from typing import Any, Callable

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.json.provider import JSONProvider
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.http import HTTP_STATUS_CODES

from werkzeug.routing import BaseConverter

from mockbank import routes
from mockbank.faults import FaultPlan
from mockbank.jsonnumbers import decimal_to_json, dumps
from mockbank.schemas import pointer
from mockbank import strictjson

log = logging.getLogger("mockbank")

JSON_MIMETYPE = "application/json; charset=utf-8"

#: The WSGI environ key naming the sandbox of a request (absent for the root bank).
SANDBOX_KEY = "mockbank.sandbox"
_SANDBOX_PATH = re.compile(r"/sandboxes/([^/]+)(/.*)?")


class SandboxMiddleware:
    """Mounts the whole app again below ``/sandboxes/<id>``: the prefix moves to ``SCRIPT_NAME`` (as any
    WSGI mount does) and the id to ``environ[SANDBOX_KEY]``, so every route serves every sandbox."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        match = _SANDBOX_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match:
            sandbox_id, rest = match.group(1), match.group(2) or "/"
            # WSGI paths are bytes read as Latin-1; the id is the text the client meant (in a 404's message)
            environ = {**environ, SANDBOX_KEY: sandbox_id.encode("latin-1").decode("utf-8", "replace"),
                       "PATH_INFO": rest, "SCRIPT_NAME": f"{environ.get('SCRIPT_NAME', '')}/sandboxes/{sandbox_id}"}
        return self.app(environ, start_response)


#: Reason phrases as IIS/ASP.NET write them (the real service runs on .NET): Werkzeug would send its own in
#: upper case ("503 SERVICE UNAVAILABLE"), and clients such as Odoo 1.x turn the phrase into a state.
IIS_REASON_PHRASES = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
    413: "Request Entity Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}


def iis_status(status: str) -> str:
    """``"503 SERVICE UNAVAILABLE"`` -> ``"503 Service Unavailable"``; a phrase of our own is kept as it is."""
    code, _, phrase = status.partition(" ")
    if not code.isdigit():
        return status
    default = HTTP_STATUS_CODES.get(int(code), "UNKNOWN")
    if phrase and phrase != default.upper():
        return status
    return f"{code} {IIS_REASON_PHRASES.get(int(code), default)}"


class ReasonPhraseMiddleware:
    """Writes every status line with the IIS reason phrase (see :data:`IIS_REASON_PHRASES`)."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def with_phrase(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(iis_status(status), headers, exc_info)

        return self.app(environ, with_phrase)


def runtime() -> Any:
    """The running emulator of this app (banks, sandboxes, journal writer): a ``mockbank.app.Runtime``."""
    return current_app.extensions["mockbank"]


def current_bank() -> Any:
    """The bank this request acts on: the root bank, or the sandbox of its URL (a ``mockbank.bank.Bank``)."""
    return g.bank


def current_faults() -> FaultPlan:
    """The fault plan of the bank this request acts on."""
    return FaultPlan(g.bank.store, g.bank.settings.max_delay_ms)


class DigitsConverter(BaseConverter):
    """A path segment of ASCII digits only (werkzeug's ``int`` also takes other scripts' digits)."""

    regex = "[0-9]+"


def add_routes(blueprint: Blueprint, kind: str, views: dict[str, Any]) -> None:
    """Register every route of ``kind`` from :data:`mockbank.routes.ROUTES` on ``blueprint``."""
    blueprint.record_once(lambda state: state.app.url_map.converters.setdefault("digits", DigitsConverter))
    for route in routes.of_kind(kind):
        blueprint.add_url_rule(route.flask_rule, route.endpoint, views[route.endpoint], methods=route.methods)


def current_route() -> routes.Route:
    """The route (from the table) answering this request."""
    return routes.ROUTE_BY_ENDPOINT[request.endpoint.rpartition(".")[2]]


class ApiError(Exception):
    """An error answered as ``{"error", "message", "details"}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 reason: str | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []
        self.reason = reason
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        body.update(self.extra)
        return body


class DecimalJSONProvider(JSONProvider):
    """JSON with Decimal amounts written as numbers, keys in insertion order, UTF-8 text."""

    mimetype = JSON_MIMETYPE

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if not kwargs:
            return dumps(obj)
        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("default", decimal_to_json)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_float", Decimal)
        return json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = args[0] if len(args) == 1 else (args or kwargs)
        return current_app.response_class(self.dumps(obj) + "\n", mimetype=self.mimetype)


def json_response(body: Any, status: int | str = 200) -> Response:
    """A JSON response; ``status`` may carry a reason phrase, e.g. ``"401 Invalid Signature"``."""
    response = current_app.response_class(dumps(body) + "\n", mimetype=JSON_MIMETYPE)
    response.status = status if isinstance(status, str) else str(status)
    return response


def refuse_nul_in_the_url() -> None:
    """ApiError 400 when a sandbox id, the path of a route (an unknown path stays a 404) or the query holds a NUL
    character (``%00``), which no field of the bank holds and PostgreSQL cannot store: refused on every engine
    alike, before it reaches the database."""
    path = request.path if request.routing_exception is None else ""
    if "\x00" in request.environ.get(SANDBOX_KEY, "") + path:
        raise ApiError(400, "bad-request", "the path holds a NUL character (%00), which no field of the bank can hold",
                       [{"pointer": "", "reason": "the path holds a NUL character"}])
    if "%00" in request.environ.get("QUERY_STRING", ""):
        for name, value in request.args.items(multi=True):
            if "\x00" in name + value:
                raise ApiError(400, "bad-request", f"the query parameter {name!r} holds a NUL character (%00), which "
                               "no field of the bank can hold", [{"pointer": pointer([name]), "reason": "holds a NUL "
                                                                  "character"}])


def json_body() -> dict[str, Any]:
    """The request body as a JSON object (numbers as Decimal), or ApiError 400 saying what is wrong."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "bad-request", "the request body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, "bad-request", f"the request body is not UTF-8 (byte {error.start})") from None
    try:
        body = strictjson.loads(text)
    except ValueError as error:
        raise ApiError(400, "bad-request", f"the request body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad-request", "the request body must be a JSON object",
                       [{"pointer": "", "reason": "is not of type 'object'"}])
    return body


def query_dict(of=None) -> dict[str, Any]:
    """The query string as a dict: a key given once maps to a string, a repeated key to a list."""
    of = of or request
    if not of.environ.get("QUERY_STRING"):
        return {}  # most POSTs: no MultiDict to build
    return {key: values[0] if len(values) == 1 else values for key, values in of.args.lists()}


def schema_error(violations: list, what: str = "request") -> ApiError:
    """ApiError 400 listing every violation with its JSON pointer."""
    details = [{"pointer": v.pointer, "reason": v.reason} for v in violations]
    summary = "; ".join(f"{d['pointer'] or '/'} {d['reason']}" for d in details[:5])
    return ApiError(400, "bad-request", f"the {what} does not match its schema: {summary}", details)


def storage_unavailable(reason: str, at_the_end: bool = False) -> Response:
    """The 503 of a request whose database failed to serve (``reason``, one line); ``at_the_end``: after the
    request's work, which may have been kept."""
    log.warning("%s %s: 503, %s", request.method, request.path, reason)
    outcome = ("the request was not completed: send it again" if not at_the_end else
               "what the request did may or may not have been kept: send it again (a payment already kept is "
               "answered as a duplicate)")
    response = json_response({"error": "storage-unavailable",
                              "message": f"mockbank could not use its database ({reason}); {outcome}"}, 503)
    response.headers["Retry-After"] = "1"
    return response


def register_error_handlers(app: Flask, outage: Callable[[BaseException], str | None] | None = None) -> None:
    """Every error as JSON: no HTML page, no traceback. ``outage`` says (in one line) when an unexpected error is
    the database failing to serve: that is answered 503, not 500."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        status = f"{error.status} {error.reason}" if error.reason else error.status
        return json_response(error.body(), status)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Response:
        return json_response({"error": "not-found", "message": f"no route {request.path}",
                              "routes": routes.listing()}, 404)

    @app.errorhandler(MethodNotAllowed)
    def method_not_allowed(error: MethodNotAllowed) -> Response:
        allowed = sorted(set(error.valid_methods or []) - {"HEAD", "OPTIONS"})
        response = json_response({"error": "method-not-allowed", "allowed": allowed,
                                  "message": f"{request.method} is not allowed on {request.path}; "
                                             f"use {' or '.join(allowed)}"}, 405)
        response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = {413: "payload-too-large"}.get(error.code, (error.name or "error").lower().replace(" ", "-"))
        message = (f"the request body is larger than {app.config.get('MAX_CONTENT_LENGTH')} bytes"
                   if error.code == 413 else error.description)
        return json_response({"error": code, "message": message}, error.code or 500)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Response:
        reason = outage(error) if outage is not None else None
        if reason is not None:
            return storage_unavailable(reason)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return json_response({"error": "internal-error",
                              "message": f"mockbank failed on this request ({type(error).__name__}); "
                                         "this is a bug in mockbank, please report it"}, 500)
