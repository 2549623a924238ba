"""The bank: ERPs, accounts, payments and their statuses, statements and balances.

Handlers call a :class:`Bank` with an authenticated account and get back the response body (plain
JSON-able dicts with ``Decimal`` amounts). All state goes through :class:`mockbank.store.Store`.

Status progression: a payment follows the path of statuses its :class:`mockbank.magic.Outcome`
scripts (normally 1 -> 2 -> 4 -> 8). How it moves on is the *progression mode* of its account:
``poll`` (every status read moves it one step), ``time`` (one step every ``stepSeconds`` on the bank
clock) or ``manual`` (only ``POST /_mock/progress``). Reaching Succeeded books an entry on the
account's statement; if the balance does not cover it the payment waits in Warning (128).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mockbank import bankdays, clock, entries, history, magic, money, schemas, signing
from mockbank.entries import from_cents
from mockbank.fixtures import PROGRESSION_MODES, Fixture
from mockbank.store import Store

CANCELLABLE = frozenset({magic.CREATED, magic.PENDING, magic.ACCEPTED, magic.WARNING, magic.WAITING})
CANCELLED = {"code": "DS02", "text": "Order cancelled on the customer's request"}

#: Units of DKK per unit of a currency; payments in another currency than the account's are converted.
EXCHANGE_RATES = {"DKK": Decimal("1"), "EUR": Decimal("7.4604"), "USD": Decimal("6.8912"), "GBP": Decimal("8.6950"),
                  "SEK": Decimal("0.6410"), "NOK": Decimal("0.6380"), "CHF": Decimal("7.8120"),
                  "PLN": Decimal("1.7290")}
CENT = Decimal("0.01")
#: The longest statement or balance period one request may ask for.
MAX_PERIOD_DAYS = 400
#: Amounts from here on are refused (AM02): in cents, converted, they would no longer fit the store's integers.
MAX_AMOUNT = Decimal("1E+15")

CURRENCY = re.compile(r"[A-Z]{3}")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
_FIK = re.compile(r"\+(01|04|15|71|73|75)<([0-9]{0,19})\+([0-9]{8})<")
_DIGITS = re.compile(r"[0-9]{6,14}")
_REQUEST_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})|([0-9]{2})([0-9]{2})([0-9]{2})")


class BankError(Exception):
    """A request the bank refuses as a whole: answered with ``status`` and a JSON error body."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


@dataclass(frozen=True)
class Settings:
    """How the emulator behaves where the real API is unknown (all configurable, see README)."""

    progression: str = "poll"
    step_seconds: float = 5.0
    max_clock_skew: float | None = 900.0
    require_request_id_match: bool = True
    lenient_time_formats: bool = False
    reject_unknown_fields: bool = False
    clock_start: str | None = None  # ISO 8601, from --clock
    frozen_clock: bool = False
    option_defaults: dict[str, bool] = field(default_factory=lambda: {
        "waitForBankResponse": False, "checkPaymentStatus": False, "moveToNextBankDate": False,
        "useIban": False, "skipDuplicateCheck": False})


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))




def parse_request_date(text: str, name: str) -> date:
    """A ``from``/``to`` parameter: ``yyyy-MM-dd`` or ``yyMMdd``; BankError 400 otherwise."""
    match = _REQUEST_DATE.fullmatch(text.strip())
    try:
        if match and match.group(1):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match:
            return date(2000 + int(match.group(4)), int(match.group(5)), int(match.group(6)))
    except ValueError:
        pass
    raise BankError(400, "bad-request", f"{name}: {text!r} is not a date (yyyy-MM-dd or yyMMdd)",
                    [{"pointer": f"/{name}", "reason": "is not a date in the format yyyy-MM-dd or yyMMdd"}])


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 check digits (mod 97)."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


class Bank:
    """The emulated bank over one store. Also the :class:`mockbank.verification.CredentialLookup`."""

    def __init__(self, store: Store, fixture: Fixture, settings: Settings | None = None):
        self.store = store
        self.fixture = fixture
        self.settings = settings or Settings()

    # ------------------------------------------------------------------ life cycle

    def ensure_seeded(self) -> bool:
        """Seed an empty database from the fixture; a database already in use is kept as it is."""
        if self.store.get("seeded"):
            if self.settings.clock_start is not None or self.settings.frozen_clock:
                self.set_clock(self._initial_clock())
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
            keys = {}
            for erp in self.fixture.erps:
                self.store.add_erp(erp.service_provider, erp.api_key, erp.progression)
                keys[erp.service_provider] = erp.api_key
            for account in self.fixture.accounts:
                data = {"name": account.name, "bic": account.bic, "owner": account.owner}
                self.store.add_account(account.account, account.service_provider, account.integration_code,
                                       account.currency, data, to_cents(account.opening_balance), account.progression)
                self._seed_history(account, today)
            self.store.put("seeded", True)

    def _initial_clock(self) -> clock.ClockState:
        start = signing.parse_auth_time(self.settings.clock_start) if self.settings.clock_start else None
        return clock.initial_state(start, self.settings.frozen_clock)

    def _seed_history(self, account, today: date) -> None:
        if account.entries is not None:
            for index, entry in enumerate(sorted(account.entries, key=lambda e: e["booking"])):
                amount = Decimal(str(entry["amount"]))
                self.store.add_entry(account.account, str(entry.get("id", f"F{index + 1:06d}")), entry["booking"],
                                     entry.get("value", entry["booking"]), to_cents(amount),
                                     entries.fixture_entry_data(entry))
            return
        if account.history_days <= 0:
            return
        start = today - timedelta(days=account.history_days - 1)
        for entry in history.generate_history(account.account, account.currency, account.opening_balance, start,
                                              today):
            self.store.add_entry(account.account, entry.entry_id, entry.booking.isoformat(), entry.value.isoformat(),
                                 to_cents(entry.amount), entries.history_entry_data(entry))

    # ------------------------------------------------------------------ credentials (verification.CredentialLookup)

    def api_key(self, service_provider: str) -> str | None:
        row = self.store.erp(service_provider)
        return None if row is None else row["api_key"]

    def integration_code(self, service_provider: str, account: str) -> str | None:
        row = self.store.account(account)
        return row["integration_code"] if row is not None and row["service_provider"] == service_provider else None

    # ------------------------------------------------------------------ clock and progression settings

    def clock(self) -> clock.ClockState:
        return clock.ClockState(**self.store.get("clock", {}))

    def now(self) -> datetime:
        return self.clock().now()

    def set_clock(self, state: clock.ClockState) -> clock.ClockState:
        self.store.put("clock", state.to_json())
        return state

    def progression(self) -> dict[str, Any]:
        """Server default, step length and the per-account modes."""
        settings = self.store.get("progression", {})
        accounts = {row["account"]: row["progression"] for row in self.store.accounts() if row["progression"]}
        return {"default": settings.get("default", self.settings.progression),
                "stepSeconds": settings.get("stepSeconds", self.settings.step_seconds), "accounts": accounts}

    def set_progression(self, mode: str | None, account: str | None = None,
                        step_seconds: float | None = None) -> dict[str, Any]:
        if mode is not None and mode not in PROGRESSION_MODES:
            raise BankError(400, "bad-request", f"mode must be one of {', '.join(PROGRESSION_MODES)}")
        with self.store.transaction():
            if account is not None:
                if not self.store.set_account_progression(account, mode):
                    raise BankError(404, "not-found", f"no account {account}")
            else:
                current = self.store.get("progression", {})
                if mode is not None:
                    current["default"] = mode
                if step_seconds is not None:
                    current["stepSeconds"] = step_seconds
                self.store.put("progression", current)
        return self.progression()

    def _mode(self, account: str) -> str:
        row = self.store.account(account)
        if row is not None and row["progression"]:
            return row["progression"]
        erp = self.store.erp(row["service_provider"]) if row is not None else None
        if erp is not None and erp["progression"]:
            return erp["progression"]
        return self.store.get("progression", {}).get("default", self.settings.progression)

    # ------------------------------------------------------------------ payments

    def pay(self, account: str, request_id: str, transactions: list[dict[str, Any]],
            options: dict[str, Any] | None, schema_errors: dict[int, list[dict[str, str]]]) -> dict[str, Any]:
        """``POST /payment``: one answer per transaction; invalid ones answer Failed (32) with errors."""
        flags = {**self.settings.option_defaults, **(options or {})}
        now = self.now()
        today = clock.bank_date(now)
        account_row = self._account(account)
        answers = []
        with self.store.transaction():
            trans_id = self.store.new_trans_id(account, request_id)
            seen: set[str] = set()
            for index, transaction in enumerate(transactions):
                payment_id = str(transaction.get("paymentId"))
                errors = list(schema_errors.get(index, []))
                amount = money.to_decimal(transaction.get("amount"))
                payment_date = None
                if not errors:
                    payment_date, date_errors = self._payment_date(transaction["paymentDate"], today, flags)
                    errors += date_errors + self._check_transaction(transaction, amount)
                duplicate = payment_id in seen or self.store.payment_exists(account, payment_id)
                duplicate = duplicate and not flags["skipDuplicateCheck"]
                if duplicate:
                    errors.append({"code": "DUPL", "text": f"paymentId {payment_id!r} was already received for this "
                                                           "account (send skipDuplicateCheck to pay it again)"})
                seen.add(payment_id)
                outcome = magic.Outcome((magic.FAILED,), errors={magic.FAILED: errors}) if errors else \
                    magic.outcome_for(transaction, amount)
                answers.append(self._create_payment(account_row, request_id, trans_id, transaction, amount,
                                                    payment_date, outcome, flags, now, duplicate))
        return self._envelope(account, request_id, now, answers)

    def _payment_date(self, text: str, today: date, flags: dict[str, Any]) -> tuple[date | None, list[dict]]:
        requested = date.fromisoformat(text)
        moved = max(requested, today)
        if moved != requested and not flags["moveToNextBankDate"]:
            return None, [{"code": "DT01", "text": f"paymentDate {text} is in the past (bank date {today}); "
                                                   "send moveToNextBankDate to have it moved", "field": "paymentDate"}]
        if not bankdays.is_bank_day(moved):
            if not flags["moveToNextBankDate"]:
                reason = bankdays.holiday_name(moved) or moved.strftime("%A")
                return None, [{"code": "DT01", "text": f"paymentDate {text} is not a bank day ({reason}); send "
                                                       "moveToNextBankDate to have it moved", "field": "paymentDate"}]
            try:
                moved = bankdays.next_bank_day(moved)
            except OverflowError:  # 9999-12-31
                return None, [{"code": "DT01", "text": f"paymentDate {text} has no bank day after it in the calendar",
                               "field": "paymentDate"}]
        return moved, []

    def _check_transaction(self, transaction: dict[str, Any], amount: Decimal | None) -> list[dict[str, str]]:
        errors = []
        if amount is None or amount <= 0:
            errors.append({"code": "AM01" if amount == 0 else "AM12", "field": "amount",
                           "text": f"amount {transaction.get('amount')!s} must be a positive number"})
        elif amount >= MAX_AMOUNT:
            errors.append({"code": "AM02", "field": "amount",
                           "text": f"amount {transaction.get('amount')!s} is too large (the limit is {MAX_AMOUNT:f})"})
        if transaction.get("currency") not in EXCHANGE_RATES:
            errors.append({"code": "AM03", "field": "currency",
                           "text": f"currency {transaction.get('currency')!r} is not supported "
                                   f"({', '.join(EXCHANGE_RATES)})"})
        problem = creditor_account_problem(str(transaction.get("account", "")))
        if problem:
            errors.append({"code": "AC01", "field": "account", "text": problem})
        return errors

    def _create_payment(self, account_row, request_id: str, trans_id: str, transaction: dict[str, Any],
                        amount: Decimal | None, payment_date: date | None, outcome: magic.Outcome,
                        flags: dict[str, Any], now: datetime, duplicate: bool = False) -> dict[str, Any]:
        stamp = now.isoformat()
        data = {
            "requestId": request_id, "transaction": _json_safe(transaction), "outcome": outcome.to_json(),
            "amount": (str(amount.quantize(CENT, ROUND_HALF_UP))
                       if amount is not None and -MAX_AMOUNT < amount < MAX_AMOUNT else None),
            "currency": _json_safe(transaction.get("currency")),  # a Failed payment's may be any JSON, e.g. 1.5
            "paymentDate": payment_date.isoformat() if payment_date else None,
            "errors": outcome.errors.get(outcome.path[0], []), "warnings": outcome.warnings.get(outcome.path[0], []),
            "history": [{"status": outcome.path[0], "time": stamp}], "created": stamp, "bookedSeq": None,
            "transacted": None, "accountCurrency": account_row["currency"],
            # a refused repeat of an existing paymentId: shown by its transId, never in place of the original
            "duplicate": duplicate,
        }
        status, step = outcome.path[0], 0
        end_to_end_id = uuid.uuid4().hex.upper()
        row_id = self.store.add_payment(account_row["account"], str(transaction.get("paymentId")), trans_id,
                                        end_to_end_id, status, step, stamp, data)
        if flags["waitForBankResponse"] and status not in magic.FINAL_STATUSES:
            return self._answer(self._advance(self._payment_row(row_id), now, 1))
        return self._answer(self._payment_row(row_id))

    def status(self, account: str, request_id: str, payment_ids: list[str] | None) -> dict[str, Any]:
        """``/status``: the payments asked for (all of the account's when none), unknown ids as 64."""
        now = self.now()
        with self.store.transaction():
            self._catch_up(account, now)
            rows = _originals(self.store.payments(account, payment_ids=payment_ids))
            answers = [self._answer(row) for row in self._read(account, rows, now)]
        known = {answer["paymentId"] for answer in answers}
        for payment_id in dict.fromkeys(payment_ids or []):
            if payment_id not in known:
                answers.append({"paymentId": payment_id, "status": magic.NOT_FOUND,
                                "errors": [{"code": "NOTFOUND", "text": f"no payment {payment_id!r} on this account"}]})
        return self._envelope(account, request_id, now, answers)

    def payment(self, account: str, request_id: str, trans_id: str) -> dict[str, Any]:
        """``GET /payment/<transId>``: the payments of one request; an unknown transId answers 64."""
        now = self.now()
        with self.store.transaction():
            self._catch_up(account, now)
            rows = self.store.payments(account, trans_id=trans_id)
            answers = [self._answer(row) for row in self._read(account, rows, now)]
        if not answers and trans_id.isdigit():  # an id that is no transId at all gets no answer
            answers = [{"transId": trans_id, "status": magic.NOT_FOUND,
                        "errors": [{"code": "NOTFOUND", "text": f"no payment request {trans_id!r} on this account"}]}]
        return self._envelope(account, request_id, now, answers)

    def cancel(self, account: str, request_id: str, payment_ids: list[str]) -> dict[str, Any]:
        """``POST /payment/cancel``: cancellable payments go to Cancelling (256), then Rejected with DS02."""
        now = self.now()
        answers = []
        with self.store.transaction():
            self._catch_up(account, now)
            rows = _originals(self.store.payments(account, payment_ids=payment_ids))
            for row in rows:
                data = _loads(row["data"])
                if row["status"] in CANCELLABLE:
                    outcome = magic.Outcome.from_json(data["outcome"])
                    path = outcome.path[:row["step"] + 1] + (magic.CANCELLING, magic.REJECTED)
                    errors = {**outcome.errors, magic.REJECTED: [CANCELLED]}
                    data["outcome"] = magic.Outcome(path, errors, outcome.warnings, outcome.magic).to_json()
                    row = self._move(row, data, row["step"] + 1, now)
                    answers.append(self._answer(row))
                else:
                    answer = self._answer(row)
                    if row["status"] != magic.CANCELLING:
                        answer["errors"] = [*answer.get("errors", []), {
                            "code": "CNCL", "text": f"payment has status {row['status']} and can no longer be cancelled"}]
                    answers.append(answer)
        found = {row["payment_id"] for row in rows}
        for payment_id in dict.fromkeys(payment_ids):
            if payment_id not in found:
                answers.append({"paymentId": payment_id, "status": magic.NOT_FOUND,
                                "errors": [{"code": "NOTFOUND", "text": f"no payment {payment_id!r} on this account"}]})
        return self._envelope(account, request_id, now, answers)

    def progress(self, payment_id: str | None = None, status: int | None = None,
                 account: str | None = None) -> list[dict[str, Any]]:
        """``POST /_mock/progress``: one step, straight to a status, or every non-final payment one step."""
        now = self.now()
        with self.store.transaction():
            if payment_id is None:
                rows = self.store.payments(account, non_final_only=True)
            else:
                rows = _originals(self.store.payments(account, payment_ids=[payment_id]))
                if not rows:
                    raise BankError(404, "not-found", f"no payment {payment_id!r}")
                final = [row for row in rows if row["status"] in magic.FINAL_STATUSES]
                if final:
                    raise BankError(409, "conflict", f"payment {payment_id!r} is final (status {final[0]['status']}) "
                                                     "and cannot be moved any more")
            moved = [self._force(row, status, now) if status is not None else self._advance(row, now, 1)
                     for row in rows]
        return [self._describe(row) for row in moved]

    def payments(self, account: str | None = None) -> list[dict[str, Any]]:
        """``GET /_mock/payments``: every payment with its account, ids, status and history."""
        now = self.now()
        with self.store.transaction():
            for row in self.store.accounts():
                if account in (None, row["account"]):
                    self._catch_up(row["account"], now)
            return [self._describe(row) for row in self.store.payments(account)]

    # ------------------------------------------------------------------ progression

    def _read(self, account: str, rows: list, now: datetime) -> list:
        """A status read: in poll mode each non-final payment moves one step first."""
        if self._mode(account) != "poll":
            return rows
        return [self._advance(row, now, 1) if row["status"] not in magic.FINAL_STATUSES else row for row in rows]

    def _catch_up(self, account: str, now: datetime) -> None:
        """In time mode, make every step that fell due on the bank clock since a payment last moved.

        Each step happens at its own instant (last move + n steps), so no partial interval is lost,
        and a payment is not executed (8) before its payment date.
        """
        if self._mode(account) != "time":
            return
        step = timedelta(seconds=float(self.progression()["stepSeconds"]))
        for row in self.store.payments(account, non_final_only=True):
            moment = datetime.fromisoformat(row["changed_at"]) + step
            while moment <= now and row["status"] not in magic.FINAL_STATUSES:
                moved = self._advance(row, moment, 1, wait_for_date=True)
                if moved["step"] != row["step"] or moved["status"] != row["status"]:
                    row, moment = moved, moment + step
                    continue
                due = _execution_day(row)  # it did not move: waiting for its date, for funds, or at its end
                if due is None or due <= moment:
                    break
                moment = due

    def _advance(self, row, now: datetime, steps: int, wait_for_date: bool = False):
        """Move a payment up to ``steps`` steps along its path (not into 8 before its date if ``wait_for_date``)."""
        for _ in range(steps):
            data = _loads(row["data"])
            path = data["outcome"]["path"]
            if row["step"] >= len(path) - 1:
                break
            next_step = row["step"] + 1
            due = date.fromisoformat(data["paymentDate"]) if data["paymentDate"] else None
            if wait_for_date and path[next_step] == magic.SUCCEEDED and due and clock.bank_date(now) < due:
                break
            if path[next_step] == magic.SUCCEEDED and not self._book(row, data, now):
                row = self._hold_for_funds(row, data, now)
                break
            row = self._move(row, data, next_step, now)
        return row

    def _force(self, row, status: int, now: datetime):
        """Put a payment straight into ``status`` (control plane), booking it if that is Succeeded."""
        data = _loads(row["data"])
        outcome = magic.Outcome.from_json(data["outcome"])
        path = outcome.path[:row["step"] + 1] + (status,)
        data["outcome"] = magic.Outcome(path, outcome.errors, outcome.warnings, outcome.magic).to_json()
        if status == magic.SUCCEEDED and data["bookedSeq"] is None:
            self._book(row, data, now, force=True)
        return self._move(row, data, len(path) - 1, now)

    def _move(self, row, data: dict[str, Any], step: int, now: datetime):
        status = data["outcome"]["path"][step]
        data["errors"] = data["outcome"]["errors"].get(str(status), [])
        data["warnings"] = data["outcome"]["warnings"].get(str(status), [])
        data["history"].append({"status": status, "time": now.isoformat()})
        self.store.update_payment(row["id"], status, step, now.isoformat(), data)
        return self._payment_row(row["id"])

    def _hold_for_funds(self, row, data: dict[str, Any], now: datetime):
        if row["status"] == magic.WARNING and data["warnings"] == [magic.INSUFFICIENT_FUNDS]:
            return row
        data["warnings"] = [magic.INSUFFICIENT_FUNDS]
        data["errors"] = []
        data["history"].append({"status": magic.WARNING, "time": now.isoformat()})
        self.store.update_payment(row["id"], magic.WARNING, row["step"], now.isoformat(), data)
        return self._payment_row(row["id"])

    def _book(self, row, data: dict[str, Any], now: datetime, force: bool = False) -> bool:
        """Book a succeeding payment on the statement; False if the balance does not cover it."""
        account = self._account(row["account"])
        booking = max(date.fromisoformat(data["paymentDate"]) if data["paymentDate"] else clock.bank_date(now),
                      clock.bank_date(now))
        amount = Decimal(data["amount"])
        booked = convert(amount, data["currency"], account["currency"])
        balance = account["opening_cents"] + self.store.sum_through(row["account"], booking.isoformat())
        if not force and balance < to_cents(booked):
            return False
        transaction = data["transaction"]
        creditor = transaction.get("creditor") or {}
        lines = transaction.get("creditorMessage") or []
        entry = {
            "type": "Transfer", "text": (transaction.get("text") or f"Overførsel {creditor.get('name', '')}".strip())[:35],
            "creditorText": transaction.get("creditorText"), "creditorMessage": " ".join(lines) or None,
            "advis": list(lines), "endToEndId": row["end_to_end_id"], "paymentId": row["payment_id"],
            "transactionCodes": ["PMNT", "ICDT", "ESCT" if data["currency"] == "EUR" else "DMCT"],
            "creditor": {"id": "", "name": creditor.get("name", "")}, "creditorAccount": transaction.get("account"),
        }
        if data["currency"] != account["currency"]:
            entry.update(instructedCurrency=data["currency"], instructedAmount=str(amount),
                         exchangeRate=str((booked / amount).quantize(Decimal("0.000001"))))
        data["bookedSeq"] = self.store.add_entry(row["account"], f"P{row['id']:08d}", booking.isoformat(),
                                                 booking.isoformat(), -to_cents(booked), entry)
        data["transacted"] = {"amount": str(booked), "currency": account["currency"]}
        return True

    # ------------------------------------------------------------------ statements and balances

    def statement(self, service_provider: str, account: str, request_id: str, kind: str | None,
                  first: str | None, last: str | None, new_only: bool) -> dict[str, Any]:
        """``/report/account``: entries oldest first, each with the running balance."""
        style = (kind or "Simple").strip().lower()
        if style not in ("simple", "full"):
            raise BankError(400, "bad-request", f"type {kind!r} is not a statement format this bank offers "
                                                "(Simple or Full)", [{"pointer": "/type", "reason": "is not Simple or Full"}])
        now = self.now()
        today = clock.bank_date(now)
        row = self._account(account)
        with self.store.transaction():
            self._catch_up(account, now)
            if new_only:
                rows = self.store.unfetched_entries(service_provider, account, today.isoformat())
                start = date.fromisoformat(rows[0]["booking"]) if rows else today
                end = date.fromisoformat(rows[-1]["booking"]) if rows else today
                balances = self._running_balances(account, row["opening_cents"], rows)
            else:
                start, end = self._period(first, last, today)
                rows = self.store.entries(account, start.isoformat(), min(end, today).isoformat())
                running = row["opening_cents"] + self.store.sum_before(account, start.isoformat())
                balances = []
                for entry in rows:
                    running += entry["amount_cents"]
                    balances.append(running)
        render = entries.full_entry if style == "full" else entries.simple_entry
        envelope = self._report_envelope(row, request_id, now)
        envelope.update({"from": f"{start.isoformat()}T00:00:00", "to": f"{end.isoformat()}T00:00:00",
                         "entries": [render(entry, balance, row["currency"]) for entry, balance in zip(rows, balances)]})
        return envelope

    def _running_balances(self, account: str, opening: int, rows: list) -> list[int]:
        """Balances after each of ``rows`` (entries that may be spread out, as newOnly returns them)."""
        return [opening + self.store.sum_through_entry(account, entry["booking"], entry["seq"]) for entry in rows]

    def balance(self, account: str, request_id: str, kind: int | None, first: str | None,
                last: str | None) -> dict[str, Any]:
        """``/report/balance``: opening (1) and closing (2) balance per bank day; no closing for today."""
        wanted = {1: (1,), 2: (2,), 3: (1, 2)}.get(kind or 3)
        if wanted is None:
            raise BankError(400, "bad-request", f"type {kind!r} must be 1 (opening), 2 (closing) or 3 (both)",
                            [{"pointer": "/type", "reason": "is not 1, 2 or 3"}])
        now = self.now()
        today = clock.bank_date(now)
        row = self._account(account)
        start, end = self._period(first, last, today)
        with self.store.transaction():
            self._catch_up(account, now)
            running = row["opening_cents"] + self.store.sum_before(account, start.isoformat())
            sums = self.store.daily_sums(account, start.isoformat(), min(end, today).isoformat())
        balances = []
        day = start
        while day <= min(end, today):
            closing = running + sums.get(day.isoformat(), 0)
            if bankdays.is_bank_day(day):
                if 1 in wanted:
                    balances.append({"date": day.isoformat(), "amount": from_cents(running), "type": 1})
                if 2 in wanted and day < today:
                    balances.append({"date": day.isoformat(), "amount": from_cents(closing), "type": 2})
            running = closing
            day += timedelta(days=1)
        envelope = self._report_envelope(row, request_id, now)
        envelope.pop("owner", None)
        envelope.update({"from": start.isoformat(), "to": end.isoformat(), "entries": balances})
        return envelope

    @staticmethod
    def _period(first: str | None, last: str | None, today: date) -> tuple[date, date]:
        start = parse_request_date(first, "from") if first else today
        end = parse_request_date(last, "to") if last else today
        if start > end:
            raise BankError(400, "bad-request", f"from {start} is after to {end}",
                            [{"pointer": "/from", "reason": "must not be after to"}])
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise BankError(400, "bad-request", f"from {start} to {end} is {MAX_PERIOD_DAYS} days or more; ask for a "
                                                "shorter period",
                            [{"pointer": "/from", "reason": f"is {MAX_PERIOD_DAYS} days or more before to"}])
        return start, end

    # ------------------------------------------------------------------ rendering

    def _account(self, account: str):
        row = self.store.account(account)
        if row is None:
            raise BankError(404, "not-found", f"no account {account}")
        return row

    def _payment_row(self, row_id: int):
        return self.store.payment(row_id)

    @staticmethod
    def _envelope(account: str, request_id: str, now: datetime, answers: list) -> dict[str, Any]:
        return {"account": account, "requestId": request_id, "time": clock.local_iso(now), "answers": answers}

    @staticmethod
    def _report_envelope(row, request_id: str, now: datetime) -> dict[str, Any]:
        data = _loads(row["data"])
        envelope = {"account": row["account"], "requestId": request_id, "created": clock.local_iso(now),
                    "currency": row["currency"], "name": data.get("name", ""), "bic": data.get("bic", "")}
        if data.get("owner"):
            envelope["owner"] = data["owner"]
        return envelope

    @staticmethod
    def _answer(row) -> dict[str, Any]:
        data = _loads(row["data"])
        transaction = data["transaction"]
        answer: dict[str, Any] = {"transId": row["trans_id"], "paymentId": row["payment_id"],
                                  "endToEndId": row["end_to_end_id"], "status": row["status"]}
        info: dict[str, Any] = {}  # only what is valid: a Failed (32) payment may have sent anything
        if isinstance(transaction.get("text"), str) and transaction["text"]:
            info["text"] = transaction["text"]
        if data["amount"] is not None and isinstance(data["currency"], str) and CURRENCY.fullmatch(data["currency"]):
            info["instructed"] = {"amount": Decimal(data["amount"]), "currency": data["currency"]}
        if data["transacted"] and row["status"] == magic.SUCCEEDED:
            info["transacted"] = {"amount": Decimal(data["transacted"]["amount"]),
                                  "currency": data["transacted"]["currency"]}
        if info:
            answer["info"] = info
        if data["errors"]:
            answer["errors"] = data["errors"]
        if data["warnings"]:
            answer["warnings"] = data["warnings"]
        return answer

    def _describe(self, row) -> dict[str, Any]:
        data = _loads(row["data"])
        return {"account": row["account"], "paymentId": row["payment_id"], "transId": row["trans_id"],
                "endToEndId": row["end_to_end_id"], "requestId": data["requestId"], "status": row["status"],
                "paymentDate": data["paymentDate"], "amount": data["amount"], "currency": data["currency"],
                "magic": data["outcome"].get("magic"), "path": data["outcome"]["path"], "step": row["step"],
                "progression": self._mode(row["account"]), "errors": data["errors"], "warnings": data["warnings"],
                "history": data["history"], "bookedEntry": data["bookedSeq"], "transaction": data["transaction"]}


def _execution_day(row) -> datetime | None:
    """Midnight (UTC) of the payment date, when the payment's next step is Succeeded."""
    data = _loads(row["data"])
    path = data["outcome"]["path"]
    if row["step"] + 1 >= len(path) or path[row["step"] + 1] != magic.SUCCEEDED or not data["paymentDate"]:
        return None
    return datetime.combine(date.fromisoformat(data["paymentDate"]), datetime.min.time(), timezone.utc)


def _originals(rows: list) -> list:
    """Payments without the refused repeats of a paymentId (those answered 32 DUPL)."""
    return [row for row in rows if not _loads(row["data"]).get("duplicate")]


def convert(amount: Decimal, source: str, target: str) -> Decimal:
    """An amount in ``source`` currency expressed in ``target`` currency, at the bank's fixed rates."""
    if source == target:
        return amount.quantize(CENT, ROUND_HALF_UP)
    return (amount * EXCHANGE_RATES[source] / EXCHANGE_RATES[target]).quantize(CENT, ROUND_HALF_UP)


def creditor_account_problem(account: str) -> str | None:
    """Why a creditor account string is not one the bank can pay to, or None."""
    text = account.strip()
    compact = text.replace(" ", "").upper()
    if _FIK.fullmatch(text):
        card, reference = _FIK.fullmatch(text).group(1, 2)
        if card in ("01", "73") and reference:
            return f"FI card +{card} carries no payment reference: write +{card}<+creditorno<"
        if card not in ("01", "73") and not reference:
            return f"FI card +{card} needs a payment reference: write +{card}<reference+creditorno<"
        return None
    if _IBAN.fullmatch(compact):
        return None if iban_is_valid(compact) else f"IBAN {text!r} has wrong check digits"
    if _DIGITS.fullmatch(text):
        return None
    return (f"creditor account {text!r} is not a BBAN (reg.no + account no, up to 14 digits), an IBAN, "
            "or an FI/FIK string like +71<reference+creditorno<")


def _loads(text: str) -> dict[str, Any]:
    return json.loads(text)


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def schema_errors_by_transaction(body: dict[str, Any], reject_unknown_fields: bool = False,
                                 ) -> tuple[list[dict[str, str]], dict[int, list[dict[str, str]]]]:
    """Split a payment body's schema violations: request-level ones, and per transaction index.

    A transaction's own field errors make only that payment Failed (32); everything else (and a
    transaction without a usable paymentId) fails the whole request. With ``reject_unknown_fields``
    a field the schema does not define is a violation too.
    """
    request_level, per_transaction = [], {}
    violations = schemas.violations("payment-request", body)
    if reject_unknown_fields and not violations:
        violations = schemas.unknown_fields("payment-request", body)
    for violation in violations:
        parts = violation.pointer.split("/")
        if len(parts) >= 4 and parts[1] == "transactions" and parts[3] != "paymentId":
            field_name = "/".join(parts[3:])
            per_transaction.setdefault(int(parts[2]), []).append(
                {"code": "FIELD", "field": field_name, "text": f"{field_name} {violation.reason}"})
        else:
            request_level.append({"pointer": violation.pointer, "reason": violation.reason})
    return request_level, per_transaction
