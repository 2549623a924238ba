"""The dashboard over HTTP (no browser): pages per bank and sandbox, the root redirect, filters and pages of
the journal, the copy lines, the token asked once per browser session, failing a payment with a reason."""

from __future__ import annotations

import html
import io
import json
import re
import shlex
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from mockbank import accesslog, cli
from mockbank.dashboard import access, journal
from mockbank.testing import Emulator
from wrong_signers import signed_header, with_mistake

from conftest import BANK_NOW

PAGES = ("", "payments", "accounts", "clock", "explain", "magic")
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _wrong_payment(emulator, payment_id="PAY_W", mistake="key-byte-order"):
    creds = emulator.credentials[0]
    transaction = {"paymentId": payment_id, "paymentDate": BANK_NOW[:10], "amount": 10, "currency": "DKK",
                   "account": "30000000001234", "creditor": {"name": "X"}}
    header = signed_header(with_mistake(mistake), service_provider=creds.service_provider, api_key=creds.api_key,
                           account=creds.account, integration_code=creds.integration_code,
                           request_id=f"R_{payment_id}", time=datetime.fromisoformat(BANK_NOW),
                           transactions=[transaction])
    return requests.post(f"{emulator.url}/payment", json={"requestId": f"R_{payment_id}", "transactions": [transaction]},
                         headers={"Authorization": header}, timeout=10)


def test_a_browser_at_the_root_is_sent_to_the_dashboard_and_an_api_client_gets_json(emulator):
    answer = requests.get(f"{emulator.url}/", headers=BROWSER, allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/_mock/ui/")
    plain = requests.get(f"{emulator.url}/", timeout=10)
    assert plain.status_code == 404 and plain.json()["error"] == "not-found"


def test_every_page_renders_for_the_root_bank_and_for_a_sandbox(emulator):
    with emulator.sandbox() as sandbox:
        redirected = requests.get(f"{sandbox.url}/", headers=BROWSER, allow_redirects=False, timeout=10)
        assert redirected.headers["Location"].endswith(f"/sandboxes/{sandbox.sandbox_id}/_mock/ui/")
        for bank in (emulator, sandbox):
            for page in PAGES:
                answer = requests.get(f"{bank.url}/_mock/ui/{page}", timeout=10)
                assert answer.status_code == 200, (bank.url, page, answer.text[:300])
                assert answer.headers["Content-Type"].startswith("text/html")
                assert "http" not in answer.text.split("<body>")[0].replace("http-equiv", "")  # nothing from the internet
        sandbox_page = requests.get(f"{sandbox.url}/_mock/ui/clock", timeout=10).text
        assert f"/sandboxes/{sandbox.sandbox_id}/_mock/ui/static/dashboard.css" in sandbox_page
        assert f'content="/sandboxes/{sandbox.sandbox_id}/_mock"' in sandbox_page


@pytest.mark.parametrize("path, status", [
    ("requests/99999999999999999999", 404), ("requests/" + "9" * 5000, 404), ("?before=99999999999999999999", 200),
    ("?before=-99999999999999999999", 200), ("requests/rows?after=99999999999999999999", 200),
    ("explain?request=99999999999999999999", 404),
])
def test_journal_ids_beyond_the_databases_integers_find_nothing(emulator, path, status):
    _wrong_payment(emulator)
    answer = requests.get(f"{emulator.url}/_mock/ui/{path}", timeout=10)
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("text/html" if status == 200 else "application/json")


def test_the_requests_page_shows_a_refused_signature_and_filters_it(emulator):
    assert _wrong_payment(emulator).status_code == 401
    emulator.client().balance()
    page = requests.get(f"{emulator.url}/_mock/ui/", timeout=10).text
    assert "key-byte-order" in page and "/report/balance" in page
    only_refused = requests.get(f"{emulator.url}/_mock/ui/", params={"status": "4xx"}, timeout=10).text
    assert "key-byte-order" in only_refused and "/report/balance" not in only_refused
    by_cause = requests.get(f"{emulator.url}/_mock/ui/", params={"cause": "token-case"}, timeout=10).text
    assert "No requests match this filter" in by_cause
    refused_id = emulator.journal()[0]["id"]
    newer = requests.get(f"{emulator.url}/_mock/ui/requests/rows", params={"after": refused_id}, timeout=10).text
    assert "/report/balance" in newer and "/payment<" not in newer


def test_the_explain_command_of_a_journaled_request_reproduces_its_cause(emulator, capsys):
    _wrong_payment(emulator, mistake="token-case")
    entry = emulator.journal()[-1]
    command = journal.explain_command(entry)
    echoed, explain = command.split(" | ")
    body = shlex.split(echoed)[1]
    args = shlex.split(explain)[1:]
    import sys
    sys.stdin = io.StringIO(body)
    try:
        assert cli.main(args) == 1
    finally:
        sys.stdin = sys.__stdin__
    assert "cause token-case" in capsys.readouterr().out
    curl = shlex.split(journal.curl_line(entry, emulator.url))
    assert curl[:5] == ["curl", "-i", "-X", "POST", f"{emulator.url}/payment"]
    assert json.loads(curl[curl.index("--data-raw") + 1])["requestId"] == "R_PAY_W"


def _page_explain_command(bank, capsys) -> tuple[int, str]:
    """Run the explain command the newest request's page shows; its exit status and output."""
    entry_id = bank.journal()[-1]["id"]
    page = requests.get(f"{bank.url}/_mock/ui/requests/{entry_id}", timeout=10).text
    command = html.unescape(re.search(r'<textarea id="explain-cmd"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    echoed, explain = command.split(" | ")  # echo BODY | mockbank explain ... --body -
    capsys.readouterr()
    sys.stdin = io.StringIO(shlex.split(echoed)[1])
    try:
        return cli.main(shlex.split(explain)[1:]), capsys.readouterr().out
    finally:
        sys.stdin = sys.__stdin__


def test_the_explain_command_of_a_sandbox_request_verifies_with_the_saved_sandbox_answer(emulator, capsys, tmp_path,
                                                                                         monkeypatch):
    answer = requests.post(f"{emulator.url}/_mock/sandboxes", timeout=10)
    (tmp_path / journal.SANDBOX_ANSWER_FILE).write_text(answer.text, "utf-8")  # saved as it came
    monkeypatch.chdir(tmp_path)
    created = answer.json()
    sandbox = Emulator.connect(created["baseUrl"], credentials=created["credentials"])
    try:
        assert sandbox.client().status().request_id  # answered 200: its signature was good
        entry_id = sandbox.journal()[-1]["id"]
        page = requests.get(f"{sandbox.url}/_mock/ui/requests/{entry_id}", timeout=10).text
        assert created["credentials"][0]["apiKey"] not in page  # no key on the page
        status, out = _page_explain_command(sandbox, capsys)
        assert status == 0, out
    finally:
        requests.delete(f"{emulator.url}/_mock/sandboxes/{created['id']}", timeout=10)


def test_the_explain_command_of_a_fixture_file_server_names_the_file(tmp_path, capsys):
    fixture = tmp_path / "bank.json"
    fixture.write_text(json.dumps(json.loads((Path(__file__).parents[1] / "fixtures" / "demo.json").read_text("utf-8"))
                                  | {"x-copy": True}), "utf-8")
    with Emulator(fixture=str(fixture), clock=BANK_NOW, frozen_clock=True) as bank:
        bank.client().status()
        status, out = _page_explain_command(bank, capsys)
        assert status == 0, out
        entry_id = bank.journal()[-1]["id"]
        page = requests.get(f"{bank.url}/_mock/ui/requests/{entry_id}", timeout=10).text
        assert f"--fixtures {fixture}" in html.unescape(page)


def test_the_explain_page_verifies_against_this_bank(emulator):
    _wrong_payment(emulator, mistake="key-byte-order")
    entry = emulator.journal()[-1]
    form = {"header": journal.explain_header(entry), "body": journal.body_text(entry)}
    page = requests.post(f"{emulator.url}/_mock/ui/explain", data=form, timeout=10).text
    assert "cause <span class=\"cause\">key-byte-order</span>" in page
    bad = requests.post(f"{emulator.url}/_mock/ui/explain", data={**form, "body": "{nope"}, timeout=10).text
    assert "body: it is not JSON" in bad


class _Store:
    def __init__(self, entries):
        self.entries = entries

    def journal_newest(self, before, limit):
        older = [e for e in reversed(self.entries) if before is None or e["id"] < before]
        return older[:limit]


def test_journal_pages_are_newest_first_and_filters_read_past_one_chunk():
    entries = [{"id": n, "path": "/status", "status": 401 if n % 700 == 0 else 200,
                "verdict": {"ok": n % 700 != 0, **({"cause": "clock-skew"} if n % 700 == 0 else {})}}
               for n in range(1, 10_001)]
    store = _Store(entries)
    first, older = journal.page(store, journal.JournalFilter(), None)
    assert [e["id"] for e in first] == list(range(10_000, 9_950, -1)) and older == 9_951
    second, _ = journal.page(store, journal.JournalFilter(), older)
    assert second[0]["id"] == 9_950
    refused, more = journal.page(store, journal.JournalFilter(status="401"), None)
    assert [e["id"] for e in refused] == list(range(9_800, 0, -700)) and more is None
    assert journal.page(store, journal.JournalFilter(cause="clock-skew"), None)[0] == refused


def test_a_payment_can_be_failed_with_a_reason_code(emulator):
    emulator.client().pay([{"paymentId": "PAY_F", "paymentDate": BANK_NOW[:10], "amount": Decimal("5.00"),
                            "currency": "DKK", "account": "30000000001234", "creditor": {"name": "X"}}])
    moved = requests.post(f"{emulator.url}/_mock/progress", timeout=10, json={
        "paymentId": "PAY_F", "status": 32, "errors": [{"code": "AC04", "text": "closed"}]}).json()["payments"][0]
    assert moved["status"] == 32 and moved["errors"] == [{"code": "AC04", "text": "closed"}]
    refused = requests.post(f"{emulator.url}/_mock/progress", timeout=10,
                            json={"paymentId": "PAY_F", "status": 8, "errors": [{"code": "X", "text": ""}]})
    assert refused.status_code == 400 and refused.json()["details"][0]["pointer"] == "/errors"
    page = requests.get(f"{emulator.url}/_mock/ui/payments/{moved['transId']}", timeout=10).text
    assert "AC04" in page and "Failed (32)" in page


def test_each_payment_of_one_request_has_its_own_page(emulator):
    sent = [{"paymentId": payment_id, "paymentDate": BANK_NOW[:10], "amount": Decimal(amount), "currency": "DKK",
             "account": "30000000001234", "creditor": {"name": "X"}} for payment_id, amount in (("P1", "1"), ("P2", "2"))]
    emulator.client().pay(sent)
    listing = requests.get(f"{emulator.url}/_mock/ui/payments", timeout=10).text
    links = dict((name, href) for href, name in re.findall(r'<a href="([^"]*/payments/[^"]*)">(P\d)</a>', listing))
    assert set(links) == {"P1", "P2"} and links["P1"] != links["P2"]
    for name in ("P1", "P2"):
        page = requests.get(f"{emulator.url}{html.unescape(links[name])}", timeout=10).text
        assert f"<h1>Payment {name} " in page
        assert f'data-payment-id="{name}"' in page  # the buttons move this payment, not the request's first
        other = "P2" if name == "P1" else "P1"
        assert f">{other}</a>, sent in the same request" in page
    trans_id = links["P1"].split("/payments/")[1].split("?")[0]
    unknown = requests.get(f"{emulator.url}/_mock/ui/payments/{trans_id}", params={"paymentId": "P9"}, timeout=10)
    assert unknown.status_code == 404


@pytest.mark.parametrize("now, target", [
    ("2026-11-24T10:00:00Z", "2026-11-25T08:00:00Z"),  # a Tuesday morning, after 08:00: Wednesday
    ("2026-11-24T06:00:00Z", "2026-11-24T08:00:00Z"),  # before 08:00: the same day
    ("2026-11-27T10:00:00Z", "2026-11-30T08:00:00Z"),  # a Friday: Monday
    ("2026-12-24T10:00:00Z", "2026-12-28T08:00:00Z"),  # Christmas Eve, then two holidays and a weekend
])
def test_the_next_bank_day_button_moves_the_clock_forward(emulator, now, target):
    emulator.http.post(emulator.url + "/_mock/clock", json={"now": now}).raise_for_status()
    page = requests.get(f"{emulator.url}/_mock/ui/clock", timeout=10).text
    assert f'data-clock=\'{{"now": "{target}"}}\' id="next-bank-day"' in page


def test_every_fault_status_the_clock_page_offers_is_one_the_bank_injects(emulator):
    page = requests.get(f"{emulator.url}/_mock/ui/clock", timeout=10).text
    offered = re.search(r'<select name="status">(.*?)</select>', page).group(1)
    statuses = [int(s) for s in re.findall(r"<option>(\d+)</option>", offered)]
    assert statuses
    for status in statuses:
        added = emulator.http.post(emulator.url + "/_mock/faults", json={"path": "/status", "status": status})
        assert added.status_code == 201, added.text


def test_a_filtered_live_view_goes_on_past_many_entries_the_filter_passes_over(emulator):
    ui = f"{emulator.url}/_mock/ui"
    with requests.Session() as http:
        for _ in range(510):  # more than the live view reads at once, none of them a 200
            http.get(f"{emulator.url}/status", timeout=10)
    page = requests.get(f"{ui}/", params={"status": "200"}, timeout=10).text
    newest = int(re.search(r'data-newest="(\d+)"', page).group(1))
    assert newest == emulator.journal()[-1]["id"]  # the newest entry, though none matches
    from_the_start = requests.get(f"{ui}/requests/rows", params={"status": "200", "after": 0}, timeout=10)
    assert from_the_start.text.strip() == ""
    assert from_the_start.headers["X-Mockbank-Journal-Newest"] == str(newest)  # where the next poll starts
    emulator.client().status()
    rows = requests.get(f"{ui}/requests/rows", params={"status": "200", "after": newest}, timeout=10)
    assert len(re.findall(r"<tr data-id=", rows.text)) == 1
    assert int(rows.headers["X-Mockbank-Journal-Newest"]) > newest


def test_the_accounts_page_books_payments_that_fell_due_in_time_mode(emulator):
    def balances() -> list[str]:
        return re.findall(r'class="num balance">([^<]*)<', requests.get(f"{emulator.url}/_mock/ui/accounts", timeout=10).text)

    before = balances()
    emulator.set_progression("time", step_seconds=0.05)
    emulator.set_clock(BANK_NOW + "Z", frozen=False)  # the clock runs: nothing else moves the payment on
    emulator.client().pay([{"paymentId": "PAY_T", "paymentDate": BANK_NOW[:10], "amount": Decimal("1000.00"),
                            "currency": "DKK", "account": "30000000001234", "creditor": {"name": "X"}}])
    time.sleep(1)  # 20 steps: Succeeded and booked on the bank clock
    after = balances()
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert len(changed) == 1
    old, new = (Decimal(text.split()[0].replace(",", "")) for text in changed[0])
    assert old - new == Decimal("1000.00")


def test_the_fault_table_shows_a_faults_message_and_reshape(emulator):
    for spec in ({"path": "/status", "status": 503, "message": "maintenance <tonight>"},
                 {"path": "/report/balance", "reshape": "integer-amounts"}):
        emulator.http.post(emulator.url + "/_mock/faults", json=spec).raise_for_status()
    page = requests.get(f"{emulator.url}/_mock/ui/clock", timeout=10).text
    assert "<td>maintenance &lt;tonight&gt;</td>" in page and "<td>integer-amounts</td>" in page


def test_with_a_control_token_the_browser_gives_it_once_and_the_pages_carry_it_for_their_buttons():
    with Emulator(clock=BANK_NOW, frozen_clock=True) as emulator:
        emulator._server.app.config[access.TOKEN_CONFIG] = "s3cret"
        browser = requests.Session()
        asked = browser.get(f"{emulator.url}/_mock/ui/payments", timeout=10)
        assert asked.status_code == 401 and 'name="token"' in asked.text
        wrong = browser.post(f"{emulator.url}/_mock/ui/token", data={"token": "nope", "next": "/_mock/ui/payments"},
                             timeout=10)
        assert wrong.status_code == 401 and "does not match" in wrong.text
        given = browser.post(f"{emulator.url}/_mock/ui/token", data={"token": "s3cret", "next": "/_mock/ui/payments"},
                             timeout=10)
        assert given.status_code == 200 and given.url.endswith("/_mock/ui/payments")
        cookie = next(c for c in browser.cookies if c.name == access.TOKEN_COOKIE)
        assert cookie.expires is None and cookie.path == "/_mock/ui"  # a session cookie for the dashboard only
        assert '<meta name="mockbank-token" content="s3cret">' in browser.get(f"{emulator.url}/_mock/ui/clock").text
        header = requests.get(f"{emulator.url}/_mock/ui/clock", headers={"X-Mockbank-Token": "s3cret"}, timeout=10)
        assert header.status_code == 200
        outside = browser.post(f"{emulator.url}/_mock/ui/token", data={"token": "s3cret", "next": "https://evil.example/"},
                               allow_redirects=False, timeout=10)
        assert outside.headers["Location"] == "/_mock/ui/"


def test_in_a_sandbox_the_token_form_leads_back_to_the_page_asked_for():
    with Emulator(clock=BANK_NOW, frozen_clock=True, token="s3cret") as emulator:
        emulator._server.app.config[access.TOKEN_CONFIG] = "s3cret"
        with emulator.sandbox() as sandbox:
            browser = requests.Session()
            asked = browser.get(f"{sandbox.url}/_mock/ui/payments", params={"status": 1}, timeout=10)
            wanted = f"/sandboxes/{sandbox.sandbox_id}/_mock/ui/payments?status=1"
            assert asked.status_code == 401 and f'name="next" value="{wanted}"' in asked.text
            given = browser.post(f"{sandbox.url}/_mock/ui/token", data={"token": "s3cret", "next": wanted},
                                 allow_redirects=False, timeout=10)
            assert given.headers["Location"] == wanted


def test_a_line_the_console_cannot_encode_does_not_end_the_access_log(capsys):
    raw = io.BytesIO()
    console = io.TextIOWrapper(raw, encoding="cp1252", write_through=True)  # a Windows console redirected to a file
    accesslog.configure(console)
    try:
        for path in ("/a", "/\U0001f600", "/b"):
            accesslog.log_request({"time": "2026-11-24T10:00:00Z", "method": "GET", "path": path, "status": 404,
                                   "durationMs": 1.0})
    finally:
        accesslog.configure(io.StringIO(), quiet=True)
    lines = raw.getvalue().decode("cp1252").splitlines()
    assert [line.split()[2] for line in lines] == ["/a", "/b"]  # the one it cannot write is reported, not the end
    assert "UnicodeEncodeError" in capsys.readouterr().err


def test_the_access_log_has_one_line_per_api_request_with_a_401_cause(emulator):
    out = io.StringIO()
    accesslog.configure(out)
    try:
        _wrong_payment(emulator)
        requests.get(f"{emulator.url}/_mock/ui/", timeout=10)  # the dashboard is not an API request
        emulator.client().balance()
        lines = out.getvalue().splitlines()
        assert len(lines) == 2
        assert " POST /payment 401 " in lines[0] and lines[0].endswith(" ms cause=key-byte-order")
        assert " GET /report/balance 200 " in lines[1] and "cause" not in lines[1]
        out.truncate(0), out.seek(0)
        accesslog.configure(out, "json")
        _wrong_payment(emulator, "PAY_J")
        logged = json.loads(out.getvalue())
        assert logged["status"] == 401 and logged["cause"] == "key-byte-order" and logged["elapsedMs"] > 0
        assert set(logged) == {"time", "method", "path", "status", "elapsedMs", "cause"}
        out.truncate(0), out.seek(0)
        accesslog.configure(out, quiet=True)
        _wrong_payment(emulator, "PAY_Q")
        assert out.getvalue() == ""
    finally:
        accesslog.configure(io.StringIO(), quiet=True)


def test_waitress_queue_depth_warnings_are_silenced():
    import logging

    accesslog.configure(io.StringIO(), quiet=True)
    assert not logging.getLogger("waitress.queue").isEnabledFor(logging.WARNING)
