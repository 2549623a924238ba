"""The bank's typed domain values: payment statuses, payments, accounts, statement entries, balances.

Everything below the HTTP layer speaks in these types; :mod:`mockbank.render` turns them into the
API's JSON, and the store reads and writes them.
"""

from __future__ import annotations

import enum


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
