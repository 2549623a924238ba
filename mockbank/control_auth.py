"""The control-plane token: which paths it guards and how a request proves it knows it.

Contract (design.md): with ``--control-token TOKEN`` every ``/_mock/*`` route, in every sandbox, requires the
header ``X-Mockbank-Token: TOKEN``; the API keeps ``Authorization`` for its signatures.
"""

from __future__ import annotations

import hmac
import ipaddress
import re

TOKEN_HEADER = "X-Mockbank-Token"
#: Where the command line and the test tools read the token when no option gives it.
TOKEN_ENV = "MOCKBANK_CONTROL_TOKEN"

_CONTROL_PATH = re.compile(r"(/sandboxes/[^/]+)?/_mock(/.*)?")


def is_control_path(path: str) -> bool:
    """True for a control-plane path: ``/_mock/...`` at the root or below ``/sandboxes/<id>``."""
    return _CONTROL_PATH.fullmatch(path or "") is not None


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the header's value with the server's token."""
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def token_headers(token: str | None) -> dict[str, str]:
    """The headers a tool adds to its control-plane calls (none without a token)."""
    return {TOKEN_HEADER: token} if token else {}


def is_loopback(host: str) -> bool:
    """True for an address only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
