"""Several ``mockbank serve`` processes on one PostgreSQL database serve one consistent bank."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
import requests
from postgres_cluster import PASSWORD
from raw import post, transaction

from mockbank.testing import Emulator

pytestmark = pytest.mark.slow  # worker processes on PostgreSQL (`pytest --all` and CI run them)

THREADS, PAYMENTS_PER_THREAD = 8, 40


class Server:
    """One ``mockbank serve`` subprocess on a free port, its output in a log file."""

    def __init__(self, db: str, folder: Path, name: str):
        self.log = folder / f"{name}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mockbank", "serve", "--db", db, "--port", "0", "--max-clock-skew", "off"],
                cwd=folder, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.bank: Emulator | None = None

    def wait_ready(self) -> Emulator:
        """The emulator handle once the process prints its address; fails with its output if it exits."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for line in self.log.read_text(errors="replace").splitlines():
                if line.startswith("mockbank listening on "):
                    self.bank = Emulator.connect(line.split()[-1])
                    return self.bank
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"mockbank serve did not start:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.bank is not None:
            self.bank.stop()


def start_together(db: str, folder: Path, count: int) -> list[Server]:
    """``count`` processes started at once on ``db`` (an empty database: they race to create and seed it)."""
    servers = [Server(db, folder, f"serve-{index}") for index in range(count)]
    try:
        for server in servers:
            server.wait_ready()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


@pytest.fixture(scope="module")
def servers(postgres_cluster, tmp_path_factory):
    started = start_together(postgres_cluster.new_database(), tmp_path_factory.mktemp("serve"), 2)
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def two_servers(servers):
    return [server.bank for server in servers]


def pay(bank: Emulator, payment_id: str) -> requests.Response:
    body = {"requestId": f"R{payment_id}", "transactions": [transaction(payment_id, day=date.today().isoformat())],
            "options": {"moveToNextBankDate": True}}
    return post(bank, "/payment", body, timeout=30)


def spread(banks: list[Emulator], prefix: str, per_thread: int, send) -> list:
    """THREADS threads, each sending ``per_thread`` requests alternately to every bank; the results in order."""
    def worker(thread: int) -> list:
        return [send(banks[(thread + i) % len(banks)], f"{prefix}{thread}_{i}") for i in range(per_thread)]

    with ThreadPoolExecutor(THREADS) as pool:
        return [result for results in pool.map(worker, range(THREADS)) for result in results]


def test_the_banner_shows_the_database_without_its_password(servers):
    for server in servers:
        banner = server.log.read_text()
        assert "database   postgresql://postgres:***@127.0.0.1:" in banner and PASSWORD not in banner


def test_concurrent_payments_through_both_processes_are_kept_once_each(two_servers):
    def send(bank, payment_id):
        response = pay(bank, payment_id)
        assert response.status_code == 200, response.text
        [answer] = response.json()["answers"]
        return answer["paymentId"], answer["transId"]

    acknowledged = spread(two_servers, "MP", PAYMENTS_PER_THREAD, send)
    assert len(acknowledged) == THREADS * PAYMENTS_PER_THREAD
    for bank in two_servers:
        stored = [(p["paymentId"], p["transId"]) for p in bank.payments() if p["paymentId"].startswith("MP")]
        assert sorted(stored) == sorted(acknowledged)  # none lost, none stored twice
    assert len({trans_id for _, trans_id in acknowledged}) == len(acknowledged)  # no transId handed out twice


def test_a_fault_with_count_1_hits_exactly_one_request_across_both_processes(two_servers):
    first, second = two_servers
    first.inject_fault(path="/payment", status=503, count=1)
    codes = Counter(spread(two_servers, "FT", 5, lambda bank, payment_id: pay(bank, payment_id).status_code))
    assert codes == {200: THREADS * 5 - 1, 503: 1}
    assert second.inject_fault(path="/payment", status=503, count=1)["remaining"] == 1
    assert pay(second, "FT_again").status_code == 503 and pay(first, "FT_after").status_code == 200


def test_a_clock_move_through_one_process_is_seen_by_the_other(two_servers):
    first, second = two_servers
    first.set_clock("2027-03-01T12:00:00", frozen=True)
    assert second.clock()["now"].startswith("2027-03-01T12:00:00")
    second.advance_clock(3600)
    assert first.clock()["now"].startswith("2027-03-01T13:00:00")


def test_killing_a_process_under_load_loses_no_acknowledged_payment(postgres_cluster, tmp_path):
    victim, survivor = start_together(postgres_cluster.new_database(), tmp_path, 2)
    banks = [victim.bank, survivor.bank]
    acknowledged, refused, victim_answered = [], [], threading.Event()

    def send(bank, payment_id):
        try:
            response = pay(bank, payment_id)
        except requests.ConnectionError:  # the killed process: nothing was acknowledged
            refused.append(payment_id)
            return
        if response.status_code == 200:
            acknowledged.append(payment_id)
            if bank is victim.bank and len(acknowledged) >= 20:
                victim_answered.set()

    try:
        with ThreadPoolExecutor(1) as killer:
            def kill_under_load() -> None:
                assert victim_answered.wait(120), "the victim never answered"
                os.kill(victim.process.pid, signal.SIGKILL)

            killed = killer.submit(kill_under_load)
            spread(banks, "KP", PAYMENTS_PER_THREAD, send)
            killed.result()
        assert victim.process.wait(10) == -signal.SIGKILL and refused  # killed while payments were still sent
        stored = Counter(p["paymentId"] for p in survivor.bank.payments())
        assert not [payment_id for payment_id in acknowledged if stored[payment_id] != 1]  # lost or doubled
        assert len(acknowledged) > THREADS * PAYMENTS_PER_THREAD // 2  # the survivor kept serving its half
        assert pay(survivor.bank, "KP_after").status_code == 200  # no lock was left behind
    finally:
        victim.stop()
        survivor.stop()


def test_a_sandbox_made_through_one_process_is_one_bank_through_both(two_servers):
    first, second = two_servers
    with first.sandbox(frozenClock=True, clock="2027-02-02T10:00:00") as mine, first.sandbox() as other:
        credentials = [item.to_json() for item in mine.credentials]
        via_second = Emulator.connect(f"{second.url}/sandboxes/{mine.sandbox_id}", credentials=credentials)
        via_second.inject_fault(path="/payment", status=503, count=1)
        codes = Counter(spread([mine, via_second], "SB", 4, lambda bank, payment_id: pay(bank, payment_id).status_code))
        assert codes == {200: THREADS * 4 - 1, 503: 1}
        assert len(mine.payments()) == len(via_second.payments()) == THREADS * 4 - 1
        assert other.payments() == [] and not [p for p in first.payments() if p["paymentId"].startswith("SB")]
        mine.advance_clock(86400)
        assert via_second.clock()["now"].startswith("2027-02-03T10:00:00")
        assert not other.clock()["now"].startswith("2027-02")
