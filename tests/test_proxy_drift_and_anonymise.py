"""The proxy's building blocks on their own: drift kinds against the schemas, and the anonymiser's promises."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from mockbank.proxy.anonymise import Anonymiser
from mockbank.proxy.drift import DriftTracker, differences, report_text
from mockbank.proxy.upstream import InvalidUpstream, check_upstream_url

STATUS_ANSWER = {"account": "52470004471238", "requestId": "REQ_01", "time": "2015-05-21T12:45:23+02:00",
                 "answers": [{"transId": "254778516", "paymentId": "PAY_01",
                              "endToEndId": "72F0A84C17424C7EB2C71E88A4551395", "status": 2}]}


def found(body, method="GET", path="/status", status=200, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return differences(method, path, status, raw, content_type, Anonymiser())


def test_the_documented_status_answer_has_no_drift():
    assert found(STATUS_ANSWER) == ("GET /status", [])


@pytest.mark.parametrize("change, pointer, kind", [
    (lambda a: a.pop("requestId"), "/requestId", "missing-field"),
    (lambda a: a["answers"][0].update(status="2"), "/answers/*/status", "type"),
    (lambda a: a.update(account="DK5000400440116243"), "/account", "format"),
    (lambda a: a["answers"][0].update(newThing=[1]), "/answers/*/newThing", "unknown-field"),
])
def test_each_kind_of_difference_is_named_with_its_field(change, pointer, kind):
    answer = json.loads(json.dumps(STATUS_ANSWER))
    change(answer)
    label, rows = found(answer)
    assert label == "GET /status"
    assert [(row.pointer, row.kind) for row in rows] == [(pointer, kind)]


def test_a_missing_fields_example_lists_what_was_there_instead():
    answer = {key: value for key, value in STATUS_ANSWER.items() if key != "time"}
    (row,) = found(answer)[1]
    assert row.example == {"presentFields": ["account", "answers", "requestId"]}


def test_statuses_bodies_and_routes_mockbank_does_not_know_are_drift():
    assert [r.kind for r in found({}, status=418)[1]] == ["unexpected-status"]
    assert [r.kind for r in found(b"<html>busy</html>", content_type="text/html")[1]] == ["not-json"]
    label, rows = found({"x": 1}, path="/report/entirely-new")
    assert label == "GET /report/entirely-new" and rows[0].kind == "unknown-endpoint"
    assert found({"error": "x"}, path="/nowhere", status=404)[1] == []  # a wrong path, not drift
    assert found(b"", method="GET", path="/payment/123", status=404)[1] == []  # documented: 404 for an unknown transId
    assert found(STATUS_ANSWER, path="/payment/254778516") == ("GET /payment/{transId}", [])


def test_the_tracker_counts_per_endpoint_pointer_and_kind_and_prints_them():
    tracker = DriftTracker(Anonymiser())
    extended = {**STATUS_ANSWER, "futureField": "Bennys Pølsebar 52470004471238"}
    for _ in range(3):
        tracker.observe("GET", "/status", 200, json.dumps(extended).encode(), "application/json")
    tracker.observe("POST", "/status", 200, json.dumps(STATUS_ANSWER).encode(), "application/json")
    report = tracker.report()
    assert report["answersChecked"] == 4
    (row,) = report["differences"]
    assert (row["endpoint"], row["pointer"], row["kind"], row["count"]) == ("GET /status", "/futureField",
                                                                           "unknown-field", 3)
    assert "Bennys" not in row["example"] and "52470004471238" not in row["example"]
    assert len(row["example"]) == len(extended["futureField"])
    text = report_text({"upstream": "https://bank", **report})
    assert "4 answers checked, 1 difference(s)" in text and "/futureField" in text and "3x" in text


# --------------------------------------------------------------------------- anonymiser


def test_the_same_real_value_always_becomes_the_same_fake_one_and_keeps_its_shape():
    hide = Anonymiser()
    assert hide.text("52470004471238") == hide.text("52470004471238") != "52470004471238"
    assert hide.text("52470004471238").isdigit() and len(hide.text("52470004471238")) == 14
    fik = hide.text("+71<000000012345678+87654321<")
    assert fik[:4] == "+71<"[:1] + fik[1:4] and fik.count("<") == 2 and fik.count("+") == 2
    name = hide.text("Bennys Pølsebar")
    assert name != "Bennys Pølsebar" and len(name) == 15 and name[0].isupper() and name[6] == " "
    assert Anonymiser().text("52470004471238") != hide.text("52470004471238")  # a new run, a new key


def test_amounts_keep_sign_digits_decimals_and_type():
    hide = Anonymiser()
    for amount in (Decimal("154.00"), Decimal("-14725.40"), 217, 0.5):
        fake = hide.amount(amount)
        assert type(fake) is type(amount) and fake != amount
        assert (fake < 0) == (amount < 0)
        assert len(str(abs(int(fake)))) == len(str(abs(int(amount))))
        assert hide.amount(amount) == fake
    assert hide.amount(Decimal("154.00")).as_tuple().exponent == -2
    assert hide.amount(0) == 0


@pytest.mark.parametrize("key, amount", [(b"same-4", 3), (b"same-19", 0.5), (b"same-30", Decimal("-9")),
                                         (b"same-3210", 217), (b"zero-31", Decimal("-9")), (b"zero-87", -0.5),
                                         (b"zero-397", Decimal("0.01"))])
def test_an_amount_drawn_as_itself_or_as_zero_is_drawn_again(key, amount):
    fake = Anonymiser(key).amount(amount)  # each key draws the amount's own digits, or zeros, first
    assert fake not in (0, amount) and type(fake) is type(amount) and (fake < 0) == (amount < 0)
    assert len(str(abs(int(fake)))) == len(str(abs(int(amount)))) and Anonymiser(key).amount(amount) == fake


def test_json_keeps_codes_dates_and_structure_and_replaces_the_rest():
    hide = Anonymiser()
    body = {"account": "52470004471238", "currency": "DKK", "created": "2015-05-21T12:45:23+02:00",
            "owner": {"name": "Bennys Pølsebar", "id": "12457889", "country": "DK"},
            "entries": [{"amount": -154.0, "balance": Decimal("25263.00"), "status": 8, "sequence": 1045,
                         "date": {"booking": "2005-10-17T00:00:00"}, "text": "Faktura 114", "flag": True}],
            "message": "account '52470004471238' is not linked"}
    out = hide.json(body)
    assert out["currency"] == "DKK" and out["created"] == body["created"] and out["owner"]["country"] == "DK"
    assert out["entries"][0]["status"] == 8 and out["entries"][0]["sequence"] == 1045
    assert out["entries"][0]["date"] == {"booking": "2005-10-17T00:00:00"} and out["entries"][0]["flag"] is True
    assert out["owner"]["id"] != "12457889" and out["entries"][0]["text"] != "Faktura 114"
    assert out["entries"][0]["amount"] != -154.0 and out["entries"][0]["balance"] != Decimal("25263.00")
    assert out["message"] == f"account '{out['account']}' is not linked"  # words kept, the number replaced alike
    assert hide.headers({"Authorization": "Basic x", "Accept": "*/*", "cookie": "a"}) == {"Accept": "*/*"}


@pytest.mark.parametrize("url, ok", [
    ("https://api.bankintegration.dk", True), ("http://127.0.0.1:8080/sandboxes/ab", True),
    ("http://localhost:1", True), ("http://[::1]:8080", True), ("http://api.bankintegration.dk", False),
    ("https://bank?x=1", False), ("api.bankintegration.dk", False),
])
def test_upstream_urls(url, ok):
    if ok:
        assert check_upstream_url(url + "/") == url
    else:
        with pytest.raises(InvalidUpstream):
            check_upstream_url(url)
