"""SQLite under the store: a file (WAL) shared by threads and worker processes, or a throwaway ``:memory:``.

Each thread has its own connection. Writes run in ``BEGIN IMMEDIATE`` transactions and the threads of a
process queue on a lock first (SQLite's own busy handler sleeps in steps of up to 100 ms, which would make
the slowest requests very slow), so several threads and processes on one file see one consistent bank.
Where ``fcntl`` exists (POSIX, where ``--workers`` runs several processes) the processes queue the same
way, on an advisory lock of the file ``<database>-writer`` that the kernel hands on at once.

Committed pages are copied from the WAL into the database file by a thread of each process shortly after
commits (:class:`WalCheckpointer`), not by the request whose commit fills the WAL.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.request import pathname2url

try:
    import fcntl
except ImportError:  # Windows: one serving process, nothing to queue with
    fcntl = None

from mockbank.store.base import StoreError
from mockbank.store.schema import SCHEMA_VERSION, check_version, schema_for
from mockbank.store.sql import Database

MEMORY = ":memory:"
#: How long the WAL checkpoint waits after a commit, so that one checkpoint copies the pages of many commits.
CHECKPOINT_DELAY_SECONDS = 0.05
#: WAL pages (4 KiB each) at which a committing request runs SQLite's own checkpoint (its default: 1,000), which
#: copies what the checkpoint thread has not yet and lets the WAL start over.
AUTOCHECKPOINT_PAGES = 10_000

log = logging.getLogger(__name__)
#: The start of SQLite's message for each failure of a database that cannot serve right now (SQLITE_BUSY,
#: _READONLY, _IOERR, _FULL, _CANTOPEN), as opposed to a mistake in a statement (one connection per thread,
#: so SQLITE_LOCKED would be mockbank's own mistake).
_OUTAGE_MESSAGES = ("database is locked", "attempt to write a readonly database", "disk I/O error",
                    "database or disk is full", "unable to open database file")

#: Columns of the tables of schema 1 (mockbank 0.1), which had no sandboxes.
_SCHEMA_1_COLUMNS = {
    "meta": "key, value", "erps": "service_provider, api_key, progression",
    "accounts": "account, service_provider, integration_code, currency, data, opening_cents, progression",
    "entries": "seq, account, entry_id, booking, value, amount_cents, data", "fetched": "service_provider, seq",
    "transfers": "trans_id, account, request_id",
    "payments": "id, account, payment_id, trans_id, end_to_end_id, status, step, changed_at, data",
    "journal": "id, entry", "faults": "id, spec, remaining",
}


#: The byte of a WAL database's ``-shm`` file on which every open connection holds a shared POSIX lock (the
#: "dead man switch" of SQLite's unix VFS: UNIX_SHM_DMS = 120 + SQLITE_SHM_NLOCK (8)).
_SHM_DMS_BYTE = 128


def _roll_back(db: sqlite3.Connection) -> None:
    """End a failed transaction, if SQLite has not ended it itself (it does on an I/O error or a full disk),
    without hiding the error that failed it."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def open_elsewhere(path: str) -> bool:
    """True when another process has the SQLite database at ``path`` open (WAL mode, POSIX only).

    Each connection to a WAL database holds a shared lock on one byte of its ``-shm`` file; if this process
    cannot take that byte exclusively, some other process holds it. Where locks cannot be tested (Windows,
    no ``-shm`` file) the answer is False. Call it before this process opens the database itself.
    """
    try:
        import fcntl
    except ImportError:
        return False
    try:
        handle = os.open(path + "-shm", os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
    except OSError:
        return True
    else:
        fcntl.lockf(handle, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE)
        return False
    finally:
        os.close(handle)


def _uri(file: str) -> str:
    """The ``file:`` URI of a path, its ``?``, ``#`` and ``%`` escaped (SQLite would read them as the URI's own)."""
    return "file:" + pathname2url(os.path.abspath(file))


def _connect(file: str, synchronous: str, create: bool = True) -> sqlite3.Connection:
    mode = "" if create else "?mode=rw"  # rw: fail, rather than create an empty file, where it was deleted
    db = sqlite3.connect(_uri(file) + mode, uri=True, isolation_level=None, timeout=30, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
    return db


class WalCheckpointer:
    """Copies committed pages from the WAL into the database file, on a thread of its own, after commits.

    By default SQLite runs this checkpoint inside the commit that makes the WAL reach 1,000 pages: that request
    copies every page and (``synchronous = NORMAL``) waits for both files to reach the disk, and every request
    queued behind it waits too (``bench/README.md``, fifth round: under load, p99 32-242 ms against 24-47 ms).
    Here a thread does it :data:`CHECKPOINT_DELAY_SECONDS` after the first commit it was told of, with its own
    connection, while SQLite releases the GIL: requests go on meanwhile. A ``PASSIVE`` checkpoint waits for no
    reader or writer, so it holds up no request.

    But writers go on adding pages while it copies, and SQLite starts the WAL over only once every page in it
    was copied. So the commit that finds :data:`AUTOCHECKPOINT_PAGES` in the WAL still runs SQLite's own
    checkpoint, in its writers' turn (no writer of any process adds pages meanwhile): it copies the pages the
    thread has not yet, and the commit after it writes the WAL from its start again. That bounds the WAL: to
    about 40 MB under sustained writes, where SQLite's default keeps it near 4 MB (the file keeps its size, and
    is written over: cutting it back after each start cost as much as the checkpoints saved, ``bench/README.md``).
    If the thread holds the checkpoint at that moment, the next commit tries again. (A reader that never pauses
    keeps any WAL from starting over, this one as SQLite's default.)

    The thread starts at the first commit and stops with :meth:`stop` (the next commit starts it again), or for
    good with :meth:`close` or when its database is garbage collected.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection]):
        self._connect = connect
        self._committed = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._closed = False
        self._failing = False

    def committed(self) -> None:
        """Called after each commit: the WAL has pages to copy."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._start()
        if not self._committed.is_set():
            self._committed.set()

    def stop(self) -> None:
        """Stop the thread, after the checkpoint it may be running, and close its connection; the next commit
        starts it again."""
        with self._lock:
            thread, stopping, self._thread = self._thread, self._stopping, None
        stopping.set()
        self._committed.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def close(self) -> None:
        """Stop for good: commits after this (of requests outliving their server) start no thread."""
        self._closed = True
        self.stop()

    def _start(self) -> None:
        with self._lock:
            if self._closed or (self._thread is not None and self._thread.is_alive()):
                return
            self._stopping = threading.Event()  # each thread its own: a stopped one never outlives its stop
            self._thread = threading.Thread(target=self._run, args=(self._stopping,), daemon=True,
                                            name="mockbank-wal-checkpoint")
            self._thread.start()

    def _run(self, stopping: threading.Event) -> None:
        db = None
        try:
            while self._committed.wait() and not stopping.wait(CHECKPOINT_DELAY_SECONDS):
                self._committed.clear()  # commits from now on ask for the next checkpoint
                if stopping.is_set():  # stop() came between the wait and the clear, which undid its wake-up
                    break
                try:
                    if db is None:
                        db = self._connect()
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:  # the database is failing: requests say so; a committing request
                    self._report(error)        # copies the pages once the WAL is AUTOCHECKPOINT_PAGES long
                else:
                    self._failing = False
        finally:
            if db is not None:
                db.close()

    def _report(self, error: sqlite3.Error) -> None:
        if not self._failing:
            log.warning("the WAL checkpoint failed (%s); it is tried again after the next commit", error)
        self._failing = True


_SQLITE_HEADER = b"SQLite format 3\x00"


def check_file(path: str) -> None:
    """StoreError saying what is wrong when ``path`` cannot hold a SQLite database: a SQLite URI, a folder, a
    missing or unwritable folder, an unwritable file, a file of another kind. A missing file is created (empty)."""
    if path.startswith("file:"):
        raise StoreError(f"--db {path}: give the database file's path, not a SQLite URI (mockbank opens the file "
                         "itself, for reading and writing)")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise StoreError(f"--db {path} is a folder, not a database file; give a file in it, e.g. "
                         f"{os.path.join(path, 'mockbank.db')}")
    if not os.path.isdir(folder):
        raise StoreError(f"--db {path}: the folder {folder} does not exist")
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        what = "write the database file" if os.path.exists(path) else f"create the database file in {folder}"
        raise StoreError(f"--db {path}: cannot {what} ({error.strerror})") from None
    try:
        header = os.read(handle, len(_SQLITE_HEADER))
    finally:
        os.close(handle)
    if header and header != _SQLITE_HEADER:
        raise StoreError(f"--db {path} is not a SQLite database (it is a file of another kind); give another "
                         "path, or move the file away")


#: A ``:memory:`` database's file: ``mockbank-<pid>-<random>.db`` in the temporary folder (+ ``-wal``, ``-shm``).
_TEMPORARY_NAME = re.compile(r"mockbank-(\d+)-[^/\\]+\.db(-wal|-shm|-writer)?")
_SIDE_FILES = ("", "-wal", "-shm", "-writer")


def _temporary_database() -> str:
    remove_stale_temporary_files()
    handle, path = tempfile.mkstemp(prefix=f"mockbank-{os.getpid()}-", suffix=".db")
    os.close(handle)
    return path


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would end the process there; a file in use cannot be removed anyway
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temporary_files(folder: str | None = None) -> list[str]:
    """Delete the ``:memory:`` database files of processes that no longer run (killed before they could clean
    up); returns the paths removed."""
    folder = folder or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMPORARY_NAME.fullmatch(name)
        if match is None or _alive(int(match.group(1))):
            continue
        path = os.path.join(folder, name)
        try:
            os.remove(path)
        except OSError:  # in use (Windows), already gone, or not ours to remove
            continue
        removed.append(path)
    return removed


class SqliteDatabase(Database):
    """One SQLite database file; safe to share between threads of a process."""

    def __init__(self, path: str = MEMORY):
        self.url = path
        # ":memory:" is a throwaway database: a temporary file removed on close. (SQLite's shared-cache
        # in-memory databases lock whole tables and ignore busy_timeout, so concurrent requests would fail.)
        self._throwaway = _temporary_database() if path == MEMORY else None
        if self._throwaway is None:
            check_file(path)
        self._file = self._throwaway or path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        try:
            self._writer = open(f"{self._file}-writer", "a+b") if fcntl is not None else None  # noqa: SIM115
        except OSError as error:
            raise StoreError(f"--db {path}: cannot create its lock file {self._file}-writer ({error.strerror})") \
                from None
        self._checkpointer = WalCheckpointer(functools.partial(_connect, self._file, self._synchronous, create=False))
        weakref.finalize(self, self._checkpointer.close)
        try:
            self._keeper = self._connect()
            self._install_schema()
        except sqlite3.DatabaseError as error:
            self.close()
            raise StoreError(f"--db {path}: cannot use it as a SQLite database ({error})") from None

    @property
    def file(self) -> str:
        """The database file; for ``:memory:`` its temporary file, which another process may open too."""
        return self._file

    @property
    def _synchronous(self) -> str:
        return "OFF" if self._throwaway else "NORMAL"

    def _connect(self) -> sqlite3.Connection:
        return _connect(self._file, self._synchronous)

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
                db.execute("COMMIT")
            except BaseException:
                _roll_back(db)
                raise
            finally:
                self._local.depth = 0
            self._checkpointer.committed()

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

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, params).fetchone()[0]

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
        return self._db.execute(sql, params).fetchall()

    def in_list(self, column: str, values: list[str]) -> tuple[str, Any]:
        # one JSON parameter: any number of ids (SQLite caps bound variables)
        return f"{column} IN (SELECT value FROM json_each(?))", json.dumps(values)

    def outage(self, error: BaseException) -> str | None:
        if isinstance(error, sqlite3.OperationalError) and str(error).startswith(_OUTAGE_MESSAGES):
            return f"SQLite: {error}"
        return None

    def disconnect(self) -> None:
        """Close this thread's connection, the keeper and the writers' lock file, keeping the database (a throwaway
        one too) for other processes: what a process does before it forks workers that open it themselves."""
        self._checkpointer.stop()
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        keeper, self._keeper = getattr(self, "_keeper", None), None
        if keeper is not None:
            keeper.close()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def close(self) -> None:
        """:meth:`disconnect`; a throwaway database is deleted."""
        self._checkpointer.close()
        self.disconnect()
        if self._throwaway:
            for suffix in _SIDE_FILES:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self._throwaway + suffix)
