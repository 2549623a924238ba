"""The Requests page's view of the journal: filters, newest-first pages, and a request as curl or explain."""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from mockbank import explanation, fixtures, signing
from mockbank.jsonnumbers import decimal_to_json

PAGE_SIZE = 50
#: Entries read per query while a filter looks for a page of matches.
_CHUNK = 500
#: Headers a curl line repeats (the others are the client's or the transport's).
_CURL_HEADERS = ("Authorization", "Content-Type", "Accept")


@dataclass(frozen=True)
class JournalFilter:
    """``?status=`` (401, or a class like 4xx), ``?cause=`` (a diagnosis cause), ``?path=`` (part of the path)."""

    status: str = ""
    cause: str = ""
    path: str = ""

    @classmethod
    def from_args(cls, args: Any) -> JournalFilter:
        return cls(*(str(args.get(name, "")).strip() for name in ("status", "cause", "path")))

    @property
    def active(self) -> bool:
        return bool(self.status or self.cause or self.path)

    def query(self) -> dict[str, str]:
        return {name: value for name, value in (("status", self.status), ("cause", self.cause),
                                                ("path", self.path)) if value}

    def accepts(self, entry: dict[str, Any]) -> bool:
        status = "dropped" if entry.get("dropped") else str(entry.get("status"))
        if self.status and not (status == self.status or (len(self.status) == 3 and self.status.endswith("xx")
                                                         and status[:1] == self.status[:1])):
            return False
        if self.cause and (entry.get("verdict") or {}).get("cause") != self.cause:
            return False
        return not self.path or self.path in (entry.get("path") or "")


def page(store: Any, wanted: JournalFilter, before: int | None) -> tuple[list[dict[str, Any]], int | None]:
    """Up to :data:`PAGE_SIZE` matching entries older than ``before``, newest first, and the cursor of the
    next (older) page, or None when there is none."""
    found: list[dict[str, Any]] = []
    cursor = before
    while True:
        chunk = store.journal_newest(cursor, _CHUNK if wanted.active else PAGE_SIZE + 1)
        for entry in chunk:
            if wanted.accepts(entry):
                if len(found) == PAGE_SIZE:
                    return found, found[-1]["id"]
                found.append(entry)
        if not chunk or (not wanted.active and len(chunk) <= PAGE_SIZE):
            return found, None
        cursor = chunk[-1]["id"]


def newer(store: Any, wanted: JournalFilter, after: int) -> tuple[list[dict[str, Any]], int]:
    """Matching entries after id ``after`` (for the live view), newest first, at most a page; and the id of the
    newest entry read, where the next look starts (however many entries the filter passed over)."""
    found: list[dict[str, Any]] = []
    cursor = after
    while True:
        chunk = store.journal(since=cursor, limit=_CHUNK)
        found.extend(entry for entry in chunk if wanted.accepts(entry))
        if chunk:
            cursor = chunk[-1]["id"]
        if len(chunk) < _CHUNK:
            return found[::-1][:PAGE_SIZE], cursor


def decoded_auth(entry: dict[str, Any]) -> dict[str, Any] | str | None:
    """The auth object the client sent, decoded; the reason when it cannot be; None without a header."""
    header = _header(entry, "Authorization")
    if header is None:
        return None
    try:
        return explanation.auth_json(signing.parse_authorization(header))
    except signing.MalformedHeader as error:
        return error.message


def curl_line(entry: dict[str, Any], base_url: str) -> str:
    """The request as one curl command line against ``base_url`` (this bank's URL)."""
    url = base_url.rstrip("/") + entry["path"]
    if entry.get("query"):
        url += "?" + query_text(entry)
    parts = ["curl", "-i", "-X", entry["method"], shlex.quote(url)]
    for name in _CURL_HEADERS:
        value = _header(entry, name)
        if value is not None:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = body_text(entry)
    if body is not None:
        parts += ["--data-raw", shlex.quote(body)]
    return " ".join(parts)


def explain_command(entry: dict[str, Any], where: list[str] | None = None) -> str | None:
    """The ``mockbank explain`` command that verifies this request again, or None without a header.

    ``where`` are the options that give explain this bank's credentials (see :func:`credential_options`); without
    them it looks them up in the built-in demo bank.
    """
    header = _header(entry, "Authorization")
    if header is None:
        return None
    parts = ["mockbank", "explain", "--header", shlex.quote(header), *map(shlex.quote, where or []),
             "--method", entry["method"], "--path", shlex.quote(entry["path"])]
    if entry.get("query"):
        parts += ["--query", shlex.quote(query_text(entry))]
    clock = _clock_of(entry)
    if clock:
        parts += ["--now", clock]
    body = body_text(entry)
    if body is None:
        return " ".join(parts)
    return f"echo {shlex.quote(body)} | {' '.join(parts)} --body -"


def _clock_of(entry: dict[str, Any]) -> str | None:
    """The clock the server checked the auth time against: it accepts a time near the host's clock (the entry's
    ``time``) or near the bank clock (``bankTime``), so the one nearer the auth time."""
    clocks = [entry[name] for name in ("time", "bankTime") if entry.get(name)]
    auth = decoded_auth(entry)
    try:
        signed = signing.parse_auth_time(auth["time"], lenient=True)
        return min(clocks, key=lambda text: abs(datetime.fromisoformat(text.replace("Z", "+00:00")) - signed))
    except (TypeError, KeyError, ValueError, signing.MalformedHeader):  # no usable auth time: the bank clock
        return entry.get("bankTime")


#: The file a sandbox's explain command reads its credentials from: the sandbox's answer to POST /_mock/sandboxes.
SANDBOX_ANSWER_FILE = "sandbox.json"


def credential_options(bank: Any, in_sandbox: bool) -> list[str]:
    """The options that make ``mockbank explain`` verify with the credentials of the bank the request reached.

    No key is written on the page. A sandbox's keys are given to its creator once, in the answer to ``POST
    /_mock/sandboxes``: the command reads them from that answer saved as :data:`SANDBOX_ANSWER_FILE`. A server
    started on a fixture file is given ``--fixtures`` with that file. The built-in demo bank is explain's default.
    """
    if in_sandbox:
        return ["--credentials", SANDBOX_ANSWER_FILE]
    source = bank.fixture.source
    return [] if source == fixtures.DEMO_SOURCE else ["--fixtures", os.path.abspath(source)]


def explain_header(entry: dict[str, Any]) -> str:
    """The Authorization header the client sent ("" without one)."""
    return _header(entry, "Authorization") or ""


def query_text(entry: dict[str, Any]) -> str:
    """The query string the client sent, without the question mark."""
    return urlencode(entry.get("query") or {}, doseq=True)


def body_text(entry: dict[str, Any]) -> str | None:
    """The request body as the client sent it (JSON re-written compactly), or None."""
    body = entry.get("body")
    if body is None:
        return None
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=decimal_to_json)


def pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2,
                                                           default=decimal_to_json)


def _header(entry: dict[str, Any], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in (entry.get("headers") or {}).items() if key.lower() == wanted), None)
