"""The tables every storage engine creates, and their version: one bank per sandbox, told apart by a
``sandbox`` column (``""`` is the root bank)."""

from __future__ import annotations

from mockbank.store.base import StoreError

#: The schema this mockbank writes; older databases are migrated on start, newer ones refused.
SCHEMA_VERSION = 2

#: Tables holding a sandbox's data (``sandbox`` column), emptied by a reset or a deletion.
SANDBOX_TABLES = ("meta", "erps", "accounts", "entries", "fetched", "transfers", "payments", "journal", "faults")

#: The schema, with ``{serial}`` for an auto-numbered primary key and ``{int}`` for a 64-bit integer.
SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version {int} NOT NULL);
CREATE TABLE IF NOT EXISTS sandboxes (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, last_used_at TEXT NOT NULL, expires_at TEXT NOT NULL,
    ttl_seconds {int} NOT NULL, fixture TEXT NOT NULL, options TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (
    sandbox TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (sandbox, key));
CREATE TABLE IF NOT EXISTS erps (
    sandbox TEXT NOT NULL, service_provider TEXT NOT NULL, api_key TEXT NOT NULL, progression TEXT,
    PRIMARY KEY (sandbox, service_provider));
CREATE TABLE IF NOT EXISTS accounts (
    sandbox TEXT NOT NULL, account TEXT NOT NULL, service_provider TEXT NOT NULL, integration_code TEXT NOT NULL,
    currency TEXT NOT NULL, data TEXT NOT NULL, opening_cents {int} NOT NULL, progression TEXT,
    position {int} NOT NULL, PRIMARY KEY (sandbox, account));
CREATE TABLE IF NOT EXISTS entries (
    seq {serial}, sandbox TEXT NOT NULL, account TEXT NOT NULL, entry_id TEXT NOT NULL,
    booking TEXT NOT NULL, value TEXT NOT NULL, amount_cents {int} NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_account ON entries (sandbox, account, booking, seq);
CREATE TABLE IF NOT EXISTS fetched (
    sandbox TEXT NOT NULL, service_provider TEXT NOT NULL, seq {int} NOT NULL, PRIMARY KEY (service_provider, seq));
CREATE INDEX IF NOT EXISTS fetched_by_sandbox ON fetched (sandbox);
CREATE TABLE IF NOT EXISTS transfers (
    trans_id {serial}, sandbox TEXT NOT NULL, account TEXT NOT NULL, request_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS transfers_by_sandbox ON transfers (sandbox);
CREATE TABLE IF NOT EXISTS payments (
    id {serial}, sandbox TEXT NOT NULL, account TEXT NOT NULL, payment_id TEXT NOT NULL,
    trans_id TEXT NOT NULL, end_to_end_id TEXT NOT NULL, status {int} NOT NULL, step {int} NOT NULL,
    changed_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS payments_by_id ON payments (sandbox, account, payment_id);
CREATE INDEX IF NOT EXISTS payments_by_trans ON payments (sandbox, account, trans_id);
CREATE TABLE IF NOT EXISTS journal (id {serial}, sandbox TEXT NOT NULL, entry TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS journal_by_sandbox ON journal (sandbox, id);
CREATE TABLE IF NOT EXISTS faults (id {serial}, sandbox TEXT NOT NULL, spec TEXT NOT NULL, remaining {int});
CREATE INDEX IF NOT EXISTS faults_by_sandbox ON faults (sandbox, id);
"""


def check_version(found: int | None, url: str) -> None:
    """Refuse a database written by a newer mockbank, with what to do."""
    if found is not None and found > SCHEMA_VERSION:
        raise StoreError(f"the database {url} was written by a newer mockbank (schema {found}; this mockbank knows "
                         f"schema {SCHEMA_VERSION}): upgrade mockbank, or use another --db")


def schema_for(serial: str, integer: str) -> list[str]:
    """The schema's statements with the engine's spelling of an auto-numbered key and a 64-bit integer."""
    text = SCHEMA.format(serial=serial, int=integer)
    return [statement.strip() for statement in text.split(";") if statement.strip()]
