"""The reference adapter's write-back: what the client parsed, reported back as the API's JSON, losing nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from mockbank import schemas
from mockbank.adapters.writeback import result_json
from mockbank.client import wire

from documented_responses import (BALANCE_RESPONSE, CANCEL_RESPONSE, PAYMENT_RESPONSE, STATEMENT_FULL,
                                  STATEMENT_SIMPLE, STATUS_RESPONSE, doc)

DOCUMENTED = [
    (PAYMENT_RESPONSE, wire.payments_result, "payment-response"),
    (STATUS_RESPONSE, wire.payments_result, "status-response"),
    (CANCEL_RESPONSE, wire.payments_result, "status-response"),
    (STATEMENT_SIMPLE, wire.statement, "statement-response"),  # unknown keys (transactionCodes, creditor)
    (STATEMENT_FULL, wire.statement, "statement-response"),    # the Full shape: amounts, advis
    (BALANCE_RESPONSE, wire.balance, "balance-response"),
]


@pytest.mark.parametrize(("text", "parse", "schema"), DOCUMENTED, ids=[schema for *_, schema in DOCUMENTED])
def test_a_documented_answer_is_written_back_as_received(text, parse, schema):
    written = result_json(parse(doc(text), "REQ_01"))
    assert written == doc(text)
    assert schemas.violations(schema, written) == []


def test_an_unknown_status_is_written_back_as_its_number():
    document = doc(CANCEL_RESPONSE.replace('"status": 256', '"status": 1024'))
    assert result_json(wire.payments_result(document, "REQ_01"))["answers"][0]["status"] == 1024


def test_null_and_absent_fields_stay_as_received():
    document = doc(STATUS_RESPONSE)
    document["answers"][0].update(errors=None, warnings=[])
    del document["answers"][1]["endToEndId"]
    assert result_json(wire.payments_result(document, "REQ_01")) == document


def test_a_changed_value_is_written_in_iso_8601_not_in_its_old_spelling():
    parsed = wire.payments_result(doc(PAYMENT_RESPONSE), "REQ_01")
    later = datetime(2015, 4, 14, 9, 31, 2, 500000, tzinfo=timezone(timedelta(hours=2)))
    assert result_json(replace(parsed, time=later))["time"] == "2015-04-14T09:31:02.500000+02:00"
    assert result_json(parsed)["time"] == "2015-04-14T11:30:01+02:00"


def test_only_results_of_the_client_are_written_back():
    with pytest.raises(TypeError, match="not a result of the client"):
        result_json({"answers": []})
