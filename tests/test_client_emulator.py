"""The reference client against the emulator, through the pytest plugin's ``mockbank`` fixture."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from mockbank import signing
from mockbank.client import (BankIntegrationClient, ConnectionFailed, PaymentStatus, ServerError, Timeout,
                             Unauthorized)


def today(mockbank) -> date:
    return date.fromisoformat(mockbank.clock()["today"])


def payment(payment_id: str, day: date, amount="249.95", **extra):
    return {"paymentId": payment_id, "paymentDate": day.isoformat(), "amount": Decimal(amount), "currency": "DKK",
            "account": "80790000820049", "creditor": {"name": "Bennys Pølsebar"}, "text": "Faktura 4711", **extra}


def test_a_payment_goes_to_succeeded_and_shows_on_the_statement(mockbank):
    client = mockbank.client()
    day = today(mockbank)
    sent = client.pay([payment("PAY_README", day)], options={"moveToNextBankDate": True})
    assert sent.answers[0].status in (PaymentStatus.CREATED, PaymentStatus.PENDING)
    final = client.wait_for_final(["PAY_README"], interval=0)
    answer = final.answer_for("PAY_README")
    assert answer.status is PaymentStatus.SUCCEEDED
    assert answer.transacted.amount == Decimal("249.95")
    mockbank.advance_clock(7 * 86400)  # the booking date may be the next bank day
    statement = client.statement(from_=day, to=day + timedelta(days=7))
    booked = next(e for e in statement.entries if e.end_to_end_id == answer.end_to_end_id)
    assert booked.amount == Decimal("-249.95") and booked.text == "Faktura 4711"
    assert all(e.balance == p.balance + e.amount for p, e in zip(statement.entries, statement.entries[1:]))
    assert all(entry["verdict"] == {"ok": True} for entry in mockbank.journal())


@pytest.mark.parametrize("mangle, cause", [
    # a key whose .NET bytes are the real key's RFC 4122 bytes: the client signs in the wrong byte order
    (lambda guid: str(uuid.UUID(bytes_le=guid.bytes)), "key-byte-order"),
    (lambda guid: str(uuid.uuid5(guid, "other")), "signature-mismatch"),
])
def test_a_client_with_a_wrong_key_is_unauthorized_with_the_cause(mockbank, mangle, cause):
    good = mockbank.credentials[0]
    wrong_key = mangle(signing.parse_api_key(good.api_key))
    client = BankIntegrationClient(mockbank.url, signing.Credentials(good.service_provider, wrong_key,
                                                                     good.account, good.integration_code))
    with pytest.raises(Unauthorized) as raised:
        client.status()
    assert raised.value.diagnosis["cause"] == cause
    assert raised.value.http_status == 401


def test_faults_reach_the_client_as_distinct_errors(mockbank):
    client = mockbank.client(timeout=0.5)
    mockbank.inject_fault(path="/status", status=503)
    with pytest.raises(ServerError) as raised:
        client.status()
    assert raised.value.http_status == 503 and raised.value.kind == "server-error"
    mockbank.inject_fault(path="/status", drop=True)
    with pytest.raises(ConnectionFailed):
        client.status()
    mockbank.inject_fault(path="/status", delayMs=1500)
    with pytest.raises(Timeout):
        client.status()


def test_every_operation_of_the_client_round_trips(mockbank):
    client = mockbank.client()
    day = today(mockbank)
    sent = client.pay([payment("A", day), payment("B", day)], options={"moveToNextBankDate": True})
    trans_id = sent.answers[0].trans_id
    assert [a.payment_id for a in client.payment(trans_id).answers] == ["A", "B"]
    assert {a.payment_id for a in client.status(["A", "B"], method="GET").answers} == {"A", "B"}
    cancelled = client.cancel(["A"])
    assert cancelled.answer_for("A").status in (PaymentStatus.CANCELLING, PaymentStatus.REJECTED)
    balance = client.balance(type=3, from_=day - timedelta(days=7), to=day)
    assert {entry.type for entry in balance.entries} == {1, 2}
    full = client.statement(type="Full", from_=day - timedelta(days=30), to=day, method="POST")
    assert full.entries and all(isinstance(entry.amount, Decimal) for entry in full.entries)


def test_the_fixture_gives_each_test_a_fresh_bank(mockbank):
    assert mockbank.payments() == [] and mockbank.journal() == []
    assert len(mockbank.credentials) == 4 and mockbank.url.startswith("http://127.0.0.1:")
