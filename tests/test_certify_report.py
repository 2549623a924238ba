"""The certify report writers (JUnit XML, HTML, JSON) on a hand-built report: no emulator, no adapter."""

from __future__ import annotations

import base64
import html
import json
import shlex
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from mockbank.contract_tests.report import curl_line, write_html, write_junit, write_reports
from mockbank.contract_tests.runner import CheckResult, Report

URL = "http://127.0.0.1:8765"
ADAPTER = "python -m my_erp.bank_adapter"
AUTH = "Basic " + base64.b64encode(json.dumps(
    {"serviceProvider": "MockERP", "account": "52470004471238", "time": "2026-11-24T10:00:00",
     "requestId": "REQ_2", "hash": [{"id": "PAY_1", "hash": "ZmIV1O1sesj5vObwR3yNFitpvP3Fux/jDRNQsec6oKs="}]}
).encode()).decode()
PAYLOAD = ("4ff7e6f7584fb1db0ae015f276eeb18c860da3c052e078e02b195215ac098d64#52470004471238#DKK#REQ_2#20261124"
           "#100.10#80790000820049#MockERP#PAY_1#20261124100000")
VERDICT = {"ok": False, "cause": "key-byte-order", "hashId": "PAY_1", "expectedPayload": PAYLOAD,
           "message": "hash 'PAY_1': the HMAC key was the GUID's bytes in RFC 4122 order",
           "hint": "Use the GUID's 16 bytes in .NET Guid.ToByteArray() order (uuid.UUID(key).bytes_le)."}
TRANSACTION = {"paymentId": "PAY_1", "paymentDate": "2026-11-24", "amount": Decimal("100.10"), "currency": "DKK",
               "account": "80790000820049", "creditor": {"name": "Bennys Pølsebar"},
               "text": "Faktura <4711> & \"tak\" it's paid\x07"}
ENTRY = {"id": 2, "time": "2026-11-24T10:00:00.1Z", "method": "POST", "path": "/payment", "query": {},
         "headers": {"Host": "127.0.0.1:8765", "Content-Type": "application/json; charset=utf-8",
                     "Authorization": AUTH},
         "body": {"requestId": "REQ_2", "transactions": [{**TRANSACTION, "amount": "100.10"}]},
         "status": 401, "dropped": False,
         "response": {"error": "unauthorized", "diagnosis": {k: v for k, v in VERDICT.items() if k != "ok"}},
         "verdict": VERDICT}
EXCHANGE = {"op": "pay", "params": {"requestId": "REQ_2", "transactions": [TRANSACTION]},
            "reply": {"id": 2, "ok": False, "error": {"kind": "unauthorized", "httpStatus": 401,
                                                      "message": "HTTP 401 Invalid Signature"}},
            "failure": None, "requests": [ENTRY], "stderr": "warning: retrying\x1b[0m with key\n", "timeoutMs": 5000}
MESSAGE = "POST /payment: the signature was refused (key-byte-order): hash 'PAY_1': the HMAC key was wrong"


def make_report() -> Report:
    report = Report(ADAPTER, URL, 4242, 25, "2026-11-24T10:00:00+00:00", seconds=3.5, adapter_starts=1)
    report.results = [
        CheckResult("signing/queries-are-signed", "signing", "queries-are-signed",
                    "status, statement and balance requests verify", "passed", 0.25),
        CheckResult("signing/payments-are-signed", "signing", "payments-are-signed",
                    "every POST /payment verifies", "failed", 1.5, message=MESSAGE,
                    example={"transactions": [{**TRANSACTION, "amount": "100.10"}], "options": None},
                    exchanges=[{**EXCHANGE, "requests": []}, EXCHANGE], diagnosis=None),
        CheckResult("errors/timeout", "errors", "timeout", "a slow answer is reported as 'timeout'", "error", 0.5,
                    message="the kit could not run this check: RuntimeError: emulator gone"),
    ]
    return report


def test_junit_parses_with_counts_properties_and_the_evidence(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(make_report(), path)
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ElementTree.parse(path).getroot()
    assert root.tag == "testsuites" and root.get("name") == "mockbank certify"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("time")) == ("3", "1", "1", "3.500")
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"signing", "errors"}
    assert (suites["signing"].get("tests"), suites["signing"].get("failures"), suites["signing"].get("errors")) \
        == ("2", "1", "0")
    assert suites["errors"].get("errors") == "1"
    properties = {p.get("name"): p.get("value") for p in suites["signing"].iter("property")}
    assert properties["seed"] == "4242" and properties["adapter"] == ADAPTER
    assert properties["url"] == URL and properties["examples"] == "25"
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert cases["queries-are-signed"].get("classname") == "mockbank.signing" and len(cases["queries-are-signed"]) == 0
    failure = cases["payments-are-signed"].find("failure")
    assert failure is not None and failure.get("message") == MESSAGE
    for part in (MESSAGE, "Bennys Pølsebar", "cause: key-byte-order", PAYLOAD, "curl -X POST 'http://127.0.0.1:8765/"
                 "payment'", f"Authorization: {AUTH}", "--seed 4242"):
        assert part in failure.text, part
    assert "\x07" not in failure.text and "\x1b" not in cases["payments-are-signed"].find("system-err").text
    error = cases["timeout"].find("error")
    assert error is not None and "emulator gone" in error.get("message") and cases["timeout"].find("failure") is None


def test_html_shows_the_verdict_checks_and_the_evidence_escaped(tmp_path):
    path = tmp_path / "report.html"
    write_html(make_report(), path)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http-equiv" not in page
    assert "<link" not in page and "src=" not in page  # self-contained
    assert "FAILED" in page and "PASSED" not in page
    for name in ("queries-are-signed", "payments-are-signed", "timeout"):
        assert name in page
    assert "✓" in page and "✗" in page
    assert html.escape(f"mockbank certify --adapter '{ADAPTER}' --seed 4242 --examples 25 --timeout-ms 5000") in page
    assert "key-byte-order" in page and html.escape(VERDICT["hint"]) in page and PAYLOAD in page
    # the body as sent, escaped: no raw markup from the data reaches the page
    assert "Faktura &lt;4711&gt; &amp; \\&quot;tak\\&quot; it&#x27;s paid" in page
    assert "<4711>" not in page and "\x07" not in page
    assert "Bennys Pølsebar" in page and "100.10" in page
    assert html.escape(AUTH) in page and "emulator gone" in page and "warning: retrying" in page
    curl = html.escape(curl_line(ENTRY, URL))
    assert curl in page and html.escape(f"-H 'Authorization: {AUTH}'") in curl
    assert page.count('<section class="problem') == 2


def test_a_passing_report_says_passed(tmp_path):
    report = make_report()
    report.results = report.results[:1]
    write_html(report, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "PASSED" in page and "FAILED" not in page


def test_curl_line_for_a_post_round_trips_through_the_shell():
    words = shlex.split(curl_line(ENTRY, URL + "/"))
    assert words[:4] == ["curl", "-X", "POST", "http://127.0.0.1:8765/payment"]
    assert words[words.index("-H") + 1] == f"Authorization: {AUTH}"
    assert "Content-Type: application/json; charset=utf-8" in words
    body = json.loads(words[words.index("--data-binary") + 1])
    assert body["transactions"][0]["text"] == TRANSACTION["text"]  # the control character as a JSON escape
    assert "\x07" not in curl_line(ENTRY, URL) and "\\u0007" in curl_line(ENTRY, URL)
    assert body["transactions"][0]["creditor"]["name"] == "Bennys Pølsebar"


def test_curl_line_writes_decimal_amounts_as_json_numbers():
    entry = {**ENTRY, "body": {"transactions": [TRANSACTION]}}
    line = curl_line(entry, URL)
    assert '"amount":100.10' in line
    assert json.loads(shlex.split(line)[-1], parse_float=Decimal)["transactions"][0]["amount"] == Decimal("100.10")


def test_curl_line_for_a_get_puts_the_query_in_the_url_and_sends_no_body():
    entry = {"method": "GET", "path": "/payment/2540 01", "query": {"requestId": "REQ_'9'", "paymentIds": ["A", "B&C"]},
             "headers": {"authorization": AUTH}, "body": None, "status": 200}
    line = curl_line(entry, URL)
    words = shlex.split(line)
    assert words[:3] == ["curl", "-X", "GET"]
    assert words[3] == "http://127.0.0.1:8765/payment/2540%2001?requestId=REQ_%279%27&paymentIds=A&paymentIds=B%26C"
    assert words[4:] == ["-H", f"Authorization: {AUTH}"]
    assert "--data-binary" not in line and "Content-Type" not in line


@pytest.mark.parametrize("directory", ["fresh", "nested/deeper"])
def test_write_reports_writes_the_three_files(tmp_path, directory):
    paths = write_reports(make_report(), tmp_path / directory)
    assert set(paths) == {"junit", "html", "json"}
    assert {path.name for path in (tmp_path / directory).iterdir()} == {"junit.xml", "report.html", "report.json"}
    ElementTree.parse(paths["junit"])
    data = json.loads(paths["json"].read_text(encoding="utf-8"), parse_float=Decimal)
    assert data["seed"] == 4242 and data["passed"] is False and len(data["results"]) == 3
    params = data["results"][1]["exchanges"][1]["params"]
    assert params["transactions"][0]["amount"] == Decimal("100.10")
    assert "report.html" in str(paths["html"]) and paths["html"].read_text(encoding="utf-8").count("✗") >= 2


def test_control_characters_and_lone_surrogates_never_break_the_reports(tmp_path):
    report = make_report()
    failed = report.results[1]
    failed.message = "bad\x00 byte \ud800 and \x1b[31mred\x1b[0m"
    failed.exchanges = [{**EXCHANGE, "stderr": "x" * 50_000 + "\nTraceback: the last line\udcff\n"}]
    paths = write_reports(report, tmp_path)
    case = next(c for c in ElementTree.parse(paths["junit"]).getroot().iter("testcase")
                if c.get("name") == "payments-are-signed")
    assert case.find("failure").get("message") == "bad byte  and [31mred[0m"
    assert case.find("system-err").text.rstrip().endswith("Traceback: the last line")
    page = paths["html"].read_text(encoding="utf-8")
    assert "bad byte  and [31mred[0m" in page and "Traceback: the last line" in page and "characters before" in page
