"""Hypothesis strategies for everything a client can be asked to do, within the JSON Schemas' limits.

Field limits come from ``schemas/payment-request.schema.json`` (texts, ids, creditor names); the
certification bank's clock is frozen at :data:`BANK_NOW`, so payment dates reach across weekends,
Christmas, month and year ends.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from mockbank import money, schemas

#: The certification bank's frozen clock: a Monday before Christmas, near a month and a year end.
BANK_NOW = "2026-12-21T09:00:00"
BANK_TODAY = date.fromisoformat(BANK_NOW[:10])
HISTORY_DAYS = 90

_DEFS = schemas.load("payment-request")["$defs"]
_TRANSACTION = _DEFS["transaction"]["properties"]
_CREDITOR = _DEFS["creditor"]["properties"]


def _limit(properties: dict[str, Any], name: str, default: int) -> int:
    return int(properties.get(name, {}).get("maxLength", default))


#: Texts stay within what banks print (35 characters) and the schema's limit.
TEXT_LIMIT = min(35, _limit(_TRANSACTION, "text", 140))
NAME_LIMIT = min(35, _limit(_CREDITOR, "name", 70))

_DANISH = "abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ0123456789 -.,/&'"
texts = st.one_of(
    st.text(st.sampled_from(_DANISH), min_size=1, max_size=TEXT_LIMIT),
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co")), min_size=1, max_size=TEXT_LIMIT),
).map(str.strip).filter(bool)
names = st.text(st.sampled_from(_DANISH), min_size=2, max_size=NAME_LIMIT).map(str.strip).filter(bool)
payment_ids = st.from_regex(r"[A-Za-z0-9_\-ÆØÅæøå]{1,20}", fullmatch=True)

#: 0.01 up to millions, always two decimals.
amounts = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
    st.decimals(min_value=Decimal("1000.00"), max_value=Decimal("9999999.99"), places=2),
    st.integers(1, 50_000).map(Decimal),
).map(lambda value: value.quantize(Decimal("0.01")))


bbans = st.from_regex(r"[1-9][0-9]{3}[0-9]{10}", fullmatch=True)
ibans = st.from_regex(r"[0-9]{14}", fullmatch=True).map(lambda digits: money.make_iban("DK", digits))
fik_strings = st.one_of(
    st.builds(lambda card, creditor: f"+{card}<+{creditor}<", st.sampled_from(["01", "73"]),
              st.from_regex(r"[0-9]{8}", fullmatch=True)),
    st.builds(lambda card, ref, creditor: f"+{card}<{ref}+{creditor}<", st.sampled_from(["04", "15", "71", "75"]),
              st.from_regex(r"[0-9]{15}", fullmatch=True), st.from_regex(r"[0-9]{8}", fullmatch=True)),
)
creditor_accounts = st.one_of(bbans, ibans, fik_strings)

#: Today up to six weeks ahead: weekends, Christmas, New Year, month and year ends.
payment_dates = st.integers(0, 42).map(lambda days: (BANK_TODAY + timedelta(days=days)).isoformat())

transactions = st.fixed_dictionaries(
    {"paymentId": payment_ids, "paymentDate": payment_dates, "amount": amounts,
     "currency": st.sampled_from(["DKK", "DKK", "DKK", "EUR"]), "account": creditor_accounts,
     "creditor": st.fixed_dictionaries({"name": names})},
    optional={"text": texts, "creditorText": texts, "creditorMessage": st.lists(texts, min_size=1, max_size=3),
              "urgency": st.sampled_from([1, 2])},
)

options = st.one_of(st.none(), st.fixed_dictionaries({
    "waitForBankResponse": st.booleans(), "moveToNextBankDate": st.booleans(),
    "skipDuplicateCheck": st.just(False)}))

payment_requests = st.fixed_dictionaries({
    "transactions": st.lists(transactions, min_size=1, max_size=5), "options": options})


def _range(max_span: int):
    return st.tuples(st.integers(0, HISTORY_DAYS - 1), st.integers(0, max_span)).map(
        lambda pair: ((BANK_TODAY - timedelta(days=pair[0])).isoformat(),
                      min(BANK_TODAY, BANK_TODAY - timedelta(days=pair[0]) + timedelta(days=pair[1])).isoformat()))


statement_queries = st.fixed_dictionaries({"type": st.sampled_from(["Simple", "Full"]), "range": _range(31)})
balance_queries = st.fixed_dictionaries({"type": st.sampled_from([1, 2, 3]), "range": _range(31)})
status_queries = st.lists(payment_ids, max_size=3)
