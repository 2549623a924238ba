"""Money: amounts as the bank reads them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def to_decimal(amount: Any) -> Decimal | None:
    """An amount as sent (JSON number, Decimal, float, int or numeric string) as a Decimal.

    Returns None when it is not a finite number. Floats are read by their shortest repr, so
    ``217.5`` becomes ``Decimal("217.5")`` and not the binary expansion.
    """
    if isinstance(amount, bool) or amount is None:
        return None
    if isinstance(amount, float):
        amount = repr(amount)
    try:
        value = Decimal(str(amount).strip()) if isinstance(amount, str) else Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return value if value.is_finite() else None
