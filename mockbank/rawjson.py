"""JSON text written once and placed into a larger document as it is, without parsing and writing it again.

The journal keeps each request's body and answer: the body arrives as JSON text and the answer leaves as
JSON text, so the entry takes both texts as they are (marked :class:`RawJson`) instead of reading them
into Python objects only to write them out again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from mockbank.jsonnumbers import ORJSON_OPTIONS, dumps


class RawJson(str):
    """Text that is one complete JSON value (the caller vouches for it: it was parsed, or json.dumps wrote it).

    Only a top-level value of :func:`dumps_object`'s document is taken as it is; anywhere else it is a string.
    """

    __slots__ = ()


def dumps_object(document: Mapping[str, Any], default: Callable[[Any], Any]) -> str:
    """``document`` (a dict) as JSON text, its keys in order: :class:`RawJson` values as they are, the others as
    :func:`mockbank.jsonnumbers.dumps` writes them with ``default``.

    orjson writes the whole document in one call, each RawJson value placed as an ``orjson.Fragment``; a document
    orjson refuses (an integer beyond 64 bits, a key that is not a string) is written value by value."""
    try:
        return orjson.dumps({key: orjson.Fragment(value.strip()) if isinstance(value, RawJson) else value
                             for key, value in document.items()}, default=default, option=ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return "{" + ",".join(f"{dumps(key)}:{value.strip() if isinstance(value, RawJson) else dumps(value, default)}"
                              for key, value in document.items()) + "}"
