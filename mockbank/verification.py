"""Server-side verification of a signed request, the way the real service checks it.

:func:`verify` takes a parsed auth object (:func:`mockbank.signing.parse_authorization`), finds the
ERP's API key and the account's integration code through a :class:`CredentialLookup`, checks the
time, the requestId and every hash, and returns a :class:`Verdict`: ok, or the first failing step
with a cause code from the contract in ``design.md``. When a hash does not match,
:mod:`mockbank.diagnosis` names the known client mistake that explains it.

Clients do not need this module: they sign with :mod:`mockbank.signing`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_DOWN, InvalidOperation
from typing import Any, Protocol

from mockbank.accounts import normalize_account
from mockbank.diagnosis import HINTS, SignedItem, SigningSecrets, diagnose
from mockbank.money import to_decimal
from mockbank.signing import (
    CANONICAL_ROUNDING,
    CENT,
    NOW_FORMAT,
    ROUNDINGS,
    AuthObject,
    Credentials,
    component_text,
    compute_hash,
    format_amount,
    format_auth_time,
    integration_token,
    parse_auth_time,
    request_payload,
    to_utc,
    transaction_payload,
)

PAYMENT_PATH = "/payment"


class CredentialLookup(Protocol):
    """Where :func:`verify` finds the secrets. Implemented by the bank and by :class:`StaticCredentials`."""

    def api_key(self, service_provider: str) -> str | None:
        """The API key GUID of an ERP, or None if the ERP is unknown."""

    def integration_code(self, service_provider: str, account: str) -> str | None:
        """The integration code of an account linked to the ERP, or None."""

    # Optional: ``service_providers() -> list[str]``, every known ERP name, lets :func:`verify` recognise a
    # name whose spaces the client removed.


@dataclass(frozen=True)
class StaticCredentials:
    """A :class:`CredentialLookup` over a fixed list of :class:`Credentials`."""

    entries: tuple[Credentials, ...]

    def api_key(self, service_provider: str) -> str | None:
        return next((c.api_key for c in self.entries if c.service_provider == service_provider), None)

    def integration_code(self, service_provider: str, account: str) -> str | None:
        return next((c.integration_code for c in self.entries
                     if c.service_provider == service_provider and normalize_account(c.account) == account),
                    None)

    def service_providers(self) -> list[str]:
        return list(dict.fromkeys(c.service_provider for c in self.entries))


@dataclass(frozen=True)
class Step:
    """One step of the verification, as shown by ``mockbank explain``."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`verify`: ok, or the first failing step with a cause code."""

    ok: bool
    cause: str | None = None
    message: str = ""
    hash_id: str | None = None
    expected_payload: str | None = None
    hint: str | None = None
    mistakes: tuple[str, ...] = ()
    amount_rounding: Mapping[str, str] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()

    def diagnosis(self) -> dict[str, Any]:
        """The ``diagnosis`` object of a 401 body (never holds the API key or integration code)."""
        body: dict[str, Any] = {"cause": self.cause, "message": self.message}
        for key, value in (("hashId", self.hash_id), ("expectedPayload", self.expected_payload),
                           ("hint", self.hint)):
            if value is not None:
                body[key] = value
        if len(self.mistakes) > 1:
            body["mistakes"] = list(self.mistakes)
        return body

    def to_json(self) -> dict[str, Any]:
        """The verdict as stored in the journal: ``{"ok": true}`` or ``{"ok": false, ...diagnosis}``."""
        if self.ok:
            result: dict[str, Any] = {"ok": True}
            if self.amount_rounding:
                result["amountRounding"] = dict(self.amount_rounding)
            return result
        return {"ok": False, **self.diagnosis()}



def is_payment_request(method: str, path: str) -> bool:
    """True for ``POST /payment``: the only request signed per transaction."""
    return method.upper() == "POST" and path.rstrip("/") == PAYMENT_PATH


def verify(auth: AuthObject, *, method: str, path: str, query: Mapping[str, Any] | None = None,
           body: Mapping[str, Any] | None = None, credentials: CredentialLookup,
           clock_now: datetime | None = None, max_clock_skew: float | None = None,
           require_request_id_match: bool = True, lenient_time_formats: bool = False) -> Verdict:
    """Check a request's signature the way the real service does.

    ``query`` (GET) or ``body`` (POST, parsed JSON) supply the requestId and, for ``POST /payment``,
    the transactions. ``clock_now`` and ``max_clock_skew`` (seconds) bound how far the auth
    object's ``time`` may be from the bank's clock; ``None`` skips that check. Hashes are compared
    in constant time. The result names the first failing step with a cause code.
    """
    steps: list[Step] = []

    def fail(cause: str, message: str, step: str, **extra: Any) -> Verdict:
        steps.append(Step(step, False, message))
        return Verdict(False, cause, message, steps=tuple(steps), **extra)

    api_key = credentials.api_key(auth.service_provider)
    if api_key is None:
        spaced = _with_spaces(auth.service_provider, getattr(credentials, "service_providers", list)())
        if spaced is not None:
            return fail("values-spaces-stripped", f"serviceProvider {auth.service_provider!r} is not a known ERP, "
                                                  f"but {spaced!r} is: the client removed the spaces from the auth "
                                                  "JSON's values", "service provider",
                        hint=HINTS["values-spaces-stripped"])
        return fail("unknown-service-provider", f"serviceProvider {auth.service_provider!r} is not a known ERP",
                    "service provider", hint="Use the ERP name issued together with the API key.")
    steps.append(Step("service provider", True, f"{auth.service_provider!r} is known"))

    account = normalize_account(auth.account)
    integration_code = credentials.integration_code(auth.service_provider, account)
    if integration_code is None:
        return fail("unknown-account",
                    f"account {auth.account!r} is not linked to serviceProvider {auth.service_provider!r}",
                    "account", hint="Send the own account as a 14-digit BBAN (reg.no + account no).")
    steps.append(Step("account", True, f"{auth.account!r} is linked to {auth.service_provider!r}"))

    try:
        moment = parse_auth_time(auth.time, lenient=lenient_time_formats)
    except ValueError as error:
        return fail("bad-time-format", str(error), "time",
                    hint="Send the current UTC time as yyyy-MM-ddTHH:mm:ss, e.g. 2025-01-07T12:00:00.")
    now = moment.strftime(NOW_FORMAT)
    steps.append(Step("time", True, f"{auth.time!r} read as {now} UTC"))

    if clock_now is not None and max_clock_skew is not None:
        skew = (moment - to_utc(clock_now)).total_seconds()
        if abs(skew) > max_clock_skew:
            return fail("clock-skew", _skew_message(skew, clock_now, max_clock_skew), "clock",
                        hint=_skew_hint(skew))
        steps.append(Step("clock", True, f"{skew:+.0f} s from the bank clock (allowed ±{max_clock_skew:g} s)"))

    payment = is_payment_request(method, path)
    source = body if method.upper() == "POST" else query
    request_id = component_text((source or {}).get("requestId"))
    if require_request_id_match and auth.request_id != request_id:
        if _with_spaces(auth.request_id, [request_id]):
            return fail("values-spaces-stripped", _stripped_message("the auth object's requestId", auth.request_id,
                                                                    request_id), "requestId",
                        hint=HINTS["values-spaces-stripped"])
        return fail("request-id-mismatch",
                    f"the auth object's requestId {auth.request_id!r} differs from the request's "
                    f"requestId {request_id!r}", "requestId",
                    hint="Put the same requestId in the auth object and the body or query.")
    steps.append(Step("requestId", True, f"{request_id!r}"))

    common = {"token": integration_token(integration_code), "account": auth.account,
              "request_id": request_id, "service_provider": auth.service_provider, "now": now}
    items, failure = _signed_items(auth, payment, body, common, require_request_id_match)
    if failure is not None:
        return fail(*failure, hint=HINTS.get(failure[0]))
    steps.append(Step("hashes", True, f"{len(items)} hash(es) to check"))

    secrets = SigningSecrets(api_key, integration_code)
    roundings: dict[str, str] = {}
    key = secrets.key
    for item in items:
        rounding = _matching_rounding(key, item)
        if rounding is None:
            found = diagnose(item, secrets, auth_time=auth.time)
            steps.append(Step(f"hash {item.hash_id}", False, found.message))
            return Verdict(False, found.cause, found.message, hash_id=item.hash_id,
                           expected_payload=item.payload.text(), hint=found.hint, mistakes=found.mistakes,
                           steps=tuple(steps))
        if rounding != CANONICAL_ROUNDING:
            roundings[item.hash_id] = rounding
        steps.append(Step(f"hash {item.hash_id}", True,
                          "matches" + (f" (amount rounded {rounding})" if rounding != CANONICAL_ROUNDING else "")))
    return Verdict(True, amount_rounding=roundings, steps=tuple(steps))


def _signed_items(auth: AuthObject, payment: bool, body: Mapping[str, Any] | None, common: dict[str, str],
                  require_request_id_match: bool) -> tuple[list[SignedItem], tuple[str, str, str] | None]:
    if not auth.hashes:
        return [], ("missing-hash", "the auth object's 'hash' list is empty", "hashes")
    if not payment:
        first = auth.hashes[0]
        if require_request_id_match and first.id != common["request_id"]:
            if _with_spaces(first.id, [common["request_id"]]):
                return [], ("values-spaces-stripped", _stripped_message("hash[0].id", first.id, common["request_id"]),
                            "hashes")
            return [], ("request-id-mismatch",
                        f"hash[0].id is {first.id!r}; outside POST /payment it must be the requestId "
                        f"{common['request_id']!r}", "hashes")
        return [SignedItem(first.id, request_payload(**common, payid=first.id), first.hash)], None
    transactions = (body or {}).get("transactions")
    items = []
    seen: dict[str, int] = {}  # a paymentId given twice: the k-th transaction goes with the k-th hash of that id
    for transaction in transactions if isinstance(transactions, list) else []:
        if not isinstance(transaction, Mapping):
            continue
        payment_id = component_text(transaction.get("paymentId"))
        candidates = [entry for entry in auth.hashes if entry.id == payment_id]
        occurrence = seen[payment_id] = seen.get(payment_id, -1) + 1
        entry = candidates[min(occurrence, len(candidates) - 1)] if candidates else None
        if entry is None and any(_with_spaces(e.id, [payment_id]) for e in auth.hashes):
            stripped = payment_id.replace(" ", "")
            return [], ("values-spaces-stripped", _stripped_message("a hash id", stripped, payment_id), "hashes")
        if entry is None:
            only_request_id = [e.id for e in auth.hashes] == [common["request_id"]]
            hint = ("Found a single hash with id = requestId: payment requests need one hash per "
                    "transaction, each with id = its paymentId." if only_request_id
                    else "Add one {id, hash} element per transaction, id = its paymentId.")
            return [], ("missing-hash", f"no hash with id {payment_id!r} for transaction {payment_id!r}. {hint}",
                        "hashes")
        items.append(SignedItem(payment_id, transaction_payload(transaction, **common), entry.hash, transaction))
    return items, None


def _with_spaces(received: str, known: list[str]) -> str | None:
    """The known value that ``received`` is with its spaces removed, or None."""
    return next((value for value in known if " " in value and value.replace(" ", "") == received), None)


def _stripped_message(what: str, received: str, sent: str) -> str:
    return (f"{what} is {received!r}, but the request says {sent!r}: the client removed the spaces from the "
            "auth JSON's values")


def _matching_rounding(key: bytes, item: SignedItem) -> str | None:
    """The amount rounding whose payload matches the received hash; None when none does.

    Only a transaction whose amount has more than two decimals is tried beyond the canonical one.
    """
    if _same_hash(compute_hash(key, item.payload), item.received):
        return CANONICAL_ROUNDING
    if item.transaction is None or not has_extra_decimals(item.transaction.get("amount")):
        return None
    for rounding in ROUNDINGS[1:]:
        candidate = replace(item.payload, amount=format_amount(item.transaction.get("amount"), rounding))
        if _same_hash(compute_hash(key, candidate), item.received):
            return rounding
    return None


def has_extra_decimals(amount: Any) -> bool:
    """True when the amount carries significant digits beyond the second decimal."""
    value = to_decimal(amount)
    try:
        return value is not None and value != value.quantize(CENT, rounding=ROUND_DOWN)
    except InvalidOperation:  # too many digits to round at all
        return False


def _same_hash(expected: str, received: str) -> bool:
    """Constant-time comparison of two hash strings (any text, not only ASCII)."""
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))


def _skew_message(skew: float, clock_now: datetime, allowed: float) -> str:
    direction = "ahead of" if skew > 0 else "behind"
    return (f"time is {abs(skew):.0f} s {direction} the bank clock ({format_auth_time(clock_now)} UTC); "
            f"at most {allowed:g} s allowed")


def _skew_hint(skew: float) -> str:
    hours = round(skew / 3600)
    if hours and abs(skew - hours * 3600) <= 120:
        return (f"Off by about {hours:+d} h: the time looks like local time instead of UTC. "
                "Use the UTC time (e.g. DateTime.UtcNow, datetime.now(timezone.utc)).")
    return "Check the client machine's clock and send the current UTC time."
