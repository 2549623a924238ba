"""JSON text from outside (request bodies, fixture files) read strictly: what JSON and UTF-8 allow, and no NUL.

Python's json module reads more than RFC 8259 allows (NaN, Infinity, lone surrogate escapes such as ``\\ud800``)
and places no limit on nesting; PostgreSQL cannot store a NUL character. Each would fail later, deep in the bank
or at the database, so they are refused here with a reason naming where they are.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from mockbank.schemas import pointer

#: How deep a request body may nest arrays and objects (deeper ones are answered 400, not parsed further).
MAX_DEPTH = 64


class _NotJson(ValueError):
    """NaN, Infinity or -Infinity: Python's json module reads them, JSON has no such values."""


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


#: A JSON escape of a UTF-16 surrogate (``\ud800`` to ``\udfff``): how text that is valid UTF-8 can still spell one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
#: How JSON spells a NUL character (a raw one is not JSON at all).
_NUL_ESCAPE = "\\u0000"


def _needs_a_walk(text: str) -> bool:
    """False when the text can neither nest deeper than :data:`MAX_DEPTH` nor hold a surrogate or a NUL: the usual
    request body, which then need not be walked value by value."""
    if text.count("[") + text.count("{") > MAX_DEPTH or _SURROGATE_ESCAPE.search(text) or _NUL_ESCAPE in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads(text: str) -> Any:
    """Parse JSON from outside (numbers with a fraction or exponent as Decimal) that can be stored and echoed.

    ValueError saying what is wrong for text that is not JSON, and also for what Python's parser lets
    through but JSON (RFC 8259) or UTF-8 does not: NaN/Infinity, lone surrogate escapes (\\ud800), nesting
    deeper than :data:`MAX_DEPTH`, integers over Python's digit limit; and for a NUL character (\\u0000) in a
    string, which no field of the bank holds and PostgreSQL cannot store (refused on every engine alike).
    """
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except _NotJson:
        raise
    except ValueError:  # the only other one: an integer longer than Python converts (sys.get_int_max_str_digits)
        raise ValueError("a number has too many digits") from None
    except RecursionError:
        raise ValueError(f"it is nested deeper than {MAX_DEPTH} levels") from None
    if not _needs_a_walk(text):
        return value
    pending: list[tuple[Any, int, str]] = [(value, 1, "")]
    while pending:
        item, depth, where = pending.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise ValueError(f"it is nested deeper than {MAX_DEPTH} levels")
            for key, child in (item.items() if isinstance(item, dict) else enumerate(item)):
                place = where + pointer([key])
                if isinstance(key, str):
                    _check_text(key, f"the key {place}")
                pending.append((child, depth + 1, place))
        elif isinstance(item, str):
            _check_text(item, f"the string at {where or '/'}")
    return value


def _check_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise ValueError(f"{what} holds a NUL character (\\u0000), which no field of the bank can hold")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode "
                         "text") from None
