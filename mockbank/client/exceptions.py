"""The errors the client raises: one class per kind of failure, all :class:`BankIntegrationError`."""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest", "BankIntegrationError", "ConnectionFailed", "InvalidResponse", "ServerError", "Timeout",
    "Unauthorized",
]


class BankIntegrationError(Exception):
    """Base of every error the client raises; only its subclasses are raised.

    ``kind`` is the adapter protocol's error kind, ``http_status`` the HTTP status when there was
    an answer, ``body`` the answer's parsed JSON (or its text) when there was one.
    """

    kind: str = "error"

    def __init__(self, message: str, *, http_status: int | None = None, body: Any | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.body = body


class Unauthorized(BankIntegrationError):
    """401: the signature or the credentials were rejected."""

    kind = "unauthorized"

    @property
    def diagnosis(self) -> dict[str, Any] | None:
        """The emulator's ``diagnosis`` object (cause, message, hint, ...) when the body has one."""
        found = self.body.get("diagnosis") if isinstance(self.body, dict) else None
        return found if isinstance(found, dict) else None


class BadRequest(BankIntegrationError):
    """Any 4xx other than 401."""

    kind = "bad-request"


class ServerError(BankIntegrationError):
    """A 5xx answer."""

    kind = "server-error"


class Timeout(BankIntegrationError):
    """No answer within the client's timeout, or ``wait_for_final`` ran out of time."""

    kind = "timeout"


class ConnectionFailed(BankIntegrationError):
    """The connection could not be made or broke (refused, reset, dropped, truncated body)."""

    kind = "connection"


class InvalidResponse(BankIntegrationError):
    """An answer that is not the documented one: not JSON, a missing or mistyped field, a wrong
    ``requestId`` echo, or an unexpected HTTP status (e.g. a redirect)."""

    kind = "invalid-response"
