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


class SandboxGone(NotFound):
    """The request's sandbox was deleted (or expired) while the request ran: nothing more is written to it."""

    def __init__(self, sandbox_id: str):
        super().__init__(f"no sandbox {sandbox_id!r}: it was deleted, or expired, while this request ran",
                         [{"pointer": "/sandbox", "reason": f"{sandbox_id!r} is not a sandbox any more"}])


class Conflict(BankError):
    """The request contradicts the bank's state (e.g. moving a final payment)."""

    code = "conflict"
