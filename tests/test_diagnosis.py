"""Each known client mistake, made by a deliberately wrong signer, is named by its cause code."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from mockbank import signing, verification
from wrong_signers import (MISTAKES, NON_PAYMENT_ONLY, PAYMENT_ONLY, VARIANTS, correct, replace, signed_header,
                           with_mistake)

ERP = {"service_provider": "TestERP", "api_key": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
       "account": "12345678901234", "integration_code": "Hemmelig-æøå"}
MOMENT = datetime(2025, 4, 14, 8, 30, 5)
TRANSACTIONS = [
    {"paymentId": "PAY_01", "paymentDate": "2025-04-15", "amount": "1234567.80", "currency": "DKK",
     "account": "80790000820049"},
    {"paymentId": "PAY_02", "paymentDate": "2025-04-16", "amount": "217.50", "currency": "DKK",
     "account": "+71<000000000012345+12345678<"},
]
LOOKUP = verification.StaticCredentials((signing.Credentials(ERP["service_provider"], ERP["api_key"], ERP["account"],
                                                             ERP["integration_code"]),))


def verdict_for(knobs, *, payment: bool, **options):
    transactions = TRANSACTIONS if payment else None
    header = signed_header(knobs, **ERP, request_id="REQ_42", time=MOMENT, transactions=transactions)
    auth = signing.parse_authorization(header)
    if payment:
        return verification.verify(auth, method="POST", path="/payment", credentials=LOOKUP, **options,
                                   body={"requestId": "REQ_42", "transactions": TRANSACTIONS})
    return verification.verify(auth, method="GET", path="/status", query={"requestId": "REQ_42"}, credentials=LOOKUP,
                               **options)


@pytest.mark.parametrize("payment", [False, True], ids=["get", "payment"])
def test_the_correct_signer_passes(payment):
    assert verdict_for(correct(), payment=payment).ok


CASES = [(name, payment) for name in [*MISTAKES, *VARIANTS] for payment in (False, True)
         if name != "clock-skew" and name.split("/")[0] not in (NON_PAYMENT_ONLY if payment else PAYMENT_ONLY)]


@pytest.mark.parametrize("name, payment", CASES, ids=[f"{n}-{'payment' if p else 'get'}" for n, p in CASES])
def test_each_mistake_is_diagnosed_with_its_cause(name, payment):
    verdict = verdict_for(with_mistake(name), payment=payment)
    cause = name.split("/")[0]
    assert not verdict.ok
    assert verdict.cause == cause, verdict.message
    assert verdict.hint
    assert verdict.hash_id == ("PAY_01" if payment else "REQ_42")
    assert verdict.expected_payload.count("#") == 9
    serialized = json.dumps(verdict.to_json(), ensure_ascii=False)
    assert ERP["integration_code"] not in serialized and ERP["api_key"] not in serialized


def test_local_time_in_header_and_payload_is_clock_skew_with_a_hint():
    bank_now = MOMENT.replace(tzinfo=timezone.utc)
    verdict = verdict_for(MISTAKES["clock-skew"], payment=False, clock_now=bank_now, max_clock_skew=900)
    assert verdict.cause == "clock-skew"
    assert "local time instead of UTC" in verdict.hint


def test_two_mistakes_at_once_are_both_named():
    knobs = with_mistake("key-byte-order").__class__(key=MISTAKES["key-byte-order"].key,
                                                     token=MISTAKES["token-case"].token)
    verdict = verdict_for(knobs, payment=True)
    assert verdict.cause == "key-byte-order"
    assert verdict.mistakes == ("key-byte-order", "token-case")
    assert verdict.to_json()["mistakes"] == ["key-byte-order", "token-case"]


def test_a_mistake_nobody_makes_is_a_signature_mismatch_with_the_expected_payload():
    knobs = correct().__class__(token=lambda code: "0" * 64)
    verdict = verdict_for(knobs, payment=False)
    assert verdict.cause == "signature-mismatch"
    token = signing.integration_token(ERP["integration_code"])
    assert verdict.expected_payload == f"{token}#12345678901234##REQ_42####TestERP#REQ_42#20250414083005"


def test_a_hash_that_is_not_32_bytes_is_said_to_be_so():
    header = signed_header(correct(), **ERP, request_id="REQ_42", time=MOMENT)
    auth = signing.parse_authorization(header)
    broken = signing.AuthObject(auth.service_provider, auth.account, auth.time, auth.request_id,
                                (signing.HashEntry("REQ_42", "c2hvcnQ="),))
    verdict = verification.verify(broken, method="GET", path="/status", query={"requestId": "REQ_42"},
                                  credentials=LOOKUP)
    assert verdict.cause == "signature-mismatch"
    assert "32-byte" in verdict.message


SPACED = {**ERP, "service_provider": "Ærø Data"}
SPACED_LOOKUP = verification.StaticCredentials((signing.Credentials("Ærø Data", ERP["api_key"], ERP["account"],
                                                                    ERP["integration_code"]),))


def spaced_verdict(request_id="REQ_42", transactions=None, signer=None):
    header = signed_header(signer or replace(correct(), strip_spaces=True), **SPACED, request_id=request_id,
                           time=MOMENT, transactions=transactions)
    auth = signing.parse_authorization(header)
    if transactions:
        return verification.verify(auth, method="POST", path="/payment", credentials=SPACED_LOOKUP,
                                   body={"requestId": request_id, "transactions": transactions})
    return verification.verify(auth, method="GET", path="/status", query={"requestId": request_id},
                               credentials=SPACED_LOOKUP)


def test_spaces_stripped_from_the_erp_name_name_the_known_erp():
    assert spaced_verdict(signer=correct()).ok
    verdict = spaced_verdict()
    assert verdict.cause == "values-spaces-stripped"
    assert "'ÆrøData'" in verdict.message and "'Ærø Data'" in verdict.message
    assert "removed the spaces" in verdict.message and "replace" in verdict.hint


def test_spaces_stripped_from_a_request_id_or_payment_id_are_named():
    lookup_erp = replace(correct(), strip_spaces=True)
    header = signed_header(lookup_erp, **ERP, request_id="REQ 42", time=MOMENT)
    verdict = verification.verify(signing.parse_authorization(header), method="GET", path="/status",
                                  query={"requestId": "REQ 42"}, credentials=LOOKUP)
    assert verdict.cause == "values-spaces-stripped" and "'REQ42'" in verdict.message
    spaced_payment = [{**TRANSACTIONS[1], "paymentId": "PAY 02"}]
    header = signed_header(lookup_erp, **ERP, request_id="REQ_42", time=MOMENT, transactions=spaced_payment)
    verdict = verification.verify(signing.parse_authorization(header), method="POST", path="/payment",
                                  body={"requestId": "REQ_42", "transactions": spaced_payment}, credentials=LOOKUP)
    assert verdict.cause == "values-spaces-stripped" and "'PAY 02'" in verdict.message


def test_a_decimal_comma_under_1000_is_called_a_decimal_comma():
    small = [{**TRANSACTIONS[0], "amount": "0.01"}]
    knobs = with_mistake("amount-format")
    header = signed_header(knobs, **ERP, request_id="REQ_42", time=MOMENT, transactions=small)
    verdict = verification.verify(signing.parse_authorization(header), method="POST", path="/payment",
                                  body={"requestId": "REQ_42", "transactions": small}, credentials=LOOKUP)
    assert verdict.cause == "amount-format"
    assert "with a decimal comma ('0,01' instead of '0.01')" in verdict.message
    assert "blanks" not in verdict.message and "Danish notation" not in verdict.message


@pytest.mark.parametrize("amount, signed, how", [("1234.5", "1234", "cut"), ("1234.5", "1235", "rounded"),
                                                 ("1234.50", "1234.00", "cut")])
def test_an_amount_signed_in_whole_units_says_cut_or_rounded(amount, signed, how):
    one = [{**TRANSACTIONS[0], "amount": amount}]
    knobs = replace(correct(), amount=lambda _: signed)
    header = signed_header(knobs, **ERP, request_id="REQ_42", time=MOMENT, transactions=one)
    verdict = verification.verify(signing.parse_authorization(header), method="POST", path="/payment",
                                  body={"requestId": "REQ_42", "transactions": one}, credentials=LOOKUP)
    assert verdict.cause == "amount-rounded"
    assert f"{how} to whole units ({signed!r} instead of '1234.50')" in verdict.message


def test_over_http_each_new_cause_answers_401_with_a_schema_valid_diagnosis(emulator):
    import requests

    from mockbank import schemas

    made = requests.post(f"{emulator.url}/_mock/sandboxes", timeout=10, json={"fixtures": {
        "erps": [{"serviceProvider": "Ærø Data", "apiKey": ERP["api_key"]}],
        "accounts": [{"account": ERP["account"], "integrationCode": ERP["integration_code"],
                      "serviceProvider": "Ærø Data", "currency": "DKK", "historyDays": 0}]}}).json()
    cases = [(replace(correct(), strip_spaces=True), None, "values-spaces-stripped"),
             (with_mistake("amount-rounded"), TRANSACTIONS[:1], "amount-rounded"),
             (with_mistake("payid-empty"), None, "payid-empty"),
             (with_mistake("field-order/prose-credacc-last"), TRANSACTIONS[:1], "field-order")]
    try:
        for knobs, transactions, cause in cases:
            header = signed_header(knobs, **SPACED, request_id="REQ_42", time=datetime.now(timezone.utc)
                                   .replace(tzinfo=None), transactions=transactions)
            path = "/payment" if transactions else "/status"
            body = {"requestId": "REQ_42", **({"transactions": transactions} if transactions else {})}
            answer = requests.post(made["baseUrl"] + path, json=body, headers={"Authorization": header}, timeout=10)
            assert (answer.status_code, answer.reason) == (401, "Invalid Signature")
            assert answer.json()["diagnosis"]["cause"] == cause, answer.text
            assert schemas.violations("error", answer.json()) == []
    finally:
        requests.delete(f"{emulator.url}/_mock/sandboxes/{made['id']}", timeout=10)
