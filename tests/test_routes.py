"""The route table is the one list of routes: Flask serves exactly it, openapi.json documents exactly it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_spec_validator import validate as validate_openapi

from mockbank import faults, fixtures, openapi, routes, schemas
from mockbank.app import create_app
from mockbank.bank import Bank
from mockbank.settings import Settings
from mockbank.store import open_store

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # werkzeug adds them to every rule; both answer as GET or 405


@pytest.fixture(scope="module")
def app():
    bank = Bank(open_store(":memory:"), fixtures.load(), Settings())
    bank.ensure_seeded()
    yield create_app(bank)
    bank.store.close()


def test_flask_serves_exactly_the_route_table(app):
    served = {(method, rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
              for method in rule.methods - IGNORED_METHODS
              if not rule.endpoint.startswith("dashboard.")}  # HTML pages for people, not part of the API
    table = {(method, route.flask_rule, f"{route.kind}.{route.endpoint}") for route in routes.ROUTES
             for method in route.methods}
    assert served == table


def test_openapi_documents_exactly_the_route_table():
    documented = {(method.upper(), path, operation["operationId"])
                  for path, item in schemas.openapi()["paths"].items() for method, operation in item.items()}
    table = {(method, route.path, operation_id) for route in routes.ROUTES
             for method, operation_id in route.operations()}
    assert documented == table


def test_openapi_json_is_generated_from_the_table():
    assert schemas.openapi() == openapi.document(), \
        "schemas/openapi.json is out of date: python -m mockbank.openapi > schemas/openapi.json"


def test_every_operation_has_its_request_and_response_schemas():
    doc = schemas.openapi()
    for method, path, route in routes.operations():
        operation = doc["paths"][path][method.lower()]
        success = operation["responses"][str(route.status)]
        if route.status == 204:  # no content
            assert not route.response and "content" not in success
        else:
            assert success["content"]["application/json"]["schema"] == {"$ref": f"{route.response}.schema.json"}
            assert route.response in schemas.SCHEMA_NAMES
        request = route.requests.get(method)
        if method in routes.QUERY_METHODS:
            assert "requestBody" not in operation
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            assert names == set(schemas.load(request)["properties"]) if request else not names
        else:
            assert request in schemas.SCHEMA_NAMES, f"{method} {path} reads a body: it needs a request schema"
            assert operation["requestBody"]["content"]["application/json"]["schema"] == {
                "$ref": f"{request}.schema.json"}


def test_the_served_document_embeds_its_schemas_and_is_valid(app):
    served = app.test_client().get("/_mock/openapi.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    doc = served.get_json()
    validate_openapi(doc)
    assert doc["paths"].keys() == schemas.openapi()["paths"].keys()
    references = set(_references(doc))
    assert references and all(ref.startswith("#/components/") for ref in references), references
    assert set(doc["components"]["schemas"]) <= set(schemas.SCHEMA_NAMES)


def _references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from [value] if key == "$ref" else _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_a_route_is_found_by_a_concrete_path():
    assert routes.find("GET", "/payment/254000001").path == "/payment/{transId}"
    assert routes.find("POST", "/payment/cancel").path == "/payment/cancel"
    assert routes.find("GET", "/payment/cancel") is None and routes.find("GET", "/payment/nil") is None
    assert routes.find("DELETE", "/_mock/faults").endpoint == "clear_faults"


def test_trans_ids_are_digits_and_cancel_is_post_only(app):
    client = app.test_client()
    for path in ("/payment/nil", "/payment/%D9%A1%D9%A2", "/payment/-1"):
        response = client.get(path, query_string={"requestId": "R"})
        assert response.status_code == 404 and response.get_json()["error"] == "not-found", path
    response = client.get("/payment/cancel", query_string={"requestId": "R"})
    assert response.status_code == 405 and response.get_json()["allowed"] == ["POST"]
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("body, status", [(b"", 200), (b"{}", 200), (b" {} ", 200), (b"[null, null]", 400),
                                          (b'{"everything": true}', 400), (b"null", 400)])
def test_reset_takes_no_fields(app, body, status):
    response = app.test_client().post("/_mock/reset", data=body, content_type="application/json")
    assert response.status_code == status, response.get_json()


# --------------------------------------------------------------------------- the fault schema is the server's rule

FAULT_VALUES = {
    "path": st.sampled_from(["/payment", "/report/*", "*", "payment", "", 7, None]),
    "method": st.sampled_from(["GET", "post", "Post", "PUT", "", None, 1, "poſt"]),
    "account": st.sampled_from(["52470004471238", None, 5, True]),
    "status": st.sampled_from([500, 502, 503, 504, 418, 200, None, "503", True, Decimal("503.0"), Decimal("503.5")]),
    "count": st.sampled_from([1, 3, 10**9, 10**9 + 1, 0, -1, None, "1", True, Decimal("2.0"), Decimal("1.5")]),
    "delayMs": st.sampled_from([0, 1, 120_000, 120_001, -1, None, "5", False, Decimal("5E+1"), Decimal("0.5")]),
    "drop": st.sampled_from([True, False, None, 0, "true"]),
    "when": st.sampled_from(["before", "after", "later", None]),
    "message": st.sampled_from(["down for maintenance", None, 5]),
    "reshape": st.sampled_from([*faults.RESHAPES, "other", None, 1]),
    "colour": st.just("blue"),
}


@given(st.fixed_dictionaries({}, optional=FAULT_VALUES))
def test_the_fault_schema_accepts_exactly_what_the_server_accepts(spec):
    try:
        faults.parse(spec)
        accepted = True
    except faults.FaultError:
        accepted = False
    assert (schemas.violations("fault-request", spec) == []) == accepted, spec


def test_unknown_fields_are_named_by_an_escaped_pointer(app):
    client = app.test_client()
    assert client.post("/_mock/reset", json={"a/b": 1}).get_json()["details"][0]["pointer"] == "/a~1b"
    assert client.post("/_mock/clock", json={"~": 1}).get_json()["details"][0]["pointer"] == "/~0"
    assert client.post("/_mock/faults", json={"status": 503, "x/~": 1}).get_json()["details"][0]["pointer"] == "/x~1~0"
