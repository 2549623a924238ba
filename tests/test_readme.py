"""The README says what mockbank does: its payloads, examples and files are checked against the code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from fnmatch import fnmatch
from pathlib import Path

import pytest

from conftest import BANK_TODAY
from mockbank import fixtures, signing
from mockbank.testing import Emulator
from raw import post, transaction

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text("utf-8")
PAY_JSON = ROOT / "examples" / "pay.json"
FIRST_PAYMENT = ROOT / "examples" / "first_payment.py"
MOMENT = datetime(2026, 11, 24, 9, 30)


def demo_credentials() -> signing.Credentials:
    return fixtures.load().credentials()[0]


def test_the_payload_of_every_request_type_is_written_out_as_the_signer_makes_it():
    body = json.loads(PAY_JSON.read_text("utf-8"))
    signed = signing.sign(demo_credentials(), body["requestId"], time=MOMENT, transactions=body["transactions"])
    payment_payload = signed.payloads[0][1]
    get_payload = signing.sign(demo_credentials(), "REQ_0003", time=MOMENT).payloads[0][1]
    post_payload = signing.sign(demo_credentials(), "REQ_0004", time=MOMENT).payloads[0][1]
    for payload in (payment_payload, get_payload, post_payload):
        assert f"`{payload}`" in README
    assert get_payload.endswith("#MockERP#REQ_0003#20261124093000")  # payid = the requestId
    assert signed.auth["hash"][0]["hash"] in README  # the `mockbank sign --body examples/pay.json` output


def test_every_endpoint_has_an_example_request_and_answer():
    for heading in ("`POST /payment`", "`GET /payment/<transId>`", "`GET /status`", "`POST /status`",
                    "`GET /report/account` (Simple", "`POST /report/account` (Full)", "`GET /report/balance`",
                    "`POST /payment/cancel`"):
        start = README.index(f"**{heading}")
        example = README[start:README.index("\n**", start + 3)]
        assert example.count("```") >= 4, heading
    simple = README[README.index("**`GET /report/account` (Simple"):README.index("**`POST /report/account`")]
    full = README[README.index("**`POST /report/account` (Full)"):README.index("**`GET /report/balance`")]
    assert '"balance":' in simple and '"amounts":' in full and '"advis":' in full


def test_the_first_payment_example_is_the_shipped_file_and_checks_what_pay_answered(tmp_path):
    code = FIRST_PAYMENT.read_text("utf-8").split("\n\n", 1)[1]
    assert code in README
    with Emulator(clock="2026-11-24T09:00:00", frozen_clock=True) as emulator:  # the example's day, before cut-off
        run = [sys.executable, str(FIRST_PAYMENT)]
        environment = {**os.environ, "MOCKBANK_URL": emulator.url}
        first = subprocess.run(run, capture_output=True, text=True, env=environment, timeout=120)
        assert first.returncode == 0, first.stderr
        assert "<PaymentStatus.SUCCEEDED: 8>" in first.stdout and "Faktura 4711" in first.stdout
        second = subprocess.run(run, capture_output=True, text=True, env=environment, timeout=120)
    assert second.returncode == 1
    assert "status 32" in second.stderr and "DUPL" in second.stderr


def test_no_link_points_outside_the_repository():
    for target in re.findall(r"\]\(([^)]+)\)", README):
        assert not re.match(r"[a-z]+:", target) and (ROOT / target.split("#")[0]).exists(), target
    assert "../" not in README
    hosts = re.findall(r"https?://([\w.-]+)", README)  # the real service and this machine only
    assert set(hosts) <= {"127.0.0.1", "localhost", "api.bankintegration.dk"}, hosts


def test_quick_start_says_serve_keeps_the_terminal_and_how_to_activate_on_every_system():
    quick_start = README[README.index("## Quick start"):README.index("### Demo credentials")]
    assert "keeps this terminal" in quick_start
    for command in ("source .venv/bin/activate", r".venv\Scripts\Activate.ps1", r".venv\Scripts\activate.bat",
                    r".venv\Scripts\pip install .", r".venv\Scripts\mockbank serve", r".venv\Scripts\pytest"):
        assert command in quick_start, command


def test_gitignore_covers_the_sqlite_side_files():
    patterns = [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines() if line.strip()]
    for name in ("mockbank.db", "mockbank.db-wal", "mockbank.db-shm"):
        assert any(fnmatch(name, pattern) for pattern in patterns), name


def test_an_empty_payment_id_list_matches_nothing_and_a_request_id_may_be_reused(emulator):
    assert "`paymentIds: []` (or `paymentId: []`) matches nothing" in README
    assert "A payment's requestId may be used again" in README
    paid = post(emulator, "/payment", {"requestId": "REQ_SAME", "transactions": [transaction("P1", day=BANK_TODAY)]})
    assert paid.json()["answers"][0]["status"] == 1
    for key in ("paymentId", "paymentIds"):
        empty = post(emulator, "/status", {"requestId": "REQ_SAME", key: []})
        assert empty.status_code == 200 and empty.json()["answers"] == []
    reused = post(emulator, "/status", {"requestId": "REQ_SAME"})
    assert reused.status_code == 200 and [a["paymentId"] for a in reused.json()["answers"]] == ["P1"]


@pytest.mark.parametrize("rule", ["fik-check-digit", "cut-off", "target2-day", "express-limit"])
def test_each_danish_rule_is_documented(rule, emulator):
    described = {r["name"]: r for r in emulator.magic()["paymentRules"]}[rule]
    section = README[README.index("### Danish payment rules"):README.index("### Every endpoint")]
    assert f"`{described['code']}`" in section
