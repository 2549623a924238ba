"""The control-plane token: which paths it guards and how a request proves it knows it.

Contract (design.md): with ``--control-token TOKEN`` every ``/_mock/*`` route, in every sandbox, requires the
header ``X-Mockbank-Token: TOKEN``; the API keeps ``Authorization`` for its signatures.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

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


#: Methods that change something: a browser sends them from any page it shows, without asking first, when they
#: look like a form's (no custom header, a form's content type).
_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_cross_site_change(method: str, headers: Mapping[str, str], host: str) -> bool:
    """True when a browser sends a changing request from a page of another origin.

    Any web page a developer has open could otherwise reset the bank or add faults through the open control
    plane (a form, or ``fetch`` in ``no-cors`` mode). Browsers say where a request comes from: ``Sec-Fetch-Site``
    (``same-origin``, or ``none`` when the user typed it), else ``Origin``, compared with the ``Host`` asked for.
    Tools (curl, requests, the kits) send neither and are never refused.
    """
    if method.upper() not in _CHANGING_METHODS:
        return False
    site = headers.get("Sec-Fetch-Site")
    if site is not None:
        return site.lower() not in ("same-origin", "none")
    origin = headers.get("Origin")
    if origin is None:
        return False
    return urlsplit(origin).netloc.lower() != host.lower()  # "null" (a file, a sandboxed frame) has no netloc


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
