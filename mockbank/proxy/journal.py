"""The proxy's journal: every exchange with its signature verdict, newest kept, in this process's memory."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from mockbank.settings import DEFAULT_JOURNAL_MAX


class Journal:
    """Entries with increasing ids, oldest first; at most ``keep`` of them (the oldest are dropped)."""

    def __init__(self, keep: int = DEFAULT_JOURNAL_MAX):
        self._entries: deque[dict[str, Any]] = deque(maxlen=keep)
        self._next_id = 1
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stored = {"id": self._next_id, **entry}
            self._next_id += 1
            self._entries.append(stored)
        return stored

    def entries(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries with an id above ``since``, oldest first, at most ``limit``."""
        with self._lock:
            found = [entry for entry in self._entries if entry["id"] > since]
        return found if limit is None else found[:limit]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count
