"""The test plans: named groups of checks that certify a client through its adapter.

Each check gets a fresh bank (the session is reset before it) and raises
:class:`~mockbank.contract_tests.session.CheckFailed` with the evidence when the client is wrong.
Property checks run a hypothesis property over :mod:`~mockbank.contract_tests.strategies` with the
session's seed and number of examples; a failure is shrunk to a minimal example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from mockbank.contract_tests import judge
from mockbank.contract_tests import strategies as gen
from mockbank.contract_tests.session import CheckCannotRun, CheckFailed, Exchange, Session

PLAN_NAMES = ("signing", "payments", "status", "statement", "balance", "cancel", "errors", "robustness")

#: The adapter operations each plan asks for: a plan runs only for an adapter that offers all of them.
PLAN_OPERATIONS: dict[str, tuple[str, ...]] = {
    "signing": ("pay", "status", "payment", "statement", "balance", "cancel"),
    "payments": ("pay",),
    "status": ("pay", "status", "payment"),
    "statement": ("statement",),
    "balance": ("balance",),
    "cancel": ("pay", "status", "cancel"),
    "errors": ("pay", "status"),
    "robustness": ("pay", "status", "statement"),
}

#: What each plan checks, in a few words: what a partial certificate says it leaves unchecked.
PLAN_TOPICS: dict[str, str] = {
    "signing": "signing edge cases (every request type, non-ASCII integration codes)",
    "payments": "payment requests",
    "status": "payment status reads",
    "statement": "statements",
    "balance": "balances",
    "cancel": "cancelling payments",
    "errors": "error handling (401, 5xx, timeouts, dropped connections, payment retries)",
    "robustness": "unusual answers (unknown fields, empty answers, whole amounts)",
}


@dataclass(frozen=True)
class Check:
    plan: str
    name: str
    description: str
    run: Callable[[Session], None]

    @property
    def id(self) -> str:
        return f"{self.plan}/{self.name}"


_CHECKS: list[Check] = []


def check(plan: str, name: str, description: str):
    """Register a check of a plan."""
    def register(function: Callable[[Session], None]) -> Callable[[Session], None]:
        _CHECKS.append(Check(plan, name, description, function))
        return function
    return register


def checks(plans: list[str] | None = None) -> list[Check]:
    """The checks of the named plans (all plans when None), in plan order."""
    unknown = set(plans or []) - set(PLAN_NAMES)
    if unknown:
        raise ValueError(f"unknown plan(s) {', '.join(sorted(unknown))}; plans: {', '.join(PLAN_NAMES)}")
    wanted = list(PLAN_NAMES) if plans is None else plans
    return [c for plan in PLAN_NAMES if plan in wanted for c in _CHECKS if c.plan == plan]


def parse(text: str | None) -> list[str] | None:
    """The plans named in an option's comma-separated list (None when the option is not given: all plans).

    ValueError for an unknown name, or for a list that names none (``","``).
    """
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(f"{text!r} names no plan; name one or more of {', '.join(PLAN_NAMES)}, "
                         "or leave the option out for all")
    checks(names)
    return names


def left_out(plans: list[str] | None, operations: tuple[str, ...]) -> dict[str, list[str]]:
    """The plans (of ``plans``, all when None) that need operations outside ``operations``: plan -> missing ops."""
    return {plan: [op for op in PLAN_OPERATIONS[plan] if op not in operations]
            for plan in PLAN_NAMES if (plans is None or plan in plans)
            and not set(PLAN_OPERATIONS[plan]) <= set(operations)}


def for_all(session: Session, strategy: st.SearchStrategy, test: Callable[[Any], None]) -> None:
    """Run ``test`` as a hypothesis property with the session's seed and number of examples."""
    @seed(session.seed)
    @settings(max_examples=session.examples, database=None, deadline=None, print_blob=False,
              report_multiple_bugs=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))
    @given(strategy)
    def property_(example: Any) -> None:
        session.start_example(example)
        test(example)

    property_()


# --------------------------------------------------------------------------- building requests


def prepared(session: Session, example: dict[str, Any]) -> dict[str, Any]:
    """Pay params from a generated example, with paymentIds no other exchange uses."""
    transactions = [{**t, "paymentId": session.unique(f"{t['paymentId']}_")} for t in example["transactions"]]
    params: dict[str, Any] = {"requestId": session.unique("REQ_"), "transactions": transactions}
    if example.get("options") is not None:
        params["options"] = example["options"]
    return params


def plain_transaction(session: Session, amount: str = "100.00", account: str = "80790000820049",
                      **extra: Any) -> dict[str, Any]:
    return {"paymentId": session.unique("PAY_"), "paymentDate": gen.BANK_TODAY.isoformat(),
            "amount": Decimal(amount), "currency": "DKK", "account": account,
            "creditor": {"name": "Bennys Pølsebar"}, "text": "Faktura 4711", **extra}


def pay(session: Session, *transactions: dict[str, Any], options: dict[str, Any] | None = None,
        **call: Any) -> Exchange:
    params: dict[str, Any] = {"requestId": session.unique("REQ_"), "transactions": list(transactions)}
    if options is not None:
        params["options"] = options
    return session.call("pay", params, **call)


def status(session: Session, payment_ids: list[str] | None = None, **call: Any) -> Exchange:
    """A status request; when it reached the emulator, it must carry the requestId and ids asked for."""
    params: dict[str, Any] = {"requestId": session.unique("REQ_")}
    if payment_ids is not None:
        params["paymentIds"] = payment_ids
    exchange = session.call("status", params, **call)
    if exchange.requests and exchange.requests[0].get("status") != 401:
        judge.expect_sent_as_asked(exchange, params)
    return exchange


def by_trans_id(session: Session, trans_id: str) -> Exchange:
    """GET /payment/<transId>: the client must ask for that transId with the requestId given."""
    params = {"requestId": session.unique("REQ_"), "transId": trans_id}
    exchange = session.call("payment", params)
    entry = judge.expect_requests(exchange)[0]
    if entry["path"] != f"/payment/{trans_id}" or entry["query"].get("requestId") != params["requestId"]:
        raise CheckFailed(f"payment: the client asked for {entry['path']}?requestId={entry['query'].get('requestId')}, "
                          f"not /payment/{trans_id}?requestId={params['requestId']}", exchange=exchange)
    return exchange


def cancel(session: Session, payment_ids: list[str]) -> Exchange:
    params = {"requestId": session.unique("REQ_"), "paymentIds": payment_ids}
    exchange = session.call("cancel", params)
    judge.expect_sent_as_asked(exchange, params)
    return exchange


def report(session: Session, op: str, kind: Any, first: str, last: str) -> Exchange:
    """A statement or balance request; the client must send the type and range asked for."""
    params = {"requestId": session.unique("REQ_"), "type": kind, "from": first, "to": last}
    exchange = session.call(op, params)
    judge.expect_sent_as_asked(exchange, params)
    return exchange


def succeeded(exchange: Exchange) -> Exchange:
    """Judged from both ends: signed and schema-valid as sent, and reported as the emulator answered."""
    judge.expect_verified(exchange)
    judge.expect_schema_valid(exchange)
    judge.expect_reported_as_answered(exchange)
    return exchange


def poll_until_final(session: Session, payment_id: str, steps: int) -> list[int]:
    """Status reads (each judged) until the payment is final; the statuses the client reported."""
    seen = []
    for _ in range(steps):
        exchange = succeeded(status(session, [payment_id]))
        answers = exchange.result.get("answers") or []
        reported = next((a.get("status") for a in answers if a.get("paymentId") == payment_id), None)
        seen.append(reported)
        if reported in (8, 16, 32, 64):
            break
    return seen


# --------------------------------------------------------------------------- signing


@check("signing", "payments-are-signed", "every POST /payment, with 1 to 5 transactions of any content, verifies")
def _signed_payments(session: Session) -> None:
    for_all(session, gen.payment_requests,
            lambda example: judge.expect_verified(session.call("pay", prepared(session, example))))


@check("signing", "queries-are-signed", "status, statement and balance requests verify (single requestId hash)")
def _signed_queries(session: Session) -> None:
    def test(example: tuple[str, Any]) -> None:
        op, query = example
        if op == "status":
            judge.expect_verified(status(session, [session.unique(f"{i}_") for i in query]))
        else:
            judge.expect_verified(report(session, op, query["type"], *query["range"]))

    for_all(session, st.one_of(st.tuples(st.just("status"), gen.status_queries),
                               st.tuples(st.just("statement"), gen.statement_queries),
                               st.tuples(st.just("balance"), gen.balance_queries)), test)


@check("signing", "non-ascii-integration-code", "requests for an account whose integration code has æøå verify")
def _signed_non_ascii(session: Session) -> None:
    account = next((index for index, creds in enumerate(session.emulator.credentials)
                    if not creds.integration_code.isascii()), None)
    if account is None:
        raise CheckCannotRun("the fixtures have no account with a non-ASCII integration code to sign for; "
                             "certify with fixtures that have one (the demo bank has one)")
    judge.expect_verified(status(session, account=account))
    judge.expect_verified(pay(session, plain_transaction(session), account=account))


@check("signing", "other-requests-are-signed", "GET /payment/<transId> and POST /payment/cancel verify")
def _signed_others(session: Session) -> None:
    sent = succeeded(pay(session, plain_transaction(session)))
    answer = sent.result["answers"][0]
    judge.expect_verified(by_trans_id(session, answer["transId"]))
    judge.expect_verified(cancel(session, [answer["paymentId"]]))


# --------------------------------------------------------------------------- payments


@check("payments", "request-as-asked", "the client sends every transaction with the values asked, schema-valid")
def _payment_request(session: Session) -> None:
    def test(example: dict[str, Any]) -> None:
        params = prepared(session, example)
        exchange = session.call("pay", params)
        judge.expect_schema_valid(exchange)
        judge.expect_sent_as_asked(exchange, {key: params[key] for key in ("requestId", "transactions", "options")
                                              if key in params})
    for_all(session, gen.payment_requests, test)


@check("payments", "reported-as-answered", "the client reports every answer (transId, status, errors) as answered")
def _payment_reported(session: Session) -> None:
    for_all(session, gen.payment_requests, lambda example: succeeded(session.call("pay", prepared(session, example))))


@check("payments", "failed-payment-alone", "a payment failing validation (32) is reported, the others go through")
def _failed_alone(session: Session) -> None:
    exchange = succeeded(pay(session, plain_transaction(session), plain_transaction(session, amount="32.32")))
    statuses = [answer.get("status") for answer in exchange.result.get("answers") or []]
    if statuses[1:] != [32]:
        raise CheckFailed(f"expected the second payment reported as 32, got {statuses}", exchange=exchange)


@check("payments", "amounts-and-texts", "amounts from 0.01 to millions, Danish texts, IBAN and FIK accounts are "
                                       "sent exactly as asked")
def _amounts_and_texts(session: Session) -> None:
    transactions = [
        plain_transaction(session, amount="0.01", text="Æble og øl på Ærø"),
        plain_transaction(session, amount="100.10", account="DK5000400440116243", creditor={"name": "Søren Ørsted"}),
        plain_transaction(session, amount="1234567.89", account="+71<000000012345674+87654321<"),
        plain_transaction(session, amount="9999999.99", currency="EUR", creditorMessage=["Faktura 1", "Tak!"]),
    ]
    exchange = pay(session, *transactions)
    judge.expect_verified(exchange)
    judge.expect_schema_valid(exchange)
    judge.expect_sent_as_asked(exchange, {"transactions": transactions})
    judge.expect_reported_as_answered(exchange)


@check("payments", "many-transactions", "a request with 25 transactions is sent and reported whole")
def _many(session: Session) -> None:
    transactions = [plain_transaction(session, amount=f"{index + 1}.{index:02d}") for index in range(25)]
    exchange = pay(session, *transactions)
    judge.expect_sent_as_asked(exchange, {"transactions": transactions})
    succeeded(exchange)


# --------------------------------------------------------------------------- status


def _progression(session: Session, expected_final: int, steps: int = 8, must_see: int | None = None,
                 **transaction: Any) -> None:
    payment = plain_transaction(session, **transaction)
    succeeded(pay(session, payment))
    seen = poll_until_final(session, payment["paymentId"], steps)
    if (must_see is not None and must_see not in seen) or not seen or seen[-1] != expected_final:
        raise CheckFailed(f"status reads reported {seen}; expected to reach {expected_final}"
                          + (f" through {must_see}" if must_see else ""), exchange=session.exchanges[-1])


@check("status", "to-succeeded", "status reads report 1 -> 2 -> 4 -> 8 as the payment moves on")
def _to_succeeded(session: Session) -> None:
    _progression(session, 8)


@check("status", "rejected", "a rejected payment (16) is reported with the bank's error code")
def _rejected(session: Session) -> None:
    _progression(session, 16, account="80790000820000")


@check("status", "waiting-512", "Waiting (512) for approval in the online bank is reported, then the payment succeeds")
def _waiting(session: Session) -> None:
    _progression(session, 8, must_see=512, amount="512.12")


@check("status", "warning-128", "Warning (128) with its warnings is reported, then the payment succeeds")
def _warning(session: Session) -> None:
    _progression(session, 8, must_see=128, amount="128.28")


@check("status", "unknown-payment", "an unknown paymentId is reported as NotFound (64)")
def _unknown_payment(session: Session) -> None:
    succeeded(status(session, [session.unique("NO_SUCH_PAYMENT_")]))


@check("status", "all-and-by-trans-id", "status without ids and GET /payment/<transId> are reported as answered")
def _all_and_trans(session: Session) -> None:
    sent = succeeded(pay(session, plain_transaction(session), plain_transaction(session)))
    succeeded(status(session))
    exchange = succeeded(by_trans_id(session, sent.result["answers"][0]["transId"]))
    reported = [answer.get("paymentId") for answer in exchange.result.get("answers") or []]
    asked = [answer["paymentId"] for answer in sent.result["answers"]]
    if reported != asked:
        raise CheckFailed(f"payment by transId reported {reported}, the request paid {asked}", exchange=exchange)


# --------------------------------------------------------------------------- statement


@check("statement", "types-and-ranges", "Simple and Full statements over ranges within 90 days are reported as answered")
def _statements(session: Session) -> None:
    for_all(session, gen.statement_queries,
            lambda query: succeeded(report(session, "statement", query["type"], *query["range"])))


@check("statement", "empty-range", "a day without entries is reported with no entries")
def _empty_statement(session: Session) -> None:
    saturday = gen.BANK_TODAY - timedelta(days=(gen.BANK_TODAY.weekday() - 5) % 7 or 7)
    exchange = succeeded(report(session, "statement", "Simple", saturday.isoformat(), saturday.isoformat()))
    if exchange.result.get("entries"):
        raise CheckFailed("the client reported entries for a day without any", exchange=exchange)


@check("statement", "long-range", "90 days of Simple and Full statement are reported whole")
def _long_statement(session: Session) -> None:
    first = (gen.BANK_TODAY - timedelta(days=gen.HISTORY_DAYS - 1)).isoformat()
    for kind in ("Simple", "Full"):
        succeeded(report(session, "statement", kind, first, gen.BANK_TODAY.isoformat()))


@check("statement", "payment-booked", "a succeeded payment is reported as an entry with its texts")
def _booked(session: Session) -> None:
    payment = plain_transaction(session, creditorText="Tak for varen", creditorMessage=["Faktura 4711", "Kunde 42"])
    session.book_payment(payment)
    succeeded(report(session, "statement", "Full", gen.BANK_TODAY.isoformat(), gen.BANK_TODAY.isoformat()))
    succeeded(report(session, "statement", "Simple", gen.BANK_TODAY.isoformat(), gen.BANK_TODAY.isoformat()))


# --------------------------------------------------------------------------- balance


@check("balance", "types-and-ranges", "opening, closing and both, over ranges within 90 days, reported as answered")
def _balances(session: Session) -> None:
    for_all(session, gen.balance_queries,
            lambda query: succeeded(report(session, "balance", query["type"], *query["range"])))


@check("balance", "today-not-closed", "today's balance has an opening and no closing entry")
def _today(session: Session) -> None:
    succeeded(report(session, "balance", 3, gen.BANK_TODAY.isoformat(), gen.BANK_TODAY.isoformat()))


# --------------------------------------------------------------------------- cancel


@check("cancel", "open-payment", "cancelling an open payment reports Cancelling (256), then Rejected with DS02")
def _cancel_open(session: Session) -> None:
    payment = plain_transaction(session)
    succeeded(pay(session, payment))
    succeeded(cancel(session, [payment["paymentId"]]))
    seen = poll_until_final(session, payment["paymentId"], 3)
    if seen[-1:] != [16]:
        raise CheckFailed(f"after cancelling, status reads reported {seen}; expected 16", exchange=session.exchanges[-1])


@check("cancel", "finished-or-unknown", "cancelling a finished or an unknown payment is reported as answered")
def _cancel_finished(session: Session) -> None:
    payment = plain_transaction(session)
    succeeded(pay(session, payment))
    session.emulator.progress(payment["paymentId"], 8)
    succeeded(cancel(session, [payment["paymentId"], session.unique("NO_SUCH_")]))


# --------------------------------------------------------------------------- errors


@check("errors", "unauthorized", "a 401 is reported as 'unauthorized', for queries and payments")
def _unauthorized(session: Session) -> None:
    wrong = {**session.credentials(), "integrationCode": "not-the-integration-code"}
    judge.expect_error(status(session, credentials=wrong), "unauthorized", 401)
    judge.expect_error(pay(session, plain_transaction(session), credentials=wrong), "unauthorized", 401)


@check("errors", "server-error", "each injected 500, 502, 503 and 504 is reported as 'server-error' with its status")
def _server_errors(session: Session) -> None:
    for code in (500, 502, 503, 504):
        session.emulator.inject_fault(path="/status", status=code, count=5)
        judge.expect_error(status(session), "server-error", code)
        session.emulator.clear_faults()


@check("errors", "timeout", "an answer slower than the client's timeout is reported as 'timeout'")
def _timeout(session: Session) -> None:
    timeout_ms, delay_ms = 250, 700
    session.emulator.inject_fault(path="/status", delayMs=delay_ms, count=3)
    exchange = status(session, timeout_ms=timeout_ms)
    session.wait_for_requests(seconds=3 * delay_ms / 1000 + 2)  # the delayed ones must not reach the next check
    judge.expect_error(exchange, "timeout")


@check("errors", "connection", "a connection closed without an answer is reported as 'connection'")
def _connection(session: Session) -> None:
    session.emulator.inject_fault(path="/status", drop=True, count=5)
    judge.expect_error(status(session), "connection")


@check("errors", "payment-retry", "a payment retried after a 5xx keeps its paymentIds; the outcome is reported")
def _payment_retry(session: Session) -> None:
    for when in ("before", "after"):
        session.emulator.inject_fault(path="/payment", status=503, count=1, when=when)
        exchange = pay(session, plain_transaction(session), plain_transaction(session))
        judge.expect_verified(exchange)
        judge.expect_payment_ids_kept_on_retry(exchange)
        if exchange.error is not None:
            judge.expect_error(exchange, "server-error", 503)
        else:
            judge.expect_reported_as_answered(exchange)


# --------------------------------------------------------------------------- robustness


@check("robustness", "unknown-fields", "answers with fields the client does not know are reported as answered")
def _unknown_fields(session: Session) -> None:
    succeeded(pay(session, plain_transaction(session)))
    for path, call in (("/status", lambda: status(session)),
                       ("/report/*", lambda: report(session, "statement", "Simple", gen.BANK_TODAY.isoformat(),
                                                    gen.BANK_TODAY.isoformat()))):
        session.emulator.inject_fault(path=path, reshape="unknown-fields")
        succeeded(call())


@check("robustness", "empty-answers", "an empty or null 'answers' is reported as no answers")
def _empty_answers(session: Session) -> None:
    for how in ("empty-answers", "null-answers"):
        session.emulator.inject_fault(path="/status", reshape=how)
        succeeded(status(session, [session.unique("PAY_")]))


@check("robustness", "amount-formats", "amounts written as whole numbers and with decimals are read alike")
def _amount_formats(session: Session) -> None:
    payment = plain_transaction(session, amount="2500.00")
    succeeded(pay(session, payment))
    session.emulator.progress(payment["paymentId"], 8)
    session.emulator.inject_fault(path="/status", reshape="integer-amounts")
    succeeded(status(session, [payment["paymentId"]]))
    first = (gen.BANK_TODAY - timedelta(days=14)).isoformat()
    session.emulator.inject_fault(path="/report/*", reshape="integer-amounts")
    succeeded(report(session, "statement", "Simple", first, gen.BANK_TODAY.isoformat()))
    succeeded(report(session, "statement", "Simple", first, gen.BANK_TODAY.isoformat()))
