"""Magic values: creditor accounts and amounts that script a payment's fate.

A payment's fate is a *path* of statuses it moves along (1 Created -> 2 Pending -> 4 Accepted ->
8 Succeeded for an ordinary payment), plus the errors or warnings shown at a status. The
catalogue below is served at ``GET /_mock/magic`` and listed in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mockbank import execution, rules
from mockbank.models import Outcome, PaymentStatus
from mockbank.settings import Settings

CREATED, PENDING, ACCEPTED, SUCCEEDED, REJECTED, FAILED, NOT_FOUND, WARNING, CANCELLING, WAITING = PaymentStatus


@dataclass(frozen=True)
class MagicValue:
    """One catalogue entry: what triggers it and the outcome it scripts."""

    name: str
    trigger: str  # "creditorAccountSuffix" or "amount"
    value: str
    description: str
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        final = self.outcome.path[-1]
        return {"name": self.name, "trigger": self.trigger, "value": self.value, "description": self.description,
                "path": list(self.outcome.path), "finalStatus": final,
                "errors": self.outcome.errors.get(final, []),
                "warnings": [w for ws in self.outcome.warnings.values() for w in ws]}


def _rejected(code: str, text: str) -> Outcome:
    return Outcome((CREATED, PENDING, REJECTED), errors={REJECTED: [{"code": code, "text": text}]})


INSUFFICIENT_FUNDS = {"code": "AM04", "text": "Insufficient funds on the debtor account; the payment waits for cover"}

CATALOGUE: tuple[MagicValue, ...] = (
    MagicValue("rejected-ac03", "creditorAccountSuffix", "0000",
               "Creditor account ending in 0000: rejected by the bank, invalid creditor account",
               _rejected("AC03", "Beneficiary's account number is invalid or missing")),
    MagicValue("rejected-ac01", "creditorAccountSuffix", "0001",
               "Creditor account ending in 0001: rejected by the bank, incorrect account number",
               _rejected("AC01", "Beneficiary's account number is incorrect")),
    MagicValue("rejected-ac04", "creditorAccountSuffix", "0004",
               "Creditor account ending in 0004: rejected by the bank, closed account",
               _rejected("AC04", "Beneficiary's account is closed")),
    MagicValue("rejected-ac06", "creditorAccountSuffix", "0006",
               "Creditor account ending in 0006: rejected by the bank, blocked account",
               _rejected("AC06", "Beneficiary's account is blocked")),
    MagicValue("rejected-am04", "amount", "16.16",
               "Amount 16.16: rejected by the bank for insufficient funds",
               _rejected("AM04", "Insufficient funds")),
    MagicValue("failed-validation", "amount", "32.32",
               "Amount 32.32: fails BankIntegration's validation at once (status 32)",
               Outcome((FAILED,), errors={FAILED: [{"code": "MS03", "text": "Payment failed validation at "
                                                                             "BankIntegration (magic amount 32.32)"}]})),
    MagicValue("warning-then-succeeds", "amount", "128.28",
               "Amount 128.28: Warning (128) with an insufficient-funds warning, then Accepted and Succeeded",
               Outcome((CREATED, PENDING, WARNING, ACCEPTED, SUCCEEDED), warnings={WARNING: [INSUFFICIENT_FUNDS]})),
    MagicValue("waiting-for-approval", "amount", "512.12",
               "Amount 512.12: Waiting (512) for approval in the online bank, then Pending, Accepted, Succeeded",
               Outcome((CREATED, WAITING, PENDING, ACCEPTED, SUCCEEDED),
                       warnings={WAITING: [{"code": "WAIT", "text": "Awaiting approval in the online bank"}]})),
    MagicValue("stays-pending", "amount", "2.22", "Amount 2.22: stays Pending (2) for ever",
               Outcome((CREATED, PENDING))),
    MagicValue("stays-accepted", "amount", "4.44", "Amount 4.44: stays Accepted (4) for ever",
               Outcome((CREATED, PENDING, ACCEPTED))),
)

#: Not triggered by a value: a payment whose amount exceeds the account's balance when it is due.
DYNAMIC_RULES = (
    {"name": "insufficient-funds", "trigger": "balance",
     "description": "A payment larger than the account's balance when it would be booked goes to Warning (128) "
                    "with warning AM04 and is retried on every step until the balance covers it",
     "warnings": [INSUFFICIENT_FUNDS]},
)


def outcome_for(transaction: dict[str, Any], amount: Decimal) -> Outcome:
    """The scripted outcome of a valid payment: a catalogue entry's, or the normal path."""
    creditor = "".join(ch for ch in str(transaction.get("account", "")) if ch.isalnum())
    for entry in CATALOGUE:
        if entry.trigger == "creditorAccountSuffix" and creditor.endswith(entry.value):
            return _named(entry)
        if entry.trigger == "amount" and abs(amount) == Decimal(entry.value):
            return _named(entry)
    return Outcome()


def _named(entry: MagicValue) -> Outcome:
    outcome = entry.outcome
    return Outcome(outcome.path, outcome.errors, outcome.warnings, entry.name)


STATUS_NAMES = {1: "Created", 2: "Pending", 4: "Accepted", 8: "Succeeded", 16: "Rejected", 32: "Failed",
                64: "NotFound", 128: "Warning", 256: "Cancelling", 512: "Waiting"}


def catalogue_json(settings: Settings | None = None) -> dict[str, Any]:
    """The catalogue as served at ``GET /_mock/magic``: magic values, the dynamic rules, the payment rules
    every payment must pass (:data:`mockbank.rules.CATALOGUE`) and the urgencies with their cut-offs."""
    settings = settings or Settings()
    return {"values": [entry.to_json() for entry in CATALOGUE], "rules": list(DYNAMIC_RULES),
            "paymentRules": list(rules.CATALOGUE), "urgencies": execution.describe(settings.execution),
            "fikCreditorPrefix": settings.fik.creditor_prefix or None,
            "statuses": {str(code): name for code, name in STATUS_NAMES.items()}}
