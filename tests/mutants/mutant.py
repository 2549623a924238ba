"""Broken variants of the reference adapter, one bug each: ``python tests/mutants/mutant.py NAME``.

Each mutant patches the reference client (or its signing) in one place, then serves the adapter
protocol. ``MUTANTS`` names, for each, the plans to run and the checks that must fail; the test in
``tests/test_certify_mutants.py`` runs ``certify`` on every one of them.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Callable

from mockbank import money, signing
from mockbank.adapters import reference, writeback
from mockbank.client import session
from mockbank.adapters.protocol import AdapterError


@dataclass(frozen=True)
class Mutant:
    bug: str
    plans: tuple[str, ...]
    fails: tuple[str, ...]
    apply: Callable[[], None]
    cause: str | None = None  # the signature diagnosis the report must show


MUTANTS: dict[str, Mutant] = {}


def mutant(name: str, bug: str, plans: tuple[str, ...], fails: tuple[str, ...], cause: str | None = None):
    def register(apply: Callable[[], None]) -> Callable[[], None]:
        MUTANTS[name] = Mutant(bug, plans, fails, apply, cause)
        return apply
    return register


SIGNED = ("signing/payments-are-signed", "signing/queries-are-signed")


# --------------------------------------------------------------------------- signing mistakes


@mutant("key-byte-order", "the HMAC key in RFC 4122 byte order", ("signing",), SIGNED, cause="key-byte-order")
def _key_byte_order() -> None:
    signing.key_bytes = lambda api_key: signing.parse_api_key(api_key).bytes


@mutant("key-as-text", "the API key's text as the HMAC key", ("signing",), SIGNED, cause="key-as-text")
def _key_as_text() -> None:
    signing.key_bytes = lambda api_key: api_key.encode("utf-8")


@mutant("token-case", "the token in upper-case hex", ("signing",), SIGNED, cause="token-case")
def _token_case() -> None:
    signing.integration_token = lambda code: hashlib.sha256(code.encode("utf-8")).hexdigest().upper()


@mutant("token-not-hashed", "the raw integration code instead of its token", ("signing",), SIGNED,
        cause="token-not-hashed")
def _token_not_hashed() -> None:
    signing.integration_token = lambda code: code


@mutant("token-encoding", "the integration code hashed as cp1252", ("signing",),
        ("signing/non-ascii-integration-code",), cause="token-encoding")
def _token_encoding() -> None:
    signing.integration_token = lambda code: hashlib.sha256(code.encode("cp1252")).hexdigest()


@mutant("field-order", "the payload in the docs' bullet order", ("signing",), SIGNED, cause="field-order")
def _field_order() -> None:
    order = ("token", "custacc", "paydate", "amount", "currency", "reqid", "erp", "payid", "now")
    signing.Payload.text = lambda self: "#".join(getattr(self, name) for name in order)


@mutant("empty-fields-dropped", "empty payload components left out", ("signing",),
        ("signing/queries-are-signed",), cause="empty-fields-dropped")
def _empty_fields_dropped() -> None:
    signing.Payload.text = lambda self: "#".join(part for part in self.components() if part)


@mutant("amount-format", "amounts signed with a decimal comma", ("signing",), ("signing/payments-are-signed",),
        cause="amount-format")
def _amount_format() -> None:
    signing.format_amount = lambda amount, rounding="half-up": f"{money.to_decimal(amount):.2f}".replace(".", ",")


@mutant("date-format", "the payment date signed as yyyy-MM-dd", ("signing",), ("signing/payments-are-signed",),
        cause="date-format")
def _date_format() -> None:
    signing.format_paydate = lambda payment_date: str(payment_date)


@mutant("time-mismatch", "the payload's now an hour after the auth time", ("signing",), SIGNED, cause="time-mismatch")
def _time_mismatch() -> None:
    signing.format_now = lambda moment: (signing.to_utc(moment) + timedelta(hours=1)).strftime(signing.NOW_FORMAT)


@mutant("payid-mismatch", "the requestId as payid of payment payloads", ("signing",), ("signing/payments-are-signed",),
        cause="payid-mismatch")
def _payid_mismatch() -> None:
    original = signing.transaction_payload

    def payload(transaction, **common):
        return replace(original(transaction, **common), payid=common["request_id"])
    signing.transaction_payload = payload


@mutant("hash-encoding", "the HMAC in hex instead of Base64", ("signing",), SIGNED, cause="hash-encoding")
def _hash_encoding() -> None:
    signing.encode_hash = lambda digest: digest.hex()


@mutant("local-time", "local time (UTC+1) in the header and the payload", ("signing",), SIGNED, cause="clock-skew")
def _local_time() -> None:
    real = session._utc_now
    session._utc_now = lambda: real() + timedelta(hours=1)


# --------------------------------------------------------------------------- client behaviour


def _wrap_handle(change: Callable[[dict[str, Any], Callable[[dict[str, Any]], Any]], Any]) -> None:
    original = reference.handle
    reference.handle = lambda request: change(request, original)


@mutant("success-on-401", "reports success when the bank answers 401", ("errors",), ("errors/unauthorized",))
def _success_on_401() -> None:
    def change(request, handle):
        try:
            return handle(request)
        except AdapterError as error:
            if error.kind == "unauthorized":
                return {"requestId": request["params"].get("requestId"), "answers": []}
            raise
    _wrap_handle(change)


@mutant("success-on-5xx", "reports success when the bank answers a 5xx", ("errors",), ("errors/server-error",))
def _success_on_5xx() -> None:
    def change(request, handle):
        try:
            return handle(request)
        except AdapterError as error:
            if error.kind == "server-error":
                return {"requestId": request["params"].get("requestId"), "answers": []}
            raise
    _wrap_handle(change)


@mutant("timeout-as-connection", "reports a timeout as a connection failure", ("errors",), ("errors/timeout",))
def _timeout_as_connection() -> None:
    def change(request, handle):
        try:
            return handle(request)
        except AdapterError as error:
            if error.kind == "timeout":
                raise AdapterError("connection", error.message, error.http_status) from None
            raise
    _wrap_handle(change)


def _change_params(op: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    def changed(request, handle):
        if request["op"] == op:
            request = {**request, "params": change(dict(request["params"]))}
        return handle(request)
    _wrap_handle(changed)


@mutant("drops-transactions", "sends only the first transaction of a request", ("payments",),
        ("payments/many-transactions", "payments/amounts-and-texts"))
def _drops_transactions() -> None:
    _change_params("pay", lambda params: {**params, "transactions": params["transactions"][:1]})


@mutant("rounds-amounts", "rounds amounts to whole kroner (and signs what it sends)", ("payments",),
        ("payments/many-transactions", "payments/amounts-and-texts"))
def _rounds_amounts() -> None:
    def rounded(params):
        return {**params, "transactions": [{**t, "amount": round(money.to_decimal(t["amount"]))}
                                           for t in params["transactions"]]}
    _change_params("pay", rounded)


@mutant("ignores-statement-type", "always asks for the Simple statement", ("statement",), ("statement/long-range",))
def _ignores_statement_type() -> None:
    _change_params("statement", lambda params: {**params, "type": "Simple"})


def _change_result(op: str, change: Callable[[dict[str, Any]], Any]) -> None:
    def changed(request, handle):
        result = handle(request)
        return change(result) if request["op"] == op else result
    _wrap_handle(changed)


@mutant("asks-wrong-trans-id", "asks GET /payment/<transId> for another transId", ("status",),
        ("status/all-and-by-trans-id",))
def _asks_wrong_trans_id() -> None:
    _change_params("payment", lambda params: {**params, "transId": "999999"})


@mutant("statement-value-date", "reads the booking date from date.value", ("statement",), ("statement/long-range",))
def _statement_value_date() -> None:
    def swap(result):
        for entry in result.get("entries") or []:
            entry["date"] = {**entry["date"], "booking": entry["date"]["value"]}
        return result
    _change_result("statement", swap)


def _on_answers(change: Callable[[dict[str, Any]], None]) -> None:
    def each(result):
        for answer in result.get("answers") or []:
            change(answer)
        return result
    _change_result("status", each)


@mutant("misreports-status", "reports Pending (2) for Accepted (4)", ("status",), ("status/to-succeeded",))
def _misreports_status() -> None:
    _on_answers(lambda answer: answer.update(status=2) if answer.get("status") == 4 else None)


@mutant("forgets-warnings", "drops the warnings of an answer", ("status",), ("status/warning-128",))
def _forgets_warnings() -> None:
    _on_answers(lambda answer: answer.pop("warnings", None))


def _crash(reason: str) -> None:
    sys.stderr.write(f"mutant crashed: {reason}\n")
    sys.stderr.flush()
    raise SystemExit(3)


@mutant("crashes-on-512", "crashes on status 512 Waiting", ("status",), ("status/waiting-512",))
def _crashes_on_512() -> None:
    _on_answers(lambda answer: _crash("unknown status 512") if answer.get("status") == 512 else None)


@mutant("crashes-on-unknown-fields", "crashes on a response field it does not know", ("robustness",),
        ("robustness/unknown-fields",))
def _crashes_on_unknown_fields() -> None:
    original = writeback.payments_json

    def payments_json(result):
        if "futureField" in result.raw:
            _crash("unexpected field futureField")
        return original(result)
    writeback.payments_json = payments_json


@mutant("crashes-on-null-answers", "crashes when 'answers' is null", ("robustness",), ("robustness/empty-answers",))
def _crashes_on_null_answers() -> None:
    original = writeback.payments_json

    def payments_json(result):
        if "answers" in result.raw and result.raw["answers"] is None:
            _crash("answers is null")
        return original(result)
    writeback.payments_json = payments_json


@mutant("retries-with-new-ids", "retries a payment after a 5xx with new paymentIds", ("errors",),
        ("errors/payment-retry",))
def _retries_with_new_ids() -> None:
    def change(request, handle):
        try:
            return handle(request)
        except AdapterError as error:
            if request["op"] != "pay" or error.kind != "server-error":
                raise
            params = request["params"]
            fresh = [{**t, "paymentId": f"{t['paymentId']}-R"} for t in params["transactions"]]
            return handle({**request, "params": {**params, "transactions": fresh}})
    _wrap_handle(change)


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in MUTANTS:
        sys.exit(f"usage: mutant.py NAME (one of {', '.join(MUTANTS)})")
    MUTANTS[argv[0]].apply()
    reference.main()


if __name__ == "__main__":
    main(sys.argv[1:])
