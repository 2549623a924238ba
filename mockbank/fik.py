"""FI/FIK payment strings (Danish "indbetalingskort"): card types, payment references, check digits.

A creditor ``account`` of the form ``+CC<reference+creditor<`` (or ``+CC<+creditor<`` for card types
without a reference) names an inpayment form. What the bank checks, and where each fact comes from:

- Card types +71 and +75 carry a payment reference ("betalingsID") of 15 and 16 digits; +73 carries
  none (the payer's name identifies the payment): giro-kort.dk "Betalingsidentifikation" (FI-kort page 3)
  and formula-digital.dk "FIK kortartkoder" agree.
- The reference is a running number followed by a modulus-10 check digit ("Kontrolcifferet er
  modulusberegnet", dantryk.dk FAQ "BetalingsID"). The weights are 2, 1, 2, ... from the right with the
  digit sum of each product (the Luhn scheme): the open-source Danish ERP *Saldi* computes the +71 check
  digit so (``modulus_10`` in its invoice code). One public page (Uniconta's help "Setting up FIK code")
  calls it a "modulus 8 check"; its own example 004040400000669 passes modulus 10 and not modulus 8, so
  modulus 10 is used.
- The creditor number ("kreditornummer") of +71/+73/+75 has 8 digits: giro-kort.dk (FI-kort page 4) and
  formula-digital.dk. dantryk.dk adds that its first digit is 8; examples in the wild (Uniconta's
  12345678, the API documentation's 87654321) do not follow that, so it is off by default and switched on
  with ``--fik-creditor-prefix 8`` (:attr:`FikRules.creditor_prefix`).
- Giro cards +01, +04 and +15 go to a giro account number of 7 or 8 digits (dantryk.dk FAQ). +01 carries
  no reference; +04 carries a 16-digit reference with the same modulus-10 check digit (the Delphi ERP code
  found on GitHub that prints +04 and +71 forms computes the check digit for both); +15 carries a
  reference of up to 16 digits whose check digit no public source describes, so only its length is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: card type -> (reference length: exact int, (min, max) range, or 0 for none; check digit verified?)
CARD_TYPES: dict[str, tuple[int | tuple[int, int], bool]] = {
    "01": (0, False), "04": (16, True), "15": ((1, 16), False),
    "71": (15, True), "73": (0, False), "75": (16, True),
}
#: card types paid to a giro account (7 or 8 digits) instead of an FI creditor number (8 digits)
GIRO_CARDS = ("01", "04", "15")

#: ISO 20022 status reasons: structured creditor reference invalid; incorrect creditor account number
REFERENCE_REASON = "RR09"
CREDITOR_REASON = "AC01"

_SHAPE = re.compile(r"\+([0-9]{2})<([^+<]*)\+([^+<]*)<")


@dataclass(frozen=True)
class FikRules:
    """What may be configured about FI strings: a required first digit of the FI creditor number."""

    creditor_prefix: str = ""


def looks_like_fik(account: str) -> bool:
    """True for anything shaped ``+CC<...+...<``: it is then judged as an FI string, not as an account."""
    return _SHAPE.fullmatch(account.strip()) is not None


def check_digit(digits: str) -> str:
    """The modulus-10 check digit for ``digits`` (weights 2, 1, 2, ... from the right, digit sums)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str(-total % 10)


def problems(account: str, rules: FikRules = FikRules()) -> list[dict[str, str]]:
    """Why an FI string cannot be paid, as ``{"code", "field", "text"}`` errors ([] when it can)."""
    text = account.strip()
    match = _SHAPE.fullmatch(text)
    if match is None:
        return [{"code": CREDITOR_REASON, "field": "account",
                 "text": f"account {text!r} is not an FI string: write +CC<reference+creditorno< "
                         "or +CC<+creditorno<"}]
    card, reference, creditor = match.groups()
    if card not in CARD_TYPES:
        return [{"code": CREDITOR_REASON, "field": "account",
                 "text": f"account {text!r}: FI card type +{card} does not exist "
                         f"(+{', +'.join(CARD_TYPES)})"}]
    found = _reference_problem(card, reference)
    found += _creditor_problem(card, creditor, rules)
    return [{"code": code, "field": "account", "text": f"account {text!r}: {why}"} for code, why in found]


def _reference_problem(card: str, reference: str) -> list[tuple[str, str]]:
    length, checked = CARD_TYPES[card]
    if length == 0:
        if reference:
            return [(REFERENCE_REASON, f"FI card +{card} carries no payment reference, but {reference!r} was "
                                       f"given: write +{card}<+creditorno<")]
        return []
    low, high = length if isinstance(length, tuple) else (length, length)
    wanted = f"{low} digits" if low == high else f"{low} to {high} digits"
    if not reference:
        return [(REFERENCE_REASON, f"FI card +{card} needs a payment reference of {wanted}: "
                                   f"write +{card}<reference+creditorno<")]
    if not reference.isdigit() or not low <= len(reference) <= high or not reference.isascii():
        return [(REFERENCE_REASON, f"the payment reference {reference!r} of FI card +{card} must be {wanted} "
                                   f"(it has {len(reference)} characters)")]
    if checked and check_digit(reference[:-1]) != reference[-1]:
        return [(REFERENCE_REASON, f"the payment reference {reference} of FI card +{card} has a wrong check "
                                   f"digit: modulus 10 gives {check_digit(reference[:-1])} as its last digit, "
                                   f"not {reference[-1]}")]
    return []


def _creditor_problem(card: str, creditor: str, rules: FikRules) -> list[tuple[str, str]]:
    if card in GIRO_CARDS:
        if not (creditor.isascii() and creditor.isdigit() and len(creditor) in (7, 8)):
            return [(CREDITOR_REASON, f"the giro account number {creditor!r} of FI card +{card} must be "
                                      "7 or 8 digits")]
        return []
    if not (creditor.isascii() and creditor.isdigit() and len(creditor) == 8):
        return [(CREDITOR_REASON, f"the creditor number {creditor!r} of FI card +{card} must be 8 digits")]
    if rules.creditor_prefix and not creditor.startswith(rules.creditor_prefix):
        return [(CREDITOR_REASON, f"the creditor number {creditor} of FI card +{card} must start with "
                                  f"{rules.creditor_prefix}")]
    return []
