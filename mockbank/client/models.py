"""What the client returns: frozen, typed values parsed from the API's answers.

Amounts are :class:`decimal.Decimal`, exactly as the bank wrote them. Every value read from a JSON
object keeps that object, as received and unknown keys included, in ``raw`` (left out of equality
and reprs), so nothing the bank sent is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mockbank.models import FINAL_STATUSES, PaymentStatus

__all__ = [
    "Answer", "Balance", "BalanceEntry", "Message", "Money", "PaymentStatus", "PaymentsResult", "ReportHeader",
    "Statement", "StatementEntry",
]


@dataclass(frozen=True)
class Message:
    """An error or warning of an answer: optional reason code (e.g. ``AC03``) and a text."""

    code: str | None
    text: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Money:
    """An amount in a currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Answer:
    """The state of one payment (spec §4.3); ``status`` is an int when the API sends an unknown value."""

    trans_id: str | None
    payment_id: str | None  # None only in an answer about an unknown transId
    end_to_end_id: str | None
    status: PaymentStatus | int
    text: str | None
    instructed: Money | None
    transacted: Money | None
    errors: tuple[Message, ...]
    warnings: tuple[Message, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_final(self) -> bool:
        """True when the status is final (8, 16, 32, 64); unknown statuses are not final."""
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class PaymentsResult:
    """The answer envelope of ``/payment``, ``/status``, ``/payment/{transId}`` and ``/payment/cancel``."""

    account: str
    request_id: str
    time: datetime
    answers: tuple[Answer, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def all_final(self) -> bool:
        """True when every answer has a final status (also when there are no answers)."""
        return all(answer.is_final for answer in self.answers)

    def answer_for(self, payment_id: str) -> Answer | None:
        """The first answer about this paymentId, or None."""
        return next((answer for answer in self.answers if answer.payment_id == payment_id), None)


@dataclass(frozen=True)
class ReportHeader:
    """What a statement and a balance report both begin with (spec §5.3, §6).

    The account, the echoed requestId, when the bank made the report, and the account's currency,
    name and BIC. ``currency`` is None only for a report built from a 204 (no content) answer.
    """

    account: str
    request_id: str
    created: datetime
    currency: str | None
    name: str | None
    bic: str | None


@dataclass(frozen=True)
class StatementEntry:
    """One statement line, read from the Simple (§5.4) or the Full (§5.5) shape.

    In the Full shape ``amount``/``balance`` come from the ``amounts`` object and ``advice`` holds
    the ``advis`` lines; ``raw`` tells which shape the entry was received in.
    """

    id: str
    sequence: int | None
    booking: datetime
    value: datetime | None
    amount: Decimal
    balance: Decimal
    type: str | None
    text: str | None
    creditor_text: str | None
    creditor_message: str | None
    debtor_text: str | None
    debtor_message: str | None
    end_to_end_id: str | None
    advice: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Statement(ReportHeader):
    """An account statement (spec §5.3); ``from_``/``to`` are naive, as the API sends them."""

    owner: dict[str, Any] | None = field(hash=False)
    from_: datetime
    to: datetime
    entries: tuple[StatementEntry, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class BalanceEntry:
    """One balance: ``type`` 1 = Opening, 2 = Closing (spec §6)."""

    date: date
    amount: Decimal
    type: int
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Balance(ReportHeader):
    """Opening/closing balances per day of a period (spec §6)."""

    from_: date
    to: date
    entries: tuple[BalanceEntry, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
