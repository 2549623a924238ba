"""The bank's typed domain values: payment statuses, payments, accounts, statement entries, balances.

Everything below the HTTP layer speaks in these types; :mod:`mockbank.render` turns them into the
API's JSON, and the store reads and writes them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


class PaymentStatus(enum.IntEnum):
    """A payment's status (spec §8.3): bit-flag style integers, as the API writes them."""

    CREATED = 1
    PENDING = 2
    ACCEPTED = 4
    SUCCEEDED = 8
    REJECTED = 16
    FAILED = 32
    NOT_FOUND = 64
    WARNING = 128
    CANCELLING = 256
    WAITING = 512

    __str__ = int.__repr__  # "8", as Python 3.11+ writes it, on 3.10 too (JSON keys, messages)

    @property
    def is_final(self) -> bool:
        """True for the statuses a payment never leaves: Succeeded, Rejected, Failed, NotFound."""
        return self in FINAL_STATUSES


#: Statuses a payment never leaves.
FINAL_STATUSES = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.REJECTED, PaymentStatus.FAILED,
                            PaymentStatus.NOT_FOUND})

NORMAL_PATH = (PaymentStatus.CREATED, PaymentStatus.PENDING, PaymentStatus.ACCEPTED, PaymentStatus.SUCCEEDED)


@dataclass(frozen=True)
class Erp:
    """An ERP system (service provider) the bank knows, with its API key."""

    service_provider: str
    api_key: str
    progression: str | None = None  # its own progression mode, if any


@dataclass(frozen=True)
class Account:
    """A customer's account, linked to one ERP by an integration code."""

    account: str
    integration_code: str
    service_provider: str
    currency: str
    name: str = ""
    bic: str = ""
    owner: dict[str, Any] = field(default_factory=dict)
    opening_balance: Decimal = Decimal("0")
    progression: str | None = None  # its own progression mode, if any


@dataclass(frozen=True)
class Entry:
    """One booked statement line; ``amount`` is signed (negative: money out)."""

    seq: int
    account: str
    entry_id: str
    booking: date
    value: date
    amount: Decimal
    details: dict[str, Any]  # type, text, counterparties, codes, advis, ... as the statement shows them
    sequence: int = 0  # the statement's "sequence": 1, 2, 3, ... per account, in booking order


@dataclass(frozen=True)
class Balance:
    """The opening (1) or closing (2) balance of one bank day."""

    date: date
    amount: Decimal
    type: int


@dataclass(frozen=True)
class Outcome:
    """The statuses a payment moves through, and the messages shown on reaching a status."""

    path: tuple[PaymentStatus, ...] = NORMAL_PATH
    errors: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    warnings: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    magic: str | None = None  # the catalogue entry that chose this outcome

    def to_json(self) -> dict[str, Any]:
        return {"path": [int(status) for status in self.path], "errors": {str(k): v for k, v in self.errors.items()},
                "warnings": {str(k): v for k, v in self.warnings.items()}, "magic": self.magic}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(tuple(PaymentStatus(s) for s in data["path"]), {int(k): v for k, v in data["errors"].items()},
                   {int(k): v for k, v in data["warnings"].items()}, data.get("magic"))


@dataclass
class Payment:
    """One payment (a transaction of a payment request) and where it stands.

    ``amount`` and ``currency`` are what was sent when they are valid (a Failed payment may have sent
    anything: ``transaction`` keeps it as received, JSON-safe).
    """

    account: str
    payment_id: str
    trans_id: str
    end_to_end_id: str
    request_id: str
    transaction: dict[str, Any]
    outcome: Outcome
    status: PaymentStatus
    created: datetime
    changed_at: datetime
    amount: Decimal | None = None
    currency: Any = None
    payment_date: date | None = None
    step: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # {"status", "time"} per move
    booked_seq: int | None = None  # the statement entry, once booked
    transacted: tuple[Decimal, str] | None = None  # amount and currency booked on the account
    account_currency: str = ""
    duplicate: bool = False  # a refused repeat of a paymentId: shown by its transId, never in its place
    row_id: int | None = None  # the store's key

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def next_status(self) -> PaymentStatus | None:
        """The status the payment moves to next, or None at the end of its path."""
        return self.outcome.path[self.step + 1] if self.step + 1 < len(self.outcome.path) else None


@dataclass(frozen=True)
class UnknownPayment:
    """An answer about a paymentId or transId the account does not have (status 64)."""

    message: str
    payment_id: str | None = None
    trans_id: str | None = None


@dataclass(frozen=True)
class PaymentAnswers:
    """What ``/payment``, ``/status``, ``/payment/<transId>`` and ``/payment/cancel`` answer."""

    account: str
    request_id: str
    time: datetime
    answers: list[Payment | UnknownPayment]


@dataclass(frozen=True)
class Statement:
    """``/report/account``: entries oldest first, each with the balance after it (cents)."""

    account: Account
    request_id: str
    created: datetime
    start: date
    end: date
    full: bool
    entries: list[tuple[Entry, Decimal]]


@dataclass(frozen=True)
class BalanceReport:
    """``/report/balance``: opening and closing balances per bank day."""

    account: Account
    request_id: str
    created: datetime
    start: date
    end: date
    balances: list[Balance]
