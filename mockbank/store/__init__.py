"""Where the bank keeps its state: :func:`open_store` picks the engine from the ``--db`` value.

- a file path (default ``mockbank.db``) or ``:memory:`` (a throwaway file): SQLite, built in;
- ``postgresql://user:password@host:port/dbname``: PostgreSQL (``pip install 'mockbank[postgres]'``).
"""

from __future__ import annotations

from mockbank.store.base import ROOT, NewEntry, Store, StoreError, redact_url
from mockbank.store.sql import SqlStore
from mockbank.store.sqlite import MEMORY

__all__ = ["MEMORY", "ROOT", "NewEntry", "Store", "StoreError", "is_postgres_url", "open_store", "redact_url"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def open_store(url: str = MEMORY) -> SqlStore:
    """The root bank's store on the database at ``url``; StoreError saying what to do if it cannot be used."""
    if is_postgres_url(url):
        try:
            from mockbank.store.postgres import PostgresDatabase
        except ImportError as error:
            raise StoreError(f"--db {redact_url(url)}: PostgreSQL support is not installed ({error.name} is "
                             "missing): pip install 'mockbank[postgres]'") from None
        return SqlStore(PostgresDatabase(url))
    from mockbank.store.sqlite import SqliteDatabase

    return SqlStore(SqliteDatabase(url))

