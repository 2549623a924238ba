"""Several ``mockbank serve`` processes on one SQLite file, each reaching it on its own port.

Each process keeps the configuration (clock, progression, ERPs, accounts, faults, sandboxes) in memory
between requests; a change made through one process must be seen by the other at its very next request.
A request's changes and its journal entry are committed together, in the order the requests were served.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests

from conftest import BANK_TODAY
from mockbank import fixtures
from mockbank.clock import local_iso
from raw import post, transaction

pytestmark = pytest.mark.slow  # worker processes writing one database (`pytest --all` and CI run them)


ACCOUNT = fixtures.load().credentials()[0].account  # the account raw.post signs for


class Server:
    """One ``mockbank serve`` process; enough of an Emulator handle for ``raw.post``."""

    def __init__(self, db, *args: str):
        self.process = subprocess.Popen([sys.executable, "-m", "mockbank", "serve", "--port", "0", "--db", str(db),
                                         "--progression", "manual", *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=db.parent)
        self.url = None
        for line in self.process.stdout:
            if line.startswith("mockbank listening on "):
                self.url = line.split()[-1]
                break
        if self.url is None:
            raise AssertionError(f"the server did not start: {self.process.stderr.read()}")
        self.credentials = fixtures.load().credentials()

    def control(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.url + path, timeout=10, **kwargs)

    def status(self, payment_id: str) -> int:
        answer = post(self, "/status", {"requestId": "S", "paymentIds": [payment_id]})
        assert answer.status_code == 200, answer.text
        return answer.json()["answers"][0]["status"]

    def stop(self, how: int = signal.SIGINT) -> None:
        self.process.send_signal(how)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def two(tmp_path):
    """Two processes serving one database file (the first seeds it)."""
    first = Server(tmp_path / "bank.db", "--clock", f"{BANK_TODAY}T10:00:00", "--frozen-clock")
    second = Server(tmp_path / "bank.db")
    yield first, second
    for server in (first, second):
        if server.process.poll() is None:
            server.stop()


def pay(server: Server, payment_id: str) -> dict:
    answer = post(server, "/payment", {"requestId": f"R-{payment_id}",
                                       "transactions": [transaction(payment_id, day=BANK_TODAY)]})
    assert answer.status_code == 200, answer.text
    return answer.json()["answers"][0]


def test_a_configuration_change_through_one_process_is_seen_by_the_other_at_once(two):
    first, second = two
    pay(first, "P1")
    for server in (first, second):  # both have read (and kept) the configuration
        assert server.status("P1") == 1

    assert first.control("POST", "/_mock/clock", json={"now": f"{BANK_TODAY}T15:30:00Z"}).ok
    assert second.control("GET", "/_mock/clock").json()["now"] == f"{BANK_TODAY}T15:30:00Z"
    answered = post(second, "/status", {"requestId": "T"}).json()["time"]
    assert answered == local_iso(datetime.fromisoformat(f"{BANK_TODAY}T15:30:00+00:00"))  # the API's clock too

    assert first.control("POST", "/_mock/progression", json={"mode": "poll"}).ok
    assert second.status("P1") == 2  # the other process reads it in poll mode: one step
    assert first.control("POST", "/_mock/progression", json={"mode": "manual", "account": ACCOUNT}).ok
    assert second.status("P1") == 2

    assert first.control("POST", "/_mock/faults", json={"path": "/status", "status": 503, "count": 2}).ok
    assert post(second, "/status", {"requestId": "F1"}).status_code == 503
    assert post(first, "/status", {"requestId": "F2"}).status_code == 503  # the last hit, used up through first
    assert post(second, "/status", {"requestId": "F3"}).status_code == 200

    assert first.control("POST", "/_mock/reset").ok  # a reset forgets P1 in both
    assert post(second, "/status", {"requestId": "S", "paymentIds": ["P1"]}).json()["answers"][0]["status"] == 64


def test_a_sandbox_made_through_one_process_works_through_the_other_until_deleted(two):
    first, second = two
    made = first.control("POST", "/_mock/sandboxes", json={}).json()
    path = f"/sandboxes/{made['id']}"
    assert second.control("GET", path + "/_mock/health").json()["sandbox"] == made["id"]
    assert second.control("GET", path + "/_mock/clock").ok  # read, and kept, by the second process
    assert first.control("POST", path + "/_mock/clock", json={"frozen": True, "now": "2030-01-02T03:04:05Z"}).ok
    assert second.control("GET", path + "/_mock/clock").json()["now"] == "2030-01-02T03:04:05Z"
    assert second.control("GET", "/_mock/clock").json()["now"] != "2030-01-02T03:04:05Z"  # the root bank's own

    assert first.control("DELETE", f"/_mock/sandboxes/{made['id']}").status_code == 204
    gone = second.control("GET", path + "/_mock/health")
    assert gone.status_code == 404 and made["id"] in gone.json()["message"]


def test_the_journal_lists_requests_in_the_order_their_payments_were_made(two):
    first, second = two

    def send(index: int) -> str:
        return pay((first, second)[index % 2], f"J{index}")["transId"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        trans_ids = list(pool.map(send, range(40)))
    journal = first.control("GET", "/_mock/requests").json()
    journaled = [entry["response"]["answers"][0]["transId"] for entry in journal if entry["path"] == "/payment"]
    assert sorted(journaled) == sorted(trans_ids)
    assert journaled == sorted(journaled, key=int)  # transIds are handed out in commit order


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_a_killed_process_loses_no_acknowledged_payment_and_no_journal_entry(tmp_path):
    server = Server(tmp_path / "bank.db", "--clock", f"{BANK_TODAY}T10:00:00")
    acknowledged = [pay(server, f"K{index}")["paymentId"] for index in range(20)]
    os.kill(server.process.pid, signal.SIGKILL)
    server.stop()
    again = Server(tmp_path / "bank.db")
    try:
        listed = again.control("GET", "/_mock/payments").json()
        assert sorted(p["paymentId"] for p in listed) == sorted(acknowledged)
        journal = again.control("GET", "/_mock/requests").json()
        assert [entry["body"]["transactions"][0]["paymentId"] for entry in journal] == acknowledged
    finally:
        again.stop()
