"""SQLite under the store: a file (WAL) shared by threads and worker processes, or a throwaway ``:memory:``.

Each thread has its own connection. Writes run in ``BEGIN IMMEDIATE`` transactions and the threads of a
process queue on a lock first (SQLite's own busy handler sleeps in steps of up to 100 ms, which would make
the slowest requests very slow), so several threads and processes on one file see one consistent bank.
Where ``fcntl`` exists (POSIX, where ``--workers`` runs several processes) the processes queue the same
way, on an advisory lock of the file ``<database>-writer`` that the kernel hands on at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: one serving process, nothing to queue with
    fcntl = None

from mockbank.store.base import StoreError
from mockbank.store.sql import SCHEMA_VERSION, Database, check_version, schema_for

MEMORY = ":memory:"

#: Columns of the tables of schema 1 (mockbank 0.1), which had no sandboxes.
_SCHEMA_1_COLUMNS = {
    "meta": "key, value", "erps": "service_provider, api_key, progression",
    "accounts": "account, service_provider, integration_code, currency, data, opening_cents, progression",
    "entries": "seq, account, entry_id, booking, value, amount_cents, data", "fetched": "service_provider, seq",
    "transfers": "trans_id, account, request_id",
    "payments": "id, account, payment_id, trans_id, end_to_end_id, status, step, changed_at, data",
    "journal": "id, entry", "faults": "id, spec, remaining",
}


def _temporary_database() -> str:
    handle, path = tempfile.mkstemp(prefix="mockbank-", suffix=".db")
    os.close(handle)
    return path


class SqliteDatabase(Database):
    """One SQLite database file; safe to share between threads of a process."""

    def __init__(self, path: str = MEMORY):
        self.url = path
        # ":memory:" is a throwaway database: a temporary file removed on close. (SQLite's shared-cache
        # in-memory databases lock whole tables and ignore busy_timeout, so concurrent requests would fail.)
        self._throwaway = _temporary_database() if path == MEMORY else None
        self._file = self._throwaway or path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        try:
            self._writer = open(f"{self._file}-writer", "a+b") if fcntl is not None else None  # noqa: SIM115
        except OSError as error:
            raise StoreError(f"--db {path}: cannot create its lock file {self._file}-writer ({error.strerror})") \
                from None
        try:
            self._keeper = self._connect()
            self._install_schema()
        except sqlite3.DatabaseError as error:
            self.close()
            raise StoreError(f"--db {path}: cannot use it as a SQLite database ({error})") from None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"file:{self._file}", uri=True, isolation_level=None, timeout=30,
                             check_same_thread=False)
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

    # ------------------------------------------------------------------ schema

    def _install_schema(self) -> None:
        with self.transaction(""):
            tables = {row["name"] for row in self.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = None
            if "schema_version" in tables:
                row = self.fetchone("SELECT version FROM schema_version")
                version = row["version"] if row else None
            elif "meta" in tables:
                version = 1
            check_version(version, self.url)
            if version == 1:
                self._migrate_from_1()
            for statement in schema_for("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"):
                self.execute(statement)
            if version != SCHEMA_VERSION:
                self.execute("DELETE FROM schema_version")
                self.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))

    def _migrate_from_1(self) -> None:
        """Schema 1 had one bank and no sandboxes: its rows become the root bank's."""
        for index in ("entries_by_account", "payments_by_id", "payments_by_trans"):
            self.execute(f"DROP INDEX IF EXISTS {index}")
        for table in _SCHEMA_1_COLUMNS:
            self.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
        for statement in schema_for("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"):
            self.execute(statement)
        for table, columns in _SCHEMA_1_COLUMNS.items():
            if table == "accounts":
                self.execute(f"INSERT INTO accounts (sandbox, {columns}, position) SELECT '', {columns}, rowid "
                             "FROM accounts_v1")
            else:
                self.execute(f"INSERT INTO {table} (sandbox, {columns}) SELECT '', {columns} FROM {table}_v1")
            self.execute(f"DROP TABLE {table}_v1")

    # ------------------------------------------------------------------ Database

    @contextmanager
    def transaction(self, lock: str) -> Iterator[None]:
        db = self._db
        if self._local.depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._write_lock, self._writer_queue():
            db.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            try:
                yield
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")
            finally:
                self._local.depth = 0

    @contextmanager
    def _writer_queue(self) -> Iterator[None]:
        """This process's turn among the processes writing the file (a blocking, kernel-queued lock)."""
        if self._writer is None:
            yield
            return
        fcntl.flock(self._writer, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._writer, fcntl.LOCK_UN)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, params).rowcount

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, params).fetchone()[0]

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
        return self._db.execute(sql, params).fetchall()

    def in_list(self, column: str, values: list[str]) -> tuple[str, Any]:
        # one JSON parameter: any number of ids (SQLite caps bound variables)
        return f"{column} IN (SELECT value FROM json_each(?))", json.dumps(values)

    def close(self) -> None:
        """Close this thread's connection and the keeper; a throwaway database is deleted."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        keeper = getattr(self, "_keeper", None)
        if keeper is not None:
            keeper.close()
        if self._writer is not None:
            self._writer.close()
        if self._throwaway:
            for suffix in ("", "-wal", "-shm", "-writer"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self._throwaway + suffix)
