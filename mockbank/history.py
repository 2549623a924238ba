"""Deterministic statement history for accounts that have none in their fixture.

:func:`generate_history` invents the bookings of a small Danish business: customer payments (bank
transfers and FIK cards with OCR references), supplier payments, card purchases,
Betalingsservice direct debits, rent on the first bank day of the month, salaries and fees at month
end, VAT (moms) to SKAT each quarter and interest at quarter end. An account in a currency other
than DKK gets a foreign trading profile (EU customers and suppliers, card purchases abroad, fees
and interest).

Everything is driven by the tables below and by ``random.Random`` instances seeded with strings: one
per account for its profile (which customers, suppliers, rent, payroll) and one per account and bank
day for the day's bookings. The bookings of a day therefore do not depend on the requested period,
and the same inputs always give the same list. Only the balance floor (see :func:`balance_floor`)
looks at the running balance: it shrinks or drops outgoing amounts that would cross it.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as _dt
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Callable, Iterator, Sequence

from mockbank import history_tables as tables
from mockbank import fik, money
from mockbank.bankdays import bank_days, next_bank_day, previous_bank_day

__all__ = ["KINDS", "HistoryEntry", "balance_floor", "generate_history"]

#: Every value :attr:`HistoryEntry.kind` can take.
KINDS: tuple[str, ...] = ("Transfer", "FIK", "Card", "DirectDebit", "Salary", "Fee", "Interest")

#: Most bookings on one bank day.
MAX_ENTRIES_PER_DAY = 6

_CENT = Decimal("0.01")
_UNIT = Decimal("1")
#: Decimal arithmetic runs in this context whatever the caller's, so results never vary.
_DECIMAL_CONTEXT = Context(prec=28)
_TEXT_MAX = 35
_MESSAGE_MAX = 140


@dataclass(frozen=True)
class HistoryEntry:
    """One booked statement line of an account (amount signed: negative = money out)."""

    entry_id: str
    booking: _dt.date
    value: _dt.date
    amount: Decimal
    text: str
    kind: str
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    creditor_text: str | None = None
    creditor_message: str | None = None
    debtor_text: str | None = None
    debtor_message: str | None = None
    end_to_end_id: str | None = None
    transaction_codes: tuple[str, str, str] = ("PMNT", "ICDT", "DMCT")


# --------------------------------------------------------------------------------------------------
# Profiles: which market an account trades in, and its fixed monthly figures.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Party:
    name: str
    account: str


@dataclass(frozen=True)
class _Market:
    """A trading pattern: counterparties, texts, scheduled and random events."""

    customers: tuple[tuple[str, str], ...]  # (name, country); country "DK" gets a BBAN
    suppliers: tuple[tuple[str, str], ...]
    merchants: tuple[tuple[str, int, int], ...]
    card_texts: tuple[str, ...]
    fees: tuple[tuple[str, int, int], ...]
    invoice_range: tuple[int, int]  # net invoice amounts customers pay by transfer
    supplier_range: tuple[int, int]  # what we pay suppliers
    vat_rate: Decimal  # added to net invoice amounts
    invoice_text: str  # on our statement for an incoming payment, and the payer's debtorText
    supplier_text: str  # on our statement for a supplier payment
    creditor_text: str  # on the supplier's statement
    payment_message: str  # advice sent along with a payment for an invoice
    scheduled: tuple[tuple[str, str], ...]  # (rule, event) booked on the days the rule picks
    random_events: tuple[tuple[str, int], ...]  # (event, weight)
    daily_counts: tuple[int, ...]  # weights of 0, 1, 2, ... random bookings per bank day


_DOMESTIC = _Market(
    customers=tuple((name, "DK") for name in tables.DK_CUSTOMERS),
    suppliers=tuple((name, "DK") for name in tables.DK_SUPPLIERS),
    merchants=tables.DK_MERCHANTS,
    card_texts=tables.DK_CARD_TEXTS,
    fees=tables.DK_FEES,
    invoice_range=(500, 26000),
    supplier_range=(300, 20000),
    vat_rate=Decimal("0.25"),
    invoice_text="Faktura {invoice} {name}",
    supplier_text="Fakt. {invoice} {name}",
    creditor_text="Faktura {invoice}",
    payment_message="Betaling af faktura {invoice}",
    scheduled=(
        ("first_bank_day", "rent"),
        ("first_bank_day", "direct_debits"),
        ("vat_day", "vat"),
        ("last_bank_day", "salary"),
        ("last_bank_day", "monthly_fee"),
        ("quarter_end", "interest"),
    ),
    random_events=(("customer_transfer", 30), ("fik_payment", 14), ("supplier_transfer", 20),
                   ("card_purchase", 32), ("service_fee", 2)),
    daily_counts=(10, 22, 28, 20, 11, 6, 3),
)

_FOREIGN = _Market(
    customers=tables.EU_CUSTOMERS,
    suppliers=tables.EU_SUPPLIERS,
    merchants=tables.EU_MERCHANTS,
    card_texts=tables.EU_CARD_TEXTS,
    fees=tables.EU_FEES,
    invoice_range=(2000, 60000),
    supplier_range=(1500, 52000),
    vat_rate=Decimal(0),  # intra-EU sales: reverse charge
    invoice_text="Invoice {invoice} {name}",
    supplier_text="Inv. {invoice} {name}",
    creditor_text="Invoice {invoice}",
    payment_message="Payment of invoice {invoice}",
    scheduled=(("last_bank_day", "monthly_fee"), ("quarter_end", "interest")),
    random_events=(("customer_transfer", 40), ("supplier_transfer", 35), ("card_purchase", 20),
                   ("service_fee", 5)),
    daily_counts=(35, 35, 18, 8, 3, 1),
)


@dataclass(frozen=True)
class _Profile:
    """The fixed traits of one account, drawn once from its seed."""

    market: _Market
    dkk_per_unit: Decimal
    transfer_code: str
    size: Decimal  # scales every DKK amount
    customers: tuple[_Party, ...]
    suppliers: tuple[_Party, ...]
    landlord: _Party
    rent: Decimal
    lease_no: str
    payroll: Decimal
    monthly_fee: Decimal
    direct_debits: tuple[tuple[_Party, Decimal, str], ...]  # (creditor, monthly DKK, customer no.)
    tax_account: _Party
    invoice_base: int


def _digits(rng: random.Random, n: int) -> str:
    """Draw ``n`` decimal digits."""
    return "".join(str(int(rng.random() * 10)) for _ in range(n))


def _pick(rng: random.Random, seq: Sequence):
    """Draw one element of ``seq`` uniformly."""
    return seq[int(rng.random() * len(seq))]


def _sample(rng: random.Random, seq: Sequence, k: int) -> list:
    """Draw ``k`` distinct elements of ``seq``, in draw order."""
    pool = list(seq)
    return [pool.pop(int(rng.random() * len(pool))) for _ in range(min(k, len(pool)))]


def _weighted(rng: random.Random, weights: Sequence[int]) -> int:
    """Draw an index into ``weights`` with probability proportional to its weight."""
    r = rng.random() * sum(weights)
    for index, weight in enumerate(weights):
        r -= weight
        if r < 0:
            return index
    return len(weights) - 1




def _party(name: str, country: str) -> _Party:
    """A counterparty with a stable invented account (same name, same account everywhere)."""
    rng = random.Random(f"mockbank-party|{name}")
    if country == "DK":
        return _Party(name, _pick(rng, tables.REG_NUMBERS) + _digits(rng, 10))
    bank_codes, length = tables.IBAN_SHAPES[country]
    prefix = _pick(rng, bank_codes) if bank_codes else ""
    return _Party(name, money.make_iban(country, prefix + _digits(rng, length)))


def _profile(account: str, currency: str) -> _Profile:
    """Draw the fixed traits of an account from its number and currency."""
    rng = random.Random(f"mockbank-profile|{account}|{currency}")
    market = _DOMESTIC if currency == "DKK" else _FOREIGN
    size = Decimal(70 + int(rng.random() * 71)) / 100  # 0.70 .. 1.40
    debits = [
        (_party(name, "DK"), Decimal(low + int(rng.random() * (high - low + 1))), _digits(rng, 8))
        for name, low, high in _sample(rng, tables.DK_DIRECT_DEBITS, 2 + int(rng.random() * 2))
    ]
    return _Profile(
        market=market,
        dkk_per_unit=money.dkk_per_unit(currency),
        transfer_code=tables.TRANSFER_CODES.get(currency, "XBCT"),
        size=size,
        customers=tuple(_party(*c) for c in _sample(rng, market.customers, 8)),
        suppliers=tuple(_party(*s) for s in _sample(rng, market.suppliers, 5)),
        landlord=_party(_pick(rng, tables.DK_LANDLORDS), "DK"),
        rent=Decimal(110 + int(rng.random() * 50)) * 100,  # 11,000 .. 15,900
        lease_no=_digits(rng, 6),
        payroll=Decimal(70 + int(rng.random() * 21)) * 1000,  # 70,000 .. 90,000
        monthly_fee=_pick(rng, (Decimal(45), Decimal(75), Decimal(95), Decimal(125))),
        direct_debits=tuple(debits),
        tax_account=_party("Skattestyrelsen", "DK"),
        invoice_base=1000 + int(rng.random() * 8000),
    )


# --------------------------------------------------------------------------------------------------
# Calendar rules for scheduled bookings.
# --------------------------------------------------------------------------------------------------


def _first_bank_day(day: _dt.date) -> bool:
    return day == next_bank_day(day.replace(day=1))


def _last_bank_day(day: _dt.date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    return day == previous_bank_day(day.replace(day=last))


_RULES: dict[str, Callable[[_dt.date], bool]] = {
    "first_bank_day": _first_bank_day,
    "last_bank_day": _last_bank_day,
    # Quarterly VAT is due on the 1st of March, June, September and December.
    "vat_day": lambda day: day.month % 3 == 0 and _first_bank_day(day),
    "quarter_end": lambda day: day.month % 3 == 0 and _last_bank_day(day),
}


# --------------------------------------------------------------------------------------------------
# Events: each turns one bank day's context into zero or more draft entries.
# --------------------------------------------------------------------------------------------------


@dataclass
class _Day:
    """What an event sees: the day, its random stream, the account's profile and balance."""

    day: _dt.date
    rng: random.Random
    profile: _Profile
    balance: Decimal

    def money(self, low: int, high: int, skew: int = 2) -> Decimal:
        """Draw a DKK amount between ``low`` and ``high`` (skewed low), scaled, in the currency."""
        share = Decimal(self.rng.random()) ** skew
        return self.convert(Decimal(low) + (Decimal(high) - Decimal(low)) * share)

    def invoice(self, low: int, high: int) -> Decimal:
        """Draw an invoice total: a whole-krone net amount (skewed low) plus the market's VAT."""
        net = Decimal(low + int(self.rng.random() ** 2 * (high - low)))
        return self.convert(net * (1 + self.profile.market.vat_rate))

    def convert(self, dkk: Decimal, scaled: bool = True) -> Decimal:
        """Convert a DKK amount to the account currency, scaled by the account's size if asked."""
        if scaled:
            dkk *= self.profile.size
        return max((dkk / self.profile.dkk_per_unit).quantize(_CENT, ROUND_HALF_UP), _CENT)

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.rng.random() < p

    def end_to_end_id(self) -> str:
        """A fresh 32-character upper-case hex end-to-end id."""
        return "".join(_pick(self.rng, "0123456789ABCDEF") for _ in range(32))

    def invoice_no(self) -> int:
        """An invoice number of ours that grows over time, as a customer would pay it."""
        return self.profile.invoice_base + self.day.toordinal() % 5000 - int(self.rng.random() * 40)


def _draft(ctx: _Day, kind: str, amount: Decimal, text: str, **fields) -> HistoryEntry:
    """Build an entry without id; codes follow the kind and direction, texts are clipped."""
    domain, family, sub = tables.TRANSACTION_CODES[kind, "in" if amount > 0 else "out"]
    if sub == "DMCT":
        sub = ctx.profile.transfer_code
    for key, limit in (("creditor_text", _TEXT_MAX), ("debtor_text", _TEXT_MAX),
                       ("creditor_message", _MESSAGE_MAX), ("debtor_message", _MESSAGE_MAX)):
        if fields.get(key):
            fields[key] = fields[key][:limit]
    fields.setdefault("value", ctx.day)
    return HistoryEntry(entry_id="", booking=ctx.day, amount=amount, text=text[:_TEXT_MAX],
                        kind=kind, transaction_codes=(domain, family, sub), **fields)


def _incoming_value_date(ctx: _Day) -> _dt.date:
    """Incoming transfers now and then carry the previous bank day as value date."""
    if ctx.chance(0.15):
        return previous_bank_day(ctx.day - _dt.timedelta(days=1))
    return ctx.day


def _customer_transfer(ctx: _Day) -> list[HistoryEntry]:
    customer = _pick(ctx.rng, ctx.profile.customers)
    invoice = ctx.invoice_no()
    market = ctx.profile.market
    amount = ctx.invoice(*market.invoice_range)
    text = market.invoice_text.format(invoice=invoice, name=customer.name)
    message = market.payment_message.format(invoice=invoice) if ctx.chance(0.6) else None
    return [_draft(ctx, "Transfer", amount, text, value=_incoming_value_date(ctx),
                   counterparty_name=customer.name, counterparty_account=customer.account,
                   debtor_text=text, debtor_message=message)]


def _fik_payment(ctx: _Day) -> list[HistoryEntry]:
    customer = _pick(ctx.rng, ctx.profile.customers)
    reference = f"{ctx.invoice_no():014d}"
    ocr = reference + fik.check_digit(reference)
    amount = ctx.invoice(300, 12000)
    return [_draft(ctx, "FIK", amount, f"FIK +71 {ocr}", value=_incoming_value_date(ctx),
                   counterparty_name=customer.name, counterparty_account=customer.account,
                   debtor_text=customer.name, debtor_message=f"OCR +71<{ocr}>")]


def _supplier_transfer(ctx: _Day) -> list[HistoryEntry]:
    supplier = _pick(ctx.rng, ctx.profile.suppliers)
    invoice = 10000 + int(ctx.rng.random() * 90000)
    market = ctx.profile.market
    amount = -ctx.money(*market.supplier_range)
    text = market.supplier_text.format(invoice=invoice, name=supplier.name)
    return [_draft(ctx, "Transfer", amount, text, counterparty_name=supplier.name,
                   counterparty_account=supplier.account,
                   creditor_text=market.creditor_text.format(invoice=invoice),
                   creditor_message=market.payment_message.format(invoice=invoice),
                   end_to_end_id=ctx.end_to_end_id())]


def _card_purchase(ctx: _Day) -> list[HistoryEntry]:
    merchant, low, high = _pick(ctx.rng, ctx.profile.market.merchants)
    template = _pick(ctx.rng, ctx.profile.market.card_texts)
    text = template.format(merchant=merchant, store=1000 + int(ctx.rng.random() * 9000))
    return [_draft(ctx, "Card", -ctx.money(low, high), text, counterparty_name=merchant)]


def _service_fee(ctx: _Day) -> list[HistoryEntry]:
    text, low, high = _pick(ctx.rng, ctx.profile.market.fees)
    return [_draft(ctx, "Fee", -ctx.convert(Decimal(low + int(ctx.rng.random() * (high - low + 1))),
                                       scaled=False), text)]


def _month_label(day: _dt.date) -> str:
    return f"{tables.MONTHS[day.month - 1]} {day.year}"


def _rent(ctx: _Day) -> list[HistoryEntry]:
    landlord = ctx.profile.landlord
    amount = -ctx.convert(ctx.profile.rent)
    return [_draft(ctx, "Transfer", amount, f"Husleje {tables.MONTHS[ctx.day.month - 1]} {landlord.name}",
                   counterparty_name=landlord.name, counterparty_account=landlord.account,
                   creditor_text=f"Husleje {_month_label(ctx.day)}",
                   creditor_message=f"Lejemål nr. {ctx.profile.lease_no}",
                   end_to_end_id=ctx.end_to_end_id())]


def _direct_debits(ctx: _Day) -> list[HistoryEntry]:
    drafts = []
    for creditor, monthly, customer_no in ctx.profile.direct_debits:
        amount = -ctx.convert(monthly * Decimal(92 + int(ctx.rng.random() * 17)) / 100)
        drafts.append(_draft(ctx, "DirectDebit", amount, f"BS {creditor.name}",
                             counterparty_name=creditor.name, counterparty_account=creditor.account,
                             creditor_message=f"Kundenr. {customer_no} {_month_label(ctx.day)}"))
    return drafts


def _vat(ctx: _Day) -> list[HistoryEntry]:
    quarter = ctx.day.month // 3 - 1 or 4
    year = ctx.day.year - (quarter == 4)
    label = f"Moms {quarter}. kvt. {year}"
    tax = ctx.profile.tax_account
    return [_draft(ctx, "Transfer", -ctx.money(18000, 52000, skew=1), f"{label} SKAT",
                   counterparty_name=tax.name, counterparty_account=tax.account,
                   creditor_text=label, creditor_message="Indbetaling til skattekonto",
                   end_to_end_id=ctx.end_to_end_id())]


def _salary(ctx: _Day) -> list[HistoryEntry]:
    amount = -ctx.convert(ctx.profile.payroll * Decimal(96 + int(ctx.rng.random() * 9)) / 100)
    label = f"Løn {_month_label(ctx.day)}"
    return [_draft(ctx, "Salary", amount, label, creditor_text=label,
                   end_to_end_id=ctx.end_to_end_id())]


def _monthly_fee(ctx: _Day) -> list[HistoryEntry]:
    return [_draft(ctx, "Fee", -ctx.convert(ctx.profile.monthly_fee, scaled=False),
                   f"Gebyr kontoførelse {tables.MONTHS[ctx.day.month - 1]}")]


def _interest(ctx: _Day) -> list[HistoryEntry]:
    """Quarterly interest on the balance: 0.25 % p.a. credit, 7.95 % p.a. on an overdraft."""
    rate = Decimal("0.0025") if ctx.balance > 0 else Decimal("0.0795")
    amount = max((abs(ctx.balance) * rate / 4).quantize(_CENT, ROUND_HALF_UP), _CENT)
    quarter = (ctx.day.month - 1) // 3 + 1
    signed = amount if ctx.balance > 0 else -amount
    return [_draft(ctx, "Interest", signed, f"Renter {quarter}. kvt. {ctx.day.year}")]


_EVENTS: dict[str, Callable[[_Day], list[HistoryEntry]]] = {
    "customer_transfer": _customer_transfer,
    "fik_payment": _fik_payment,
    "supplier_transfer": _supplier_transfer,
    "card_purchase": _card_purchase,
    "service_fee": _service_fee,
    "rent": _rent,
    "direct_debits": _direct_debits,
    "vat": _vat,
    "salary": _salary,
    "monthly_fee": _monthly_fee,
    "interest": _interest,
}


# --------------------------------------------------------------------------------------------------
# The generator.
# --------------------------------------------------------------------------------------------------


def balance_floor(opening_balance: Decimal, currency: str) -> Decimal:
    """Return the lowest running balance a generated history may reach.

    That is an overdraft of half the opening balance or 10,000 DKK (converted), whichever is
    larger, and never above the opening balance itself.
    """
    with localcontext(_DECIMAL_CONTEXT):
        opening = Decimal(str(opening_balance))
        minimum = tables.MIN_OVERDRAFT_DKK / money.dkk_per_unit(currency)
        overdraft = max(abs(opening) / 2, minimum).quantize(_CENT, ROUND_HALF_UP)
        return min(opening, -overdraft)


def _fit(entry: HistoryEntry, balance: Decimal, floor: Decimal) -> Decimal | None:
    """The amount that can be booked without crossing ``floor``, or None to drop the entry."""
    if entry.amount > 0 or balance + entry.amount >= floor:
        return entry.amount
    headroom = (balance - floor).quantize(_UNIT, ROUND_DOWN)
    if entry.kind in tables.SHRINKABLE and headroom >= 1:
        return -headroom.quantize(_CENT)
    return None


def _day_events(ctx: _Day) -> Iterator[HistoryEntry]:
    """Yield the day's draft entries: scheduled ones first, then random ones up to the daily cap.

    The random stream is consumed the same way whatever the balance, so a day's bookings do not
    depend on the period being generated.
    """
    market = ctx.profile.market
    wanted = _weighted(ctx.rng, market.daily_counts)
    scheduled = 0
    for rule, event in market.scheduled:
        if _RULES[rule](ctx.day):
            for entry in _EVENTS[event](ctx):
                scheduled += 1
                yield entry
    names = [name for name, _ in market.random_events]
    weights = [weight for _, weight in market.random_events]
    for _ in range(min(wanted, MAX_ENTRIES_PER_DAY - scheduled)):
        yield from _EVENTS[names[_weighted(ctx.rng, weights)]](ctx)


def generate_history(account: str, currency: str, opening_balance: Decimal, start: _dt.date,
                     end: _dt.date) -> list[HistoryEntry]:
    """Invent the statement history of ``account`` for the bank days from ``start`` to ``end``.

    Entries are oldest first, booked on Danish bank days only, at most six a day. The result is a
    pure function of the arguments. Amounts are signed, non-zero, with two decimals, in
    ``currency``; the running balance ``opening_balance + cumulative amounts`` never drops below
    :func:`balance_floor`. Entry ids are ``<last 4 digits of account><yyMMdd><nn>``, unique within
    the account; ``nn`` numbers the day's drafts, so it may skip a number where an outgoing payment
    was dropped to respect the floor.
    """
    profile = _profile(account, currency)
    balance = Decimal(str(opening_balance))
    floor = balance_floor(balance, currency)
    entries: list[HistoryEntry] = []
    with localcontext(_DECIMAL_CONTEXT):
        for day in bank_days(start, end):
            ctx = _Day(day, random.Random(f"mockbank-day|{account}|{currency}|{day:%Y-%m-%d}"),
                       profile, balance)
            for n, draft in enumerate(_day_events(ctx)):
                amount = _fit(draft, ctx.balance, floor)
                if amount is None:
                    continue
                entry_id = f"{account[-4:]}{day:%y%m%d}{n:02d}"
                entries.append(dataclasses.replace(draft, entry_id=entry_id, amount=amount))
                ctx.balance += amount
            balance = ctx.balance
    return entries
