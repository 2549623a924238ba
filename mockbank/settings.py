"""Server settings: how the emulator behaves where the real API is unknown, and the serving defaults.

The one home of every default: the command line, :mod:`mockbank.testing` and the app read them here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockbank.execution import ExecutionRules
from mockbank.fik import FikRules

PROGRESSION_MODES = ("poll", "time", "manual")
#: The HTTP servers ``mockbank serve --server`` runs on (granian: ``pip install 'mockbank[fast]'``).
SERVERS = ("waitress", "granian")

#: How far the auth object's ``time`` may be from the clock, in seconds (the real service: 15 minutes).
DEFAULT_MAX_CLOCK_SKEW = 900.0
#: Largest request body, in bytes.
DEFAULT_MAX_BODY = 1024 * 1024
#: Open connections one serving process holds (waitress's own default, 100, is far too few).
DEFAULT_CONNECTION_LIMIT = 2000
#: Seconds a connection may stay silent before it is closed.
DEFAULT_IDLE_TIMEOUT = 60
#: Seconds from a request's first byte until its headers must be complete (slowloris clients are closed).
DEFAULT_HEADER_TIMEOUT = 10
#: Largest request line + headers, in bytes; larger answers 431.
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
#: Threads reserved for the control plane (/_mock/*) in each serving process.
DEFAULT_CONTROL_THREADS = 2
#: Seconds between two status steps in ``time`` progression.
DEFAULT_STEP_SECONDS = 5.0
#: Journal entries kept per sandbox; older ones are dropped.
DEFAULT_JOURNAL_MAX = 10_000
#: The journal keeps each request header value and request body up to this many bytes (UTF-8), marked if cut.
DEFAULT_JOURNAL_VALUE_MAX = 16 * 1024
#: Largest ``delayMs`` of a fault, in milliseconds.
DEFAULT_MAX_DELAY_MS = 120_000
#: Seconds an unused sandbox lives.
DEFAULT_SANDBOX_TTL = 24 * 3600


def default_options() -> dict[str, bool]:
    """The ``options`` of a payment request when the client does not send them."""
    return {"waitForBankResponse": False, "checkPaymentStatus": False, "moveToNextBankDate": False,
            "useIban": False, "skipDuplicateCheck": False}


@dataclass(frozen=True)
class Settings:
    """How the emulator behaves where the real API is unknown (all configurable, see README)."""

    progression: str = "poll"
    step_seconds: float = DEFAULT_STEP_SECONDS
    max_clock_skew: float | None = DEFAULT_MAX_CLOCK_SKEW
    require_request_id_match: bool = True
    lenient_time_formats: bool = False
    reject_unknown_fields: bool = False
    clock_start: str | None = None  # ISO 8601, from --clock
    frozen_clock: bool = False
    option_defaults: dict[str, bool] = field(default_factory=default_options)
    journal_max: int = DEFAULT_JOURNAL_MAX
    sandbox_ttl: int = DEFAULT_SANDBOX_TTL
    execution: ExecutionRules = field(default_factory=ExecutionRules)  # cut-offs, express limit
    fik: FikRules = field(default_factory=FikRules)
    journal_value_max: int = DEFAULT_JOURNAL_VALUE_MAX
    max_delay_ms: int = DEFAULT_MAX_DELAY_MS
