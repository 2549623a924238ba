"""The bank's decisions: ERPs, accounts, payments and their statuses, statements and balances.

Handlers call a :class:`Bank` with an authenticated account and get back typed values
(:mod:`mockbank.models`) that :mod:`mockbank.render` turns into the API's JSON. All state goes through
a :class:`mockbank.store.Store`; refusals are :mod:`mockbank.errors`.

Status progression: a payment follows the path of statuses its :class:`mockbank.models.Outcome`
scripts (normally 1 -> 2 -> 4 -> 8). How it moves on is the *progression mode* of its account:
``poll`` (every status read moves it one step), ``time`` (one step every ``stepSeconds`` on the bank
clock) or ``manual`` (only ``POST /_mock/progress``). Reaching Succeeded books an entry on the
account's statement; if the balance does not cover it the payment waits in Warning (128).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from mockbank import bankdays, clock, entries, execution, history, magic, rules, signing
from mockbank.errors import Conflict, InvalidRequest, NotFound
from mockbank.fixtures import Fixture
from mockbank.models import (Account, Balance, BalanceReport, Outcome, Payment, PaymentAnswers, PaymentStatus,
                             Statement, UnknownPayment)
from mockbank.money import MAX_AMOUNT, convert, round_cents, to_decimal
from mockbank.settings import PROGRESSION_MODES, Settings
from mockbank.store import NewEntry, Store

CANCELLABLE = frozenset({PaymentStatus.CREATED, PaymentStatus.PENDING, PaymentStatus.ACCEPTED, PaymentStatus.WARNING,
                         PaymentStatus.WAITING})
CANCELLED = {"code": "DS02", "text": "Order cancelled on the customer's request"}
#: The longest statement or balance period one request may ask for.
MAX_PERIOD_DAYS = 400

_REQUEST_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})|([0-9]{2})([0-9]{2})([0-9]{2})")


def parse_request_date(text: str, name: str) -> date:
    """A ``from``/``to`` parameter: ``yyyy-MM-dd`` or ``yyMMdd``; InvalidRequest otherwise."""
    match = _REQUEST_DATE.fullmatch(text.strip())
    try:
        if match and match.group(1):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match:
            return date(2000 + int(match.group(4)), int(match.group(5)), int(match.group(6)))
    except ValueError:
        pass
    raise InvalidRequest(f"{name}: {text!r} is not a date (yyyy-MM-dd or yyMMdd)",
                         [{"pointer": f"/{name}", "reason": "is not a date in the format yyyy-MM-dd or yyMMdd"}])


class Bank:
    """The emulated bank over one store. Also the :class:`mockbank.verification.CredentialLookup`."""

    def __init__(self, store: Store, fixture: Fixture, settings: Settings | None = None):
        self.store = store
        self.fixture = fixture
        self.settings = settings or Settings()

    # ------------------------------------------------------------------ life cycle

    def ensure_seeded(self) -> bool:
        """Seed an empty database from the fixture; a database already in use is kept as it is.

        Checked and seeded in one transaction: of processes starting together on one database, one seeds.
        """
        with self.store.transaction():
            if self.store.get("seeded"):
                if self.settings.clock_start is not None or self.settings.frozen_clock:
                    self.set_clock(self._initial_clock())
                self.store.put("seeded", True)  # a configuration write: an older database gets its generation token
                return False
            self.reset()
            return True

    def reset(self) -> None:
        """Back to the fixture: ERPs, accounts and history; no payments, journal or faults; initial clock."""
        state = self._initial_clock()
        today = clock.bank_date(state.now())
        with self.store.transaction():
            self.store.wipe()
            self.store.put("clock", state.to_json())
            self.store.put("progression", {"default": self.settings.progression,
                                           "stepSeconds": self.settings.step_seconds})
            for erp in self.fixture.erps:
                self.store.add_erp(erp)
            for account in self.fixture.accounts:
                self.store.add_account(account)
                self._seed_history(account, today)
            self.store.put("seeded", True)

    def _initial_clock(self) -> clock.ClockState:
        start = signing.parse_auth_time(self.settings.clock_start) if self.settings.clock_start else None
        return clock.initial_state(start, self.settings.frozen_clock)

    def _seed_history(self, account, today: date) -> None:
        if account.entries is not None:
            self.store.add_entries(account.account, (
                NewEntry(str(entry.get("id", f"F{index + 1:06d}")), date.fromisoformat(entry["booking"]),
                         date.fromisoformat(entry.get("value", entry["booking"])), Decimal(str(entry["amount"])),
                         entries.fixture_entry_data(entry))
                for index, entry in enumerate(sorted(account.entries, key=lambda e: e["booking"]))))
            return
        if account.history_days <= 0:
            return
        start = today - timedelta(days=account.history_days - 1)
        self.store.add_entries(account.account, (
            NewEntry(entry.entry_id, entry.booking, entry.value, entry.amount, entries.history_entry_data(entry))
            for entry in history.generate_history(account.account, account.currency, account.opening_balance, start,
                                                  today)))

    # ------------------------------------------------------------------ credentials (verification.CredentialLookup)

    def api_key(self, service_provider: str) -> str | None:
        erp = self.store.erp(service_provider)
        return None if erp is None else erp.api_key

    def integration_code(self, service_provider: str, account: str) -> str | None:
        found = self.store.account(account)
        return found.integration_code if found is not None and found.service_provider == service_provider else None

    def service_providers(self) -> list[str]:
        return [erp.service_provider for erp in self.store.erps()]

    # ------------------------------------------------------------------ clock and progression settings

    def clock(self, *, fresh: bool = False) -> clock.ClockState:
        """The clock's state; ``fresh``: read from the store now (inside a write transaction, to change it),
        not from the request's snapshot."""
        if fresh:
            return clock.ClockState(**self.store.get("clock", {}, fresh=True))
        return self.store.derived("clock", lambda: clock.ClockState(**self.store.get("clock", {})))

    def now(self) -> datetime:
        return self.clock().now()

    def set_clock(self, state: clock.ClockState) -> clock.ClockState:
        self.store.put("clock", state.to_json())
        return state

    def progression(self) -> dict[str, Any]:
        """Server default, step length and the per-account modes."""
        settings = self.store.get("progression", {})
        accounts = {account.account: account.progression for account in self.store.accounts() if account.progression}
        return {"default": settings.get("default", self.settings.progression),
                "stepSeconds": settings.get("stepSeconds", self.settings.step_seconds), "accounts": accounts}

    def set_progression(self, mode: str | None, account: str | None = None,
                        step_seconds: float | None = None) -> dict[str, Any]:
        if mode is not None and mode not in PROGRESSION_MODES:
            raise InvalidRequest(f"mode must be one of {', '.join(PROGRESSION_MODES)}",
                                 [{"pointer": "/mode", "reason": f"is not one of {', '.join(PROGRESSION_MODES)}"}])
        with self.store.transaction():
            if account is not None:
                if not self.store.set_account_progression(account, mode):
                    raise NotFound(f"no account {account}", [{"pointer": "/account", "reason": "is not an account"}])
            else:
                current = self.store.get("progression", {}, fresh=True)  # as another request may have just set it
                if mode is not None:
                    current["default"] = mode
                if step_seconds is not None:
                    current["stepSeconds"] = step_seconds
                self.store.put("progression", current)
        return self.progression()

    def mode(self, account: str) -> str:
        """The progression mode of an account: its own, its ERP's, or the bank's default."""
        found = self.store.account(account)
        if found is not None and found.progression:
            return found.progression
        erp = self.store.erp(found.service_provider) if found is not None else None
        if erp is not None and erp.progression:
            return erp.progression
        return self.store.get("progression", {}).get("default", self.settings.progression)

    # ------------------------------------------------------------------ payments

    def pay(self, account: str, request_id: str, transactions: list[dict[str, Any]],
            options: dict[str, Any] | None, invalid_fields: dict[int, list[dict[str, str]]]) -> PaymentAnswers:
        """``POST /payment``: one answer per transaction; invalid ones answer Failed (32) with errors.

        ``invalid_fields`` maps a transaction's index to the errors of its own fields (schema violations).
        """
        flags = {**self.settings.option_defaults, **(options or {})}
        now = self.now()
        owner = self._account(account)
        answers: list[Payment | UnknownPayment] = []
        with self.store.transaction():
            trans_id = self.store.new_trans_id(account, request_id)
            seen: set[str] = set()
            for index, transaction in enumerate(transactions):
                payment_id = str(transaction.get("paymentId"))
                errors = list(invalid_fields.get(index, []))
                amount = to_decimal(transaction.get("amount"))
                payment_date = None
                if not errors:
                    payment_date, date_errors = execution.execution_date(
                        transaction, amount, now, flags["moveToNextBankDate"], self.settings.execution)
                    errors += date_errors + rules.transaction_errors(transaction, amount, self.settings.fik,
                                                                     owner.currency)
                duplicate = payment_id in seen or self.store.payment_exists(account, payment_id)
                duplicate = duplicate and not flags["skipDuplicateCheck"]
                if duplicate:
                    errors.append({"code": "DUPL", "text": f"paymentId {payment_id!r} was already received for this "
                                                           "account (send skipDuplicateCheck to pay it again)"})
                seen.add(payment_id)
                outcome = Outcome((PaymentStatus.FAILED,), errors={PaymentStatus.FAILED: errors}) if errors else \
                    magic.outcome_for(transaction, amount)
                payment = self._create_payment(owner, request_id, trans_id, transaction, amount, payment_date,
                                               outcome, now, duplicate)
                if flags["waitForBankResponse"] and not payment.is_final:
                    payment = self._advance(payment, now, 1)
                answers.append(payment)
        return PaymentAnswers(account, request_id, now, answers)

    def _create_payment(self, owner: Account, request_id: str, trans_id: str, transaction: dict[str, Any],
                        amount: Decimal | None, payment_date: date | None, outcome: Outcome, now: datetime,
                        duplicate: bool) -> Payment:
        first = outcome.path[0]
        payment = Payment(
            account=owner.account, payment_id=str(transaction.get("paymentId")), trans_id=trans_id,
            end_to_end_id=uuid.uuid4().hex.upper(), request_id=request_id, transaction=_json_safe(transaction),
            outcome=outcome, status=first, created=now, changed_at=now,
            amount=round_cents(amount) if amount is not None and -MAX_AMOUNT < amount < MAX_AMOUNT else None,
            currency=_json_safe(transaction.get("currency")),  # a Failed payment's may be any JSON, e.g. 1.5
            payment_date=payment_date, errors=outcome.errors.get(first, []), warnings=outcome.warnings.get(first, []),
            history=[{"status": int(first), "time": now.isoformat()}], account_currency=owner.currency,
            duplicate=duplicate)
        return self.store.add_payment(payment)

    def status(self, account: str, request_id: str, payment_ids: list[str] | None) -> PaymentAnswers:
        """``/status``: the payments asked for (all of the account's when none), unknown ids as 64."""
        now = self.now()
        with self.store.transaction():
            self._catch_up(account, now)
            found = self._read(account, _originals(self.store.payments(account, payment_ids=payment_ids)), now)
        answers: list[Payment | UnknownPayment] = list(found)
        answers += _unknown_ids(payment_ids or [], found)
        return PaymentAnswers(account, request_id, now, answers)

    def payment(self, account: str, request_id: str, trans_id: str) -> PaymentAnswers:
        """``GET /payment/<transId>``: the payments of one request; an unknown transId answers 64."""
        now = self.now()
        with self.store.transaction():
            self._catch_up(account, now)
            answers: list[Payment | UnknownPayment] = list(
                self._read(account, self.store.payments(account, trans_id=trans_id), now))
        if not answers and trans_id.isdigit():  # an id that is no transId at all gets no answer
            answers = [UnknownPayment(f"no payment request {trans_id!r} on this account", trans_id=trans_id)]
        return PaymentAnswers(account, request_id, now, answers)

    def cancel(self, account: str, request_id: str, payment_ids: list[str]) -> PaymentAnswers:
        """``POST /payment/cancel``: cancellable payments go to Cancelling (256), then Rejected with DS02."""
        now = self.now()
        answers: list[Payment | UnknownPayment] = []
        with self.store.transaction():
            self._catch_up(account, now)
            found = _originals(self.store.payments(account, payment_ids=payment_ids))
            for payment in found:
                if payment.status in CANCELLABLE:
                    outcome = payment.outcome
                    path = outcome.path[:payment.step + 1] + (PaymentStatus.CANCELLING, PaymentStatus.REJECTED)
                    payment.outcome = Outcome(path, {**outcome.errors, PaymentStatus.REJECTED: [CANCELLED]},
                                              outcome.warnings, outcome.magic)
                    answers.append(self._move(payment, payment.step + 1, now))
                elif payment.status == PaymentStatus.CANCELLING:
                    answers.append(payment)
                else:  # the refusal is part of this answer only, not of the payment
                    answers.append(replace(payment, errors=[*payment.errors, {
                        "code": "CNCL", "text": f"payment has status {payment.status} and can no longer be cancelled"}]))
        answers += _unknown_ids(payment_ids, found)
        return PaymentAnswers(account, request_id, now, answers)

    def progress(self, payment_id: str | None = None, status: int | None = None,
                 account: str | None = None, errors: list[dict[str, str]] | None = None) -> list[Payment]:
        """``POST /_mock/progress``: one step, straight to a status (with ``errors`` shown there, e.g. a
        reason code for Failed), or every non-final payment one step."""
        now = self.now()
        with self.store.transaction():
            if payment_id is None:
                found = self.store.payments(account, non_final_only=True)
            else:
                found = _originals(self.store.payments(account, payment_ids=[payment_id]))
                if not found:
                    raise NotFound(f"no payment {payment_id!r}", [{"pointer": "/paymentId", "reason": "is not a payment"}])
                final = [payment for payment in found if payment.is_final]
                if final:
                    raise Conflict(f"payment {payment_id!r} is final (status {final[0].status}) and cannot be moved "
                                   "any more", [{"pointer": "/paymentId", "reason": "is final"}])
            return [self._force(payment, PaymentStatus(status), now, errors) if status is not None
                    else self._advance(payment, now, 1) for payment in found]

    def current_balance(self, account: str) -> Decimal:
        """An account's balance now: its opening balance and every entry booked up to the bank's today (in time
        mode, the payments that fell due on the bank clock booked first)."""
        owner = self._account(account)
        now = self.now()
        with self.store.transaction():
            self._catch_up(account, now)
            return owner.opening_balance + self.store.sum_through(account, clock.bank_date(now))

    def payments(self, account: str | None = None) -> list[Payment]:
        """Every payment (of one account), caught up with the bank clock."""
        now = self.now()
        with self.store.transaction():
            for known in self.store.accounts():
                if account in (None, known.account):
                    self._catch_up(known.account, now)
            return self.store.payments(account)

    # ------------------------------------------------------------------ progression

    def _read(self, account: str, found: list[Payment], now: datetime) -> list[Payment]:
        """A status read: in poll mode each non-final payment moves one step first."""
        if self.mode(account) != "poll":
            return found
        return [payment if payment.is_final else self._advance(payment, now, 1) for payment in found]

    def _catch_up(self, account: str, now: datetime) -> None:
        """In time mode, make every step that fell due on the bank clock since a payment last moved.

        Each step happens at its own instant (last move + n steps), so no partial interval is lost,
        and a payment is not executed (8) before its payment date.
        """
        if self.mode(account) != "time":
            return
        step = timedelta(seconds=float(self.progression()["stepSeconds"]))
        for payment in self.store.payments(account, non_final_only=True):
            moment = payment.changed_at + step
            while moment <= now and not payment.is_final:
                before = (payment.step, payment.status)
                payment = self._advance(payment, moment, 1, wait_for_date=True)
                if (payment.step, payment.status) != before:
                    moment += step
                    continue
                due = _execution_day(payment)  # it did not move: waiting for its date, for funds, or at its end
                if due is None or due <= moment:
                    break
                moment = due

    def _advance(self, payment: Payment, now: datetime, steps: int, wait_for_date: bool = False) -> Payment:
        """Move a payment up to ``steps`` steps along its path (not into 8 before its date if ``wait_for_date``)."""
        for _ in range(steps):
            following = payment.next_status()
            if following is None:
                break
            due = payment.payment_date
            if wait_for_date and following == PaymentStatus.SUCCEEDED and due and clock.bank_date(now) < due:
                break
            if following == PaymentStatus.SUCCEEDED and not self._book(payment, now):
                return self._hold_for_funds(payment, now)
            payment = self._move(payment, payment.step + 1, now)
        return payment

    def _force(self, payment: Payment, status: PaymentStatus, now: datetime,
               errors: list[dict[str, str]] | None = None) -> Payment:
        """Put a payment straight into ``status`` (control plane), booking it if that is Succeeded."""
        outcome = payment.outcome
        path = outcome.path[:payment.step + 1] + (status,)
        shown = outcome.errors if errors is None else {**outcome.errors, status: errors}
        payment.outcome = Outcome(path, shown, outcome.warnings, outcome.magic)
        if status == PaymentStatus.SUCCEEDED and payment.booked_seq is None:
            self._book(payment, now, force=True)
        return self._move(payment, len(path) - 1, now)

    def _move(self, payment: Payment, step: int, now: datetime) -> Payment:
        status = payment.outcome.path[step]
        payment.step, payment.status, payment.changed_at = step, status, now
        payment.errors = payment.outcome.errors.get(status, [])
        payment.warnings = payment.outcome.warnings.get(status, [])
        payment.history.append({"status": int(status), "time": now.isoformat()})
        self.store.update_payment(payment)
        return payment

    def _hold_for_funds(self, payment: Payment, now: datetime) -> Payment:
        if payment.status == PaymentStatus.WARNING and payment.warnings == [magic.INSUFFICIENT_FUNDS]:
            return payment
        payment.status, payment.changed_at = PaymentStatus.WARNING, now
        payment.warnings, payment.errors = [magic.INSUFFICIENT_FUNDS], []
        payment.history.append({"status": int(PaymentStatus.WARNING), "time": now.isoformat()})
        self.store.update_payment(payment)
        return payment

    def _book(self, payment: Payment, now: datetime, force: bool = False) -> bool:
        """Book a succeeding payment on the statement; False if the balance does not cover it."""
        owner = self._account(payment.account)
        booking = max(payment.payment_date or clock.bank_date(now), clock.bank_date(now))
        booked = convert(payment.amount, payment.currency, owner.currency)
        balance = owner.opening_balance + self.store.sum_through(payment.account, booking)
        if not force and balance < booked:
            return False
        payment.booked_seq = self.store.add_entry(payment.account, f"P{payment.row_id:08d}", booking, booking,
                                                  -booked, entries.payment_entry_data(payment, booked))
        payment.transacted = (booked, owner.currency)
        return True

    # ------------------------------------------------------------------ statements and balances

    def statement(self, service_provider: str, account: str, request_id: str, kind: str | None,
                  first: str | None, last: str | None, new_only: bool) -> Statement:
        """``/report/account``: entries oldest first, each with the running balance."""
        style = (kind or "Simple").strip().lower()
        if style not in ("simple", "full"):
            raise InvalidRequest(f"type {kind!r} is not a statement format this bank offers (Simple or Full)",
                                 [{"pointer": "/type", "reason": "is not Simple or Full"}])
        now = self.now()
        today = clock.bank_date(now)
        owner = self._account(account)
        with self.store.transaction():
            self._catch_up(account, now)
            if new_only:
                found = self.store.unfetched_entries(service_provider, account, today)
                start = found[0].booking if found else today
                end = found[-1].booking if found else today
                balances = [owner.opening_balance + self.store.sum_through_entry(account, entry.booking, entry.seq)
                            for entry in found]
            else:
                start, end = self._period(first, last, today)
                found = self.store.entries(account, start, min(end, today))
                running = owner.opening_balance + self.store.sum_before(account, start)
                balances = []
                for entry in found:
                    running += entry.amount
                    balances.append(running)
        return Statement(owner, request_id, now, start, end, style == "full", list(zip(found, balances)))

    def balance(self, account: str, request_id: str, kind: int | None, first: str | None,
                last: str | None) -> BalanceReport:
        """``/report/balance``: opening (1) and closing (2) balance per bank day; no closing for today."""
        wanted = {1: (1,), 2: (2,), 3: (1, 2)}.get(kind or 3)
        if wanted is None:
            raise InvalidRequest(f"type {kind!r} must be 1 (opening), 2 (closing) or 3 (both)",
                                 [{"pointer": "/type", "reason": "is not 1, 2 or 3"}])
        now = self.now()
        today = clock.bank_date(now)
        owner = self._account(account)
        start, end = self._period(first, last, today)
        with self.store.transaction():
            self._catch_up(account, now)
            running = owner.opening_balance + self.store.sum_before(account, start)
            sums = self.store.daily_sums(account, start, min(end, today))
        balances = []
        day = start
        while day <= min(end, today):
            closing = running + sums.get(day, Decimal(0))
            if bankdays.is_bank_day(day):
                if 1 in wanted:
                    balances.append(Balance(day, running, 1))
                if 2 in wanted and day < today:
                    balances.append(Balance(day, closing, 2))
            running = closing
            day += timedelta(days=1)
        return BalanceReport(owner, request_id, now, start, end, balances)

    @staticmethod
    def _period(first: str | None, last: str | None, today: date) -> tuple[date, date]:
        start = parse_request_date(first, "from") if first else today
        end = parse_request_date(last, "to") if last else today
        if start > end:
            raise InvalidRequest(f"from {start} is after to {end}", [{"pointer": "/from", "reason": "must not be after to"}])
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise InvalidRequest(f"from {start} to {end} is {MAX_PERIOD_DAYS} days or more; ask for a shorter period",
                                 [{"pointer": "/from", "reason": f"is {MAX_PERIOD_DAYS} days or more before to"}])
        return start, end

    def _account(self, account: str) -> Account:
        found = self.store.account(account)
        if found is None:
            raise NotFound(f"no account {account}")
        return found


def _execution_day(payment: Payment) -> datetime | None:
    """Midnight (UTC) of the payment date, when the payment's next step is Succeeded."""
    if payment.next_status() != PaymentStatus.SUCCEEDED or not payment.payment_date:
        return None
    return datetime.combine(payment.payment_date, datetime.min.time(), timezone.utc)


def _originals(found: list[Payment]) -> list[Payment]:
    """Payments without the refused repeats of a paymentId (those answered 32 DUPL)."""
    return [payment for payment in found if not payment.duplicate]


def _unknown_ids(payment_ids: list[str], found: list[Payment]) -> list[UnknownPayment]:
    """A NotFound answer for each asked-for paymentId the account does not have."""
    known = {payment.payment_id for payment in found}
    return [UnknownPayment(f"no payment {payment_id!r} on this account", payment_id=payment_id)
            for payment_id in dict.fromkeys(payment_ids) if payment_id not in known]


def _json_safe(value: Any) -> Any:
    """A received value with its Decimal numbers as text, as a payment keeps what was sent."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value
