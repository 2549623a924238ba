"""Schemathesis against a live emulator: the served OpenAPI document is true.

Every operation of ``GET /_mock/openapi.json`` is called with data generated from its schemas, valid
and invalid, with every Schemathesis check on (status codes, content types, response schemas, valid
data accepted, invalid data refused, 405 for undocumented methods, requests without the signature
refused, ...). API requests are signed through ``mockbank.signing`` with the demo bank's first
account, so valid data gets past the signature check and reaches the bank. The stateful phase
follows the document's links: pay -> status (and the payment by transId) -> statement.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from mockbank import openapi, schemas, signing
from mockbank.testing import Emulator

pytestmark = pytest.mark.slow  # schemathesis over the whole OpenAPI document (`pytest --all` and CI run them)

EXAMPLES_PER_OPERATION = 25
STATEFUL_SCENARIOS = 30

#: Rules JSON Schema cannot state, each answered 400 with the field named: from after to, a day its month lacks
#: (2026-02-30), a bank clock moved outside 1900-8999, a fixture account whose serviceProvider is none of the
#: fixture's erps. Valid-looking data may meet them.
RULES_BEYOND_THE_SCHEMA = ["getStatement", "postStatement", "getBalance", "postBalance", "setClock", "createSandbox"]
#: Schemathesis's defaults for these two checks, which the operations below extend.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
CONFIG = {
    # allow-x00: a NUL character in any string is refused with a 400 naming where (PostgreSQL cannot store one;
    # README, "Where the real API is unknown"), a rule JSON Schema cannot state for every key and value
    "generation": {"max-examples": EXAMPLES_PER_OPERATION, "mode": "all", "allow-x00": False},
    "phases": {"stateful": {"max-steps": 6, "generation": {"mode": "positive"}}},
    "operations": [
        {"include-operation-id": RULES_BEYOND_THE_SCHEMA,
         "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}}},
        # A transaction that breaks its schema fails alone (status 32 in a 200 answer, see
        # payments_are_refused_one_by_one below); only a request-level violation answers 400.
        {"include-operation-id": "sendPayments",
         "checks": {"negative_data_rejection": {"expected-statuses": [*REFUSED, "200"]}}},
    ],
}


@pytest.fixture(scope="module")
def live():
    with Emulator() as emulator:
        yield emulator


def load(base_url: str | None = None) -> schemathesis.BaseSchema:
    """The document the emulator serves (its ``served()`` form, loaded here, so pytest can collect its operations)."""
    config = {**CONFIG, "base-url": base_url} if base_url is not None else CONFIG
    loaded = schemathesis.openapi.from_dict(openapi.served(), config=schemathesis.Config.from_dict(config))
    loaded.auth(refresh_interval=None)(SignedByTheDemoBank)
    return loaded


class SignedByTheDemoBank:
    """Signs each API request as a correct client does: the auth object's requestId is the request's own."""

    def __init__(self) -> None:
        self.credentials = Emulator().credentials[0]

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> signing.Credentials:
        return self.credentials

    def set(self, case: schemathesis.Case, credentials: signing.Credentials,
            context: schemathesis.AuthContext) -> None:
        params = case.body if case.method == "POST" else case.query
        params = params if isinstance(params, dict) else {}
        request_id = params.get("requestId")
        transactions = params.get("transactions") if case.path == "/payment" else None
        now = datetime.now(timezone.utc)
        try:
            signed = signing.sign(credentials, _text(request_id), time=now, transactions=transactions)
        except (TypeError, ValueError, AttributeError, ArithmeticError):  # invalid data: the server refuses it anyway
            signed = signing.sign(credentials, _text(request_id), time=now)
        case.headers = {**(case.headers or {}), "Authorization": signed.header}


def _text(value: Any) -> str:
    if isinstance(value, list):  # a query key given repeatedly: the server reads it as a list
        return ",".join(map(str, value))
    return "" if value is None else str(value)


@schemathesis.check
def payments_are_refused_one_by_one(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                                    case: schemathesis.Case) -> bool | None:
    """A POST /payment answered 200 failed each transaction that breaks its schema: status 32, a FIELD error."""
    if case.operation.path != "/payment" or response.status_code != 200:
        return None
    broken = {int(v.pointer.split("/")[2]) for v in schemas.violations("payment-request", case.body)
              if v.pointer.startswith("/transactions/")}
    answers = {answer.get("paymentId"): answer for answer in response.json()["answers"]}
    for index in broken:
        answer = answers[case.body["transactions"][index]["paymentId"]]
        assert answer["status"] == 32 and any(e.get("code") == "FIELD" for e in answer.get("errors", [])), \
            f"transaction {index} breaks the payment-request schema but was answered {answer}"
    return True


def test_the_emulator_serves_the_document_under_test(live):
    assert live.http.get(live.url + "/_mock/openapi.json", timeout=30).json() == openapi.served()


schema = load()


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_keeps_its_documented_contract(case, live):
    try:
        case.call_and_validate(base_url=live.url)
    finally:
        _without_the_faults_it_added(case, live)


def test_the_links_chain_pay_status_and_statement():
    linked = load().operations_with_incoming_links()  # the links Schemathesis could resolve
    assert {"GET /status", "POST /status", "GET /payment/{transId}", "GET /report/account"} <= linked, linked


def test_linked_operations_keep_their_contract(live):
    # The chains the links describe are the API's (pay -> status -> statement); the control plane's operations
    # (sandboxes, faults, reset) would change the bank under the machine's feet between a run and its replay.
    api_only = load(live.url).exclude(path_regex="^/_mock/")

    class LinkedCalls(api_only.as_state_machine()):
        def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
            _without_the_faults_it_added(case, live)

    LinkedCalls.run(settings=settings(max_examples=STATEFUL_SCENARIOS, deadline=None, stateful_step_count=6,
                                      suppress_health_check=list(HealthCheck)))


def _without_the_faults_it_added(case: schemathesis.Case, live: Emulator) -> None:
    """A fault added with random data would delay (up to 10 minutes), drop or fail the calls that follow."""
    if case.path == "/_mock/faults" and case.method == "POST":
        live.clear_faults()
