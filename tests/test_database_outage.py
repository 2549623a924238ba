"""A database that stops serving during a request is a 503 saying so, not a 500 calling it a bug in mockbank."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
from postgres_cluster import PASSWORD

from mockbank.store import open_store
from mockbank.testing import Emulator

from raw import post, transaction
from serving import wait_until

NOW = "2026-11-24T10:00:00"  # a Tuesday
TODAY = NOW[:10]


def _cut_every_connection(url: str) -> None:
    """What a PostgreSQL restart does to mockbank's pooled connections."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def _assert_storage_unavailable(answer: requests.Response, url: str) -> str:
    assert answer.status_code == 503 and answer.reason == "Service Unavailable"
    assert answer.headers["Retry-After"] == "1"
    error = answer.json()
    assert error["error"] == "storage-unavailable" and "PostgreSQL: " in error["message"]
    assert "send it again" in error["message"]
    assert PASSWORD not in error["message"] and url.rpartition("@")[2] not in error["message"]  # nor where it is
    return error["message"]


def test_a_lost_connection_answers_503_and_the_payment_can_be_sent_again(postgres_url):
    from mockbank.store.postgres import DEFAULT_POOL_SIZE

    with Emulator(db=postgres_url, clock=NOW, frozen_clock=True) as emulator:
        body = {"requestId": "OUT1", "transactions": [transaction("P-OUTAGE", day=TODAY)]}
        _cut_every_connection(postgres_url)
        answers = [post(emulator, "/payment", body) for _ in range(DEFAULT_POOL_SIZE + 1)]
        refused = [answer for answer in answers if answer.status_code != 200]
        assert refused and answers[-1].status_code == 200  # each cut connection fails once, then is replaced
        for answer in refused:
            assert "the request was not completed" in _assert_storage_unavailable(answer, postgres_url)
        accepted = answers[len(refused)].json()["answers"]
        assert [(a["paymentId"], a["status"]) for a in accepted] == [("P-OUTAGE", 1)]  # nothing half-stored before


def test_a_connection_lost_after_the_work_was_kept_says_so_and_the_resend_is_a_duplicate(postgres_url):
    """An ``after`` delay commits the bank's work first; the journal entry after it finds the connection cut."""
    with Emulator(db=postgres_url, clock=NOW, frozen_clock=True) as emulator:
        emulator.inject_fault(path="/payment", delayMs=3000, when="after")
        body = {"requestId": "OUT2", "transactions": [transaction("P-KEPT", day=TODAY)]}
        with ThreadPoolExecutor(max_workers=1) as pool:
            delayed = pool.submit(post, emulator, "/payment", body)
            wait_until(lambda: [p["paymentId"] for p in emulator.payments()] == ["P-KEPT"],
                       "the payment, kept before its delay")
            _cut_every_connection(postgres_url)
            message = _assert_storage_unavailable(delayed.result(timeout=60), postgres_url)
        assert "may or may not have been kept" in message
        again = post(emulator, "/payment", body)
        while again.status_code == 503:  # other cut pooled connections, once each
            again = post(emulator, "/payment", body)
        assert [(a["paymentId"], a["status"]) for a in again.json()["answers"]] == [("P-KEPT", 32)]


@pytest.mark.parametrize("message, outage", [
    ("database is locked", True),
    ("attempt to write a readonly database", True),
    ("disk I/O error", True),
    ("database or disk is full", True),
    ("unable to open database file", True),
    ("database table is locked", False),  # one connection per thread: that would be mockbank's own mistake
    ('near "SELEC": syntax error', False),
    ("no such table: payments", False),
])
def test_sqlite_failures_of_the_database_are_told_from_mistakes_in_statements(tmp_path, message, outage):
    store = open_store(str(tmp_path / "bank.db"))
    try:
        described = store.outage(sqlite3.OperationalError(message))
        assert described == (f"SQLite: {message}" if outage else None)
        assert store.outage(ValueError(message)) is None
    finally:
        store.close()


def test_an_error_after_which_sqlite_ended_the_transaction_itself_is_not_hidden(tmp_path):
    store = open_store(str(tmp_path / "bank.db"))
    try:
        database = store.database
        with pytest.raises(sqlite3.OperationalError, match="^database or disk is full$"):
            with database.transaction(""):
                database.execute("ROLLBACK")  # what SQLite does on its own after an I/O error or a full disk
                raise sqlite3.OperationalError("database or disk is full")
        with database.transaction(""):  # and the connection is usable again
            database.execute("INSERT INTO meta (sandbox, key, value) VALUES ('', 'probe', '1')")
        assert database.fetchone("SELECT value FROM meta WHERE key = 'probe'")["value"] == "1"
    finally:
        store.close()


def test_a_write_after_one_whose_transaction_could_not_begin_is_still_a_transaction(tmp_path, monkeypatch):
    """An injected delay committed the request's first writes; the route's next write finds the database locked
    (answered 503); the journal entry written after it is still one transaction, kept at the request's end."""
    path = str(tmp_path / "bank.db")
    store, other = open_store(path), open_store(path)
    begin = store.database.transaction

    @contextmanager
    def locked(lock):
        monkeypatch.setattr(store.database, "transaction", begin)  # once
        raise sqlite3.OperationalError("database is locked")
        yield

    try:
        store.begin_request()
        store.put("before-the-delay", 1)
        store.checkpoint()
        monkeypatch.setattr(store.database, "transaction", locked)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            store.put("the-route", 2)
        store.journal_append({"path": "/payment"}, keep=10)
        assert other.journal() == []  # not written on its own, outside the request's transaction
        store.end_request()
        assert [entry["path"] for entry in other.journal()] == ["/payment"]
    finally:
        store.close()
        other.close()
