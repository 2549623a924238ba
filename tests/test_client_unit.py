"""The reference client against a tiny local stub server: signing, request shapes, parsing, errors."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler, make_server

from mockbank import schemas, signing, verification
from mockbank.client import (Answer, BadRequest, BalanceEntry, BankIntegrationClient, ConnectionFailed,
                             InvalidResponse, Message, Money, PaymentStatus, ServerError, Timeout,
                             Unauthorized)

from documented_responses import (BALANCE_RESPONSE, CANCEL_RESPONSE, PAYMENT_RESPONSE, STATEMENT_FULL,
                                  STATEMENT_SIMPLE, STATUS_RESPONSE, doc)

CREDS = signing.Credentials("MyERP", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "52470021527478", "TestKode123")
LOOKUP = verification.StaticCredentials((CREDS,))
V2_TIME = datetime(2015, 4, 14, 9, 30, tzinfo=timezone.utc)
V2_AUTHORIZATION = (
    "Basic eyJzZXJ2aWNlUHJvdmlkZXIiOiJNeUVSUCIsImFjY291bnQiOiI1MjQ3MDAyMTUyNzQ3OCIsInRpbWUiOiIyMDE1LTA0LTE0VDA5"
    "OjMwOjAwIiwicmVxdWVzdElkIjoiUkVRXzAxIiwiaGFzaCI6W3siaWQiOiJQQVlfMDEiLCJoYXNoIjoiMjlaY1FJZ2ZFTnowL2JMYytLOGZl"
    "cmhMSXVmVy9NbzYvTFViMzB0WERUQT0ifSx7ImlkIjoiUEFZXzAyIiwiaGFzaCI6IlA4WDZLaC9NRis5ZnJQcUYxbGNNWUdKTmxzb0Q3R2lV"
    "MWlHOUlETEJISFk9In1dfQ==")

TRANSACTIONS = [
    {"paymentId": "PAY_01", "paymentDate": date(2015, 4, 15), "amount": Decimal("154.00"), "currency": "DKK",
     "account": "80790000820049", "text": "Tekst på mit kontoudtog", "creditorText": "På modtagers kontoudtog",
     "creditor": {"name": "BankIntegration ApS"}},
    {"paymentId": "PAY_02", "paymentDate": "2015-04-16", "urgency": 2, "amount": Decimal("217.5"),
     "currency": "DKK", "account": "80790000820064", "text": "Anden tekst på kontoudtog",
     "creditorText": "På modtagers kontoudtog", "creditorMessage": ["Dette er test nr. 2", "fra mig til dig ;-)"],
     "creditor": {"name": "Peter Hansen", "streetName": "Per Gøgls Vej", "streetNbr": "54",
                  "postalCode": "1234", "city": "Gødstrup"}},
]


# --------------------------------------------------------------------------- the stub server


@dataclass
class Canned:
    """One stub answer. ``echo`` puts the request's requestId into the body's top-level requestId."""

    body: str | None = None
    status: int = 200
    delay: float = 0.0
    echo: bool = True
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Seen:
    """One request the stub received, with the signature verdict."""

    method: str
    path: str
    query: dict[str, str]
    raw_body: bytes
    json: Any
    headers: dict[str, str]
    verdict: verification.Verdict


@dataclass
class Stub:
    """What the stub answers next (the last canned answer repeats) and what it has seen."""

    answers: list[Canned] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def will(self, *answers: Canned) -> None:
        self.answers[:] = answers

    def next(self) -> Canned:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    @property
    def last(self) -> Seen:
        return self.seen[-1]


def _stub_app(stub: Stub) -> Flask:
    app = Flask("client-stub")

    @app.route("/<path:_path>", methods=["GET", "POST"])
    def handle(_path: str) -> Response:
        raw = request.get_data()
        body = json.loads(raw, parse_float=Decimal) if raw else None
        query = dict(request.args.items())
        try:
            auth = signing.parse_authorization(request.headers.get("Authorization"))
            verdict = verification.verify(auth, method=request.method, path=request.path, query=query, body=body,
                                          credentials=LOOKUP)
        except signing.MalformedHeader as error:
            verdict = verification.Verdict(False, "malformed-header", error.message)
        stub.seen.append(Seen(request.method, request.path, query, raw, body, dict(request.headers), verdict))
        if not verdict.ok:
            return Response(json.dumps({"error": "unauthorized", "diagnosis": verdict.diagnosis()}), 401,
                            content_type="application/json; charset=utf-8")
        canned = stub.next()
        time.sleep(canned.delay)
        text = canned.body or ""
        if canned.echo:
            incoming = (body or {}).get("requestId") if request.method == "POST" else query.get("requestId")
            text = re.sub(r'"requestId":\s*"[^"]*"', json.dumps({"requestId": incoming})[1:-1], text, count=1)
        return Response(text.encode("utf-8"), canned.status, content_type=canned.content_type)

    return app


class _QuietHandler(WSGIRequestHandler):
    def log(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    stub = Stub()
    httpd = make_server("127.0.0.1", 0, _stub_app(stub), threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield stub, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=2)


@pytest.fixture
def stub(server) -> Stub:
    stub, _ = server
    stub.answers.clear()
    stub.seen.clear()
    return stub


@pytest.fixture
def client(server):
    _, url = server
    with BankIntegrationClient(url, CREDS, timeout=2.0, clock=lambda: V2_TIME) as bank:
        yield bank


def assert_valid(schema: str, instance: Any) -> None:
    assert schemas.violations(schema, instance) == []


# --------------------------------------------------------------------------- payments


def test_pay_signs_like_the_v2_vector_and_sends_exact_utf8_json(client, stub):
    stub.will(Canned(PAYMENT_RESPONSE))
    result = client.pay(TRANSACTIONS, options={"waitForBankResponse": True}, request_id="REQ_01")

    seen = stub.last
    assert (seen.method, seen.path) == ("POST", "/payment")
    assert seen.verdict.ok
    assert seen.headers["Authorization"] == V2_AUTHORIZATION
    assert seen.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Tekst på mit kontoudtog".encode() in seen.raw_body  # UTF-8, not \\u escapes
    assert b'"amount":154.0' in seen.raw_body and b'"amount":217.5' in seen.raw_body
    assert seen.json["transactions"][0]["paymentDate"] == "2015-04-15"
    assert seen.json["options"] == {"waitForBankResponse": True}
    assert_valid("payment-request", seen.json)

    assert result.account == "52470021527478" and result.request_id == "REQ_01"
    assert result.time == datetime(2015, 4, 14, 11, 30, 1, tzinfo=timezone(timedelta(hours=2)))
    first = result.answers[0]
    assert first == Answer("254778516", "PAY_01", "72F0A84C17424C7EB2C71E88A4551395", PaymentStatus.PENDING,
                           "Tekst på mit kontoudtog", Money(Decimal("154.0"), "DKK"), None, (), ())
    assert result.answer_for("PAY_02").instructed == Money(Decimal("217.5"), "DKK")
    assert not result.all_final
    assert result.raw == doc(PAYMENT_RESPONSE)


def test_a_decimal_no_float_holds_is_sent_as_an_exact_numeric_string(client, stub):
    stub.will(Canned(PAYMENT_RESPONSE))
    big = {**TRANSACTIONS[0], "amount": Decimal("12345678901234567.8")}
    client.pay([big], request_id="REQ_01")
    assert stub.last.verdict.ok
    assert stub.last.json["transactions"][0]["amount"] == "12345678901234567.80"


def test_status_by_post_and_by_get(client, stub):
    stub.will(Canned(STATUS_RESPONSE))
    posted = client.status(["PAY_0122457", "PAY_9985424"], request_id="REQ_01")
    assert stub.last.verdict.ok and stub.last.path == "/status"
    assert stub.last.json == {"requestId": "REQ_01", "paymentIds": ["PAY_0122457", "PAY_9985424"]}
    assert_valid("status-request", stub.last.json)

    fetched = client.status(["PAY_0122457", "PAY_9985424"], request_id="REQ_01", method="GET")
    assert stub.last.verdict.ok and stub.last.method == "GET"
    assert stub.last.query == {"requestId": "REQ_01", "paymentIds": "PAY_0122457,PAY_9985424"}
    assert posted == fetched


def test_status_answers_are_typed_and_amounts_exact(client, stub):
    stub.will(Canned(STATUS_RESPONSE))
    result = client.status(request_id="REQ_01")
    assert "paymentIds" not in stub.last.json

    pending, accepted, succeeded, rejected = result.answers
    assert [a.status for a in result.answers] == [2, 4, 8, 16]
    assert isinstance(accepted.status, PaymentStatus) and accepted.status is PaymentStatus.ACCEPTED
    assert accepted.instructed.amount == Decimal("1754.1") and str(accepted.instructed.amount) == "1754.1"
    assert succeeded.instructed == Money(Decimal("100"), "EUR")
    assert succeeded.transacted == Money(Decimal("744.12"), "DKK")
    assert rejected.errors == (Message("AC03", "Beneficiary's account number n…"),)
    assert rejected.text is None and rejected.instructed is None
    assert [a.is_final for a in result.answers] == [False, False, True, True]
    assert result.raw == doc(STATUS_RESPONSE)


def test_payment_by_trans_id(client, stub):
    stub.will(Canned(STATUS_RESPONSE))
    result = client.payment("254778516", request_id="REQ_01")
    assert (stub.last.method, stub.last.path, stub.last.query) == ("GET", "/payment/254778516",
                                                                   {"requestId": "REQ_01"})
    assert stub.last.verdict.ok
    assert len(result.answers) == 4


def test_cancel(client, stub):
    stub.will(Canned(CANCEL_RESPONSE))
    result = client.cancel(["PAY_0122457"], request_id="REQ_01")
    assert (stub.last.path, stub.last.json) == ("/payment/cancel", {"requestId": "REQ_01",
                                                                    "paymentIds": ["PAY_0122457"]})
    assert stub.last.verdict.ok
    assert result.answers[0].status is PaymentStatus.CANCELLING and not result.answers[0].is_final
    assert result.answers[0].trans_id == "254778516" and result.answers[0].text is None
    assert result.raw == doc(CANCEL_RESPONSE)


def test_an_unknown_status_is_kept_as_an_int(client, stub):
    stub.will(Canned(CANCEL_RESPONSE.replace('"status": 256', '"status": 1024')))
    answer = client.status(["PAY_0122457"]).answers[0]
    assert answer.status == 1024 and type(answer.status) is int and not answer.is_final


@pytest.mark.parametrize("answers", ['"answers": null', '"answers": []', '"unused": 1'])
def test_null_empty_or_missing_answers_are_no_answers(client, stub, answers):
    stub.will(Canned(CANCEL_RESPONSE.split('"answers"')[0] + answers + "}"))
    assert client.status().answers == ()


def test_204_is_an_empty_result_for_the_request(client, stub):
    stub.will(Canned(None, status=204))
    result = client.pay(TRANSACTIONS, request_id="REQ_204")
    assert (result.account, result.request_id, result.answers) == ("52470021527478", "REQ_204", ())
    assert result.time == V2_TIME
    statement = client.statement(from_=date(2015, 5, 20), request_id="REQ_205")
    assert statement.entries == () and statement.from_ == datetime(2015, 5, 20)
    assert statement.to == datetime(2015, 4, 14)  # today by the client's clock


def test_wait_for_final_polls_until_every_answer_is_final(client, stub):
    step = CANCEL_RESPONSE.replace('"paymentId": "PAY_0122457"', '"paymentId": "PAY_01"')
    stub.will(*(Canned(step.replace('"status": 256', f'"status": {s}')) for s in (2, 4, 8)))
    result = client.wait_for_final(["PAY_01"], timeout=2, interval=0.01)
    assert result.answers[0].status is PaymentStatus.SUCCEEDED
    assert len(stub.seen) == 3 and all(s.verdict.ok for s in stub.seen)
    assert len({s.json["requestId"] for s in stub.seen}) == 3  # a fresh requestId per poll

    stub.will(Canned(step))
    with pytest.raises(Timeout, match=r"PAY_01 \(256 CANCELLING\)"):
        client.wait_for_final(["PAY_01"], timeout=0.05, interval=0.01)


# --------------------------------------------------------------------------- reports


def test_statement_simple_by_get(client, stub):
    stub.will(Canned(STATEMENT_SIMPLE))
    result = client.statement(from_=date(2005, 10, 15), to="051020", new_only=False, options="a;b",
                              request_id="REQ_01")
    assert stub.last.verdict.ok and stub.last.path == "/report/account"
    assert stub.last.query == {"requestId": "REQ_01", "type": "Simple", "from": "2005-10-15", "to": "051020",
                               "newOnly": "false", "options": "a;b"}
    assert_valid("statement-query", stub.last.query)

    assert result.created == datetime(2015, 5, 21, 10, 45, 23, tzinfo=timezone.utc)
    assert (result.currency, result.name, result.bic) == ("DKK", "Driftkonto", "DABADKKK")
    assert result.owner["name"] == "Bennys Pølsebar"
    assert result.from_ == datetime(2005, 10, 15) and result.from_.tzinfo is None
    out, incoming = result.entries
    assert (out.id, out.sequence, out.amount, out.balance) == ("778812", 1045, Decimal("-154.0"), Decimal("25263.0"))
    assert out.booking == datetime(2005, 10, 17) and out.creditor_message == "Faktura 114"
    assert out.end_to_end_id == "72F0A84C17424C7EB2C71E88A4551395" and out.debtor_text is None
    assert incoming.amount == Decimal("1754.1") and incoming.value == datetime(2005, 10, 19)
    assert (incoming.debtor_text, incoming.debtor_message) == ("Otto Hansen", "Faktura 259 betalt")
    assert out.balance + incoming.amount == incoming.balance
    assert result.raw == doc(STATEMENT_SIMPLE)  # as received, unknown keys (transactionCodes, creditor) too


def test_statement_full_by_post(client, stub):
    stub.will(Canned(STATEMENT_FULL))
    result = client.statement(type="Full", from_="2005-10-15", to=date(2005, 10, 20), new_only=True,
                              request_id="REQ_01", method="POST")
    assert stub.last.verdict.ok and stub.last.method == "POST"
    assert stub.last.json == {"requestId": "REQ_01", "type": "Full", "from": "2005-10-15", "to": "2005-10-20",
                              "newOnly": True}
    assert_valid("statement-request", stub.last.json)
    entry = result.entries[0]
    assert (entry.amount, entry.balance) == (Decimal("-154.0"), Decimal("25263.0"))
    assert entry.advice == ("Faktura 114", "Tak for handlen") and entry.sequence is None
    assert result.owner is None
    assert result.raw == doc(STATEMENT_FULL)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_balance(client, stub, method):
    stub.will(Canned(BALANCE_RESPONSE))
    result = client.balance(type=3, from_=date(2015, 5, 20), to="2015-05-21", request_id="REQ_01", method=method)
    assert stub.last.verdict.ok and stub.last.path == "/report/balance"
    sent = stub.last.query if method == "GET" else stub.last.json
    assert sent == {"requestId": "REQ_01", "type": "3" if method == "GET" else 3, "from": "2015-05-20",
                    "to": "2015-05-21"}
    assert (result.from_, result.to) == (date(2015, 5, 20), date(2015, 5, 21))
    assert result.entries[1] == BalanceEntry(date(2015, 5, 20), Decimal("28001.75"), 2)
    assert result.raw == doc(BALANCE_RESPONSE)


# --------------------------------------------------------------------------- errors


def test_400_is_a_bad_request(client, stub):
    stub.will(Canned('{"error": "bad-request", "message": "from is after to"}', status=400))
    with pytest.raises(BadRequest) as caught:
        client.balance(from_="2015-05-21", to="2015-05-20")
    error = caught.value
    assert (error.kind, error.http_status) == ("bad-request", 400)
    assert "from is after to" in error.message and error.body["error"] == "bad-request"


def test_401_carries_the_diagnosis(client, stub):
    body = {"error": "unauthorized", "diagnosis": {"cause": "key-byte-order", "message": "the key is RFC order"}}
    stub.will(Canned(json.dumps(body), status=401))
    with pytest.raises(Unauthorized) as caught:
        client.status()
    error = caught.value
    assert (error.kind, error.http_status, error.diagnosis) == ("unauthorized", 401, body["diagnosis"])
    assert "key-byte-order" in error.message and "the key is RFC order" in error.message


def test_a_wrong_api_key_is_rejected_by_verify_and_diagnosed(server, stub):
    _, url = server
    wrong = signing.Credentials("MyERP", "00000000-4f89-11d3-9a0c-0305e82c3301", CREDS.account,
                                CREDS.integration_code)
    with BankIntegrationClient(url, wrong) as bank, pytest.raises(Unauthorized) as caught:
        bank.status()
    assert caught.value.diagnosis["cause"] == "signature-mismatch"
    assert wrong.api_key not in caught.value.message and CREDS.integration_code not in caught.value.message


def test_503_is_a_server_error_with_an_excerpt(client, stub):
    stub.will(Canned("<html>Bank unreachable</html>", status=503, content_type="text/html"))
    with pytest.raises(ServerError) as caught:
        client.status()
    assert (caught.value.kind, caught.value.http_status) == ("server-error", 503)
    assert "503" in caught.value.message and "Bank unreachable" in caught.value.message


def test_a_slow_answer_is_a_timeout(server, stub):
    _, url = server
    stub.will(Canned(STATUS_RESPONSE, delay=0.4))
    with BankIntegrationClient(url, CREDS, timeout=0.2) as bank, pytest.raises(Timeout) as caught:
        bank.status()
    assert (caught.value.kind, caught.value.http_status) == ("timeout", None)


def test_a_closed_port_is_a_connection_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with BankIntegrationClient(f"http://127.0.0.1:{port}", CREDS, timeout=1) as bank:
        with pytest.raises(ConnectionFailed) as caught:
            bank.status()
    assert caught.value.kind == "connection"


@pytest.mark.parametrize("reply", [b"", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                        b"Transfer-Encoding: chunked\r\n\r\n40\r\n{\"account\""])
def test_a_dropped_connection_is_a_connection_failure(reply):
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_once() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(reply)

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    try:
        with BankIntegrationClient(f"http://127.0.0.1:{listener.getsockname()[1]}", CREDS, timeout=1) as bank:
            with pytest.raises(ConnectionFailed):
                bank.status()
    finally:
        thread.join(timeout=1)
        listener.close()


def test_a_stall_in_the_middle_of_the_body_is_a_timeout():
    listener = socket.create_server(("127.0.0.1", 0))

    def stall() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"account\"")
            time.sleep(0.4)

    thread = threading.Thread(target=stall, daemon=True)
    thread.start()
    try:
        with BankIntegrationClient(f"http://127.0.0.1:{listener.getsockname()[1]}", CREDS, timeout=0.2) as bank:
            with pytest.raises(Timeout):
                bank.status()
    finally:
        thread.join(timeout=1)
        listener.close()


def test_a_non_json_200_is_an_invalid_response(client, stub):
    stub.will(Canned("<html>OK</html>", content_type="text/html"))
    with pytest.raises(InvalidResponse, match="not JSON") as caught:
        client.status()
    assert (caught.value.kind, caught.value.http_status) == ("invalid-response", 200)


def test_a_wrong_request_id_echo_is_an_invalid_response(client, stub):
    stub.will(Canned(STATUS_RESPONSE, echo=False))
    with pytest.raises(InvalidResponse, match="requestId is 'REQ_01', but the request sent 'REQ_X'"):
        client.status(request_id="REQ_X")


@pytest.mark.parametrize(("broken", "field"), [
    (STATUS_RESPONSE.replace('"account": "52470021527478", ', ""), "account is missing"),
    (STATUS_RESPONSE.replace('"status": 4', '"status": "4"'), "answers[1].status must be an integer"),
    (STATUS_RESPONSE.replace('"amount": 1754.1', '"amount": "1754.1"'), "answers[1].info.instructed.amount"),
    (STATUS_RESPONSE.replace("12:45:23+02:00", "12:45:23"), "time must be an ISO 8601 time with offset"),
    (STATEMENT_SIMPLE.replace('"from": "2005-10-15T00:00:00"', '"from": "2005-10-15"'), "from must be"),
    (STATEMENT_FULL.replace('"balance": 25263.0, ', ""), "entries[0].amounts.balance is missing"),
    (BALANCE_RESPONSE.replace('"type": 2', '"type": true'), "entries[1].type must be an integer"),
    ("[]", "the body must be a JSON object"),
])
def test_a_missing_or_mistyped_field_is_named(client, stub, broken, field):
    stub.will(Canned(broken))
    call = {"STATUS": client.status, "STATEMENT": client.statement, "BALANCE": client.balance}
    kind = "BALANCE" if '"type": true' in broken else "STATEMENT" if '"entries"' in broken else "STATUS"
    with pytest.raises(InvalidResponse) as caught:
        call[kind]()
    assert field in caught.value.message


# --------------------------------------------------------------------------- client conventions


def test_default_request_ids_and_clock(server, stub):
    _, url = server
    stub.will(Canned(CANCEL_RESPONSE))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    with BankIntegrationClient(url, CREDS) as bank:
        result = bank.status(method="GET")
    request_id = stub.last.query["requestId"]
    assert re.fullmatch(r"REQ_[0-9a-f]{32}", request_id) and result.request_id == request_id
    auth = signing.parse_authorization(stub.last.headers["Authorization"])
    assert auth.request_id == request_id and auth.scheme == "Basic"
    assert before <= signing.parse_auth_time(auth.time) <= datetime.now(timezone.utc)


def test_secrets_stay_out_of_reprs_and_inputs_are_checked(client):
    assert CREDS.api_key not in repr(client) and CREDS.integration_code not in repr(client)
    with pytest.raises(TypeError):
        client.status("PAY_01")
    with pytest.raises(ValueError):
        client.pay([])
    with pytest.raises(ValueError):
        client.status(["a,b"], method="GET")
    with pytest.raises(ValueError):
        client.statement(method="PUT")
    with pytest.raises(signing.InvalidApiKey):
        BankIntegrationClient("http://127.0.0.1:1", signing.Credentials("MyERP", "not-a-guid", "1", "2"))
