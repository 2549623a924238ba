"""When a payment is executed: its urgency, the day's cut-off time, the calendar of its currency, express limits.

The payment's ``urgency`` picks the clearing it goes through in Denmark (Danmarks Nationalbank, "Clearing og
afvikling af detailbetalinger"; Finance Denmark, "The financial infrastructure"):

- ``1`` Normal: an ordinary transfer. Dated today it must reach the bank before the normal cut-off
  (default 18:30 Danish time: Danske Bank's published schedule books a payment made "on a weekday after
  6.30 pm" on the following banking day).
- ``2`` SameDay: the Intraday Clearing, which settles at 01:30, 09:00, 12:00 and 14:00 (Nationalbanken).
  Finance Denmark says a transfer made "after approx. 12PM" arrives the next banking day; the 14:00 cycle
  is the last of the day, and Danske Bank's same-day cut-off for EUR within SEPA is also 14:00 CET. The
  sources disagree, so the default is the last cycle, 14:00, configurable (``--cutoff-same-day``).
- ``3`` Express ("straks"): the Express Clearing runs 24 hours a day, every day of the year, for DKK, with an
  upper limit of DKK 500,000 per transaction (Finance Denmark; Nationalbanken). It has no cut-off and no
  bank-day rule; above the limit or in another currency it fails. The limit is ``--express-limit``.

The API documents 1 and 2 only (spec section 8.1); 3 for express is the emulator's reading. Another value
fails. A payment in EUR settles on days that are Danish bank days *and* TARGET2 business days
(:func:`mockbank.bankdays.is_settlement_day`). Every refusal is Failed (32) with an ISO 20022 reason:
DT01 invalid date, TM01 received after the cut-off time, AM02 amount over the allowed maximum, AM03
currency not allowed, CH16 element content incorrect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from mockbank import bankdays
from mockbank.clock import BANK_ZONE, bank_date

NORMAL, SAME_DAY, EXPRESS = 1, 2, 3
URGENCY_NAMES = {NORMAL: "Normal", SAME_DAY: "SameDay", EXPRESS: "Express"}
EXPRESS_CURRENCY = "DKK"


def _default_cutoffs() -> dict[int, time | None]:
    return {NORMAL: time(18, 30), SAME_DAY: time(14, 0)}


@dataclass(frozen=True)
class ExecutionRules:
    """The configurable facts: the cut-off (Danish local time, None = none) per urgency, the express limit."""

    cutoffs: dict[int, time | None] = field(default_factory=_default_cutoffs)
    express_limit: Decimal = Decimal("500000")


def _error(code: str, name: str, text: str) -> dict[str, str]:
    return {"code": code, "field": name, "text": text}


def execution_date(transaction: dict[str, Any], amount: Decimal | None, now: datetime, moving: bool,
                   rules: ExecutionRules = ExecutionRules()) -> tuple[date | None, list[dict[str, str]]]:
    """The day a (schema-valid) transaction is executed, or None with the errors that stop it.

    ``moving`` is the request's ``moveToNextBankDate``: a date in the past, after the cut-off or on a closed
    day then moves to the next possible day instead of failing.
    """
    text = transaction["paymentDate"]
    requested = date.fromisoformat(text)
    currency = str(transaction.get("currency"))
    urgency = transaction.get("urgency", NORMAL)
    if urgency is None:
        urgency = NORMAL
    if urgency not in URGENCY_NAMES:
        return None, [_error("CH16", "urgency", f"urgency {urgency} is not one of "
                                                f"{', '.join(f'{k} ({v})' for k, v in URGENCY_NAMES.items())}")]
    today = bank_date(now)
    moved = max(requested, today)
    if moved != requested and not moving:
        return None, [_error("DT01", "paymentDate", f"paymentDate {text} is in the past (bank date {today}); "
                                                    "send moveToNextBankDate to have it moved")]
    if urgency == EXPRESS:
        return _express(moved, currency, amount, rules)
    cutoff = rules.cutoffs.get(urgency)
    if moved == today and cutoff is not None and now.astimezone(BANK_ZONE) >= _at(today, cutoff):
        local = now.astimezone(BANK_ZONE).strftime("%H:%M")
        if not moving:
            return None, [_error("TM01", "paymentDate", f"paymentDate {text} is today, but urgency {urgency} "
                                 f"({URGENCY_NAMES[urgency]}) payments must reach the bank by "
                                 f"{cutoff:%H:%M} Danish time and it is {local}; send moveToNextBankDate to have "
                                 "it executed the next bank day")]
        moved = today + timedelta(days=1)
    reason = bankdays.closing_reason(moved, currency)
    if reason is not None:
        if not moving:
            return None, [_error("DT01", "paymentDate", f"paymentDate {moved} is not a bank day ({reason}); send "
                                                        "moveToNextBankDate to have it moved")]
        try:
            moved = bankdays.next_settlement_day(moved, currency)
        except OverflowError:  # 9999-12-31
            return None, [_error("DT01", "paymentDate", f"paymentDate {text} has no bank day after it in the "
                                                        "calendar")]
    return moved, []


def _express(day: date, currency: str, amount: Decimal | None, rules: ExecutionRules):
    if currency != EXPRESS_CURRENCY:
        return None, [_error("AM03", "currency", f"currency {currency} cannot be paid express (urgency 3): the "
                                                 f"Danish Express Clearing settles {EXPRESS_CURRENCY} only")]
    if amount is not None and amount > rules.express_limit:
        return None, [_error("AM02", "amount", f"amount {amount} is over the express limit of "
                                               f"{rules.express_limit:,} DKK per payment (urgency 3)")]
    return day, []


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, BANK_ZONE)


def parse_cutoff(text: str) -> time | None:
    """``HH:MM`` or ``off`` (None); ValueError saying what is wrong otherwise."""
    if text.strip().lower() == "off":
        return None
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a time HH:MM or 'off'") from None


def describe(rules: ExecutionRules) -> list[dict[str, Any]]:
    """The urgencies as the rules catalogue lists them."""
    rows = []
    for urgency, name in URGENCY_NAMES.items():
        cutoff = rules.cutoffs.get(urgency)
        rows.append({"urgency": urgency, "name": name,
                     "cutoff": None if urgency == EXPRESS or cutoff is None else cutoff.strftime("%H:%M"),
                     "limit": rules.express_limit if urgency == EXPRESS else None,
                     "currencies": [EXPRESS_CURRENCY] if urgency == EXPRESS else None})
    return rows
