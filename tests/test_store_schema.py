"""The schema is versioned: an old database is migrated on start with its rows kept, a newer one refused."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from postgres_cluster import PASSWORD

from mockbank.store import StoreError, open_store
from mockbank.store.schema import SCHEMA_VERSION

#: mockbank 0.1 (schema 1): one bank per database, no sandbox column, no schema_version table.
SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE erps (service_provider TEXT PRIMARY KEY, api_key TEXT NOT NULL, progression TEXT);
CREATE TABLE accounts (
    account TEXT PRIMARY KEY, service_provider TEXT NOT NULL, integration_code TEXT NOT NULL,
    currency TEXT NOT NULL, data TEXT NOT NULL, opening_cents INTEGER NOT NULL, progression TEXT);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, entry_id TEXT NOT NULL,
    booking TEXT NOT NULL, value TEXT NOT NULL, amount_cents INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX entries_by_account ON entries (account, booking, seq);
CREATE TABLE fetched (service_provider TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (service_provider, seq));
CREATE TABLE transfers (
    trans_id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, request_id TEXT NOT NULL);
CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, payment_id TEXT NOT NULL,
    trans_id TEXT NOT NULL, end_to_end_id TEXT NOT NULL, status INTEGER NOT NULL, step INTEGER NOT NULL,
    changed_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX payments_by_id ON payments (account, payment_id);
CREATE INDEX payments_by_trans ON payments (account, trans_id);
CREATE TABLE journal (id INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL);
CREATE TABLE faults (id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL, remaining INTEGER);
"""

ACCOUNTS = ("52470004471238", "52470004471239")
PAYMENT_DOCUMENT = {
    "requestId": "REQ_OLD", "transaction": {"paymentId": "OLD_1", "amount": "12.50"},
    "outcome": {"path": [1, 2, 4, 8], "errors": {}, "warnings": {}, "magic": None},
    "amount": "12.50", "currency": "DKK", "paymentDate": "2026-11-24", "errors": [], "warnings": [],
    "history": [{"status": 1, "time": "2026-11-24T10:00:00+00:00"}], "created": "2026-11-24T10:00:00+00:00",
    "bookedSeq": None, "transacted": None, "accountCurrency": "DKK", "duplicate": False,
}


def write_schema_1(path) -> None:
    """A database as mockbank 0.1 left it: a seeded bank with two accounts, a payment, a journal entry, a fault."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("seeded", "true"), ("clock", json.dumps({"offset": 60.0}))])
    db.execute("INSERT INTO erps VALUES ('OldErp', '00000000-0000-0000-0000-000000000001', 'manual')")
    for number in reversed(ACCOUNTS):  # inserted in reverse: the migrated order is the insertion order
        db.execute("INSERT INTO accounts VALUES (?, 'OldErp', 'CODE', 'DKK', ?, 100000, NULL)",
                   (number, json.dumps({"name": f"Account {number[-1]}", "bic": "SYBKDK22", "owner": {}})))
    db.execute("INSERT INTO entries (account, entry_id, booking, value, amount_cents, data) "
               "VALUES (?, 'E1', '2026-11-20', '2026-11-20', -2500, '{}')", (ACCOUNTS[0],))
    db.execute("INSERT INTO fetched VALUES ('OldErp', 1)")
    for _ in range(7):
        db.execute("INSERT INTO transfers (account, request_id) VALUES (?, 'REQ_OLD')", (ACCOUNTS[0],))
    db.execute("INSERT INTO payments (account, payment_id, trans_id, end_to_end_id, status, step, changed_at, data) "
               "VALUES (?, 'OLD_1', '254000007', 'E2E', 1, 0, '2026-11-24T10:00:00+00:00', ?)",
               (ACCOUNTS[0], json.dumps(PAYMENT_DOCUMENT)))
    db.execute("INSERT INTO journal (entry) VALUES (?)", (json.dumps({"method": "POST", "path": "/payment"}),))
    db.execute("INSERT INTO faults (spec, remaining) VALUES (?, 2)", (json.dumps({"path": "/status"}),))
    db.commit()
    db.close()


def test_a_schema_1_sqlite_database_is_migrated_with_its_rows_kept(tmp_path):
    path = tmp_path / "old.db"
    write_schema_1(path)
    store = open_store(str(path))
    try:
        assert store.get("seeded") is True and store.get("clock") == {"offset": 60.0}
        assert [(erp.service_provider, erp.progression) for erp in store.erps()] == [("OldErp", "manual")]
        assert [account.account for account in store.accounts()] == list(reversed(ACCOUNTS))
        november = store.entries(ACCOUNTS[0], date(2026, 11, 1), date(2026, 11, 30))
        assert [(entry.entry_id, str(entry.amount)) for entry in november] == [("E1", "-25.00")]
        assert store.unfetched_entries("OldErp", ACCOUNTS[0], date(2026, 11, 30)) == []  # the newOnly cursor
        [payment] = store.payments(ACCOUNTS[0])
        assert (payment.payment_id, payment.trans_id, str(payment.amount)) == ("OLD_1", "254000007", "12.50")
        assert [(entry["method"], entry["path"]) for entry in store.journal()] == [("POST", "/payment")]
        assert [(fault["path"], fault["remaining"]) for fault in store.faults()] == [("/status", 2)]
        assert int(store.new_trans_id(ACCOUNTS[0], "REQ_NEW")) > 254000007  # no transId is handed out twice
    finally:
        store.close()
    store = open_store(str(path))  # opened again: already at the current schema, nothing lost
    try:
        assert len(store.payments()) == 1 and len(store.erps()) == 1
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "bank.db")
    return request.getfixturevalue("postgres_url")


def test_a_database_of_a_newer_mockbank_is_refused_with_what_to_do(database_url):
    open_store(database_url).close()  # created at the current schema
    newer = SCHEMA_VERSION + 1
    store = open_store(database_url)
    with store.transaction():
        store.database.execute("UPDATE schema_version SET version = ?", (newer,))
    store.close()
    with pytest.raises(StoreError) as refused:
        open_store(database_url)
    message = str(refused.value)
    assert f"schema {newer}" in message and "upgrade mockbank" in message
    assert PASSWORD not in message
