"""The emulator as a WSGI application: the API, the control plane, JSON errors, faults, journal."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from mockbank import accesslog, api, control, dashboard, strictjson
from mockbank.control_auth import TOKEN_HEADER, is_control_path, is_cross_site_change, token_matches
from mockbank.bank import Bank
from mockbank.errors import BankError, Conflict, NotFound, SandboxGone
from mockbank.settings import DEFAULT_MAX_BODY
from mockbank.faults import DROP_HEADER, DROP_STATUS, DropConnectionMiddleware
from mockbank.journal_limits import bounded_body, bounded_headers
from mockbank.rawjson import RawJson
from mockbank.sandboxes import SandboxManager
from mockbank.web import (SANDBOX_KEY, ApiError, DecimalJSONProvider, ReasonPhraseMiddleware, SandboxMiddleware,
                          json_response, query_dict, refuse_nul_in_the_url,
                          register_error_handlers, storage_unavailable)

#: The HTTP status of each kind of refusal; any other BankError is a bad request.
STATUS_OF_ERROR = {NotFound: 404, Conflict: 409}


class Runtime:
    """What the handlers of one app share: the root bank, the sandboxes, and the journal writer."""

    def __init__(self, bank: Bank):
        self.bank = bank
        self.sandboxes = SandboxManager(bank.store, bank.fixture.document, bank.settings)
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()

    def request_started(self) -> None:
        with self._in_flight_lock:
            self._in_flight += 1

    def request_finished(self) -> None:
        with self._in_flight_lock:
            self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        """API requests this process is answering right now (a delayed one included)."""
        return self._in_flight

    def begin_request(self, sandbox_id: str | None) -> Bank:
        """The bank of a request, its request begun: the root bank, or a sandbox's (NotFound naming it when
        there is no such sandbox). Until :meth:`end_request`, the request's writes are one transaction."""
        if sandbox_id is not None:
            return self.sandboxes.bank(sandbox_id)
        self.bank.store.begin_request()
        return self.bank

    def end_request(self, error: BaseException | None = None) -> None:
        """Commit the request's transaction, journal entry included (roll it back after ``error``)."""
        self.bank.store.end_request(error)

    def unavailable_at_the_end(self, error: Exception) -> Response | None:
        """When ``error``, raised after the request's work (its journal entry, its commit), is the database
        failing: the request rolled back and the 503 saying its work may have been kept; else None."""
        reason = self.bank.store.outage(error)
        if reason is None:
            return None
        self.end_request(error)
        return storage_unavailable(reason, at_the_end=True)

    def record(self, bank: Bank, request: Request, response: Response, body: Any, verdict: dict[str, Any] | None,
               started: float) -> None:
        """Write one API request with its answer and signature verdict to ``bank``'s journal."""
        dropped = response.status_code == DROP_STATUS and DROP_HEADER in response.headers
        limit, truncated = bank.settings.journal_value_max, {}
        entry = {
            "time": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "bankTime": bank.now().isoformat().replace("+00:00", "Z"),
            "method": request.method, "path": request.path,
            "query": query_dict(request),
            "headers": bounded_headers(dict(request.headers), limit, truncated),
            "body": _journal_body(request, body, limit, truncated),
            "status": None if dropped else response.status_code, "dropped": dropped,
            "response": None if dropped else _journal_answer(response),
            "verdict": verdict,
            "durationMs": round((time.perf_counter() - started) * 1000, 3),
        }
        if truncated:
            entry["truncated"] = truncated
        try:
            bank.store.journal_append(entry, keep=bank.settings.journal_max)
        except SandboxGone:
            pass  # its sandbox was deleted while it ran, and its journal with it
        accesslog.log_request(entry, request.script_root)


#: A number written with an exponent, or with 300 digits in a row: read back from the text it could differ from the
#: value the journal would write (1.0e2 is the integer 100 to mockbank, 1e400 a number beyond a float's range).
_UNUSUAL_NUMBER = re.compile(r"[0-9](?:[eE]|[0-9]{299})")


def _journal_body(request: Request, body: Any, limit: int, truncated: dict[str, int]) -> Any:
    """The request body for the journal. A JSON body that was read (``body``) is kept as the text the client
    sent when that text fits ``limit`` and holds only plain numbers (then it reads back as the same values);
    otherwise the journal writes it, as :func:`~mockbank.journal_limits.bounded_body` does."""
    if body is None:
        return bounded_body(_raw_body(request), limit, truncated)
    text = request.get_data(cache=True).decode("utf-8")  # it was read as UTF-8 JSON text into ``body``
    if (len(text) * 4 <= limit or len(text.encode("utf-8")) <= limit) and not _UNUSUAL_NUMBER.search(text):
        return RawJson(text)
    return bounded_body(body, limit, truncated)


def _raw_body(request: Request) -> Any:
    if not request.content_length and "Transfer-Encoding" not in request.headers:
        return None  # no body (most GET requests)
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:  # already answered 413; the journal notes the size only
        size = (f"{request.content_length} bytes" if request.content_length is not None else
                f"more than {request.max_content_length} bytes")
        return f"({size}, over the size limit: not read)"
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return strictjson.loads(text)
    except ValueError:  # not JSON the journal can store and serve (NaN, lone surrogates, deep nesting, ...)
        return text


def _journal_answer(response: Response) -> Any:
    """The answer for the journal: JSON (every answer mockbank writes) as the text sent, anything else as text."""
    text = response.get_data(as_text=True)
    return RawJson(text) if response.mimetype == "application/json" and text.strip() else text


def create_app(bank: Bank, *, max_body: int = DEFAULT_MAX_BODY, control_token: str | None = None) -> Flask:
    """The emulator app over ``bank`` (seeded by the caller); with ``control_token`` every ``/_mock/*`` route
    answers 401 unless the request carries it in ``X-Mockbank-Token``."""
    app = Flask("mockbank", static_folder=None)  # no /static/<path> route: every answer is mockbank's JSON
    app.config["MAX_CONTENT_LENGTH"] = max_body
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False  # OPTIONS answers a JSON 405, not an empty HTML 200
    app.url_map.merge_slashes = False  # "/_mock//health" answers a JSON 404, not an HTML 308 redirect
    app.json = DecimalJSONProvider(app)
    runtime = app.extensions["mockbank"] = Runtime(bank)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(control.blueprint)
    register_error_handlers(app, outage=bank.store.outage)
    dashboard.install(app)

    app.before_request(refuse_nul_in_the_url)  # first: a sandbox id with a NUL must not reach the database

    @app.before_request
    def refuse_cross_site_control() -> Response | None:
        """403 for a change to the control plane (dashboard forms included) sent by a page of another site."""
        if is_control_path(request.path) and is_cross_site_change(request.method, request.headers, request.host):
            return json_response({"error": "forbidden", "message": (
                "a page of another site may not change this bank: the control plane takes changes from tools "
                "(no Origin header) and from this server's own dashboard only")}, 403)
        return None

    if control_token:
        app.config[dashboard.TOKEN_CONFIG] = control_token  # the dashboard asks a browser for it once

        @app.before_request
        def require_control_token() -> Response | None:
            if request.blueprint == dashboard.BLUEPRINT:  # its pages guard themselves (a browser sends no header)
                return None
            if is_control_path(request.path) and not token_matches(request.headers.get(TOKEN_HEADER), control_token):
                return json_response({"error": "unauthorized", "message": (
                    f"the control plane needs the header {TOKEN_HEADER} with the token this server was started "
                    f"with (mockbank serve --control-token)" if TOKEN_HEADER not in request.headers else
                    f"the {TOKEN_HEADER} header does not match this server's control token")}, 401)
            return None

    @app.before_request
    def choose_bank() -> None:
        """The bank of this request: a sandbox's when its URL is below /sandboxes/<id>, else the root bank."""
        g.bank = runtime.begin_request(request.environ.get(SANDBOX_KEY))

    @app.after_request
    def finish(response: Response) -> Response:
        """Journal a request no route takes (404, 405), so a client calling a wrong path shows; then commit
        the request's one transaction, before its answer is sent."""
        try:
            if request.blueprint is None and not request.path.startswith("/_mock") and "bank" in g:
                runtime.record(g.bank, request, response, None, None, time.perf_counter())
            runtime.end_request()
        except Exception as error:
            answer = runtime.unavailable_at_the_end(error)
            if answer is None:
                raise
            return answer
        return response

    @app.teardown_request
    def abandon(error: BaseException | None) -> None:
        """A request that failed without an answer (after_request did not run) writes nothing."""
        runtime.end_request(error or RuntimeError("the request ended without an answer"))

    @app.errorhandler(BankError)
    def bank_error(error: BankError) -> Response:
        status = STATUS_OF_ERROR.get(type(error), 400)
        return json_response(ApiError(status, error.code, error.message, error.details).body(), status)

    app.wsgi_app = SandboxMiddleware(DropConnectionMiddleware(ReasonPhraseMiddleware(app.wsgi_app)))
    return app
