"""The store over SQL: one implementation of :class:`mockbank.store.base.Store` for SQLite and PostgreSQL.

Queries are written once, with ``?`` placeholders; a :class:`Database` (``sqlite.py``, ``postgres.py``)
runs them on its engine. Every row carries its sandbox id. Amounts are stored as integer minor units
(cents) so sums are exact; a payment's details are one JSON document beside its indexed columns.
"""

from __future__ import annotations

import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mockbank.errors import SandboxGone
from mockbank.jsonnumbers import decimal_to_json, dumps
from mockbank.models import FINAL_STATUSES, Account, Entry, Erp, Outcome, Payment, PaymentStatus
from mockbank.money import from_cents, to_cents
from mockbank.rawjson import dumps_object
from mockbank.store.base import ROOT, NewEntry, SandboxRecord
from mockbank.store.schema import SANDBOX_TABLES
from mockbank.store.scope import RequestScopes

#: Where an entry's per-account statement sequence number is kept in its data.
SEQUENCE_KEY = "_sequence"

#: transIds are numeric strings; they start here so they look like the documented ones.
TRANS_ID_BASE = 254_000_000
#: Larger than any row id (SQLite and PostgreSQL integers end at 2**63-1).
_MAX_ID = 2**63 - 1

#: The meta key of a sandbox's generation token, replaced by every configuration write.
GENERATION = "generation"
#: Meta keys that are not configuration: they change with every request and are never cached.
_COUNTERS = frozenset({"journalSize", "journalDropped", GENERATION})

_NON_FINAL = f"status NOT IN ({', '.join(str(int(s)) for s in sorted(FINAL_STATUSES))})"


class Database(ABC):
    """One database engine: connections, transactions and the few SQL spellings that differ."""

    url: str

    @abstractmethod
    def transaction(self, lock: str) -> AbstractContextManager[None]:
        """A write transaction serialised with every other writer of sandbox ``lock``; nesting joins it."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement (in the current transaction, if any); returns the rows it changed."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement once per row of parameters, batched (in the current transaction, if any)."""

    @abstractmethod
    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an ``INSERT ... RETURNING <key>``; returns the key."""

    @abstractmethod
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]: ...

    @abstractmethod
    def in_list(self, column: str, values: list[str]) -> tuple[str, Any]:
        """A ``column IN (values)`` condition with one parameter, for any number of values."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def outage(self, error: BaseException) -> str | None:
        """One line saying how the database failed to serve, when ``error`` is that (a lost connection, a lock
        held too long, a disk that cannot be written) rather than a mistake in a statement; else None."""

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Mapping[str, Any] | None:
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None


def _dumps(value: Any) -> str:
    return dumps(value, default=journal_value)


def journal_value(value: Any) -> Any:
    """Decimal numbers stay numbers in the journal (a client sending "100.00" differs from 100.00)."""
    try:
        return decimal_to_json(value)
    except TypeError:
        return str(value)


def _id_bound(value: int) -> int:
    """A journal id to compare with, within the database's integers (ids start at 1): any int a caller passes."""
    return min(max(value, 0), _MAX_ID)


def _day(text: str) -> date:
    return date.fromisoformat(text)


class SqlStore:
    """:class:`mockbank.store.base.Store` for one sandbox of a :class:`Database`.

    Configuration (settings, ERPs, accounts, faults) is read through this process's
    :class:`~mockbank.store.scope.RequestScopes`, shared by the stores of every sandbox of the database.
    """

    def __init__(self, database: Database, sandbox_id: str = ROOT, scopes: RequestScopes | None = None):
        self.database = database
        self.sandbox_id = sandbox_id
        self._scopes = scopes or RequestScopes()

    @property
    def url(self) -> str:
        return self.database.url

    def sandbox(self, sandbox_id: str) -> SqlStore:
        return SqlStore(self.database, sandbox_id, self._scopes)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """A write transaction of this sandbox, yielding the database; inside a request, the request's one."""
        scope = self._scopes.current()
        if scope is None:
            with self.database.transaction(self.sandbox_id):
                yield self.database
            return
        if scope.transaction is None:  # the request's first write: its one transaction begins
            transaction = self.database.transaction(self.sandbox_id)
            transaction.__enter__()  # kept only once begun: a failed begin leaves the next write to begin anew
            try:
                if scope.sandbox_id == self.sandbox_id and not self.exists():  # deleted since the request began
                    raise SandboxGone(self.sandbox_id)
            except BaseException as error:
                transaction.__exit__(type(error), error, error.__traceback__)
                raise
            scope.transaction, scope.locked = transaction, {self.sandbox_id}
        scope.depth += 1
        try:
            if self.sandbox_id in scope.locked:
                yield self.database
            else:
                with self.database.transaction(self.sandbox_id):  # joins it, taking this sandbox's lock too
                    scope.locked.add(self.sandbox_id)
                    yield self.database
        except BaseException as error:
            if scope.depth == 1:  # what would have been a transaction of its own failed: undo the request
                self._scopes.abort(error)
            raise
        finally:
            scope.depth -= 1

    # ------------------------------------------------------------------ requests

    def begin_request(self) -> str | None:
        """Start this thread's request on this sandbox; its generation token (None: no bank is stored)."""
        token = self.generation()
        self._scopes.begin(self.sandbox_id, token)
        return token

    def end_request(self, error: BaseException | None = None) -> None:
        self._scopes.end(error)

    def checkpoint(self) -> None:
        self._scopes.checkpoint()

    def exists(self) -> bool:
        """False once this sandbox was deleted (the root bank always exists). Under the sandbox's lock (in a write
        transaction) the answer holds until the transaction ends: deleting a sandbox takes that lock."""
        return self.sandbox_id == ROOT or self._one("SELECT 1 FROM sandboxes WHERE id = ?") is not None

    def generation(self) -> str | None:
        row = self._one("SELECT value FROM meta WHERE sandbox = ? AND key = ?", GENERATION)
        return None if row is None else json.loads(row["value"])

    def _configured(self, db: Database) -> None:
        """In a transaction that writes configuration: a new generation token, and no snapshot is used."""
        self._scopes.changed(self.sandbox_id)
        db.execute("INSERT INTO meta (sandbox, key, value) VALUES (?, ?, ?) ON CONFLICT (sandbox, key) "
                   "DO UPDATE SET value = excluded.value",
                   (self.sandbox_id, GENERATION, json.dumps(secrets.token_hex(8))))

    def _cached(self, key: Any, load: Callable[[], Any]) -> Any:
        return self._scopes.cached(self.sandbox_id, key, load)

    def close(self) -> None:
        self.database.close()

    def outage(self, error: BaseException) -> str | None:
        return self.database.outage(error)

    @property
    def sandboxes(self) -> SqlSandboxes:
        return SqlSandboxes(self.database, self._scopes)

    def _all(self, sql: str, *params: Any) -> list[Mapping[str, Any]]:
        return self.database.fetchall(sql, (self.sandbox_id, *params))

    def _one(self, sql: str, *params: Any) -> Mapping[str, Any] | None:
        return self.database.fetchone(sql, (self.sandbox_id, *params))

    # ------------------------------------------------------------------ sandbox settings

    def get(self, key: str, default: Any = None, *, fresh: bool = False) -> Any:
        def load() -> str | None:
            row = self._one("SELECT value FROM meta WHERE sandbox = ? AND key = ?", key)
            return None if row is None else row["value"]

        text = load() if fresh or key in _COUNTERS else self._cached(("meta", key), load)
        return default if text is None else json.loads(text)  # parsed each time: callers may change it

    def derived(self, key: str, derive: Callable[[], Any]) -> Any:
        return self._cached(("derived", key), derive)

    def put(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            if key not in _COUNTERS:
                self._configured(db)
            db.execute("INSERT INTO meta (sandbox, key, value) VALUES (?, ?, ?) ON CONFLICT (sandbox, key) "
                       "DO UPDATE SET value = excluded.value", (self.sandbox_id, key, _dumps(value)))

    def wipe(self) -> None:
        with self.transaction() as db:
            for table in SANDBOX_TABLES:
                db.execute(f"DELETE FROM {table} WHERE sandbox = ?", (self.sandbox_id,))
            self._configured(db)

    # ------------------------------------------------------------------ ERPs and accounts

    def add_erp(self, erp: Erp) -> None:
        with self.transaction() as db:
            self._configured(db)
            db.execute("INSERT INTO erps (sandbox, service_provider, api_key, progression) VALUES (?, ?, ?, ?)",
                       (self.sandbox_id, erp.service_provider, erp.api_key, erp.progression))

    def erp(self, service_provider: str) -> Erp | None:
        return self._erps().get(service_provider)

    def erps(self) -> list[Erp]:
        return list(self._erps().values())

    def _erps(self) -> dict[str, Erp]:
        return self._cached("erps", lambda: {
            row["service_provider"]: Erp(row["service_provider"], row["api_key"], row["progression"])
            for row in self._all("SELECT * FROM erps WHERE sandbox = ? ORDER BY service_provider")})

    def add_account(self, account: Account) -> None:
        data = {"name": account.name, "bic": account.bic, "owner": account.owner}
        with self.transaction() as db:
            self._configured(db)
            position = db.fetchone("SELECT COUNT(*) AS n FROM accounts WHERE sandbox = ?", (self.sandbox_id,))["n"]
            db.execute("INSERT INTO accounts (sandbox, account, service_provider, integration_code, currency, data, "
                       "opening_cents, progression, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (self.sandbox_id, account.account, account.service_provider, account.integration_code,
                        account.currency, _dumps(data), to_cents(account.opening_balance), account.progression,
                        position))

    @staticmethod
    def _account(row: Mapping[str, Any]) -> Account:
        data = json.loads(row["data"])
        return Account(account=row["account"], integration_code=row["integration_code"],
                       service_provider=row["service_provider"], currency=row["currency"],
                       name=data.get("name", ""), bic=data.get("bic", ""), owner=data.get("owner") or {},
                       opening_balance=from_cents(row["opening_cents"]), progression=row["progression"])

    def account(self, number: str) -> Account | None:
        return self._accounts().get(number)

    def accounts(self) -> list[Account]:
        return list(self._accounts().values())

    def _accounts(self) -> dict[str, Account]:
        return self._cached("accounts", lambda: {
            row["account"]: self._account(row)
            for row in self._all("SELECT * FROM accounts WHERE sandbox = ? ORDER BY position")})

    def set_account_progression(self, number: str, mode: str | None) -> bool:
        with self.transaction() as db:
            self._configured(db)
            return db.execute("UPDATE accounts SET progression = ? WHERE sandbox = ? AND account = ?",
                              (mode, self.sandbox_id, number)) > 0

    # ------------------------------------------------------------------ statement entries

    def add_entries(self, account: str, entries: Iterable[NewEntry]) -> None:
        """Book many entries at once, in the given order (seeding a statement history)."""
        with self.transaction() as db:
            count = int(self._one("SELECT COUNT(*) AS n FROM entries WHERE sandbox = ? AND account = ?", account)["n"])
            db.executemany("INSERT INTO entries (sandbox, account, entry_id, booking, value, amount_cents, data) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(self.sandbox_id, account, entry.entry_id, entry.booking.isoformat(),
                             entry.value.isoformat(), to_cents(entry.amount),
                             _dumps({**entry.details, SEQUENCE_KEY: count + number}))
                            for number, entry in enumerate(entries, start=1)])

    def add_entry(self, account: str, entry_id: str, booking: date, value: date, amount: Decimal,
                  details: dict[str, Any]) -> int:
        with self.transaction() as db:
            # The statement's "sequence" numbers an account's entries 1, 2, 3, ... without gaps; ``seq`` is
            # shared by every account and sandbox, so it is not that number.
            count = self._one("SELECT COUNT(*) AS n FROM entries WHERE sandbox = ? AND account = ?", account)
            details = {**details, SEQUENCE_KEY: int(count["n"]) + 1}
            return db.insert("INSERT INTO entries (sandbox, account, entry_id, booking, value, amount_cents, data) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                             (self.sandbox_id, account, entry_id, booking.isoformat(), value.isoformat(),
                              to_cents(amount), _dumps(details)))

    @staticmethod
    def _entry(row: Mapping[str, Any]) -> Entry:
        details = json.loads(row["data"])
        sequence = details.pop(SEQUENCE_KEY, row["seq"])  # entries of an older database keep seq
        return Entry(seq=row["seq"], account=row["account"], entry_id=row["entry_id"], booking=_day(row["booking"]),
                     value=_day(row["value"]), amount=from_cents(row["amount_cents"]), details=details,
                     sequence=sequence)

    def entries(self, account: str, first: date, last: date) -> list[Entry]:
        rows = self._all("SELECT * FROM entries WHERE sandbox = ? AND account = ? AND booking BETWEEN ? AND ? "
                         "ORDER BY booking, seq", account, first.isoformat(), last.isoformat())
        return [self._entry(row) for row in rows]

    def _sum(self, condition: str, account: str, *params: Any) -> Decimal:
        row = self._one(f"SELECT COALESCE(SUM(amount_cents), 0) AS total FROM entries WHERE sandbox = ? "
                        f"AND account = ? AND {condition}", account, *params)
        return from_cents(int(row["total"]))

    def sum_before(self, account: str, day: date) -> Decimal:
        return self._sum("booking < ?", account, day.isoformat())

    def sum_through(self, account: str, day: date) -> Decimal:
        return self._sum("booking <= ?", account, day.isoformat())

    def sum_through_entry(self, account: str, day: date, seq: int) -> Decimal:
        return self._sum("(booking < ? OR (booking = ? AND seq <= ?))", account, day.isoformat(), day.isoformat(), seq)

    def daily_sums(self, account: str, first: date, last: date) -> dict[date, Decimal]:
        rows = self._all("SELECT booking, SUM(amount_cents) AS total FROM entries WHERE sandbox = ? AND account = ? "
                         "AND booking BETWEEN ? AND ? GROUP BY booking", account, first.isoformat(), last.isoformat())
        return {_day(row["booking"]): from_cents(int(row["total"])) for row in rows}

    def unfetched_entries(self, service_provider: str, account: str, last: date) -> list[Entry]:
        with self.transaction() as db:
            rows = self._all("SELECT * FROM entries e WHERE sandbox = ? AND account = ? AND booking <= ? AND NOT "
                             "EXISTS (SELECT 1 FROM fetched f WHERE f.service_provider = ? AND f.seq = e.seq) "
                             "ORDER BY booking, seq", account, last.isoformat(), service_provider)
            for row in rows:
                db.execute("INSERT INTO fetched (sandbox, service_provider, seq) VALUES (?, ?, ?)",
                           (self.sandbox_id, service_provider, row["seq"]))
            return [self._entry(row) for row in rows]

    # ------------------------------------------------------------------ payments

    def new_trans_id(self, account: str, request_id: str) -> str:
        with self.transaction() as db:
            key = db.insert("INSERT INTO transfers (sandbox, account, request_id) VALUES (?, ?, ?) RETURNING trans_id",
                            (self.sandbox_id, account, request_id))
            return str(TRANS_ID_BASE + key)

    @staticmethod
    def _payment_document(payment: Payment) -> str:
        return _dumps({
            "requestId": payment.request_id, "transaction": payment.transaction, "outcome": payment.outcome.to_json(),
            "amount": None if payment.amount is None else str(payment.amount), "currency": payment.currency,
            "paymentDate": payment.payment_date.isoformat() if payment.payment_date else None,
            "errors": payment.errors, "warnings": payment.warnings, "history": payment.history,
            "created": payment.created.isoformat(), "bookedSeq": payment.booked_seq,
            "transacted": None if payment.transacted is None else {"amount": str(payment.transacted[0]),
                                                                    "currency": payment.transacted[1]},
            "accountCurrency": payment.account_currency, "duplicate": payment.duplicate})

    @staticmethod
    def _payment(row: Mapping[str, Any]) -> Payment:
        data = json.loads(row["data"])
        transacted = data.get("transacted")
        return Payment(
            account=row["account"], payment_id=row["payment_id"], trans_id=row["trans_id"],
            end_to_end_id=row["end_to_end_id"], request_id=data["requestId"], transaction=data["transaction"],
            outcome=Outcome.from_json(data["outcome"]), status=PaymentStatus(row["status"]),
            created=datetime.fromisoformat(data["created"]), changed_at=datetime.fromisoformat(row["changed_at"]),
            amount=None if data["amount"] is None else Decimal(data["amount"]), currency=data["currency"],
            payment_date=_day(data["paymentDate"]) if data["paymentDate"] else None, step=row["step"],
            errors=data["errors"], warnings=data["warnings"], history=data["history"], booked_seq=data["bookedSeq"],
            transacted=(Decimal(transacted["amount"]), transacted["currency"]) if transacted else None,
            account_currency=data.get("accountCurrency", ""), duplicate=bool(data.get("duplicate")),
            row_id=row["id"])

    def add_payment(self, payment: Payment) -> Payment:
        with self.transaction() as db:
            row_id = db.insert("INSERT INTO payments (sandbox, account, payment_id, trans_id, end_to_end_id, status, "
                               "step, changed_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                               (self.sandbox_id, payment.account, payment.payment_id, payment.trans_id,
                                payment.end_to_end_id, int(payment.status), payment.step,
                                payment.changed_at.isoformat(), self._payment_document(payment)))
        return replace(payment, row_id=row_id)

    def update_payment(self, payment: Payment) -> None:
        with self.transaction() as db:
            db.execute("UPDATE payments SET status = ?, step = ?, changed_at = ?, data = ? WHERE id = ?",
                       (int(payment.status), payment.step, payment.changed_at.isoformat(),
                        self._payment_document(payment), payment.row_id))

    def payments(self, account: str | None = None, payment_ids: list[str] | None = None,
                 trans_id: str | None = None, non_final_only: bool = False) -> list[Payment]:
        clauses, params = ["sandbox = ?"], [self.sandbox_id]
        if account is not None:
            clauses.append("account = ?")
            params.append(account)
        if payment_ids is not None:
            condition, value = self.database.in_list("payment_id", payment_ids)
            clauses.append(condition)
            params.append(value)
        if trans_id is not None:
            clauses.append("trans_id = ?")
            params.append(trans_id)
        if non_final_only:
            clauses.append(_NON_FINAL)
        rows = self.database.fetchall(f"SELECT * FROM payments WHERE {' AND '.join(clauses)} ORDER BY id", params)
        return [self._payment(row) for row in rows]

    def payment_exists(self, account: str, payment_id: str) -> bool:
        return self._one("SELECT 1 AS found FROM payments WHERE sandbox = ? AND account = ? AND payment_id = ? LIMIT 1",
                         account, payment_id) is not None

    # ------------------------------------------------------------------ journal

    def journal_append(self, entry: dict[str, Any], keep: int | None = None) -> int:
        """Append an entry; with ``keep``, the oldest entries beyond that many are dropped (and counted)."""
        with self.transaction() as db:
            entry_id = db.insert("INSERT INTO journal (sandbox, entry) VALUES (?, ?) RETURNING id",
                                 (self.sandbox_id, dumps_object(entry, journal_value)))
            if keep is not None:
                size = int(db.insert("INSERT INTO meta (sandbox, key, value) VALUES (?, 'journalSize', '1') "
                                     "ON CONFLICT (sandbox, key) DO UPDATE SET "
                                     "value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT) RETURNING value",
                                     (self.sandbox_id,)))
                if size > keep:  # drop a tenth at once, so trimming is rare and the journal never exceeds keep
                    excess = size - keep + keep // 10
                    dropped = db.execute("DELETE FROM journal WHERE id IN (SELECT id FROM journal WHERE sandbox = ? "
                                         "ORDER BY id LIMIT ?)", (self.sandbox_id, excess))
                    size -= dropped
                    self.put("journalDropped", self.get("journalDropped", 0) + dropped)
                    self.put("journalSize", size)
            return entry_id

    def journal(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, entry FROM journal WHERE sandbox = ? AND id > ? ORDER BY id"
        params: list[Any] = [_id_bound(since)]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [{"id": row["id"], **json.loads(row["entry"])} for row in self._all(sql, *params)]

    def journal_newest(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        rows = self._all("SELECT id, entry FROM journal WHERE sandbox = ? AND id < ? ORDER BY id DESC LIMIT ?",
                         _MAX_ID if before is None else _id_bound(before), limit)
        return [{"id": row["id"], **json.loads(row["entry"])} for row in rows]

    def journal_clear(self) -> int:
        with self.transaction() as db:
            self.put("journalSize", 0)
            return db.execute("DELETE FROM journal WHERE sandbox = ?", (self.sandbox_id,))

    def journal_dropped(self) -> int:
        """Entries dropped from the journal to keep it within its size limit."""
        return self.get("journalDropped", 0)

    # ------------------------------------------------------------------ faults

    def add_fault(self, spec: dict[str, Any], remaining: int | None) -> int:
        with self.transaction() as db:
            self._configured(db)
            return db.insert("INSERT INTO faults (sandbox, spec, remaining) VALUES (?, ?, ?) RETURNING id",
                             (self.sandbox_id, json.dumps(spec), remaining))

    def faults(self) -> list[dict[str, Any]]:
        rows = self._cached("faults", lambda: [(row["id"], row["remaining"], row["spec"]) for row in
                                               self._all("SELECT * FROM faults WHERE sandbox = ? ORDER BY id")])
        return [{"id": fault_id, "remaining": remaining, **json.loads(spec)} for fault_id, remaining, spec in rows]

    def clear_faults(self) -> int:
        with self.transaction() as db:
            self._configured(db)
            return db.execute("DELETE FROM faults WHERE sandbox = ?", (self.sandbox_id,))

    def take_fault(self, fault_id: int) -> bool:
        with self.transaction() as db:
            row = db.fetchone("SELECT remaining FROM faults WHERE id = ? AND sandbox = ?", (fault_id, self.sandbox_id))
            if row is None:
                return False
            if row["remaining"] is None:
                return True
            self._configured(db)
            if row["remaining"] <= 1:
                db.execute("DELETE FROM faults WHERE id = ?", (fault_id,))
            else:
                db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (fault_id,))
            return True


class SqlSandboxes:
    """The sandboxes of a database: their records, and deleting one with all its rows."""

    def __init__(self, database: Database, scopes: RequestScopes):
        self.database = database
        self._scopes = scopes

    @staticmethod
    def _record(row: Mapping[str, Any]) -> SandboxRecord:
        return SandboxRecord(id=row["id"], created_at=datetime.fromisoformat(row["created_at"]),
                             last_used_at=datetime.fromisoformat(row["last_used_at"]),
                             expires_at=datetime.fromisoformat(row["expires_at"]), ttl_seconds=row["ttl_seconds"],
                             fixture=json.loads(row["fixture"]), options=json.loads(row["options"]))

    def add(self, record: SandboxRecord) -> None:
        with self.database.transaction(record.id):
            self.database.execute(
                "INSERT INTO sandboxes (id, created_at, last_used_at, expires_at, ttl_seconds, fixture, options) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.id, record.created_at.isoformat(), record.last_used_at.isoformat(),
                 record.expires_at.isoformat(), record.ttl_seconds, _dumps(record.fixture), _dumps(record.options)))

    def get(self, sandbox_id: str) -> SandboxRecord | None:
        row = self.database.fetchone("SELECT * FROM sandboxes WHERE id = ?", (sandbox_id,))
        return None if row is None else self._record(row)

    def all(self) -> list[SandboxRecord]:
        return [self._record(row) for row in self.database.fetchall("SELECT * FROM sandboxes ORDER BY created_at, id")]

    def touch(self, sandbox_id: str, now: datetime, expires_at: datetime) -> None:
        with self.database.transaction(sandbox_id):
            self.database.execute("UPDATE sandboxes SET last_used_at = ?, expires_at = ? WHERE id = ?",
                                  (now.isoformat(), expires_at.isoformat(), sandbox_id))

    def remove(self, sandbox_id: str, expired_by: datetime | None = None) -> bool:
        """Delete a sandbox and every row of its bank; False if there was none. With ``expired_by``, only if it
        has expired by then (another process may have just used it)."""
        self._scopes.changed(sandbox_id)
        with self.database.transaction(sandbox_id):
            condition, params = ("", ()) if expired_by is None else (" AND expires_at <= ?", (expired_by.isoformat(),))
            if self.database.execute(f"DELETE FROM sandboxes WHERE id = ?{condition}", (sandbox_id, *params)) == 0:
                return False
            for table in SANDBOX_TABLES:
                self.database.execute(f"DELETE FROM {table} WHERE sandbox = ?", (sandbox_id,))
            return True

    def expired(self, now: datetime) -> list[str]:
        return [row["id"] for row in self.database.fetchall("SELECT id FROM sandboxes WHERE expires_at <= ?",
                                                            (now.isoformat(),))]
