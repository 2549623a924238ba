"""A refused signature stays cheap: a bounded number of HMACs per diagnosis, none for a repeated request;
the local explain still tries every known pair of mistakes."""

from __future__ import annotations

import base64
import dataclasses
import os
from datetime import datetime, timedelta, timezone

import pytest

from mockbank import diagnosis, fixtures, signing, verification
from wrong_signers import MISTAKES, signed_header

NOW = datetime(2026, 11, 24, 10, 0, 0, tzinfo=timezone.utc)
CREDENTIALS = fixtures.load().credentials()
LOOKUP = verification.StaticCredentials(tuple(CREDENTIALS))
TRANSACTIONS = [{"paymentId": "PAY_01", "paymentDate": "2026-11-24", "amount": 100.5, "currency": "DKK",
                 "account": "80790000820049"}]
#: HMACs one diagnosis may compute (about 1,270 before refusals were made cheap; 770 with issue 10's causes:
#: payid-empty, amount-rounded, the docs' prose orders).
BUDGET = 800


@pytest.fixture
def macs(monkeypatch):
    calls = []
    real = diagnosis.mac_with

    def counted(key):
        mac_under_key = real(key)

        def counted_mac(text):
            calls.append(text)
            return mac_under_key(text)

        return counted_mac

    monkeypatch.setattr(diagnosis, "mac_with", counted)
    return calls


def junk_payment(request_id: str) -> signing.AuthObject:
    auth = signing.parse_authorization(signing.sign(CREDENTIALS[0], request_id, time=NOW,
                                                    transactions=TRANSACTIONS).header)
    junk = base64.b64encode(os.urandom(32)).decode()
    return dataclasses.replace(auth, hashes=tuple(dataclasses.replace(h, hash=junk) for h in auth.hashes))


def verify(auth: signing.AuthObject, **options) -> verification.Verdict:
    return verification.verify(auth, method="POST", path="/payment",
                               body={"requestId": auth.request_id, "transactions": TRANSACTIONS},
                               credentials=LOOKUP, clock_now=NOW, max_clock_skew=900, **options)


def test_a_signature_nothing_explains_costs_a_bounded_number_of_hmacs(macs):
    auth = junk_payment("FLOOD_1")
    assert verify(auth).cause == "signature-mismatch"
    assert 300 < len(macs) <= BUDGET
    macs.clear()
    assert verify(auth).cause == "signature-mismatch"  # the same request again: remembered
    assert macs == []
    assert verify(junk_payment("FLOOD_2")).cause == "signature-mismatch" and len(macs) <= BUDGET


def test_explain_still_finds_a_far_time_zone_together_with_another_mistake(macs):
    knobs = dataclasses.replace(MISTAKES["key-byte-order"], payload_now_shift=timedelta(hours=5))
    credentials = CREDENTIALS[0]
    header = signed_header(knobs, service_provider=credentials.service_provider, api_key=credentials.api_key,
                           account=credentials.account, integration_code=credentials.integration_code,
                           request_id="R5", time=NOW, transactions=TRANSACTIONS)
    thorough = verify(signing.parse_authorization(header), thorough_diagnosis=True)
    assert thorough.mistakes == ("key-byte-order", "time-mismatch")
    assert "5 h after" in thorough.message
