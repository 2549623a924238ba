"""Requests of a store: one write transaction per request, configuration cached between requests.

A request runs between :meth:`RequestScopes.begin` and :meth:`RequestScopes.end` on its thread:

- every write transaction of the request joins one database transaction, begun by the first of them and
  committed when the request ends (after its journal entry was written), so a request's changes and its
  journal entry are committed together, in the order the requests were served;
- the configuration of its sandbox (clock, progression, ERPs, accounts, faults) comes from a
  :class:`Snapshot` validated once at the start of the request by the sandbox's *generation token*.
  Every configuration write replaces the token in the transaction that changes the configuration, so
  a change made through any process (or host, on PostgreSQL) is seen by every other at its next request.

Values read after a token was read are at least as new as the token; a snapshot is only used while the
database still holds its token, so it never serves configuration older than the database's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Snapshot:
    """Configuration of one sandbox as read while its generation token was ``token``."""

    token: str
    values: dict[Any, Any] = field(default_factory=dict)


@dataclass
class Scope:
    """This thread's request: its sandbox, the snapshot it reads, and its open transaction (if it wrote)."""

    sandbox_id: str
    snapshot: Snapshot | None
    transaction: AbstractContextManager[Any] | None = None
    depth: int = 0  # store transactions entered and not yet left, inside this request
    locked: set[str] = field(default_factory=set)  # sandboxes whose lock the open transaction holds


class RequestScopes:
    """The request scopes and the configuration snapshots of every sandbox of one database, in one process."""

    def __init__(self) -> None:
        self._snapshots: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    # ------------------------------------------------------------------ requests

    def begin(self, sandbox_id: str, token: str | None) -> None:
        """Start this thread's request on ``sandbox_id``, whose generation token was just read."""
        self.end(RuntimeError("abandoned"))  # a request its server left open is rolled back, not joined
        snapshot = None
        if token is not None:
            with self._lock:
                snapshot = self._snapshots.get(sandbox_id)
                if snapshot is None or snapshot.token != token:
                    snapshot = self._snapshots[sandbox_id] = Snapshot(token)
        self._local.scope = Scope(sandbox_id, snapshot)

    def current(self) -> Scope | None:
        return getattr(self._local, "scope", None)

    def end(self, error: BaseException | None) -> None:
        """End this thread's request: commit its transaction, or roll it back after ``error``."""
        scope = self.current()
        if scope is None:
            return
        self._local.scope = None
        _close(scope, error)

    def checkpoint(self) -> None:
        """Commit what this thread's request wrote so far (before a long pause); later writes start anew."""
        scope = self.current()
        if scope is not None:
            _close(scope, None)

    def abort(self, error: BaseException) -> None:
        """Roll back what this thread's request wrote so far; later writes start anew."""
        scope = self.current()
        if scope is not None:
            _close(scope, error)

    # ------------------------------------------------------------------ configuration

    def cached(self, sandbox_id: str, key: Any, load: Callable[[], T]) -> T:
        """``load()``'s value from this request's snapshot, read from the database once per generation."""
        scope = self.current()
        snapshot = scope.snapshot if scope is not None and scope.sandbox_id == sandbox_id else None
        if snapshot is None:
            return load()
        try:
            return snapshot.values[key]
        except KeyError:
            value = snapshot.values[key] = load()
            return value

    def changed(self, sandbox_id: str) -> None:
        """The configuration of ``sandbox_id`` was written: no snapshot of it is used any more."""
        with self._lock:
            self._snapshots.pop(sandbox_id, None)
        scope = self.current()
        if scope is not None and scope.sandbox_id == sandbox_id:
            scope.snapshot = None


def _close(scope: Scope, error: BaseException | None) -> None:
    transaction, scope.transaction = scope.transaction, None
    scope.locked = set()  # a later write begins a transaction of its own, with its lock
    if transaction is None:
        return
    if error is None:
        transaction.__exit__(None, None, None)
    else:
        transaction.__exit__(type(error), error, error.__traceback__)
