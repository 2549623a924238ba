"""Payment rules: what makes a transaction one the bank can execute, each failure with its ISO 20022 reason.

Each check returns a list of ``{"code", "field", "text"}`` errors; an empty list means the transaction passes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from mockbank.money import EXCHANGE_RATES, MAX_AMOUNT, iban_is_valid

_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
_FIK = re.compile(r"\+(01|04|15|71|73|75)<([0-9]{0,19})\+([0-9]{8})<")
_DIGITS = re.compile(r"[0-9]{6,14}")
#: FI card types that carry no payment reference (the others need one).
_CARDS_WITHOUT_REFERENCE = ("01", "73")


def transaction_errors(transaction: dict[str, Any], amount: Decimal | None) -> list[dict[str, str]]:
    """Amount, currency and creditor account of one (schema-valid) transaction."""
    errors = []
    if amount is None or amount <= 0:
        errors.append({"code": "AM01" if amount == 0 else "AM12", "field": "amount",
                       "text": f"amount {transaction.get('amount')!s} must be a positive number"})
    elif amount >= MAX_AMOUNT:
        errors.append({"code": "AM02", "field": "amount",
                       "text": f"amount {transaction.get('amount')!s} is too large (the limit is {MAX_AMOUNT:f})"})
    if transaction.get("currency") not in EXCHANGE_RATES:
        errors.append({"code": "AM03", "field": "currency",
                       "text": f"currency {transaction.get('currency')!r} is not supported "
                               f"({', '.join(EXCHANGE_RATES)})"})
    problem = creditor_account_problem(str(transaction.get("account", "")))
    if problem:
        errors.append({"code": "AC01", "field": "account", "text": problem})
    return errors


def creditor_account_problem(account: str) -> str | None:
    """Why a creditor account string is not one the bank can pay to, or None."""
    text = account.strip()
    compact = text.replace(" ", "").upper()
    fik = _FIK.fullmatch(text)
    if fik:
        card, reference = fik.group(1, 2)
        if card in _CARDS_WITHOUT_REFERENCE and reference:
            return f"FI card +{card} carries no payment reference: write +{card}<+creditorno<"
        if card not in _CARDS_WITHOUT_REFERENCE and not reference:
            return f"FI card +{card} needs a payment reference: write +{card}<reference+creditorno<"
        return None
    if _IBAN.fullmatch(compact):
        return None if iban_is_valid(compact) else f"IBAN {text!r} has wrong check digits"
    if _DIGITS.fullmatch(text):
        return None
    return (f"creditor account {text!r} is not a BBAN (reg.no + account no, up to 14 digits), an IBAN, "
            "or an FI/FIK string like +71<reference+creditorno<")
