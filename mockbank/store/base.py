"""The store interface: every piece of the bank's mutable state, for one sandbox.

The bank depends on :class:`Store` only; :mod:`mockbank.store.sql` implements it over SQLite and
PostgreSQL. A store is bound to one sandbox (``""`` is the root bank); :meth:`Store.sandbox` gives the
store of another one on the same database. Writes made inside :meth:`Store.transaction` commit together;
inside a request (:meth:`Store.begin_request`) all of the request's writes commit together at its end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from mockbank.models import Account, Entry, Erp, Payment

T = TypeVar("T")

#: The root bank's sandbox id.
ROOT = ""


class StoreError(RuntimeError):
    """The database cannot be used (wrong schema version, unreachable server, ...); the message says what to do."""


_PASSWORD_PARAMETER = re.compile(r"(?i)(\bpassword=)[^&\s]*")


def redact_url(url: str) -> str:
    """A database URL without its password (in the user part or a ``password=`` parameter), for messages."""
    scheme, separator, rest = url.partition("://")
    if separator:
        credentials, at, location = rest.rpartition("@")
        if at and ":" in credentials:
            rest = f"{credentials.split(':', 1)[0]}:***@{location}"
    return _PASSWORD_PARAMETER.sub(r"\1***", f"{scheme}{separator}{rest}")


@dataclass(frozen=True)
class NewEntry:
    """A statement entry to book (its sequence numbers are given by the store)."""

    entry_id: str
    booking: date
    value: date
    amount: Decimal
    details: dict[str, Any]


@dataclass(frozen=True)
class SandboxRecord:
    """A sandbox as stored: when it was made and used, when it expires, and what it was made from."""

    id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    ttl_seconds: int
    fixture: dict[str, Any]  # the fixture document its bank is seeded from (credentials included)
    options: dict[str, Any]  # clock, frozenClock, progression as given at creation


class Sandboxes(Protocol):
    """Every sandbox of a database."""

    def add(self, record: SandboxRecord) -> None: ...
    def get(self, sandbox_id: str) -> SandboxRecord | None: ...
    def all(self) -> list[SandboxRecord]: ...
    def touch(self, sandbox_id: str, now: datetime, expires_at: datetime) -> None: ...
    def remove(self, sandbox_id: str, expired_by: datetime | None = None) -> bool:
        """Delete a sandbox and every row of its bank; False if there was none (or, with ``expired_by``, it had
        not expired by then)."""

    def expired(self, now: datetime) -> list[str]: ...


class Store(Protocol):
    """Mutable state of one sandbox."""

    sandbox_id: str

    def sandbox(self, sandbox_id: str) -> Store:
        """The store of another sandbox on the same database."""

    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction; nested use joins the outer one."""

    def close(self) -> None:
        """Release the database (a throwaway ``:memory:`` database is deleted)."""

    def outage(self, error: BaseException) -> str | None:
        """One line saying how the database failed to serve, when ``error`` is that; None for any other error."""

    # one request of this thread (see mockbank.store.scope)
    def begin_request(self) -> str | None:
        """Start a request: until :meth:`end_request`, its transactions join one, and configuration is read
        from a snapshot checked once, now. Returns the sandbox's generation token (None: no bank stored)."""

    def end_request(self, error: BaseException | None = None) -> None:
        """Commit the request's one transaction (roll it back after ``error``)."""

    def checkpoint(self) -> None:
        """Commit what the request wrote so far, before a long pause (an injected delay)."""

    def exists(self) -> bool:
        """False once this sandbox was deleted; a request's write then raises :class:`~mockbank.errors.SandboxGone`."""

    @property
    def sandboxes(self) -> Sandboxes:
        """Every sandbox of the database (not only this one)."""

    # settings of the sandbox (clock, progression, seeded flag)
    def get(self, key: str, default: Any = None, *, fresh: bool = False) -> Any:
        """A setting of the sandbox; ``fresh`` reads the database, not this request's snapshot."""

    def put(self, key: str, value: Any) -> None: ...
    def derived(self, key: str, derive: Callable[[], T]) -> T:
        """``derive()``, an immutable value computed from the sandbox's configuration only: within a request,
        computed once per configuration generation and shared; outside one, computed each time."""

    def wipe(self) -> None:
        """Delete every row of this sandbox (the caller seeds it again in the same transaction)."""

    # ERPs and accounts
    def add_erp(self, erp: Erp) -> None: ...
    def erp(self, service_provider: str) -> Erp | None: ...
    def erps(self) -> list[Erp]: ...
    def add_account(self, account: Account) -> None: ...
    def account(self, number: str) -> Account | None: ...
    def accounts(self) -> list[Account]: ...
    def set_account_progression(self, number: str, mode: str | None) -> bool: ...

    # statement entries
    def add_entry(self, account: str, entry_id: str, booking: date, value: date, amount: Decimal,
                  details: dict[str, Any]) -> int:
        """Book an entry; returns its sequence number."""

    def add_entries(self, account: str, entries: Iterable[NewEntry]) -> None:
        """Book many entries at once, in the given order (seeding a statement history)."""

    def entries(self, account: str, first: date, last: date) -> list[Entry]: ...
    def sum_before(self, account: str, day: date) -> Decimal: ...
    def sum_through(self, account: str, day: date) -> Decimal: ...
    def sum_through_entry(self, account: str, day: date, seq: int) -> Decimal: ...
    def daily_sums(self, account: str, first: date, last: date) -> dict[date, Decimal]: ...
    def unfetched_entries(self, service_provider: str, account: str, last: date) -> list[Entry]:
        """Entries up to ``last`` this ERP has not fetched with ``newOnly`` yet, now marked fetched."""

    # payments
    def new_trans_id(self, account: str, request_id: str) -> str: ...
    def add_payment(self, payment: Payment) -> Payment: ...
    def update_payment(self, payment: Payment) -> None: ...
    def payments(self, account: str | None = None, payment_ids: list[str] | None = None,
                 trans_id: str | None = None, non_final_only: bool = False) -> list[Payment]: ...
    def payment_exists(self, account: str, payment_id: str) -> bool: ...

    # journal
    def journal_append(self, entry: dict[str, Any], keep: int | None = None) -> int:
        """Append an entry; with ``keep``, the oldest entries beyond that many are dropped (and counted)."""

    def journal_dropped(self) -> int: ...
    def journal(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]: ...
    def journal_newest(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` entries older than id ``before`` (all when None), newest first."""

    def journal_clear(self) -> int: ...

    # faults
    def add_fault(self, spec: dict[str, Any], remaining: int | None) -> int: ...
    def faults(self) -> list[dict[str, Any]]: ...
    def clear_faults(self) -> int: ...
    def take_fault(self, fault_id: int) -> bool:
        """Use up one hit of a fault; False if another request took its last one first."""

