"""Status lines carry the reason phrases IIS/.NET writes, which clients such as Odoo 1.x turn into states."""

from __future__ import annotations

import requests

from mockbank.web import iis_status
from raw import get, post


def test_werkzeug_upper_case_phrases_become_iis_phrases_and_our_own_stay():
    assert iis_status("503 SERVICE UNAVAILABLE") == "503 Service Unavailable"
    assert iis_status("400 BAD REQUEST") == "400 Bad Request"
    assert iis_status("204") == "204 No Content"
    assert iis_status("401 Invalid Signature") == "401 Invalid Signature"


def test_every_answer_has_the_iis_reason_phrase(emulator):
    assert get(emulator, "/status", {"requestId": "R1"}).reason == "OK"
    bad = requests.post(emulator.url + "/status", data=b"{", headers={"Content-Type": "application/json"},
                        timeout=10)
    assert bad.status_code == 400 and bad.reason == "Bad Request"
    unauthorized = requests.get(emulator.url + "/status", params={"requestId": "R"},
                                headers={"Authorization": "Basic e30="}, timeout=10)
    assert unauthorized.reason == "Invalid Signature"
    assert requests.get(emulator.url + "/nowhere", timeout=10).reason == "Not Found"
    created = requests.post(emulator.url + "/_mock/sandboxes", timeout=10)
    assert created.reason == "Created"
    deleted = requests.delete(f"{emulator.url}/_mock/sandboxes/{created.json()['id']}", timeout=10)
    assert deleted.status_code == 204 and deleted.reason == "No Content"
    emulator.inject_fault(path="/status", status=503)
    unavailable = post(emulator, "/status", {"requestId": "R2"})
    assert unavailable.status_code == 503 and unavailable.reason == "Service Unavailable"
