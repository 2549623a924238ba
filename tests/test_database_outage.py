"""A database that stops serving during a request is a 503 naming it, not a 500 calling it a bug in mockbank."""

from __future__ import annotations

import sqlite3

import pytest
from postgres_cluster import PASSWORD

from mockbank.store import open_store
from mockbank.testing import Emulator

from raw import post, transaction

NOW = "2026-11-24T10:00:00"  # a Tuesday
TODAY = NOW[:10]
POOL_SIZE = 16  # mockbank's PostgreSQL pool: at most this many connections can have been cut


def _cut_every_connection(url: str) -> None:
    """What a PostgreSQL restart does to mockbank's pooled connections."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def test_a_lost_connection_answers_503_and_the_payment_can_be_sent_again(postgres_url):
    with Emulator(db=postgres_url, clock=NOW, frozen_clock=True) as emulator:
        body = {"requestId": "OUT1", "transactions": [transaction("P-OUTAGE", day=TODAY)]}
        _cut_every_connection(postgres_url)
        answers = [post(emulator, "/payment", body) for _ in range(POOL_SIZE + 1)]
        refused = [answer for answer in answers if answer.status_code != 200]
        assert refused and answers[-1].status_code == 200  # each cut connection fails once, then is replaced
        assert answers[0].status_code == 503 and answers[0].reason == "Service Unavailable"
        for answer in refused:
            assert answer.status_code == 503
            error = answer.json()
            assert error["error"] == "storage-unavailable" and "send it again" in error["message"]
            assert "terminating connection" in error["message"] and PASSWORD not in error["message"]
        accepted = answers[len(refused)].json()["answers"]
        assert [(a["paymentId"], a["status"]) for a in accepted] == [("P-OUTAGE", 1)]  # nothing half-stored before
        journal = emulator.journal()
        assert [entry["status"] for entry in journal if entry["path"] == "/payment"][0] == 200


@pytest.mark.parametrize("message, outage", [
    ("database is locked", True),
    ("attempt to write a readonly database", True),
    ("disk I/O error", True),
    ("database or disk is full", True),
    ('near "SELEC": syntax error', False),
    ("no such table: payments", False),
])
def test_sqlite_failures_of_the_database_are_told_from_mistakes_in_statements(tmp_path, message, outage):
    store = open_store(str(tmp_path / "bank.db"))
    try:
        described = store.outage(sqlite3.OperationalError(message))
        assert (described == f"the SQLite database {tmp_path / 'bank.db'}: {message}") if outage else described is None
        assert store.outage(ValueError(message)) is None
    finally:
        store.close()
