"""certify and the adapter's start (hello, start timeout, stdout noise) and partial certificates."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from mockbank.cli import main
from mockbank.contract_tests.report import write_reports
from mockbank.contract_tests.runner import FAILED, PASSED, certify

pytestmark = pytest.mark.slow  # certification runs that start their own emulators (`pytest --all` and CI run them)

FAKE = Path(__file__).parent / "fake_adapter.py"


def fake(mode: str, argument: str = "") -> str:
    return f'"{sys.executable}" "{FAKE}" {mode} {argument}'.strip()


def test_a_slow_adapter_gets_its_start_timeout_not_the_request_timeout(tmp_path):
    # 9 s of start-up is more than a request may take (2 s client timeout + 5 s grace), less than the start timeout
    report = certify(fake("slow-start", "9"), plans=["balance"], examples=2, seed=1, timeout_ms=2000,
                     start_timeout=60)
    assert report.start.status == PASSED, report.start.message
    assert report.passed and report.adapter_starts == 1
    junit = ElementTree.parse(write_reports(report, tmp_path)["junit"]).getroot()
    start = next(case for case in junit.iter("testcase") if case.get("classname") == "mockbank.adapter")
    assert start.get("name") == "start" and start.find("failure") is None
    assert "first reply after" in start.find("system-out").text


def test_an_adapter_that_does_not_start_in_time_fails_before_any_check(tmp_path, capsys):
    status = main(["certify", "--adapter", fake("slow-start", "600"), "--adapter-start-timeout", "2",
                   "--plans", "balance", "--report", str(tmp_path)])
    printed = capsys.readouterr().out
    assert status == 1
    assert "FAIL adapter" in printed and "within 2 s" in printed and "--adapter-start-timeout" in printed
    assert "certification FAILED: the adapter did not start" in printed
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["adapterStart"]["status"] == FAILED and data["results"] == [] and data["passed"] is False
    junit = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert junit.get("failures") == "1"
    assert "within 2 s" in junit.find(".//testcase[@name='start']/failure").get("message")


def test_building_on_stdout_is_the_headline_error(tmp_path):
    report = certify(fake("building"), plans=["balance"], examples=2, seed=1)
    assert not report.passed and report.results == []
    assert report.start.message == "the adapter wrote 'Building...' on stdout; write logs to stderr"
    page = write_reports(report, tmp_path)["html"].read_text(encoding="utf-8")
    assert "the adapter wrote &#x27;Building...&#x27; on stdout; write logs to stderr" in page


def test_a_log_line_on_stdout_during_a_check_is_that_checks_headline():
    report = certify(fake("noisy", "balance"), plans=["balance"], examples=2, seed=1)
    assert report.start.status == PASSED and not report.passed
    for result in report.results:
        assert result.status == FAILED
        assert result.message.startswith("balance: the adapter wrote 'fetching balance ...' on stdout; "
                                         "write logs to stderr"), result.message


def test_an_adapter_offering_statement_and_balance_gets_a_partial_certificate(tmp_path, capsys):
    status = main(["certify", "--adapter", fake("offers", "statement,balance"), "--examples", "2", "--seed", "3",
                   "--report", str(tmp_path)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "certification PARTIAL (not a full certificate)" in printed and "certification PASSED" not in printed
    assert "covers only statement, balance" in printed
    for plan in ("signing", "payments", "status", "cancel", "errors", "robustness"):
        assert f"---- {plan:<11} left out: needs" in printed
    assert "ok   statement" in printed and "ok   balance" in printed

    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["verdict"] == "PARTIAL" and data["certificate"]["scope"] == "partial"
    assert data["certificate"]["operations"] == ["statement", "balance"]
    left_out = {entry["plan"]: entry["missingOperations"] for entry in data["certificate"]["plansLeftOut"]}
    assert set(left_out) == {"signing", "payments", "status", "cancel", "errors", "robustness"}
    assert left_out["payments"] == ["pay"]
    assert {result["plan"] for result in data["results"]} == {"statement", "balance"}

    junit = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert "PARTIAL" in junit.get("name") and "statement, balance" in junit.get("name")
    skipped = [case for case in junit.iter("testcase") if case.find("skipped") is not None]
    assert {case.get("classname") for case in skipped} == {f"mockbank.{plan}" for plan in left_out}
    assert "needs pay" in skipped[0].find("skipped").get("message")
    properties = {p.get("name"): p.get("value") for p in junit.find("testsuite").iter("property")}
    assert properties["certificate"] == "partial" and properties["operations"] == "statement,balance"

    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h1>PARTIAL</h1>" in page and "PASSED" not in page and "covers only statement, balance" in page


def test_an_adapter_that_does_not_know_hello_is_certified_for_every_operation():
    report = certify(fake("no-hello"), plans=["balance"], examples=2, seed=1)
    assert report.passed and not report.partial and report.verdict == "PASSED"
    assert report.start.hello.knows_hello is False
    assert report.operations == ("pay", "status", "payment", "statement", "balance", "cancel")


def test_a_hello_naming_an_unknown_operation_fails_the_start():
    report = certify(fake("offers-nonsense"), plans=["balance"], examples=2, seed=1)
    assert not report.passed and "'refund'" in report.start.message
