"""Who reaches the dashboard: browsers opening ``/`` are sent to it, and with a control token a browser
gives the token once per browser session (a session cookie) instead of a header on every page.

The token is the control plane's (``X-Mockbank-Token``, design.md); the app keeps it in
``app.config[TOKEN_CONFIG]``. Pages take it from that header or from the cookie; the pages' scripts send
it as the header to the ``/_mock/*`` routes they call.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import current_app, request
from werkzeug.utils import redirect
from werkzeug.wrappers import Request

#: Where the app keeps the control-plane token (None: the control plane is open).
TOKEN_CONFIG = "MOCKBANK_CONTROL_TOKEN"
TOKEN_HEADER = "X-Mockbank-Token"
#: The session cookie holding the token a browser gave (no expiry: gone when the browser closes).
TOKEN_COOKIE = "mockbank_token"
UI_PATH = "/_mock/ui"


class RootRedirect:
    """``GET /`` asking for HTML (a browser) is redirected to the dashboard; anything else passes on."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            wanted = Request(environ).accept_mimetypes.best_match(["application/json", "text/html"])
            if wanted == "text/html":
                return redirect(f"{environ.get('SCRIPT_NAME', '')}{UI_PATH}/", 302)(environ, start_response)
        return self.app(environ, start_response)


def expected_token() -> str | None:
    return current_app.config.get(TOKEN_CONFIG) or None


def matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def request_token_ok() -> bool:
    """True when no token is configured, or the request carries it (header or session cookie)."""
    expected = expected_token()
    if expected is None:
        return True
    return matches(request.headers.get(TOKEN_HEADER), expected) or matches(request.cookies.get(TOKEN_COOKIE),
                                                                            expected)


def cookie_path() -> str:
    return f"{request.script_root}{UI_PATH}"


def safe_next(target: str | None) -> str:
    """Where to go after the token was given: a dashboard page of this bank, nothing else."""
    home = f"{cookie_path()}/"
    return target if target and target.startswith(home) and "//" not in target and "\\" not in target else home
