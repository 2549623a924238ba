"""What the journal keeps of a request: header values and bodies up to a size, longer ones cut and marked.

A cut value keeps its first bytes (whole UTF-8 characters) and the entry lists it under ``truncated`` as a
JSON pointer with its full size in bytes, e.g. ``{"/headers/X-Junk": 1048576}``.
"""

from __future__ import annotations

from typing import Any

from mockbank.jsonnumbers import dumps
from mockbank.store.sql import journal_value


def _cut(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def bounded_headers(headers: dict[str, str], limit: int, truncated: dict[str, int]) -> dict[str, str]:
    """The headers with every value longer than ``limit`` bytes cut; each cut one noted in ``truncated``."""
    kept = {}
    for name, value in headers.items():
        if len(value) * 4 <= limit:  # no UTF-8 character takes more than 4 bytes
            kept[name] = value
            continue
        size = _size(value)
        if size > limit:
            truncated[f"/headers/{name.replace('~', '~0').replace('/', '~1')}"] = size
            value = _cut(value, limit)
        kept[name] = value
    return kept


def bounded_body(body: Any, limit: int, truncated: dict[str, int]) -> Any:
    """The body as is when its JSON text (as the journal stores it) fits ``limit`` bytes, else the first ``limit``
    bytes of that text."""
    if body is None:
        return None
    text = body if isinstance(body, str) else dumps(body, default=journal_value)
    size = _size(text)
    if size <= limit:
        return body
    truncated["/body"] = size
    return _cut(text, limit)
