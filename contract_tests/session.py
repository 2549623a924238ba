"""A certification session: the emulator, the adapter, and every exchange between them.

An *exchange* is one adapter request: the operation and params the kit asked for, the adapter's
reply, and the requests the emulator received while the client worked (from its journal).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from mockbank.contract_tests.adapter import AdapterFailure, AdapterProcess

DEFAULT_TIMEOUT_MS = 5000


@dataclass
class Exchange:
    op: str
    params: dict[str, Any]
    reply: dict[str, Any] | None
    failure: str | None  # the adapter broke the protocol (died, hung, garbage)
    requests: list[dict[str, Any]]  # journal entries, oldest first
    stderr: str = ""
    timeout_ms: int = DEFAULT_TIMEOUT_MS

    @property
    def result(self) -> Any:
        return self.reply.get("result") if self.reply and self.reply.get("ok") else None

    @property
    def error(self) -> dict[str, Any] | None:
        return self.reply.get("error") if self.reply and not self.reply.get("ok") else None

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "params": self.params, "reply": self.reply, "failure": self.failure,
                "requests": self.requests, "stderr": self.stderr, "timeoutMs": self.timeout_ms}


class CheckFailed(AssertionError):
    """A check found the client wrong; carries the evidence for the report."""

    def __init__(self, message: str, *, expected: Any = None, reported: Any = None,
                 exchange: Exchange | None = None, diagnosis: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.expected, self.reported = expected, reported
        self.exchange = exchange
        self.diagnosis = diagnosis


class CheckCannotRun(Exception):
    """The check cannot run with what the kit was given (e.g. fixtures without the account it needs): not the
    client's failure."""


@dataclass
class Session:
    """What the checks use: call the adapter, read the emulator, control the bank."""

    emulator: Any  # mockbank.testing.Emulator (in this process or connected by URL)
    adapter: AdapterProcess
    examples: int = 10
    seed: int = 0
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    operations: tuple[str, ...] | None = None  # what the adapter offers (None: not asked, all)
    exchanges: list[Exchange] = field(default_factory=list)
    example: Any = None  # the property example being run (the shrunk one when a property fails)
    _journal_seen: int = 0
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def credentials(self, account: int = 0) -> dict[str, str]:
        return self.emulator.credentials[account].to_json()

    def unique(self, prefix: str) -> str:
        """An id no other exchange of this run uses."""
        return f"{prefix}{next(self._counter)}"

    def reset(self) -> None:
        """A fresh bank: the fixtures, no payments, an empty journal, no faults."""
        self.emulator.reset()
        self._journal_seen = 0

    def start_example(self, example: Any) -> None:
        self.example = example
        self.exchanges = []

    def wait_for_requests(self, seconds: float) -> None:
        """Wait until the emulator has answered every request sent so far (up to ``seconds``).

        After a timeout the client has given up, but its request may still be running in the
        emulator; it must finish before the next check resets the bank.
        """
        self.emulator.wait_for_requests(seconds)

    def book_payment(self, transaction: dict[str, Any]) -> None:
        """Pay and book one transaction with the kit's own client (not the adapter's), for plans that read it.

        Its requests are not part of any exchange: the next exchange's journal starts after them.
        """
        with self.emulator.client() as client:
            client.pay([transaction])
        self.emulator.progress(transaction["paymentId"], 8)
        requests = self.emulator.journal(since=self._journal_seen)
        if requests:
            self._journal_seen = requests[-1]["id"]

    def call(self, op: str, params: dict[str, Any], *, account: int = 0,
             credentials: dict[str, str] | None = None, timeout_ms: int | None = None) -> Exchange:
        """Ask the adapter to run one operation; returns the exchange with what the emulator saw."""
        if self.operations is not None and op not in self.operations:
            raise RuntimeError(f"the check asked for {op!r}, which the adapter does not offer "
                               f"(it offers {', '.join(self.operations)}): the plan's operations are wrong")
        timeout = timeout_ms or self.timeout_ms
        reply, failure = None, None
        try:
            reply = self.adapter.request(op, params, base_url=self.emulator.url,
                                         credentials=credentials or self.credentials(account), timeout_ms=timeout)
        except AdapterFailure as error:
            failure = str(error)
        requests = self.emulator.journal(since=self._journal_seen)
        if requests:
            self._journal_seen = requests[-1]["id"]
        exchange = Exchange(op, params, reply, failure, requests, self.adapter.take_stderr(), timeout)
        self.exchanges.append(exchange)
        return exchange
