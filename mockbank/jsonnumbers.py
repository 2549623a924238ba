"""Decimal amounts written as JSON numbers, and the JSON text of answers, journal entries and stored payments."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

#: What orjson leaves to ``default`` as the standard library would (it writes datetimes and dataclasses itself).
ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

#: Beyond this exponent a number is written as text: int() would spell out every digit, float() gives inf.
LARGEST_EXPONENT = 300


def decimal_to_json(value: Any) -> Any:
    """A finite Decimal as an int (no fraction written) or a float; TypeError for anything else."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() <= LARGEST_EXPONENT:
        whole = value == value.to_integral_value() and value.as_tuple().exponent >= 0
        return int(value) if whole else float(value)
    raise TypeError(f"{type(value).__name__} {value!s:.40} cannot be written as a JSON number")


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``value`` as compact JSON text, UTF-8 characters as they are, Decimal as numbers (``default`` for other
    types: :func:`decimal_to_json` unless given).

    orjson writes it (several times faster than the standard library, which matters on every request); what
    orjson refuses and the standard library takes (an integer beyond 64 bits, a key that is not a string) is
    written by the standard library.
    """
    default = default or decimal_to_json
    try:
        return orjson.dumps(value, default=default, option=ORJSON_OPTIONS).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default)


def json_integer(value: Any) -> int | None:
    """``value`` as an int when JSON Schema counts it an integer (``5``, ``5.0``, ``5E+1``); None otherwise.

    Booleans are not numbers; integers beyond 10**300 are None (no field of mockbank goes that far).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() <= LARGEST_EXPONENT \
            and value == value.to_integral_value():
        return int(value)
    return None
