"""The JSON Schemas, the OpenAPI document and mockbank.schemas."""

from __future__ import annotations

import copy
import json
import pathlib
import re
from decimal import Decimal
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Resource

from mockbank import routes, schemas
from mockbank.schemas import Violation, violations

# --- documented examples (spec sections in the names) ---------------------------------

PAYMENT_REQUEST_3_1 = {
    "requestId": "REQ_01",
    "transactions": [
        {
            "paymentId": "PAY_01",
            "paymentDate": "2015-04-15",
            "amount": 154.0,
            "currency": "DKK",
            "account": "80790000820049",
            "text": "Tekst på mit kontoudtog",
            "creditorText": "På modtagers kontoudtog",
            "creditor": {"name": "BankIntegration ApS"},
        },
        {
            "paymentId": "PAY_02",
            "paymentDate": "2015-04-16",
            "urgency": 2,
            "amount": 217.5,
            "currency": "DKK",
            "account": "80790000820064",
            "text": "Anden tekst på kontoudtog",
            "creditorText": "På modtagers kontoudtog",
            "creditorMessage": ["Dette er test nr. 2", "fra mig til dig ;-)"],
            "creditor": {
                "name": "Peter Hansen",
                "streetName": "Per Gøgls Vej",
                "streetNbr": "54",
                "postalCode": "1234",
                "city": "Gødstrup",
            },
        },
    ],
    "options": {
        "waitForBankResponse": True,
        "checkPaymentStatus": True,
        "moveToNextBankDate": True,
        "useIban": False,
        "skipDuplicateCheck": False,
    },
}

PAYMENT_RESPONSE_3_4 = {
    "account": "52470021527478",
    "requestId": "REQ_01",
    "time": "2015-04-14T11:30:01+02:00",
    "answers": [
        {"transId": "254778516", "paymentId": "PAY_01",
         "endToEndId": "72F0A84C17424C7EB2C71E88A4551395", "status": 2,
         "info": {"text": "Tekst på mit kontoudtog",
                  "instructed": {"amount": 154.0, "currency": "DKK"}}},
        {"transId": "254778516", "paymentId": "PAY_02",
         "endToEndId": "9D7D35DCAACC41BDB018D0624CD87340", "status": 2,
         "info": {"text": "Anden tekst på kontoudtog",
                  "instructed": {"amount": 217.5, "currency": "DKK"}}},
    ],
}

STATUS_REQUEST_4_2 = {"requestId": "REQ_01", "paymentIds": ["PAY_0122457", "PAY_9985424"]}

STATUS_RESPONSE_4_3 = {
    "account": "52470021527478",
    "requestId": "REQ_01",
    "time": "2015-05-21T12:45:23+02:00",
    "answers": [
        {"transId": "254778516", "paymentId": "PAY_0122457",
         "endToEndId": "72F0A84C17424C7EB2C71E88A4551395", "status": 2,
         "info": {"text": "Inv. 012254 - Otto Hansen",
                  "instructed": {"amount": 145.7, "currency": "DKK"}}},
        {"transId": "254778516", "paymentId": "PAY_9985424",
         "endToEndId": "9D7D35DCAACC41BDB018D0624CD87340", "status": 4,
         "info": {"text": "Faktura 259", "instructed": {"amount": 1754.1, "currency": "DKK"}}},
        {"transId": "254457881", "paymentId": "PAY_9775424",
         "endToEndId": "9D7D547AACB44578DB08D0624CD87340", "status": 8,
         "info": {"text": "Faktura 114", "instructed": {"amount": 100, "currency": "EUR"},
                  "transacted": {"amount": 744.12, "currency": "DKK"}}},
        {"transId": "254778516", "paymentId": "PAY_1245889",
         "endToEndId": "CBE958F3813C4B8C9F6DA01E25E85B1F", "status": 16,
         "errors": [{"code": "AC03", "text": "Beneficiary's account number n…"}]},
    ],
}

SIMPLE_ENTRY_5_4 = {
    "id": "778812", "sequence": 1045,
    "date": {"booking": "2005-10-17T00:00:00", "value": "2005-10-17T00:00:00"},
    "amount": -154.0, "balance": 25263.0,
    "type": "Transfer", "text": "Tekst på mit kontoudtog",
    "creditorText": "På modtagers kontoudtog", "creditorMessage": "Faktura 114",
    "endToEndId": "72F0A84C17424C7EB2C71E88A4551395",
    "transactionCodes": {"domain": "PMNT", "family": "ICDT", "subFamily": "DMCT"},
    "creditor": {"id": "", "name": "BankIntegration ApS"},
}

FULL_ENTRY = {
    "id": "778813",
    "date": {"booking": "2005-10-18T00:00:00", "value": "2005-10-18T00:00:00"},
    "amounts": {"amount": 1200.5, "balance": 26463.5, "currency": "DKK"},
    "type": "Transfer", "text": "Indbetaling",
    "debtorText": "Faktura 7", "advis": ["Faktura 7", "Tak for handlen"],
}

STATEMENT_RESPONSE_5_3 = {
    "account": "52470021527478",
    "requestId": "REQ_01",
    "created": "2015-05-21T12:45:23+02:00",
    "currency": "DKK",
    "name": "Driftkonto",
    "bic": "DABADKKK",
    "owner": {"id": "12457889", "name": "Bennys Pølsebar", "address": "Havnen 85",
              "postalCode": "9210", "city": "Aalborg SV", "country": "DK"},
    "from": "2005-10-15T00:00:00",
    "to": "2005-10-20T00:00:00",
    "entries": [SIMPLE_ENTRY_5_4],
}

STATEMENT_REQUEST_5_2 = {"requestId": "0b6f0c9e-6b1e-4f4e-9d55-3a8c3c1d2e11",
                         "from": "2025-01-01", "to": "2025-01-31", "newOnly": False}

BALANCE_RESPONSE_6 = {
    "account": "52470021527478",
    "requestId": "REQ_01",
    "created": "2015-05-21T12:45:23+02:00",
    "currency": "DKK",
    "name": "Driftkonto",
    "bic": "DABADKKK",
    "from": "2015-05-20",
    "to": "2015-05-21",
    "entries": [
        {"date": "2015-05-20", "amount": 25417.0, "type": 1},
        {"date": "2015-05-20", "amount": 28001.75, "type": 2},
        {"date": "2015-05-21", "amount": 28001.75, "type": 1},
    ],
}

CANCEL_REQUEST_7 = {"requestId": "REQ_01", "paymentIds": ["PAY_0122457"]}

CANCEL_RESPONSE_7 = {
    "account": "52470021527478",
    "requestId": "REQ_01",
    "time": "2015-05-21T12:45:23+02:00",
    "answers": [{"transId": "254778516", "paymentId": "PAY_0122457",
                 "endToEndId": "72F0A84C17424C7EB2C71E88A4551395", "status": 256}],
}

AUTH_V1 = json.loads(
    '{"serviceProvider":"MyERP","account":"52470021527478","time":"2015-05-21T10:45:23",'
    '"requestId":"REQ_01","hash":[{"id":"REQ_01","hash":"mse69ebHzjOxwv6wEY4tBtIizGCXHcJHVu11bqEUhfQ="}]}'
)

FIXTURE_DESIGN = {
    "erps": [{"serviceProvider": "MyERP", "apiKey": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}],
    "accounts": [{"account": "52470021527478", "integrationCode": "TestKode123",
                  "serviceProvider": "MyERP", "currency": "DKK", "name": "Driftkonto",
                  "bic": "DABADKKK", "owner": {"id": "12457889", "name": "Bennys Pølsebar"},
                  "openingBalance": 25417.00}],
}

UNAUTHORIZED_BODY = {
    "error": "unauthorized",
    "message": "Invalid Signature",
    "diagnosis": {"cause": "key-byte-order", "message": "The key bytes are in RFC order.",
                  "hashId": "PAY_01", "expectedPayload": "fb54#52470021527478#DKK#REQ_01",
                  "hint": "Use Guid.ToByteArray() order.", "mistakes": ["key-byte-order"]},
}

VALID = [
    ("payment-request", PAYMENT_REQUEST_3_1),
    ("payment-response", PAYMENT_RESPONSE_3_4),
    ("status-request", STATUS_REQUEST_4_2),
    ("status-request", {"requestId": "REQ_02", "paymentId": ["PAY_01"]}),
    ("status-request", {"requestId": "REQ_02", "paymentId": "PAY_01"}),
    ("status-response", STATUS_RESPONSE_4_3),
    ("status-response", {**STATUS_RESPONSE_4_3, "answers": []}),
    ("status-response", {**CANCEL_RESPONSE_7, "answers": [{"paymentId": "X", "status": 64}]}),
    ("statement-request", STATEMENT_REQUEST_5_2),
    ("statement-request", {"requestId": "R", "type": "Full", "from": "250101", "options": "a;b"}),
    ("statement-response", STATEMENT_RESPONSE_5_3),
    ("statement-response", {**STATEMENT_RESPONSE_5_3, "entries": [FULL_ENTRY, SIMPLE_ENTRY_5_4]}),
    ("statement-response", {**STATEMENT_RESPONSE_5_3, "entries": []}),
    ("balance-request", {"requestId": "R", "type": 3, "from": "2015-05-20", "to": "150521"}),
    ("balance-request", {"requestId": "R", "type": "1"}),
    ("balance-response", BALANCE_RESPONSE_6),
    ("cancel-request", CANCEL_REQUEST_7),
    ("cancel-response", CANCEL_RESPONSE_7),
    ("auth", AUTH_V1),
    ("auth", {**AUTH_V1, "user": "u1", "extra": 1}),
    ("payment-query", {"requestId": "REQ_01"}),
    ("status-query", {"requestId": "REQ_01", "paymentId": "PAY_01"}),
    ("status-query", {"requestId": "REQ_01", "paymentIds": ["PAY_01", "PAY_02"], "x": ["1", "2"]}),
    ("statement-query", {"requestId": "REQ_01", "type": "Full", "from": "2015-05-20",
                         "to": "150521", "newOnly": "TRUE", "options": ""}),
    ("statement-query", {"requestId": "REQ_01", "newOnly": "False"}),
    ("balance-query", {"requestId": "REQ_01", "type": "2", "from": "150520"}),
    ("error", UNAUTHORIZED_BODY),
    ("error", {"error": "bad-request", "message": "body violates the schema",
               "details": [{"pointer": "/transactions/0/amount", "reason": "is required"},
                           {"pointer": "", "reason": "is not of type 'object'"}]}),
    ("error", {"error": "not-found", "message": "no such route", "routes": ["POST /payment"]}),
    ("error", {"error": "method-not-allowed", "allowed": ["GET", "POST"]}),
    ("error", {"error": "unauthorized", "diagnosis": {"cause": "token-encoding", "message": "m",
                                                      "amountRounding": {"sent": "154"}}}),
    ("fixtures", FIXTURE_DESIGN),
]


@pytest.mark.parametrize(("name", "instance"), VALID, ids=[f"{n}-{i}" for i, (n, _) in enumerate(VALID)])
def test_documented_examples_validate(name, instance):
    assert violations(name, instance) == []


def test_status_4_3_example_validates_with_decimals_as_the_server_parses_it():
    for name, example in [("status-response", STATUS_RESPONSE_4_3),
                          ("payment-request", PAYMENT_REQUEST_3_1),
                          ("balance-response", BALANCE_RESPONSE_6)]:
        parsed = json.loads(json.dumps(example), parse_float=Decimal)
        assert violations(name, parsed) == []


def test_decimal_integers_and_numbers():
    body = copy.deepcopy(PAYMENT_REQUEST_3_1)
    body["transactions"][1]["urgency"] = Decimal("2.0")
    body["transactions"][0]["type"] = Decimal("1")
    assert violations("payment-request", body) == []
    body["transactions"][1]["urgency"] = Decimal("2.5")
    body["transactions"][0]["amount"] = Decimal("NaN")
    assert violations("payment-request", body) == [
        Violation("/transactions/0/amount", "is not of type 'number', 'string'"),
        Violation("/transactions/1/urgency", "is not of type 'integer'"),
    ]
    assert violations("balance-request", {"requestId": "R", "type": Decimal("2")}) == []
    assert violations("balance-response", {**BALANCE_RESPONSE_6, "entries": [
        {"date": "2015-05-20", "amount": Decimal("1.10"), "type": Decimal("1.0")}]}) == []
    assert violations("payment-request", {**PAYMENT_REQUEST_3_1, "requestId": True})[0].reason == (
        "is not of type 'string'")


def test_amount_as_numeric_string_is_accepted():
    body = copy.deepcopy(PAYMENT_REQUEST_3_1)
    body["transactions"][0]["amount"] = "154.00"
    body["transactions"][1]["amount"] = "-217"
    assert violations("payment-request", body) == []


def test_unknown_keys_are_allowed_in_bodies():
    body = copy.deepcopy(PAYMENT_REQUEST_3_1)
    body["extra"] = {"anything": [1]}
    body["transactions"][0]["extra"] = None
    body["transactions"][0]["creditor"]["extra"] = 1
    body["options"]["extra"] = "x"
    assert violations("payment-request", body) == []


# --- invalid instances -----------------------------------------------------------------

def _transaction(**changes):
    tx = copy.deepcopy(PAYMENT_REQUEST_3_1["transactions"][0])
    tx.update(changes)
    return {"requestId": "REQ_01", "transactions": [tx]}


@pytest.mark.parametrize(("name", "instance", "expected"), [
    ("payment-request", [], [("", "is not of type 'object'")]),
    ("payment-request", {"transactions": []},
     [("/requestId", "is required"), ("/transactions", "is empty")]),
    ("payment-request", {"requestId": "", "transactions": [{}]},
     [("/requestId", "is empty")]
     + [(f"/transactions/0/{key}", "is required")
        for key in sorted(["paymentId", "paymentDate", "amount", "currency", "account", "creditor"])]),
    ("payment-request", _transaction(amount=True),
     [("/transactions/0/amount", "is not of type 'number', 'string'")]),
    ("payment-request", _transaction(amount="1,50"),
     [("/transactions/0/amount", r"does not match '^-?[0-9]+(\.[0-9]+)?$'")]),
    ("payment-request", _transaction(paymentDate="2015-02-30"),
     [("/transactions/0/paymentDate", "is not a valid 'date'")]),
    ("payment-request", _transaction(paymentDate="0000-01-01"),  # RFC 3339 has a year 0; Python's dates do not
     [("/transactions/0/paymentDate", "is not a valid 'date'")]),
    ("payment-request", _transaction(paymentDate="20150415"),
     [("/transactions/0/paymentDate", "does not match '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"),
      ("/transactions/0/paymentDate", "is not a valid 'date'")]),
    ("payment-request", _transaction(currency="dkk", urgency="2"),
     [("/transactions/0/currency", "does not match '^[A-Z]{3}$'"),
      ("/transactions/0/urgency", "is not of type 'integer'")]),
    ("payment-request", _transaction(paymentId="P" * 65, creditorMessage="one line"),
     [("/transactions/0/creditorMessage", "is not of type 'array'"),
      ("/transactions/0/paymentId", "is longer than 64 characters")]),
    ("payment-request", {**_transaction(), "options": {"useIban": "false"}},
     [("/options/useIban", "is not of type 'boolean'")]),
    ("status-request", {"requestId": "R", "paymentIds": "PAY_01", "paymentId": 7},
     [("/paymentId", "is not of type 'string', 'array'"), ("/paymentIds", "is not of type 'array'")]),
    ("status-query", {"requestId": ["R1", "R2"]}, [("/requestId", "is not of type 'string'")]),
    ("statement-query", {"requestId": "R", "newOnly": "yes", "from": "2015/01/01"},
     [("/from", "does not match '" + schemas.load("common")["$defs"]["requestDate"]["pattern"] + "'"),
      ("/newOnly", "does not match '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$'")]),
    ("statement-request", {"requestId": "R", "newOnly": "true"},
     [("/newOnly", "is not of type 'boolean'")]),
    ("balance-query", {"requestId": "R", "type": "4"}, [("/type", 'is not one of "1", "2", "3"')]),
    ("balance-request", {"requestId": "R", "type": 4}, [("/type", "is greater than the maximum of 3")]),
    ("cancel-request", {"requestId": "R", "paymentIds": []}, [("/paymentIds", "is empty")]),
    ("auth", {**AUTH_V1, "hash": []}, [("/hash", "is empty")]),
    ("auth", {**AUTH_V1, "hash": [{"id": "REQ_01"}]}, [("/hash/0/hash", "is required")]),
    ("status-response", {**STATUS_RESPONSE_4_3, "answers": [
        {"paymentId": "P", "status": 3, "endToEndId": "72f0a84c17424c7eb2c71e88a4551395"}]},
     [("/answers/0/endToEndId", "does not match '^[0-9A-F]{32}$'"),
      ("/answers/0/status", "is not one of 1, 2, 4, 8, 16, 32, 64, 128, 256, 512")]),
    ("status-response", {**STATUS_RESPONSE_4_3, "time": "2015-05-21T12:45:23"},
     [("/time", "does not match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                r"(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'")]),
    ("statement-response", {**STATEMENT_RESPONSE_5_3, "entries": [{"id": "1", "date": {
        "booking": "2005-10-17T00:00:00", "value": "2005-10-17T00:00:00"}}]},
     [("/entries/0", "matches none of the allowed shapes: /amount is required; /amounts is required")]),
    ("statement-response", {**STATEMENT_RESPONSE_5_3, "entries": [
        {**FULL_ENTRY, "amounts": {"amount": 1, "balance": "2"}}]},
     [("/entries/0/amounts/balance", "is not of type 'number'")]),
    ("statement-response", {**STATEMENT_RESPONSE_5_3, "from": "2005-10-15"},
     [("/from", "does not match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$'")]),
    ("balance-response", {**BALANCE_RESPONSE_6, "entries": [{"date": "2015-05-20", "amount": 1, "type": 3}]},
     [("/entries/0/type", "is not one of 1, 2")]),
    ("error", {"error": "unauthorized", "diagnosis": {"cause": "bad-luck", "message": "m"}},
     [("/diagnosis/cause", "is not one of " + ", ".join(
         json.dumps(c) for c in schemas.load("error")["$defs"]["cause"]["enum"]))]),
    ("error", {"error": "bad-request", "details": [{"pointer": "amount", "reason": "x"}]},
     [("/details/0/pointer", "does not match '^(/([^~/]|~[01])*)*$'")]),
    ("fixtures", {"erps": [{"serviceProvider": "MyERP", "apiKey": "not-a-guid"}],
                  "accounts": [{**FIXTURE_DESIGN["accounts"][0], "account": "5247002152747",
                                "historyDays": 4000, "entries": [{"amount": 1}]}]},
     [("/accounts/0/account", "does not match '^[0-9]{14}$'"),
      ("/accounts/0/entries/0/booking", "is required"),
      ("/accounts/0/historyDays", "is greater than the maximum of 3650"),
      ("/erps/0/apiKey", "does not match '" + schemas.load("common")["$defs"]["guid"]["pattern"] + "'")]),
])
def test_invalid_instances_are_reported_at_the_right_pointer(name, instance, expected):
    assert violations(name, instance) == [Violation(p, r) for p, r in expected]


@pytest.mark.parametrize("key", [
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "3F2504E04F8911D39A0C0305E82C3301",
    "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
    "(3F2504E0-4F89-11D3-9A0C-0305E82C3301)",
])
def test_fixture_api_key_accepts_every_guid_spelling(key):
    fixture = copy.deepcopy(FIXTURE_DESIGN)
    fixture["erps"][0]["apiKey"] = key
    fixture["settings"] = {"anything": True}
    fixture["accounts"][0].update(progression="manual", historyDays=30, entries=[
        {"id": "e1", "booking": "2015-05-20", "value": "2015-05-21", "amount": -12.5,
         "text": "Kaffe", "counterparty": {"name": "Café", "account": "12345678901234"}}])
    assert violations("fixtures", fixture) == []


def test_pointer_escapes_rfc6901():
    assert schemas.pointer(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"


# --- module API ------------------------------------------------------------------------

def test_schema_names_match_the_files():
    folder = files("mockbank.schema_files")
    on_disk = sorted(p.name[: -len(".schema.json")] for p in folder.iterdir()
                     if p.name.endswith(".schema.json"))
    assert list(schemas.SCHEMA_NAMES) == on_disk
    routed = {name for route in routes.ROUTES for name in (route.response, *route.requests.values()) if name}
    referenced_only = {"fault"}  # an item of the faults list and the answer of POST /_mock/faults
    assert set(schemas.SCHEMA_NAMES) == {"common", "auth", "error", "fixtures", *routed, *referenced_only}


def test_validator_is_built_once_and_load_returns_a_copy():
    assert schemas.validator("payment-request") is schemas.validator("payment-request")
    raw = schemas.load("auth")
    raw["required"].clear()
    assert schemas.load("auth")["required"]
    assert violations("auth", {})  # the cached schema is untouched
    with pytest.raises(KeyError):
        schemas.load("nope")
    with pytest.raises(KeyError):
        violations("nope", {})


@pytest.mark.parametrize("name", schemas.SCHEMA_NAMES)
def test_every_schema_is_valid_draft_2020_12_with_its_id(name):
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://mockbank.local/schemas/{name}.schema.json"


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_ref_resolves():
    base = schemas.BASE_URI
    doc = schemas.openapi()
    registry = schemas.registry().with_resource(base + "openapi.json", Resource.opaque(doc))
    documents = [(base + n + ".schema.json", schemas.load(n)) for n in schemas.SCHEMA_NAMES]
    checked = 0
    for uri, document in [*documents, (base + "openapi.json", doc)]:
        resolver = registry.resolver(base_uri=uri)
        for ref in _refs(document):
            assert resolver.lookup(ref).contents is not None, (uri, ref)
            checked += 1
    assert checked > 50


def test_openapi_is_valid():
    path = pathlib.Path(str(files("mockbank.schema_files").joinpath("openapi.json")))
    spec = schemas.openapi()
    validate_openapi(spec, base_uri=path.as_uri())
    assert spec["openapi"] == "3.1.0"
    scheme = spec["components"]["securitySchemes"]["bankIntegrationAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    for route, item in spec["paths"].items():
        for method, operation in item.items():
            control = route.startswith("/_mock/")
            assert operation["tags"] == (["mock control plane"] if control else ["bankintegration api"])
            if not control:
                assert {"200", "400", "401", "500", "502", "503", "504"} <= set(operation["responses"])
                assert ("413" in operation["responses"]) == (method == "post")
    for name, response in spec["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "error.schema.json"}, name


# --- properties ------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["requestId", "transactions", "amount", "paymentIds", "type", "from",
                         "entries", "answers", "status", "hash", "a/b", "~"]), inner, max_size=5),
    max_leaves=20,
)
_POINTER = re.compile(r"^(/([^~/]|~[01])*)*$")


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(schemas.SCHEMA_NAMES), instance=_json)
def test_violations_are_sorted_pointed_and_short(name, instance):
    found = violations(name, instance)
    assert found == sorted(set(found))
    for violation in found:
        assert _POINTER.match(violation.pointer)
        assert violation.reason and len(violation.reason) < 400
    assert (found == []) == schemas.validator(name).is_valid(instance)


# --- the compiled fast path agrees with jsonschema, the reference ---------------------------------


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.decimals(allow_nan=False, allow_infinity=False,
                                                                          places=3, min_value=-10**6,
                                                                          max_value=10**6)
    | st.text(max_size=12) | st.sampled_from(["2025-04-15", "DKK", "154.00", "REQ_01", "+71<1+12345678<", "1"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["requestId", "transactions", "paymentId", "paymentDate", "amount", "currency", "account",
                         "creditor", "name", "options", "paymentIds", "type", "from", "to", "newOnly", "hash", "id",
                         "serviceProvider", "time", "erps", "accounts", "apiKey", "integrationCode", "x"]),
        children, max_size=6),
    max_leaves=12)


@settings(max_examples=300)
@given(st.sampled_from([n for n in schemas.SCHEMA_NAMES if n != "common"]), _JSON)
def test_the_fast_path_never_accepts_what_jsonschema_refuses(name, instance):
    fast = schemas._fast_validator(name)
    if fast is None:
        pytest.skip("jsonschema-rs is not installed")
    reference_valid = not list(schemas.validator(name).iter_errors(instance))
    assert fast.is_valid(instance) == reference_valid


def test_the_fast_path_accepts_the_documented_payment_with_decimal_amounts():
    body = {"requestId": "R", "transactions": [{"paymentId": "P", "paymentDate": "2015-04-15", "amount": Decimal("154.0"),
                                                "currency": "DKK", "account": "80790000820049",
                                                "creditor": {"name": "X"}}]}
    assert schemas._fast_validator("payment-request").is_valid(body)
    assert schemas.violations("payment-request", body) == []
