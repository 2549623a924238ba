"""Payment rules: what makes a transaction one the bank can execute, each failure with its ISO 20022 reason.

Each check returns a list of ``{"code", "field", "text"}`` errors; an empty list means the transaction passes.
The Danish rules live beside this module: FI/FIK strings in :mod:`mockbank.fik`, urgency, cut-off times,
express limits and the TARGET2 calendar in :mod:`mockbank.execution`. :data:`CATALOGUE` lists every rule
as ``GET /_mock/magic`` serves it (``paymentRules``) and the README documents it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from mockbank import fik
from mockbank.money import EXCHANGE_RATES, MAX_AMOUNT, convert, iban_is_valid, round_cents

_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
_DIGITS = re.compile(r"[0-9]{6,14}")


def transaction_errors(transaction: dict[str, Any], amount: Decimal | None,
                       fik_rules: fik.FikRules = fik.FikRules(),
                       account_currency: str | None = None) -> list[dict[str, str]]:
    """Amount, currency and creditor account of one (schema-valid) transaction from an account in
    ``account_currency`` (an amount that converts to 0.00 in it fails like 0)."""
    errors = []
    if amount is None or amount <= 0:
        errors.append({"code": "AM01" if amount == 0 else "AM12", "field": "amount",
                       "text": f"amount {transaction.get('amount')!s} must be a positive number"})
    elif amount >= MAX_AMOUNT:
        errors.append({"code": "AM02", "field": "amount",
                       "text": f"amount {transaction.get('amount')!s} is too large (the limit is {MAX_AMOUNT:f})"})
    elif round_cents(amount) == 0:  # the bank pays and books amounts rounded to two decimals
        errors.append({"code": "AM01", "field": "amount",
                       "text": f"amount {transaction.get('amount')!s} is 0.00 rounded to two decimals: it must be a "
                               "positive number"})
    elif (account_currency in EXCHANGE_RATES and transaction.get("currency") in EXCHANGE_RATES
          and convert(amount, transaction["currency"], account_currency) == 0):
        errors.append({"code": "AM01", "field": "amount",
                       "text": f"amount {transaction.get('amount')!s} {transaction['currency']} is 0.00 "
                               f"{account_currency} in the account's currency: it must be a positive number"})
    if transaction.get("currency") not in EXCHANGE_RATES:
        errors.append({"code": "AM03", "field": "currency",
                       "text": f"currency {transaction.get('currency')!r} is not supported "
                               f"({', '.join(EXCHANGE_RATES)})"})
    account = str(transaction.get("account", ""))
    if fik.looks_like_fik(account):
        return errors + fik.problems(account, fik_rules)
    problem = creditor_account_problem(account)
    if problem:
        errors.append({"code": "AC01", "field": "account", "text": problem})
    return errors


def creditor_account_problem(account: str) -> str | None:
    """Why a creditor account string is not one the bank can pay to, or None."""
    text = account.strip()
    compact = text.replace(" ", "").upper()
    if _IBAN.fullmatch(compact):
        return None if iban_is_valid(compact) else f"IBAN {text!r} has wrong check digits"
    if _DIGITS.fullmatch(text):
        return None
    return (f"creditor account {text!r} is not a BBAN (reg.no + account no, up to 14 digits), an IBAN, "
            "or an FI/FIK string like +71<reference+creditorno<")


def _rule(name: str, field: str, code: str, description: str, status: int = 32) -> dict[str, Any]:
    return {"name": name, "field": field, "status": status, "code": code, "description": description}


#: Every check a payment must pass; each failure answers the payment with ``status`` and ``code``.
CATALOGUE: tuple[dict[str, Any], ...] = (
    _rule("amount-positive", "amount", "AM12", "amount must be a positive number (0, or one that rounds to 0.00, "
                                                 "also in the account's currency: AM01)"),
    _rule("amount-limit", "amount", "AM02", f"amount must be below {MAX_AMOUNT:f}"),
    _rule("currency-supported", "currency", "AM03", f"currency must be one of {', '.join(EXCHANGE_RATES)}"),
    _rule("creditor-account", "account", "AC01", "account must be a BBAN (up to 14 digits), an IBAN with valid "
                                                 "check digits, or an FI string"),
    _rule("fik-card-type", "account", fik.CREDITOR_REASON, "an FI string's card type is one of +01, +04, +15, "
                                                          "+71, +73, +75"),
    _rule("fik-reference-length", "account", fik.REFERENCE_REASON,
          "the payment reference has 15 digits on +71, 16 on +75 and +04, up to 16 on +15, none on +01 and +73"),
    _rule("fik-check-digit", "account", fik.REFERENCE_REASON,
          "the last digit of a +71, +75 or +04 payment reference is its modulus-10 check digit (weights 2, 1, "
          "2, ... from the right, digit sums)"),
    _rule("fik-creditor-number", "account", fik.CREDITOR_REASON,
          "the creditor number of +71, +73, +75 has 8 digits (with --fik-creditor-prefix: starting with it); "
          "the giro account of +01, +04, +15 has 7 or 8 digits"),
    _rule("payment-date-past", "paymentDate", "DT01", "a paymentDate before today fails unless "
                                                      "moveToNextBankDate moves it to today"),
    _rule("bank-day", "paymentDate", "DT01", "a paymentDate on a weekend or Danish bank holiday fails unless "
                                             "moveToNextBankDate moves it to the next bank day"),
    _rule("target2-day", "paymentDate", "DT01", "an EUR paymentDate must also be a TARGET2 business day (closed "
                                                "1 January, Good Friday, Easter Monday, 1 May, 25 and 26 "
                                                "December); moveToNextBankDate moves it"),
    _rule("cut-off", "paymentDate", "TM01", "a payment dated today that arrives after its urgency's cut-off "
                                            "(Danish time) fails unless moveToNextBankDate moves it to the next "
                                            "bank day"),
    _rule("urgency-known", "urgency", "CH16", "urgency is 1 (Normal), 2 (SameDay) or 3 (Express)"),
    _rule("express-currency", "currency", "AM03", "an express payment (urgency 3) is in DKK"),
    _rule("express-limit", "amount", "AM02", "an express payment (urgency 3) is at most the express limit"),
    _rule("duplicate", "paymentId", "DUPL", "a paymentId already received for the account fails unless "
                                            "skipDuplicateCheck"),
)
