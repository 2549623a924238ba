"""The fault plan: injected 5xx answers, delays and dropped connections.

A fault matches requests by path (a glob such as ``/payment`` or ``/report/*``), optionally by
method and by the account named in the Authorization header, and hits ``count`` of them (default
1; ``null`` = every matching request until cleared, for outage tests). It acts ``before`` the bank
sees the request (default) or ``after`` (the bank did the work, the answer is lost). The plan lives
in the store, so every worker process shares it.
"""

from __future__ import annotations

import fnmatch
import socket
import time
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from mockbank.jsonnumbers import json_integer
from mockbank.schemas import pointer
from mockbank.settings import DEFAULT_MAX_DELAY_MS
from mockbank.store import Store

INJECTABLE_STATUSES = (500, 502, 503, 504)
DROP_HEADER = "X-Mockbank-Drop-Connection"
#: The status of the response that carries :data:`DROP_HEADER` inside mockbank (it never reaches a client).
DROP_STATUS = 599
#: The WSGI environ key of what a server may offer a request about to sleep in a delay: a callable returning a
#: context manager, inside which the request leaves its turn to others (mockbank.http_server).
WAITING_KEY = "mockbank.waiting"
#: The error a dropped connection is made of (servers may log it).
DROPPED = "mockbank dropped the connection (injected fault)"
MAX_COUNT = 1_000_000_000
#: How often a delayed request looks whether the faults were cleared (which releases it).
RELEASE_CHECK_SECONDS = 0.1
_CLEARED_KEY = "faultsCleared"
_KEYS = {"path", "method", "account", "status", "count", "delayMs", "drop", "when", "message", "reshape"}
#: Answers a robust client must cope with: unknown fields, empty or null ``answers``, whole amounts as integers.
RESHAPES = ("unknown-fields", "empty-answers", "null-answers", "integer-amounts")
UNKNOWN_FIELDS = {"futureField": "a field this client does not know", "futureObject": {"version": 2, "flags": []}}


class FaultError(ValueError):
    """A fault definition that cannot be used; ``pointer`` names the field."""

    def __init__(self, pointer: str, reason: str):
        super().__init__(f"{pointer} {reason}")
        self.pointer, self.reason = pointer, reason


@dataclass(frozen=True)
class Fault:
    id: int
    path: str
    method: str | None
    account: str | None
    status: int | None
    delay_ms: int
    drop: bool
    when: str
    message: str | None
    reshape: str | None = None

    def matches(self, method: str, path: str, account: str | None, when: str) -> bool:
        return (self.when == when and fnmatch.fnmatchcase(path, self.path)
                and (self.method is None or self.method == method)
                and (self.account is None or self.account == account))


def parse(spec: Any, max_delay_ms: int = DEFAULT_MAX_DELAY_MS) -> tuple[dict[str, Any], int | None]:
    """Validate a fault definition from ``POST /_mock/faults``; returns (spec, remaining hits)."""
    if not isinstance(spec, dict):
        raise FaultError("", "must be a JSON object")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise FaultError(pointer([unknown[0]]), f"is not a fault field (use {', '.join(sorted(_KEYS))})")
    clean: dict[str, Any] = {"path": spec.get("path", "*"), "method": spec.get("method"),
                             "account": spec.get("account"), "status": spec.get("status"),
                             "delayMs": spec.get("delayMs", 0), "drop": spec.get("drop", False),
                             "when": spec.get("when", "before"), "message": spec.get("message"),
                             "reshape": spec.get("reshape")}
    for name in ("status", "delayMs"):  # 503.0 is the JSON number 503
        clean[name] = _integer_or_as_is(clean[name])
    if clean["when"] not in ("before", "after"):
        raise FaultError("/when", "must be 'before' (the bank never sees the request) or 'after' (the answer is lost)")
    if clean["reshape"] is not None:
        if clean["reshape"] not in RESHAPES:
            raise FaultError("/reshape", f"must be one of {', '.join(RESHAPES)}")
        clean["when"] = "after"  # a reshaped answer is the bank's real answer, changed
    if not isinstance(clean["path"], str) or not clean["path"].startswith(("/", "*")):
        raise FaultError("/path", "must be a path or glob such as /payment or /report/*")
    if clean["method"] is not None:
        if not isinstance(clean["method"], str) or not clean["method"].isascii() \
                or clean["method"].upper() not in ("GET", "POST"):  # "poſt".upper() is "POST"
            raise FaultError("/method", "must be GET or POST")
        clean["method"] = clean["method"].upper()
    if clean["account"] is not None and not isinstance(clean["account"], str):
        raise FaultError("/account", "must be a string")
    if clean["status"] is not None and (type(clean["status"]) is not int or clean["status"] not in INJECTABLE_STATUSES):
        raise FaultError("/status", f"must be one of {', '.join(map(str, INJECTABLE_STATUSES))}")
    delay = clean["delayMs"]
    if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= max_delay_ms:
        raise FaultError("/delayMs", f"must be an integer from 0 to {max_delay_ms} (this server's --max-delay-ms)")
    if clean["message"] is not None and not isinstance(clean["message"], str):
        raise FaultError("/message", "must be a string")
    if not isinstance(clean["drop"], bool):
        raise FaultError("/drop", "must be true or false")
    if clean["status"] is None and not clean["drop"] and not clean["delayMs"] and clean["reshape"] is None:
        raise FaultError("", "needs at least one of status, delayMs, drop or reshape")
    if clean["status"] is not None and clean["drop"]:
        raise FaultError("/drop", "cannot be combined with status: a dropped connection has no status")
    count = _integer_or_as_is(spec.get("count", 1))
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT):
        raise FaultError("/count", f"must be a positive integer up to {MAX_COUNT}, or null for every matching request")
    return clean, count


def _integer_or_as_is(value: Any) -> Any:
    whole = json_integer(value)
    return value if whole is None else whole


class FaultPlan:
    """The faults of one bank, kept in its store."""

    def __init__(self, store: Store, max_delay_ms: int = DEFAULT_MAX_DELAY_MS):
        self.store = store
        self.max_delay_ms = max_delay_ms

    def add(self, spec: Any) -> dict[str, Any]:
        clean, count = parse(spec, self.max_delay_ms)
        fault_id = self.store.add_fault(clean, count)
        return {"id": fault_id, "remaining": count, **clean}

    def list(self) -> list[dict[str, Any]]:
        return self.store.faults()

    def clear(self) -> int:
        """Delete every fault, and release the requests waiting in a delay (in every worker process)."""
        with self.store.transaction():
            self.store.put(_CLEARED_KEY, uuid.uuid4().hex)
            return self.store.clear_faults()

    def wait(self, delay_ms: int, environ: dict[str, Any]) -> bool:
        """Sleep ``delay_ms`` for a delay fault, letting the server run other requests meanwhile
        (:data:`WAITING_KEY`); True when :meth:`clear` released the request earlier."""
        mark = self.store.get(_CLEARED_KEY, fresh=True)
        deadline = time.monotonic() + delay_ms / 1000
        with _waiting(environ):
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(left, RELEASE_CHECK_SECONDS))
                if self.store.get(_CLEARED_KEY, fresh=True) != mark:  # another request (or process) cleared
                    return True
        return False

    def take(self, method: str, path: str, account: str | None, when: str) -> Fault | None:
        """The first fault matching this request, with one of its hits used up; None if none."""
        for fault in self._faults():
            if fault.matches(method, path, account, when) and self.store.take_fault(fault.id):
                return fault
        return None

    def _faults(self) -> Iterable[Fault]:
        for row in self.store.faults():
            yield Fault(row["id"], row["path"], row["method"], row["account"], row["status"], row["delayMs"],
                        row["drop"], row["when"], row.get("message"), row.get("reshape"))


def reshape(body: Any, how: str) -> Any:
    """An answer changed the way a robust client must cope with (see :data:`RESHAPES`)."""
    if not isinstance(body, dict):
        return body
    if how in ("empty-answers", "null-answers") and "answers" in body:
        return {**body, "answers": [] if how == "empty-answers" else None}
    if how == "unknown-fields":
        def extended(item: Any) -> Any:
            return {**item, **UNKNOWN_FIELDS} if isinstance(item, dict) else item
        return {**extended(body), **{key: [extended(item) for item in value]
                                     for key, value in body.items() if isinstance(value, list)}}
    if how == "integer-amounts":
        return _whole_amounts(body)
    return body


def _whole_amounts(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: int(item) if key in ("amount", "balance") and isinstance(item, (int, float))
                and not isinstance(item, bool) and float(item).is_integer() else _whole_amounts(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_amounts(item) for item in value]
    return value


def _waiting(environ: dict[str, Any]) -> AbstractContextManager[Any]:
    offered = environ.get(WAITING_KEY)
    return nullcontext() if offered is None else offered()


class DropConnectionMiddleware:
    """Turns a response marked with :data:`DROP_HEADER` into a connection closed without an answer.

    Works under waitress (raising its ``ClientDisconnected`` before any byte is written makes it
    close the socket), under werkzeug's server (the socket is shut down, then the error it treats
    as a dropped connection is raised) and under granian, which gives an app no way to close a
    connection: a body that fails before its first chunk makes granian close it, but it may have sent
    the status line and headers by then (its writer runs beside the app), so a client sees either no
    answer or a ``503`` whose one promised byte of body never comes (a ``HEAD`` request, which has no
    body, then gets a complete ``503``); an app that failed before ``start_response`` would get a
    complete ``500``.
    """

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        dropped = []

        def checked_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            if any(name == DROP_HEADER for name, _ in headers):
                dropped.append(True)
                return lambda data: None
            return start_response(status, headers, exc_info)

        result = self.app(environ, checked_start_response)
        if dropped:
            if hasattr(result, "close"):
                result.close()
            if environ.get("SERVER_SOFTWARE", "").lower().startswith("granian"):
                # a body is promised and never comes, so a head that got out is an incomplete answer
                start_response("503 Service Unavailable", [("Content-Length", "1")])
                return _failing_body()
            _drop(environ)
        return result


def _failing_body() -> Iterable[bytes]:
    raise ConnectionAbortedError(DROPPED)
    yield b""  # a generator: the error comes when the server reads the first chunk


def _drop(environ: dict[str, Any]) -> None:
    connection = environ.get("werkzeug.socket")
    if connection is not None:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise ConnectionAbortedError(DROPPED)
    try:
        from waitress.channel import ClientDisconnected
    except ImportError:  # another server: the best we can do is an error it will not turn into a reply
        raise ConnectionAbortedError(DROPPED) from None
    raise ClientDisconnected(DROPPED)
