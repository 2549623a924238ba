"""The signing core against the shared test vectors, its parser, and its properties."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockbank import money, signing, verification

# The shared vectors live in ../shared beside the repository; tests/data keeps a copy for a clone
# without it, and test_the_vendored_vectors_are_the_shared_ones keeps the two equal.
SHARED_VECTORS = Path(__file__).resolve().parents[2] / "shared" / "spec" / "test-vectors.json"
VENDORED_VECTORS = Path(__file__).resolve().parent / "data" / "test-vectors.json"
VECTORS_FILE = SHARED_VECTORS if SHARED_VECTORS.exists() else VENDORED_VECTORS
VECTORS = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]
NON_CONFORMANT = {"randers_ts": ("key-as-text", "field-order"), "Encoding.Default": ("token-encoding",)}


def credentials(inputs):
    return signing.Credentials(inputs["erp_name"], inputs["api_key"], inputs["account"], inputs["integration_code"])


def request_of(vector):
    """(method, path, query, body) of the request a vector signs."""
    inputs = vector["inputs"]
    if vector["kind"] == "payment":
        return "POST", "/payment", {}, {"requestId": inputs["request_id"], "transactions": inputs["transactions"]}
    return "GET", "/report/account", {"requestId": inputs["request_id"]}, None


def verify_header(vector, header, **options):
    method, path, query, body = request_of(vector)
    auth = signing.parse_authorization(header)
    lookup = verification.StaticCredentials((credentials(vector["inputs"]),))
    return verification.verify(auth, method=method, path=path, query=query, body=body, credentials=lookup, **options)


def sign_vector(vector, **options):
    inputs = vector["inputs"]
    return signing.sign(credentials(inputs), inputs["request_id"], time=datetime.fromisoformat(inputs["time"]),
                        transactions=inputs["transactions"] if vector["kind"] == "payment" else None, **options)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_sign_reproduces_the_vector_byte_for_byte(vector):
    expected = vector["expected"]
    signed = sign_vector(vector)
    assert signing.integration_token(vector["inputs"]["integration_code"]) == expected["token"]
    assert [payload for _, payload in signed.payloads] == expected["payloads"]
    assert signed.auth["hash"] == expected["hashes"]
    assert signed.auth_json == expected["auth_json"]
    assert signed.auth_b64 == expected["auth_b64"]
    assert signed.header == expected["authorization"]
    assert sign_vector(vector, scheme="").header == expected["auth_b64"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_a_key_prepared_once_gives_each_payload_its_vector_hash(vector):
    mac_under_key = signing.mac_with(signing.key_bytes(vector["inputs"]["api_key"]))
    expected = vector["expected"]
    for _ in range(2):  # hashing one payload leaves nothing behind for the next
        assert [signing.encode_hash(mac_under_key(payload)) for payload in expected["payloads"]] == \
            [entry["hash"] for entry in expected["hashes"]]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_canonical_header_verifies(vector):
    verdict = verify_header(vector, vector["expected"]["authorization"])
    assert verdict.ok, verdict.message
    assert verdict.to_json() == {"ok": True}


CLIENT_VARIANTS = [(vector, variant) for vector in VECTORS for variant in vector.get("client_variants", [])
                   if "authorization" in variant]


@pytest.mark.parametrize("vector, variant", CLIENT_VARIANTS,
                         ids=[f"{v['id']}-{c['client'][:40]}" for v, c in CLIENT_VARIANTS])
def test_every_client_variant_verifies_or_is_diagnosed(vector, variant):
    expected_causes = next((causes for marker, causes in NON_CONFORMANT.items() if marker in variant["client"]),
                           None)
    auth = signing.parse_authorization(variant["authorization"])
    assert [{"id": h.id, "hash": h.hash} for h in auth.hashes] == variant["hashes"]
    verdict = verify_header(vector, variant["authorization"], lenient_time_formats=True)
    if expected_causes is None:
        assert verdict.ok, verdict.message
    else:
        assert not verdict.ok
        assert verdict.mistakes == expected_causes
        assert verdict.expected_payload == vector["expected"]["payloads"][0]


def test_non_conformant_compact_time_is_a_bad_time_format_in_strict_mode():
    vector = VECTORS[0]
    variant = next(c for c in vector["client_variants"] if "randers_ts" in c["client"])
    verdict = verify_header(vector, variant["authorization"])
    assert verdict.cause == "bad-time-format"
    assert "yyyy-MM-ddTHH:mm:ss" in verdict.message


# --------------------------------------------------------------------------- mutations of a vector

PAYMENT_VECTOR = next(v for v in VECTORS if v["kind"] == "payment" and len(v["inputs"]["transactions"]) > 1)
GET_VECTOR = VECTORS[0]


def reencode(auth):
    return "Basic " + base64.b64encode(json.dumps(auth).encode()).decode()


def verify_mutated(vector, mutate_auth=None, mutate_body=None, **options):
    method, path, query, body = request_of(vector)
    auth = json.loads(vector["expected"]["auth_json"])
    if mutate_auth:
        mutate_auth(auth)
    body = json.loads(json.dumps(body)) if body is not None else None
    query = dict(query)
    if mutate_body:
        mutate_body(body if body is not None else query)
    lookup = verification.StaticCredentials((credentials(vector["inputs"]),))
    return verification.verify(signing.parse_authorization(reencode(auth)), method=method, path=path, query=query,
                               body=body, credentials=lookup, **options)


def _set(path, value):
    def mutate(data):
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return mutate


PAYMENT_MUTATIONS = {
    "amount": (None, _set(["transactions", 1, "amount"], 217.51), "signature-mismatch"),
    "currency": (None, _set(["transactions", 0, "currency"], "EUR"), "signature-mismatch"),
    "creditor account": (None, _set(["transactions", 2, "account"], "80790000820049"), "signature-mismatch"),
    "payment date": (None, _set(["transactions", 0, "paymentDate"], "2025-04-16"), "signature-mismatch"),
    "paymentId": (None, _set(["transactions", 0, "paymentId"], "PAY_99"), "missing-hash"),
    "body requestId": (None, _set(["requestId"], "REQ_9999"), "request-id-mismatch"),
    "auth requestId": (_set(["requestId"], "REQ_9999"), None, "request-id-mismatch"),
    "time by one second": (_set(["time"], "2025-04-14T08:30:06"), None, "time-mismatch"),
    "serviceProvider": (_set(["serviceProvider"], "OtherERP"), None, "unknown-service-provider"),
    "account": (_set(["account"], "12345678901235"), None, "unknown-account"),
    "hash id": (_set(["hash", 1, "id"], "PAY_2"), None, "missing-hash"),
    "hash value": (_set(["hash", 0, "hash"], "AAAAKr8U9fJ+rqBMclBipRdrv1cn/dFwq2Y4i/F9y4="), None,
                   "signature-mismatch"),
    "hash list emptied": (_set(["hash"], []), None, "missing-hash"),
    "time format": (_set(["time"], "14/04/2025 08:30:05"), None, "bad-time-format"),
}


@pytest.mark.parametrize("name", PAYMENT_MUTATIONS)
def test_each_mutation_of_a_payment_vector_is_rejected_with_its_cause(name):
    mutate_auth, mutate_body, cause = PAYMENT_MUTATIONS[name]
    verdict = verify_mutated(PAYMENT_VECTOR, mutate_auth, mutate_body)
    assert not verdict.ok
    assert verdict.cause == cause, verdict.message
    assert "Kode-1234" not in json.dumps(verdict.to_json())
    assert PAYMENT_VECTOR["inputs"]["api_key"] not in json.dumps(verdict.to_json())


GET_MUTATIONS = {
    "query requestId": (None, _set(["requestId"], "REQ_X"), "request-id-mismatch"),
    "hash id": (_set(["hash", 0, "id"], "PAY_01"), None, "request-id-mismatch"),
    "time by three hours": (_set(["time"], "2025-01-07T15:00:00"), None, "time-mismatch"),
    "hash value": (_set(["hash", 0, "hash"], "dMMFGTgkh88fKPQ5xilan4eNT3Pqxkb/gnE3w2DtAAA="), None,
                   "signature-mismatch"),
}


@pytest.mark.parametrize("name", GET_MUTATIONS)
def test_each_mutation_of_a_get_vector_is_rejected_with_its_cause(name):
    mutate_auth, mutate_query, cause = GET_MUTATIONS[name]
    verdict = verify_mutated(GET_VECTOR, mutate_auth, mutate_query)
    assert verdict.cause == cause, verdict.message
    if cause == "signature-mismatch":
        assert verdict.expected_payload == GET_VECTOR["expected"]["payloads"][0]


def test_the_vendored_vectors_are_the_shared_ones():
    if not SHARED_VECTORS.exists():
        pytest.skip("../shared is not beside this checkout")
    assert VENDORED_VECTORS.read_bytes() == SHARED_VECTORS.read_bytes()


def test_lenient_request_id_mode_accepts_a_hash_id_other_than_the_request_id():
    """Odoo signs some status requests with a stored payment id as hash id and payid."""
    inputs = GET_VECTOR["inputs"]
    creds = credentials(inputs)
    payload = signing.request_payload(token=signing.integration_token(creds.integration_code), account=creds.account,
                                      request_id=inputs["request_id"], service_provider=creds.service_provider,
                                      now="20250107120000", payid="PAY_01")
    new_hash = [{"id": "PAY_01", "hash": signing.compute_hash(signing.key_bytes(creds.api_key), payload)}]
    assert verify_mutated(GET_VECTOR, _set(["hash"], new_hash)).cause == "request-id-mismatch"
    assert verify_mutated(GET_VECTOR, _set(["hash"], new_hash), require_request_id_match=False).ok


# --------------------------------------------------------------------------- clock skew


def test_clock_skew_within_the_window_passes_and_outside_fails():
    bank_now = datetime(2025, 1, 7, 12, 10, tzinfo=timezone.utc)
    assert verify_mutated(GET_VECTOR, clock_now=bank_now, max_clock_skew=900).ok
    late = verify_mutated(GET_VECTOR, clock_now=bank_now + timedelta(hours=1), max_clock_skew=900)
    assert late.cause == "clock-skew"
    assert "behind" in late.message


def test_clock_skew_of_whole_hours_hints_at_local_time():
    bank_now = datetime(2025, 1, 7, 11, 0, 30, tzinfo=timezone.utc)
    verdict = verify_mutated(GET_VECTOR, clock_now=bank_now, max_clock_skew=900)
    assert verdict.cause == "clock-skew"
    assert "local time instead of UTC" in verdict.hint


def test_time_with_offset_or_z_is_read_as_the_same_utc_instant():
    assert signing.parse_auth_time("2025-01-07T13:00:00+01:00") == datetime(2025, 1, 7, 12, tzinfo=timezone.utc)
    assert signing.parse_auth_time("2025-01-07T12:00:00Z") == datetime(2025, 1, 7, 12, tzinfo=timezone.utc)
    assert signing.parse_auth_time("2025-01-07T12:00:00.937") == datetime(2025, 1, 7, 12, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="expected format"):
        signing.parse_auth_time("20250107120000")
    assert signing.parse_auth_time("20250107120000", lenient=True) == datetime(2025, 1, 7, 12, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="not a real date"):
        signing.parse_auth_time("2025-02-30T12:00:00")


# --------------------------------------------------------------------------- key spellings


@pytest.mark.parametrize("spelling", [
    "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
    "3f2504e04f8941d39a0c0305e82c3301", "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
    "(3F2504E0-4f89-41d3-9a0c-0305e82c3301)", "  3f2504e0-4f89-41d3-9a0c-0305e82c3301\t",
])
def test_every_guid_spelling_gives_the_dotnet_byte_order(spelling):
    assert signing.key_bytes(spelling) == bytes.fromhex("e004253f894fd3419a0c0305e82c3301")


@pytest.mark.parametrize("bad", ["", "3f2504e0-4f89-41d3-9a0c", "{3f2504e04f8941d39a0c0305e82c3301}",
                                 "3f2504e0-4f89-41d3-9a0c-0305e82c330g", "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301"])
def test_a_key_that_is_not_a_guid_is_refused(bad):
    with pytest.raises(signing.InvalidApiKey):
        signing.key_bytes(bad)


# --------------------------------------------------------------------------- parsing the header

AUTH = json.loads(GET_VECTOR["expected"]["auth_json"])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize("header, field, fragment", [
    (None, "Authorization", "missing"),
    ("   ", "Authorization", "missing"),
    ("Bearer abc", "Authorization", "unsupported scheme"),
    ("Basic abc-_", "Authorization", "URL-safe"),
    ("Basic abcde", "Authorization", "padding"),
    ("Basic " + b64(b"\xff\xfe{}"), "Authorization", "not UTF-8"),
    ("Basic " + b64(b"{not json"), "Authorization", "not JSON"),
    ("Basic " + b64(b"[1, 2]"), "Authorization", "JSON object"),
    ("Basic " + b64(json.dumps({k: v for k, v in AUTH.items() if k != "time"}).encode()), "time", "no 'time'"),
    ("Basic " + b64(json.dumps({**AUTH, "account": 12345678901234}).encode()), "account", "a number"),
    ("Basic " + b64(json.dumps({**AUTH, "hash": "abc"}).encode()), "hash", "list"),
    ("Basic " + b64(json.dumps({**AUTH, "hash": [{"id": 1, "hash": "x"}]}).encode()), "hash[0].id", "string"),
    ("Basic " + b64(json.dumps({**AUTH, "hash": ["x"]}).encode()), "hash[0]", "object"),
    ("Basic " + b64(json.dumps({**AUTH, "user": 7}).encode()), "user", "string"),
    ("Basic " + b64(json.dumps({k: v for k, v in AUTH.items() if k != "hash"}).encode()), "hash", "no 'hash'"),
])
def test_parse_authorization_says_precisely_what_is_wrong(header, field, fragment):
    with pytest.raises(signing.MalformedHeader) as raised:
        signing.parse_authorization(header)
    assert raised.value.field == field
    assert fragment in raised.value.message


@pytest.mark.parametrize("scheme", ["", "Basic ", "BASIC ", "basic  ", "bAsIc\t"])
def test_parse_authorization_accepts_any_scheme_case_and_escaping(scheme):
    escaped = json.dumps(AUTH, indent=2, ensure_ascii=True).replace("+", "\\u002B")
    auth = signing.parse_authorization(scheme + b64(escaped.encode()))
    assert auth.request_id == AUTH["requestId"]
    assert auth.hashes[0].hash == AUTH["hash"][0]["hash"]


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize("amount, text", [
    (154, "154.00"), (154.0, "154.00"), (217.5, "217.50"), ("154.00", "154.00"), (Decimal("1234567.8"), "1234567.80"),
    (0.1 + 0.2, "0.30"), ("12.345", "12.35"), (-3, "-3.00"),
    # beyond 28 digits, written out as .NET decimal, Java BigDecimal and the kits do (it used to be "1E+26")
    (Decimal("1E+26"), "100000000000000000000000000.00"), (10**30, "1000000000000000000000000000000.00"),
    (Decimal("12345678901234567890123456789.005"), "12345678901234567890123456789.01"),
    (Decimal("99999999999999999999999999.995"), "100000000000000000000000000.00"),  # rounding carries a digit
    (Decimal("1E+301"), "1E+301"), (Decimal("NaN"), "NaN"),  # no client writes these out: their text
])
def test_amount_component_has_two_decimals_and_no_grouping(amount, text):
    assert signing.format_amount(amount) == text


@pytest.mark.parametrize("amount, rounding", [
    ("12.345", "half-even"), ("2.675", "float"), ("12.349", "truncate"), (2.675, "float"),
])
def test_an_amount_rounded_the_way_a_real_client_does_is_accepted_and_noted(amount, rounding):
    transaction = {"paymentId": "P1", "paymentDate": "2025-04-15", "amount": amount, "currency": "DKK",
                   "account": "80790000820049"}
    creds = signing.Credentials("TestERP", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "12345678901234", "Kode-1234")
    token = signing.integration_token(creds.integration_code)
    payload = signing.transaction_payload(transaction, token=token, account=creds.account, request_id="R1",
                                          service_provider="TestERP", now="20250414083005", rounding=rounding)
    assert payload.amount != signing.format_amount(amount)  # the rounding really differs from the canonical one
    auth = {"serviceProvider": "TestERP", "account": creds.account, "time": "2025-04-14T08:30:05",
            "requestId": "R1", "hash": [{"id": "P1", "hash": signing.compute_hash(signing.key_bytes(creds.api_key),
                                                                                    payload)}]}
    verdict = verification.verify(signing.parse_authorization(reencode(auth)), method="POST", path="/payment",
                                  body={"requestId": "R1", "transactions": [transaction]},
                                  credentials=verification.StaticCredentials((creds,)))
    assert verdict.ok, verdict.message
    assert verdict.to_json() == {"ok": True, "amountRounding": {"P1": rounding}}


# --------------------------------------------------------------------------- properties

texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)
guids = st.uuids().map(str)
accounts = st.from_regex(r"[0-9]{14}", fullmatch=True)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
transactions = st.fixed_dictionaries({
    "paymentId": texts, "paymentDate": st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat),
    "amount": st.one_of(amounts, amounts.map(str), amounts.map(float)), "currency": st.sampled_from(["DKK", "EUR"]),
    "account": texts,
})
requests = st.fixed_dictionaries({
    "credentials": st.builds(signing.Credentials, texts, guids, accounts, texts),
    "request_id": texts, "time": moments,
    "transactions": st.one_of(st.none(), st.lists(transactions, min_size=1, max_size=4,
                                                  unique_by=lambda t: t["paymentId"])),
})


def verify_signed(request, signed, mutate=None):
    body = {"requestId": request["request_id"], "transactions": request["transactions"]}
    auth = json.loads(signed.auth_json)
    if mutate:
        mutate(auth, body)
    method, path = ("POST", "/payment") if request["transactions"] is not None else ("POST", "/status")
    return verification.verify(signing.parse_authorization(reencode(auth)), method=method, path=path, body=body,
                               credentials=verification.StaticCredentials((request["credentials"],)))


@given(requests)
def test_verify_accepts_whatever_sign_produces(request):
    signed = signing.sign(request["credentials"], request["request_id"], time=request["time"],
                          transactions=request["transactions"])
    verdict = verify_signed(request, signed)
    assert verdict.ok, verdict.message


SIGNED_FIELDS = ["currency", "paymentDate", "amount", "account", "paymentId"]


@given(requests, st.sampled_from(SIGNED_FIELDS + ["requestId", "time", "hash"]), st.data())
def test_changing_any_signed_value_breaks_the_signature(request, what, data):
    signed = signing.sign(request["credentials"], request["request_id"], time=request["time"],
                          transactions=request["transactions"])

    def mutate(auth, body):
        if what == "requestId":
            body["requestId"] = auth["requestId"] = request["request_id"] + "x"
        elif what == "time":
            auth["time"] = signing.format_auth_time(request["time"] + timedelta(seconds=data.draw(
                st.integers(1, 10 ** 6))))
        elif what == "hash":
            auth["hash"][0]["hash"] = ("B" if auth["hash"][0]["hash"][0] == "A" else "A") + auth["hash"][0]["hash"][1:]
        elif body["transactions"] is not None:
            transaction = body["transactions"][0]
            if what == "amount":
                transaction["amount"] = money.to_decimal(transaction["amount"]) + Decimal("0.01")
            elif what == "paymentDate":
                transaction["paymentDate"] = (date.fromisoformat(transaction["paymentDate"]) + timedelta(days=1)).isoformat()
            elif what == "currency":
                transaction["currency"] = {"DKK": "EUR", "EUR": "DKK"}[transaction["currency"]]
            else:
                transaction[what] = transaction[what] + "x"
        else:
            body["requestId"] = auth["requestId"] = request["request_id"] + "y"

    assert not verify_signed(request, signed, mutate).ok


def test_a_payment_id_given_twice_pairs_each_transaction_with_its_own_hash():
    creds = signing.Credentials("TestERP", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "12345678901234", "Kode-1234")
    transactions = [{"paymentId": "SAME", "paymentDate": "2025-04-15", "amount": amount, "currency": "DKK",
                     "account": "80790000820049"} for amount in ("1.00", "2.00")]
    signed = signing.sign(creds, "R", time=datetime(2025, 4, 14, 8, 30), transactions=transactions)
    verdict = verification.verify(signing.parse_authorization(signed.header), method="POST", path="/payment",
                                  body={"requestId": "R", "transactions": transactions},
                                  credentials=verification.StaticCredentials((creds,)))
    assert verdict.ok, verdict.message
