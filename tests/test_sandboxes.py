"""Sandboxes: isolated banks on one server, below /sandboxes/<id>, made, listed, used and deleted over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
import requests

from mockbank.client import PaymentStatus
from mockbank.errors import SandboxGone
from mockbank.store.schema import SANDBOX_TABLES
from mockbank.testing import Emulator
from conftest import BANK_NOW, BANK_TODAY
from raw import get, post, transaction

pytest_plugins = ["pytester"]


def make(emulator, **body) -> dict:
    response = requests.post(f"{emulator.url}/_mock/sandboxes", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def sandbox_ids(emulator) -> set[str]:
    return {item["id"] for item in requests.get(f"{emulator.url}/_mock/sandboxes", timeout=10).json()["sandboxes"]}


def pay(bank, payment_id: str, account: int = 0) -> requests.Response:
    body = {"requestId": f"REQ-{payment_id}", "transactions": [transaction(payment_id, day=BANK_TODAY)]}
    return post(bank, "/payment", body, account=account)


def test_a_sandbox_is_made_with_its_own_credentials_and_url(emulator):
    made = make(emulator)
    assert set(made) >= {"id", "baseUrl", "credentials", "expiresAt", "createdAt"}
    assert made["baseUrl"] == f"{emulator.url}/sandboxes/{made['id']}"
    demo = {(c.account, c.api_key, c.integration_code) for c in emulator.credentials}
    assert [c["account"] for c in made["credentials"]] == [c.account for c in emulator.credentials]
    assert not demo & {(c["account"], c["apiKey"], c["integrationCode"]) for c in made["credentials"]}
    listed = requests.get(f"{emulator.url}/_mock/sandboxes", timeout=10).json()["sandboxes"]
    assert made["id"] in [item["id"] for item in listed]
    assert requests.get(f"{made['baseUrl']}/_mock/health", timeout=10).json()["sandbox"] == made["id"]


def test_payments_clock_faults_and_journal_stay_in_their_sandbox(emulator):
    with emulator.sandbox(clock=BANK_NOW, frozenClock=True) as first, \
            emulator.sandbox(clock=BANK_NOW, frozenClock=True) as second:
        assert pay(first, "SBX-1").status_code == 200
        assert [p["paymentId"] for p in first.payments()] == ["SBX-1"]
        assert second.payments() == [] and emulator.payments() == []
        status = get(second, "/status", {"requestId": "R-2", "paymentIds": "SBX-1"}).json()
        assert status["answers"][0]["status"] == PaymentStatus.NOT_FOUND

        first.advance_clock(86400)
        assert first.clock()["today"] != BANK_TODAY
        assert second.clock()["today"] == BANK_TODAY and emulator.clock()["today"] == BANK_TODAY

        first.inject_fault(path="/payment", status=503, count=None)
        assert pay(first, "SBX-2").status_code == 503
        assert pay(second, "SBX-3").status_code == 200 and pay(emulator, "ROOT-1").status_code == 200

        assert [entry["path"] for entry in second.journal()] == ["/status", "/payment"]
        first.reset()
        assert first.payments() == [] and first.journal() == [] and first.clock()["today"] == BANK_TODAY
        assert [p["paymentId"] for p in second.payments()] == ["SBX-3"]
        assert [p["paymentId"] for p in emulator.payments()] == ["ROOT-1"]


def test_a_sandbox_signature_needs_its_own_credentials(emulator):
    with emulator.sandbox() as sandbox:
        by_root_credentials = post(emulator, "/status", {"requestId": "R-1"})
        assert by_root_credentials.status_code == 200
        wrong = requests.post(f"{sandbox.url}/status", data=by_root_credentials.request.body,
                              headers=dict(by_root_credentials.request.headers), timeout=10)
        assert wrong.status_code == 401
        assert post(sandbox, "/status", {"requestId": "R-2"}).status_code == 200


def test_inline_fixtures_make_the_sandbox_bank(emulator):
    fixtures = {"erps": [{"serviceProvider": "Ærø Data", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}],
                "accounts": [{"account": "52470021527478", "integrationCode": "TestKode123",
                              "serviceProvider": "Ærø Data", "currency": "EUR", "openingBalance": 1000,
                              "historyDays": 0}]}
    made = make(emulator, fixtures=fixtures, clock=BANK_NOW, frozenClock=True, progression="manual")
    assert made["credentials"] == [{"serviceProvider": "Ærø Data", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
                                    "account": "52470021527478", "integrationCode": "TestKode123"}]
    progression = requests.get(f"{made['baseUrl']}/_mock/progression", timeout=10).json()
    assert progression["default"] == "manual"
    handle = Emulator.connect(made["baseUrl"], credentials=made["credentials"])
    balance = get(handle, "/report/balance", {"requestId": "R-1", "type": "1"}).json()
    assert balance["currency"] == "EUR" and balance["entries"][0]["amount"] == 1000


@pytest.mark.parametrize("body, pointer", [
    ({"ttlSeconds": 0}, "/ttlSeconds"),
    ({"ttlSeconds": "600"}, "/ttlSeconds"),
    ({"progression": "fast"}, "/progression"),
    ({"frozenClock": "yes"}, "/frozenClock"),
    ({"clock": "yesterday"}, "/clock"),
    ({"fixtures": {"erps": []}}, "/fixtures/accounts"),
    ({"fixtures": {"erps": [{"serviceProvider": "A", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}],
                   "accounts": [{"account": "52470021527478", "integrationCode": "X", "serviceProvider": "B",
                                 "currency": "DKK"}]}}, "/fixtures"),
    ({"fixtures": {"erps": [{"serviceProvider": "E" * 201, "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}],
                   "accounts": [{"account": "52470021527478", "integrationCode": "X", "serviceProvider": "E" * 201,
                                 "currency": "DKK"}]}}, "/fixtures/accounts/0/serviceProvider"),
    ({"fixtures": {"erps": [{"serviceProvider": "A", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}],
                   "accounts": [{"account": "52470021527478", "integrationCode": "X", "serviceProvider": "A",
                                 "currency": "DKK", "entries": [{"booking": "0000-01-01", "amount": 1}]}]}},
     "/fixtures/accounts/0/entries/0/booking"),
    ({"colour": "blue"}, ""),
])
def test_bad_sandbox_options_are_refused_naming_the_field(emulator, body, pointer):
    response = requests.post(f"{emulator.url}/_mock/sandboxes", json=body, timeout=10)
    assert response.status_code == 400
    detail = response.json()["details"][0]
    assert detail["pointer"] == pointer
    assert pointer or "'colour'" in detail["reason"]


def test_unknown_deleted_and_expired_sandboxes_answer_404_naming_them(emulator):
    for path in ("/sandboxes/nosuch/status", "/sandboxes/nosuch/_mock/health"):
        response = requests.get(emulator.url + path, timeout=10)
        assert response.status_code == 404 and "nosuch" in response.json()["message"]
    unicode = requests.get(emulator.url + "/sandboxes/%C3%A6bl%C3%B8d/status", timeout=10)
    assert unicode.status_code == 404 and "'æblød'" in unicode.json()["message"]
    made = make(emulator)
    assert requests.delete(f"{emulator.url}/_mock/sandboxes/{made['id']}", timeout=10).status_code == 204
    assert requests.get(f"{made['baseUrl']}/_mock/health", timeout=10).status_code == 404
    assert requests.delete(f"{emulator.url}/_mock/sandboxes/{made['id']}", timeout=10).status_code == 404

    short = make(emulator, ttlSeconds=1)
    time.sleep(1.7)  # its time to live, and the half of it within which a use may go unwritten
    assert requests.get(f"{short['baseUrl']}/_mock/health", timeout=10).status_code == 404
    listed = requests.get(f"{emulator.url}/_mock/sandboxes", timeout=10).json()["sandboxes"]
    assert short["id"] not in [item["id"] for item in listed]


def test_a_use_that_was_not_written_still_keeps_a_sandbox_alive_for_its_time_to_live(emulator):
    made = make(emulator, ttlSeconds=2)  # a use within a second of the last written one is not written
    started = time.monotonic()
    time.sleep(0.6)
    assert requests.get(f"{made['baseUrl']}/_mock/health", timeout=10).status_code == 200
    time.sleep(max(0.0, 2.3 - (time.monotonic() - started)))  # past 2 s after the written use, 1.7 s after the last
    assert requests.get(f"{made['baseUrl']}/_mock/health", timeout=10).status_code == 200
    requests.delete(f"{emulator.url}/_mock/sandboxes/{made['id']}", timeout=10)  # not left to expire in later tests


def _rows_of(emulator, sandbox_id: str) -> dict[str, int]:
    database = emulator.bank.store.database
    counts = {table: database.fetchone(f"SELECT COUNT(*) AS n FROM {table} WHERE sandbox = ?", (sandbox_id,))["n"]
              for table in SANDBOX_TABLES}
    counts["sandboxes"] = database.fetchone("SELECT COUNT(*) AS n FROM sandboxes WHERE id = ?", (sandbox_id,))["n"]
    return {table: count for table, count in counts.items() if count}


def test_a_sandbox_deleted_while_its_request_waits_answers_404_and_keeps_nothing_of_it(emulator):
    sandbox = emulator.sandbox()
    sandbox.inject_fault(path="/payment", delayMs=1500)
    answers = []
    waiting = threading.Thread(target=lambda: answers.append(pay(sandbox, "GONE-1")))
    waiting.start()
    time.sleep(0.5)
    assert requests.delete(f"{emulator.url}/_mock/sandboxes/{sandbox.sandbox_id}", timeout=10).status_code == 204
    waiting.join()
    assert answers[0].status_code == 404, answers[0].text
    assert sandbox.sandbox_id in answers[0].json()["message"]
    assert _rows_of(emulator, sandbox.sandbox_id) == {}


def test_a_request_does_not_write_to_its_sandbox_once_another_deleted_it(emulator):
    made = make(emulator)
    store = emulator.bank.store.sandbox(made["id"])
    store.begin_request()
    emulator.bank.store.sandboxes.remove(made["id"])  # as another process would, while the request runs
    with pytest.raises(SandboxGone):
        store.journal_append({"method": "GET", "path": "/status"})
    store.end_request()
    assert _rows_of(emulator, made["id"]) == {}


def test_sandboxes_are_managed_at_the_root_only(emulator):
    with emulator.sandbox() as sandbox:
        response = requests.post(f"{sandbox.url}/_mock/sandboxes", json={}, timeout=10)
        assert response.status_code == 404 and "root" in response.json()["message"]


def test_the_journal_keeps_at_most_journal_max_entries_and_counts_the_dropped():
    with Emulator(clock=BANK_NOW, frozen_clock=True, journal_max=20) as small:
        for number in range(45):
            assert post(small, "/status", {"requestId": f"R-{number}"}).status_code == 200
        journal = small.journal()
        assert len(journal) <= 20 and journal[-1]["body"]["requestId"] == "R-44"
        dropped = requests.get(f"{small.url}/_mock/health", timeout=10).json()["journalDropped"]
        assert dropped == 45 - len(journal)


@pytest.mark.slow  # pytest in a subprocess
def test_the_pytest_fixture_gives_each_test_a_sandbox_of_a_shared_emulator(pytester, emulator):
    pytester.makepyfile("""
        from datetime import date

        import pytest

        @pytest.mark.parametrize("number", range(8))
        def test_pays_in_its_own_bank(mockbank, number):
            assert "/sandboxes/" in mockbank.url
            client = mockbank.client()
            assert client.status().answers == ()  # no other test's payment shows here
            day = date.fromisoformat(mockbank.clock()["today"])
            client.pay([{"paymentId": f"P{number}", "paymentDate": day.isoformat(), "amount": 10, "currency": "DKK",
                         "account": "80790000820049", "creditor": {"name": "A"}}],
                       options={"moveToNextBankDate": True})
            assert [answer.payment_id for answer in client.status().answers] == [f"P{number}"]
            mockbank.advance_clock(86400)
    """)
    before = emulator.clock()["today"], sandbox_ids(emulator)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "4", "--mockbank-url",
                                  emulator.url).assert_outcomes(passed=8)
    assert (emulator.clock()["today"], sandbox_ids(emulator)) == before


def test_certify_url_runs_in_a_sandbox_and_leaves_the_emulator_untouched(emulator, tmp_path):
    assert pay(emulator, "DEVELOPERS-OWN").status_code == 200
    clock_before, payments_before, sandboxes_before = emulator.clock(), emulator.payments(), sandbox_ids(emulator)
    result = subprocess.run([sys.executable, "-m", "mockbank", "certify", "--url", emulator.url, "--adapter",
                             f'"{sys.executable}" -m mockbank.adapters.reference', "--plans", "payments",
                             "--examples", "2", "--report", str(tmp_path)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert "/sandboxes/" in report["url"]
    assert emulator.clock() == clock_before and emulator.payments() == payments_before
    assert sandbox_ids(emulator) == sandboxes_before


def test_a_service_provider_of_200_characters_makes_a_sandbox_on_either_engine(emulator):
    """PostgreSQL indexes it (a btree entry holds about 2.7 kB): the fixture schema caps it, on SQLite too."""
    erp = {"serviceProvider": "Æ" * 200, "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}
    fixtures = {"erps": [erp], "accounts": [{"account": "52470021527478", "integrationCode": "X",
                                             "serviceProvider": erp["serviceProvider"], "currency": "DKK"}]}
    response = requests.post(f"{emulator.url}/_mock/sandboxes", json={"fixtures": fixtures}, timeout=10)
    assert response.status_code == 201


def test_inline_fixtures_listing_an_erp_twice_are_refused_and_leave_no_sandbox(emulator):
    erp = {"serviceProvider": "A", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}
    fixtures = {"erps": [erp, erp], "accounts": [{"account": "52470021527478", "integrationCode": "X",
                                                  "serviceProvider": "A", "currency": "DKK"}]}
    before = sandbox_ids(emulator)
    response = requests.post(f"{emulator.url}/_mock/sandboxes", json={"fixtures": fixtures}, timeout=10)
    assert response.status_code == 400 and "'A' is listed twice" in response.json()["message"]
    assert sandbox_ids(emulator) == before


@pytest.mark.slow  # waits out a time to live
def test_review_regressions_short_ttl_rates_and_handles(emulator):
    short = make(emulator, ttlSeconds=2)  # used every second, it stays alive past its time to live
    for _ in range(4):
        assert requests.get(f"{short['baseUrl']}/_mock/health", timeout=10).status_code == 200
        time.sleep(0.8)
    requests.delete(f"{emulator.url}/_mock/sandboxes/{short['id']}", timeout=10)  # not left to expire in later tests
    jpy = {"erps": [{"serviceProvider": "A", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}],
           "accounts": [{"account": "52470021527478", "integrationCode": "X", "serviceProvider": "A",
                         "currency": "JPY"}]}
    refused = requests.post(f"{emulator.url}/_mock/sandboxes", json={"fixtures": jpy}, timeout=10)
    assert refused.status_code == 400 and "'JPY'" in refused.json()["message"]
    for clock in ("9999-12-31T23:59:59", "0001-01-01T00:00:00"):
        refused = requests.post(f"{emulator.url}/_mock/sandboxes", json={"clock": clock}, timeout=10)
        assert refused.status_code == 400 and refused.json()["details"][0]["pointer"] == "/clock"
    with emulator.sandbox() as first:
        with first.sandbox() as second:  # made at the server's root, not inside the first
            assert second.sandbox_id != first.sandbox_id
        requests.delete(f"{emulator.url}/_mock/sandboxes/{first.sandbox_id}", timeout=10)
    # leaving the block deletes a sandbox that is gone already: no error
