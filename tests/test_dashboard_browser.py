"""The dashboard in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright for Python.

The three scenarios of issue 12: a refused signature's cause on the Requests page, a payment moved to
Succeeded with the buttons showing on the account's balance, the clock advanced a day from its page.
Screenshots of every page land in tests/output/screenshots/ (ignored by git; CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from mockbank.testing import Emulator
from wrong_signers import signed_header, with_mistake

pytestmark = pytest.mark.slow  # a headless Chromium (`pytest --all` and CI run them)

CHROMIUM = os.environ.get("MOCKBANK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "output" / "screenshots"
#: Flags that keep Chromium quiet on a closed network (see the team's components notes).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NOW = "2026-11-24T10:00:00"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install '.[test]')"
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        return f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def bank():
    with Emulator(clock=NOW, frozen_clock=True) as emulator:
        yield emulator


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def shot(page, name: str, readme: bool = False) -> None:
    """The whole page; with ``readme`` also the first screen, as docs/dashboard-<name>.png shows it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if readme:
        page.screenshot(path=str(SCREENSHOTS / f"readme-{name}.png"))


def test_a_wrong_key_byte_order_shows_its_cause_on_the_requests_page(bank, page):
    credentials = bank.credentials[0]
    transaction = {"paymentId": "PAY_WRONG", "paymentDate": NOW[:10], "amount": 250, "currency": "DKK",
                   "account": "30000000001234", "creditor": {"name": "Wrong Key ApS"}}
    header = signed_header(with_mistake("key-byte-order"), service_provider=credentials.service_provider,
                           api_key=credentials.api_key, account=credentials.account,
                           integration_code=credentials.integration_code, request_id="REQ_WRONG",
                           time=datetime.fromisoformat(NOW), transactions=[transaction])
    answer = requests.post(f"{bank.url}/payment", json={"requestId": "REQ_WRONG", "transactions": [transaction]},
                           headers={"Authorization": header}, timeout=10)
    assert answer.status_code == 401

    page.goto(f"{bank.url}/")  # a browser at the root lands on the dashboard
    assert page.url.endswith("/_mock/ui/")
    row = page.locator("#journal tbody tr").first
    assert "key-byte-order" in row.inner_text()
    shot(page, "requests")

    row.locator("a").first.click()
    assert page.locator("dd.cause").inner_text() == "key-byte-order"
    assert page.locator("pre.payload").inner_text().count("#") >= 9  # the expected payload, field by field
    assert "mockbank explain --header" in page.locator("#explain-cmd").input_value()
    assert page.locator("#curl").input_value().startswith("curl -i -X POST")
    shot(page, "request", readme=True)

    page.click("text=explain it here")
    page.click("#explain")
    assert "key-byte-order" in page.locator("#verdict").inner_text()
    shot(page, "explain")


def test_a_payment_moved_to_succeeded_with_the_buttons_changes_the_balance(bank, page):
    number = bank.credentials[0].account
    page.goto(f"{bank.url}/_mock/ui/accounts")
    before = _amount(page.locator("td.balance").first.inner_text())

    bank.client().pay([{"paymentId": "PAY_OK", "paymentDate": NOW[:10], "amount": Decimal("1234.56"),
                        "currency": "DKK", "account": "30000000001234", "creditor": {"name": "Right Key ApS"}}])
    page.goto(f"{bank.url}/_mock/ui/payments")
    shot(page, "payments")
    page.click("text=PAY_OK")
    page.select_option("#to-status", "8")
    with page.expect_navigation():
        page.click("#move")
    assert "Succeeded (8)" in page.locator("h1").inner_text()
    assert "1234.56" in page.locator("text=balance after").locator("xpath=ancestor::table").inner_text() \
        or "-1,234.56" in page.content() or "-1234.56" in page.content()
    shot(page, "payment")

    page.goto(f"{bank.url}/_mock/ui/accounts")
    shot(page, "accounts")
    assert _amount(page.locator("td.balance").first.inner_text()) == before - Decimal("1234.56")
    page.goto(f"{bank.url}/_mock/ui/accounts/{number}")
    assert "Right Key" in page.locator("table.statement tbody tr").first.inner_text()
    assert page.locator("svg.chart circle").count() > 50  # a dot per bank day of the last 90 days
    shot(page, "account", readme=True)


def test_the_clock_advances_a_day_from_its_page(bank, page):
    page.goto(f"{bank.url}/_mock/ui/clock")
    assert page.locator("#clock-today").inner_text() == NOW[:10]
    with page.expect_navigation():
        page.click("#advance-day")
    assert page.locator("#clock-today").inner_text() == "2026-11-25"
    assert bank.clock()["today"] == "2026-11-25"
    shot(page, "clock")
    page.goto(f"{bank.url}/_mock/ui/magic")
    shot(page, "magic")


def _amount(text: str) -> Decimal:
    return Decimal(text.split()[0].replace(",", ""))


def test_without_its_script_a_page_offers_no_button_that_would_do_nothing_or_send_a_plain_get(bank, browser):
    bank.client().pay([{"paymentId": "PAY_NOJS", "paymentDate": NOW[:10], "amount": Decimal("1.00"),
                        "currency": "DKK", "account": "30000000001234", "creditor": {"name": "X"}}])
    trans_id = bank.payments()[0]["transId"]
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{bank.url}/_mock/ui/payments/{trans_id}?paymentId=PAY_NOJS")
        for button in ("#step", "#move", "#fail"):
            assert page.locator(button).is_disabled()
        page.goto(f"{bank.url}/_mock/ui/clock")
        assert page.locator("#add-fault").is_disabled() and page.locator("#next-bank-day").is_disabled()
    finally:
        context.close()
    page = browser.new_page()  # with the script they work (the other tests click them)
    try:
        page.goto(f"{bank.url}/_mock/ui/clock")
        assert page.locator("#add-fault").is_enabled()
    finally:
        page.close()
