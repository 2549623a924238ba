"""Domain errors: what the bank refuses, without HTTP (the API maps each kind to a status)."""

from __future__ import annotations


class BankError(Exception):
    """A request the bank refuses as a whole; ``details`` list ``{"pointer", "reason"}`` per problem."""

    code = "bad-request"

    def __init__(self, message: str, details: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.message, self.details = message, details or []


class InvalidRequest(BankError):
    """The request's values cannot be used (a bad date, an unknown statement type, ...)."""


class NotFound(BankError):
    """The account, payment or sandbox asked for does not exist."""

    code = "not-found"


class Conflict(BankError):
    """The request contradicts the bank's state (e.g. moving a final payment)."""

    code = "conflict"
