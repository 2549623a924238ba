"""Decimal amounts written as JSON numbers (the ``default`` of every ``json.dumps`` in mockbank)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

#: Beyond this exponent a number is written as text: int() would spell out every digit, float() gives inf.
LARGEST_EXPONENT = 300


def decimal_to_json(value: Any) -> Any:
    """A finite Decimal as an int (no fraction written) or a float; TypeError for anything else."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() <= LARGEST_EXPONENT:
        whole = value == value.to_integral_value() and value.as_tuple().exponent >= 0
        return int(value) if whole else float(value)
    raise TypeError(f"{type(value).__name__} {value!s:.40} cannot be written as a JSON number")


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
