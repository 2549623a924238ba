"""The bank clock: real time, shifted by an offset, or frozen at an instant.

The clock's state is a small value kept in the store, so every worker process shares one clock;
:class:`ClockState` is that value, and :func:`now` reads the time from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

#: Danish local time, used where the API shows times with an offset (``created``, ``time``).
BANK_ZONE = ZoneInfo("Europe/Copenhagen")


def real_now() -> datetime:
    """The host's real time, UTC, aware."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ClockState:
    """How the bank clock relates to real time: an offset in seconds, or a frozen instant."""

    offset: float = 0.0
    frozen_at: str | None = None  # ISO 8601 UTC while frozen

    def now(self, real: datetime | None = None) -> datetime:
        """The bank's current time, UTC, aware."""
        if self.frozen_at is not None:
            return datetime.fromisoformat(self.frozen_at)
        return (real or real_now()) + timedelta(seconds=self.offset)

    def set_to(self, moment: datetime) -> ClockState:
        """The clock moved to ``moment`` (kept frozen if it was frozen)."""
        moment = _utc(moment)
        if self.frozen_at is not None:
            return ClockState(0.0, moment.isoformat())
        return ClockState((moment - real_now()).total_seconds(), None)

    def advance(self, seconds: float) -> ClockState:
        """The clock moved forward (or back, for negative seconds)."""
        return self.set_to(self.now() + timedelta(seconds=seconds))

    def freeze(self) -> ClockState:
        """The clock stopped at its current time."""
        return self if self.frozen_at is not None else ClockState(0.0, self.now().isoformat())

    def unfreeze(self) -> ClockState:
        """The clock running again from where it stood."""
        if self.frozen_at is None:
            return self
        return ClockState((self.now() - real_now()).total_seconds(), None)

    def to_json(self) -> dict:
        """The state as stored."""
        return asdict(self)

    def describe(self) -> dict:
        """What ``GET /_mock/clock`` shows."""
        now = self.now()
        return {"now": now.isoformat().replace("+00:00", "Z"), "local": now.astimezone(BANK_ZONE).isoformat(),
                "today": bank_date(now).isoformat(), "frozen": self.frozen_at is not None,
                "offsetSeconds": 0.0 if self.frozen_at else round(self.offset, 3)}


#: The bank clock stays within these years: near the ends of the calendar, dates cannot be computed on.
RANGE = (datetime(1900, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc))
RANGE_TEXT = "the bank clock must stay from 1900-01-01 to before 9000-01-01 (UTC)"


def in_range(moment: datetime) -> bool:
    """True when the bank clock may show ``moment``."""
    return RANGE[0] <= _utc(moment) < RANGE[1]


def initial_state(start: datetime | None, frozen: bool) -> ClockState:
    """The clock a server starts with: ``--clock`` and ``--frozen-clock``."""
    if frozen:
        return ClockState(0.0, _utc(start or real_now()).isoformat())
    return ClockState() if start is None else ClockState().set_to(start)


def bank_date(moment: datetime):
    """The UTC calendar date of an instant (the API's dates are UTC dates)."""
    return _utc(moment).date()


def local_iso(moment: datetime) -> str:
    """An instant as ISO 8601 in Danish local time with its offset, whole seconds."""
    return _utc(moment).astimezone(BANK_ZONE).replace(microsecond=0).isoformat()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
