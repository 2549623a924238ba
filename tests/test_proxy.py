"""mockbank proxy in front of a local upstream (a mockbank emulator playing the real bank).

What goes through comes back unchanged; each request's signature verdict is journaled, a 401 explained;
reshaped answers show up as drift naming the field; the recording is anonymised; no secret leaks anywhere.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from werkzeug.serving import make_server

from mockbank import signing
from mockbank.jsonnumbers import decimal_to_json
from mockbank.proxy.server import ProxyOptions, RunningProxy
from mockbank.testing import Emulator, QuietHandler
from conftest import BANK_NOW, BANK_TODAY
from raw import get, post, transaction
from wrong_signers import signed_header, with_mistake

DATA = Path(__file__).parent / "data"
CERT, KEY = DATA / "proxy-test-cert.pem", DATA / "proxy-test-key.pem"


@pytest.fixture(scope="module")
def bank():
    with Emulator(clock=BANK_NOW, frozen_clock=True) as emulator:
        yield emulator


@pytest.fixture
def upstream(bank):
    bank.reset()
    yield bank
    _settle(bank)


@pytest.fixture
def credentials_file(bank, tmp_path) -> Path:
    path = tmp_path / "my-credentials.json"
    path.write_text(json.dumps(bank.fixture.document, default=decimal_to_json), encoding="utf-8")
    return path


@pytest.fixture
def console() -> list[str]:
    return []


@pytest.fixture
def proxy(upstream, credentials_file, tmp_path, console):
    options = ProxyOptions(upstream=upstream.url, credentials=str(credentials_file),
                           record=str(tmp_path / "recording.jsonl"))
    with RunningProxy(options, console=console.append) as running:
        yield running


def secrets_of(bank) -> list[str]:
    """Every API key, integration code and token (SHA-256 of an integration code) of the bank."""
    found = []
    for credentials in bank.credentials:
        found += [credentials.api_key, credentials.integration_code,
                  signing.integration_token(credentials.integration_code)]
    return found


def through(proxy, bank) -> SimpleNamespace:
    """Something ``raw.post``/``raw.get`` sign for: the bank's credentials, the proxy's URL."""
    return SimpleNamespace(url=proxy.url, credentials=bank.credentials)


def pay_body(request_id: str, payment_id: str, **extra) -> dict:
    return {"requestId": request_id, "transactions": [transaction(payment_id, 154.5, day=BANK_TODAY, text="Faktura 4711",
                                                                  name="Bennys Pølsebar", **extra)]}


def mis_signed_payment(proxy, bank, mistake: str = "key-byte-order") -> requests.Response:
    credentials = bank.credentials[0]
    body = pay_body("REQ-BAD", "PAY-BAD")
    header = signed_header(with_mistake(mistake), service_provider=credentials.service_provider,
                           api_key=credentials.api_key, account=credentials.account,
                           integration_code=credentials.integration_code, request_id="REQ-BAD",
                           time=_now(), transactions=body["transactions"])
    return requests.post(proxy.url + "/payment", data=json.dumps(body), timeout=30,
                         headers={"Authorization": header, "Content-Type": "application/json"})


def journal(proxy) -> list[dict]:
    return requests.get(proxy.url + "/_mock/requests", timeout=10).json()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _settle(bank) -> None:
    """Wait until the upstream answered every request (a delayed one outlives its test's 504)."""
    while bank.in_flight():
        threading.Event().wait(0.05)


# --------------------------------------------------------------------------- forwarding


def test_a_correct_payment_goes_through_unchanged_both_ways(proxy, upstream):
    response = post(through(proxy, upstream), "/payment", pay_body("REQ-OK", "PAY-OK"),
                    headers={"X-Erp-Trace": "trace-17"})
    assert response.status_code == 200 and response.reason == "OK"
    seen = upstream.journal()[-1]
    assert seen["method"] == "POST" and seen["path"] == "/payment"
    assert seen["headers"]["X-Erp-Trace"] == "trace-17"
    assert seen["headers"]["Authorization"] == response.request.headers["Authorization"]
    assert json.dumps(seen["body"], sort_keys=True) == json.dumps(json.loads(response.request.body), sort_keys=True)
    assert response.json() == seen["response"]
    assert response.json()["answers"][0]["paymentId"] == "PAY-OK"

    entry = journal(proxy)[-1]
    assert entry["status"] == 200 and entry["answeredBy"] == "upstream"
    assert entry["verdict"] == {"ok": True, "checked": "all"}
    assert "explanation" not in entry


def test_the_query_string_and_method_reach_the_upstream_as_sent(proxy, upstream):
    query = [("requestId", "REQ-Q"), ("from", "2026-11-01"), ("to", BANK_TODAY)]
    response = get(through(proxy, upstream), "/report/account", query)
    assert response.status_code == 200
    seen = upstream.journal()[-1]
    assert (seen["method"], seen["path"]) == ("GET", "/report/account")
    assert seen["query"] == {"requestId": "REQ-Q", "from": "2026-11-01", "to": BANK_TODAY}
    assert response.json() == seen["response"]


def test_a_mis_signed_payment_comes_back_as_the_bank_answered_with_mockbanks_diagnosis(proxy, upstream, console):
    response = mis_signed_payment(proxy, upstream)
    assert response.status_code == 401 and response.reason == "Invalid Signature"
    assert response.json() == upstream.journal()[-1]["response"]

    entry = journal(proxy)[-1]
    assert entry["status"] == 401
    assert entry["verdict"]["ok"] is False and entry["verdict"]["cause"] == "key-byte-order"
    assert "key-byte-order" in entry["explanation"] and "Fix:" in entry["explanation"]
    assert any("401 explained" in line and "key-byte-order" in line for line in console)


def test_a_401_for_a_correctly_signed_request_says_the_bank_holds_other_credentials(upstream, tmp_path):
    document = json.loads(json.dumps(upstream.fixture.document, default=decimal_to_json))
    document["erps"][0]["apiKey"] = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"  # not what the bank has
    path = tmp_path / "other.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    other = signing.Credentials(upstream.credentials[0].service_provider, "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
                                upstream.credentials[0].account, upstream.credentials[0].integration_code)
    with RunningProxy(ProxyOptions(upstream=upstream.url, credentials=str(path))) as running:
        response = post(SimpleNamespace(url=running.url, credentials=[other]), "/payment", pay_body("R-X", "P-X"))
        assert response.status_code == 401
        entry = journal(running)[-1]
    assert entry["verdict"]["ok"] is True
    assert "the bank holds other ones" in entry["explanation"]


def test_without_credentials_everything_but_the_hmac_is_checked(upstream):
    with RunningProxy(ProxyOptions(upstream=upstream.url)) as running:
        assert requests.get(running.url + "/_mock/health", timeout=10).json()["signatureCheck"] == "all but the HMAC"
        mis_signed_payment(running, upstream)
        credentials = upstream.credentials[0]
        wrong_id = signing.sign(credentials, "REQ-OTHER", time=_now()).header
        requests.get(running.url + "/status", params={"requestId": "REQ-1"}, headers={"Authorization": wrong_id},
                     timeout=10)
        requests.get(running.url + "/status", params={"requestId": "REQ-1"}, headers={"Authorization": "Basic !!"},
                     timeout=10)
        bad_hmac, wrong_request_id, malformed = journal(running)[-3:]
    assert bad_hmac["verdict"] == {"ok": True, "checked": "all but the HMAC (no --credentials)"}
    assert "--credentials" in bad_hmac["explanation"]
    assert wrong_request_id["verdict"]["cause"] == "request-id-mismatch"
    assert malformed["verdict"]["cause"] == "malformed-header"


# --------------------------------------------------------------------------- drift


def test_a_reshaped_answer_shows_up_as_drift_naming_the_field(proxy, upstream):
    upstream.inject_fault(path="/report/account", reshape="unknown-fields")
    response = get(through(proxy, upstream), "/report/account", {"requestId": "REQ-D", "from": "2026-11-20"})
    assert response.status_code == 200 and "futureField" in response.json()  # passed on unchanged

    report = requests.get(proxy.url + "/_mock/drift", timeout=10).json()
    rows = {(row["endpoint"], row["pointer"]): row for row in report["differences"]}
    assert report["upstream"] == upstream.url and report["answersChecked"] == 1
    assert set(rows) == {("GET /report/account", pointer) for pointer in
                         ("/futureField", "/futureObject", "/entries/*/futureField", "/entries/*/futureObject")}
    top = rows[("GET /report/account", "/futureField")]
    assert top["kind"] == "unknown-field" and top["count"] == 1 and top["reason"] == "is not a known field"
    assert isinstance(top["example"], str) and top["example"] != "a field this client does not know"
    assert rows[("GET /report/account", "/futureObject")]["example"] == {"version": 2, "flags": []}
    assert journal(proxy)[-1]["drift"][0]["kind"] == "unknown-field"


def test_answers_as_the_schemas_describe_them_are_no_drift(proxy, upstream):
    post(through(proxy, upstream), "/payment", pay_body("REQ-N", "PAY-N"))
    get(through(proxy, upstream), "/status", {"requestId": "REQ-S"})
    get(through(proxy, upstream), "/report/balance", {"requestId": "REQ-B"})
    report = requests.get(proxy.url + "/_mock/drift", timeout=10).json()
    assert report["answersChecked"] == 3 and report["differences"] == []


# --------------------------------------------------------------------------- recording and secrets


def test_the_recording_is_anonymised_consistently_and_holds_no_secret(proxy, upstream, tmp_path):
    real_account = upstream.credentials[0].account
    post(through(proxy, upstream), "/payment", pay_body("REQ-R1", "PAY-R1"))
    post(through(proxy, upstream), "/status", {"requestId": "REQ-R2", "paymentIds": ["PAY-R1"]})
    mis_signed_payment(proxy, upstream)
    text = (tmp_path / "recording.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 3
    for secret in [*secrets_of(upstream), real_account, "80790000820049", "Bennys Pølsebar", "Faktura 4711"]:
        assert secret not in text
    assert all("Authorization" not in line["requestHeaders"] for line in lines)
    payment, status = lines[0], lines[1]
    fake_account = payment["responseBody"]["account"]
    assert len(fake_account) == 14 and fake_account.isdigit() and fake_account != real_account
    assert status["responseBody"]["account"] == fake_account  # the same real value, the same fake one
    paid = payment["requestBody"]["transactions"][0]
    assert paid["paymentId"] == status["requestBody"]["paymentIds"][0] == status["responseBody"]["answers"][0][
        "paymentId"]
    assert paid["currency"] == "DKK" and paid["paymentDate"] == BANK_TODAY
    assert isinstance(paid["amount"], float) and paid["amount"] != 154.5 and 100 <= paid["amount"] < 1000
    assert payment["status"] == 200 and lines[2]["status"] == 401 and lines[2]["reason"] == "Invalid Signature"
    assert lines[2]["verdict"] == {"ok": False, "cause": "key-byte-order"}


def test_no_secret_in_the_journal_drift_report_or_console(proxy, upstream, console):
    upstream.inject_fault(path="/status", reshape="unknown-fields")
    post(through(proxy, upstream), "/payment", pay_body("REQ-Z", "PAY-Z"))
    get(through(proxy, upstream), "/status", {"requestId": "REQ-Z2"})
    for mistake in ("key-byte-order", "token-not-hashed", "token-case"):
        mis_signed_payment(proxy, upstream, mistake)
    entries = journal(proxy)
    verdicts = json.dumps([entry["verdict"] for entry in entries] + [entry.get("explanation") for entry in entries])
    everything = json.dumps(entries) + requests.get(proxy.url + "/_mock/drift", timeout=10).text + "\n".join(console)
    api_keys_and_codes = [c.api_key for c in upstream.credentials] + [c.integration_code for c in upstream.credentials]
    for secret in secrets_of(upstream):
        assert secret not in verdicts
        assert secret not in requests.get(proxy.url + "/_mock/drift", timeout=10).text
        assert secret not in "\n".join(console)
    for secret in api_keys_and_codes:
        assert secret not in everything
    assert [entry["verdict"].get("cause") for entry in entries[-3:]] == ["key-byte-order", "token-not-hashed",
                                                                         "token-case"]
    token = signing.integration_token(upstream.credentials[0].integration_code)
    assert signing.mask_token(token) in entries[-1]["verdict"]["expectedPayload"]


# --------------------------------------------------------------------------- the upstream fails


def test_upstream_down_answers_502_json_naming_the_upstream(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = f"http://127.0.0.1:{port}"
    with RunningProxy(ProxyOptions(upstream=down)) as running:
        response = requests.get(running.url + "/status", params={"requestId": "R"}, timeout=30)
        entry = journal(running)[-1]
    assert response.status_code == 502 and response.reason == "Bad Gateway"
    body = response.json()
    assert body["error"] == "upstream-unreachable" and body["upstream"] == down and down in body["message"]
    assert entry["answeredBy"] == "proxy" and entry["status"] == 502


def test_an_upstream_timeout_answers_504(upstream):
    upstream.inject_fault(path="/status", delayMs=3000)
    with RunningProxy(ProxyOptions(upstream=upstream.url, timeout=0.5)) as running:
        response = get(SimpleNamespace(url=running.url, credentials=upstream.credentials), "/status",
                       {"requestId": "R-T"})
    assert response.status_code == 504 and response.reason == "Gateway Timeout"
    assert response.json()["error"] == "upstream-timeout" and upstream.url in response.json()["message"]


# --------------------------------------------------------------------------- HTTPS


@contextmanager
def served(app, ssl_context: ssl.SSLContext | None = None):
    """A small WSGI upstream on a free port of 127.0.0.1 (its port), stopped afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def https_upstream():
    """A real HTTPS server with a self-signed certificate (tests/data), answering every request with JSON."""
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"over": "tls"}']

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    with served(app, context) as port:
        yield f"https://127.0.0.1:{port}"


def test_https_certificates_are_verified(https_upstream):
    with RunningProxy(ProxyOptions(upstream=https_upstream)) as running:
        refused = requests.get(running.url + "/anything", timeout=30)
    assert refused.status_code == 502 and "certificate" in refused.json()["message"]
    with RunningProxy(ProxyOptions(upstream=https_upstream, ca_bundle=str(CERT))) as running:
        trusted = requests.get(running.url + "/anything", timeout=30)
    assert trusted.status_code == 200 and trusted.json() == {"over": "tls"}


# --------------------------------------------------------------------------- control plane


def test_the_control_plane_needs_the_token_it_was_given(upstream):
    with RunningProxy(ProxyOptions(upstream=upstream.url, control_token="s3cret-token")) as running:
        refused = requests.get(running.url + "/_mock/requests", timeout=10)
        allowed = requests.get(running.url + "/_mock/requests", headers={"X-Mockbank-Token": "s3cret-token"},
                               timeout=10)
    assert refused.status_code == 401 and "X-Mockbank-Token" in refused.json()["message"]
    assert allowed.status_code == 200 and allowed.json() == []


def test_the_journal_pages_and_clears_and_bad_parameters_are_named(proxy, upstream):
    for number in range(3):
        get(through(proxy, upstream), "/status", {"requestId": f"R-{number}"})
    first = journal(proxy)[0]["id"]
    page = requests.get(proxy.url + "/_mock/requests", params={"since": first, "limit": 1}, timeout=10).json()
    assert [entry["query"]["requestId"] for entry in page] == ["R-1"]
    bad = requests.get(proxy.url + "/_mock/requests", params={"limit": "many"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["details"][0]["pointer"] == "/limit"
    assert requests.delete(proxy.url + "/_mock/requests", timeout=10).json() == {"deleted": 3}
    assert journal(proxy) == []


# --------------------------------------------------------------------------- byte for byte


@pytest.fixture
def echo_upstream():
    """An upstream that answers with what it received, an unusual reason phrase and repeated headers."""
    def app(environ, start_response):
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        seen = {"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
                "query": environ["QUERY_STRING"], "headers": headers,
                "body": environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode("utf-8")}
        start_response("299 Quite Unusual", [("Content-Type", "application/json"), ("X-Bank", "one"),
                                             ("X-Bank", "two")])
        return [json.dumps(seen).encode("utf-8")]

    with served(app) as port:
        yield f"http://127.0.0.1:{port}/base"


def test_method_path_query_headers_and_body_arrive_as_sent_and_the_answer_returns_as_given(echo_upstream):
    body = b'{"requestId": "R 1",  "amount": 154.10, "text": "\xc3\xa6\xc3\xb8\xc3\xa5"}'
    with RunningProxy(ProxyOptions(upstream=echo_upstream)) as running:
        response = requests.request("PATCH", running.url + "/report/account?b=2&a=%C3%A6&a=1&empty=", data=body,
                                    headers={"Authorization": "Basic abc", "X-Erp": "Odoo 17",
                                             "Content-Type": "application/json; charset=utf-8",
                                             "User-Agent": "my-erp/1.0"}, timeout=30)
    seen = response.json()
    assert (response.status_code, response.reason) == (299, "Quite Unusual")
    assert response.raw.headers.getlist("X-Bank") == ["one", "two"]
    assert seen["method"] == "PATCH" and seen["path"] == "/base/report/account"
    assert seen["query"] == "b=2&a=%C3%A6&a=1&empty="
    assert seen["body"].encode("utf-8") == body
    assert {key: seen["headers"][key] for key in ("Authorization", "X-Erp", "Content-Type", "User-Agent")} == {
        "Authorization": "Basic abc", "X-Erp": "Odoo 17", "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "my-erp/1.0"}
    assert seen["headers"]["Host"] == echo_upstream.split("/")[2]
