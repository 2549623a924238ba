"""PostgreSQL under the store (psycopg 3 and its connection pool): one bank for many processes and hosts.

Reads outside a transaction borrow a pooled connection in autocommit. A write transaction holds one
connection for its thread (nested use joins it) and first takes ``pg_advisory_xact_lock`` on the hash
of its sandbox id, so the writers of one sandbox queue one after another across every process and host,
as SQLite's ``BEGIN IMMEDIATE`` makes them do on one file; PostgreSQL frees the lock at commit or
rollback, also when the process holding it dies. Each statement of such a transaction (READ COMMITTED)
sees everything its predecessors committed. The schema is installed and checked under an advisory
lock of its own, so processes starting together do not race.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from mockbank.store.base import StoreError, redact_url
from mockbank.store.schema import SCHEMA_VERSION, check_version, schema_for
from mockbank.store.sql import Database

#: Connections one process may hold: the serving threads plus a few for reads and the control plane.
DEFAULT_POOL_SIZE = 16
#: SQLSTATE classes of a server that cannot serve right now: connection exceptions, insufficient resources,
#: operator intervention (a shutdown, a cancelled statement), system errors. Other OperationalErrors (a program
#: limit exceeded, an object not in the right state) are mistakes in what mockbank sent, answered 500.
_OUTAGE_CLASSES = frozenset({"08", "53", "57", "58"})
#: A serialization failure, a deadlock and a lock not available: another try may succeed.
_OUTAGE_STATES = frozenset({"40001", "40P01", "55P03"})
#: Seconds to wait for the server when connecting, and for a free pooled connection.
CONNECT_TIMEOUT = 10

#: The schema lock: a pair of 32-bit keys, a key space apart from the sandboxes' 64-bit keys.
_SCHEMA_LOCK = (0x6D6B6261, 1)  # "mkba"


@functools.lru_cache(maxsize=512)
def placeholders(sql: str) -> str:
    """The store's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def lock_key(sandbox_id: str) -> int:
    """The advisory lock key of a sandbox: a signed 64-bit hash of its id."""
    return int.from_bytes(hashlib.blake2b(sandbox_id.encode(), digest_size=8).digest(), "big", signed=True)


class PostgresDatabase(Database):
    """A PostgreSQL database behind a connection pool; safe to share between the threads of a process."""

    def __init__(self, url: str, pool_size: int = DEFAULT_POOL_SIZE):
        self.url = redact_url(url)
        self._full_url = url  # only to take it (and its password) out of a driver's error
        self._local = threading.local()
        _probe(url, self.url)
        self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=False, name="mockbank",
                                    timeout=CONNECT_TIMEOUT,
                                    kwargs={"autocommit": True, "row_factory": dict_row,
                                            "connect_timeout": CONNECT_TIMEOUT})
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT)
            self._install_schema()
        except (psycopg.Error, PoolTimeout) as error:
            self._pool.close()
            raise StoreError(f"--db {self.url}: {_first_line(error, url)}") from None
        except StoreError:
            self._pool.close()
            raise

    # ------------------------------------------------------------------ schema

    def _install_schema(self) -> None:
        with self._begin("SELECT pg_advisory_xact_lock(%s, %s)", _SCHEMA_LOCK):
            found = self.fetchone("SELECT to_regclass('schema_version') IS NOT NULL AS found")["found"]
            version = self.fetchone("SELECT MAX(version) AS version FROM schema_version")["version"] if found else None
            check_version(version, self.url)
            # PostgreSQL support starts at schema 2: an older version cannot be found here.
            for statement in schema_for("BIGSERIAL PRIMARY KEY", "BIGINT"):
                self.execute(statement)
            if version != SCHEMA_VERSION:
                self.execute("DELETE FROM schema_version")
                self.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))

    # ------------------------------------------------------------------ Database

    def transaction(self, lock: str):
        return self._begin("SELECT pg_advisory_xact_lock(%s)", (lock_key(lock),))

    @contextmanager
    def _begin(self, lock_sql: str, lock_params: tuple[int, ...]) -> Iterator[None]:
        """A transaction holding the advisory lock ``lock_params``; nested use joins the outer one."""
        held = getattr(self._local, "connection", None)
        if held is not None:  # joining: this sandbox's lock too, if the outer transaction is another's
            if lock_params not in self._local.locks:
                held.execute(lock_sql, lock_params)
                self._local.locks.add(lock_params)
            yield
            return
        with self._pool.connection() as connection, connection.transaction():
            connection.execute(lock_sql, lock_params)
            self._local.connection, self._local.locks = connection, {lock_params}
            try:
                yield
            finally:
                self._local.connection = None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        held = getattr(self._local, "connection", None)
        if held is not None:
            yield held
        else:
            with self._pool.connection() as connection:
                yield connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._connection() as connection:
            return connection.execute(placeholders(sql), params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._connection() as connection, connection.cursor() as cursor:
            cursor.executemany(placeholders(sql), rows)  # psycopg pipelines the rows: one round trip, not one each

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._connection() as connection:
            row = connection.execute(placeholders(sql), params).fetchone()
        return next(iter(row.values()))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
        with self._connection() as connection:
            return connection.execute(placeholders(sql), params).fetchall()

    def in_list(self, column: str, values: list[str]) -> tuple[str, Any]:
        return f"{column} = ANY(?)", list(values)

    def close(self) -> None:
        self._pool.close()

    def outage(self, error: BaseException) -> str | None:
        if isinstance(error, psycopg.OperationalError) and (error.sqlstate is None  # lost on the client's side
                                                            or error.sqlstate[:2] in _OUTAGE_CLASSES
                                                            or error.sqlstate in _OUTAGE_STATES):
            return f"PostgreSQL: {_first_line(error, self._full_url)}"
        return None


# ---------------------------------------------------------------------- connection problems


def _probe(url: str, shown: str) -> None:
    """Connect once, so that a wrong URL, server, database or password is one clear StoreError."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error as error:
        raise StoreError(f"--db {shown}: not a usable PostgreSQL URL ({_first_line(error, url)}); expected "
                         "postgresql://user:password@host:port/dbname") from None
    try:
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
    except psycopg.Error as error:
        raise StoreError(f"--db {shown}: {_explain(error, url, params)}") from None


def _explain(error: psycopg.Error, url: str, params: dict[str, Any]) -> str:
    text = _first_line(error, url)
    host = params.get("host") or "localhost"
    where = f"{host}:{params.get('port') or 5432}"
    user = params.get("user") or "(default user)"
    if "does not exist" in text and "database" in text:
        name = params.get("dbname") or user
        return (f"the database {name!r} does not exist on the PostgreSQL server at {where}; create it "
                f"(createdb -h {host} -U {user} {name}) or fix the name in the URL")
    if "authentication failed" in text or "no password supplied" in text:
        return f"the PostgreSQL server at {where} refused user {user!r} (wrong user or password): {text}"
    if "role" in text and "does not exist" in text:
        return f"the PostgreSQL server at {where} has no user {user!r}: {text}"
    return f"cannot connect to the PostgreSQL server at {where} (is it running, and is the address right?): {text}"


def _first_line(error: BaseException, url: str) -> str:
    """The useful line of a driver error, with the password (should the driver echo it) taken out."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = (lines[0] if lines else type(error).__name__).replace("connection failed: ", "")
    text = text.replace(url, redact_url(url))
    password = _password(url)
    if not password:
        return text
    if len(password) >= 4:
        return text.replace(password, "***")
    # a short one only where it stands alone, so that it does not hide letters of the message ("does not e***ist")
    return re.sub(rf"(?<!\w){re.escape(password)}(?!\w)", "***", text)


def _password(url: str) -> str | None:
    try:
        return conninfo_to_dict(url).get("password") or None
    except psycopg.Error:
        return None
