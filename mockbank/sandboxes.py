"""Sandboxes: isolated banks inside one server, each with its own ERPs, accounts, payments, clock, faults,
progression and journal, on the same database (so every process serving it sees every sandbox).

A sandbox is made from a fixture document (the server's fixtures with fresh API keys and integration codes,
or one given inline) and lives until it is deleted or has not been used for its time to live.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from mockbank import clock, fixtures, signing
from mockbank.bank import Bank
from mockbank.errors import InvalidRequest, NotFound
from mockbank.jsonnumbers import json_integer
from mockbank.settings import Settings
from mockbank.store import Store
from mockbank.store.base import SandboxRecord

#: A sandbox's last use is written at most this often (every request would cost a write), and at least twice
#: per time to live.
TOUCH_INTERVAL = timedelta(seconds=60)


def touch_interval(ttl_seconds: float) -> timedelta:
    """How long a sandbox's uses may go unwritten. Its expiry is written that much later than its time to live
    after the last written use, so that unwritten uses never let it expire early (it may live that much longer)."""
    return min(TOUCH_INTERVAL, timedelta(seconds=ttl_seconds / 2))


def _expiry(now: datetime, ttl_seconds: float) -> datetime:
    return now + timedelta(seconds=ttl_seconds) + touch_interval(ttl_seconds)
#: Sandboxes (record and parsed fixture) kept per process: the ones it served last.
KNOWN_SANDBOXES = 256


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SandboxManager:
    """Creates, finds, lists and removes the sandboxes of one store's database."""

    def __init__(self, store: Store, default_document: dict[str, Any], settings: Settings):
        self.store = store
        self.default_document = default_document
        self.settings = settings
        # the sandboxes this process served lately: record and bank (a sandbox's fixture never changes)
        self._known: OrderedDict[str, tuple[SandboxRecord, Bank]] = OrderedDict()

    def create(self, body: dict[str, Any]) -> tuple[SandboxRecord, Bank]:
        """A new sandbox from the fields of ``POST /_mock/sandboxes`` (valid by its schema; all optional), seeded."""
        options = {key: body[key] for key in ("clock", "frozenClock", "progression") if key in body}
        if "clock" in options:
            try:
                start = signing.parse_auth_time(options["clock"])
            except ValueError as error:
                raise InvalidRequest(f"clock: {error}", [{"pointer": "/clock", "reason": str(error)}]) from None
            if not clock.in_range(start):
                raise InvalidRequest(f"clock: {clock.RANGE_TEXT}", [{"pointer": "/clock", "reason": clock.RANGE_TEXT}])
        document = body["fixtures"] if "fixtures" in body else fixtures.fresh_credentials(self.default_document)
        fixture = self._fixture(document)
        ttl = json_integer(body.get("ttlSeconds", self.settings.sandbox_ttl))  # 600.0 is the integer 600
        now = _now()
        record = SandboxRecord(id=secrets.token_hex(6), created_at=now, last_used_at=now,
                               expires_at=_expiry(now, ttl), ttl_seconds=ttl, fixture=document,
                               options=options)
        self.sweep(now)
        bank = Bank(self.store.sandbox(record.id), fixture, self._settings(options))
        with bank.store.transaction():  # a sandbox exists seeded, or not at all
            self.store.sandboxes.add(record)
            bank.reset()
        return record, bank

    def bank(self, sandbox_id: str) -> Bank:
        """The bank of a sandbox, its request begun (see :meth:`Store.begin_request`); its use extends its life.

        NotFound naming it if it is unknown or expired. The sandbox's record is read from the database
        only when this process does not know it, when the sandbox's generation token is gone (another
        process deleted it) or when it looks expired (another process may have extended it).
        """
        now = _now()
        store = self.store.sandbox(sandbox_id)
        stored = store.begin_request() is not None
        known = self._known.get(sandbox_id) if stored else None
        if known is None or known[0].expires_at <= now:
            known = self._load(sandbox_id, now)
        record, bank = known
        self._known.move_to_end(sandbox_id)
        if now - record.last_used_at >= touch_interval(record.ttl_seconds):
            expires_at = _expiry(now, record.ttl_seconds)
            self.store.sandboxes.touch(sandbox_id, now, expires_at)
            self._known[sandbox_id] = (replace(record, last_used_at=now, expires_at=expires_at), bank)
        return bank

    def _load(self, sandbox_id: str, now: datetime) -> tuple[SandboxRecord, Bank]:
        record = self.store.sandboxes.get(sandbox_id)
        if record is None or record.expires_at <= now:
            self._forget(sandbox_id)
            if record is not None:
                self.store.sandboxes.remove(sandbox_id, expired_by=now)
            raise NotFound(f"no sandbox {sandbox_id!r}: it was never created, was deleted, or expired after "
                           "its time to live; create one with POST /_mock/sandboxes",
                           [{"pointer": "/sandbox", "reason": f"{sandbox_id!r} is not a sandbox"}])
        fixture = fixtures.from_document(record.fixture, f"sandbox {sandbox_id}")
        known = self._known[sandbox_id] = (record, Bank(self.store.sandbox(sandbox_id), fixture,
                                                        self._settings(record.options)))
        if len(self._known) > KNOWN_SANDBOXES:
            self._known.popitem(last=False)
        return known

    def all(self) -> list[SandboxRecord]:
        self.sweep(_now())
        return self.store.sandboxes.all()

    def remove(self, sandbox_id: str) -> None:
        self._forget(sandbox_id)
        if not self.store.sandboxes.remove(sandbox_id):
            raise NotFound(f"no sandbox {sandbox_id!r}", [{"pointer": "/sandbox", "reason": "is not a sandbox"}])

    def sweep(self, now: datetime) -> int:
        """Remove every expired sandbox with its rows; returns how many."""
        removed = 0
        for sandbox_id in self.store.sandboxes.expired(now):
            self._forget(sandbox_id)
            removed += self.store.sandboxes.remove(sandbox_id, expired_by=now)
        return removed

    def _forget(self, sandbox_id: str) -> None:
        self._known.pop(sandbox_id, None)

    # ------------------------------------------------------------------ options

    def _settings(self, options: dict[str, Any]) -> Settings:
        return replace(self.settings, clock_start=options.get("clock", self.settings.clock_start),
                       frozen_clock=options.get("frozenClock", self.settings.frozen_clock),
                       progression=options.get("progression", self.settings.progression))

    @staticmethod
    def _fixture(document: Any) -> fixtures.Fixture:
        try:
            return fixtures.from_document(document, "fixtures")
        except fixtures.FixtureError as error:
            raise InvalidRequest(str(error), [{"pointer": "/fixtures", "reason": str(error)}]) from None
