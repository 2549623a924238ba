"""Danish account numbers as the bank compares them."""

from __future__ import annotations

import re


def normalize_account(account: str) -> str:
    """A Danish BBAN as 14 digits: blanks and dashes removed, left-padded with zeros."""
    compact = re.sub(r"[\s-]", "", account)
    return compact.zfill(14) if compact.isdigit() and len(compact) < 14 else compact
