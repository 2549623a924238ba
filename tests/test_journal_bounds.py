"""The journal stays bounded: long header values and bodies are cut and marked, answers come in pages."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from conftest import BANK_NOW
from mockbank.testing import Emulator
from raw import post, signed_headers


def test_long_header_values_and_bodies_are_stored_cut_to_the_limit_and_marked(emulator):
    body = {"requestId": "BIG", "note": "x" * 40_000}
    post(emulator, "/status", body, headers={"X-Junk": "é" * 20_000})
    entry = emulator.journal()[-1]
    compact = json.dumps(body, separators=(",", ":"))  # the journal writes a body it cuts compactly, as orjson does
    assert entry["truncated"] == {"/headers/X-Junk": 40_000, "/body": len(compact)}
    assert entry["headers"]["X-Junk"] == "é" * 8192  # 16 KB of UTF-8, whole characters only
    assert isinstance(entry["body"], str) and compact.startswith(entry["body"])
    assert len(entry["body"].encode()) == 16 * 1024
    assert entry["headers"]["Authorization"].startswith("Basic ")  # short values are kept whole
    post(emulator, "/status", {"requestId": "SMALL"})
    assert "truncated" not in emulator.journal()[-1] and emulator.journal()[-1]["body"] == {"requestId": "SMALL"}


def test_the_request_page_says_what_the_journal_cut(emulator):
    body = {"requestId": "BIG", "note": "x" * 40_000}
    post(emulator, "/status", body)
    entry = emulator.journal()[-1]
    page = requests.get(f"{emulator.url}/_mock/ui/requests/{entry['id']}", timeout=10).text
    size = len(json.dumps(body, separators=(",", ":")))
    assert f"<code>/body</code> ({size:,} bytes)" in page
    assert "these lines do not send the request as it was" in page
    post(emulator, "/status", {"requestId": "SMALL"})
    small = requests.get(f"{emulator.url}/_mock/ui/requests/{emulator.journal()[-1]['id']}", timeout=10).text
    assert 'id="truncated"' not in small and "do not send the request" not in small


def test_the_limit_is_configurable():
    with Emulator(clock=BANK_NOW, frozen_clock=True, journal_value_max=100) as small:
        post(small, "/status", {"requestId": "R", "note": "y" * 200})
        entry = small.journal()[-1]
        assert entry["truncated"]["/body"] == len('{"requestId":"R","note":""}') + 200 and len(entry["body"]) == 100
        assert set(entry["truncated"]) == {"/body", "/headers/Authorization"}  # a signed header is over 100 bytes


def test_the_journal_comes_in_pages_of_500_with_a_link_to_the_next(emulator):
    store = emulator.bank.store
    for index in range(1203):
        store.journal_append({"method": "GET", "path": f"/n{index}"})
    first = requests.get(f"{emulator.url}/_mock/requests", timeout=30)
    assert len(first.json()) == 500
    assert first.links["next"]["url"] == f"{emulator.url}/_mock/requests?since={first.json()[-1]['id']}&limit=500"
    second = requests.get(first.links["next"]["url"], timeout=30)
    assert second.json()[0]["id"] > first.json()[-1]["id"]
    small = requests.get(f"{emulator.url}/_mock/requests", params={"limit": 1203}, timeout=30)
    assert len(small.json()) == 1203 and "next" not in small.links
    assert [entry["path"] for entry in emulator.journal()] == [f"/n{index}" for index in range(1203)]
    assert len(emulator.journal(limit=700)) == 700 and len(emulator.journal(since=first.json()[-1]["id"])) == 703


def test_a_body_over_the_limit_only_as_sent_but_not_as_the_journal_writes_it_is_kept_whole(emulator):
    body = {"requestId": "PRETTY", "notes": ["n" * 40 for _ in range(300)]}  # 13 KB compact, 19 KB indented
    headers = signed_headers(emulator.credentials[0], "PRETTY", None, None)
    requests.post(emulator.url + "/status", data=json.dumps(body, indent=4).encode(), headers=headers, timeout=10)
    entry = emulator.journal()[-1]
    assert entry["body"] == body and "truncated" not in entry


def test_numbers_keep_their_journal_values_and_entries_their_key_order(emulator):
    headers = signed_headers(emulator.credentials[0], "NUMBERS", None, None)
    requests.post(emulator.url + "/status", headers=headers, timeout=10,
                  data=b'{"requestId": "NUMBERS", "a": 1.0e2, "b": 1E+2, "c": 0e0, "d": 2.50, "e": -0}')
    entry = emulator.journal()[-1]
    assert entry["body"] == {"requestId": "NUMBERS", "a": 100, "b": 100, "c": 0, "d": 2.5, "e": 0}
    assert all(type(entry["body"][key]) is int for key in "abce")
    assert list(entry)[:8] == ["id", "time", "bankTime", "method", "path", "query", "headers", "body"]
    assert list(entry)[8:11] == ["status", "dropped", "response"]


def test_the_journal_keeps_a_body_and_its_answer_as_they_were_written(emulator):
    text = ('{ "requestId" : "AS-SENT",\n  "note": "\\u00e6bler \\"og\\" p\\u00e6rer", "amount": 100.50, '
            '"n": [1, {"a": null}] }')
    headers = signed_headers(emulator.credentials[0], "AS-SENT", None, None)
    answer = requests.post(emulator.url + "/status", data=text.encode(), headers=headers, timeout=10)
    entry = emulator.journal()[-1]
    assert entry["body"] == {"requestId": "AS-SENT", "note": 'æbler "og" pærer', "amount": 100.5,
                             "n": [1, {"a": None}]}
    assert entry["response"] == answer.json() and entry["status"] == answer.status_code == 200
    assert "truncated" not in entry and entry["method"] == "POST" and entry["verdict"] == {"ok": True}


@pytest.mark.parametrize("number, kept", [
    ("1e400", "1E+400"), ("1" + "0" * 250 + "e99", str(Decimal("1" + "0" * 250 + "e99"))),
    ("9" * 320, int("9" * 320)),
])
def test_a_number_beyond_a_float_stays_strict_json_in_the_journal(emulator, number, kept):
    headers = signed_headers(emulator.credentials[0], "HUGE", None, None)
    requests.post(emulator.url + "/status", data=b'{"requestId": "HUGE", "note": %s, "big": 123456789012345678901}'
                  % number.encode(), headers=headers, timeout=10)
    served = requests.get(emulator.url + "/_mock/requests", timeout=10).text
    json.loads(served, parse_constant=lambda name: pytest.fail(f"{name} in the journal"))
    assert emulator.journal()[-1]["body"] == {"requestId": "HUGE", "note": kept, "big": 123456789012345678901}
