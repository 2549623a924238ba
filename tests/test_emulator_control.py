"""Faults, the journal, the clock, reset, 401 diagnoses, restart durability and concurrency."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

from conftest import BANK_TODAY
from mockbank.schemas import violations
from mockbank.testing import Emulator
from raw import get, post, signed_headers, transaction
from serving import Remote, start_server, stop_server


def status_body(request_id="REQ_F"):
    return {"requestId": request_id}


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_an_injected_status_hits_the_next_n_matching_requests(emulator, status):
    emulator.inject_fault(path="/status", method="POST", status=status, count=2)
    assert [post(emulator, "/status", status_body()).status_code for _ in range(3)] == [status, status, 200]
    body = post(emulator, "/payment", {"requestId": "R", "transactions": [transaction("P", day=BANK_TODAY)]})
    assert body.status_code == 200  # another path is not hit


def test_a_fault_before_the_bank_loses_nothing_and_one_after_loses_only_the_answer(emulator):
    pay = {"requestId": "R1", "transactions": [transaction("BEFORE", day=BANK_TODAY)]}
    emulator.inject_fault(path="/payment", status=503)
    assert post(emulator, "/payment", pay).status_code == 503
    assert emulator.payments() == []
    emulator.inject_fault(path="/payment", status=503, when="after")
    pay = {"requestId": "R2", "transactions": [transaction("AFTER", day=BANK_TODAY)]}
    assert post(emulator, "/payment", pay).status_code == 503
    assert [p["paymentId"] for p in emulator.payments()] == ["AFTER"]
    retry = post(emulator, "/payment", {**pay, "requestId": "R3"}).json()["answers"][0]
    assert retry["status"] == 32 and retry["errors"][0]["code"] == "DUPL"


def test_a_delay_holds_the_answer(emulator):
    emulator.inject_fault(path="/status", delayMs=400)
    started = time.perf_counter()
    assert post(emulator, "/status", status_body()).status_code == 200
    assert time.perf_counter() - started >= 0.4
    emulator.inject_fault(path="/status", delayMs=800)
    with pytest.raises(requests.Timeout):
        post(emulator, "/status", status_body(), timeout=0.3)
    wait_until_idle(emulator)  # the delayed request is still being answered: it must not reach the next test


def wait_until_idle(emulator, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while emulator.in_flight() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emulator.in_flight() == 0


def test_a_dropped_connection_has_no_answer_at_all(emulator):
    emulator.inject_fault(path="/report/*", drop=True)
    with pytest.raises(requests.ConnectionError):
        get(emulator, "/report/account", {"requestId": "R"})
    assert get(emulator, "/report/account", {"requestId": "R"}).status_code == 200
    assert emulator.journal()[-2]["dropped"] is True


def test_an_account_outage_lasts_until_cleared(emulator):
    account = emulator.credentials[0].account
    emulator.inject_fault(account=account, status=503, count=None)
    assert all(post(emulator, "/status", status_body(), account=0).status_code == 503 for _ in range(5))
    assert post(emulator, "/status", status_body(), account=1).status_code == 200
    assert emulator.http.get(emulator.url + "/_mock/faults").json()[0]["remaining"] is None
    emulator.clear_faults()
    assert post(emulator, "/status", status_body(), account=0).status_code == 200


@pytest.mark.parametrize("spec, pointer", [
    ({"status": 418}, "/status"), ({"path": "/payment"}, ""), ({"status": 503, "count": 0}, "/count"),
    ({"drop": True, "status": 503}, "/drop"), ({"delayMs": -1}, "/delayMs"), ({"status": 503, "colour": 1}, "/colour"),
    ({"status": 503, "when": "later"}, "/when"),
])
def test_a_bad_fault_definition_is_refused_naming_the_field(emulator, spec, pointer):
    response = emulator.http.post(emulator.url + "/_mock/faults", json=spec)
    assert response.status_code == 400
    assert response.json()["details"][0]["pointer"] == pointer


# --------------------------------------------------------------------------- 401 and the journal


def test_a_tampered_request_is_401_with_the_cause_and_journalled(emulator):
    body = {"requestId": "REQ_X", "transactions": [transaction("PAY_X", "100.00", day=BANK_TODAY)]}
    headers = signed_headers(emulator.credentials[0], "REQ_X", body["transactions"])
    body["transactions"][0]["amount"] = "1000.00"
    response = requests.post(emulator.url + "/payment", data=json.dumps(body), headers=headers, timeout=10)
    assert response.status_code == 401 and response.reason == "Invalid Signature"
    diagnosis = response.json()["diagnosis"]
    assert diagnosis["cause"] == "signature-mismatch" and diagnosis["hashId"] == "PAY_X"
    assert "#1000.00#" in diagnosis["expectedPayload"]
    assert emulator.credentials[0].integration_code not in response.text
    entry = emulator.journal()[-1]
    assert entry["status"] == 401 and entry["verdict"]["cause"] == "signature-mismatch"
    assert entry["headers"]["Authorization"] == headers["Authorization"]
    assert entry["body"]["transactions"][0]["amount"] == "1000.00"
    assert emulator.payments() == []


def test_local_time_instead_of_utc_is_a_clock_skew_with_a_hint(emulator):
    local = datetime.now(timezone.utc) + timedelta(hours=2)
    response = get(emulator, "/status", {"requestId": "R"}, time=local)
    assert response.status_code == 401
    diagnosis = response.json()["diagnosis"]
    assert diagnosis["cause"] == "clock-skew" and "local time instead of UTC" in diagnosis["hint"]


def test_a_request_signed_with_the_bank_clock_time_passes(emulator):
    bank_time = datetime.fromisoformat(f"{BANK_TODAY}T10:00:00+00:00")
    assert get(emulator, "/status", {"requestId": "R"}, time=bank_time).status_code == 200


@pytest.mark.parametrize("header, cause", [
    (None, "malformed-header"), ("Basic !!!", "malformed-header"),
    ("Basic " + base64.b64encode(b'{"serviceProvider":"X"}').decode(), "malformed-header"),
])
def test_missing_or_garbage_authorization_is_401_json(emulator, header, cause):
    headers = {"Authorization": header} if header else {}
    response = requests.get(emulator.url + "/status", params={"requestId": "R"}, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json()["diagnosis"]["cause"] == cause


def test_unknown_erp_and_account_are_named(emulator):
    from mockbank import signing

    stranger = signing.Credentials("NoSuchERP", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "12345678901234", "x")
    response = requests.get(emulator.url + "/status", params={"requestId": "R"},
                            headers=signed_headers(stranger, "R"), timeout=10)
    assert response.json()["diagnosis"]["cause"] == "unknown-service-provider"
    known_erp = emulator.credentials[0]
    wrong_account = signing.Credentials(known_erp.service_provider, known_erp.api_key, "34090007716534", "x")
    response = requests.get(emulator.url + "/status", params={"requestId": "R"},
                            headers=signed_headers(wrong_account, "R"), timeout=10)
    assert response.json()["diagnosis"]["cause"] == "unknown-account"  # that account belongs to OtherERP


def test_journal_since_limit_and_clear(emulator):
    for index in range(3):
        post(emulator, "/status", status_body(f"R{index}"))
    entries = emulator.journal()
    assert [e["body"]["requestId"] for e in entries] == ["R0", "R1", "R2"]
    assert all(e["verdict"] == {"ok": True} for e in entries)
    assert [e["body"]["requestId"] for e in emulator.journal(since=entries[0]["id"], limit=1)] == ["R1"]
    emulator.clear_journal()
    assert emulator.journal() == []


def test_clock_set_advance_freeze_and_reset(emulator):
    assert emulator.clock()["today"] == BANK_TODAY and emulator.clock()["frozen"] is True
    assert emulator.advance_clock(86400)["today"] == "2026-11-25"
    assert emulator.set_clock("2027-01-04T09:00:00")["today"] == "2027-01-04"
    unfrozen = emulator.http.post(emulator.url + "/_mock/clock", json={"frozen": False}).json()
    assert unfrozen["frozen"] is False
    bad = emulator.http.post(emulator.url + "/_mock/clock", json={"now": "tomorrow"})
    assert bad.status_code == 400 and bad.json()["details"][0]["pointer"] == "/now"
    emulator.reset()
    assert emulator.clock()["now"].startswith(f"{BANK_TODAY}T10:00:00")


def test_reset_forgets_payments_journal_and_faults(emulator):
    post(emulator, "/payment", {"requestId": "R", "transactions": [transaction("P", day=BANK_TODAY)]})
    emulator.inject_fault(path="/nothing", status=500)
    emulator.reset()
    assert emulator.payments() == [] and emulator.journal() == []
    assert emulator.http.get(emulator.url + "/_mock/faults").json() == []


# --------------------------------------------------------------------------- concurrency


def test_concurrent_payments_are_neither_lost_nor_duplicated(emulator):
    def send(index):
        body = {"requestId": f"REQ_{index}", "transactions": [
            transaction(f"PAY_{index}_{n}", day=BANK_TODAY) for n in range(3)]}
        return post(emulator, "/payment", body).json()["answers"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(40)))
    trans_ids = [answers[0]["transId"] for answers in results]
    assert len(set(trans_ids)) == 40
    assert all(len({a["transId"] for a in answers}) == 1 for answers in results)
    stored = emulator.payments()
    assert sorted(p["paymentId"] for p in stored) == sorted(f"PAY_{i}_{n}" for i in range(40) for n in range(3))


def test_concurrent_clock_and_progression_changes_all_take_effect(emulator):
    start = datetime.fromisoformat(emulator.clock()["now"].replace("Z", "+00:00"))
    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(answer["frozen"] for answer in pool.map(lambda _: emulator.advance_clock(60), range(64)))
    moved = datetime.fromisoformat(emulator.clock()["now"].replace("Z", "+00:00")) - start
    assert moved == timedelta(minutes=64)

    url = f"{emulator.url}/_mock/progression"
    for step in range(2, 22):
        emulator.set_progression("poll", step_seconds=1)
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda body: requests.post(url, json=body, timeout=10),
                                    [{"stepSeconds": step}, {"mode": "manual"}]))
        assert [answer.status_code for answer in answers] == [200, 200]
        settings = emulator.http.get(url, timeout=10).json()
        assert (settings["default"], settings["stepSeconds"]) == ("manual", step)


@pytest.mark.parametrize("method, path, body, where", [
    ("GET", "/sandboxes/%00/_mock/health", None, "the path"),
    ("DELETE", "/_mock/sandboxes/%00", None, "the path"),
    ("GET", "/_mock/payments?account=%00", None, "'account'"),
    ("POST", "/_mock/progress", {"paymentId": "\u0000"}, "/paymentId"),
    ("POST", "/_mock/sandboxes", {"fixtures": {"erps": [{"serviceProvider": "E\u0000", "apiKey": "x"}]}},
     "/fixtures/erps/0/serviceProvider"),
])
def test_a_nul_character_is_refused_alike_on_every_engine(emulator, method, path, body, where):
    answer = requests.request(method, emulator.url + path, json=body, timeout=10)
    assert answer.status_code == 400, answer.text
    assert "NUL character" in answer.json()["message"] and where in answer.json()["message"]


def test_a_signed_payment_with_a_nul_character_is_refused_whole(emulator):
    answer = post(emulator, "/payment", {"requestId": "R-NUL", "transactions": [transaction("P\u0000X", day=BANK_TODAY)]})
    assert answer.status_code == 400 and "/transactions/0/paymentId" in answer.json()["message"]
    assert emulator.payments() == []


# --------------------------------------------------------------------------- the real server


def test_a_restart_with_the_same_database_loses_nothing(tmp_path):
    process, url = start_server(tmp_path)
    try:
        body = {"requestId": "R", "transactions": [transaction("KEEP", day=BANK_TODAY)]}
        assert post(Remote(url), "/payment", body).status_code == 200
        post(Remote(url), "/status", {"requestId": "S", "paymentIds": ["KEEP"]})
    finally:
        stop_server(process)
    process, url = start_server(tmp_path)
    try:
        answer = post(Remote(url), "/status", {"requestId": "S2", "paymentIds": ["KEEP"]}).json()["answers"][0]
        assert answer["status"] == 4  # it was 2, and this read moved it on
        journal = requests.get(url + "/_mock/requests", timeout=10).json()
        assert [e["path"] for e in journal] == ["/payment", "/status", "/status"]
    finally:
        stop_server(process)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers needs fork")
def test_several_worker_processes_serve_one_bank(tmp_path):
    process, url = start_server(tmp_path, "--workers", "2", "--threads", "4")
    try:
        def send(index):
            body = {"requestId": f"REQ_{index}", "transactions": [transaction(f"W{index}", day=BANK_TODAY)]}
            return post(Remote(url), "/payment", body).json()["answers"][0]["transId"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            trans_ids = list(pool.map(send, range(60)))
        assert len(set(trans_ids)) == 60
        listed = requests.get(url + "/_mock/payments", timeout=10).json()
        assert sorted(p["paymentId"] for p in listed) == sorted(f"W{i}" for i in range(60))
        requests.post(url + "/_mock/faults", json={"path": "/status", "status": 503, "count": 1}, timeout=10)
        codes = [post(Remote(url), "/status", {"requestId": f"S{i}"}).status_code for i in range(4)]
        assert sorted(codes) == [200, 200, 200, 503]  # one fault, shared by the workers
    finally:
        stop_server(process)


def test_waitress_drops_the_connection_too(tmp_path):
    process, url = start_server(tmp_path)
    try:
        requests.post(url + "/_mock/faults", json={"path": "/status", "drop": True}, timeout=10)
        with pytest.raises(requests.ConnectionError):
            post(Remote(url), "/status", {"requestId": "S"})
        assert post(Remote(url), "/status", {"requestId": "S"}).status_code == 200
    finally:
        stop_server(process)


def _raw_exchange(url: str, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as they are (no client would send them) and read the whole answer."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return status_line, headers, body


def test_what_waitress_refuses_itself_is_answered_json_too(tmp_path):
    process, url = start_server(tmp_path)
    try:
        # (headers over --max-header-bytes: 431 JSON, tests/test_serve_limits.py)
        cases = [(b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request", "bad-request"),
                 (b"POST /payment HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n", "400 Bad Request",
                  "bad-request")]
        for request, status, code in cases:
            status_line, headers, body = _raw_exchange(url, request)
            assert status_line.split(" ", 1)[1] == status, (request[:40], status_line)
            assert headers["Content-Type"].startswith("application/json")
            answer = json.loads(body)
            assert answer["error"] == code and answer["message"], answer
            assert not violations("error", answer)
    finally:
        stop_server(process)


@pytest.mark.parametrize("how", ["unknown-fields", "empty-answers", "null-answers", "integer-amounts"])
def test_reshaped_answers_test_a_clients_robustness(emulator, how):
    post(emulator, "/payment", {"requestId": "R", "transactions": [transaction("P", "100.00", day=BANK_TODAY)]})
    emulator.inject_fault(path="/status", reshape=how)
    body = post(emulator, "/status", {"requestId": "S"}).json()
    plain = post(emulator, "/status", {"requestId": "S"}).json()
    assert "futureField" not in plain and plain["answers"][0]["info"]["instructed"]["amount"] == 100.0
    if how == "unknown-fields":
        assert body["futureField"] and body["answers"][0]["futureObject"] == {"version": 2, "flags": []}
    elif how == "integer-amounts":
        amount = body["answers"][0]["info"]["instructed"]["amount"]
        assert amount == 100 and isinstance(amount, int)
    else:
        assert body["answers"] == ([] if how == "empty-answers" else None)
    assert emulator.journal()[-2]["response"] == body  # the journal holds what the client received


def test_strict_mode_refuses_unknown_fields_naming_them():
    with Emulator(clock=f"{BANK_TODAY}T10:00:00", frozen_clock=True, reject_unknown_fields=True) as strict:
        typo = transaction("TYPO", day=BANK_TODAY, colour="red")
        body = {"requestId": "R", "transactions": [transaction("OK", day=BANK_TODAY), typo],
                "options": {"moveToNextBankDate": True}}
        answers = post(strict, "/payment", body).json()["answers"]
        assert [a["status"] for a in answers] == [1, 32]
        assert "colour" in answers[1]["errors"][0]["text"]
        body["options"] = {"moveToNextBankdate": True}
        refused = post(strict, "/payment", body)
        assert refused.status_code == 400
        assert refused.json()["details"] == [{"pointer": "/options/moveToNextBankdate", "reason": "is not a known field (did you mean 'moveToNextBankDate'?)"}]
        assert get(strict, "/status", {"requestId": "R", "paymentIdz": "x"}).status_code == 400
        assert get(strict, "/status", {"requestId": "R", "paymentIds": "x"}).status_code == 200


def test_a_misspelt_progress_field_is_refused_and_moves_nothing(emulator):
    emulator.client().pay([{"paymentId": payment_id, "paymentDate": BANK_TODAY, "amount": Decimal("1.00"),
                            "currency": "DKK", "account": "30000000001234", "creditor": {"name": "X"}}
                           for payment_id in ("PAY_A", "PAY_B")])
    before = {p["paymentId"]: p["status"] for p in emulator.http.get(emulator.url + "/_mock/payments").json()}
    refused = emulator.http.post(emulator.url + "/_mock/progress", json={"paymentID": "PAY_A"})
    assert refused.status_code == 400
    assert refused.json()["details"] == [{"pointer": "/paymentID",
                                          "reason": "is not a known field (did you mean 'paymentId'?)"}]
    after = {p["paymentId"]: p["status"] for p in emulator.http.get(emulator.url + "/_mock/payments").json()}
    assert after == before


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},  # a file or a sandboxed frame
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
    {"Sec-Fetch-Site": "same-site"},  # another port of this host is another web app
])
def test_a_page_of_another_site_cannot_change_the_control_plane(emulator, headers):
    fault = {"path": "*", "status": 503}
    for base in (emulator.url, f"{emulator.url}/sandboxes/nope"):
        refused = requests.post(f"{base}/_mock/faults", data=json.dumps(fault), timeout=10,
                                headers={"Content-Type": "text/plain", **headers})
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert requests.post(f"{emulator.url}/_mock/reset", headers=headers, timeout=10).status_code == 403
    assert emulator.http.get(emulator.url + "/_mock/faults").json() == []
    assert requests.get(f"{emulator.url}/_mock/faults", headers=headers, timeout=10).status_code == 200


def test_tools_and_the_dashboard_itself_still_change_the_control_plane(emulator):
    host = emulator.url.split("://")[1]
    for headers in ({}, {"Origin": f"http://{host}"}, {"Sec-Fetch-Site": "same-origin", "Origin": f"http://{host}"},
                    {"Sec-Fetch-Site": "none"}):
        added = requests.post(f"{emulator.url}/_mock/faults", json={"path": "/status", "status": 503},
                              headers=headers, timeout=10)
        assert added.status_code == 201, (headers, added.text)
