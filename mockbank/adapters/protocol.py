"""The adapter side of the protocol: read one JSON request per line, answer one JSON line each.

An adapter wraps a client. For each request ``{"id", "op", "baseUrl", "credentials", "params",
"timeoutMs"?}`` it calls the client and answers ``{"id", "ok": true, "result": BODY}`` or
``{"id", "ok": false, "error": {"kind", "httpStatus", "message"}}``. The kit's first request,
``{"id": 0, "op": "hello"}``, is answered with the operations the adapter offers. :func:`serve` does
the reading, writing and error wrapping; an adapter supplies a function ``handle(request) -> BODY``
that raises :class:`AdapterError` (or a subclass of it) for failures the client reported.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

from mockbank import routes
from mockbank.jsonnumbers import decimal_to_json
from mockbank.rawjson import RawJson, dumps_object

#: The operations an adapter answers: one per API route of the route table.
OPERATIONS = tuple(routes.operation_routes())
ERROR_KINDS = ("unauthorized", "bad-request", "server-error", "timeout", "connection", "invalid-response")


class AdapterError(Exception):
    """A failure the client reported, with one of :data:`ERROR_KINDS`."""

    def __init__(self, kind: str, message: str, http_status: int | None = None):
        super().__init__(message)
        self.kind, self.message, self.http_status = kind, message, http_status


def reply_line(reply: dict[str, Any]) -> str:
    """One reply as a JSON line; an id with a fraction or exponent goes back as the number it was read as (even
    1e400, which no float holds)."""
    request_id = reply.get("id")
    if isinstance(request_id, Decimal):
        reply = {**reply, "id": RawJson(str(request_id))}
    return dumps_object(reply, default=decimal_to_json) + "\n"


def hello_result(name: str, version: str, ops: tuple[str, ...] = OPERATIONS) -> dict[str, Any]:
    """The result of a reply to ``hello``: the operations offered, and who answers."""
    return {"ops": list(ops), "name": name, "version": version}


def serve(handle: Callable[[dict[str, Any]], Any], stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, *,
          hello: dict[str, Any] | None = None) -> None:
    """Answer requests from ``stdin`` until it closes; ``hello`` is the result for the kit's hello."""
    for line in stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line, parse_float=Decimal)
            request_id = request.get("id") if isinstance(request, dict) else None
            if hello is not None and isinstance(request, dict) and request.get("op") == "hello":
                reply = {"id": request_id, "ok": True, "result": hello}
            elif not isinstance(request, dict) or request.get("op") not in OPERATIONS:
                raise AdapterError("bad-request", f"not an adapter request: {line[:80]!r}")
            else:
                reply = {"id": request_id, "ok": True, "result": handle(request)}
        except AdapterError as error:
            reply = {"id": request_id, "ok": False,
                     "error": {"kind": error.kind, "httpStatus": error.http_status, "message": error.message}}
        except json.JSONDecodeError as error:
            reply = {"id": None, "ok": False, "error": {"kind": "bad-request", "httpStatus": None,
                                                        "message": f"not JSON: {error.msg}"}}
        stdout.write(reply_line(reply))
        stdout.flush()
