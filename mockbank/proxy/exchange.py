"""One request through the proxy: check it, forward it, check the answer, journal, record and report it.

Free of any web framework: :class:`Incoming` in, :class:`Outgoing` out (``mockbank.proxy.app`` does HTTP).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any

from mockbank import strictjson
from mockbank.proxy.drift import DriftTracker
from mockbank.proxy.journal import Journal
from mockbank.proxy.recording import Recorder
from mockbank.proxy.signature import SignatureCheck
from mockbank.proxy.upstream import Upstream, UpstreamError


@dataclass(frozen=True)
class Incoming:
    """A request as the client sent it."""

    method: str
    path: str
    query_string: str
    query: dict[str, Any]
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


@dataclass(frozen=True)
class Outgoing:
    """The answer for the client: the upstream's as it came, or the proxy's own 502/504."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Proxy:
    """Everything one proxy holds; :meth:`handle` answers a request."""

    upstream: Upstream
    signature: SignatureCheck
    journal: Journal
    drift: DriftTracker
    recorder: Recorder | None = None
    console: Callable[[str], None] | None = None
    control_token: str | None = field(default=None, repr=False)

    def handle(self, incoming: Incoming) -> Outgoing:
        started = time.perf_counter()
        request_json = _json_or_text(incoming.body)
        verdict = self.signature.verdict(incoming.header("Authorization"), method=incoming.method,
                                         path=incoming.path, query=incoming.query, body=request_json)
        try:
            answer = self.upstream.send(incoming.method, incoming.path, incoming.query_string, incoming.headers,
                                        incoming.body)
        except UpstreamError as error:
            body = {"error": error.code, "message": error.message, "upstream": self.upstream.url}
            outgoing = Outgoing(error.status, HTTPStatus(error.status).phrase,
                                [("Content-Type", "application/json; charset=utf-8")],
                                (json.dumps(body, ensure_ascii=False) + "\n").encode("utf-8"))
            response_json, drift, answered_by = body, [], "proxy"
        else:
            outgoing = Outgoing(answer.status, answer.reason, answer.headers, answer.raw)
            response_json = _json_or_text(answer.decoded) if answer.decoded is not None else \
                f"({len(answer.raw)} bytes in an encoding mockbank cannot read)"
            drift = self.drift.observe(incoming.method, incoming.path, answer.status, answer.decoded,
                                       answer.content_type)
            answered_by = "upstream"
        self._keep(incoming, outgoing, request_json, response_json, verdict, drift, answered_by, started)
        return outgoing

    def _keep(self, incoming: Incoming, outgoing: Outgoing, request_json: Any, response_json: Any,
              verdict: dict[str, Any], drift: list, answered_by: str, started: float) -> None:
        now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        entry: dict[str, Any] = {
            "time": now, "method": incoming.method, "path": incoming.path, "query": incoming.query,
            "headers": dict(incoming.headers), "body": request_json, "upstream": self.upstream.url,
            "status": outgoing.status, "reason": outgoing.reason, "answeredBy": answered_by,
            "response": response_json, "verdict": verdict,
            "drift": [{"pointer": d.pointer, "kind": d.kind, "reason": d.reason} for d in drift],
            "durationMs": round((time.perf_counter() - started) * 1000, 3)}
        if outgoing.status == 401:
            entry["explanation"] = self.signature.explain_401(verdict)
        self.journal.append(entry)
        if self.recorder is not None:
            self.recorder.write(time=now, method=incoming.method, path=incoming.path, query=incoming.query,
                                request_headers=dict(incoming.headers), request_body=request_json,
                                status=outgoing.status, reason=outgoing.reason, answered_by=answered_by,
                                response_headers=dict(outgoing.headers), response_body=response_json, verdict=verdict)
        if self.console is not None:
            self.console(console_line(entry))


def console_line(entry: dict[str, Any]) -> str:
    """One line per exchange for the terminal (and a second saying why, after a 401)."""
    verdict = entry["verdict"]
    signature = "signature ok" if verdict.get("ok") else f"signature {verdict.get('cause')}: {verdict.get('message')}"
    query = "?" + "&".join(f"{key}={value}" for key, value in entry["query"].items()) if entry["query"] else ""
    line = f"{entry['method']} {entry['path']}{query} -> {entry['status']} {entry['reason']}  {signature}"
    if entry["drift"]:
        line += f"  drift: {', '.join(sorted({d['pointer'] or d['kind'] for d in entry['drift']}))}"
    if "explanation" in entry:
        line += f"\n    401 explained: {entry['explanation']}"
    return line


def _json_or_text(raw: bytes) -> Any:
    """A body as JSON (numbers exact), as text when it is not JSON, None when empty."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return strictjson.loads(text)
    except ValueError:
        return text
