"""JSON text written once and placed into a larger document as it is, without parsing and writing it again.

The journal keeps each request's body and answer: the body arrives as JSON text and the answer leaves as
JSON text, so the entry takes both texts as they are (marked :class:`RawJson`) instead of reading them
into Python objects only to write them out again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any


class RawJson(str):
    """Text that is one complete JSON value (the caller vouches for it: it was parsed, or json.dumps wrote it)."""

    __slots__ = ()


def dumps_object(document: Mapping[str, Any], dumps: Callable[[Any], str]) -> str:
    """``document`` (a dict) as JSON text: its :class:`RawJson` values as they are, the others by ``dumps``."""
    raw = {key: value for key, value in document.items() if isinstance(value, RawJson)}
    if not raw:
        return dumps(document)
    text = dumps({key: value for key, value in document.items() if key not in raw})
    spliced = ",".join(f"{json.dumps(key, ensure_ascii=False)}:{value.strip()}" for key, value in raw.items())
    return ("{" + spliced + "}") if text == "{}" else text[:-1] + "," + spliced + "}"
