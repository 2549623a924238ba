"""Drift: where the upstream's answers differ from mockbank's picture of the API.

The endpoints, the statuses each may answer and the schema of each success answer come from
mockbank's OpenAPI document (``schemas/openapi.json``), so a route added there is checked here too.
Every difference is counted per endpoint, JSON pointer (array positions as ``*``) and kind, with the
first example, anonymised.

Kinds: ``unknown-field`` (a field the schema does not define), ``missing-field``, ``type``, ``format``,
``value`` (outside an enum, a minimum, ...), ``unexpected-status``, ``not-json`` (a success answer that
is not JSON), ``unknown-endpoint`` (a success answer on a route mockbank does not have).
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable

from mockbank import schemas
from mockbank.jsonnumbers import decimal_to_json
from mockbank.proxy.anonymise import Anonymiser

KINDS = ("unknown-field", "missing-field", "type", "format", "value", "unexpected-status", "not-json",
         "unknown-endpoint")
MAX_EXAMPLE_CHARS = 400


@dataclass(frozen=True)
class Endpoint:
    """One operation of the API as the OpenAPI document describes it."""

    method: str
    template: str  # e.g. /payment/{transId}
    pattern: re.Pattern[str]
    statuses: frozenset[int]
    success_schema: str | None  # the schema name of the 200 answer, e.g. "payment-response"

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class Difference:
    """One difference in one answer."""

    pointer: str
    kind: str
    reason: str
    example: Any = None


@functools.cache
def endpoints() -> tuple[Endpoint, ...]:
    """The API's operations (not the control plane), literal paths before templated ones."""
    found = []
    for template, operations in schemas.openapi()["paths"].items():
        if template.startswith("/_mock"):
            continue
        pattern = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "/?")
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            reference = (((responses.get("200") or {}).get("content") or {}).get("application/json") or {}) \
                .get("schema", {}).get("$ref", "")
            name = reference.removesuffix(".schema.json") if reference.endswith(".schema.json") else None
            found.append(Endpoint(method.upper(), template, pattern,
                                  frozenset(int(code) for code in responses if code.isdigit()), name))
    return tuple(sorted(found, key=lambda endpoint: "{" in endpoint.template))


def endpoint_for(method: str, path: str) -> Endpoint | None:
    return next((endpoint for endpoint in endpoints()
                 if endpoint.method == method.upper() and endpoint.pattern.fullmatch(path)), None)


def differences(method: str, path: str, status: int, body: bytes | None, content_type: str,
                anonymiser: Anonymiser) -> tuple[str, list[Difference]]:
    """The endpoint label of a request and how its answer differs from mockbank's schemas."""
    endpoint = endpoint_for(method, path)
    success = 200 <= status < 300
    if endpoint is None:
        label = f"{method.upper()} {path}"
        if success:
            return label, [Difference("", "unknown-endpoint", f"answered {status} on a route mockbank does not have")]
        return label, []
    found = []
    if status not in endpoint.statuses:
        listed = ", ".join(str(code) for code in sorted(endpoint.statuses))
        found.append(Difference("", "unexpected-status", f"status {status} is not one mockbank knows here ({listed})",
                                status))
    if not success or endpoint.success_schema is None or body is None:
        return endpoint.label, found
    try:
        document = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        return endpoint.label, [*found, Difference("", "not-json", f"the answer is not JSON ({content_type or 'no Content-Type'})",
                                                   _short(anonymiser.text(body[:80].decode("utf-8", "replace"))))]
    problems = schemas.violations(endpoint.success_schema, document) + \
        schemas.unknown_fields(endpoint.success_schema, document)
    wrong_type = {problem.pointer for problem in problems if _kind(problem.reason) == "type"}
    for problem in problems:
        kind = _kind(problem.reason)
        if problem.pointer in wrong_type and kind != "type":
            continue  # of another type: its enum, format or range cannot match either
        example = _example(document, problem.pointer, kind, anonymiser)
        found.append(Difference(_generalised(problem.pointer), kind, problem.reason, example))
    return endpoint.label, found


def _kind(reason: str) -> str:
    if reason == "is not a known field":
        return "unknown-field"
    if reason == "is required":
        return "missing-field"
    if reason.startswith("is not of type"):
        return "type"
    if reason.startswith(("is not a valid", "does not match")):
        return "format"
    return "value"


def _generalised(pointer: str) -> str:
    """``/answers/3/status`` -> ``/answers/*/status``: one row for every item of an array."""
    return "/".join("*" if part.isdigit() else part for part in pointer.split("/"))


def _at(document: Any, pointer: str) -> Any:
    value = document
    for part in filter(None, pointer.split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def _example(document: Any, pointer: str, kind: str, anonymiser: Anonymiser) -> Any:
    """The anonymised value at the pointer; for a missing field, the fields its parent had instead."""
    try:
        if kind == "missing-field":
            parent = _at(document, pointer.rsplit("/", 1)[0])
            return {"presentFields": sorted(parent)} if isinstance(parent, dict) else None
        field = pointer.rsplit("/", 1)[-1]
        return _short(anonymiser.json(_at(document, pointer), None if field.isdigit() else field))
    except (KeyError, IndexError, ValueError, TypeError):
        return None


def _short(value: Any) -> Any:
    """A value small enough to show: big objects and lists become their outline."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= MAX_EXAMPLE_CHARS:
        return value
    if isinstance(value, dict):
        return {"outline": "object", "fields": sorted(value)}
    if isinstance(value, list):
        return {"outline": "array", "length": len(value)}
    return text[:MAX_EXAMPLE_CHARS] + "…"


class DriftTracker:
    """Differences counted per endpoint, pointer and kind; thread-safe."""

    def __init__(self, anonymiser: Anonymiser):
        self.anonymiser = anonymiser
        self._rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._answers = 0
        self._lock = threading.Lock()

    def observe(self, method: str, path: str, status: int, body: bytes | None, content_type: str) -> list[Difference]:
        """Check one answer, count its differences and return them."""
        label, found = differences(method, path, status, body, content_type, self.anonymiser)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        with self._lock:
            self._answers += 1
            for difference in found:
                key = (label, difference.pointer, difference.kind)
                row = self._rows.get(key)
                if row is None:
                    self._rows[key] = {"endpoint": label, "pointer": difference.pointer, "kind": difference.kind,
                                       "reason": difference.reason, "count": 1, "firstSeen": now, "lastSeen": now,
                                       "example": difference.example}
                else:
                    row["count"] += 1
                    row["lastSeen"] = now
        return found

    def report(self) -> dict[str, Any]:
        """``GET /_mock/drift``: how many answers were checked and every difference, by endpoint and pointer."""
        with self._lock:
            rows = [dict(row) for _, row in sorted(self._rows.items())]
            return {"answersChecked": self._answers, "differences": rows}

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._answers = 0


def report_text(report: dict[str, Any]) -> str:
    """The drift report as text for a terminal (what ``mockbank drift-report`` prints)."""
    rows = report.get("differences", [])
    source = report.get("upstream", "the upstream")
    lines = [f"drift of {source} from mockbank's schemas: {report.get('answersChecked', 0)} answers checked, "
             f"{len(rows)} difference(s)"]
    endpoint = None
    for row in rows:
        if row["endpoint"] != endpoint:
            endpoint = row["endpoint"]
            lines.append(endpoint)
        example = json.dumps(row.get("example"), ensure_ascii=False, default=str)
        lines.append(f"  {row['pointer'] or '/':<32} {row['kind']:<17} {row['count']:>5}x  {row['reason']}"
                     + (f"  example: {example}" if row.get("example") is not None else ""))
    if not rows:
        lines.append("no differences: every answer matched mockbank's schemas")
    return "\n".join(lines)


def from_exchanges(exchanges: Iterable[dict[str, Any]], anonymiser: Anonymiser | None = None) -> dict[str, Any]:
    """The drift report of recorded exchanges (lines of a ``--record`` file)."""
    tracker = DriftTracker(anonymiser or Anonymiser())
    for exchange in exchanges:
        status = exchange.get("status")
        if exchange.get("answeredBy") == "proxy" or not isinstance(status, int):  # the upstream never answered
            continue
        body = exchange.get("responseBody")
        headers = {name.lower(): value for name, value in (exchange.get("responseHeaders") or {}).items()}
        raw = None if body is None else (body if isinstance(body, str) else
                                         json.dumps(body, ensure_ascii=False, default=decimal_to_json)).encode("utf-8")
        tracker.observe(str(exchange.get("method", "")), str(exchange.get("path", "")), status, raw,
                        headers.get("content-type", ""))
    return tracker.report()
