"""Explain one captured request: decode its Authorization header, verify it step by step, describe the verdict.

What ``mockbank explain`` prints and what the dashboard's Explain page shows; both call :func:`explain`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from mockbank import signing, verification


@dataclass(frozen=True)
class Explanation:
    """A request, its decoded auth object (None when the header cannot be read) and the verdict."""

    method: str
    path: str
    auth: dict[str, Any] | None
    verdict: verification.Verdict
    clock: str | None = None  # how the auth time was checked, when the caller says

    @property
    def request(self) -> str:
        return f"{self.method} {self.path}"

    def to_json(self) -> dict[str, Any]:
        clock = {"clock": self.clock} if self.clock is not None else {}
        return {"request": self.request, **clock, **self.verdict.to_json()}


def default_method(body: Mapping[str, Any] | None) -> str:
    return "POST" if body is not None else "GET"


def default_path(body: Mapping[str, Any] | None) -> str:
    return "/payment" if body and "transactions" in body else "/status"


def explain(header: str, *, credentials: verification.CredentialLookup, body: Mapping[str, Any] | None = None,
            query: Mapping[str, Any] | None = None, method: str | None = None, path: str | None = None,
            clock_now: datetime | None = None, max_clock_skew: float | None = None,
            lenient_time_formats: bool = False, require_request_id_match: bool = True,
            clock_note: str | None = None) -> Explanation:
    """Verify ``header`` against the request's body (POST) or query (GET) the way the emulator does."""
    method = method or default_method(body)
    path = path or default_path(body)
    try:
        auth = signing.parse_authorization(header)
    except signing.MalformedHeader as error:
        verdict = verification.Verdict(False, "malformed-header", error.message,
                                       steps=(verification.Step("header", False, error.message),))
        return Explanation(method, path, None, verdict, clock_note)
    verdict = verification.verify(auth, method=method, path=path, query=query or {}, body=body,
                                  credentials=credentials, clock_now=clock_now, max_clock_skew=max_clock_skew,
                                  require_request_id_match=require_request_id_match,
                                  lenient_time_formats=lenient_time_formats)
    return Explanation(method, path, auth_json(auth), verdict, clock_note)


def auth_json(auth: signing.AuthObject) -> dict[str, Any]:
    """The decoded auth object with the API's field names."""
    data: dict[str, Any] = {"serviceProvider": auth.service_provider, "account": auth.account, "time": auth.time,
                            "requestId": auth.request_id}
    if auth.user is not None:
        data["user"] = auth.user
    data["hash"] = [{"id": entry.id, "hash": entry.hash} for entry in auth.hashes]
    return data


def query_dict(query: str) -> dict[str, Any]:
    """A query string as a dict: a key given once maps to a string, a repeated key to a list."""
    values: dict[str, Any] = {}
    for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True):
        values[key] = [*values[key], value] if isinstance(values.get(key), list) else (
            [values[key], value] if key in values else value)
    return values


def render_text(explanation: Explanation) -> str:
    """The explanation as text: the decoded auth object, each step, then the verdict and the diagnosis."""
    verdict = explanation.verdict
    lines = [f"request        {explanation.request}"]
    if explanation.clock is not None:
        lines.extend(["clock:", f"    {explanation.clock}"])
    if explanation.auth is not None:
        lines.append("decoded auth object:")
        lines.extend("    " + line for line in json.dumps(explanation.auth, ensure_ascii=False, indent=2).splitlines())
    for step in verdict.steps:
        lines.append(f"  [{'ok' if step.passed else 'FAIL'}] {step.name}: {step.detail}")
    if verdict.ok:
        lines.append("verdict        signature valid")
        for hash_id, rounding in verdict.amount_rounding.items():
            lines.append(f"note           {hash_id}: amount rounded {rounding} (more than two decimals)")
        return "\n".join(lines)
    lines.append(f"verdict        401 Invalid Signature, cause {verdict.cause}")
    if len(verdict.mistakes) > 1:
        lines.append(f"mistakes       {', '.join(verdict.mistakes)}")
    lines.append(f"why            {verdict.message}")
    if verdict.expected_payload:
        lines.append(f"expected payload for {verdict.hash_id}:\n               {verdict.expected_payload}")
    if verdict.hint:
        lines.append(f"fix            {verdict.hint}")
    return "\n".join(lines)
