"""The proxy as a WSGI application: ``/_mock/*`` answered here, every other request forwarded.

Control routes: ``GET /_mock/health``, ``GET``/``DELETE /_mock/requests`` (the journal, ``?since=``,
``?limit=``), ``GET``/``DELETE /_mock/drift``. With a control token they need ``X-Mockbank-Token``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WerkzeugResponse

from mockbank import __version__
from mockbank.control_auth import TOKEN_HEADER, token_matches
from mockbank.proxy.exchange import Incoming, Proxy
from mockbank.web import ApiError, DecimalJSONProvider, json_response, query_dict, register_error_handlers

CONTROL_PREFIX = "/_mock"
MAX_BODY = 16 * 1024 * 1024


class _Unchanged(WerkzeugResponse):
    default_mimetype = None  # no Content-Type of our own when the upstream sent none


class ProxyApp:
    """WSGI: control routes for ``/_mock``, the upstream for the rest."""

    def __init__(self, proxy: Proxy):
        self.proxy = proxy
        self.control = control_app(proxy)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self.control(environ, start_response)
        return self._forward(Request(environ))(environ, start_response)

    def _forward(self, request: Request) -> WerkzeugResponse:
        request.max_content_length = MAX_BODY
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge:
            return _Unchanged('{"error": "payload-too-large", "message": "mockbank proxy forwards bodies up to '
                              f'{MAX_BODY} bytes"}}\n', status=413, content_type="application/json; charset=utf-8")
        incoming = Incoming(request.method, request.path, request.environ.get("QUERY_STRING", ""),
                            query_dict(request), list(request.headers.items()), body)
        outgoing = self.proxy.handle(incoming)
        response = _Unchanged(outgoing.body, headers=outgoing.headers)
        response.status = f"{outgoing.status} {outgoing.reason}".strip()
        return response


def control_app(proxy: Proxy) -> Flask:
    app = Flask("mockbank.proxy", static_folder=None)
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.json = DecimalJSONProvider(app)
    register_error_handlers(app)

    @app.before_request
    def require_token() -> None:
        if proxy.control_token is None:
            return
        if not token_matches(request.headers.get(TOKEN_HEADER), proxy.control_token):
            raise ApiError(401, "unauthorized", f"the proxy's control plane needs the header {TOKEN_HEADER} "
                                                "(the --control-token it was started with)")

    @app.get(f"{CONTROL_PREFIX}/health")
    def health() -> Response:
        return json_response({"status": "ok", "version": __version__, "mode": "proxy",
                              "upstream": proxy.upstream.url,
                              "signatureCheck": "all" if proxy.signature.checks_hmac else "all but the HMAC",
                              "recording": proxy.recorder is not None})

    @app.get(f"{CONTROL_PREFIX}/requests")
    def journal() -> Response:
        return json_response(proxy.journal.entries(since=_int_arg("since", 0), limit=_int_arg("limit", None)))

    @app.delete(f"{CONTROL_PREFIX}/requests")
    def clear_journal() -> Response:
        return json_response({"deleted": proxy.journal.clear()})

    @app.get(f"{CONTROL_PREFIX}/drift")
    def drift() -> Response:
        return json_response({"upstream": proxy.upstream.url, **proxy.drift.report()})

    @app.delete(f"{CONTROL_PREFIX}/drift")
    def clear_drift() -> Response:
        proxy.drift.clear()
        return json_response({"status": "cleared"})

    return app


def _int_arg(name: str, default: int | None) -> int | None:
    text = request.args.get(name)
    if text is None:
        return default
    if not text.isdigit():
        raise ApiError(400, "bad-request", f"?{name} must be a whole number, not {text[:20]!r}",
                       [{"pointer": f"/{name}", "reason": "is not a whole number"}])
    return int(text)
