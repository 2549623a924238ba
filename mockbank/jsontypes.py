"""How error messages name the JSON type of a value they refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def json_type_name(value: Any) -> str:
    """How an error message names the JSON type of a value ("a number", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
