"""Sending a request on to the upstream (the real bank) exactly as it came, and reading its answer as it is.

HTTPS is verified against the system's certificates (or ``ca_bundle``); plain ``http://`` is allowed
only for an upstream on this machine. Redirects are passed back, not followed, and the answer's bytes
are kept as they arrived (a compressed body stays compressed for the client).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
import urllib3

from mockbank.control_auth import is_loopback

#: Connection-level headers: they describe one hop, so they are not passed on (RFC 9110 section 7.6.1).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "transfer-encoding", "upgrade"})
#: Headers the HTTP library writes for the upstream connection itself.
REWRITTEN = frozenset({"host", "content-length"})
DEFAULT_TIMEOUT = 30.0


class UpstreamError(Exception):
    """The upstream could not be asked or did not answer; ``status`` is the proxy's answer (502 or 504)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class InvalidUpstream(ValueError):
    """An ``--upstream`` URL that cannot be used; the message says why."""


@dataclass(frozen=True)
class Answer:
    """The upstream's answer: status, reason phrase, end-to-end headers, body bytes as sent and decoded."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    raw: bytes
    content_type: str = ""
    decoded: bytes | None = field(default=None, repr=False)  # None: an encoding mockbank cannot read (br, ...)


def check_upstream_url(url: str) -> str:
    """The upstream base URL without a trailing slash; InvalidUpstream if it is not https:// (or local http://)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUpstream(f"{url!r} is not an http(s) URL such as https://api.bankintegration.dk")
    if parts.query or parts.fragment:
        raise InvalidUpstream(f"{url!r}: give the base URL without a query or fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InvalidUpstream(f"{url!r}: plain http:// is allowed only for an upstream on this machine "
                              "(127.0.0.1, ::1, localhost); the real bank needs https://")
    return url.rstrip("/")


class Upstream:
    """One upstream base URL and a connection pool to it."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT, ca_bundle: str | None = None):
        self.url = check_upstream_url(url)
        self.timeout = timeout
        self._verify: bool | str = ca_bundle or True
        self._session = requests.Session()
        self._session.headers.clear()  # no User-Agent or Accept of our own: the client's headers go as they are
        self._session.trust_env = False  # no .netrc credentials or environment proxies slipped in

    def send(self, method: str, path: str, query_string: str, headers: list[tuple[str, str]],
             body: bytes) -> Answer:
        """Forward one request; UpstreamError 502 (unreachable, TLS, broken answer) or 504 (timeout)."""
        url = self.url + path + (f"?{query_string}" if query_string else "")
        outgoing = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP | REWRITTEN]
        prepared = requests.Request(method, url, data=body or None).prepare()
        prepared.headers.clear()
        for name, value in outgoing:  # a repeated header goes as one, its values joined (RFC 9110 5.3)
            known = prepared.headers.get(name)
            prepared.headers[name] = value if known is None else f"{known}, {value}"
        if "User-Agent" not in prepared.headers:
            prepared.headers["User-Agent"] = urllib3.util.SKIP_HEADER  # not urllib3's own either
        if body:
            prepared.headers["Content-Length"] = str(len(body))
        try:
            response = self._session.send(prepared, stream=True, timeout=self.timeout, allow_redirects=False,
                                          verify=self._verify)
            try:
                raw = response.raw.read(decode_content=False)
            finally:
                response.close()
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise UpstreamError(504, "upstream-timeout", f"the upstream {self.url} did not answer within "
                                                         f"{self.timeout:g} s") from None
        except requests.exceptions.SSLError as error:
            raise UpstreamError(502, "upstream-unreachable",
                                f"the upstream {self.url} failed the TLS certificate check: {_reason(error)}") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
            raise UpstreamError(502, "upstream-unreachable",
                                f"mockbank proxy could not reach the upstream {self.url}: {_reason(error)}") from None
        answer_headers = [(name, value) for name, value in response.raw.headers.items()
                          if name.lower() not in HOP_BY_HOP | {"content-length"}]
        return Answer(response.status_code, response.reason or "", answer_headers, raw,
                      response.headers.get("Content-Type", ""), _decode(raw, response.headers.get("Content-Encoding")))

    def close(self) -> None:
        self._session.close()


def _decode(raw: bytes, encoding: str | None) -> bytes | None:
    """The body without its Content-Encoding, for checking; None when it cannot be read."""
    codings = [part.strip().lower() for part in (encoding or "").split(",") if part.strip()]
    data = raw
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
            elif coding == "deflate":
                data = zlib.decompress(data)
            elif coding != "identity":
                return None
    except zlib.error:
        return None
    return data


def _reason(error: Exception) -> str:
    """The innermost readable reason of a requests/urllib3 error (e.g. 'Connection refused')."""
    text = str(error)
    for marker in ("] ", "Caused by "):
        if marker in text:
            text = text.rsplit(marker, 1)[-1]
    return text.strip(" ()'\"") or type(error).__name__
