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
