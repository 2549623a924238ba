"""Persistence on SQLite: every piece of mutable state of the bank lives here.

One :class:`Store` per process; each thread gets its own connection. Writes run in
``BEGIN IMMEDIATE`` transactions, so several threads and several worker processes on one
database file see one consistent bank, and a restart with the same file loses nothing.
Amounts are stored as integer minor units (cents) so sums are exact.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mockbank.jsonnumbers import decimal_to_json

MEMORY = ":memory:"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS erps (
    service_provider TEXT PRIMARY KEY, api_key TEXT NOT NULL, progression TEXT);
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, service_provider TEXT NOT NULL, integration_code TEXT NOT NULL,
    currency TEXT NOT NULL, data TEXT NOT NULL, opening_cents INTEGER NOT NULL, progression TEXT);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, entry_id TEXT NOT NULL,
    booking TEXT NOT NULL, value TEXT NOT NULL, amount_cents INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_account ON entries (account, booking, seq);
CREATE TABLE IF NOT EXISTS fetched (
    service_provider TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (service_provider, seq));
CREATE TABLE IF NOT EXISTS transfers (
    trans_id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, request_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, payment_id TEXT NOT NULL,
    trans_id TEXT NOT NULL, end_to_end_id TEXT NOT NULL, status INTEGER NOT NULL, step INTEGER NOT NULL,
    changed_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS payments_by_id ON payments (account, payment_id);
CREATE INDEX IF NOT EXISTS payments_by_trans ON payments (account, trans_id);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL, remaining INTEGER);
"""

#: Tables emptied by a reset (everything but the schema itself).
_STATE_TABLES = ("meta", "erps", "accounts", "entries", "fetched", "transfers", "payments", "journal", "faults")

#: transIds are numeric strings; they start here so they look like the documented ones.
TRANS_ID_BASE = 254_000_000


def _journal_value(value: Any) -> Any:
    """Decimal numbers stay numbers in the journal (a client sending "100.00" differs from 100.00)."""
    try:
        return decimal_to_json(value)
    except TypeError:
        return str(value)


def _temporary_database() -> str:
    handle, path = tempfile.mkstemp(prefix="mockbank-", suffix=".db")
    os.close(handle)
    return path


class Store:
    """The bank's database; safe to share between threads of a process."""

    def __init__(self, path: str = MEMORY):
        self.path = path
        # ":memory:" is a throwaway database: a temporary file removed on close. (SQLite's shared-cache
        # in-memory databases lock whole tables and ignore busy_timeout, so concurrent requests would fail.)
        self._throwaway = _temporary_database() if path == MEMORY else None
        self._target = f"file:{self._throwaway or path}"
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._keeper = self._connect()
        self._keeper.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._target, uri=True, isolation_level=None, timeout=30, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = " + ("OFF" if self._throwaway else "NORMAL"))
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
            self._local.depth = 0
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); nested use joins the outer one."""
        db = self._db
        if self._local.depth:
            self._local.depth += 1
            try:
                yield db
            finally:
                self._local.depth -= 1
            return
        # Threads of this process queue on a lock; SQLite's own busy handler (for other processes)
        # sleeps in steps of up to 100 ms, which would make the slowest requests very slow.
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")
            finally:
                self._local.depth = 0

    def close(self) -> None:
        """Close this thread's connection and the keeper; a throwaway database is deleted."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        self._keeper.close()
        if self._throwaway:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self._throwaway + suffix)

    # ------------------------------------------------------------------ meta

    def get(self, key: str, default: Any = None) -> Any:
        """A JSON value from the meta table."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    def put(self, key: str, value: Any) -> None:
        """Store a JSON value in the meta table."""
        with self.transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
                       "excluded.value", (key, json.dumps(value, ensure_ascii=False)))

    def wipe(self) -> None:
        """Empty every table (the caller seeds the bank again in the same transaction)."""
        with self.transaction() as db:
            for table in _STATE_TABLES:
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM sqlite_sequence")

    # ------------------------------------------------------------------ ERPs and accounts

    def add_erp(self, service_provider: str, api_key: str, progression: str | None) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO erps VALUES (?, ?, ?)", (service_provider, api_key, progression))

    def erp(self, service_provider: str) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM erps WHERE service_provider = ?", (service_provider,)).fetchone()

    def add_account(self, account: str, service_provider: str, integration_code: str, currency: str,
                    data: dict[str, Any], opening_cents: int, progression: str | None) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (account, service_provider, integration_code, currency, json.dumps(data, ensure_ascii=False),
                        opening_cents, progression))

    def account(self, account: str) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM accounts WHERE account = ?", (account,)).fetchone()

    def accounts(self) -> list[sqlite3.Row]:
        return self._db.execute("SELECT * FROM accounts ORDER BY rowid").fetchall()

    def set_account_progression(self, account: str, mode: str | None) -> bool:
        with self.transaction() as db:
            return db.execute("UPDATE accounts SET progression = ? WHERE account = ?", (mode, account)).rowcount > 0

    # ------------------------------------------------------------------ statement entries

    def add_entry(self, account: str, entry_id: str, booking: str, value: str, amount_cents: int,
                  data: dict[str, Any]) -> int:
        """Book a statement entry; returns its sequence number."""
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO entries (account, entry_id, booking, value, amount_cents, data) "
                                "VALUES (?, ?, ?, ?, ?, ?)",
                                (account, entry_id, booking, value, amount_cents, json.dumps(data, ensure_ascii=False)))
            return cursor.lastrowid

    def entries(self, account: str, first: str, last: str) -> list[sqlite3.Row]:
        """Entries booked from ``first`` to ``last`` (ISO dates, inclusive), in statement order."""
        return self._db.execute("SELECT * FROM entries WHERE account = ? AND booking BETWEEN ? AND ? "
                                "ORDER BY booking, seq", (account, first, last)).fetchall()

    def sum_before(self, account: str, day: str) -> int:
        """Cents booked before ``day``."""
        row = self._db.execute("SELECT COALESCE(SUM(amount_cents), 0) AS total FROM entries "
                               "WHERE account = ? AND booking < ?", (account, day)).fetchone()
        return row["total"]

    def sum_through(self, account: str, day: str) -> int:
        """Cents booked up to and including ``day``."""
        row = self._db.execute("SELECT COALESCE(SUM(amount_cents), 0) AS total FROM entries "
                               "WHERE account = ? AND booking <= ?", (account, day)).fetchone()
        return row["total"]

    def sum_through_entry(self, account: str, day: str, seq: int) -> int:
        """Cents booked before ``day``, plus that day's entries up to and including ``seq``."""
        row = self._db.execute("SELECT COALESCE(SUM(amount_cents), 0) AS total FROM entries WHERE account = ? "
                               "AND (booking < ? OR (booking = ? AND seq <= ?))", (account, day, day, seq)).fetchone()
        return row["total"]

    def daily_sums(self, account: str, first: str, last: str) -> dict[str, int]:
        """Cents booked per day from ``first`` to ``last``."""
        rows = self._db.execute("SELECT booking, SUM(amount_cents) AS total FROM entries WHERE account = ? "
                                "AND booking BETWEEN ? AND ? GROUP BY booking", (account, first, last))
        return {row["booking"]: row["total"] for row in rows}

    def unfetched_entries(self, service_provider: str, account: str, last: str) -> list[sqlite3.Row]:
        """Entries up to ``last`` this ERP has not fetched with ``newOnly`` yet, and mark them fetched."""
        with self.transaction() as db:
            rows = db.execute("SELECT * FROM entries e WHERE account = ? AND booking <= ? AND NOT EXISTS "
                              "(SELECT 1 FROM fetched f WHERE f.service_provider = ? AND f.seq = e.seq) "
                              "ORDER BY booking, seq", (account, last, service_provider)).fetchall()
            db.executemany("INSERT INTO fetched VALUES (?, ?)", [(service_provider, row["seq"]) for row in rows])
            return rows

    # ------------------------------------------------------------------ payments

    def new_trans_id(self, account: str, request_id: str) -> str:
        """A fresh transId for one payment request (unique across workers)."""
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO transfers (account, request_id) VALUES (?, ?)", (account, request_id))
            return str(TRANS_ID_BASE + cursor.lastrowid)

    def add_payment(self, account: str, payment_id: str, trans_id: str, end_to_end_id: str, status: int,
                    step: int, changed_at: str, data: dict[str, Any]) -> int:
        with self.transaction() as db:
            return db.execute("INSERT INTO payments (account, payment_id, trans_id, end_to_end_id, status, step, "
                              "changed_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              (account, payment_id, trans_id, end_to_end_id, status, step, changed_at,
                               json.dumps(data, ensure_ascii=False))).lastrowid

    def update_payment(self, row_id: int, status: int, step: int, changed_at: str, data: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute("UPDATE payments SET status = ?, step = ?, changed_at = ?, data = ? WHERE id = ?",
                       (status, step, changed_at, json.dumps(data, ensure_ascii=False), row_id))

    def payments(self, account: str | None = None, payment_ids: list[str] | None = None,
                 trans_id: str | None = None, non_final_only: bool = False) -> list[sqlite3.Row]:
        """Payments in creation order, filtered by account, paymentIds or transId."""
        clauses, params = [], []
        if account is not None:
            clauses.append("account = ?")
            params.append(account)
        if payment_ids is not None:  # one JSON parameter: any number of ids (SQLite caps bound variables)
            clauses.append("payment_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(payment_ids))
        if trans_id is not None:
            clauses.append("trans_id = ?")
            params.append(trans_id)
        if non_final_only:
            clauses.append("status NOT IN (8, 16, 32, 64)")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self._db.execute(f"SELECT * FROM payments {where} ORDER BY id", params).fetchall()

    def payment(self, row_id: int) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM payments WHERE id = ?", (row_id,)).fetchone()

    def payment_exists(self, account: str, payment_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM payments WHERE account = ? AND payment_id = ? LIMIT 1",
                                (account, payment_id)).fetchone() is not None

    # ------------------------------------------------------------------ journal

    def journal_append(self, entry: dict[str, Any]) -> int:
        with self.transaction() as db:
            return db.execute("INSERT INTO journal (entry) VALUES (?)",
                              (json.dumps(entry, ensure_ascii=False, default=_journal_value),)).lastrowid

    def journal(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Journal entries after id ``since``, oldest first."""
        rows = self._db.execute("SELECT id, entry FROM journal WHERE id > ? ORDER BY id LIMIT ?",
                                (since, -1 if limit is None else limit))
        return [{"id": row["id"], **json.loads(row["entry"])} for row in rows]

    def journal_clear(self) -> int:
        with self.transaction() as db:
            return db.execute("DELETE FROM journal").rowcount

    # ------------------------------------------------------------------ faults

    def add_fault(self, spec: dict[str, Any], remaining: int | None) -> int:
        with self.transaction() as db:
            return db.execute("INSERT INTO faults (spec, remaining) VALUES (?, ?)",
                              (json.dumps(spec), remaining)).lastrowid

    def faults(self) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM faults ORDER BY id").fetchall()
        return [{"id": row["id"], "remaining": row["remaining"], **json.loads(row["spec"])} for row in rows]

    def clear_faults(self) -> int:
        with self.transaction() as db:
            return db.execute("DELETE FROM faults").rowcount

    def take_fault(self, fault_id: int) -> bool:
        """Use up one hit of a fault; False if another request took its last one first."""
        with self.transaction() as db:
            row = db.execute("SELECT remaining FROM faults WHERE id = ?", (fault_id,)).fetchone()
            if row is None:
                return False
            if row["remaining"] is None:
                return True
            if row["remaining"] <= 1:
                db.execute("DELETE FROM faults WHERE id = ?", (fault_id,))
            else:
                db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (fault_id,))
            return True
