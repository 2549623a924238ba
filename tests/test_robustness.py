"""Robustness: random bodies, queries and headers at every route of the emulator.

Whatever arrives, mockbank answers JSON: never a 5xx (none is injected here), ``Content-Type:
application/json``, every 4xx body valid against ``schemas/error.schema.json``, 401 only on the public
API, 404 and 405 bodies listing the routes and the allowed methods. The most valuable requests carry a
VALID signature over their random contents (made with ``mockbank.signing.sign`` for a demo account), so
they get past authentication and reach the bank itself.

Fault definitions posted here are always invalid (an accepted fault would make later requests answer
5xx on purpose); the bank clock and progression settings that random control-plane calls move are put
back after each example.
"""

from __future__ import annotations

import base64
import json
import string
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockbank import bankdays, fixtures, routes, signing
from mockbank.app import create_app
from mockbank.bank import Bank
from mockbank.settings import Settings
from mockbank.clock import ClockState
from mockbank.schemas import violations
from mockbank.store import open_store
from mockbank.testing import Emulator

FIXTURE = fixtures.load()
CREDENTIALS = FIXTURE.credentials()
CRED = CREDENTIALS[0]
ACCOUNTS = [c.account for c in CREDENTIALS]
SMALL_MAX_BODY = 2048

#: (method, path template, schema of the body or query, schema of a 200 answer), from the route table
PUBLIC_ROUTES = [(method, path, route.requests[method], route.response)
                 for method, path, route in routes.operations() if route.kind == routes.API]


def _concrete(path: str) -> str:
    """A path template with each parameter filled in: ``/payment/{transId}`` -> ``/payment/1``."""
    return path.replace("{transId}", "1")


#: Every route (a concrete path) and the methods it answers (HEAD comes with GET).
ROUTE_METHODS: dict[str, set[str]] = {}
for _method, _path, _ in routes.operations():
    ROUTE_METHODS.setdefault(_concrete(_path), set()).add(_method)

PROFILE = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                     HealthCheck.filter_too_much])


# --------------------------------------------------------------------------- the app under test


def _build(max_body: int | None = None):
    bank = Bank(open_store(":memory:"), FIXTURE, Settings())
    bank.ensure_seeded()
    app = create_app(bank) if max_body is None else create_app(bank, max_body=max_body)
    return bank, app


@pytest.fixture(scope="module")
def emulator():
    """One in-process bank for the module, with a few payments to aim at."""
    bank, app = _build()
    client = app.test_client()
    _reseed(client)
    yield bank, client
    bank.store.close()


@pytest.fixture(scope="module")
def small():
    """A bank that accepts bodies of at most SMALL_MAX_BODY bytes."""
    bank, app = _build(SMALL_MAX_BODY)
    yield bank, app.test_client()
    bank.store.close()


KNOWN_PAYMENT_IDS = ["KNOWN-1", "KNOWN-2", "KNOWN-3"]
KNOWN_TRANS_IDS: list[str] = []


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _transaction(payment_id: str) -> dict[str, Any]:
    """A valid payment, due on a bank day a month ahead."""
    return {"paymentId": payment_id, "paymentDate": bankdays.next_bank_day(_today() + timedelta(days=30)).isoformat(),
            "amount": 10.5, "currency": "DKK", "account": "12345678901234", "creditor": {"name": "Robust ApS"}}


def _reseed(client) -> None:
    """The payments the strategies aim at (KNOWN-1..3), again after a reset."""
    KNOWN_TRANS_IDS.clear()
    for request_id, payment_ids in (("SEED-1", ["KNOWN-1", "KNOWN-2"]), ("SEED-2", ["KNOWN-3"])):
        body = {"requestId": request_id, "transactions": [_transaction(p) for p in payment_ids]}
        response = client.post("/payment", data=json.dumps(body), headers={"Authorization": _sign(CRED, body, True)})
        assert response.status_code == 200, response.get_data(as_text=True)
        answers = response.get_json()["answers"]
        assert all(answer["status"] != 32 for answer in answers), answers
        KNOWN_TRANS_IDS.append(answers[0]["transId"])


# --------------------------------------------------------------------------- checks


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check(response, method: str, path: str, *, public: bool) -> Any:
    """The properties every answer has; returns the parsed body (None for HEAD)."""
    text = response.get_data(as_text=True)
    where = f"{method} {path} -> {response.status} {text[:600]!r}"
    assert response.status_code < 500, where
    assert response.mimetype == "application/json", where
    if method == "HEAD":
        return None
    try:
        body = json.loads(text, parse_constant=_no_constant)  # strict JSON: no NaN or Infinity
    except ValueError as error:
        raise AssertionError(f"not JSON ({error}): {where}") from None
    status = response.status_code
    if status >= 400:
        problems = violations("error", body)
        assert not problems, f"{problems}: {where}"
    if status == 401:
        assert public, f"401 outside the public API: {where}"
        assert body["diagnosis"]["cause"], where
    if status == 405:
        assert body["allowed"] and response.headers.get("Allow"), where
    if status == 404 and str(body.get("message", "")).startswith("no route"):
        assert body.get("routes"), where
    return body


def fire(client, method: str, path: str, *, public: bool, body: bytes | str | None = None,
         query: str | None = None, headers: dict[str, str] | None = None):
    """Send one request through the test client and check the answer; returns (response, parsed body)."""
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs["data"] = body
    if query is not None:
        kwargs["query_string"] = query
    response = client.open(path, method=method, headers=headers or {}, **kwargs)
    return response, check(response, method, path, public=public)


# --------------------------------------------------------------------------- JSON text with raw numbers


def to_json_text(value: Any) -> str:
    """JSON text of ``value``; a Decimal is written as its raw number token (1E+999999999, NaN, 5000 digits)."""
    raw: dict[str, str] = {}

    def default(item: Any) -> Any:
        if isinstance(item, Decimal):
            marker = f"\x00raw{len(raw)}\x00"
            raw[json.dumps(marker)] = str(item)
            return marker
        raise TypeError(type(item).__name__)

    text = json.dumps(value, default=default)
    for marker, token in raw.items():
        text = text.replace(marker, token)
    return text


def _text(value: Any) -> str:
    return "" if value is None else str(value)


UNSIGNABLE = "Basic " + base64.b64encode(b"not signable").decode()


def _sign(cred: signing.Credentials, params: Any, payment: bool, when: datetime | None = None) -> str:
    """A valid Authorization header for a request carrying ``params`` (its body or query dict)."""
    params = params if isinstance(params, dict) else {}
    transactions = None
    if payment:
        raw = params.get("transactions")
        transactions = [t for t in raw if isinstance(t, dict)] if isinstance(raw, list) else None
    try:
        return signing.sign(cred, _text(params.get("requestId")), time=when or datetime.now(timezone.utc),
                            transactions=transactions or None).header
    except UnicodeEncodeError:  # a lone surrogate in the contents: no client can sign that
        return UNSIGNABLE


# --------------------------------------------------------------------------- strategies: values

#: Numbers that are valid JSON but awkward: huge and tiny exponents, too many digits, magic amounts.
SPECIAL_NUMBERS = st.sampled_from([
    Decimal("1E+999999999"), Decimal("-1E+999999999"), Decimal("1E-999999999"), Decimal("1" * 40),
    Decimal("1E+26"), Decimal("999999999999999.99"), Decimal("-0"), Decimal("0.005"), Decimal("2.675"),
    Decimal("16.16"), Decimal("32.32"), Decimal("128.28"), Decimal("2.22"), Decimal("1E+2"), Decimal("8.0"),
    Decimal("503.0"),
])
#: What Python's json module reads but JSON or UTF-8 do not allow: NaN, Infinity, integers over Python's
#: 4300-digit limit, lone surrogate escapes. One of them spoils a whole body (400).
BREAKERS = st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("1" * 5000),
                            "\ud800", "a\udfffb", {"x": "\udc80"}])
NASTY_TEXT = st.sampled_from([
    "", " ", "\x00", "'\"", "\\", "%ff", "../../etc/passwd", "é" * 3, "𝔘𝔫𝔦", "\u202e",
    "null", "true", "1e999", "NaN", "a" * 300, "x" * 101, "2025-02-30", "+71<000000012345678+12345678<",
])
TEXT = st.one_of(st.text(max_size=20), NASTY_TEXT)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    TEXT, SPECIAL_NUMBERS)
JSON_VALUES = st.recursive(
    SCALARS, lambda children: st.one_of(st.lists(children, max_size=4),
                                        st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=12)


def sometimes_wrong(right: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the right kind of value, sometimes any JSON value at all."""
    return st.one_of(right, right, JSON_VALUES)


REQUEST_ID = st.one_of(st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=12),
                       st.text(min_size=1, max_size=12))
DATES = st.one_of(
    st.integers(-400, 400).map(lambda days: (_today() + timedelta(days=days)).isoformat()),
    st.integers(-400, 400).map(lambda days: (_today() + timedelta(days=days)).strftime("%y%m%d")),
    st.sampled_from(["9999-12-31", "0001-01-01", "2000-01-01", "2024-02-30", "20240101", "991301", "2025-1-1", ""]),
    st.from_regex(r"[0-9]{6}", fullmatch=True).filter(lambda s: not s.startswith(("0", "1", "2"))),
    TEXT,
)
RIGHT_DATES = st.integers(-60, 5).map(lambda days: (_today() + timedelta(days=days)).isoformat())
PAYMENT_DATES = st.one_of(
    st.integers(-10, 60).map(lambda days: (_today() + timedelta(days=days)).isoformat()),
    st.sampled_from(["9999-12-31", "9999-12-24", "0001-01-01", "2024-02-30", "2025-12-25"]), TEXT)
AMOUNTS = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
    st.decimals(min_value=Decimal("-10"), max_value=Decimal("100"), places=4),
    st.floats(min_value=-1e6, max_value=1e20), SPECIAL_NUMBERS,
    st.sampled_from(["154.00", "1,00", "1.234,56", "-5", "0", " 12.5 ", "1" * 40]))
CREDITOR_ACCOUNTS = st.one_of(
    st.sampled_from(["12345678901234", "80790000820049", "DK5000400440116243", "DK0000400440116243",
                     "+71<000000012345678+12345678<", "+01<+12345678<", "+73<123+12345678<", "12345678900000",
                     "12345678900001", "1234", "x" * 65]),
    st.from_regex(r"[0-9]{6,14}", fullmatch=True), TEXT)
PAYMENT_IDS = st.one_of(st.sampled_from(KNOWN_PAYMENT_IDS), st.text(alphabet="PQ12", min_size=1, max_size=3),
                        st.text(max_size=10), st.just("p" * 65))
CREDITOR = st.fixed_dictionaries({}, optional={
    "name": sometimes_wrong(TEXT), "streetName": TEXT, "postalCode": TEXT, "city": TEXT,
    "country": sometimes_wrong(st.sampled_from(["DK", "SE", "dk", "DNK"])),
    "bic": sometimes_wrong(st.sampled_from(["DABADKKK", "NDEADKKK123", "dabadkkk", "DABA"]))})
OPTIONS = st.fixed_dictionaries({}, optional={
    name: sometimes_wrong(st.booleans()) for name in
    ("waitForBankResponse", "checkPaymentStatus", "moveToNextBankDate", "useIban", "skipDuplicateCheck")})
TRANSACTION = st.fixed_dictionaries(
    {"paymentId": sometimes_wrong(PAYMENT_IDS), "paymentDate": sometimes_wrong(PAYMENT_DATES),
     "amount": sometimes_wrong(AMOUNTS),
     "currency": sometimes_wrong(st.sampled_from(["DKK", "EUR", "USD", "SEK", "QQQ", "dkk", "DK"])),
     "account": sometimes_wrong(CREDITOR_ACCOUNTS), "creditor": sometimes_wrong(CREDITOR)},
    optional={"urgency": sometimes_wrong(st.integers(-1, 3)), "type": sometimes_wrong(st.integers(-1, 12)),
              "text": sometimes_wrong(TEXT), "creditorText": sometimes_wrong(TEXT),
              "creditorMessage": sometimes_wrong(st.lists(TEXT, max_size=3))})


def _drop_some(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Dicts from ``strategy`` with random keys left out (a missing required field) or added."""
    return st.tuples(strategy, st.sets(st.integers(0, 7), max_size=2),
                     st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=2)).map(
        lambda t: {**{k: v for i, (k, v) in enumerate(t[0].items()) if i not in t[1]}, **t[2]})


PAYMENT_IDS_PARAM = st.lists(PAYMENT_IDS, max_size=4)
#: Field strategies per body schema (right kinds of values, sometimes wrong ones).
BODY_FIELDS: dict[str, dict[str, st.SearchStrategy]] = {
    "payment-request": {"transactions": sometimes_wrong(st.lists(_drop_some(TRANSACTION) | TRANSACTION,
                                                                 min_size=1, max_size=3)),
                        "options": sometimes_wrong(OPTIONS)},
    "status-request": {"paymentIds": sometimes_wrong(PAYMENT_IDS_PARAM),
                       "paymentId": sometimes_wrong(st.one_of(PAYMENT_IDS, PAYMENT_IDS_PARAM))},
    "statement-request": {"type": sometimes_wrong(st.sampled_from(["Simple", "Full", "full", " simple ", "Odoo"])),
                          "from": sometimes_wrong(DATES), "to": sometimes_wrong(DATES),
                          "newOnly": sometimes_wrong(st.booleans()), "options": sometimes_wrong(TEXT)},
    "balance-request": {"type": sometimes_wrong(st.sampled_from([1, 2, 3, "1", "2", "3", 0, 4, Decimal("2.0")])),
                        "from": sometimes_wrong(DATES), "to": sometimes_wrong(DATES)},
    "cancel-request": {"paymentIds": sometimes_wrong(PAYMENT_IDS_PARAM)},
}
QUERY_DATES = st.one_of(RIGHT_DATES, RIGHT_DATES, DATES)
#: Query keys per query schema: the real ones (values are text anyway).
QUERY_FIELDS: dict[str, dict[str, st.SearchStrategy]] = {
    "payment-query": {},
    "status-query": {"paymentIds": st.one_of(PAYMENT_IDS, PAYMENT_IDS_PARAM.map(",".join)),
                     "paymentId": PAYMENT_IDS},
    "statement-query": {"type": st.sampled_from(["Simple", "Full", "full", "x"]), "from": QUERY_DATES,
                        "to": QUERY_DATES, "newOnly": st.sampled_from(["true", "False", "TRUE", "yes", ""]),
                        "options": TEXT},
    "balance-query": {"type": st.sampled_from(["1", "2", "3", "0", "x"]), "from": QUERY_DATES, "to": QUERY_DATES},
}


#: The same fields with values of the right types only (a transaction's other fields may still be wrong:
#: that fails the payment, not the request), so that many signed requests reach the bank.
RIGHT_PAYMENT_ID = PAYMENT_IDS.filter(lambda p: 1 <= len(p) <= 64)
RIGHT_FIELDS: dict[str, dict[str, st.SearchStrategy]] = {
    "payment-request": {"transactions": st.lists(st.tuples(TRANSACTION, RIGHT_PAYMENT_ID).map(
                            lambda t: {**t[0], "paymentId": t[1]}), min_size=1, max_size=3),
                        "options": st.fixed_dictionaries({}, optional={name: st.booleans() for name in (
                            "waitForBankResponse", "moveToNextBankDate", "skipDuplicateCheck")})},
    "status-request": {"paymentIds": st.lists(PAYMENT_IDS, max_size=4),
                       "paymentId": st.one_of(PAYMENT_IDS, st.lists(PAYMENT_IDS, max_size=3))},
    "statement-request": {"type": st.sampled_from(["Simple", "Full"]), "from": RIGHT_DATES, "to": RIGHT_DATES,
                          "newOnly": st.booleans()},
    "balance-request": {"type": st.sampled_from([1, 2, 3, "1", "2", "3"]), "from": RIGHT_DATES, "to": RIGHT_DATES},
    "cancel-request": {"paymentIds": st.lists(PAYMENT_IDS, min_size=1, max_size=4)},
}


@st.composite
def json_object(draw, schema: str) -> dict[str, Any]:
    """A body object built from the schema's real field names, with values of right and wrong types."""
    required = {"requestId", "transactions"} if schema == "payment-request" else {"requestId"}
    if schema == "cancel-request":
        required.add("paymentIds")
    mode = draw(st.sampled_from(["right", "right", "sometimes-wrong", "chaos"]))
    if mode == "right":
        fields = {"requestId": REQUEST_ID, **RIGHT_FIELDS[schema]}
    else:
        fields = {"requestId": sometimes_wrong(REQUEST_ID), **BODY_FIELDS[schema]}
    if mode == "chaos":
        body = draw(st.fixed_dictionaries({}, optional=fields))
    else:
        body = draw(st.fixed_dictionaries({k: v for k, v in fields.items() if k in required},
                                          optional={k: v for k, v in fields.items() if k not in required}))
    body.update(draw(st.dictionaries(st.text(max_size=8).filter(lambda k: k not in fields), JSON_VALUES,
                                     max_size=2)))
    return body


def _truncate(text_and_cut: tuple[str, int]) -> str:
    text, cut = text_and_cut
    return text[: cut % max(len(text), 1)]


@st.composite
def raw_body(draw, schema: str | None) -> tuple[bytes | str | None, Any]:
    """A request body and the parameters a signer sees in it: schema-shaped JSON, any JSON, bytes, cut JSON."""
    kind = draw(st.sampled_from(["object", "object", "object", "object", "poisoned", "any", "bytes", "truncated",
                                 "empty"]))
    if kind == "object" and schema is not None:
        value = draw(json_object(schema))
        return to_json_text(value), value
    if kind == "poisoned":
        value = draw(json_object(schema)) if schema else {}
        transactions = value.get("transactions")
        target = transactions[0] if isinstance(transactions, list) and transactions and isinstance(
            transactions[0], dict) and draw(st.booleans()) else value
        target[draw(st.sampled_from([*target, "amount", "requestId", "x"]))] = draw(BREAKERS)
        return to_json_text(value), value
    if kind in ("object", "any"):
        value = draw(JSON_VALUES)
        return to_json_text(value), value
    if kind == "bytes":
        return draw(st.one_of(st.binary(max_size=64), st.sampled_from([b"\xff\xfe{}", b"{\"requestId\": \"\xe9\"}",
                                                                      b"\xef\xbb\xbf{}", b"\x00" * 8]))), None
    if kind == "truncated":
        value = draw(json_object(schema)) if schema else draw(JSON_VALUES)
        return _truncate((to_json_text(value), draw(st.integers(0, 10_000)))), None
    return draw(st.sampled_from([None, "", "   ", "\n"])), None


@st.composite
def query_string(draw, schema: str | None) -> tuple[str, dict[str, Any]]:
    """A query string with real and random keys (some repeated, some missing) and the dict the server reads."""
    if draw(st.integers(0, 9)) == 0:  # raw garbage
        garbage = draw(st.one_of(st.text(alphabet=string.printable.replace("#", ""), max_size=30),
                                 st.sampled_from(["%", "%%", "a=%ff", "=&=&", "requestId", "requestId=%ED%A0%80",
                                                  "&&requestId=&", "a[]=1&a[]=2"])))
        return garbage, {}
    fields = QUERY_FIELDS.get(schema, {}) if schema else {}
    pairs: list[tuple[str, str]] = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 1, 1, 1, 0, 2]))):  # requestId: mostly once, sometimes repeated
        pairs.append(("requestId", draw(REQUEST_ID)))
    for name, strategy in fields.items():
        for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 1, 1, 2]))):
            value = draw(strategy)
            pairs.append((name, value if isinstance(value, str) else ",".join(map(str, value))))
    pairs += draw(st.lists(st.tuples(st.text(max_size=6), st.text(max_size=10)), max_size=3))
    pairs = draw(st.permutations(pairs))
    params: dict[str, list[str]] = {}
    for key, value in pairs:
        params.setdefault(key, []).append(value)
    return (urlencode(pairs, errors="surrogatepass"),  # a lone surrogate arrives as the bytes ED A0 80
            {k: v[0] if len(v) == 1 else v for k, v in params.items()})


# --------------------------------------------------------------------------- strategies: headers

LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
#: Valid first: hypothesis favours the first choices, and valid signatures are what lets contents reach the bank.
AUTH_KINDS = ["valid", "valid", "valid", "valid", "valid-other", "wrong-hash", "stale", "missing", "garbage",
              "basic-json", "basic-bytes", "auth-object"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@st.composite
def authorization(draw, params: Any, *, payment: bool) -> str | None:
    """An Authorization header: missing, garbage, Base64 of random JSON, auth objects, wrong and VALID signatures."""
    kind = draw(st.sampled_from(AUTH_KINDS))
    scheme = draw(st.sampled_from(["Basic ", "Basic ", "basic ", "", "Bearer ", "Basic  "]))
    if kind == "missing":
        return draw(st.sampled_from([None, "", " ", "Basic", "Basic "]))
    if kind == "garbage":
        return draw(st.text(alphabet=LATIN1, max_size=60))
    if kind == "basic-json":
        return scheme + _b64(to_json_text(draw(JSON_VALUES)).encode())
    if kind == "basic-bytes":
        return scheme + _b64(draw(st.binary(max_size=48)))
    if kind == "auth-object":
        auth = draw(st.fixed_dictionaries({}, optional={
            "serviceProvider": sometimes_wrong(st.sampled_from(["MockERP", "OtherERP", "Nope"])),
            "account": sometimes_wrong(st.sampled_from([*ACCOUNTS, "4471238", "5247 0004471238", "1"])),
            "time": sometimes_wrong(st.sampled_from([
                signing.format_auth_time(datetime.now(timezone.utc)), "2025-01-07T12:00:00",
                "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "20250107120000", "2025-13-01T00:00:00"])),
            "requestId": sometimes_wrong(REQUEST_ID),
            "hash": sometimes_wrong(st.lists(st.fixed_dictionaries({}, optional={
                "id": sometimes_wrong(REQUEST_ID), "hash": sometimes_wrong(st.text(max_size=44))}), max_size=3)),
            "user": sometimes_wrong(TEXT)}))
        return scheme + _b64(to_json_text(auth).encode())
    cred = draw(st.sampled_from(CREDENTIALS)) if kind == "valid-other" else CRED
    when = datetime.now(timezone.utc) - timedelta(hours=draw(st.sampled_from([2, -2, 24]))) if kind == "stale" else None
    header = _sign(cred, params, payment, when)
    if kind != "wrong-hash" or header == UNSIGNABLE:
        return header
    auth = json.loads(base64.b64decode(header.split()[-1]))
    wrong = st.one_of(st.binary(min_size=32, max_size=32).map(_b64), st.binary(min_size=32, max_size=32).map(bytes.hex),
                      st.text(max_size=44))
    auth["hash"] = [{"id": entry["id"], "hash": draw(wrong)} for entry in auth["hash"]]
    return "Basic " + _b64(json.dumps(auth).encode())


CONTENT_TYPES = st.sampled_from([None, "application/json", "application/json; charset=latin-1", "text/plain",
                                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "*/*"])


@st.composite
def extra_headers(draw) -> dict[str, str]:
    headers = {}
    content_type = draw(CONTENT_TYPES)
    if content_type:
        headers["Content-Type"] = content_type
    headers.update(draw(st.dictionaries(st.sampled_from(["X-Request-Id", "Accept", "X-Random", "Cookie"]),
                                        st.text(alphabet=LATIN1, max_size=20), max_size=2)))
    return headers


# --------------------------------------------------------------------------- the public API


@pytest.mark.slow  # hypothesis sends hundreds of requests per route
@pytest.mark.parametrize("method, path, schema, response_schema", PUBLIC_ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in PUBLIC_ROUTES])
def test_public_route_answers_json_to_anything(emulator, method, path, schema, response_schema):
    bank, client = emulator
    bank.reset()  # a fresh bank per route: GET /status answers every payment, let them not pile up
    _reseed(client)
    statuses: Counter = Counter()

    @settings(max_examples=80, **PROFILE)
    @given(data=st.data())
    def run(data):
        target = path
        if "{transId}" in path:
            trans_id = data.draw(st.one_of(st.sampled_from(KNOWN_TRANS_IDS), st.text(min_size=1, max_size=12)),
                                 label="transId")
            target = path.replace("{transId}", quote(trans_id, safe=""))
        if method == "GET":
            query, params = data.draw(query_string(schema), label="query")
            body = data.draw(st.one_of(st.none(), st.none(), st.binary(max_size=16)), label="body")
        else:
            query = data.draw(st.one_of(st.none(), st.none(), query_string(None).map(lambda q: q[0])), label="query")
            body, params = data.draw(raw_body(schema), label="body")
        headers = data.draw(extra_headers(), label="headers")
        header = data.draw(authorization(params, payment=path == "/payment"), label="authorization")
        if header is not None:
            headers["Authorization"] = header
        response, answer = fire(client, method, target, public=True, body=body, query=query, headers=headers)
        statuses[response.status_code] += 1
        assert response.status_code in (200, 400, 401, 404, 413), answer
        if response.status_code == 200:
            assert not violations(response_schema, answer), answer

    run()
    assert statuses[200], f"no valid request reached the bank: {statuses}"


def test_signed_requests_reach_the_bank(emulator):
    """The signing helper works for every route: well-formed signed requests answer 200 and match their schema."""
    _, client = emulator
    now = datetime.now(timezone.utc)
    cases = [
        ("POST", "/payment", {"requestId": "OK-1", "transactions": [_transaction("OK-P1")]}),
        ("GET", f"/payment/{KNOWN_TRANS_IDS[0]}", {"requestId": "OK-2"}),
        ("GET", "/status", {"requestId": "OK-3", "paymentIds": "KNOWN-1,nope"}),
        ("POST", "/status", {"requestId": "OK-4", "paymentIds": ["KNOWN-2"]}),
        ("GET", "/report/account", {"requestId": "OK-5", "type": "Full"}),
        ("POST", "/report/account", {"requestId": "OK-6", "from": (now.date() - timedelta(days=10)).isoformat()}),
        ("GET", "/report/balance", {"requestId": "OK-7", "type": "3"}),
        ("POST", "/report/balance", {"requestId": "OK-8", "type": 1}),
        ("POST", "/payment/cancel", {"requestId": "OK-9", "paymentIds": ["KNOWN-3", "nope"]}),
    ]
    schemas = {p: s for _, p, _, s in PUBLIC_ROUTES}
    for method, path, params in cases:
        headers = {"Authorization": _sign(CRED, params, path == "/payment")}
        if method == "GET":
            response, body = fire(client, method, path, public=True, query=urlencode(params), headers=headers)
        else:
            response, body = fire(client, method, path, public=True, body=json.dumps(params), headers=headers)
        assert response.status_code == 200, body
        assert not violations(schemas.get(path, "payment-response"), body), (path, body)


def test_the_journal_of_all_that_is_strict_json(emulator):
    """Everything sent so far (NaN, lone surrogates, deep nesting, binary) is journaled and served as strict JSON."""
    _, client = emulator
    _, journal = fire(client, "GET", "/_mock/requests", public=False)
    assert isinstance(journal, list)
    _, payments = fire(client, "GET", "/_mock/payments", public=False)
    assert isinstance(payments, list)


# --------------------------------------------------------------------------- the control plane

CLOCK_BODY = st.fixed_dictionaries({}, optional={
    "now": sometimes_wrong(st.one_of(
        st.integers(-3 * 86400, 3 * 86400).map(lambda s: (datetime.now(timezone.utc) + timedelta(seconds=s))
                                               .strftime("%Y-%m-%dT%H:%M:%SZ")),
        st.sampled_from(["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "1899-12-31T23:59:59Z",
                         "8999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "2025-02-30T00:00:00", "now"]))),
    "advance": sometimes_wrong(st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False), SPECIAL_NUMBERS,
                                         st.sampled_from([10**30, -10**30, 2**63, 1e17, -1e17, 3.2e11]))),
    "frozen": sometimes_wrong(st.booleans()),
})
PROGRESS_BODY = st.fixed_dictionaries({}, optional={
    "paymentId": sometimes_wrong(PAYMENT_IDS),
    "status": sometimes_wrong(st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 0, 3, True, Decimal("8.0")])),
    "account": sometimes_wrong(st.sampled_from([*ACCOUNTS, "00000000000000"])),
})
PROGRESSION_BODY = st.fixed_dictionaries({}, optional={
    "mode": sometimes_wrong(st.sampled_from(["poll", "time", "manual", "POLL", ""])),
    "account": sometimes_wrong(st.sampled_from([*ACCOUNTS, "00000000000000"])),
    "stepSeconds": sometimes_wrong(st.one_of(st.floats(allow_nan=False), SPECIAL_NUMBERS,
                                             st.sampled_from([1, 0, -1, 10**400 // 10**100, 0.001]))),
})


#: One broken field each: every one of these fault definitions must be refused with 400.
#: Numbers that are not integers: 503.0 is the JSON number 503, and a fine status.
NON_INTEGRAL = st.floats().filter(lambda number: not number.is_integer())
FAULT_KEYS = ("path", "method", "account", "status", "count", "delayMs", "drop", "when", "message", "reshape")
INVALID_FAULTS = st.one_of(
    st.tuples(st.just("status"), st.one_of(
        st.integers().filter(lambda n: n not in (500, 502, 503, 504)), TEXT, NON_INTEGRAL, st.booleans(),
        st.sampled_from([Decimal("503.5"), Decimal("418.0"), [503]]))),
    st.tuples(st.just("method"), st.one_of(
        TEXT.filter(lambda s: s.upper() not in ("GET", "POST")), st.integers(), st.lists(st.just("GET"), max_size=1))),
    st.tuples(st.just("path"), st.one_of(
        TEXT.filter(lambda s: not s.startswith(("/", "*"))), st.integers(), st.none(),
        st.lists(st.just("/payment"), max_size=1))),
    st.tuples(st.just("account"), st.one_of(st.integers(), st.booleans(), st.lists(st.just("1"), max_size=1))),
    st.tuples(st.just("delayMs"), st.one_of(
        st.integers(max_value=-1), st.integers(min_value=600_001), NON_INTEGRAL, st.booleans(), TEXT, st.none())),
    st.tuples(st.just("drop"), st.one_of(st.just(True), st.integers(), TEXT, st.none())),  # True: with a status
    st.tuples(st.just("when"), TEXT.filter(lambda s: s not in ("before", "after"))),
    st.tuples(st.just("count"), st.one_of(
        st.integers(max_value=0), st.integers(min_value=10**9 + 1), NON_INTEGRAL, st.booleans(), TEXT,
        st.just(10**30))),
    st.tuples(st.just("message"), st.one_of(
        st.integers(), st.booleans(), st.lists(TEXT, max_size=1), st.dictionaries(TEXT, TEXT, max_size=1))),
    st.tuples(st.just("reshape"), st.one_of(TEXT, st.integers(), st.lists(TEXT, max_size=1)).filter(
        lambda v: v not in ("unknown-fields", "empty-answers", "null-answers", "integer-amounts"))),
    st.tuples(st.text(max_size=8).filter(lambda k: k not in FAULT_KEYS), JSON_VALUES),
)


@st.composite
def invalid_fault_body(draw) -> str | bytes:
    kind = draw(st.sampled_from(["field", "field", "field", "no-effect", "not-object", "not-json"]))
    if kind == "field":
        key, value = draw(INVALID_FAULTS)
        body = {"path": "/no-such-route-for-robustness", "status": 503, key: value}
        return to_json_text(body)
    if kind == "no-effect":
        return to_json_text(draw(st.fixed_dictionaries({}, optional={
            "path": st.just("/x"), "method": st.sampled_from(["GET", "post"]), "delayMs": st.just(0),
            "drop": st.just(False), "status": st.none(), "count": st.just(1), "when": st.just("after")})))
    if kind == "not-object":
        return to_json_text(draw(st.one_of(st.lists(JSON_VALUES, max_size=3), SCALARS)))
    return draw(st.one_of(st.binary(max_size=64), st.sampled_from(["", "  ", "{", '{"status": 503', '{"status": 503,}',
                                                                   '{"status": NaN}', '{"path": "\\ud800"}'])))


#: The body strategy of the control routes that read a body (the others get any body).
CONTROL_BODIES = {("POST", "/_mock/clock"): CLOCK_BODY, ("POST", "/_mock/faults"): "invalid-fault",
                  ("POST", "/_mock/progress"): PROGRESS_BODY, ("POST", "/_mock/progression"): PROGRESSION_BODY}
#: (method, path, body strategy or None for "any body"), every control route of the route table.
CONTROL_CASES = [(method, path, CONTROL_BODIES.get((method, path)))
                 for method, path, route in routes.operations() if route.kind == routes.CONTROL]
CONTROL_QUERY = st.one_of(
    st.none(),
    st.lists(st.tuples(st.sampled_from(["since", "limit", "account", "x", ""]),
                       st.one_of(st.sampled_from(["0", "1", "5", "-1", "²", "١٢", "1.5", "", "9" * 30, "9" * 5000,
                                                  "0" * 25 + "3", *ACCOUNTS]), st.text(max_size=8))),
             max_size=3).map(urlencode))


def _restore(bank: Bank) -> None:
    """Put back what random control-plane calls move: clock, progression settings, faults."""
    bank.set_clock(ClockState())
    bank.store.put("progression", {"default": bank.settings.progression, "stepSeconds": bank.settings.step_seconds})
    for account in ACCOUNTS:
        bank.store.set_account_progression(account, None)
    bank.store.clear_faults()


@pytest.mark.slow  # hypothesis sends hundreds of requests per route
@pytest.mark.parametrize("method, path, body_strategy", CONTROL_CASES, ids=[f"{m} {p}" for m, p, _ in CONTROL_CASES])
def test_control_plane_answers_json_to_anything(emulator, method, path, body_strategy):
    bank, client = emulator
    examples = 12 if path == "/_mock/reset" else 50

    @settings(max_examples=examples, **PROFILE)
    @given(data=st.data())
    def run(data):
        if body_strategy == "invalid-fault":
            body = data.draw(invalid_fault_body(), label="body")
        elif body_strategy is not None and data.draw(st.integers(0, 3), label="shaped"):
            body = to_json_text(data.draw(body_strategy, label="body"))
        else:
            body, _ = data.draw(raw_body(None), label="body")
        query = data.draw(CONTROL_QUERY, label="query")
        headers = data.draw(extra_headers(), label="headers")
        header = data.draw(authorization({}, payment=False), label="authorization")
        if header is not None:
            headers["Authorization"] = header
        try:
            response, answer = fire(client, method, path, public=False, body=body, query=query, headers=headers)
        finally:
            _restore(bank)
        if path == "/_mock/faults" and method == "POST":
            assert response.status_code == 400, f"an invalid fault was accepted: {body!r} -> {answer}"
        # 201/204: a sandbox made or deleted; 409: progress of a final payment
        assert response.status_code in (200, 201, 204, 400, 404, 409, 413), answer

    run()
    if path == "/_mock/reset":  # the bank of the last accepted reset, if any: start again from the fixtures
        bank.reset()
        _reseed(client)


# --------------------------------------------------------------------------- unknown paths, wrong methods

#: What a 404 lists.
ROUTE_LIST = set(routes.listing())
SEGMENT = st.text(min_size=1, max_size=8).filter(lambda s: s not in (".", "..")).map(lambda s: quote(s, safe=""))
UNKNOWN_PATHS = st.one_of(
    st.lists(SEGMENT, max_size=3).map(lambda segments: "/nope/" + "/".join(segments)),
    st.lists(SEGMENT, min_size=1, max_size=2).map(lambda segments: "/_mock/x" + "/".join(segments)),
    st.tuples(SEGMENT, SEGMENT).map(lambda s: f"/payment/{s[0]}/{s[1]}"),
    SEGMENT.filter(lambda s: not (s.isascii() and s.isdigit()) and s != "cancel").map(lambda s: f"/payment/{s}"),
    st.sampled_from(["/", "/_mock", "/_mock/", "/payment/", "/status/", "/_mock//health", "/payment//cancel",
                     "/report", "/report/", "/report/other", "/%ED%A0%80", "/%ff", "/static/x", "/favicon.ico",
                     "/STATUS", "/Payment", "/_mock/HEALTH", "/payment/cancel/", "/..%2f_mock%2fhealth"]),
)
METHODS = st.one_of(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "HEAD"]),
                    st.from_regex(r"[A-Z]{3,8}", fullmatch=True))


@settings(max_examples=80, **PROFILE)
@given(path=UNKNOWN_PATHS, method=METHODS, body=st.one_of(st.none(), st.binary(max_size=32)),
       auth=st.one_of(st.none(), st.text(alphabet=LATIN1, max_size=20)))
def test_unknown_paths_answer_404_listing_the_routes(emulator, path, method, body, auth):
    _, client = emulator
    headers = {"Authorization": auth} if auth is not None else {}
    response, answer = fire(client, method, path, public=False, body=body, headers=headers)
    assert response.status_code == 404, answer
    if method != "HEAD":
        assert answer["error"] == "not-found"
        assert set(answer["routes"]) == ROUTE_LIST


@settings(max_examples=80, **PROFILE)
@given(path=st.sampled_from(sorted(ROUTE_METHODS)), method=METHODS, body=st.one_of(st.none(), st.binary(max_size=32)))
def test_wrong_methods_answer_405_listing_the_allowed_ones(emulator, path, method, body):
    _, client = emulator
    allowed = ROUTE_METHODS[path]
    if method in allowed or (method == "HEAD" and "GET" in allowed):
        return
    response, answer = fire(client, method, path, public=False, body=body)
    assert response.status_code == 405, answer
    assert set(response.headers["Allow"].split(", ")) == allowed
    if method != "HEAD":
        assert set(answer["allowed"]) == allowed, answer


def test_head_on_get_routes_is_json_without_a_body(emulator):
    _, client = emulator
    for path, methods in ROUTE_METHODS.items():
        if "GET" in methods:
            response, _ = fire(client, "HEAD", path, public=path.startswith(("/payment", "/status", "/report")))
            assert response.get_data() == b""


# --------------------------------------------------------------------------- size limit, nesting, regressions

#: Routes that read a POST body.
POST_ROUTES = sorted(path for path, methods in ROUTE_METHODS.items() if "POST" in methods)


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_body_over_the_limit_answers_413(small, path):
    bank, client = small
    padding = "x" * (SMALL_MAX_BODY * 2)
    body = {"requestId": "BIG", "transactions": [_transaction("BIG-1")], "padding": padding}
    headers = {"Authorization": _sign(CRED, body, path == "/payment"), "Content-Type": "application/json"}
    public = not path.startswith("/_mock")
    response, answer = fire(client, "POST", path, public=public, body=json.dumps(body), headers=headers)
    assert response.status_code == 413, answer
    assert answer["error"] == "payload-too-large"
    if public:  # the journal keeps a note of it, and can still be read
        _, journal = fire(client, "GET", "/_mock/requests", public=False, query="limit=1000")
        assert journal[-1]["status"] == 413 and journal[-1]["path"] == path
    bank.store.clear_faults()


@pytest.mark.parametrize("depth", [65, 500, 990, 5_000, 200_000])
@pytest.mark.parametrize("path", POST_ROUTES)
def test_deeply_nested_json_answers_400(emulator, path, depth):
    _, client = emulator
    body = '{"requestId": "DEEP", "paymentIds": ["a"], "x": ' + "[" * depth + "]" * depth + "}"
    public = not path.startswith("/_mock")
    headers = {"Authorization": _sign(CRED, {"requestId": "DEEP"}, False)}
    response, answer = fire(client, "POST", path, public=public, body=body, headers=headers)
    assert response.status_code == 400, answer
    fire(client, "GET", "/_mock/requests", public=False, query="limit=1000")


@pytest.mark.parametrize("payload", [
    b"[" * 100_000, b'{"a": ' + b"1" * 5000 + b"}",
    b'{"serviceProvider": "\\ud800", "account": "1", "time": "x", "requestId": "r", "hash": []}',
    b'{"serviceProvider": "MockERP", "account": "\\udfff", "time": "x", "requestId": "r", "hash": []}',
    b'{"serviceProvider": "MockERP", "account": "52470004471238", "time": "2025-01-01T00:00:00", "requestId": "r", '
    b'"hash": [{"id": "r", "hash": "\\ud800"}]}'])
def test_pathological_auth_objects_answer_401(emulator, payload):
    _, client = emulator
    response, answer = fire(client, "GET", "/status", public=True, query="requestId=r",
                            headers={"Authorization": "Basic " + _b64(payload)})
    assert response.status_code == 401, answer
    assert answer["diagnosis"]["cause"] == "malformed-header"


def _signed(path: str, body: Any) -> dict[str, Any]:
    return {"Authorization": _sign(CRED, body, path == "/payment")}


_EDGE_IDS = iter(range(1, 1000))


def _payment(**fields: Any) -> dict[str, Any]:
    return {"requestId": "EDGE", "transactions": [{**_transaction(f"EDGE-{next(_EDGE_IDS)}"), **fields}]}


#: Requests that once made the emulator answer 500 (or HTML): (method, path, query, body, signed?, status).
REGRESSIONS = [
    ("GET", "/_mock/requests", "limit=²", None, False, 400),
    ("GET", "/_mock/requests", "since=" + "9" * 30, None, False, 200),
    ("GET", "/_mock/requests", "limit=" + "9" * 5000, None, False, 200),
    ("POST", "/_mock/clock", None, '{"advance": 1e999}', False, 400),
    ("POST", "/_mock/clock", None, '{"advance": ' + "9" * 400 + "}", False, 400),
    ("POST", "/_mock/clock", None, '{"now": "9999-12-31T23:59:59-23:59"}', False, 400),
    ("POST", "/_mock/clock", None, '{"now": "9999-12-31T23:59:59Z"}', False, 400),
    ("POST", "/_mock/clock", None, '{"now": "9999-12-31T23:59:59Z", "advance": 0.999999}', False, 400),
    ("POST", "/_mock/progress", None, '{"paymentId": "KNOWN-1", "status": [8]}', False, 400),
    ("POST", "/_mock/progress", None, '{"paymentId": "KNOWN-1", "status": 8.5}', False, 400),
    ("POST", "/_mock/progress", None, '{"paymentId": "NO-SUCH", "status": 8.0}', False, 404),  # 8.0 is 8
    ("POST", "/_mock/progress", None, '{"account": ["x"]}', False, 400),
    ("POST", "/_mock/progress", None, '{"paymentId": "\\ud800"}', False, 400),
    ("POST", "/_mock/progression", None, '{"account": ["x"]}', False, 400),
    ("POST", "/_mock/progression", None, '{"stepSeconds": 1e999}', False, 400),
    ("POST", "/_mock/progression", None, '{"stepSeconds": ' + "9" * 400 + "}", False, 400),
    ("POST", "/_mock/faults", None, '{"path": "/nowhere", "status": 503.5}', False, 400),
    ("POST", "/_mock/faults", None, '{"path": "/nowhere", "status": 503.0}', False, 201),  # 503.0 is 503
    ("POST", "/_mock/faults", None, '{"path": "/nowhere", "status": 503, "message": 5}', False, 400),
    ("POST", "/_mock/faults", None, '{"path": "/nowhere", "status": 503, "count": 100000000000000000000}', False, 400),
    ("POST", "/status", None, '{"requestId": "x", "a": NaN}', True, 400),
    ("POST", "/status", None, '{"requestId": "x", "a": -Infinity}', True, 400),
    ("POST", "/status", None, '{"requestId": "\\ud800"}', True, 400),
    ("POST", "/status", None, '{"requestId": "x", "a": ' + "1" * 5000 + "}", True, 400),
    ("POST", "/_mock/clock", None, '{"advance": ' + "1" * 5000 + "}", False, 400),
    ("GET", "/status", "requestId=MANY&paymentIds=" + "p," * 260_000, None, True, 200),  # over SQLite's 250,000
    ("POST", "/payment", None, _payment(amount="1" * 40), True, 200),
    ("POST", "/payment", None, _payment(amount=Decimal("1E+999999999")), True, 200),
    ("POST", "/payment", None, _payment(amount=Decimal("-1E+999999999"), paymentDate="x"), True, 200),
    ("POST", "/payment", None, _payment(amount="1" * 5000), True, 200),
    ("POST", "/payment", None, {**_payment(paymentDate="9999-12-31"), "options": {"moveToNextBankDate": True}},
     True, 200),
    ("OPTIONS", "/status", None, None, False, 405),
    ("GET", "/_mock//health", None, None, False, 404),
    ("POST", "/payment//cancel", None, "{}", False, 404),
]


@pytest.mark.parametrize("method, path, query, body, signed, status", REGRESSIONS,
                         ids=[f"{m} {p} {(q or '')[:20]}{str(b)[:40]}" for m, p, q, b, _, _ in REGRESSIONS])
def test_known_crashers_answer_json(emulator, method, path, query, body, signed, status):
    bank, client = emulator
    headers = {}
    if signed:
        params = body if isinstance(body, dict) else {"requestId": "MANY" if query else "x"}
        headers = _signed(path, params)
    text = to_json_text(body) if isinstance(body, dict) else body
    public = not path.startswith("/_mock")
    response, answer = fire(client, method, path, public=public, body=text, query=query, headers=headers)
    bank.store.clear_faults()
    bank.set_clock(ClockState())
    assert response.status_code == status, answer
    if path == "/payment" and status == 200:
        assert answer["answers"][0]["status"] == 32, answer  # refused as Failed, with the reason
        assert answer["answers"][0]["errors"], answer


def test_huge_wrong_hash_amount_is_diagnosed_not_crashed(emulator):
    """A bad signature over an absurd amount reaches the diagnosis, which must not write the number out."""
    _, client = emulator
    body = _payment(amount=Decimal("1E+999999999"))
    auth = json.loads(base64.b64decode(_sign(CRED, body, True).split()[-1]))
    auth["hash"][0]["hash"] = _b64(bytes(32))
    response, answer = fire(client, "POST", "/payment", public=True, body=to_json_text(body),
                            headers={"Authorization": "Basic " + _b64(json.dumps(auth).encode())})
    assert response.status_code == 401, answer


# --------------------------------------------------------------------------- over real HTTP


def test_malformed_requests_over_http_answer_json():
    with Emulator() as bank:
        http = requests.Session()
        url = bank.url
        cases = [
            ("POST", "/payment", {"data": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
            ("POST", "/status", {"data": b"\xff\xfe", "headers": {"Authorization": "Basic !!!"}}, 400),
            ("GET", "/status", {"params": {"requestId": "r"}, "headers": {"Authorization": "garbage garbage"}}, 401),
            ("GET", "/status", {"params": {"requestId": "r"},
                                "headers": {"Authorization": "Basic " + _b64(b'{"a": NaN}')}}, 401),
            ("DELETE", "/payment", {}, 405),
            ("PUT", "/_mock/clock", {"data": b"{}"}, 405),
            ("OPTIONS", "/report/balance", {}, 405),
            ("GET", "/no/such/route", {}, 404),
            ("GET", "/_mock//health", {}, 404),
            ("POST", "/_mock/clock", {"data": b'{"advance": 1e999}'}, 400),
            ("POST", "/_mock/faults", {"json": {"status": 418}}, 400),
            ("POST", "/payment/cancel", {"data": b"[" * 50_000}, 400),
        ]
        for method, path, kwargs, status in cases:
            response = http.request(method, url + path, timeout=30, allow_redirects=False, **kwargs)
            where = f"{method} {path} -> {response.status_code} {response.text[:300]!r}"
            assert response.status_code == status, where
            assert response.headers["Content-Type"].startswith("application/json"), where
            body = json.loads(response.text, parse_constant=_no_constant)
            assert not violations("error", body), where
            if status == 404:
                assert body["routes"], where
            if status == 405:
                assert body["allowed"], where
        journal = http.get(url + "/_mock/requests", timeout=30)
        assert journal.status_code == 200
        json.loads(journal.text, parse_constant=_no_constant)
        http.close()
